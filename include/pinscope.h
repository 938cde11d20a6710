/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The ABI between pinscope's BPF programs and its user-space half: map keys,
 * map values, ring-buffer records and the uapi constants both sides name.
 * Fixed-size types only; no kernel structs, no pointers that leave the kernel
 * (ring ids are sequence numbers, never io_ring_ctx addresses).
 */
#ifndef PINSCOPE_H
#define PINSCOPE_H

#ifndef __bpf__
#include <linux/types.h>	/* BPF code gets these from vmlinux.h */
#endif

#define PS_COMM_LEN		16
/*
 * Rings the tables hold at once: user space harvests the rings the kernel
 * freed (user/harvest.c), so this only bounds a burst between two looks.
 */
#define PS_MAX_RINGS		65536
/*
 * Traced processes leave the table when they exit; the size only bounds a
 * burst of processes alive at once.
 */
#define PS_MAX_TRACED_TGIDS	65536
#define PS_MAX_IO_KEYS		(64 * 1024)
#define PS_HIST_SLOTS		48	/* log2 buckets: 2^47 ns is ~39 hours */
#define PS_BUF_INDEX_NONE	0xffff
/* The kernel refuses tables above this (IORING_MAX_REG_BUFFERS). */
#define PS_MAX_REG_BUFFERS	(1U << 14)

/* io_uring_register(2) opcodes pinscope follows (uapi values, stable). */
#define PS_REG_BUFFERS		0
#define PS_UNREG_BUFFERS	1
#define PS_REG_BUFFERS2		15
#define PS_REG_BUFFERS_UPDATE	16
#define PS_REG_CLONE_BUFFERS	30
/* High bit of the opcode: fd is an index into the registered ring table. */
#define PS_REG_USE_REGISTERED_RING (1U << 31)

/* SQE opcodes (uapi values, stable) that carry a registered buffer. */
#define PS_OP_READ_FIXED	4
#define PS_OP_WRITE_FIXED	5
#define PS_OP_URING_CMD		46
#define PS_OP_SEND_ZC		47
#define PS_OP_SENDMSG_ZC	48
#define PS_OP_READV_FIXED	60
#define PS_OP_WRITEV_FIXED	61
#define PS_OP_MAX		256

/* Where a ring's numbers came from: seen at creation, or found later. */
enum ps_ring_origin {
	PS_RING_CREATED = 1,	/* io_uring_create fired while tracing */
	PS_RING_FOUND = 2,	/* existed before: found by a look or at its first use */
};

/*
 * What a walk over a ring's registered-buffer table found: used for a
 * registration (the slots it filled), an unregister (what it dropped) and a
 * clone (the slots it copied).
 */
struct ps_table_sum {
	__u32 slots;		/* table slots covered */
	__u32 buffers;		/* slots holding a buffer (sparse slots skipped) */
	__u64 bytes;
	__u64 pages;		/* 4 KiB pages spanned, i.e. pinned */
	__u64 bvecs;		/* segments after huge-page coalescing */
	__u64 huge_buffers;	/* buffers coalesced into folios > 4 KiB */
	__u64 acct_pages;	/* pages charged to locked memory (imu->acct_pages) */
	__u64 shared;		/* buffers whose mapping is shared with another ring */
};

struct ps_ring {
	__u32 id;		/* pinscope's ring id: 1, 2, 3 … in order seen */
	__u32 pid;		/* tgid of the creator (or first user seen) */
	__s32 fd;		/* ring fd in pid, -1 when not known */
	__u32 setup_flags;
	__u32 sq_entries;
	__u32 cq_entries;
	__u32 origin;		/* enum ps_ring_origin */
	__u32 region_pages;	/* ring memory pages (regions, 6.13+) */
	__u64 setup_pinned_pages;	/* internals: io_pin_pages during setup (NO_MMAP) */
	__u32 region_huge;	/* ring memory starts on a huge (compound) page */
	__u32 seen_gen;		/* the last look (iterator pass) that saw the ring alive */
	__u64 created_ns;
	char comm[PS_COMM_LEN];
	/* the registered-buffer table as the last look saw it */
	struct ps_table_sum registered;
	__u32 registered_known;	/* a look has walked the table */
	__u32 pad;
};


