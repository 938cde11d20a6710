/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pinscope's BPF maps, load-time knobs and the small helpers every handler
 * uses. Counting and histograms are aggregated here; the ring buffer carries
 * only ring creations and registration calls, never per-IO records.
 */
#ifndef PS_MAPS_BPF_H
#define PS_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "compat.bpf.h"
#include "pinscope.h"
#include "pinscope_hist.h"

/* Knobs, set by user space between open and load. */
const volatile bool filter_tgid = false;	/* only the traced process tree */
const volatile bool emit_events = false;	/* ring-buffer records (trace) */
/* every call and ring creation (trace); else only failed calls (the doctor), and with emit_buffers every call (check) */
const volatile bool emit_all_events = false;
const volatile bool io_latency = false;		/* submit->complete hist (hist) */
const volatile bool emit_buffers = false;	/* per-slot records (check) */
const volatile __u32 bio_pinned_bit = 0xff;	/* BIO_PAGE_PINNED, 0xff = none */
/* internals hooks (fentry/kprobe) */
const volatile bool track_imu_owner = false;	/* io_import_fixed sees no request */
const volatile bool bufreg_returns_ptr = false;	/* io_sqe_buffer_register's result */
const volatile bool import_per_request = false;	/* count a request's lookups once */
/* the system calls ps_reg_enter and ps_close pick out of every sys_enter */
const volatile long nr_io_uring_register = -1;
const volatile long nr_close = -1;
/* ps_reg_enter sees close too, where ps_close would be a second program on every call */
const volatile bool close_in_reg_enter = false;

/*
 * io_uring's kiocb completion callbacks identify its O_DIRECT requests.
 * User space reads the addresses from /proc/kallsyms while the object loads
 * (libbpf's __ksym resolution would parse the file first, far more slowly)
 * and sets them before attaching: writable globals, not knobs.
 */
__u64 io_complete_rw_addr = 0;
__u64 io_complete_rw_iopoll_addr = 0;
/* iomap's bio completion: marks the bios of a direct IO (ps_dio_bio) */
__u64 iomap_dio_end_io_addr = 0;

__u32 next_ring_id = 0;
/* bumped whenever a ctx address gets a new ring id: invalidates ring_cache */
__u64 ring_gen = 0;
__u64 pinned_reqs_pending = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* allocate on first use: fast attach */
	__uint(max_entries, PS_MAX_TRACED_TGIDS);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/*
 * io_ring_ctx address -> ring id. Internal to the BPF side: a freed ring's
 * address may be reused by a new ring, which then gets a new id (overwriting
 * the entry). User space never deletes here: between its read and its
 * delete a new ring may take the address. Stale entries age out instead.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2 * PS_MAX_RINGS);	/* room for dropped rings' id 0 too */
	__type(key, __u64);
	__type(value, __u32);
} ring_ids SEC(".maps");

/*
 * Thread -> the ring it created last (0: none): io_uring_create fires inside
 * io_uring_setup(2); a look counts the ring as alive while its thread is
 * still in that call. Thread-local: an LRU hash update cost each ring's
 * creation ~0.5 us.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} rings_in_setup SEC(".maps");

/*
 * Process -> the look that saw one of its threads in io_uring_setup(2). The
 * kernel installs a new ring's fd just before io_uring_create fires, so a
 * look in between meets a ring it does not know: one whose creation is
 * still to come, not one older than the session (seen as one ring too many
 * in a 3,000-ring churn on 6.12). Written by looks only; LRU: an evicted
 * entry only reopens that window.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} setup_seen SEC(".maps");

/*
 * Ring id -> what we know of the ring; user space harvests and deletes a
 * ring's entries here and in every table keyed by ring once it is gone.
 * Preallocated (13 MB, ~6 ms of start-up at 65,536 rings): allocated on
 * first use, each ring's entry came from the memory allocator on the
 * application's CPU and went back on pinscope's, and a pool of short-lived
 * rings ran at 0.81 of its untraced rate, 0.92 with this alone. Only
 * pinscope's own thread (looks, then pruning) writes entries after their
 * creation, so a deleted entry's reuse races with no writer.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PS_MAX_RINGS);
	__type(key, __u32);
	__type(value, struct ps_ring);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* allocate on first use: fast attach */
	__uint(max_entries, 4 * PS_MAX_RINGS);
	__type(key, struct ps_reg_key);
	__type(value, struct ps_reg_stats);
} reg_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* allocate on first use: fast attach */
	__uint(max_entries, 4 * PS_MAX_RINGS);
	__type(key, struct ps_reg_err_key);
	__type(value, __u64);
} reg_errors SEC(".maps");

