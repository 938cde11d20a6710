// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope's BPF half: follows io_uring registered buffers from registration
 * to per-IO use. Counting and histograms are aggregated here; the ring buffer
 * carries only ring creations and registration calls (rare), never per-IO
 * records. Each measurement has one handler body; the attach flavour that
 * calls it (tp_btf, classic tracepoint, later fentry/kprobe) is chosen by
 * user space before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "compat.bpf.h"
#include "pinscope.h"
#include "pinscope_hist.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Knobs, set by user space between open and load. */
const volatile bool filter_tgid = false;	/* only the traced process tree */
const volatile bool emit_events = false;	/* ring-buffer records (trace) */
const volatile bool io_latency = false;		/* submit->complete hist (hist) */
const volatile __u32 bio_pinned_bit = 0xff;	/* BIO_PAGE_PINNED, 0xff = none */

/* io_uring's kiocb completion callbacks identify its O_DIRECT requests. */
extern const void io_complete_rw __ksym __weak;
extern const void io_complete_rw_iopoll __ksym __weak;

__u32 next_ring_id = 0;
__u64 pinned_reqs_pending = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PS_MAX_TRACED_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/*
 * io_ring_ctx address -> ring id. Internal to the BPF side: a freed ring's
 * address may be reused by a new ring, which then gets a new id.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PS_MAX_RINGS);
	__type(key, __u64);
	__type(value, __u32);
} ring_ids SEC(".maps");

/* Ring id -> what we know of the ring; kept after the ring is gone. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PS_MAX_RINGS);
	__type(key, __u32);
	__type(value, struct ps_ring);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * PS_MAX_RINGS);
	__type(key, struct ps_reg_key);
	__type(value, struct ps_reg_stats);
} reg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * PS_MAX_RINGS);
	__type(key, struct ps_reg_err_key);
	__type(value, __u64);
} reg_errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PS_MAX_IO_KEYS);
	__type(key, struct ps_io_key);
	__type(value, struct ps_io_stats);
} io_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, PS_MAX_RINGS);
	__type(key, __u32);
	__type(value, struct ps_pin_stats);
} pin_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PS_MAX_TRACED_TGIDS);
	__type(key, __u32);
	__type(value, struct ps_proc_stats);
} proc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ps_hist_key);
	__type(value, struct ps_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* An io_uring_register(2) call in flight, by thread. */
struct reg_call {
	__u64 start_ns;
	__u64 end_ns;		/* when the io_uring_register tracepoint fired */
	void *ctx;		/* from the tracepoint (trusted) */
	void *fd_ctx;		/* resolved from the fd at entry (candidate) */
	void *src_ctx;		/* clone source, resolved from src_fd */
	__s32 fd;
	__u32 opcode;
	__u32 nr_args;
	__u32 first_slot;	/* update / clone: first table slot written */
	__u32 nr_slots;		/* update / clone: slots written, 0 = whole */
	__u32 src_first;	/* clone: first source slot */
	__u32 src_fd;
	bool tp_seen;
	bool pre_valid;		/* pre holds the table an unregister drops */
	struct ps_table_sum pre;
	struct ps_table_sum sum;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct reg_call);
} reg_calls SEC(".maps");

/* io_uring requests whose O_DIRECT pinned user pages, until they complete. */
struct pinned_req {
	__u32 ring;
	__u32 pad;
	__u64 pages;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pinned_req);
} pinned_reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} io_start SEC(".maps");

static const struct ps_hist zero_hist;
static const struct ps_reg_stats zero_reg;
static const struct ps_io_stats zero_io;
static const struct ps_pin_stats zero_pin;
static const struct ps_proc_stats zero_proc;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Look up a key, inserting the zero value first when it is missing. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

static __always_inline bool tgid_traced(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return !filter_tgid || bpf_map_lookup_elem(&traced, &tgid);
}

static __always_inline void hist_add(__u32 kind, __u32 op, __u64 value)
{
	struct ps_hist_key key = { .kind = kind, .op = op };
	struct ps_hist *h = lookup_or_init(&hists, &key, &zero_hist);
	__u32 slot = ps_log2_slot(value);

	if (h && slot < PS_HIST_SLOTS)
		__sync_fetch_and_add(&h->slots[slot], 1);
}

