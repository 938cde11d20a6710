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
#include "doctor.bpf.h"

static __always_inline bool is_buffer_opcode(__u32 op)
{
	return op == PS_REG_BUFFERS || op == PS_UNREG_BUFFERS || op == PS_REG_BUFFERS2 ||
	       op == PS_REG_BUFFERS_UPDATE || op == PS_REG_CLONE_BUFFERS;
}

static __always_inline void handle_register_enter(int fd, __u32 opcode_raw, void *arg,
						  __u32 nr_args, bool direct)
{
	__u32 opcode = opcode_raw & ~PS_REG_USE_REGISTERED_RING;
	bool registered = opcode_raw & PS_REG_USE_REGISTERED_RING;
	struct ps_clone_args ca = {};
	struct reg_call *call;

	if (!is_buffer_opcode(opcode) || !tgid_traced())
		return;
	call = reg_call_current(true);
	if (!call)
		return;
	call->fd = fd;
	call->opcode = opcode;
	call->nr_args = nr_args;
	call->arg = (__u64)arg;
	/* the io_uring_register tracepoint names the ring; only unregister needs it now */
	if (opcode == PS_UNREG_BUFFERS)
		call->fd_ctx = ps_fd_ring_ctx_as(fd, registered, direct);

	if (opcode == PS_REG_BUFFERS_UPDATE) {
		struct ps_rsrc_update2 up = {};

		bpf_probe_read_user(&up, sizeof(up), arg);
		call->first_slot = up.offset;
		call->nr_slots = up.nr;
	} else if (opcode == PS_REG_CLONE_BUFFERS) {
		bpf_probe_read_user(&ca, sizeof(ca), arg);
		call->src_fd = ca.src_fd;
		call->first_slot = ca.dst_off;
		call->src_first = ca.src_off;
		call->nr_slots = ca.nr;
		call->src_ctx = ps_fd_ring_ctx_as(ca.src_fd, ca.flags & PS_CLONE_SRC_REGISTERED,
						  direct);
	} else if (opcode == PS_UNREG_BUFFERS && call->fd_ctx) {
		/* the table is gone once the tracepoint fires: its kept sum, or a walk now */
		if (!table_sum_take(call->fd_ctx, &call->pre, &call->pre_ring, direct)) {
			struct walk_ctx w = {};

			table_walk(&w, call->fd_ctx, 0, 0, 0, false);
			call->pre = w.sum;
		}
		call->pre_valid = true;
	}
	diagnose_enter(call, opcode == PS_REG_CLONE_BUFFERS ? &ca : NULL, direct);
	/* last, so the work above is not part of the latency */
	call->start_ns = bpf_ktime_get_ns();
}

/*
 * A clone of a source's whole table into a ring that had none: its numbers
 * are the source's kept sum, every buffer shared, and what the clone charged
 * is the owner's locked memory after the call minus before (0 unless the
 * kernel charged it again). Per-slot records (check, where the source ring
 * has no id) and the imu owners (internals) still need the walk.
 */
static __always_inline bool clone_from_kept(struct reg_call *call, void *ctx,
					    const struct walk_ctx *w, __u32 first, __u32 nr,
					    bool direct)
{
	struct table_sum *kept;
	struct walk_ctx d = { .ring = w->ring };
	__s64 locked;

	/* without DST_REPLACE a clone succeeds only into a ring with no table */
	if (w->emit || track_imu_owner || first || w->src_first || nr != w->src.nr ||
	    (call->diag.flags & PS_CLONE_DST_REPLACE))
		return false;
	kept = table_sum_get(call->src_ctx, direct);
	if (!kept)
		return false;
	call->src_ring = kept->ring;
	call->sum = kept->sum;
	/* the destination's table now holds the same buffers */
	ps_table_ref_as(ctx, &d.dst, direct);
	d.sum = kept->sum;
	d.acct_all = kept->sum.acct_pages;
	table_sum_put(ctx, &d);
	call->sum.shared = kept->sum.buffers;
	call->sum.acct_pages = 0;
	locked = ps_ctx_user_locked_as(ctx, direct);
	if (call->diag.locked_pages >= 0 && locked > call->diag.locked_pages)
		call->sum.acct_pages = locked - call->diag.locked_pages;
	return true;
}

