/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Summing a ring's registered-buffer table: slots, buffers, bytes, pages,
 * huge-page coalescing, accounted pages and buffers shared with a clone source.
 *
 * What the walk costs lands on the application's io_uring_register(2), so:
 * fields load inline where the kernel has bpf_rdonly_cast (walk_slot_direct),
 * the buffer-size histogram is updated once per run of equal log2 sizes, and
 * each table's sum is kept (table_sums) so that an unregister and a clone of
 * a whole table need no walk at all.
 */
#ifndef PS_TABLE_BPF_H
#define PS_TABLE_BPF_H

#include "maps.bpf.h"

/*
 * A ring's table as last summed, by io_ring_ctx address. Valid while the
 * table is the one summed: same array and slot count (a registration
 * allocates a new array; an update, which keeps both, drops the entry).
 */
struct table_sum {
	__u64 base;
	__u32 nr;
	__u32 ring;		/* the ring's id when summed (0: unknown), saving a lookup */
	struct ps_table_sum sum;	/* as an unregister reports it */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct table_sum);
} table_sums SEC(".maps");

struct walk_ctx {
	struct ps_table_ref dst;
	struct ps_table_ref src;	/* clone: the source table, else base NULL */
	__u32 first;
	__u32 src_first;
	__u32 hist_op;
	__u32 ring;		/* the table's ring id (0: none known) */
	__u32 pid;		/* the ring's process, for buffer records */
	bool hist;
	bool emit;		/* buffer records for check, into buf_batches[batch] */
	__u32 batch;
	bool look;		/* a look at the whole table, not a call's slots */
	__u32 run_slot;		/* buffer-size histogram: the current run's bucket */
	__u64 run_len;		/* … and how many buffers it holds so far */
	__u64 acct_all;		/* acct_pages of every buffer, shared or not */
	struct ps_table_sum sum;
};

/*
 * check's slot records, gathered per CPU and sent PS_BUFS_PER_EVENT at a
 * time. A walk preempted on its CPU by another thread's walk leaves its
 * batch half full: the second takes the next one (busy marks them).
 *
 * Global functions: the verifier checks each once, apart from the table
 * walk, whose states the batch's branches would multiply (ps_reg_done took
 * 51,000 instructions to verify with them inlined, 37,000 before).
 */
#define PS_BATCH_DEPTH	2

struct buf_batch {
	__u32 busy;
	__u32 pad;
	struct ps_bufs_event e;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_BATCH_DEPTH);
	__type(key, __u32);
	__type(value, struct buf_batch);
} buf_batches SEC(".maps");

static __always_inline void batch_flush(struct buf_batch *b)
{
	__u32 nr = b->e.nr;

	if (!nr || nr > PS_BUFS_PER_EVENT)
		return;
	b->e.ts_ns = bpf_ktime_get_ns();
	if (bpf_ringbuf_output(&events, &b->e,
			       offsetof(struct ps_bufs_event, v) + nr * sizeof(struct ps_buf_slot),
			       ps_rb_wakeup()))
		count(PS_CNT_LOST_EVENTS);
	b->e.nr = 0;
}

/*
 * A free batch of this CPU for a walk's slots, or -1 (their records are
 * lost). Unrolled by hand: 6.1's verifier takes a loop here for an
 * infinite one.
 */
__noinline int ps_batch_begin(__u32 ring, __u32 pid, __u32 opcode)
{
	__u32 first = 0, second = 1;
	struct buf_batch *b = bpf_map_lookup_elem(&buf_batches, &first);
	int i = 0;

	if (!b || b->busy) {
		b = bpf_map_lookup_elem(&buf_batches, &second);
		i = 1;
	}
	if (!b || b->busy) {
		count(PS_CNT_LOST_EVENTS);
		return -1;
	}
	b->busy = 1;
	b->e.type = PS_EV_BUFFERS;
	b->e.ring = ring;
	b->e.pid = pid;
	b->e.opcode = opcode;
	b->e.nr = 0;
	b->e.pad = 0;
	return i;
}

__noinline int ps_batch_put(__u32 batch, __u64 addr, __u64 len, __u32 slot, __u32 shared)
{
	struct buf_batch *b = bpf_map_lookup_elem(&buf_batches, &batch);
	__u32 n;

	if (!b)
		return 0;
	n = b->e.nr;
	if (n >= PS_BUFS_PER_EVENT)
		return 0;
	b->e.v[n].addr = addr;
	b->e.v[n].len = len;
	b->e.v[n].slot = slot;
	b->e.v[n].shared = shared;
	b->e.nr = n + 1;
	if (n + 1 == PS_BUFS_PER_EVENT)
		batch_flush(b);
	return 0;
}

