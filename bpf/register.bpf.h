/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * io_uring_register(2) for buffers: entry (arguments, start time), the
 * io_uring_register tracepoint (the ring and its table after the call) and
 * exit (latency, result, aggregation, the trace record).
 */
#ifndef PS_REGISTER_BPF_H
#define PS_REGISTER_BPF_H

#include "maps.bpf.h"
#include "rings.bpf.h"
#include "table.bpf.h"

static __always_inline bool is_buffer_opcode(__u32 op)
{
	return op == PS_REG_BUFFERS || op == PS_UNREG_BUFFERS || op == PS_REG_BUFFERS2 ||
	       op == PS_REG_BUFFERS_UPDATE || op == PS_REG_CLONE_BUFFERS;
}

/* uapi argument layouts (stable ABI; pad fields of older kernels read as 0) */
struct ps_rsrc_update2 { __u32 offset, resv; __u64 data, tags; __u32 nr, resv2; };
struct ps_clone_args { __u32 src_fd, flags, src_off, dst_off, nr, pad[3]; };
struct ps_rsrc_register { __u32 nr, flags; __u64 resv2, data, tags; };
#define PS_CLONE_SRC_REGISTERED	1

/* ---- the doctor's numbers: what the call asks for, read at entry ---- */

struct iov_scan {
	const struct iovec *iov;
	struct ps_diag *diag;
	bool file_found;
};

static long vma_is_file(struct task_struct *task, struct vm_area_struct *vma, bool *file)
{
	*file = BPF_CORE_READ(vma, vm_file) != NULL;
	return 0;
}

static long scan_iovec(__u32 i, struct iov_scan *s)
{
	struct iovec v = {};
	__u64 base, len, span;
	bool file = false;

	if (bpf_probe_read_user(&v, sizeof(v), s->iov + i))
		return 1;
	base = (__u64)v.iov_base;
	len = v.iov_len;
	if (!base)
		return 0;	/* a sparse slot */
	span = span_pages(base, len);
	s->diag->req_pages += span;
	/* an unaligned buffer spans one page more than its length needs */
	s->diag->unaligned_extra += span - ((len + PS_PAGE_SIZE - 1) >> PS_PAGE_SHIFT);
	if (len > s->diag->max_len) {
		s->diag->max_len = len;
		s->diag->max_len_index = i;
	}
	if (!s->file_found &&
	    bpf_find_vma(bpf_get_current_task_btf(), base, vma_is_file, &file, 0) == 0 && file) {
		s->diag->file_index = i;
		s->file_found = true;
	}
	return 0;
}

static __always_inline void diagnose_enter(struct reg_call *call, __u32 opcode, void *arg,
					   __u32 nr_args)
{
	struct iov_scan s = { .diag = &call->diag };
	struct ps_table_ref t = {};
	__u32 n = 0;

	call->diag.memlock_limit = ps_task_memlock_limit();
	call->diag.locked_pages = call->fd_ctx ? ps_ctx_user_locked(call->fd_ctx) : -1;
	call->diag.file_index = -1;
	call->diag.max_len_index = -1;
	if (call->fd_ctx) {
		ps_table_ref(call->fd_ctx, &t);
		call->diag.table_nr = t.nr;
	}
	if (opcode == PS_REG_BUFFERS) {
		s.iov = arg;
		n = nr_args;
	} else if (opcode == PS_REG_BUFFERS2) {
		struct ps_rsrc_register rr = {};

		bpf_probe_read_user(&rr, sizeof(rr), arg);
		s.iov = (void *)rr.data;
		n = rr.data ? rr.nr : 0;
	} else if (opcode == PS_REG_BUFFERS_UPDATE) {
		struct ps_rsrc_update2 up = {};

		bpf_probe_read_user(&up, sizeof(up), arg);
		s.iov = (void *)up.data;
		n = up.nr;
	} else if (opcode == PS_REG_CLONE_BUFFERS && call->src_ctx) {
		ps_table_ref(call->src_ctx, &t);
		call->diag.src_table_nr = t.nr;
	}
	call->diag.nr_iovecs = n;	/* what was asked for, even past the limit */
	if (s.iov && n)
		bpf_loop(n > PS_MAX_REG_BUFFERS ? PS_MAX_REG_BUFFERS : n, scan_iovec, &s, 0);
}