/*
 * What a successful call did to the table, from the table after it; runs
 * while the ring's lock is still held. direct: the program's kernel has
 * bpf_rdonly_cast (inline loads).
 */
static __always_inline void done_sums(struct reg_call *call, void *ctx, __u32 ring, bool direct)
{
	struct walk_ctx w = { .ring = ring };
	__u32 first = 0, nr = 0, src_ring;
	bool hist = true;

	w.emit = emit_buffers && w.ring;
	if (w.emit)
		w.pid = bpf_get_current_pid_tgid() >> 32;
	switch (call->opcode) {
	case PS_REG_BUFFERS:
	case PS_REG_BUFFERS2:
		break;
	case PS_REG_BUFFERS_UPDATE:
		first = call->first_slot;
		nr = call->nr_slots;
		/* the replaced buffers are not known here: the kept sum goes */
		table_sum_drop(ctx);
		break;
	case PS_REG_CLONE_BUFFERS:
		first = call->first_slot;
		nr = call->nr_slots;
		hist = false;
		if (call->src_ctx) {
			ps_table_ref_as(call->src_ctx, &w.src, direct);
			w.src_first = call->src_first;
			if (!nr)	/* nr 0 clones the whole source table */
				nr = w.src.nr;
			/* check: one record for the slots; its user side copies the source's */
			if (w.emit && (src_ring = ring_id(call->src_ctx))) {
				call->src_ring = src_ring;
				emit_clone(w.ring, w.pid, src_ring, w.src_first, first, nr);
				w.emit = false;
			}
			if (clone_from_kept(call, ctx, &w, first, nr, direct))
				return;
		}
		table_sum_drop(ctx);
		break;
	case PS_UNREG_BUFFERS:
		/* entry took fd_ctx's kept sum; another ring's is not this table's */
		if (call->fd_ctx != ctx) {
			call->pre_valid = false;
			table_sum_drop(ctx);
		}
		call->sum = call->pre;
		return;
	default:
		return;
	}
	/*
	 * One call site: the verifier walks walk_slot once instead of once per
	 * opcode (three sites cost 1.3 s of verification per load under qemu).
	 */
	table_walk_with(&w, ctx, first, nr, call->opcode, hist, direct);
	call->sum = w.sum;
	/*
	 * A whole new table (a registration, a clone into an empty ring, an
	 * update of every slot): keep its sum. Decided from the arguments,
	 * never from the walk's counts (the verifier would have to track them
	 * exactly).
	 */
	if (!first && w.dst.nr <= PS_MAX_REG_BUFFERS &&
	    (call->opcode == PS_REG_BUFFERS || call->opcode == PS_REG_BUFFERS2 ||
	     (call->opcode == PS_REG_BUFFERS_UPDATE && nr == w.dst.nr) ||
	     (call->opcode == PS_REG_CLONE_BUFFERS &&
	      !(call->diag.flags & PS_CLONE_DST_REPLACE) && nr == w.dst.nr)))
		table_sum_put(ctx, &w);
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

/*
 * Every byte of the record written once, no memset first: what a trace
 * record costs lands on the traced call (fresh ring-buffer lines, ~650
 * bytes zeroed then filled took ~120 ns of it). A success leaves out the
 * diagnosis (PS_EVENT_REG_OK_SIZE).
 */
static __always_inline void register_record(struct ps_event *e, struct reg_call *call,
					    __u32 ring, __u32 src_ring, long ret, __u64 lat)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	e->type = PS_EV_REGISTER;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ring = ring;
	e->ts_ns = call->start_ns;
	/* loaded from the task (the helper cost ~80 ns here): as racy as the helper */
	__builtin_memcpy(e->comm, task->comm, sizeof(e->comm));
	e->fd = call->fd;
	e->opcode = call->opcode;
	e->ret = ret;
	e->lat_ns = lat;
	e->src_ring = src_ring;
	e->nr_args = call->nr_args;
	e->sum = call->sum;
	e->inside = call->inside;
	bpf_ringbuf_submit(e, ps_rb_wakeup());
}

/*
 * Two reservations, each filled on its own path: with one reservation of
 * either size, 6.1's verifier took the short one for the failure's diag.
 */