/*
 * Shared, not per-CPU: io_stats is written only when io_cache displaces a
 * key, pin_stats only on IOs that pin anyway, so their adds are atomic. A
 * new key in a per-CPU hash without preallocation cost ~14 us per insert
 * (measured on 6.18: every first IO of a short-lived ring paid it).
 * Preallocated (6 MB at 65,536 keys) for the reason rings is: a pool of
 * short-lived rings displaces a key per IO, 0.87 -> 0.90 of its rate.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PS_MAX_IO_KEYS);
	__type(key, struct ps_io_key);
	__type(value, struct ps_io_stats);
} io_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* allocate on first use: fast attach */
	__uint(max_entries, PS_MAX_RINGS);
	__type(key, struct ps_pin_key);
	__type(value, struct ps_pin_stats);
} pin_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* allocate on first use: fast attach */
	__uint(max_entries, PS_MAX_TRACED_TGIDS);
	__type(key, __u32);
	__type(value, struct ps_proc_stats);
} proc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* allocate on first use: fast attach */
	__uint(max_entries, PS_MAX_IO_KEYS);
	__type(key, struct ps_import_key);
	__type(value, struct ps_import_stats);
} imports SEC(".maps");

/*
 * Before 6.13 the import hook gets an io_mapped_ubuf, no request. A clone
 * shares one io_mapped_ubuf between rings (maybe at another slot), so the
 * ring comes from the io_uring_enter(2) in progress and the slot from
 * (buffer, ring); the last owner is the fallback for io-wq/SQPOLL threads.
 */
struct imu_key {
	__u64 imu;
	__u32 ring;
	__u32 pad;
};

struct imu_owner {
	__u32 ring;
	__u32 slot;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4 * PS_MAX_REG_BUFFERS);
	__type(key, struct imu_key);
	__type(value, __u32);
} imu_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4 * PS_MAX_REG_BUFFERS);
	__type(key, __u64);
	__type(value, struct imu_owner);
} imu_owners SEC(".maps");

/*
 * Requests whose buffer lookup was counted, until they complete: a request
 * may look its buffer up again (7.x re-imports on a retried issue), and
 * "imports" counts requests, as the workload counts IOs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} imported_reqs SEC(".maps");

/* Per thread, what an internals hook needs from its entry at its exit. */
struct tstate {
	__u64 pin_start;
	__u64 npages_ptr;	/* io_pin_pages' int *npages */
	__u64 setup_pinned;	/* pages io_pin_pages pinned inside io_uring_setup */
	__u64 charge_start;
	__u64 charge_nr;
	__u64 imp_start;
	__u64 imp_buf_addr;
	__u64 imp_req;
	__u64 enter_ctx;	/* ring of the io_uring_enter(2) in progress */
	__u32 imp_ring;
	__u16 imp_op;
	__u16 imp_idx;
	bool imp_offset;
	bool imp_vec;		/* io_import_reg_vec: no single buffer address */
	bool in_pin;
	bool in_setup;
	bool in_charge;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct tstate);
} tstates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_HIST_KINDS * PS_HIST_OPS);
	__type(key, __u32);
	__type(value, struct ps_hist);
} hists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_IO_LAT_OPS);
	__type(key, __u32);
	__type(value, struct ps_hist);
} io_lat_hists SEC(".maps");

/* Per CPU, the last ring seen: most IO streams hit the same ring again. */
struct ring_cache_entry {
	__u64 ctx;
	__u64 gen;
	__u32 id;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ring_cache_entry);
} ring_cache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

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
	__u64 arg;		/* the call's argument (user memory), for the doctor */
	bool live;		/* a call is in progress (the storage outlives it) */
	bool tp_seen;
	bool pre_valid;		/* pre holds the table an unregister drops */
	__u32 pre_ring;		/* unregister: fd_ctx's ring id, kept with pre (0: unknown) */
	__u32 src_ring;		/* clone: the source's ring id, from its kept sum (0: unknown) */
	struct ps_table_sum pre;
	struct ps_table_sum sum;
	__u64 fn_start_ns;	/* internals: the kernel function doing the op */
	struct ps_inside inside;
	struct ps_diag diag;
};