__noinline int ps_batch_end(__u32 batch)
{
	struct buf_batch *b = bpf_map_lookup_elem(&buf_batches, &batch);

	if (!b)
		return 0;
	batch_flush(b);
	b->busy = 0;
	return 0;
}

/* check: one record for a clone's slots (they hold the source's buffers) */
static __always_inline void emit_clone(__u32 ring, __u32 pid, __u32 src_ring, __u32 src_first,
				       __u32 first, __u32 nr)
{
	struct ps_clone_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PS_CNT_LOST_EVENTS);
		return;
	}
	e->type = PS_EV_CLONE;
	e->ring = ring;
	e->pid = pid;
	e->src_ring = src_ring;
	e->src_first = src_first;
	e->first = first;
	e->nr = nr;
	e->pad = 0;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, ps_rb_wakeup());
}

/*
 * Never branches on run_len: a count the verifier must track exactly would
 * keep bpf_loop's callback from converging (each iteration a new state).
 */
static __always_inline void hist_flush(struct walk_ctx *w)
{
	__u32 slot = w->run_slot;
	struct ps_hist *h;

	if (slot >= PS_HIST_SLOTS)
		return;		/* no run yet */
	h = hist_of(PS_HIST_BUF_SIZE, w->hist_op);
	barrier_var(slot);
	if (h && slot < PS_HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], w->run_len);
	w->run_len = 0;
}

static __always_inline void walk_one(struct walk_ctx *w, __u32 i, bool direct)
{
	struct ps_imu_facts f = {};
	struct io_mapped_ubuf *imu;
	bool shared;

	w->sum.slots++;
	imu = direct ? ps_table_imu_direct(&w->dst, w->first + i) :
		       ps_table_imu(&w->dst, w->first + i);
	if (!imu)
		return;
	if (direct)
		ps_imu_facts_direct(imu, &f);
	else
		ps_imu_facts_read(imu, &f);
	w->sum.buffers++;
	w->sum.bytes += f.len;
	w->sum.pages += span_pages(f.ubuf, f.len);
	w->sum.bvecs += f.nr_bvecs;
	if (f.folio_shift > PS_PAGE_SHIFT)
		w->sum.huge_buffers++;
	w->acct_all += f.acct_pages;
	/*
	 * A clone shares the source's io_mapped_ubuf instead of pinning anew;
	 * the pages it accounts were charged once, by the source's registration.
	 * A look sees the table as it is: a buffer held by several tables is
	 * shared, and its charge shows in each.
	 */
	if (w->look)
		shared = ps_imu_refs(imu) > 1;
	else
		shared = w->src.base &&
			 (direct ? ps_table_imu_direct(&w->src, w->src_first + i) :
				   ps_table_imu(&w->src, w->src_first + i)) == imu;
	if (shared)
		w->sum.shared++;
	if (!shared || w->look)
		w->sum.acct_pages += f.acct_pages;
	if (w->hist) {
		__u32 slot = ps_log2_slot(f.len);

		if (slot != w->run_slot)
			hist_flush(w);
		w->run_slot = slot;
		w->run_len++;
	}
	if (w->emit)
		ps_batch_put(w->batch, f.ubuf, f.len, w->first + i, shared);
	if (track_imu_owner && w->ring) {
		/* a clone's destination takes the shared buffer over */
		struct imu_owner own = { .ring = w->ring, .slot = w->first + i };
		struct imu_key ik = { .imu = (__u64)imu, .ring = w->ring };
		__u64 key = (__u64)imu;

		bpf_map_update_elem(&imu_owners, &key, &own, BPF_ANY);
		bpf_map_update_elem(&imu_slots, &ik, &own.slot, BPF_ANY);
	}
}

static long walk_slot(__u32 i, struct walk_ctx *w)
{
	if (w->first + i >= w->dst.nr)
		return 1;
	walk_one(w, i, false);
	return 0;
}

static long walk_slot_direct(__u32 i, struct walk_ctx *w)
{
	if (w->first + i >= w->dst.nr)
		return 1;
	walk_one(w, i, true);
	return 0;
}

/* Walks nr slots from first (0: to the end); direct: inline loads. */
static __always_inline void table_walk_with(struct walk_ctx *w, void *ctx, __u32 first,
					    __u32 nr, __u32 hist_op, bool hist, bool direct)
{
	ps_table_ref_as(ctx, &w->dst, direct);
	w->first = first;
	w->hist_op = hist_op;
	w->hist = hist;
	w->run_slot = PS_HIST_SLOTS;
	if (!nr)
		nr = w->dst.nr > first ? w->dst.nr - first : 0;
	if (nr > PS_MAX_REG_BUFFERS)
		nr = PS_MAX_REG_BUFFERS;
	if (w->emit) {
		int b = ps_batch_begin(w->ring, w->pid, hist_op);

		w->emit = b >= 0;
		w->batch = b;
	}
	bpf_loop(nr, direct ? (void *)walk_slot_direct : (void *)walk_slot, w, 0);
	if (w->emit)
		ps_batch_end(w->batch);
	hist_flush(w);
}