static __always_inline void emit_register(struct reg_call *call, __u32 ring,
					  __u32 src_ring, long ret, __u64 lat)
{
	struct ps_event *e;

	if (ret < 0) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			e->diag = call->diag;
			__builtin_memset(&e->ring_info, 0, sizeof(e->ring_info));
			register_record(e, call, ring, src_ring, ret, lat);
			return;
		}
	} else {
		e = bpf_ringbuf_reserve(&events, PS_EVENT_REG_OK_SIZE, 0);
		if (e) {
			register_record(e, call, ring, src_ring, ret, lat);
			return;
		}
	}
	count(PS_CNT_LOST_EVENTS);
}

/* The call's numbers into the ring's statistics (and records); ends the call. */
static __always_inline void finish_call(struct reg_call *call, void *ctx, __u32 ring,
					long ret, __u64 lat)
{
	struct ps_reg_key key = {};
	struct ps_reg_stats *st;

	if (!ring)
		goto out;
	key.ring = ring;
	key.opcode = call->opcode;
	if (call->opcode == PS_REG_CLONE_BUFFERS && ret >= 0)
		key.src_ring = call->src_ring ?: ring_id(call->src_ctx);
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
	/* zero without hooks inside io_uring (tracepoint backend): no atomics then */
	if (call->inside.fn_ns || call->inside.pinned_pages || call->inside.pin_ns ||
	    call->inside.charged_pages || call->inside.charge_ns ||
	    call->inside.charge_failures || call->inside.bufs_tried || call->inside.bufs_failed)
		inside_add(&st->inside, &call->inside);
	if (call->inside.pin_ns)
		hist_add(PS_HIST_PIN_LAT, call->opcode, call->inside.pin_ns);
	if (call->inside.charge_ns)
		hist_add(PS_HIST_CHARGE_LAT, call->opcode, call->inside.charge_ns);
	hist_add(PS_HIST_REG_LAT, call->opcode, lat);
	/*
	 * trace wants every call, check too (its ranges: an unregister drops a
	 * table's buffers); stat only the failures, for the doctor
	 */
	if (emit_events && (emit_all_events || emit_buffers || ret < 0)) {
		if (ret < 0)
			diagnose_failure(call, ctx);
		emit_register(call, ring, key.src_ring, ret, lat);
	}
out:
	call->live = false;
}

/*
 * The io_uring_register tracepoint fires for every call that reached a
 * ring, failed or not, just before the system call returns: the call ends
 * here, and no program needs to run at the system call's exit (its
 * tracepoint costs every call a second trip through the tracing path).
 */
static __always_inline void handle_register_done(void *ctx, __u32 opcode, long ret,
						 bool direct)
{
	struct reg_call *call = reg_call_current(false);
	__u64 end = bpf_ktime_get_ns();
	__u32 ring;

	/* slots written in place: a look's kept sum may predate them (table_sum_seed) */
	opcode &= ~PS_REG_USE_REGISTERED_RING;
	if (opcode == PS_REG_BUFFERS_UPDATE || opcode == PS_REG_CLONE_BUFFERS) {
		__sync_fetch_and_add(&table_mods, 1);
		if (!call)	/* begun before tracing: its sum is not done_sums' to drop */
			table_sum_drop(ctx);
	}
	if (!call)
		return;
	call->tp_seen = true;
	call->ctx = ctx;
	/* an unregister's ring id came with its kept sum */
	if (call->opcode == PS_UNREG_BUFFERS && call->fd_ctx == ctx && call->pre_ring)
		ring = call->pre_ring;
	else
		ring = ring_id(ctx);
	if (ret >= 0)
		done_sums(call, ctx, ring, direct);
	finish_call(call, ctx, ring, ret, end - call->start_ns);
}

/*
 * At the system call's exit (fentry/kprobe flavours, which cost little):
 * a call the tracepoint did not end never reached a ring, unless the fd
 * named one we know.
 */
static __always_inline void handle_register_exit(long ret)
{
	struct reg_call *call = reg_call_current(false);
	__u32 ring = 0;

	if (!call)
		return;
	if (call->fd_ctx) {
		__u64 k = (__u64)call->fd_ctx;
		__u32 *id = bpf_map_lookup_elem(&ring_ids, &k);

		ring = id ? *id : 0;
	}
	finish_call(call, call->fd_ctx, ring, ret, bpf_ktime_get_ns() - call->start_ns);
}

#endif /* PS_REGISTER_BPF_H */
