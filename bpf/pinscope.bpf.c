// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope's BPF programs: the attach points only. Each measurement has one
 * handler body (in the headers below); which flavour calls it (tp_btf,
 * classic tracepoint, later fentry/kprobe) is chosen by user space before
 * load by toggling autoload.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"
#include "rings.bpf.h"
#include "register.bpf.h"
#include "io.bpf.h"
#include "pinning.bpf.h"
#include "internals.bpf.h"
#include "looks.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/io_uring_create")
int BPF_PROG(ps_ring_create, int fd, void *ring_ctx, __u32 sq_entries, __u32 cq_entries,
	     __u32 flags)
{
	handle_ring_create(fd, ring_ctx, sq_entries, cq_entries);
	return 0;
}

/*
 * System calls on the tracepoint backend: the raw sys_enter tracepoint,
 * which every system call fires, filtered by number. A call's own
 * tracepoint (syscalls/sys_enter_*) builds a perf record first: measured
 * here, it added ~300 ns to each io_uring_register, this ~100 ns (and one
 * short program run to every other system call).
 */
#define REG_ENTER(regs, direct)							\
	handle_register_enter((int)PT_REGS_PARM1_SYSCALL(regs),			\
			      (__u32)PT_REGS_PARM2_SYSCALL(regs),			\
			      (void *)PT_REGS_PARM3_SYSCALL(regs),			\
			      (__u32)PT_REGS_PARM4_SYSCALL(regs), direct)

static __always_inline void close_enter(int fd);

/*
 * Fields loaded inline (bpf_rdonly_cast, 6.2+) … check's close(2) is taken
 * here too (close_in_reg_enter): each program on sys_enter costs every
 * system call of the machine a run, ~60 ns.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(ps_reg_enter, struct pt_regs *regs, long id)
{
	if (id == nr_io_uring_register)
		REG_ENTER(regs, true);
	else if (close_in_reg_enter && id == nr_close)
		close_enter((int)PT_REGS_PARM1_SYSCALL(regs));
	return 0;
}

/* … and read where the kernel lacks it. */
SEC("tp_btf/sys_enter")
int BPF_PROG(ps_reg_enter_read, struct pt_regs *regs, long id)
{
	if (id == nr_io_uring_register)
		REG_ENTER(regs, false);
	else if (close_in_reg_enter && id == nr_close)
		close_enter((int)PT_REGS_PARM1_SYSCALL(regs));
	return 0;
}

/*
 * --registration-only: the call's own tracepoint, which other system calls
 * pass by for a bit test (sys_enter runs a program for each: ~80 ns more
 * per call on our VM, io_uring_enter's included).
 */
SEC("tracepoint/syscalls/sys_enter_io_uring_register")
int ps_reg_enter_tp(struct trace_event_raw_sys_enter *tp)
{
	handle_register_enter((int)tp->args[0], (__u32)tp->args[1], (void *)tp->args[2],
			      (__u32)tp->args[3], false);
	return 0;
}

/* The table walk with inline loads (bpf_rdonly_cast, 6.2+) … */
SEC("tp_btf/io_uring_register")
int BPF_PROG(ps_reg_done, void *ring_ctx, unsigned int opcode, unsigned int nr_files,
	     unsigned int nr_bufs, long ret)
{
	handle_register_done(ring_ctx, opcode, ret, true);
	return 0;
}

