/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * NVMe passthrough for IORING_OP_URING_CMD: the namespace behind a generic
 * char device (/dev/ngXnY), found by probing, and NVMe read and write
 * commands built by hand in a 128-byte SQE (uapi struct nvme_uring_cmd).
 */
#ifndef PINSCOPE_NVME_H
#define PINSCOPE_NVME_H

#include <stdbool.h>
#include <linux/types.h>
#include <liburing.h>

#include "workload.h"

/* The namespace-to-device mapping under test. */
struct nvme_ns {
	int fd;			/* the generic char device, O_RDWR */
	char dev[32];		/* "ng0n1" */
	char disk[32];		/* its block device, "nvme0n1" */
	__u32 nsid;
	unsigned int lba_size;	/* bytes per logical block */
	__u64 bytes;		/* namespace capacity */
};

/*
 * Opens the first generic char device and reads its namespace's geometry.
 * CASE_OK; skipped when this machine has none (the reason says why); failed
 * when one exists but cannot be used.
 */
enum case_result nvme_ns_open(struct wctx *c, struct nvme_ns *ns);

/*
 * An NVMe read or write of len bytes at byte offset off of the namespace,
 * through registered buffer buf_index (IORING_URING_CMD_FIXED), addr inside
 * it. The SQE must be a 128-byte one (IORING_SETUP_SQE128).
 */
void nvme_prep_rw_fixed(struct io_uring_sqe *sqe, const struct nvme_ns *ns,
			bool write, void *addr, __u32 len, __u64 off,
			unsigned int buf_index);

#endif /* PINSCOPE_NVME_H */
