// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The numbers of a registration follow the kernel's own rules (6.18,
 * io_uring/rsrc.c):
 *  - pin_user_pages pins every 4 KiB page the buffer spans;
 *  - a buffer of more than one page that lies wholly in hugetlb folios is
 *    coalesced into one bvec per folio (io_check_coalesce_buffer);
 *  - accounting (io_buffer_account_pin) charges each normal page, and each
 *    huge folio once, whole (512 pages), unless it is the folio charged last
 *    in this call (last_hpage) or one a buffer already in the live table
 *    spans (headpage_already_acct). A registration builds its table aside,
 *    so only updates see the live table;
 *  - a clone charges nothing: the source's pinned pages are shared;
 *  - pinning is per ring: registering memory another ring of the process
 *    holds pinned pins (and charges) it again. The oracle keeps those
 *    pages as "pinned_twice", slot by slot against the other rings' live
 *    tables at the moment of the call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffers.h"
#include "ktraits.h"
#include "regs.h"
#include "uring_compat.h"

#define PAGES_PER_HUGE (HUGE_2M / PAGE_4K)

/* Huge folios are named by their virtual 2 MiB frame; 0 means none. */
static uintptr_t huge_frame(uintptr_t addr)
{
	return addr / HUGE_2M + 1;
}

static bool table_spans_frame(const struct oracle_ring *r, uintptr_t frame)
{
	for (unsigned int i = 0; i < r->table_nr; i++) {
		const struct table_slot *s = &r->table[i];

		if (!s->present || !s->huge)
			continue;
		if (frame >= huge_frame(s->addr) &&
		    frame <= huge_frame(s->addr + s->len - 1))
			return true;
	}
	return false;
}

/* Fill a slot for one iovec; *last_frame carries io_uring's last_hpage. */
static void slot_from_iovec(const struct oracle_ring *r, const struct iovec *iov,
			    uintptr_t *last_frame, struct table_slot *s)
{
	uintptr_t addr = (uintptr_t)iov->iov_base;

	memset(s, 0, sizeof(*s));
	if (!addr)
		return;		/* an empty (sparse or cleared) slot */
	s->present = true;
	s->addr = addr;
	s->len = iov->iov_len;
	s->huge = buf_is_huge(addr);
	if (!s->huge) {
		s->acct_pages = span_pages(addr, s->len);
		return;
	}
	for (uintptr_t f = huge_frame(addr); f <= huge_frame(addr + s->len - 1);
	     f++) {
		if (f == *last_frame)
			continue;
		*last_frame = f;
		if (table_spans_frame(r, f))
			continue;
		s->acct_pages += PAGES_PER_HUGE;
	}
}

/* 4 KiB pages in both page-aligned spans. */
static unsigned long overlap_pages(const struct table_slot *a,
				   const struct table_slot *b)
{
	uintptr_t a_lo = a->addr & ~(PAGE_4K - 1), b_lo = b->addr & ~(PAGE_4K - 1);
	uintptr_t a_hi = a_lo + span_pages(a->addr, a->len) * PAGE_4K;
	uintptr_t b_hi = b_lo + span_pages(b->addr, b->len) * PAGE_4K;
	uintptr_t lo = a_lo > b_lo ? a_lo : b_lo, hi = a_hi < b_hi ? a_hi : b_hi;

	return lo < hi ? (hi - lo) / PAGE_4K : 0;
}

/*
 * The new slots of r against the slots other rings hold pinned. A cloned
 * slot is no pin of its own (its source ring holds it), on either side.
 */
static void record_pinned_twice(struct oracle_ring *r, const char *opcode_name,
				const struct table_slot *slots, unsigned int nr)
{
	struct oracle *o = r->owner;

	for (int k = 0; o && k < o->nr_rings; k++) {
		const struct oracle_ring *other = o->rings[k];
		unsigned long pages = 0;

		if (other == r || other->pid != r->pid)
			continue;
		for (unsigned int i = 0; i < nr; i++) {
			if (!slots[i].present || slots[i].shared)
				continue;
			for (unsigned int j = 0; j < other->table_nr; j++) {
				const struct table_slot *s = &other->table[j];

				if (s->present && !s->shared)
					pages += overlap_pages(&slots[i], s);
			}
		}
		if (pages)
			oracle_pinned_twice(o, r->fd, other->fd, opcode_name,
					    pages);
	}
}

static void delta_add_slot(struct reg_delta *d, const struct table_slot *s)
{
	unsigned long pages;

	d->slots++;
	if (!s->present)
		return;
	pages = span_pages(s->addr, s->len);
	d->buffers++;
	d->bytes += s->len;
	d->pages += pages;
	if (s->huge && pages > 1 && kt_coalesces_folios()) {
		d->bvecs += huge_frame(s->addr + s->len - 1) -
			    huge_frame(s->addr) + 1;
		d->huge_buffers++;
	} else {
		d->bvecs += pages;
	}
	d->acct_pages += s->acct_pages;
}