/* … and with probe reads where the kernel lacks it. */
SEC("tp_btf/io_uring_register")
int BPF_PROG(ps_reg_done_read, void *ring_ctx, unsigned int opcode, unsigned int nr_files,
	     unsigned int nr_bufs, long ret)
{
	handle_register_done(ring_ctx, opcode, ret, false);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_register")
int ps_reg_exit(struct trace_event_raw_sys_exit *tp)
{
	handle_register_exit(tp->ret);
	return 0;
}

/* 6.13+: io_uring_complete(ctx, req, cqe); req fields loaded inline. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(ps_complete, struct io_ring_ctx *ring_ctx, void *req, struct io_uring_cqe *cqe)
{
	struct io_kiocb *r = bpf_rdonly_cast(req, bpf_core_type_id_kernel(struct io_kiocb));

	handle_complete(ring_ctx, req, cqe->res, r->opcode, r->buf_index);
	return 0;
}

/* The same where the kernel has no bpf_rdonly_cast: one probe read. */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(ps_complete_read, struct io_ring_ctx *ring_ctx, void *req,
	     struct io_uring_cqe *cqe)
{
	__u16 buf_index;
	__u8 op = req_opcode_index(req, &buf_index);

	handle_complete(ring_ctx, req, BPF_CORE_READ(cqe, res), op, buf_index);
	return 0;
}

/* up to 6.12: io_uring_complete(ctx, req, user_data, res, cflags, extra1, extra2) */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(ps_complete_old, void *ring_ctx, void *req, __u64 user_data, int res)
{
	__u16 buf_index;
	__u8 op = req_opcode_index(req, &buf_index);

	handle_complete(ring_ctx, req, res, op, buf_index);
	return 0;
}

/* Loaded only for `hist` (IO latency): 6.5+ name, then the 6.1 one. */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(ps_submit, struct io_kiocb *req)
{
	__u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), &ctx[0]);
	handle_submit(req, addr);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(ps_submit_old, struct io_kiocb *req, bool force_nonblock)
{
	__u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), &ctx[0]);
	handle_submit(req, addr);
	return 0;
}

/* Marks a direct IO outside io_uring begun (6.3+): counted at its first bio. */
SEC("tp_btf/iomap_dio_rw_begin")
int BPF_PROG(ps_dio_begin, struct kiocb *iocb, struct iov_iter *iter)
{
	handle_dio_begin(iocb, iter);
	return 0;
}

/*
 * Every bio: those with pinned user pages per process, and those of direct
 * IO on user memory per IO (what each IO really pinned).
 */
SEC("tp_btf/block_bio_queue")
int BPF_PROG(ps_bio_queue, struct bio *bio)
{
	handle_bio_queue(bio);
	return 0;
}

/* A request failed before issue (at prep): not a fixed-buffer IO. */
SEC("tp_btf/io_uring_req_failed")
int BPF_PROG(ps_req_failed, const struct io_uring_sqe *sqe, struct io_kiocb *req, int error)
{
	handle_req_failed(req, req->opcode, error);
	return 0;
}

/* ---- lifetimes, for `check`: a ring's buffers end with it ------------------ */

static __always_inline void emit_lifetime(__u32 type, __u32 ring, __u32 pid)
{
	struct ps_buf_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PS_CNT_LOST_EVENTS);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ring = ring;
	e->pid = pid;
	e->ts_ns = bpf_ktime_get_ns();
	/* at once: the session harvests gone rings from these (ring table room) */
	bpf_ringbuf_submit(e, 0);
}

static __always_inline void close_enter(int fd)
{
	__u64 key;
	__u32 *ring;

	if (!tgid_traced())
		return;
	key = (__u64)ps_fd_ring_ctx(fd, false);
	ring = key ? bpf_map_lookup_elem(&ring_ids, &key) : NULL;
	if (ring)
		emit_lifetime(PS_EV_RING_CLOSE, *ring, bpf_get_current_pid_tgid() >> 32);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ps_close, struct pt_regs *regs, long id)
{
	if (id == nr_close)
		close_enter((int)PT_REGS_PARM1_SYSCALL(regs));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ps_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	/* the tracepoint fires after signal->live dropped: 0 for the last thread */
	if (BPF_CORE_READ(p, signal, live.counter) || !tgid_traced())
		return 0;
	if (emit_buffers)
		emit_lifetime(PS_EV_PROC_EXIT, 0, tgid);
	/* a traced process leaves the table when it ends, so the table never fills */
	if (filter_tgid)
		bpf_map_delete_elem(&traced, &tgid);
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
	if (bpf_map_update_elem(&traced, &ctgid, &one, BPF_ANY))
		count(PS_CNT_PIDS_DROPPED);	/* once: the child is never traced */
	return 0;
}

