// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ranges.h"
#include "sort.h"

#define PAGE_SHIFT_4K	12

struct live_buf {
	uint32_t pid, ring, slot;
	uint64_t start, end;	/* page-aligned span [start, end) */
	bool shared;
};

struct dup {
	struct pinned_twice v;
	bool pending;		/* overlapped by slots whose call has not ended yet */
};

struct ranges {
	struct live_buf *bufs;
	size_t nr, cap;
	struct dup *dups;
	size_t nr_dups;
	struct pinned_twice *out;
};

struct ranges *ranges_new(void)
{
	return calloc(1, sizeof(struct ranges));
}

void ranges_free(struct ranges *r)
{
	if (!r)
		return;
	free(r->bufs);
	free(r->dups);
	free(r->out);
	free(r);
}

static int by_span(const void *a, const void *b)
{
	const struct live_buf *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/*
 * When the ring that pinned a buffer lets go of it, a clone of it keeps the
 * pages pinned: that copy becomes the pinner. gone: the pinners that went
 * (sorted here); each hands its pin to one clone, whose `shared` it takes
 * as the mark that it has. One pass over the live buffers: a pass per gone
 * buffer made a 4,096-buffer table's end take check seconds.
 */
static void hand_pins_to_clones(struct ranges *r, struct live_buf *gone, size_t nr_gone)
{
	qsort(gone, nr_gone, sizeof(*gone), by_span);
	for (size_t i = 0; i < r->nr; i++) {
		struct live_buf *b = &r->bufs[i];
		size_t lo = 0, hi = nr_gone;

		if (!b->shared)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (by_span(&gone[mid], b) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nr_gone && !by_span(&gone[lo], b); lo++)
			if (!gone[lo].shared && gone[lo].ring != b->ring) {
				gone[lo].shared = true;
				b->shared = false;
				break;
			}
	}
}

/* Whether a live buf is to go; the cookie says which. */
typedef bool (*buf_match_fn)(const struct live_buf *b, const void *cookie);

/*
 * Drops the bufs match picks; the pinners among them hand their pin to a
 * clone. Inlined with its match: check runs it for every slot record.
 */
static inline __attribute__((always_inline)) void
drop_matching(struct ranges *r, buf_match_fn match, const void *cookie)
{
	size_t kept = 0, nr = r->nr, nr_gone = 0, cap = 16;
	struct live_buf few[16], *gone = few;	/* an update's slot: one */

	for (size_t i = 0; i < nr; i++) {
		struct live_buf *b = &r->bufs[i];

		if (!match(b, cookie)) {
			r->bufs[kept++] = *b;
			continue;
		}
		if (b->shared)
			continue;
		if (nr_gone == cap) {
			struct live_buf *more = malloc(2 * cap * sizeof(*more));

			/* no memory: the pins past these are not handed over */
			if (!more)
				continue;
			memcpy(more, gone, nr_gone * sizeof(*more));
			if (gone != few)
				free(gone);
			gone = more;
			cap *= 2;
		}
		gone[nr_gone++] = *b;
	}
	r->nr = kept;
	if (nr_gone)
		hand_pins_to_clones(r, gone, nr_gone);
	if (gone != few)
		free(gone);
}

struct slot_range {
	uint32_t pid, ring;	/* 0: any */
	uint64_t lo, hi;	/* slots [lo, hi) */
};

static bool in_slot_range(const struct live_buf *b, const void *cookie)
{
	const struct slot_range *w = cookie;

	return (!w->pid || b->pid == w->pid) && (!w->ring || b->ring == w->ring) &&
	       b->slot >= w->lo && b->slot < w->hi;
}

/* Drops pid's (0: any) bufs of ring (0: any) in slots [lo, hi). */
static void drop_where(struct ranges *r, uint32_t pid, uint32_t ring, uint64_t lo, uint64_t hi)
{
	struct slot_range w = { pid, ring, lo, hi };

	drop_matching(r, in_slot_range, &w);
}

#define ALL_SLOTS	0, ((uint64_t)UINT32_MAX + 1)

static bool of_gone_ring(const struct live_buf *b, const void *cookie)
{
	const struct ps_gone_event *e = cookie;

	return ps_u32_in(e->ids, e->nr, b->ring);
}

/*
 * Rings a look found gone leave as their close would have made them: the
 * close record may have been lost, and a ring kept forever would make each
 * later registration of its pages look pinned twice.
 */
static void on_gone(struct ranges *r, const struct ps_gone_event *e)
{
	if (e->nr)
		drop_matching(r, of_gone_ring, e);
}

static void append(struct ranges *r, const struct live_buf *b)
{
	if (r->nr == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		struct live_buf *nb = realloc(r->bufs, cap * sizeof(*nb));

		if (!nb)
			return;
		r->bufs = nb;
		r->cap = cap;
	}
	r->bufs[r->nr++] = *b;
}

static struct pinned_twice *dup_for(struct ranges *r, uint32_t pid, uint32_t ring,
				    uint32_t other, uint32_t opcode)
{
	struct dup *d;

	for (size_t i = 0; i < r->nr_dups; i++) {
		d = &r->dups[i];
		if (d->v.pid == pid && d->v.ring == ring && d->v.other_ring == other &&
		    d->v.opcode == opcode) {
			d->pending = true;
			return &d->v;
		}
	}
	d = realloc(r->dups, (r->nr_dups + 1) * sizeof(*d));
	if (!d)
		return NULL;
	r->dups = d;
	d = &r->dups[r->nr_dups++];
	memset(d, 0, sizeof(*d));
	d->v = (struct pinned_twice){ .pid = pid, .ring = ring, .other_ring = other,
				      .opcode = opcode, .start = ~0ULL };
	d->pending = true;
	return &d->v;
}

static void on_buffer(struct ranges *r, const struct ps_buf_event *e)
{
	uint64_t start = e->addr >> PAGE_SHIFT_4K << PAGE_SHIFT_4K;
	uint64_t end = ((e->addr + e->len + 4095) >> PAGE_SHIFT_4K) << PAGE_SHIFT_4K;

	drop_where(r, e->pid, e->ring, e->slot, e->slot + 1ULL);	/* an update replaces the slot */
	if (!e->shared) {
		for (size_t i = 0; i < r->nr; i++) {
			const struct live_buf *o = &r->bufs[i];
			uint64_t lo = o->start > start ? o->start : start;
			uint64_t hi = o->end < end ? o->end : end;
			struct pinned_twice *d;

			/* a clone's slot shares its source's pin: only pinners count */
			if (o->shared || o->pid != e->pid || o->ring == e->ring || lo >= hi)
				continue;
			d = dup_for(r, e->pid, e->ring, o->ring, e->opcode);
			if (!d)
				continue;
			d->pages += (hi - lo) >> PAGE_SHIFT_4K;
			if (lo < d->start)
				d->start = lo;
			if (hi > d->end)
				d->end = hi;
		}
	}
	append(r, &(struct live_buf){ e->pid, e->ring, e->slot, start, end, e->shared != 0 });
}

/*
 * A clone: its slots share the source's buffers, as the source's slots hold
 * them now (a replaced slot loses what it held). A source slot this side
 * never saw yields no slot.
 */
static void on_clone(struct ranges *r, const struct ps_clone_event *e)
{
	uint64_t src_end = (uint64_t)e->src_first + e->nr;
	size_t nr;

	drop_where(r, e->pid, e->ring, e->first, (uint64_t)e->first + e->nr);
	nr = r->nr;
	for (size_t i = 0; i < nr; i++) {
		struct live_buf b = r->bufs[i];

		if (b.ring != e->src_ring || b.slot < e->src_first || b.slot >= src_end)
			continue;
		b.pid = e->pid;
		b.ring = e->ring;
		b.slot = b.slot - e->src_first + e->first;
		b.shared = true;
		append(r, &b);
	}
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
	for (size_t i = 0; i < r->nr_dups; i++) {
		struct dup *d = &r->dups[i];

		if (!d->pending || d->v.ring != e->ring || d->v.opcode != e->opcode)
			continue;
		/* pinning time where a hook measured it, else the whole call */
		d->v.pin_ns += e->inside.pin_ns ? e->inside.pin_ns : e->lat_ns;
		d->v.calls++;
		d->pending = false;
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
	size_t kept = 0;

	for (size_t i = 0; i < r->nr_dups; i++)
		if (keep(r->dups[i].v.ring, cookie))
			r->dups[kept++] = r->dups[i];
	r->nr_dups = kept;
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
