/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-IO accounting of fixed-buffer requests: the hot path. One per-CPU
 * array slot per completion; submit timestamps only when IO latency is on.
 */
#ifndef PS_IO_BPF_H
#define PS_IO_BPF_H

#include "maps.bpf.h"
#include "rings.bpf.h"

static __always_inline bool op_always_fixed(__u8 op)
{
	return op == PS_OP_READ_FIXED || op == PS_OP_WRITE_FIXED ||
	       op == PS_OP_READV_FIXED || op == PS_OP_WRITEV_FIXED;
}

static __always_inline bool op_maybe_fixed(__u8 op)
{
	return op == PS_OP_SEND_ZC || op == PS_OP_SENDMSG_ZC || op == PS_OP_URING_CMD;
}

/*
 * ---- requests refused before issue (this file's own maps) ----------------
 * io_uring_req_failed fires when prep or init fails a request; its CQE
 * follows later, maybe after others. Such a request looked no buffer up
 * (its flags may even claim one, as SEND_ZC's invalid zc_flags ~0 do): it
 * is counted in refused_io, and its completion not as a fixed-buffer IO.
 */
__u64 refused_reqs_pending = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);	/* the request's address, until it completes */
	__type(value, __u8);
} refused_reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4 * PS_MAX_RINGS);
	__type(key, struct ps_refused_key);
	__type(value, __u64);
} refused_io SEC(".maps");

static const __u64 zero_refused;

