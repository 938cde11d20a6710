/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Handlers for hooks inside io_uring (fentry/fexit or kprobe/kretprobe,
 * chosen by user space before load): the registration functions, page
 * pinning, memlock charging and the per-IO buffer lookup. Each takes plain
 * values, so one body serves every flavour and every kernel's signature.
 */
#ifndef PS_INTERNALS_BPF_H
#define PS_INTERNALS_BPF_H

#include "maps.bpf.h"
#include "rings.bpf.h"

#define PS_IS_ERR(v)	((__u64)(v) >= (__u64)-4095)

static __always_inline __u32 cur_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline struct reg_call *cur_reg_call(void)
{
	return reg_call_current(false);
}

static __always_inline struct tstate *tstate_get(bool create)
{
	__u32 tid = cur_tid();

	return create ? lookup_or_init(&tstates, &tid, &zero_tstate)
		      : bpf_map_lookup_elem(&tstates, &tid);
}

/* io_sqe_buffers_register, io_register_clone_buffers, … : the op's own time */
static __always_inline void regfn_enter(void)
{
	struct reg_call *call = cur_reg_call();

	if (call)
		call->fn_start_ns = bpf_ktime_get_ns();
}

static __always_inline void regfn_exit(void)
{
	struct reg_call *call = cur_reg_call();

	if (call && call->fn_start_ns)
		call->inside.fn_ns += bpf_ktime_get_ns() - call->fn_start_ns;
}

/* io_sqe_buffer_register: one buffer of a registration */
static __always_inline void bufreg_exit(__u64 ret)
{
	struct reg_call *call = cur_reg_call();
	bool failed = bufreg_returns_ptr ? PS_IS_ERR(ret) : (int)ret < 0;

	if (!call)
		return;
	call->inside.bufs_tried++;
	if (failed)
		call->inside.bufs_failed++;
}

/* io_pin_pages(uaddr, len, int *npages): pinning for registrations and rings */
static __always_inline void pin_enter(__u64 npages_ptr)
{
	struct tstate *ts;

	if (!tgid_traced() || !(ts = tstate_get(true)))
		return;
	ts->in_pin = true;
	ts->npages_ptr = npages_ptr;
	ts->pin_start = bpf_ktime_get_ns();
}

static __always_inline void pin_exit(__u64 ret)
{
	struct tstate *ts = tstate_get(false);
	struct reg_call *call;
	int pages = 0;

	if (!ts || !ts->in_pin)
		return;
	ts->in_pin = false;
	if (ret && !PS_IS_ERR(ret))
		bpf_probe_read_kernel(&pages, sizeof(pages), (void *)ts->npages_ptr);
	call = cur_reg_call();
	if (call) {
		call->inside.pinned_pages += pages;
		call->inside.pin_ns += bpf_ktime_get_ns() - ts->pin_start;
	} else if (ts->in_setup) {
		ts->setup_pinned += pages;	/* NO_MMAP ring memory */
	}
}

/*
 * pin_user_pages*: a pin outside a registration, ring setup and
 * io_pin_pages is a pin made for one IO — what fixed buffers avoid.
 */
static __always_inline void pin_user_exit(__u64 ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct tstate *ts;
	struct ps_proc_stats *ps;
	int pages = (int)ret;

	if (pages <= 0 || !tgid_traced() || cur_reg_call())
		return;
	ts = tstate_get(false);
	if (ts && (ts->in_pin || ts->in_setup))
		return;
	ps = lookup_or_init(&proc_stats, &tgid, &zero_proc);
	if (!ps)
		return;
	__sync_fetch_and_add(&ps->io_pin_calls, 1);
	__sync_fetch_and_add(&ps->io_pinned_pages, pages);
	ps_process_comm(ps->comm);
}

/* __io_account_mem(user, nr) / io_account_mem(user, mm, nr): memlock charges */
static __always_inline void charge_enter(__u64 nr_pages)
{
	struct tstate *ts;

	if (!cur_reg_call() || !(ts = tstate_get(true)))
		return;
	ts->in_charge = true;
	ts->charge_nr = nr_pages;
	ts->charge_start = bpf_ktime_get_ns();
}

static __always_inline void charge_exit(__u64 ret)
{
	struct tstate *ts = tstate_get(false);
	struct reg_call *call = cur_reg_call();

	if (!ts || !ts->in_charge)
		return;
	ts->in_charge = false;
	if (!call)
		return;
	call->inside.charge_ns += bpf_ktime_get_ns() - ts->charge_start;
	if ((int)ret == 0)
		call->inside.charged_pages += ts->charge_nr;
	else
		call->inside.charge_failures++;
}