/*
 * The first buffer of a failed registration that the kernel refuses, by
 * reason (the kernel stops at the first buffer it cannot take; which reason
 * it refuses with depends on the kernel, so user space picks by errno).
 */
enum ps_buf_fault {
	PS_BF_NULL_LEN = 0,	/* NULL address with a length (EFAULT) */
	PS_BF_OVER_1G,		/* longer than 1 GiB (EFAULT) */
	PS_BF_OVERFLOW,		/* address + length wraps (EOVERFLOW) */
	PS_BF_UNMAPPED,		/* some byte of it is not mapped (EFAULT) */
	PS_BF_READONLY,		/* a mapping without write permission (EFAULT) */
	PS_BF_IO_PFN,		/* VM_IO / VM_PFNMAP memory, no struct pages (EFAULT) */
	PS_BF_FILE_SHARED,	/* a shared mapping of a regular file (EFAULT, 6.1: EOPNOTSUPP) */
	PS_BF_FILE_PRIVATE,	/* a private file mapping (6.1: EOPNOTSUPP; later fine) */
	PS_BF_NR,
};

struct ps_buf_fault_at {
	__s32 index;		/* -1: no buffer of this kind */
	__u32 pad;
	__u64 addr;
	__u64 len;
};

/*
 * Why a registration failed: the state before the call (memlock, tables,
 * clone arguments) is read at entry; the buffers themselves only when the
 * call failed, at its exit (the caller's iovecs are still there).
 */
struct ps_diag {
	__u64 memlock_limit;	/* RLIMIT_MEMLOCK soft limit in bytes (~0: unlimited) */
	__s64 locked_pages;	/* the user's locked memory before the call; -1: not charged */
	__u64 req_pages;	/* pages the buffers span */
	__u64 unaligned_extra;	/* pages added by buffers not page aligned */
	__u64 max_len;		/* the largest buffer */
	__s32 max_len_index;
	__u32 nr_iovecs;	/* buffers the call asked for, even past the limit */
	__u32 iovecs_scanned;	/* of those, read for the numbers above (< nr_iovecs: partial) */
	__u32 table_nr;		/* slots the ring's table had before the call */
	__u32 src_table_nr;	/* clone: slots of the source table */
	__u32 flags;		/* clone flags */
	__u32 src_fd, src_off, dst_off, nr;	/* clone arguments */
	__u8 clone_pad_set;	/* clone: the reserved words are not zero */
	__u8 clone_has_range;	/* this kernel reads src_off/dst_off/nr (else: padding) */
	__u8 clone_known;	/* this kernel has IORING_REGISTER_CLONE_BUFFERS */
	__u8 pad[5];
	struct ps_buf_fault_at fault[PS_BF_NR];
};

struct ps_reg_key {
	__u32 ring;
	__u32 opcode;		/* PS_REG_*, without the registered-ring bit */
	__u32 src_ring;		/* clone: the source ring id, else 0 */
	__u32 pad;
};

/*
 * Measured inside the kernel by the internals hooks (fentry/kprobe), per
 * register call: the function doing the work, pinning and memlock charges.
 */
struct ps_inside {
	__u64 fn_ns;		/* io_sqe_buffers_register & co., entry to exit */
	__u64 pinned_pages;	/* io_pin_pages results */
	__u64 pin_ns;
	__u64 charged_pages;	/* pages charged to RLIMIT_MEMLOCK (user->locked_vm) */
	__u64 charge_ns;
	__u64 charge_failures;
	__u64 bufs_tried;	/* io_sqe_buffer_register calls */
	__u64 bufs_failed;
};

struct ps_reg_stats {
	__u64 calls;
	__u64 failures;
	__u64 lat_total_ns;
	__u64 lat_min_ns;
	__u64 lat_max_ns;
	struct ps_table_sum sum;	/* successful calls only */
	struct ps_inside inside;	/* all calls; zero without internals hooks */
};

struct ps_reg_err_key {
	__u32 ring;
	__u32 opcode;
	__s32 err;		/* positive errno */
	__u32 pad;
};

/* Per-IO pinning, by ring and opcode. */
struct ps_pin_key {
	__u32 ring;
	__u32 opcode;
};

struct ps_io_key {
	__u32 ring;
	__u16 opcode;
	__u16 buf_index;	/* PS_BUF_INDEX_NONE when not a table lookup */
};

