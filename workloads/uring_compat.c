// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "uring_compat.h"

static int sys_result(long ret)
{
	return ret < 0 ? -errno : (int)ret;
}

int uc_setup(unsigned int entries, struct io_uring_params *p)
{
	return sys_result(syscall(__NR_io_uring_setup, entries, p));
}

int uc_register(int ring_fd, unsigned int opcode, const void *arg,
		unsigned int nr_args)
{
	return sys_result(syscall(__NR_io_uring_register, ring_fd, opcode, arg,
				  nr_args));
}

int uc_enter(int ring_fd, unsigned int to_submit, unsigned int min_complete,
	     unsigned int flags)
{
	return sys_result(syscall(__NR_io_uring_enter, ring_fd, to_submit,
				  min_complete, flags, NULL, 0));
}

int uc_clone_buffers(int dst_fd, int src_fd, __u32 flags, __u32 src_off,
		     __u32 dst_off, __u32 nr)
{
	struct uc_clone_buffers arg;

	memset(&arg, 0, sizeof(arg));
	arg.src_fd = (__u32)src_fd;
	arg.flags = flags;
	arg.src_off = src_off;
	arg.dst_off = dst_off;
	arg.nr = nr;
	return uc_register(dst_fd, UC_REGISTER_CLONE_BUFFERS, &arg, 1);
}

void uc_prep_rw_vec_fixed(struct io_uring_sqe *sqe, __u8 opcode, int fd,
			  const struct iovec *iov, unsigned int nr_iov,
			  __u64 offset, unsigned int buf_index)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->addr = (__u64)(uintptr_t)iov;
	sqe->len = nr_iov;
	sqe->off = offset;
	sqe->buf_index = (__u16)buf_index;
}
