// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IORING_OP_URING_CMD with registered buffers: NVMe passthrough reads and
 * writes through the namespace's generic char device. Only drivers that
 * implement uring_cmd take a fixed buffer there (NVMe, ublk); the VMs of
 * tools/vmtest.sh give the guest an emulated NVMe controller for this.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "nvme.h"
#include "regs.h"

#define NR_BUFS		3
#define BUF_LEN		(128 * 1024)
#define MAX_CMDS	16
/* fewer entries than commands: the schedule goes out in several batches */
#define RING_ENTRIES	8
/* IOs are multiples of this; any smaller power-of-two LBA size divides it */
#define IO_UNIT		4096
/* the commands' region of the namespace starts here, not at LBA 0 */
#define NS_START	(1024 * 1024)

/*
 * Commands per registered buffer: all different, so per-index counts show;
 * at most BUF_LEN / (3 * IO_UNIT) each.
 */
static const unsigned int cmds_per_index[NR_BUFS] = { 4, 1, 6 };

/*
 * One command per entry: 1..3 units of buffer buf_index, each command's
 * memory apart from the others' (so every read lands in its own place),
 * namespace regions laid end to end from NS_START. Returns the count; *end
 * the byte after the last region.
 */
static unsigned int nvme_schedule(struct ws_io *ios, char *base,
				  const struct nvme_ns *ns, __u64 *end)
{
	__u64 ns_off = NS_START;
	unsigned int n = 0;

	for (unsigned int idx = 0; idx < NR_BUFS; idx++) {
		for (unsigned int j = 0; j < cmds_per_index[idx]; j++) {
			unsigned int len = IO_UNIT * (1 + (j + 2 * idx) % 3);
			unsigned int at = j * 3 * IO_UNIT;

			ios[n] = (struct ws_io){ .opcode = IORING_OP_URING_CMD,
				.addr = base + idx * BUF_LEN + at, .len = len,
				.off = ns_off, .buf_index = (int)idx, .ns = ns };
			ns_off += len;
			n++;
		}
	}
	*end = ns_off;
	return n;
}

static void set_write(struct ws_io *ios, unsigned int n, bool write)
{
	for (unsigned int i = 0; i < n; i++)
		ios[i].write = write;
}

/*
 * The namespace's block device must hold each write where its command put
 * it: read back outside io_uring (buffered, so nothing is pinned), this
 * also catches a command that addressed the wrong blocks both times.
 */
static enum case_result check_on_disk(struct wctx *c, const struct nvme_ns *ns,
				      const struct ws_io *ios, unsigned int n,
				      const char *base, const char *expect)
{
	char path[64], *got = malloc(3 * IO_UNIT);
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", ns->disk);
	if (!got || !cleanup_free(c, got))
		return case_fail(c, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !cleanup_fd(c, fd))
		return case_fail(c, "open %s: %s", path, strerror(errno));
	for (unsigned int i = 0; i < n; i++) {
		size_t at = (const char *)ios[i].addr - base;

		if (pread(fd, got, ios[i].len, (off_t)ios[i].off) != (ssize_t)ios[i].len)
			return case_fail(c, "pread %s, %u at %llu: %s", path, ios[i].len,
					 (unsigned long long)ios[i].off, strerror(errno));
		if (memcmp(got, expect + at, ios[i].len))
			return case_fail(c, "%s at %llu does not hold what write #%u wrote",
					 path, (unsigned long long)ios[i].off, i);
	}
	return CASE_OK;
}

/*
 * The first write alone: a kernel whose URING_CMD predates fixed buffers
 * (IORING_URING_CMD_FIXED came in 6.0) refuses it with EINVAL.
 */
static enum case_result first_write(struct wctx *c, struct ws_ring *r,
				    const struct ws_io *io)
{
	enum case_result res;
	int ret = 0;

	res = io_run_probe(c, r, io, &ret);
	if (res != CASE_OK)
		return res;
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return case_skip(c, "URING_CMD with IORING_URING_CMD_FIXED on /dev/%s: %s",
				 io->ns->dev, strerror(-ret));
	if (ret)
		return case_fail(c, "NVMe write #0 (%u at %llu) completed with %d%s%s",
				 io->len, (unsigned long long)io->off, ret,
				 ret < 0 ? ": " : " (NVMe status)",
				 ret < 0 ? strerror(-ret) : "");
	return CASE_OK;
}

enum case_result case_nvme_cmd_fixed(struct wctx *c)
{
	struct ws_io ios[MAX_CMDS];
	struct iovec iov[NR_BUFS];
	struct nvme_ns ns;
	struct ws_ring *r;
	char *base, *expect;
	unsigned int n;
	__u64 end;
	int ret;
	enum case_result res;

	res = nvme_ns_open(c, &ns);
	if (res != CASE_OK)
		return res;
	if (ns.lba_size > IO_UNIT)
		return case_skip(c, "%s: logical blocks of %u bytes; the case writes %u-byte units",
				 ns.disk, ns.lba_size, IO_UNIT);
	r = ring_new(c, RING_ENTRIES, IORING_SETUP_SQE128 | IORING_SETUP_CQE32);
	if (!r)
		return case_gave_up(c);
	if (ring_supports_op(r, IORING_OP_URING_CMD) != 1)
		return case_skip(c, "io_uring probe: IORING_OP_URING_CMD not supported");
	base = buf_map(c, NR_BUFS * BUF_LEN);
	expect = malloc(NR_BUFS * BUF_LEN);
	if (!base || !expect || !cleanup_free(c, expect))
		return case_fail(c, "out of memory");
	n = nvme_schedule(ios, base, &ns, &end);
	if (end > ns.bytes)
		return case_skip(c, "%s holds %llu bytes; the case needs %llu",
				 ns.disk, (unsigned long long)ns.bytes,
				 (unsigned long long)end);
	for (unsigned int i = 0; i < NR_BUFS; i++)
		iov[i] = (struct iovec){ base + i * BUF_LEN, BUF_LEN };
	ret = reg_buffers(r->rec, iov, NR_BUFS);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));

	buf_fill(base, NR_BUFS * BUF_LEN, 11);
	memcpy(expect, base, NR_BUFS * BUF_LEN);
	set_write(ios, n, true);
	res = first_write(c, r, &ios[0]);
	if (res != CASE_OK)
		return res;
	res = io_run(c, r, ios + 1, n - 1);
	if (res != CASE_OK)
		return res;

	memset(base, 0, NR_BUFS * BUF_LEN);
	set_write(ios, n, false);
	res = io_run(c, r, ios, n);
	if (res != CASE_OK)
		return res;
	res = io_check_regions(c, ios, n, base, expect);
	if (res != CASE_OK)
		return res;
	return check_on_disk(c, &ns, ios, n, base, expect);
}