/* ---- inside io_uring: fentry/fexit or kprobe/kretprobe ---------------------
 * Each hook exists in both flavours; user space loads one of them (or none)
 * per hook. Arguments are fetched by position through bpf_get_func_arg /
 * bpf_get_func_ret (fentry/fexit) or pt_regs (kprobes), so one program fits
 * every kernel's signature of the same function.
 */

static __always_inline __u64 fe_arg(__u64 *ctx, __u32 n)
{
	__u64 v = 0;

	bpf_get_func_arg(ctx, n, &v);
	return v;
}

static __always_inline __u64 kp_arg(struct pt_regs *ctx, __u32 n)
{
	switch (n) {
	case 0: return PT_REGS_PARM1(ctx);
	case 1: return PT_REGS_PARM2(ctx);
	case 2: return PT_REGS_PARM3(ctx);
	case 3: return PT_REGS_PARM4(ctx);
	default: return PT_REGS_PARM5(ctx);
	}
}

/* func is expanded first, so it may be PS_SYSCALL_FN(...) */
#define PS_STR(x)	#x
#define PS_XSTR(x)	PS_STR(x)

/* body may use ARG(n); entry programs of both flavours */
#define ENTRY_HOOK(name, func, body)						\
	SEC("fentry/" PS_XSTR(func)) int name##_fe(__u64 *ctx)			\
	{ body(fe_arg, ctx); return 0; }					\
	SEC("kprobe/" PS_XSTR(func)) int name##_kp(struct pt_regs *ctx)	\
	{ body(kp_arg, ctx); return 0; }

/* body gets the return value; exit programs of both flavours */
#define EXIT_HOOK(name, func, body)						\
	SEC("fexit/" PS_XSTR(func)) int name##_fx(__u64 *ctx)			\
	{ __u64 ret = 0; bpf_get_func_ret(ctx, &ret); body(ret); return 0; }	\
	SEC("kretprobe/" PS_XSTR(func)) int name##_kr(struct pt_regs *ctx)	\
	{ body(PT_REGS_RC(ctx)); return 0; }

#define NO_ARGS(get, c)			regfn_enter()
#define RET_FN(ret)			regfn_exit()
#define PIN_ENTER(get, c)		pin_enter(get(c, 2))
#define CHARGE2_ENTER(get, c)		charge_enter(get(c, 1))
#define CHARGE3_ENTER(get, c)		charge_enter(get(c, 2))
#define IMPORT_BUF_ENTER(get, c)	import_req_enter((void *)get(c, 0), get(c, 2), false)
#define IMPORT_VEC_ENTER(get, c)	import_req_enter((void *)get(c, 2), 0, true)
#define IMPORT_IMU_ENTER(get, c)	import_imu_enter((void *)get(c, 2), get(c, 3))

/* registration as a whole: each op's kernel function, entry to exit */
ENTRY_HOOK(ps_rf_reg, io_sqe_buffers_register, NO_ARGS)
EXIT_HOOK(ps_rf_reg, io_sqe_buffers_register, RET_FN)
ENTRY_HOOK(ps_rf_clone, io_register_clone_buffers, NO_ARGS)
EXIT_HOOK(ps_rf_clone, io_register_clone_buffers, RET_FN)
ENTRY_HOOK(ps_rf_unreg, io_sqe_buffers_unregister, NO_ARGS)
EXIT_HOOK(ps_rf_unreg, io_sqe_buffers_unregister, RET_FN)
ENTRY_HOOK(ps_rf_upd, io_register_rsrc_update, NO_ARGS)
EXIT_HOOK(ps_rf_upd, io_register_rsrc_update, RET_FN)
/* one buffer of a registration */
EXIT_HOOK(ps_bufreg, io_sqe_buffer_register, bufreg_exit)
/* pinning: io_uring's own, and any other pin of a traced process */
ENTRY_HOOK(ps_pin, io_pin_pages, PIN_ENTER)
EXIT_HOOK(ps_pin, io_pin_pages, pin_exit)
EXIT_HOOK(ps_pup_fast, pin_user_pages_fast, pin_user_exit)
EXIT_HOOK(ps_pup, pin_user_pages, pin_user_exit)
/* memlock charges: __io_account_mem(user, nr) or io_account_mem(user, mm, nr) */
ENTRY_HOOK(ps_charge, __io_account_mem, CHARGE2_ENTER)
EXIT_HOOK(ps_charge, __io_account_mem, charge_exit)
ENTRY_HOOK(ps_charge3, io_account_mem, CHARGE3_ENTER)
EXIT_HOOK(ps_charge3, io_account_mem, charge_exit)
/* the per-IO lookup */
ENTRY_HOOK(ps_imp_buf, io_import_reg_buf, IMPORT_BUF_ENTER)
EXIT_HOOK(ps_imp_buf, io_import_reg_buf, import_exit)
ENTRY_HOOK(ps_imp_vec, io_import_reg_vec, IMPORT_VEC_ENTER)
EXIT_HOOK(ps_imp_vec, io_import_reg_vec, import_exit)
ENTRY_HOOK(ps_imp_imu, io_import_fixed, IMPORT_IMU_ENTER)
EXIT_HOOK(ps_imp_imu, io_import_fixed, import_exit)