/* The same with probe reads: every program type, every kernel. */
static __always_inline void table_walk(struct walk_ctx *w, void *ctx, __u32 first,
				       __u32 nr, __u32 hist_op, bool hist)
{
	table_walk_with(w, ctx, first, nr, hist_op, hist, false);
}

/* ---- kept sums ------------------------------------------------------------ */

static __always_inline bool table_sum_valid(const struct table_sum *ts, void *ctx, bool direct)
{
	struct ps_table_ref t = {};

	ps_table_ref_as(ctx, &t, direct);
	return ts->base && ts->base == (__u64)t.base && ts->nr == t.nr;
}

/* The sum kept for ctx's current table, or NULL. */
static __always_inline struct table_sum *table_sum_get(void *ctx, bool direct)
{
	__u64 key = (__u64)ctx;
	struct table_sum *ts = bpf_map_lookup_elem(&table_sums, &key);

	return ts && table_sum_valid(ts, ctx, direct) ? ts : NULL;
}

/*
 * An unregister's: the kept sum of ctx's table into *out, or false. Either
 * way the entry goes now, with the one lookup (the table is gone by the
 * call's end). A call that then fails leaves a table without a kept sum,
 * which its next unregister or clone walks.
 */
static __always_inline bool table_sum_take(void *ctx, struct ps_table_sum *out, __u32 *ring,
					   bool direct)
{
	__u64 key = (__u64)ctx;
	struct table_sum *ts = bpf_map_lookup_elem(&table_sums, &key);
	bool valid;

	if (!ts)
		return false;
	valid = table_sum_valid(ts, ctx, direct);
	if (valid) {
		*out = ts->sum;
		*ring = ts->ring;
	}
	ts->base = 0;
	ts->nr = 0;
	return valid;
}

/* After a walk of ctx's whole table (no source): keep its sum. */
/*
 * Written in place where the ring has an entry: an LRU map's update and
 * delete move nodes between its lists, ~150 ns of each call. The ring's
 * registration calls are serialized by its lock, so no two write at once.
 */
static __always_inline void table_sum_put(void *ctx, const struct walk_ctx *w)
{
	struct table_sum ts = { .base = (__u64)w->dst.base, .nr = w->dst.nr, .ring = w->ring,
				.sum = w->sum };
	__u64 key = (__u64)ctx;
	struct table_sum *old = bpf_map_lookup_elem(&table_sums, &key);

	ts.sum.acct_pages = w->acct_all;
	ts.sum.shared = 0;
	if (old)
		*old = ts;
	else
		bpf_map_update_elem(&table_sums, &key, &ts, BPF_NOEXIST);
}

/*
 * Calls that write slots in place (update, clone), counted at each one's
 * end, tracked or not, before its kept sum goes: a look that walked while
 * the count moved keeps nothing (table_sum_seed).
 */
__u64 table_mods = 0;

/*
 * A look's walk of ctx's whole table, kept for the table's later unregister
 * or clone where no sum is kept yet (a ring registered before tracing
 * began: a clone from it walked its every slot). Never overwrites: the
 * calls' own sums are written in place, without a lock against a look.
 * mods: table_mods before the walk. A slot written in place during the
 * walk either moved the count before the check below, or its call's end
 * comes after the insert and drops it.
 */
static __always_inline void table_sum_seed(void *ctx, const struct walk_ctx *w, __u64 mods)
{
	struct table_sum ts = { .base = (__u64)w->dst.base, .nr = w->dst.nr, .ring = w->ring,
				.sum = w->sum };
	__u64 key = (__u64)ctx;

	if (!ts.base || !ts.nr || ts.nr > PS_MAX_REG_BUFFERS)
		return;
	ts.sum.acct_pages = w->acct_all;
	ts.sum.shared = 0;
	if (bpf_map_update_elem(&table_sums, &key, &ts, BPF_NOEXIST))
		return;
	/* an atomic read: a full barrier after the insert (the call's end bumps, then drops) */
	if (__sync_fetch_and_add(&table_mods, 0) != mods)
		bpf_map_delete_elem(&table_sums, &key);
}

/* No table of this slot count is at base 0: the entry matches no table. */
static __always_inline void table_sum_drop(void *ctx)
{
	__u64 key = (__u64)ctx;
	struct table_sum *ts = bpf_map_lookup_elem(&table_sums, &key);

	if (ts) {
		ts->base = 0;
		ts->nr = 0;
	}
}

#endif /* PS_TABLE_BPF_H */