static int table_resize(struct oracle_ring *r, unsigned int nr)
{
	struct table_slot *t;

	if (nr <= r->table_nr) {
		r->table_nr = nr;
		return 0;
	}
	t = realloc(r->table, nr * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + r->table_nr, 0, (nr - r->table_nr) * sizeof(*t));
	r->table = t;
	r->table_nr = nr;
	return 0;
}

/*
 * Pages charged to this process's pinned memory (VmPin), or -1. The rule for
 * huge folios changed between kernels (6.12 registers into the live table,
 * so a folio is charged once per table; 6.18 builds the table aside and
 * only remembers the last folio), so for huge buffers the oracle states
 * what the kernel charged, read back, instead of a model of one version.
 */
static long vmpin_pages(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib < 0 ? -1 : kib / 4;
}

unsigned long long reg_last_call_ns;

static int do_register(struct oracle_ring *r, const char *opcode_name,
		       unsigned int opcode, const void *arg,
		       unsigned int nr_args, const struct iovec *iov,
		       unsigned int nr)
{
	struct reg_delta d = {0};
	struct table_slot *slots;
	uintptr_t last_frame = 0;
	long pinned_before = vmpin_pages();
	unsigned int huge_slots = 0;
	int ret;

	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = uc_register(r->fd, opcode, arg, nr_args);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	reg_last_call_ns = (t1.tv_sec - t0.tv_sec) * 1000000000ULL + t1.tv_nsec - t0.tv_nsec;
	if (ret < 0) {
		oracle_reg_call(r, REG_REGISTER, opcode_name, -ret, NULL);
		return ret;
	}
	slots = calloc(nr, sizeof(*slots));
	for (unsigned int i = 0; slots && i < nr; i++) {
		static const struct iovec empty;

		slot_from_iovec(r, iov ? &iov[i] : &empty, &last_frame,
				&slots[i]);
		delta_add_slot(&d, &slots[i]);
		huge_slots += slots[i].huge;
	}
	/* huge_slots, not d.huge_buffers: 6.1 charges folios but coalesces none */
	if (huge_slots && pinned_before >= 0 && vmpin_pages() >= pinned_before)
		d.acct_pages = vmpin_pages() - pinned_before;
	oracle_reg_call(r, REG_REGISTER, opcode_name, 0, &d);
	if (slots)
		record_pinned_twice(r, opcode_name, slots, nr);
	free(r->table);
	r->table = slots;
	r->table_nr = slots ? nr : 0;
	return ret;
}

int reg_buffers(struct oracle_ring *r, const struct iovec *iov,
		unsigned int nr)
{
	return do_register(r, "REGISTER_BUFFERS", UC_REGISTER_BUFFERS, iov, nr,
			   iov, nr);
}

int reg_buffers2(struct oracle_ring *r, const struct iovec *iov,
		 const __u64 *tags, unsigned int nr)
{
	struct io_uring_rsrc_register rr;

	memset(&rr, 0, sizeof(rr));
	rr.nr = nr;
	rr.data = (__u64)(uintptr_t)iov;
	rr.tags = (__u64)(uintptr_t)tags;
	return do_register(r, "REGISTER_BUFFERS2", UC_REGISTER_BUFFERS2, &rr,
			   sizeof(rr), iov, nr);
}

int reg_buffers_sparse(struct oracle_ring *r, unsigned int nr)
{
	struct io_uring_rsrc_register rr;

	memset(&rr, 0, sizeof(rr));
	rr.nr = nr;
	rr.flags = UC_RSRC_REGISTER_SPARSE;
	return do_register(r, "REGISTER_BUFFERS2", UC_REGISTER_BUFFERS2, &rr,
			   sizeof(rr), NULL, nr);
}

int reg_update(struct oracle_ring *r, unsigned int offset,
	       const struct iovec *iov, const __u64 *tags, unsigned int nr)
{
	struct io_uring_rsrc_update2 up;
	struct reg_delta d = {0};
	uintptr_t last_frame = 0;
	int ret;

	memset(&up, 0, sizeof(up));
	up.offset = offset;
	up.data = (__u64)(uintptr_t)iov;
	up.tags = (__u64)(uintptr_t)tags;
	up.nr = nr;
	ret = uc_register(r->fd, UC_REGISTER_BUFFERS_UPDATE, &up, sizeof(up));
	if (ret < 0) {
		oracle_reg_call(r, REG_UPDATE, "REGISTER_BUFFERS_UPDATE", -ret,
				NULL);
		return ret;
	}
	/*
	 * The kernel returns how many slots it wrote. It registers each new
	 * buffer while the old one is still in the table, then swaps it in.
	 */
	for (int i = 0; i < ret && offset + i < r->table_nr; i++) {
		struct table_slot s;

		slot_from_iovec(r, &iov[i], &last_frame, &s);
		delta_add_slot(&d, &s);
		record_pinned_twice(r, "REGISTER_BUFFERS_UPDATE", &s, 1);
		r->table[offset + i] = s;
	}
	oracle_reg_call(r, REG_UPDATE, "REGISTER_BUFFERS_UPDATE", 0, &d);
	return ret;
}

