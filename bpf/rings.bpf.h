/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ring identity: io_ring_ctx address -> pinscope ring id (1, 2, …), and
 * what is known of each ring. Rings met after their creation are adopted.
 */
#ifndef PS_RINGS_BPF_H
#define PS_RINGS_BPF_H

#include "maps.bpf.h"

/* struct ps_ring is too big for the BPF stack beside the IO path's frames */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ps_ring);
} ring_scratch SEC(".maps");

/*
 * A ring the tables have no room for is remembered with id 0, so that its
 * later events neither retry the insert nor count the drop again.
 */
static __always_inline void ring_dropped(__u64 key)
{
	__u32 none = 0;

	count(PS_CNT_RINGS_DROPPED);
	bpf_map_update_elem(&ring_ids, &key, &none, BPF_ANY);
}

/*
 * A new id for ctx's ring. owner: the task whose process holds the ring
 * (a look runs in pinscope's own context); NULL: the current task.
 */
static __always_inline __u32 ring_new(void *ctx, int fd, __u32 origin, __u64 update_flags,
				      __u32 sq_entries, __u32 cq_entries,
				      struct task_struct *owner)
{
	__u64 key = (__u64)ctx;
	__u32 zero = 0, id;
	struct ps_ring *r = bpf_map_lookup_elem(&ring_scratch, &zero);

	if (!r)
		return 0;
	id = __sync_fetch_and_add(&next_ring_id, 1) + 1;
	__sync_fetch_and_add(&ring_gen, 1);
	if (bpf_map_update_elem(&ring_ids, &key, &id, update_flags)) {
		/* NOEXIST lost a race: another CPU adopted the ring first */
		__u32 *idp = bpf_map_lookup_elem(&ring_ids, &key);

		if (idp)
			return *idp;
		count(PS_CNT_RINGS_DROPPED);	/* no room even for the id */
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->id = id;
	r->fd = fd;
	r->origin = origin;
	r->setup_flags = ps_ctx_setup_flags(ctx);
	r->region_pages = ps_ctx_region_pages(ctx);
	r->region_huge = ps_ctx_region_huge(ctx);
	r->sq_entries = sq_entries;
	r->cq_entries = cq_entries;
	if (origin == PS_RING_CREATED) {
		/* io_uring_create fires inside io_uring_setup: its pins (internals) */
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct tstate *ts = bpf_map_lookup_elem(&tstates, &tid);

		if (ts && ts->in_setup)
			r->setup_pinned_pages = ts->setup_pinned;
	}
	r->created_ns = bpf_ktime_get_ns();
	if (owner) {
		r->pid = BPF_CORE_READ(owner, tgid);
		BPF_CORE_READ_STR_INTO(&r->comm, owner, group_leader, comm);
	} else {
		r->pid = bpf_get_current_pid_tgid() >> 32;
		ps_process_comm(r->comm);
	}
	if (bpf_map_update_elem(&rings, &id, r, BPF_NOEXIST)) {
		ring_dropped(key);
		return 0;
	}
	return id;
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
		return *id;	/* 0: a ring the tables had no room for */
	if (!tgid_traced())
		return 0;
	return ring_new(ctx, -1, PS_RING_FOUND, BPF_NOEXIST, 0, 0, NULL);
}

/* The hot path's ring_id(): a per-CPU one-entry cache in front of the hash. */
static __always_inline __u32 ring_id_cached(void *ctx)
{
	__u32 zero = 0, id;
	struct ring_cache_entry *c = bpf_map_lookup_elem(&ring_cache, &zero);
	__u64 gen = ring_gen;

	if (c && c->ctx == (__u64)ctx && c->gen == gen)
		return c->id;
	id = ring_id(ctx);
	if (c) {
		c->ctx = (__u64)ctx;
		c->gen = gen;
		c->id = id;
	}
	return id;
}

static __always_inline void handle_ring_create(int fd, void *ctx, __u32 sq_entries,
					       __u32 cq_entries)
{
	struct ps_ring *r;
	__u32 id;

	if (!tgid_traced()) {
		/* an untraced ring at a freed traced ring's address is not that ring */
		__u64 key = (__u64)ctx;

		if (!bpf_map_delete_elem(&ring_ids, &key))
			__sync_fetch_and_add(&ring_gen, 1);
		return;
	}
	/* BPF_ANY: a new ring may reuse a freed ring's address */
	id = ring_new(ctx, fd, PS_RING_CREATED, BPF_ANY, sq_entries, cq_entries, NULL);
	if (id) {
		__u32 *in_setup = bpf_task_storage_get(&rings_in_setup, bpf_get_current_task_btf(),
						       NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);

		if (in_setup)
			*in_setup = id;
		else
			count(PS_CNT_STATE_BUSY);	/* a look may take it for gone */
	}
	if (!id || !emit_all_events)
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
	bpf_ringbuf_submit(e, ps_rb_wakeup());
}

#endif /* PS_RINGS_BPF_H */