static __always_inline __u64 span_pages(__u64 addr, __u64 len)
{
	if (!len)
		return 0;
	return ((addr + len + PS_PAGE_SIZE - 1) >> PS_PAGE_SHIFT) - (addr >> PS_PAGE_SHIFT);
}

/* ---- rings ---------------------------------------------------------- */

static __always_inline __u32 ring_new(void *ctx, int fd, __u32 origin, __u64 update_flags,
				      __u32 sq_entries, __u32 cq_entries)
{
	__u64 key = (__u64)ctx;
	struct ps_ring r = {};

	r.id = __sync_fetch_and_add(&next_ring_id, 1) + 1;
	if (bpf_map_update_elem(&ring_ids, &key, &r.id, update_flags)) {
		/* NOEXIST lost a race: another CPU adopted the ring first */
		__u32 *id = bpf_map_lookup_elem(&ring_ids, &key);

		return id ? *id : 0;
	}
	r.pid = bpf_get_current_pid_tgid() >> 32;
	r.fd = fd;
	r.origin = origin;
	r.setup_flags = ps_ctx_setup_flags(ctx);
	r.region_pages = ps_ctx_region_pages(ctx);
	r.sq_entries = sq_entries;
	r.cq_entries = cq_entries;
	r.created_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(r.comm, sizeof(r.comm));
	if (bpf_map_update_elem(&rings, &r.id, &r, BPF_NOEXIST)) {
		count(PS_CNT_RINGS_DROPPED);
		bpf_map_delete_elem(&ring_ids, &key);
		return 0;
	}
	return r.id;
}

/* The id of ctx's ring (0: not traced); a ring first met after its creation is adopted. */
static __always_inline __u32 ring_id(void *ctx)
{
	__u64 key = (__u64)ctx;
	__u32 *id;

	if (!ctx)
		return 0;
	id = bpf_map_lookup_elem(&ring_ids, &key);
	if (id)
		return *id;
	if (!tgid_traced())
		return 0;
	return ring_new(ctx, -1, PS_RING_FOUND, BPF_NOEXIST, 0, 0);
}

static __always_inline void handle_ring_create(int fd, void *ctx, __u32 sq_entries,
					       __u32 cq_entries)
{
	struct ps_ring *r;
	__u32 id;

	if (!tgid_traced())
		return;
	/* BPF_ANY: a new ring may reuse a freed ring's address */
	id = ring_new(ctx, fd, PS_RING_CREATED, BPF_ANY, sq_entries, cq_entries);
	if (!id || !emit_events)
		return;
	r = bpf_map_lookup_elem(&rings, &id);
	if (!r)
		return;
	struct ps_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PS_CNT_LOST_EVENTS);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = PS_EV_RING_CREATE;
	e->pid = r->pid;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->ring = r->id;
	e->ts_ns = r->created_ns;
	e->fd = fd;
	e->opcode = r->setup_flags;
	__builtin_memcpy(e->comm, r->comm, sizeof(e->comm));
	e->ring_info = *r;
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/io_uring_create")
int BPF_PROG(ps_ring_create, int fd, void *ring_ctx, __u32 sq_entries, __u32 cq_entries,
	     __u32 flags)
{
	handle_ring_create(fd, ring_ctx, sq_entries, cq_entries);
	return 0;
}

/* ---- registered-buffer tables --------------------------------------- */

struct walk_ctx {
	struct ps_table_ref dst;
	struct ps_table_ref src;	/* clone: the source table, else base NULL */
	__u32 first;
	__u32 src_first;
	__u32 hist_op;
	bool hist;
	struct ps_table_sum sum;
};