int reg_unregister(struct oracle_ring *r)
{
	struct reg_delta d = {0};
	int ret;

	ret = uc_register(r->fd, UC_UNREGISTER_BUFFERS, NULL, 0);
	if (ret < 0) {
		oracle_reg_call(r, REG_UNREGISTER, "UNREGISTER_BUFFERS", -ret,
				NULL);
		return ret;
	}
	for (unsigned int i = 0; i < r->table_nr; i++)
		delta_add_slot(&d, &r->table[i]);
	oracle_reg_call(r, REG_UNREGISTER, "UNREGISTER_BUFFERS", 0, &d);
	table_resize(r, 0);
	return ret;
}

int reg_clone(struct oracle_ring *dst, const struct oracle_ring *src,
	      __u32 flags, __u32 src_off, __u32 dst_off, __u32 nr)
{
	struct reg_delta d = {0};
	unsigned int old_nr = dst->table_nr, new_nr;
	int ret;

	ret = uc_clone_buffers(dst->fd, src->fd, flags, src_off, dst_off, nr);
	if (ret < 0) {
		oracle_reg_call(dst, REG_CLONE, "REGISTER_CLONE_BUFFERS", -ret,
				NULL);
		return ret;
	}
	if (!nr)
		nr = src->table_nr;
	/*
	 * The new table keeps the destination's slots outside
	 * [dst_off, dst_off + nr) (DST_REPLACE) and grows to hold the range.
	 */
	new_nr = dst_off + nr > old_nr ? dst_off + nr : old_nr;
	if (table_resize(dst, new_nr))
		new_nr = 0;
	for (unsigned int i = 0; i < nr && dst_off + i < new_nr; i++) {
		struct table_slot s = {0};

		if (src_off + i < src->table_nr)
			s = src->table[src_off + i];
		/* Shared pinned pages: this ring charged none of them. */
		s.acct_pages = 0;
		s.shared = s.present;
		dst->table[dst_off + i] = s;
		delta_add_slot(&d, &s);
	}
	d.shared = d.buffers;
	oracle_reg_call(dst, REG_CLONE, "REGISTER_CLONE_BUFFERS", 0, &d);
	oracle_clone_source(dst, src->fd, d.buffers);
	return ret;
}

/* The slot of another ring of the process holding the same buffer. */
static const struct table_slot *same_buffer(const struct oracle *o,
					    const struct oracle_ring *self,
					    const struct table_slot *s)
{
	for (int i = 0; i < o->nr_rings; i++) {
		const struct oracle_ring *r = o->rings[i];

		for (unsigned int j = 0; r != self && j < r->table_nr; j++)
			if (r->table[j].present && r->table[j].addr == s->addr &&
			    r->table[j].len == s->len)
				return &r->table[j];
	}
	return NULL;
}

/*
 * A look at a table sees each buffer as the kernel holds it: a cloned one
 * is shared by every table holding it, and shows the charge its
 * registration made in each of them.
 */
static void look_at(const struct oracle *o, const struct oracle_ring *r,
		    struct reg_delta *t)
{
	memset(t, 0, sizeof(*t));
	t->slots = r->table_nr;
	for (unsigned int i = 0; i < r->table_nr; i++) {
		const struct table_slot *s = &r->table[i];
		const struct table_slot *other;

		if (!s->present)
			continue;
		other = same_buffer(o, r, s);
		t->slots--;	/* delta_add_slot counts it again */
		delta_add_slot(t, s);
		if (s->shared || (other && other->shared)) {
			t->shared++;
			if (s->shared && other)
				t->acct_pages += other->acct_pages - s->acct_pages;
		}
	}
}

void oracle_attached(struct oracle *o)
{
	for (int i = 0; i < o->nr_rings; i++) {
		struct oracle_ring *r = o->rings[i];

		look_at(o, r, &r->registered);
		r->found = true;
		for (int k = 0; k < REG_NR_KINDS; k++) {
			json_object_put(r->reg[k].errors);
			json_object_put(r->reg[k].opcodes);
			memset(&r->reg[k], 0, sizeof(r->reg[k]));
			/* calls after the attach point count from here */
			r->reg[k].errors = json_object_new_object();
			r->reg[k].opcodes = json_object_new_object();
		}
	}
}