static __always_inline void handle_req_failed(struct io_kiocb *req, __u8 op, int err)
{
	struct ps_refused_key key = { .opcode = op, .err = (__u16)-err };
	__u64 rk = (__u64)req;
	__u8 one = 1;
	__u64 *n;

	if (!op_always_fixed(op) && !op_maybe_fixed(op))
		return;
	key.ring = ring_id(BPF_CORE_READ(req, ctx));
	if (!key.ring)
		return;
	n = lookup_or_init(&refused_io, &key, &zero_refused);
	if (n)
		__sync_fetch_and_add(n, 1);
	if (bpf_map_update_elem(&refused_reqs, &rk, &one, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&refused_reqs_pending, 1);
}

/* Was req refused before issue? Forgets it: this is its completion. */
static __always_inline bool take_refused(struct io_kiocb *req)
{
	__u64 rk = (__u64)req;

	if (bpf_map_delete_elem(&refused_reqs, &rk))
		return false;
	__sync_fetch_and_add(&refused_reqs_pending, -1);
	return true;
}

static __always_inline void count_pinned_io(struct io_kiocb *req)
{
	__u64 key = (__u64)req;
	struct pinned_req *p = bpf_map_lookup_elem(&pinned_reqs, &key);
	struct ps_pin_stats *ps;

	if (!p)
		return;
	struct ps_pin_key pk = { .ring = p->ring, .opcode = p->opcode };

	ps = lookup_or_init(&pin_stats, &pk, &zero_pin);
	if (ps) {
		__sync_fetch_and_add(&ps->ios, 1);
		__sync_fetch_and_add(&ps->pages, p->pages);
	}
	bpf_map_delete_elem(&pinned_reqs, &key);
	__sync_fetch_and_add(&pinned_reqs_pending, -1);
}

/*
 * opcode (u8) and buf_index (u16) sit side by side in io_kiocb on every
 * kernel pinscope knows: fetch both with one read, offsets from CO-RE.
 */
static __always_inline __u8 req_opcode_index(struct io_kiocb *req, __u16 *buf_index)
{
	__u32 op_off = bpf_core_field_offset(req->opcode);
	__u32 idx_off = bpf_core_field_offset(req->buf_index);
	__u8 raw[8] = {};

	if (idx_off < op_off || idx_off - op_off > 6) {
		*buf_index = BPF_CORE_READ(req, buf_index);
		return BPF_CORE_READ(req, opcode);
	}
	bpf_probe_read_kernel(raw, sizeof(raw), (void *)req + op_off);
	*buf_index = raw[(idx_off - op_off) & 7] | raw[(idx_off - op_off + 1) & 7] << 8;
	return raw[0];
}

/* A displaced io_cache entry into io_stats (several CPUs may add to one key). */
static __always_inline void io_cache_evict(const struct ps_io_cached *c)
{
	struct ps_io_stats *st;
	__u32 ring = c->key.ring;

	/*
	 * A ring user space has harvested and pruned read this entry from the
	 * cache already: its key must not come back into io_stats, where
	 * nothing would ever remove it.
	 */
	if (!ring || !bpf_map_lookup_elem(&rings, &ring))
		return;
	st = bpf_map_lookup_elem(&io_stats, &c->key);
	if (!st) {
		/* a new key goes in with its counts: no second lookup, no atomics */
		long err = bpf_map_update_elem(&io_stats, &c->key, &c->st, BPF_NOEXIST);

		if (!err)
			return;
		st = err == -PS_EEXIST ? bpf_map_lookup_elem(&io_stats, &c->key) : NULL;
		if (!st) {
			count(PS_CNT_IO_KEYS_DROPPED);
			return;
		}
	}
	__sync_fetch_and_add(&st->ops, c->st.ops);
	__sync_fetch_and_add(&st->bytes, c->st.bytes);
	if (c->st.errors)
		__sync_fetch_and_add(&st->errors, c->st.errors);
}

/* One completion into the per-CPU table (ps_io_cached), a displaced key into io_stats. */
static __always_inline void count_io(const struct ps_io_key *key, __s64 res)
{
	__u32 slot = ps_io_cache_slot(key);
	struct ps_io_cached *c = bpf_map_lookup_elem(&io_cache, &slot);

	if (!c)
		return;
	if (*(__u64 *)&c->key != *(const __u64 *)key) {
		io_cache_evict(c);
		c->key = *key;
		c->st = (struct ps_io_stats){};
	}
	c->st.ops++;
	if (res > 0)
		c->st.bytes += res;
	else if (res < 0)
		c->st.errors++;
}

/* hist: the submit time of req (its address), into the opcode's histogram. */
static __always_inline void io_latency_done(__u64 req, __u8 op)
{
	__u32 slot = io_start_slot(req), other = slot ^ 1, o = op;
	struct io_start_slot *s = bpf_map_lookup_elem(&io_start, &slot);
	struct ps_hist *h;
	__u32 i;

	if (s && s->req != req)
		s = bpf_map_lookup_elem(&io_start, &other);
	if (!s || s->req != req) {
		count(PS_CNT_IO_LAT_UNMATCHED);
		return;
	}
	i = ps_log2_slot(bpf_ktime_get_ns() - s->ts);
	s->req = 0;
	h = bpf_map_lookup_elem(&io_lat_hists, &o);
	if (h && i < PS_HIST_SLOTS)
		h->slots[i]++;
}

/*
 * op and buf_index come from the caller: the flavour decides how to read
 * them (inline loads through a BTF cast, or one probe read).
 */
static __always_inline void handle_complete(void *ctx, struct io_kiocb *req, __s64 res,
					    __u8 op, __u16 buf_index)
{
	struct ps_io_key key = {};

	if (import_per_request) {
		__u64 rk = (__u64)req;

		/* any request, a SEND_ZC notification too: it is done */
		bpf_map_delete_elem(&imported_reqs, &rk);
	}
	/* only failed requests can have been refused: no cost on success */
	if (res < 0 && refused_reqs_pending && take_refused(req))
		return;
	if (!op_always_fixed(op) &&
	    !(op_maybe_fixed(op) && ps_req_fixed_buf(req, op == PS_OP_URING_CMD))) {
		if (pinned_reqs_pending)
			count_pinned_io(req);
		return;
	}
	key.ring = ring_id_cached(ctx);
	if (!key.ring)
		return;
	key.opcode = op;
	key.buf_index = buf_index;
	if (op == PS_OP_SEND_ZC || op == PS_OP_SENDMSG_ZC)
		key.buf_index = ps_net_zc_buf_index(req, ctx, buf_index);
	if (op_maybe_fixed(op) && track_imu_owner) {
		struct io_mapped_ubuf *imu = ps_req_old_imu(req);
		struct imu_key ik = { .imu = (__u64)imu, .ring = key.ring };
		__u32 *slot = imu ? bpf_map_lookup_elem(&imu_slots, &ik) : NULL;

		if (slot)
			key.buf_index = *slot;
	}
	count_io(&key, res);
	if (io_latency)
		io_latency_done((__u64)req, op);
}

/*
 * req_addr: the request's address as a number. The submit tracepoints type
 * req as struct io_kiocb *, a pointer the verifier will not let us hash;
 * the caller reads the raw argument.
 */
static __always_inline void handle_submit(struct io_kiocb *req, __u64 req_addr)
{
	__u8 op = req->opcode;
	__u32 slot = io_start_slot(req_addr), other = slot ^ 1;
	struct io_start_slot *s, *t;

	if (!op_always_fixed(op) && !op_maybe_fixed(op))
		return;
	if (!ring_id_cached(req->ctx))
		return;
	s = bpf_map_lookup_elem(&io_start, &slot);
	if (!s)
		return;
	if (s->req && (t = bpf_map_lookup_elem(&io_start, &other)) && !t->req)
		s = t;
	/* time first: a completion that sees this req reads this time */
	s->ts = bpf_ktime_get_ns();
	s->req = req_addr;
}

#endif /* PS_IO_BPF_H */
