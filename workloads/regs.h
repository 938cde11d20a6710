/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Buffer registration calls. Each wrapper makes exactly one
 * io_uring_register(2) call, records it in the ring's oracle and keeps a
 * model of the ring's buffer table, from which the next calls' numbers
 * (unregister, clone, huge-page accounting) follow.
 *
 * All return the syscall's result (>= 0) or -errno; judging it is the case's
 * business.
 */
#ifndef PINSCOPE_REGS_H
#define PINSCOPE_REGS_H

#include <sys/uio.h>
#include <linux/types.h>

#include "oracle.h"

/* Wall time of the last REGISTER_BUFFERS(2) system call alone, in ns. */
extern unsigned long long reg_last_call_ns;

int reg_buffers(struct oracle_ring *r, const struct iovec *iov,
		unsigned int nr);
/* REGISTER_BUFFERS2; tags may be NULL. */
int reg_buffers2(struct oracle_ring *r, const struct iovec *iov,
		 const __u64 *tags, unsigned int nr);
/* REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE: nr empty slots. */
int reg_buffers_sparse(struct oracle_ring *r, unsigned int nr);
/* REGISTER_BUFFERS_UPDATE of slots [offset, offset + nr); tags may be NULL. */
int reg_update(struct oracle_ring *r, unsigned int offset,
	       const struct iovec *iov, const __u64 *tags, unsigned int nr);
int reg_unregister(struct oracle_ring *r);
/* REGISTER_CLONE_BUFFERS from src into dst (flags UC_REGISTER_*). */
int reg_clone(struct oracle_ring *dst, const struct oracle_ring *src,
	      __u32 flags, __u32 src_off, __u32 dst_off, __u32 nr);

/*
 * A tracer attaches now: every ring so far becomes one it finds, with its
 * table as it is; the calls before are ones it never sees.
 */
void oracle_attached(struct oracle *o);

#endif /* PINSCOPE_REGS_H */
