/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * IO through a liburing ring: every SQE is checked against the full length
 * it asked for, and what it did lands in the ring's oracle.
 */
#ifndef PINSCOPE_IO_H
#define PINSCOPE_IO_H

#include <stdbool.h>
#include <linux/types.h>

#include "workload.h"

struct nvme_ns;

/* user_data of buffer-tag CQEs (REGISTER_BUFFERS2 tags) carry this bit. */
#define WS_TAG_BIT (1ULL << 62)

struct ws_io {
	__u8 opcode;		/* IORING_OP_* or UC_OP_* */
	int fd;
	void *addr;		/* buffer; the iovec array for READV/WRITEV_FIXED */
	unsigned int len;	/* bytes; the iovec count for READV/WRITEV_FIXED */
	__u64 off;
	int buf_index;		/* registered buffer, -1 for plain user memory */
	bool pins;		/* O_DIRECT on plain user memory: pinned per IO */
	__u8 sqe_flags;		/* IOSQE_* (IOSQE_ASYNC: issued by an io-wq thread) */
	__u16 zc_flags;		/* SEND_ZC: IORING_RECVSEND_* flags added to the SQE */
	bool has_want;		/* the result is want, not the full length */
	int want;		/* a short read's length, 0 past the end, -errno */
	bool refused;		/* the kernel fails the SQE at prep, before issue */
	/* URING_CMD: an NVMe read or write of len bytes at off of ns (nvme.h) */
	const struct nvme_ns *ns;
	bool write;
};

/*
 * Submit every IO, reap every CQE; CASE_OK or CASE_FAILED. Each must
 * complete with its full length; a URING_CMD with 0 (the command's status).
 */
enum case_result io_run(struct wctx *c, struct ws_ring *r,
			const struct ws_io *ios, unsigned int nr);

/*
 * One IO whose result the caller judges (a feature probe): *res gets the
 * CQE's result; CASE_FAILED only when submitting or reaping failed.
 */
enum case_result io_run_probe(struct wctx *c, struct ws_ring *r,
			      const struct ws_io *io, int *res);

/*
 * After reads: every IO's buffer region (plain addresses, not iovecs) must
 * hold what expect, a copy of the buffers starting at base, holds there.
 */
enum case_result io_check_regions(struct wctx *c, const struct ws_io *ios,
				  unsigned int n, const char *base,
				  const char *expect);

/* Name of an SQE opcode as docs/json.md spells it. */
const char *io_op_name(int opcode);

/* pread/pwrite outside io_uring, O_DIRECT: recorded as direct_io. */
enum case_result direct_pread(struct wctx *c, int fd, void *buf, size_t len,
			      off_t off);

#endif /* PINSCOPE_IO_H */
