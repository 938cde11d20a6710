// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Every lookup is by index, never a scan of all live buffers: check runs
 * this for each slot record, and a scan per record made a service of tens
 * of thousands of registered buffers cost check seconds of CPU per table
 * (it fell behind the ring buffer and lost records).
 *
 * Indexes (red-black trees from libbsd's tree.h):
 *  - rings, by (ring, pid): each ring's slots, an array indexed by slot;
 *  - pinners, one tree per size class (log2 of the pages), by (pid, start):
 *    a class's buffers are at least half its longest, so an overlap query
 *    visits O(1) buffers per class beyond the ones it finds;
 *  - shared (clones' slots), by (pid, start, end): who takes a pin over.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/sys/tree.h>
#include "ranges.h"

#define PAGE_SHIFT_4K	12
#define NR_CLASSES	64

struct live_buf {
	uint32_t pid, ring, slot;
	bool shared;
	uint64_t start, end;	/* page-aligned span [start, end) */
	RB_ENTRY(live_buf) link;	/* in its class's pinners, or in shared */
};

struct ring_slots {
	uint32_t ring, pid;
	uint32_t cap, live;
	struct live_buf **slot;	/* [cap], NULL where empty */
	RB_ENTRY(ring_slots) link;
};

struct dup {
	struct pinned_twice v;
	bool pending;		/* overlapped by slots whose call has not ended yet */
};

RB_HEAD(ring_tree, ring_slots);
RB_HEAD(pin_tree, live_buf);
RB_HEAD(share_tree, live_buf);

struct ranges {
	struct ring_tree rings;
	struct pin_tree pinners[NR_CLASSES];
	uint64_t classes;	/* bit k: pinners[k] is not empty */
	size_t class_nr[NR_CLASSES];
	struct share_tree shared;
	struct dup *dups;
	size_t nr_dups, last_dup, nr_pending;
	struct pinned_twice_more more;
	/* calls whose pages went to `more`, until their registration record */
	struct { uint32_t ring, opcode; } more_pending[16];
	size_t nr_more_pending;
	struct pinned_twice *out;
};

static int cmp_u64(uint64_t a, uint64_t b)
{
	return (a > b) - (a < b);
}

static int ring_cmp(const struct ring_slots *a, const struct ring_slots *b)
{
	return a->ring != b->ring ? cmp_u64(a->ring, b->ring) : cmp_u64(a->pid, b->pid);
}

/* ring and slot last: equal spans of several slots are distinct nodes */
static int pin_cmp(const struct live_buf *a, const struct live_buf *b)
{
	if (a->pid != b->pid)
		return cmp_u64(a->pid, b->pid);
	if (a->start != b->start)
		return cmp_u64(a->start, b->start);
	if (a->ring != b->ring)
		return cmp_u64(a->ring, b->ring);
	return cmp_u64(a->slot, b->slot);
}

static int share_cmp(const struct live_buf *a, const struct live_buf *b)
{
	if (a->pid != b->pid || a->start != b->start)
		return pin_cmp(a, b);
	if (a->end != b->end)
		return cmp_u64(a->end, b->end);
	return pin_cmp(a, b);
}

/* RB_GENERATE_STATIC's __unused is left undefined by libbsd (it clashes with Linux headers) */
#define RB_STATIC	__attribute__((unused)) static
RB_GENERATE_INTERNAL(ring_tree, ring_slots, link, ring_cmp, RB_STATIC)
RB_GENERATE_INTERNAL(pin_tree, live_buf, link, pin_cmp, RB_STATIC)
RB_GENERATE_INTERNAL(share_tree, live_buf, link, share_cmp, RB_STATIC)

/* k where the span's pages are in [2^k, 2^(k+1)); an empty span: 0 */
static unsigned int size_class(const struct live_buf *b)
{
	uint64_t pages = (b->end - b->start) >> PAGE_SHIFT_4K;

	return pages > 1 ? 63 - __builtin_clzll(pages) : 0;
}

struct ranges *ranges_new(void)
{
	struct ranges *r = calloc(1, sizeof(struct ranges));

	if (!r)
		return NULL;
	RB_INIT(&r->rings);
	RB_INIT(&r->shared);
	for (int k = 0; k < NR_CLASSES; k++)
		RB_INIT(&r->pinners[k]);
	return r;
}

void ranges_free(struct ranges *r)
{
	struct ring_slots *rs;

	if (!r)
		return;
	/* out of the tree before it is freed: a walk goes through parents */
	while ((rs = RB_MIN(ring_tree, &r->rings))) {
		ring_tree_RB_REMOVE(&r->rings, rs);
		for (uint32_t i = 0; i < rs->cap; i++)
			free(rs->slot[i]);
		free(rs->slot);
		free(rs);
	}
	free(r->dups);
	free(r->out);
	free(r);
}

/* ---- the indexes ------------------------------------------------------------ */

static void index_add(struct ranges *r, struct live_buf *b)
{
	unsigned int k;

	if (b->shared) {
		share_tree_RB_INSERT(&r->shared, b);
		return;
	}
	k = size_class(b);
	pin_tree_RB_INSERT(&r->pinners[k], b);
	r->class_nr[k]++;
	r->classes |= 1ULL << k;
}

static void index_del(struct ranges *r, struct live_buf *b)
{
	unsigned int k;

	if (b->shared) {
		share_tree_RB_REMOVE(&r->shared, b);
		return;
	}
	k = size_class(b);
	pin_tree_RB_REMOVE(&r->pinners[k], b);
	if (!--r->class_nr[k])
		r->classes &= ~(1ULL << k);
}

static struct ring_slots *ring_find(struct ranges *r, uint32_t ring, uint32_t pid)
{
	struct ring_slots key = { .ring = ring, .pid = pid };

	return ring_tree_RB_FIND(&r->rings, &key);
}

/* ring's slot table, made (and grown to hold slot) when want */
static struct ring_slots *ring_get(struct ranges *r, uint32_t ring, uint32_t pid, uint32_t slot)
{
	struct ring_slots *rs = ring_find(r, ring, pid);

	if (!rs) {
		rs = calloc(1, sizeof(*rs));
		if (!rs)
			return NULL;
		rs->ring = ring;
		rs->pid = pid;
		ring_tree_RB_INSERT(&r->rings, rs);
	}
	if (slot >= rs->cap) {
		uint32_t cap = rs->cap ? rs->cap : 16;
		struct live_buf **ns;

		while (cap <= slot)
			cap *= 2;
		if (cap > PS_MAX_REG_BUFFERS)
			cap = PS_MAX_REG_BUFFERS;
		ns = realloc(rs->slot, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		memset(ns + rs->cap, 0, (cap - rs->cap) * sizeof(*ns));
		rs->slot = ns;
		rs->cap = cap;
	}
	return rs;
}

static void ring_put_if_empty(struct ranges *r, struct ring_slots *rs)
{
	if (rs->live)
		return;
	ring_tree_RB_REMOVE(&r->rings, rs);
	free(rs->slot);
	free(rs);
}

/* ---- dropping slots ------------------------------------------------------ */

/* Pinners dropped by one change, handed over once the change is whole. */
struct gone_pins {
	struct live_buf few[16], *v;	/* an update's slot: one */
	size_t nr, cap;
};

static void gone_init(struct gone_pins *g)
{
	g->v = g->few;
	g->nr = 0;
	g->cap = 16;
}

/* Takes b (unindexed) in; no memory: its pin is not handed over. */
static void gone_add(struct gone_pins *g, struct live_buf *b)
{
	if (!b->shared && g->nr == g->cap) {
		struct live_buf *more = malloc(2 * g->cap * sizeof(*more));

		if (more) {
			memcpy(more, g->v, g->nr * sizeof(*more));
			if (g->v != g->few)
				free(g->v);
			g->v = more;
			g->cap *= 2;
		}
	}
	if (!b->shared && g->nr < g->cap)
		g->v[g->nr++] = *b;
	free(b);
}

/*
 * When the ring that pinned a buffer lets go of it, a clone of it keeps the
 * pages pinned: that copy, in another ring of the process, becomes the
 * pinner. Run after the whole change, so no pin goes to a slot it drops.
 */
static void gone_hand_over(struct ranges *r, struct gone_pins *g)
{
	for (size_t i = 0; i < g->nr; i++) {
		const struct live_buf *p = &g->v[i];
		struct live_buf key = { .pid = p->pid, .start = p->start, .end = p->end };
		struct live_buf *c = share_tree_RB_NFIND(&r->shared, &key);

		for (; c && c->pid == p->pid && c->start == p->start && c->end == p->end;
		     c = share_tree_RB_NEXT(c))
			if (c->ring != p->ring)
				break;
		if (!c || c->pid != p->pid || c->start != p->start || c->end != p->end)
			continue;
		share_tree_RB_REMOVE(&r->shared, c);
		c->shared = false;
		index_add(r, c);
	}
	if (g->v != g->few)
		free(g->v);
	gone_init(g);
}

/* Drops rs's slots [lo, hi); rs goes when it holds none. */
static void drop_slots(struct ranges *r, struct ring_slots *rs, uint64_t lo, uint64_t hi,
		       struct gone_pins *g)
{
	if (hi > rs->cap)
		hi = rs->cap;
	for (uint64_t i = lo; i < hi && rs->live; i++) {
		struct live_buf *b = rs->slot[i];

		if (!b)
			continue;
		rs->slot[i] = NULL;
		rs->live--;
		index_del(r, b);
		gone_add(g, b);
	}
	ring_put_if_empty(r, rs);
}

#define ALL_SLOTS	0, ((uint64_t)UINT32_MAX + 1)

/* Drops pid's (0: any) bufs of ring (0: any) in slots [lo, hi). */
static void drop_where(struct ranges *r, uint32_t pid, uint32_t ring, uint64_t lo, uint64_t hi)
{
	struct ring_slots *rs, *next;
	struct gone_pins g;

	gone_init(&g);
	if (ring && pid) {
		rs = ring_find(r, ring, pid);
		if (rs)
			drop_slots(r, rs, lo, hi, &g);
	} else {
		/* a process's exit: its rings, in a tree of every ring */
		RB_FOREACH_SAFE(rs, ring_tree, &r->rings, next)
			if ((!pid || rs->pid == pid) && (!ring || rs->ring == ring))
				drop_slots(r, rs, lo, hi, &g);
	}
	gone_hand_over(r, &g);
}

/*
 * Rings a look found gone leave as their close would have made them: the
 * close record may have been lost, and a ring kept forever would make each
 * later registration of its pages look pinned twice.
 */
static void on_gone(struct ranges *r, const struct ps_gone_event *e)
{
	struct gone_pins g;

	gone_init(&g);
	for (uint32_t i = 0; i < e->nr; i++) {
		struct ring_slots key = { .ring = e->ids[i] }, *rs, *next;

		/* pid is the second key: this ring in whichever process */
		for (rs = ring_tree_RB_NFIND(&r->rings, &key); rs && rs->ring == e->ids[i]; rs = next) {
			next = ring_tree_RB_NEXT(rs);
			drop_slots(r, rs, ALL_SLOTS, &g);
		}
	}
	gone_hand_over(r, &g);
}

/* ---- pinned twice ------------------------------------------------------------ */

static struct pinned_twice *dup_for(struct ranges *r, uint32_t pid, uint32_t ring,
				    uint32_t other, uint32_t opcode)
{
	struct dup *d;

	/* a table's slots overlap one other ring's, one after another */
	for (size_t n = 0, i = r->last_dup; n < r->nr_dups; n++, i = (i + 1) % r->nr_dups) {
		d = &r->dups[i];
		if (d->v.pid == pid && d->v.ring == ring && d->v.other_ring == other &&
		    d->v.opcode == opcode) {
			r->nr_pending += !d->pending;
			d->pending = true;
			r->last_dup = i;
			return &d->v;
		}
	}
	if (r->nr_dups >= RANGES_KEEP_PAIRS)
		return NULL;
	d = realloc(r->dups, (r->nr_dups + 1) * sizeof(*d));
	if (!d)
		return NULL;
	r->dups = d;
	r->last_dup = r->nr_dups;
	d = &r->dups[r->nr_dups++];
	memset(d, 0, sizeof(*d));
	d->v = (struct pinned_twice){ .pid = pid, .ring = ring, .other_ring = other,
				      .opcode = opcode, .start = ~0ULL };
	d->pending = true;
	r->nr_pending++;
	return &d->v;
}

/* Pages of a pair past the list: summed, and the call marked for its record. */
static void more_add(struct ranges *r, uint32_t ring, uint32_t opcode, uint64_t pages)
{
	size_t i;

	r->more.pages += pages;
	for (i = 0; i < r->nr_more_pending; i++)
		if (r->more_pending[i].ring == ring && r->more_pending[i].opcode == opcode)
			return;
	/* more calls at once than this: the newest is not counted */
	if (i < sizeof(r->more_pending) / sizeof(r->more_pending[0])) {
		r->more_pending[i].ring = ring;
		r->more_pending[i].opcode = opcode;
		r->nr_more_pending++;
	}
}

/* Counts each pinner of b's process in another ring that b overlaps. */
static void count_overlaps(struct ranges *r, const struct live_buf *b, uint32_t opcode)
{
	for (uint64_t m = r->classes; m; m &= m - 1) {
		unsigned int k = __builtin_ctzll(m);
		/* a class-k span is shorter than 2^(k+1) pages */
		uint64_t reach = k + 1 + PAGE_SHIFT_4K < 64 ? 1ULL << (k + 1 + PAGE_SHIFT_4K) : ~0ULL;
		struct live_buf key = { .pid = b->pid, .start = b->start > reach ? b->start - reach : 0 };
		struct live_buf *o;

		for (o = pin_tree_RB_NFIND(&r->pinners[k], &key);
		     o && o->pid == b->pid && o->start < b->end; o = pin_tree_RB_NEXT(o)) {
			uint64_t lo = o->start > b->start ? o->start : b->start;
			uint64_t hi = o->end < b->end ? o->end : b->end;
			struct pinned_twice *d;

			if (o->ring == b->ring || lo >= hi)
				continue;
			d = dup_for(r, b->pid, b->ring, o->ring, opcode);
			if (!d) {
				more_add(r, b->ring, opcode, (hi - lo) >> PAGE_SHIFT_4K);
				continue;
			}
			d->pages += (hi - lo) >> PAGE_SHIFT_4K;
			if (lo < d->start)
				d->start = lo;
			if (hi > d->end)
				d->end = hi;
		}
	}
}

/* ---- records ------------------------------------------------------------------ */

/* Puts a copy of b in its ring's slot, which the caller emptied. */
static void insert(struct ranges *r, const struct live_buf *b)
{
	struct ring_slots *rs = ring_get(r, b->ring, b->pid, b->slot);
	struct live_buf *nb;

	if (!rs || rs->slot[b->slot])
		return;
	nb = malloc(sizeof(*nb));
	if (!nb) {
		ring_put_if_empty(r, rs);
		return;
	}
	*nb = *b;
	rs->slot[b->slot] = nb;
	rs->live++;
	index_add(r, nb);
}

static void on_buffer(struct ranges *r, const struct ps_buf_event *e)
{
	struct live_buf b = { .pid = e->pid, .ring = e->ring, .slot = e->slot,
			      .shared = e->shared != 0,
			      .start = e->addr >> PAGE_SHIFT_4K << PAGE_SHIFT_4K,
			      .end = ((e->addr + e->len + 4095) >> PAGE_SHIFT_4K) << PAGE_SHIFT_4K };

	if (e->slot >= PS_MAX_REG_BUFFERS)
		return;		/* no table has it: not a record of the kernel's */
	drop_where(r, e->pid, e->ring, e->slot, e->slot + 1ULL);	/* an update replaces the slot */
	/* a clone's slot shares its source's pin: only pinners count */
	if (!b.shared)
		count_overlaps(r, &b, e->opcode);
	insert(r, &b);
}

/* A walk's slots, a record of up to PS_BUFS_PER_EVENT: each as its own record. */
static void on_buffers(struct ranges *r, const struct ps_bufs_event *e, size_t size)
{
	const size_t head = offsetof(struct ps_bufs_event, v);

	if (size < head || e->nr > PS_BUFS_PER_EVENT ||
	    (size - head) / sizeof(e->v[0]) < e->nr)
		return;
	for (uint32_t i = 0; i < e->nr; i++) {
		struct ps_buf_event one = { .type = PS_EV_BUFFER, .ring = e->ring, .pid = e->pid,
					    .slot = e->v[i].slot, .ts_ns = e->ts_ns,
					    .addr = e->v[i].addr, .len = e->v[i].len,
					    .opcode = e->opcode, .shared = e->v[i].shared };

		on_buffer(r, &one);
	}
}

/*
 * A clone: its slots share the source's buffers, as the source's slots hold
 * them now (a replaced slot loses what it held). A source slot this side
 * never saw yields no slot.
 */
static void on_clone(struct ranges *r, const struct ps_clone_event *e)
{
	uint64_t nr = e->nr, src_end = (uint64_t)e->src_first + nr;
	struct ring_slots key = { .ring = e->src_ring }, *src;
	struct live_buf *copy;
	size_t n = 0;

	drop_where(r, e->pid, e->ring, e->first, (uint64_t)e->first + nr);
	/* the source by ring alone: a clone may take another process's table */
	src = ring_tree_RB_NFIND(&r->rings, &key);
	if (!src || src->ring != e->src_ring || e->src_first >= src->cap)
		return;
	if (src_end > src->cap)
		src_end = src->cap;
	copy = malloc((src_end - e->src_first) * sizeof(*copy));
	if (!copy)
		return;
	for (uint64_t i = e->src_first; i < src_end; i++) {
		const struct live_buf *b = src->slot[i];
		uint64_t slot = i - e->src_first + e->first;

		if (!b || slot >= PS_MAX_REG_BUFFERS)
			continue;
		copy[n] = *b;
		copy[n].pid = e->pid;
		copy[n].ring = e->ring;
		copy[n].slot = slot;
		copy[n].shared = true;
		n++;
	}
	/* copied first: a ring cloning its own table writes where it reads */
	for (size_t i = 0; i < n; i++)
		insert(r, &copy[i]);
	free(copy);
}

/* A registration's record comes after its slots: it carries the time spent. */
static void on_register(struct ranges *r, const struct ps_event *e)
{
	if (e->ret < 0)
		return;
	if (e->opcode == PS_UNREG_BUFFERS) {
		drop_where(r, e->pid, e->ring, ALL_SLOTS);
		return;
	}
	for (size_t i = 0; i < r->nr_more_pending; i++) {
		if (r->more_pending[i].ring != e->ring || r->more_pending[i].opcode != e->opcode)
			continue;
		r->more.pin_ns += e->inside.pin_ns ? e->inside.pin_ns : e->lat_ns;
		r->more.calls++;
		r->more_pending[i] = r->more_pending[--r->nr_more_pending];
		break;
	}
	for (size_t i = 0; i < r->nr_dups && r->nr_pending; i++) {
		struct dup *d = &r->dups[i];

		if (!d->pending || d->v.ring != e->ring || d->v.opcode != e->opcode)
			continue;
		/* pinning time where a hook measured it, else the whole call */
		d->v.pin_ns += e->inside.pin_ns ? e->inside.pin_ns : e->lat_ns;
		d->v.calls++;
		d->pending = false;
		r->nr_pending--;
	}
}

void ranges_on_event(struct ranges *r, const void *data, size_t size)
{
	const struct ps_buf_event *be = data;

	switch (be->type) {
	case PS_EV_BUFFER:
		if (size >= sizeof(*be))
			on_buffer(r, be);
		break;
	case PS_EV_BUFFERS:
		on_buffers(r, data, size);
		break;
	case PS_EV_CLONE:
		if (size >= sizeof(struct ps_clone_event))
			on_clone(r, data);
		break;
	case PS_EV_RING_CLOSE:
		if (size >= sizeof(*be))
			drop_where(r, be->pid, be->ring, ALL_SLOTS);
		break;
	case PS_EV_PROC_EXIT:
		if (size >= sizeof(*be))
			drop_where(r, be->pid, 0, ALL_SLOTS);
		break;
	case PS_EV_REGISTER:
		if (size >= sizeof(struct ps_event))
			on_register(r, data);
		break;
	case PS_EV_RINGS_GONE:
		if (size >= sizeof(struct ps_gone_event) &&
		    (size - sizeof(struct ps_gone_event)) / sizeof(__u32) >=
			    ((const struct ps_gone_event *)data)->nr)
			on_gone(r, data);
		break;
	}
}

void ranges_keep_pairs(struct ranges *r, bool (*keep)(uint32_t ring, void *cookie), void *cookie)
{
	size_t kept = 0, pending = 0;

	for (size_t i = 0; i < r->nr_dups; i++)
		if (keep(r->dups[i].v.ring, cookie)) {
			pending += r->dups[i].pending;
			r->dups[kept++] = r->dups[i];
		}
	r->nr_dups = kept;
	r->nr_pending = pending;
	r->last_dup = 0;
}

size_t ranges_violations(const struct ranges *r, const struct pinned_twice **out)
{
	struct ranges *w = (struct ranges *)r;

	free(w->out);
	w->out = calloc(r->nr_dups + 1, sizeof(*w->out));
	if (!w->out)
		return 0;
	for (size_t i = 0; i < r->nr_dups; i++)
		w->out[i] = r->dups[i].v;
	*out = w->out;
	return r->nr_dups;
}

struct pinned_twice_more ranges_more(const struct ranges *r)
{
	return r->more;
}