static long walk_slot(__u32 i, struct walk_ctx *w)
{
	struct io_mapped_ubuf *imu;
	__u64 ubuf, len;

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
	 */
	if (w->src.base && ps_table_imu(&w->src, w->src_first + i) == imu)
		w->sum.shared++;
	else
		w->sum.acct_pages += ps_imu_acct_pages(imu);
	if (w->hist)
		hist_add(PS_HIST_BUF_SIZE, w->hist_op, len);
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

/* ---- io_uring_register(2) --------------------------------------------- */

static __always_inline bool is_buffer_opcode(__u32 op)
{
	return op == PS_REG_BUFFERS || op == PS_UNREG_BUFFERS || op == PS_REG_BUFFERS2 ||
	       op == PS_REG_BUFFERS_UPDATE || op == PS_REG_CLONE_BUFFERS;
}

/* uapi argument layouts (stable ABI; pad fields of older kernels read as 0) */
struct ps_rsrc_update2 { __u32 offset, resv; __u64 data, tags; __u32 nr, resv2; };
struct ps_clone_args { __u32 src_fd, flags, src_off, dst_off, nr, pad[3]; };
#define PS_CLONE_SRC_REGISTERED	1

static __always_inline void handle_register_enter(int fd, __u32 opcode_raw, void *arg,
						  __u32 nr_args)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 opcode = opcode_raw & ~PS_REG_USE_REGISTERED_RING;
	bool registered = opcode_raw & PS_REG_USE_REGISTERED_RING;
	struct reg_call *call;
	struct reg_call init = {};

	if (!is_buffer_opcode(opcode) || !tgid_traced())
		return;
	bpf_map_update_elem(&reg_calls, &tid, &init, BPF_ANY);
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
		call->src_ctx = ps_fd_ring_ctx(ca.src_fd, ca.flags & PS_CLONE_SRC_REGISTERED);
	} else if (opcode == PS_UNREG_BUFFERS && call->fd_ctx) {
		/* the table is gone once the tracepoint fires: sum it now */
		struct walk_ctx w = {};

		table_walk(&w, call->fd_ctx, 0, 0, 0, false);
		call->pre = w.sum;
		call->pre_valid = true;
	}
	/* last, so the walks above are not part of the latency */
	call->start_ns = bpf_ktime_get_ns();
}

SEC("tracepoint/syscalls/sys_enter_io_uring_register")
int ps_reg_enter(struct trace_event_raw_sys_enter *tp)
{
	handle_register_enter((int)tp->args[0], (__u32)tp->args[1], (void *)tp->args[2],
			      (__u32)tp->args[3]);
	return 0;
}

/* The table after the call; runs while the ring's lock is still held. */
static __always_inline void handle_register_done(void *ctx, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct reg_call *call = bpf_map_lookup_elem(&reg_calls, &tid);
	struct walk_ctx w = {};

	if (!call)
		return;
	call->end_ns = bpf_ktime_get_ns();
	call->tp_seen = true;
	call->ctx = ctx;
	if (ret < 0)
		return;
	switch (call->opcode) {
	case PS_REG_BUFFERS:
	case PS_REG_BUFFERS2:
		table_walk(&w, ctx, 0, 0, call->opcode, true);
		break;
	case PS_REG_BUFFERS_UPDATE:
		table_walk(&w, ctx, call->first_slot, call->nr_slots, call->opcode, true);
		break;
	case PS_REG_CLONE_BUFFERS: {
		__u32 nr = call->nr_slots;

		if (call->src_ctx) {
			ps_table_ref(call->src_ctx, &w.src);
			w.src_first = call->src_first;
			if (!nr)	/* nr 0 clones the whole source table */
				nr = w.src.nr;
		}
		table_walk(&w, ctx, call->first_slot, nr, call->opcode, false);
		break;
	}
	case PS_UNREG_BUFFERS:
		if (call->fd_ctx != ctx)
			call->pre_valid = false;
		w.sum = call->pre;
		break;
	}
	call->sum = w.sum;
}

SEC("tp_btf/io_uring_register")
int BPF_PROG(ps_reg_done, void *ring_ctx, unsigned int opcode, unsigned int nr_files,
	     unsigned int nr_bufs, long ret)
{
	handle_register_done(ring_ctx, ret);
	return 0;
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
	hist_add(PS_HIST_REG_LAT, call->opcode, lat);
	if (emit_events)
		emit_register(call, ring, key.src_ring, ret, lat);
out:
	bpf_map_delete_elem(&reg_calls, &tid);
}