struct ps_io_stats {
	__u64 ops;
	__u64 bytes;		/* sum of positive results */
	__u64 errors;		/* completions with a negative result */
};

/*
 * Per CPU, a direct-mapped table in front of the io_stats hash: an array
 * lookup is inlined, a hash lookup is not (it took ~25 of the ~32 ns the
 * completion hook cost above an empty program).
 * A key owns its slot until another key maps there; then its counts move
 * to io_stats. Readers read io_stats first, then the table: a move between
 * the two reads shows up one read later, never twice.
 */
#define PS_IO_CACHE_SLOTS	256
struct ps_io_cached {
	struct ps_io_key key;	/* ring 0: empty slot */
	struct ps_io_stats st;
};

/* Slot of a key: for one ring and opcode, buffers 0..255 never collide. */
static inline __u32 ps_io_cache_slot(const struct ps_io_key *k)
{
	return (k->buf_index ^ (k->opcode * 37u) ^ (k->ring * 101u)) & (PS_IO_CACHE_SLOTS - 1);
}

/*
 * Requests of an opcode that may carry a registered buffer which the kernel
 * failed before issuing them (io_uring_req_failed: at prep, bad flags or
 * fields): they used no buffer, so they are not fixed-buffer IOs.
 */
struct ps_refused_key {
	__u32 ring;
	__u16 opcode;
	__u16 err;		/* positive errno */
};

/* IOs of a ring that pinned user pages themselves (no registered buffer). */
struct ps_pin_stats {
	__u64 ios;
	__u64 pages;
};

/* O_DIRECT outside io_uring, and block-layer evidence, per process. */
struct ps_proc_stats {
	__u64 dio_ios;		/* direct IOs on user memory outside io_uring */
	__u64 dio_pages;
	__u64 pinned_bios;	/* bios queued with BIO_PAGE_PINNED */
	__u64 io_pin_calls;	/* internals: pin_user_pages* outside registration/setup */
	__u64 io_pinned_pages;
	char comm[PS_COMM_LEN];
};

/* Per ring and buffer index: registered-buffer lookups seen by the import hook. */
struct ps_import_key {
	__u32 ring;
	__u16 opcode;		/* PS_OP_UNKNOWN where the hook cannot see it */
	__u16 buf_index;
};

struct ps_import_stats {
	__u64 imports;
	__u64 errors;
	__u64 offset_imports;	/* imports that started inside the buffer, not at it */
	__u64 lat_ns;
};

#define PS_OP_UNKNOWN		0xffff

enum ps_hist_kind {
	PS_HIST_REG_LAT = 1,	/* op = register opcode; latency in ns */
	PS_HIST_BUF_SIZE = 2,	/* op = register opcode; bytes per buffer */
	PS_HIST_IO_LAT = 3,	/* op = SQE opcode; submit -> complete, ns */
	PS_HIST_PIN_LAT = 4,	/* op = register opcode; io_pin_pages ns per registration */
	PS_HIST_CHARGE_LAT = 5,	/* op = register opcode; memlock charge ns */
	PS_HIST_IMPORT_LAT = 6,	/* op = SQE opcode; buffer lookup ns */
};

/*
 * The hists array: one row per kind and opcode, an inlined lookup (a hash
 * lookup cost each registration call ~100 ns). Opcodes at or above
 * PS_HIST_OP_OTHER (PS_OP_UNKNOWN among them) share the last row.
 */
#define PS_HIST_KINDS		7
#define PS_HIST_OP_OTHER	64
#define PS_HIST_OPS		(PS_HIST_OP_OTHER + 1)

struct ps_hist_key {
	__u32 kind;
	__u32 op;
};

struct ps_hist {
	__u64 slots[PS_HIST_SLOTS];
};

/*
 * IO latency, the one histogram on the per-IO path: a per-CPU array by SQE
 * opcode (plain increments, an inlined lookup) instead of the hists hash.
 * Every opcode that takes a registered buffer is below this.
 */
#define PS_IO_LAT_OPS		64

/* Global counters, index into the counters array map. */
enum ps_counter {
	PS_CNT_LOST_EVENTS = 0,	/* ring buffer full */
	PS_CNT_RINGS_DROPPED,	/* ring table full: rings not traced (once per ring) */
	PS_CNT_IO_KEYS_DROPPED,	/* io_stats table full */
	PS_CNT_IO_LAT_UNMATCHED, /* hist: a fixed-buffer completion with no submit time */
	PS_CNT_PIDS_DROPPED,	/* traced-process table full: children not traced */
	PS_CNT_STATE_BUSY,	/* a thread's task storage refused (busy): its event missed */
	PS_CNT_MAX,
};

