/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Summing a ring's registered-buffer table: slots, buffers, bytes, pages,
 * huge-page coalescing, accounted pages and buffers shared with a clone source.
 */
#ifndef PS_TABLE_BPF_H
#define PS_TABLE_BPF_H

#include "maps.bpf.h"

struct walk_ctx {
	struct ps_table_ref dst;
	struct ps_table_ref src;	/* clone: the source table, else base NULL */
	__u32 first;
	__u32 src_first;
	__u32 hist_op;
	__u32 ring;		/* set when imu owners are tracked */
	__u32 pid;		/* the ring's process, for buffer records */
	bool hist;
	bool emit;		/* buffer records for check */
	bool look;		/* a look at the whole table, not a call's slots */
	struct ps_table_sum sum;
};

/* check: one compact record per filled slot, for ranges pinned twice */
static __always_inline void emit_buffer(__u32 ring, __u32 pid, __u32 slot, __u64 addr,
					__u64 len, __u32 opcode, bool shared)
{
	struct ps_buf_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PS_CNT_LOST_EVENTS);
		return;
	}
	e->type = PS_EV_BUFFER;
	e->ring = ring;
	e->pid = pid;
	e->slot = slot;
	e->ts_ns = bpf_ktime_get_ns();
	e->addr = addr;
	e->len = len;
	e->opcode = opcode;
	e->shared = shared;
	bpf_ringbuf_submit(e, 0);
}

static long walk_slot(__u32 i, struct walk_ctx *w)
{
	struct io_mapped_ubuf *imu;
	__u64 ubuf, len;
	bool shared;

	if (w->first + i >= w->dst.nr)
		return 1;
	w->sum.slots++;
	imu = ps_table_imu(&w->dst, w->first + i);
	if (!imu)
		return 0;
	ubuf = BPF_CORE_READ(imu, ubuf);
	len = ps_imu_len(imu);
	w->sum.buffers++;
	w->sum.bytes += len;
	w->sum.pages += span_pages(ubuf, len);
	w->sum.bvecs += BPF_CORE_READ(imu, nr_bvecs);
	if (ps_imu_folio_shift(imu) > PS_PAGE_SHIFT)
		w->sum.huge_buffers++;
	/*
	 * A clone shares the source's io_mapped_ubuf instead of pinning anew;
	 * the pages it accounts were charged once, by the source's registration.
	 * A look sees the table as it is: a buffer held by several tables is
	 * shared, and its charge shows in each.
	 */
	if (w->look)
		shared = ps_imu_refs(imu) > 1;
	else
		shared = w->src.base && ps_table_imu(&w->src, w->src_first + i) == imu;
	if (shared)
		w->sum.shared++;
	if (!shared || w->look)
		w->sum.acct_pages += ps_imu_acct_pages(imu);
	if (w->hist)
		hist_add(PS_HIST_BUF_SIZE, w->hist_op, len);
	if (w->emit)
		emit_buffer(w->ring, w->pid, w->first + i, ubuf, len, w->hist_op, shared);
	if (track_imu_owner && w->ring) {
		/* a clone's destination takes the shared buffer over */
		struct imu_owner own = { .ring = w->ring, .slot = w->first + i };
		struct imu_key ik = { .imu = (__u64)imu, .ring = w->ring };
		__u64 key = (__u64)imu;

		bpf_map_update_elem(&imu_owners, &key, &own, BPF_ANY);
		bpf_map_update_elem(&imu_slots, &ik, &own.slot, BPF_ANY);
	}
	return 0;
}

static __always_inline void table_walk(struct walk_ctx *w, void *ctx, __u32 first,
				       __u32 nr, __u32 hist_op, bool hist)
{
	ps_table_ref(ctx, &w->dst);
	w->first = first;
	w->hist_op = hist_op;
	w->hist = hist;
	if (!nr)
		nr = w->dst.nr > first ? w->dst.nr - first : 0;
	if (nr > PS_MAX_REG_BUFFERS)
		nr = PS_MAX_REG_BUFFERS;
	bpf_loop(nr, walk_slot, w, 0);
}

#endif /* PS_TABLE_BPF_H */