/*
 * Thread-local: found through the task without hashing, created once per
 * thread and freed with it (an LRU hash update and delete per call cost
 * ~250 ns of each call's time).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct reg_call);
} reg_calls SEC(".maps");

/* The current thread's call: a new one (create), or the one in progress. */
static __always_inline struct reg_call *reg_call_current(bool create)
{
	struct reg_call *call = bpf_task_storage_get(&reg_calls, bpf_get_current_task_btf(), NULL,
						     create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	/*
	 * Task storage refuses while another task's storage operation on this
	 * CPU is preempted (6.x): the call goes unrecorded, and is counted
	 * with the runs the kernel skipped.
	 */
	if (!call) {
		if (create)
			count(PS_CNT_STATE_BUSY);
		return NULL;
	}
	if (create) {
		__builtin_memset(call, 0, sizeof(*call));
		call->live = true;
	}
	return call->live ? call : NULL;
}

/* io_uring requests whose O_DIRECT pinned user pages, until they complete. */
struct pinned_req {
	__u32 ring;
	__u32 opcode;
	__u64 pages;
	__u64 dio;		/* ps_dio_bio: the struct iomap_dio the pages are of */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pinned_req);
} pinned_reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PS_IO_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct ps_io_cached);
} io_cache SEC(".maps");

/*
 * Submit times for `hist`: a two-way table by request address, not a hash
 * (an update there cost ~300 ns per IO). A request goes to the free one of
 * its pair of slots; with both taken it displaces the first, whose sample
 * is then lost, as an LRU hash would evict it (counted as unmatched).
 */
#define PS_IO_START_SLOTS	(16 * 1024)
struct io_start_slot {
	__u64 req;		/* the request's address, 0: free */
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PS_IO_START_SLOTS);
	__type(key, __u32);
	__type(value, struct io_start_slot);
} io_start SEC(".maps");

/* The first slot of req's pair; the other is slot ^ 1. */
static __always_inline __u32 io_start_slot(__u64 req)
{
	/* io_kiocbs are slab objects >= 64 bytes apart: Fibonacci hashing */
	return (__u32)(((req >> 6) * 0x9E3779B97F4A7C15ULL) >> 50) & (PS_IO_START_SLOTS - 2);
}

static const struct ps_reg_stats zero_reg;
static const struct ps_io_stats zero_io;
static const struct ps_pin_stats zero_pin;
static const struct ps_proc_stats zero_proc;
static const struct ps_import_stats zero_import;
static const struct tstate zero_tstate;

/*
 * Ring-buffer records wake the reader only when the buffer is a quarter
 * full: a wake-up (irq_work, then an IPI to the reader's CPU) cost the
 * traced call several µs each on our VMs. The reader also drains the
 * buffer after each poll timeout (tracer_poll), so records wait at most that.
 */
__u64 rb_woken_ns = 0;

const volatile __u64 events_size = 256 * 1024;	/* set with the map's size */

static __always_inline __u64 ps_rb_wakeup(void)
{
	__u64 now;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) <= events_size / 4)
		return BPF_RB_NO_WAKEUP;
	/*
	 * At most one wake-up per millisecond: a check of 900 buffers, whose
	 * records kept the buffer past a quarter, paid a self-interrupt for
	 * each one (17x the call's own time).
	 */
	now = bpf_ktime_get_ns();
	if (now - rb_woken_ns < 1000000)
		return BPF_RB_NO_WAKEUP;
	rb_woken_ns = now;
	return BPF_RB_FORCE_WAKEUP;
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

static __always_inline struct ps_hist *hist_of(__u32 kind, __u32 op)
{
	__u32 i = kind * PS_HIST_OPS + (op < PS_HIST_OP_OTHER ? op : PS_HIST_OP_OTHER);

	return kind < PS_HIST_KINDS ? bpf_map_lookup_elem(&hists, &i) : NULL;
}

static __always_inline void hist_add(__u32 kind, __u32 op, __u64 value)
{
	struct ps_hist *h = hist_of(kind, op);
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

#endif /* PS_MAPS_BPF_H */