/* The per-IO buffer lookup: io_import_reg_buf / io_import_reg_vec (6.13+). */
static __always_inline void import_req_enter(struct io_kiocb *req, __u64 buf_addr, bool vec)
{
	__u32 ring = ring_id(BPF_CORE_READ(req, ctx));
	struct tstate *ts;

	if (!ring || !(ts = tstate_get(true)))
		return;
	ts->imp_ring = ring;
	ts->imp_op = BPF_CORE_READ(req, opcode);
	ts->imp_idx = BPF_CORE_READ(req, buf_index);
	ts->imp_req = (__u64)req;
	ts->imp_vec = vec;
	ts->imp_buf_addr = buf_addr;
	ts->imp_offset = false;
	ts->imp_start = bpf_ktime_get_ns();
}

/* io_import_fixed(ddir, iter, imu, buf_addr, len) (up to 6.12): no request */
static __always_inline void import_imu_enter(struct io_mapped_ubuf *imu, __u64 buf_addr)
{
	__u64 key = (__u64)imu;
	struct imu_owner *own = bpf_map_lookup_elem(&imu_owners, &key);
	struct tstate *ts = tstate_get(false);
	struct imu_key ik = { .imu = key };
	__u32 *slot;

	if (!own || !ts)
		return;
	ts->imp_ring = own->ring;
	ts->imp_idx = own->slot;
	if (ts->enter_ctx) {
		__u64 ck = ts->enter_ctx;
		__u32 *ring = bpf_map_lookup_elem(&ring_ids, &ck);

		ik.ring = ring ? *ring : 0;
		slot = bpf_map_lookup_elem(&imu_slots, &ik);
		if (slot) {
			ts->imp_ring = ik.ring;
			ts->imp_idx = *slot;
		}
	}
	ts->imp_op = PS_OP_UNKNOWN;
	ts->imp_req = 0;
	ts->imp_offset = BPF_CORE_READ(imu, ubuf) != buf_addr;
	ts->imp_start = bpf_ktime_get_ns();
}

static __always_inline void import_exit(__u64 ret)
{
	struct tstate *ts = tstate_get(false);
	struct ps_import_key key = {};
	struct ps_import_stats *st;
	__u64 lat;

	if (!ts || !ts->imp_start)
		return;
	lat = bpf_ktime_get_ns() - ts->imp_start;
	ts->imp_start = 0;
	if (ts->imp_req && !ts->imp_vec && (int)ret == 0) {
		/* the lookup is done now: the request points at the buffer */
		struct io_mapped_ubuf *imu = ps_req_imu((void *)ts->imp_req);

		if (imu)
			ts->imp_offset = BPF_CORE_READ(imu, ubuf) != ts->imp_buf_addr;
	}
	if (ts->imp_req) {
		__u8 one = 1;

		/* counted already: a second lookup of the same request */
		if (bpf_map_update_elem(&imported_reqs, &ts->imp_req, &one, BPF_NOEXIST))
			return;
	}
	key.ring = ts->imp_ring;
	key.opcode = ts->imp_op;
	key.buf_index = ts->imp_idx;
	st = lookup_or_init(&imports, &key, &zero_import);
	if (!st)
		return;
	st->imports++;
	st->lat_ns += lat;
	if ((int)ret < 0)
		st->errors++;
	if (ts->imp_offset)
		st->offset_imports++;
	hist_add(PS_HIST_IMPORT_LAT, ts->imp_op, lat);
}

/* io_uring_enter(2) names the ring whose requests are prepared and issued */
#define PS_ENTER_REGISTERED_RING	(1U << 4)

static __always_inline void enter_enter(int fd, __u32 flags)
{
	struct tstate *ts;

	if (!tgid_traced() || !(ts = tstate_get(true)))
		return;
	ts->enter_ctx = (__u64)ps_fd_ring_ctx(fd, flags & PS_ENTER_REGISTERED_RING);
}

static __always_inline void enter_exit(void)
{
	struct tstate *ts = tstate_get(false);

	if (ts)
		ts->enter_ctx = 0;
}

/* io_uring_setup(2) brackets pins of ring memory (NO_MMAP) */
static __always_inline void setup_enter(void)
{
	struct tstate *ts;

	if (!tgid_traced() || !(ts = tstate_get(true)))
		return;
	ts->in_setup = true;
	ts->setup_pinned = 0;
}

static __always_inline void setup_exit(void)
{
	struct tstate *ts = tstate_get(false);

	if (ts)
		ts->in_setup = false;
}

#endif /* PS_INTERNALS_BPF_H */