SEC("tracepoint/syscalls/sys_exit_io_uring_register")
int ps_reg_exit(struct trace_event_raw_sys_exit *tp)
{
	handle_register_exit(tp->ret);
	return 0;
}

/* ---- per-IO: the hot path ------------------------------------------- */

static __always_inline bool op_always_fixed(__u8 op)
{
	return op == PS_OP_READ_FIXED || op == PS_OP_WRITE_FIXED ||
	       op == PS_OP_READV_FIXED || op == PS_OP_WRITEV_FIXED;
}

static __always_inline bool op_maybe_fixed(__u8 op)
{
	return op == PS_OP_SEND_ZC || op == PS_OP_SENDMSG_ZC || op == PS_OP_URING_CMD;
}

static __always_inline void count_pinned_io(struct io_kiocb *req)
{
	__u64 key = (__u64)req;
	struct pinned_req *p = bpf_map_lookup_elem(&pinned_reqs, &key);
	struct ps_pin_stats *ps;

	if (!p)
		return;
	ps = lookup_or_init(&pin_stats, &p->ring, &zero_pin);
	if (ps) {
		ps->ios++;
		ps->pages += p->pages;
	}
	bpf_map_delete_elem(&pinned_reqs, &key);
	__sync_fetch_and_add(&pinned_reqs_pending, -1);
}

static __always_inline void handle_complete(void *ctx, struct io_kiocb *req, __s64 res)
{
	__u8 op = BPF_CORE_READ(req, opcode);
	struct ps_io_key key = {};
	struct ps_io_stats *st;

	if (!op_always_fixed(op) &&
	    !(op_maybe_fixed(op) && ps_req_fixed_buf(req, op == PS_OP_URING_CMD))) {
		if (pinned_reqs_pending)
			count_pinned_io(req);
		return;
	}
	key.ring = ring_id(ctx);
	if (!key.ring)
		return;
	key.opcode = op;
	key.buf_index = BPF_CORE_READ(req, buf_index);
	st = bpf_map_lookup_elem(&io_stats, &key);
	if (!st) {
		if (bpf_map_update_elem(&io_stats, &key, &zero_io, BPF_NOEXIST) == -PS_E2BIG)
			count(PS_CNT_IO_KEYS_DROPPED);
		st = bpf_map_lookup_elem(&io_stats, &key);
		if (!st)
			return;
	}
	st->ops++;
	if (res > 0)
		st->bytes += res;
	else if (res < 0)
		st->errors++;
	if (io_latency) {
		__u64 rk = (__u64)req;
		__u64 *start = bpf_map_lookup_elem(&io_start, &rk);

		if (start) {
			hist_add(PS_HIST_IO_LAT, op, bpf_ktime_get_ns() - *start);
			bpf_map_delete_elem(&io_start, &rk);
		}
	}
}

/* 6.13+: io_uring_complete(ctx, req, cqe) */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(ps_complete, struct io_ring_ctx *ring_ctx, void *req, struct io_uring_cqe *cqe)
{
	handle_complete(ring_ctx, req, BPF_CORE_READ(cqe, res));
	return 0;
}

/* up to 6.12: io_uring_complete(ctx, req, user_data, res, cflags, extra1, extra2) */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(ps_complete_old, void *ring_ctx, void *req, __u64 user_data, int res)
{
	handle_complete(ring_ctx, req, res);
	return 0;
}

static __always_inline void handle_submit(struct io_kiocb *req)
{
	__u8 op = BPF_CORE_READ(req, opcode);
	__u64 key = (__u64)req, now;

	if (!op_always_fixed(op) && !op_maybe_fixed(op))
		return;
	if (!ring_id(BPF_CORE_READ(req, ctx)))
		return;
	now = bpf_ktime_get_ns();
	bpf_map_update_elem(&io_start, &key, &now, BPF_ANY);
}

