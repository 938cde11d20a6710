// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nvme_ioctl.h>

#include "nvme.h"

_Static_assert(sizeof(struct nvme_uring_cmd) <= 80,
	       "an NVMe command fits the 80 command bytes of a 128-byte SQE");

/* NVM command set opcodes (NVMe base specification, "I/O commands"). */
#define NVME_CMD_WRITE	0x01
#define NVME_CMD_READ	0x02

/* A number from a one-line sysfs file of block device disk; false if none. */
static bool sysfs_number(const char *disk, const char *attr,
			 unsigned long long *val)
{
	char path[128], line[64], *end;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/sys/block/%s/%s", disk, attr);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok)
		return false;
	errno = 0;
	*val = strtoull(line, &end, 10);
	return !errno && end != line && (*end == '\n' || !*end);
}

/* Any NVMe namespace block device, for the reason of a skip. */
static bool have_nvme_disk(void)
{
	glob_t g;
	bool found = glob("/dev/nvme*n*", 0, NULL, &g) == 0;

	globfree(&g);
	return found;
}

/*
 * The first /dev/ngXnY that is a char device, into ns->dev; ns->disk gets
 * the block device of the same namespace: both names carry the same
 * subsystem and namespace instance numbers.
 */
static bool find_generic_dev(struct nvme_ns *ns)
{
	unsigned int ctrl, nsi;
	struct stat st;
	glob_t g;
	bool found = false;

	if (glob("/dev/ng*n*", 0, NULL, &g))
		return false;
	for (size_t i = 0; i < g.gl_pathc && !found; i++) {
		const char *name = g.gl_pathv[i] + strlen("/dev/");
		char tail;

		if (stat(g.gl_pathv[i], &st) || !S_ISCHR(st.st_mode) ||
		    sscanf(name, "ng%un%u%c", &ctrl, &nsi, &tail) != 2)
			continue;
		snprintf(ns->dev, sizeof(ns->dev), "ng%un%u", ctrl, nsi);
		snprintf(ns->disk, sizeof(ns->disk), "nvme%un%u", ctrl, nsi);
		found = true;
	}
	globfree(&g);
	return found;
}

enum case_result nvme_ns_open(struct wctx *c, struct nvme_ns *ns)
{
	unsigned long long lba, sectors, sysfs_nsid;
	char path[64];
	int id;

	memset(ns, 0, sizeof(*ns));
	ns->fd = -1;
	if (!find_generic_dev(ns)) {
		if (have_nvme_disk())
			return case_skip(c, "an NVMe namespace but no generic char device (/dev/ngXnY): this kernel has none (they came in 5.13)");
		return case_skip(c, "no NVMe generic char device (/dev/ngXnY) to send URING_CMD to");
	}
	snprintf(path, sizeof(path), "/dev/%s", ns->dev);
	ns->fd = open(path, O_RDWR | O_CLOEXEC);
	if (ns->fd < 0 || !cleanup_fd(c, ns->fd))
		return case_fail(c, "open %s: %s", path, strerror(errno));
	id = ioctl(ns->fd, NVME_IOCTL_ID);
	if (id <= 0)
		return case_fail(c, "NVME_IOCTL_ID on %s: %s", path,
				 id < 0 ? strerror(errno) : "namespace id 0");
	ns->nsid = (__u32)id;
	if (!sysfs_number(ns->disk, "queue/logical_block_size", &lba) ||
	    !sysfs_number(ns->disk, "size", &sectors))
		return case_fail(c, "no /sys/block/%s/{queue/logical_block_size,size} for %s",
				 ns->disk, path);
	if (sysfs_number(ns->disk, "nsid", &sysfs_nsid) && sysfs_nsid != ns->nsid)
		return case_fail(c, "%s is namespace %u but /sys/block/%s/nsid says %llu",
				 path, ns->nsid, ns->disk, sysfs_nsid);
	if (!lba || (lba & (lba - 1)))
		return case_fail(c, "%s: logical block size %llu", ns->disk, lba);
	ns->lba_size = (unsigned int)lba;
	ns->bytes = sectors * 512;	/* sysfs "size" counts 512-byte sectors */
	return CASE_OK;
}

void nvme_prep_rw_fixed(struct io_uring_sqe *sqe, const struct nvme_ns *ns,
			bool write, void *addr, __u32 len, __u64 off,
			unsigned int buf_index)
{
	struct nvme_uring_cmd *cmd = (struct nvme_uring_cmd *)sqe->cmd;
	__u64 slba = off / ns->lba_size;

	/* the whole 128-byte entry: the command fills its second half */
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = ns->fd;
	sqe->cmd_op = NVME_URING_CMD_IO;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = (__u16)buf_index;
	cmd->opcode = write ? NVME_CMD_WRITE : NVME_CMD_READ;
	cmd->nsid = ns->nsid;
	cmd->addr = (__u64)(uintptr_t)addr;
	cmd->data_len = len;
	cmd->cdw10 = (__u32)slba;		/* starting LBA, low and high */
	cmd->cdw11 = (__u32)(slba >> 32);
	cmd->cdw12 = len / ns->lba_size - 1;	/* number of blocks, 0-based */
}