/*
 * System calls. Their tracepoints work everywhere, but enabling any syscall
 * tracepoint sends every system call of the machine down the tracing slow
 * path (~120 ns each on our VM). Where fentry or kprobes work, user space
 * loads these instead: hooks on the syscall functions, whose argument 0 is
 * the caller's saved registers.
 */
#define SYS_ARG(get, c, n)	PT_REGS_PARM##n##_CORE_SYSCALL((struct pt_regs *)get(c, 0))
#define SYS_REG_ENTER(get, c)	handle_register_enter((int)SYS_ARG(get, c, 1),		\
						      (__u32)SYS_ARG(get, c, 2),		\
						      (void *)SYS_ARG(get, c, 3),		\
						      (__u32)SYS_ARG(get, c, 4), false)
#define SYS_REG_EXIT(ret)	handle_register_exit((long)(ret))
#define SYS_CLOSE_ENTER(get, c)	close_enter((int)SYS_ARG(get, c, 1))
#define SYS_ENTER_ENTER(get, c)	enter_enter((int)SYS_ARG(get, c, 1), (__u32)SYS_ARG(get, c, 4))
#define SYS_ENTER_EXIT(ret)	enter_exit()
#define SYS_SETUP_ENTER(get, c)	setup_enter()
#define SYS_SETUP_EXIT(ret)	setup_exit()

ENTRY_HOOK(ps_sreg, PS_SYSCALL_FN(io_uring_register), SYS_REG_ENTER)
EXIT_HOOK(ps_sreg, PS_SYSCALL_FN(io_uring_register), SYS_REG_EXIT)
ENTRY_HOOK(ps_sclose, PS_SYSCALL_FN(close), SYS_CLOSE_ENTER)
ENTRY_HOOK(ps_senter, PS_SYSCALL_FN(io_uring_enter), SYS_ENTER_ENTER)
EXIT_HOOK(ps_senter, PS_SYSCALL_FN(io_uring_enter), SYS_ENTER_EXIT)
ENTRY_HOOK(ps_ssetup, PS_SYSCALL_FN(io_uring_setup), SYS_SETUP_ENTER)
EXIT_HOOK(ps_ssetup, PS_SYSCALL_FN(io_uring_setup), SYS_SETUP_EXIT)

/* Before 6.13 imports are attributed through the io_uring_enter in progress */
SEC("tracepoint/syscalls/sys_enter_io_uring_enter")
int ps_enter_enter(struct trace_event_raw_sys_enter *tp)
{
	enter_enter((int)tp->args[0], (__u32)tp->args[3]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_enter")
int ps_enter_exit(void *ctx)
{
	enter_exit();
	return 0;
}

/* io_uring_setup(2) brackets the pins of NO_MMAP ring memory */
SEC("tracepoint/syscalls/sys_enter_io_uring_setup")
int ps_setup_enter(void *ctx)
{
	setup_enter();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_io_uring_setup")
int ps_setup_exit(void *ctx)
{
	setup_exit();
	return 0;
}
