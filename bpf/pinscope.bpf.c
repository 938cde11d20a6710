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

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/io_uring_create")
int BPF_PROG(ps_ring_create, int fd, void *ring_ctx, __u32 sq_entries, __u32 cq_entries,
	     __u32 flags)
{
	handle_ring_create(fd, ring_ctx, sq_entries, cq_entries);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_io_uring_register")
int ps_reg_enter(struct trace_event_raw_sys_enter *tp)
{
	handle_register_enter((int)tp->args[0], (__u32)tp->args[1], (void *)tp->args[2],
			      (__u32)tp->args[3]);
	return 0;
}

SEC("tp_btf/io_uring_register")
int BPF_PROG(ps_reg_done, void *ring_ctx, unsigned int opcode, unsigned int nr_files,
	     unsigned int nr_bufs, long ret)
{
	handle_register_done(ring_ctx, ret);
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
	handle_submit(req);
	return 0;
}

SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(ps_submit_old, struct io_kiocb *req, bool force_nonblock)
{
	handle_submit(req);
	return 0;
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