static __always_inline void handle_register_enter(int fd, __u32 opcode_raw, void *arg,
						  __u32 nr_args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 opcode = opcode_raw & ~PS_REG_USE_REGISTERED_RING;
	bool registered = opcode_raw & PS_REG_USE_REGISTERED_RING;
	struct reg_call *call;

	if (!is_buffer_opcode(opcode) || !tgid_traced())
		return;
	bpf_map_update_elem(&reg_calls, &tid, &zero_call, BPF_ANY);
	call = bpf_map_lookup_elem(&reg_calls, &tid);
	if (!call)
		return;
	call->fd = fd;
	call->opcode = opcode;
	call->nr_args = nr_args;
	call->fd_ctx = ps_fd_ring_ctx(fd, registered);

	if (opcode == PS_REG_BUFFERS_UPDATE) {
		struct ps_rsrc_update2 up = {};

		bpf_probe_read_user(&up, sizeof(up), arg);
		call->first_slot = up.offset;
		call->nr_slots = up.nr;
	} else if (opcode == PS_REG_CLONE_BUFFERS) {
		struct ps_clone_args ca = {};

		bpf_probe_read_user(&ca, sizeof(ca), arg);
		call->src_fd = ca.src_fd;
		call->first_slot = ca.dst_off;
		call->src_first = ca.src_off;
		call->nr_slots = ca.nr;
		call->diag.flags = ca.flags;
		call->src_ctx = ps_fd_ring_ctx(ca.src_fd, ca.flags & PS_CLONE_SRC_REGISTERED);
	} else if (opcode == PS_UNREG_BUFFERS && call->fd_ctx) {
		/* the table is gone once the tracepoint fires: sum it now */
		struct walk_ctx w = {};

		table_walk(&w, call->fd_ctx, 0, 0, 0, false);
		call->pre = w.sum;
		call->pre_valid = true;
	}
	diagnose_enter(call, opcode, arg, nr_args);
	/* last, so the walks above are not part of the latency */
	call->start_ns = bpf_ktime_get_ns();
}

/* The table after the call; runs while the ring's lock is still held. */
static __always_inline void handle_register_done(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct reg_call *call = bpf_map_lookup_elem(&reg_calls, &tid);
	struct walk_ctx w = {};
	__u32 first = 0, nr = 0;
	bool hist = true;

	if (!call)
		return;
	call->end_ns = bpf_ktime_get_ns();
	call->tp_seen = true;
	call->ctx = ctx;
	if (ret < 0)
		return;
	if (track_imu_owner || emit_buffers)
		w.ring = ring_id(ctx);
	w.pid = bpf_get_current_pid_tgid() >> 32;
	w.emit = emit_buffers && w.ring;
	switch (call->opcode) {
	case PS_REG_BUFFERS:
	case PS_REG_BUFFERS2:
		break;
	case PS_REG_BUFFERS_UPDATE:
		first = call->first_slot;
		nr = call->nr_slots;
		break;
	case PS_REG_CLONE_BUFFERS:
		first = call->first_slot;
		nr = call->nr_slots;
		hist = false;
		if (call->src_ctx) {
			ps_table_ref(call->src_ctx, &w.src);
			w.src_first = call->src_first;
			if (!nr)	/* nr 0 clones the whole source table */
				nr = w.src.nr;
		}
		break;
	case PS_UNREG_BUFFERS:
		if (call->fd_ctx != ctx)
			call->pre_valid = false;
		call->sum = call->pre;
		return;
	default:
		return;
	}
	/*
	 * One call site: the verifier walks walk_slot once instead of once per
	 * opcode (three sites cost 1.3 s of verification per load under qemu).
	 */
	table_walk(&w, ctx, first, nr, call->opcode, hist);
	call->sum = w.sum;
}

static __always_inline void sum_add(struct ps_table_sum *dst, const struct ps_table_sum *s)
{
	__sync_fetch_and_add(&dst->slots, s->slots);
	__sync_fetch_and_add(&dst->buffers, s->buffers);
	__sync_fetch_and_add(&dst->bytes, s->bytes);
	__sync_fetch_and_add(&dst->pages, s->pages);
	__sync_fetch_and_add(&dst->bvecs, s->bvecs);
	__sync_fetch_and_add(&dst->huge_buffers, s->huge_buffers);
	__sync_fetch_and_add(&dst->acct_pages, s->acct_pages);
	__sync_fetch_and_add(&dst->shared, s->shared);
}