/* Loaded only for `hist` (IO latency): 6.5+ name, then the 6.1 one. */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(ps_submit, struct io_kiocb *req)
{
	handle_submit(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(ps_submit_old, struct io_kiocb *req, bool force_nonblock)
{
	handle_submit(req);
	return 0;
}

/* ---- pinning per IO ----------------------------------------------------- */

struct iov_walk {
	const struct iovec *iov;
	__u64 skip;		/* iov_offset into the first segment */
	__u64 left;		/* bytes of the request still to place */
	__u64 pages;
};

static long iov_seg_pages(__u32 i, struct iov_walk *w)
{
	struct iovec seg = {};
	__u64 base, len;

	if (!w->left)
		return 1;
	bpf_probe_read_kernel(&seg, sizeof(seg), w->iov + i);
	base = (__u64)seg.iov_base + w->skip;
	len = seg.iov_len > w->skip ? seg.iov_len - w->skip : 0;
	w->skip = 0;
	if (len > w->left)
		len = w->left;
	w->pages += span_pages(base, len);
	w->left -= len;
	return 0;
}

/* 4 KiB pages of user memory an iterator covers; 0 if it is not user memory. */
static __always_inline __u64 iter_user_pages(struct iov_iter *it)
{
	__u8 type = BPF_CORE_READ(it, iter_type);
	__u64 off = BPF_CORE_READ(it, iov_offset);
	__u64 cnt = BPF_CORE_READ(it, count);

	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	    type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
		return span_pages((__u64)BPF_CORE_READ(it, ubuf) + off, cnt);
	if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		struct iov_walk w = { .iov = ps_iter_iov(it), .skip = off, .left = cnt };
		__u32 segs = BPF_CORE_READ(it, nr_segs);

		bpf_loop(segs > 1024 ? 1024 : segs, iov_seg_pages, &w, 0);
		return w.pages;
	}
	return 0;
}

static __always_inline void handle_dio_begin(struct kiocb *iocb, struct iov_iter *iter)
{
	void *done = BPF_CORE_READ(iocb, ki_complete);
	__u64 pages = iter_user_pages(iter);

	if (!pages)
		return;	/* a registered buffer (bvec) or kernel memory */
	if (done && (done == &io_complete_rw || done == &io_complete_rw_iopoll)) {
		/* the kiocb is the first member of the request's command data */
		struct io_kiocb *req = (void *)iocb - bpf_core_field_offset(struct io_kiocb, cmd);
		struct pinned_req p = { .ring = ring_id(BPF_CORE_READ(req, ctx)) };
		__u64 key = (__u64)req;

		if (!p.ring)
			return;
		p.pages = pages;
		/* a retried request overwrites its entry: it counts once */
		if (bpf_map_update_elem(&pinned_reqs, &key, &p, BPF_NOEXIST) == 0)
			__sync_fetch_and_add(&pinned_reqs_pending, 1);
		else
			bpf_map_update_elem(&pinned_reqs, &key, &p, BPF_EXIST);
		return;
	}
	if (!tgid_traced())
		return;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ps_proc_stats *ps = lookup_or_init(&proc_stats, &tgid, &zero_proc);

	if (!ps)
		return;
	__sync_fetch_and_add(&ps->dio_ios, 1);
	__sync_fetch_and_add(&ps->dio_pages, pages);
	bpf_get_current_comm(ps->comm, sizeof(ps->comm));
}

SEC("tp_btf/iomap_dio_rw_begin")
int BPF_PROG(ps_dio_begin, struct kiocb *iocb, struct iov_iter *iter)
{
	handle_dio_begin(iocb, iter);
	return 0;
}

/* Block-layer evidence: a bio that carries pinned user pages. */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(ps_bio_queue, struct bio *bio)
{
	__u16 flags = BPF_CORE_READ(bio, bi_flags);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ps_proc_stats *ps;

	if (bio_pinned_bit >= 16 || !(flags & (1U << bio_pinned_bit)))
		return 0;
	if (!tgid_traced())
		return 0;
	ps = lookup_or_init(&proc_stats, &tgid, &zero_proc);
	if (!ps)
		return 0;
	__sync_fetch_and_add(&ps->pinned_bios, 1);
	bpf_get_current_comm(ps->comm, sizeof(ps->comm));
	return 0;
}

/* ---- process tree ------------------------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ps_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	/* threads (io-wq, SQPOLL included) share the tgid already traced */
	if (!filter_tgid || ptgid == ctgid || !bpf_map_lookup_elem(&traced, &ptgid))
		return 0;
	bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY);
	return 0;
}