enum ps_event_type {
	PS_EV_RING_CREATE = 1,
	PS_EV_REGISTER = 2,
	PS_EV_BUFFER = 3,	/* struct ps_buf_event: a slot (BPF sends PS_EV_BUFFERS) */
	PS_EV_RING_CLOSE = 4,	/* struct ps_buf_event, ring only */
	PS_EV_PROC_EXIT = 5,	/* struct ps_buf_event, pid only */
	PS_EV_CLONE = 6,	/* struct ps_clone_event: the slots a clone filled */
	PS_EV_RINGS_GONE = 7,	/* user side only: struct ps_gone_event, from a harvest */
	PS_EV_BUFFERS = 8,	/* struct ps_bufs_event: up to PS_BUFS_PER_EVENT slots */
};

/* Compact records for `check`: registrations can fill 16,384 slots. */
struct ps_buf_event {
	__u32 type;		/* PS_EV_BUFFER, PS_EV_RING_CLOSE, PS_EV_PROC_EXIT */
	__u32 ring;
	__u32 pid;
	__u32 slot;
	__u64 ts_ns;
	__u64 addr;
	__u64 len;
	__u32 opcode;		/* the registration that filled the slot */
	__u32 shared;		/* 1: shares the pages of another ring's buffer (clone) */
};

/*
 * The slots of one walk of a table, PS_BUFS_PER_EVENT to a record: a record
 * per slot (a reservation, a clock read, a submit) cost check a third more
 * on each registration of 900 or 4,096 buffers.
 */
#define PS_BUFS_PER_EVENT	64

struct ps_buf_slot {
	__u64 addr;
	__u64 len;
	__u32 slot;
	__u32 shared;		/* as in ps_buf_event */
};

struct ps_bufs_event {
	__u32 type;		/* PS_EV_BUFFERS */
	__u32 ring;
	__u32 pid;
	__u32 opcode;		/* the registration that filled the slots */
	__u32 nr;		/* slots in v[], at most PS_BUFS_PER_EVENT */
	__u32 pad;
	__u64 ts_ns;
	struct ps_buf_slot v[PS_BUFS_PER_EVENT];	/* nr sent */
};

/*
 * Never from BPF: the session's harvest tells the subcommand which rings a
 * look found gone, in the same stream as the kernel's records, so what it
 * keeps per ring goes with them even when their close record was lost.
 */
struct ps_gone_event {
	__u32 type;		/* PS_EV_RINGS_GONE */
	__u32 nr;
	__u32 ids[];		/* nr of them, ascending */
};

/*
 * check: a clone's slots hold its source's buffers, so one record stands for
 * all of them (a record per slot cost a 900-buffer clone 70 % more time).
 */
struct ps_clone_event {
	__u32 type;		/* PS_EV_CLONE */
	__u32 ring;		/* the destination */
	__u32 pid;
	__u32 src_ring;
	__u32 src_first;	/* the first source slot cloned … */
	__u32 first;		/* … lands in this destination slot */
	__u32 nr;		/* slots cloned */
	__u32 pad;
	__u64 ts_ns;
};

/* One ring-buffer record per ring creation or buffer registration call. */
struct ps_event {
	__u32 type;		/* enum ps_event_type */
	__u32 pid;
	__u32 tid;
	__u32 ring;
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	char comm[PS_COMM_LEN];
	__s32 fd;
	__u32 opcode;		/* register opcode; setup flags for RING_CREATE */
	__s64 ret;
	__u64 lat_ns;
	__u32 src_ring;
	__u32 nr_args;
	struct ps_table_sum sum;
	struct ps_inside inside;
	struct ps_diag diag;		/* REGISTER only */
	struct ps_ring ring_info;	/* RING_CREATE only */
};

/*
 * A registration that succeeded is sent without the doctor's diag and what
 * follows (~70 % of the record: less for the traced call to write). User
 * space widens it back to a struct ps_event (event_widen).
 */
#define PS_EVENT_REG_OK_SIZE	offsetof(struct ps_event, diag)

#endif /* PINSCOPE_H */