static __always_inline void inside_add(struct ps_inside *dst, const struct ps_inside *s)
{
	__sync_fetch_and_add(&dst->fn_ns, s->fn_ns);
	__sync_fetch_and_add(&dst->pinned_pages, s->pinned_pages);
	__sync_fetch_and_add(&dst->pin_ns, s->pin_ns);
	__sync_fetch_and_add(&dst->charged_pages, s->charged_pages);
	__sync_fetch_and_add(&dst->charge_ns, s->charge_ns);
	__sync_fetch_and_add(&dst->charge_failures, s->charge_failures);
	__sync_fetch_and_add(&dst->bufs_tried, s->bufs_tried);
	__sync_fetch_and_add(&dst->bufs_failed, s->bufs_failed);
}

static __always_inline void emit_register(struct reg_call *call, __u32 ring,
					  __u32 src_ring, long ret, __u64 lat)
{
	struct ps_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PS_CNT_LOST_EVENTS);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = PS_EV_REGISTER;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->ring = ring;
	e->ts_ns = call->start_ns;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->fd = call->fd;
	e->opcode = call->opcode;
	e->ret = ret;
	e->lat_ns = lat;
	e->src_ring = src_ring;
	e->nr_args = call->nr_args;
	e->sum = call->sum;
	e->inside = call->inside;
	e->diag = call->diag;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void handle_register_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct reg_call *call = bpf_map_lookup_elem(&reg_calls, &tid);
	struct ps_reg_key key = {};
	struct ps_reg_stats *st;
	__u32 ring = 0;
	__u64 end, lat;

	if (!call)
		return;
	end = call->tp_seen ? call->end_ns : bpf_ktime_get_ns();
	lat = end - call->start_ns;
	if (call->tp_seen) {
		ring = ring_id(call->ctx);
	} else if (call->fd_ctx) {
		/* failed before the ring was reached: only a ring we know */
		__u64 k = (__u64)call->fd_ctx;
		__u32 *id = bpf_map_lookup_elem(&ring_ids, &k);

		ring = id ? *id : 0;
	}
	if (!ring)
		goto out;
	key.ring = ring;
	key.opcode = call->opcode;
	if (call->opcode == PS_REG_CLONE_BUFFERS && ret >= 0)
		key.src_ring = ring_id(call->src_ctx);
	st = lookup_or_init(&reg_stats, &key, &zero_reg);
	if (!st)
		goto out;
	__sync_fetch_and_add(&st->calls, 1);
	__sync_fetch_and_add(&st->lat_total_ns, lat);
	/* min/max may race between threads of one ring; both stay plausible */
	if (!st->lat_min_ns || lat < st->lat_min_ns)
		st->lat_min_ns = lat;
	if (lat > st->lat_max_ns)
		st->lat_max_ns = lat;
	if (ret < 0) {
		struct ps_reg_err_key ek = { .ring = ring, .opcode = call->opcode, .err = -ret };
		__u64 *n;

		__sync_fetch_and_add(&st->failures, 1);
		n = lookup_or_init(&reg_errors, &ek, &zero_reg.calls);
		if (n)
			__sync_fetch_and_add(n, 1);
	} else {
		if (call->opcode == PS_UNREG_BUFFERS && !call->pre_valid)
			__builtin_memset(&call->sum, 0, sizeof(call->sum));
		sum_add(&st->sum, &call->sum);
	}
	inside_add(&st->inside, &call->inside);
	if (call->inside.pin_ns)
		hist_add(PS_HIST_PIN_LAT, call->opcode, call->inside.pin_ns);
	if (call->inside.charge_ns)
		hist_add(PS_HIST_CHARGE_LAT, call->opcode, call->inside.charge_ns);
	hist_add(PS_HIST_REG_LAT, call->opcode, lat);
	/* check's ranges need every call: an unregister drops a table's buffers */
	if (emit_events && (emit_all_events || emit_buffers || ret < 0))
		emit_register(call, ring, key.src_ring, ret, lat);
out:
	bpf_map_delete_elem(&reg_calls, &tid);
}

#endif /* PS_REGISTER_BPF_H */
