/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The io_uring uapi that Debian 12's liburing 2.3 predates: buffer cloning,
 * rings on user memory (NO_MMAP) and vectored fixed-buffer IO. Everything
 * here is a plain number from the kernel's uapi header plus raw syscalls, so
 * the workload builds against the old headers and probes the running kernel.
 */
#ifndef PINSCOPE_URING_COMPAT_H
#define PINSCOPE_URING_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <liburing.h>

#define UC_REGISTER_BUFFERS		0
#define UC_UNREGISTER_BUFFERS		1
#define UC_REGISTER_BUFFERS2		15
#define UC_REGISTER_BUFFERS_UPDATE	16
#define UC_REGISTER_PROBE		8
#define UC_REGISTER_CLONE_BUFFERS	30

/* struct io_uring_clone_buffers.flags */
#define UC_REGISTER_SRC_REGISTERED	(1U << 0)
#define UC_REGISTER_DST_REPLACE		(1U << 1)

#define UC_SETUP_NO_MMAP		(1U << 14)
#define UC_RSRC_REGISTER_SPARSE		(1U << 0)

#define UC_OP_READV_FIXED		60
#define UC_OP_WRITEV_FIXED		61

struct uc_clone_buffers {
	__u32 src_fd;
	__u32 flags;
	__u32 src_off;
	__u32 dst_off;
	__u32 nr;
	__u32 pad[3];
};

/*
 * liburing 2.3 calls the NO_MMAP user_addr fields resv2; the kernel reads the
 * SQE array address from sq_off and the rings (heads, tails, CQEs, SQ index
 * array) from cq_off.
 */
#define UC_SQ_USER_ADDR(p)	((p)->sq_off.resv2)
#define UC_CQ_USER_ADDR(p)	((p)->cq_off.resv2)

/* All return the syscall's result, or -errno. */
int uc_setup(unsigned int entries, struct io_uring_params *p);
int uc_register(int ring_fd, unsigned int opcode, const void *arg,
		unsigned int nr_args);
int uc_enter(int ring_fd, unsigned int to_submit, unsigned int min_complete,
	     unsigned int flags);
int uc_clone_buffers(int dst_fd, int src_fd, __u32 flags, __u32 src_off,
		     __u32 dst_off, __u32 nr);

/*
 * READV_FIXED / WRITEV_FIXED: addr is an iovec array whose entries point
 * inside registered buffer buf_index, len the number of iovecs.
 */
void uc_prep_rw_vec_fixed(struct io_uring_sqe *sqe, __u8 opcode, int fd,
			  const struct iovec *iov, unsigned int nr_iov,
			  __u64 offset, unsigned int buf_index);

#endif /* PINSCOPE_URING_COMPAT_H */
