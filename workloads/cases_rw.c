// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fixed-buffer reads and writes on a regular file in the data directory, and
 * the controls that pin user pages per IO instead. Data is written, read back
 * and compared, so a wrong buffer or offset fails the case.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "regs.h"
#include "uring_compat.h"

#define NR_BUFS		4
#define BUF_LEN		(64 * 1024)
#define MAX_SCHED	32

/* IOs per buffer index: all different, so a tracer's per-index counts show. */
static const unsigned int ios_per_index[NR_BUFS] = { 5, 2, 7, 3 };

/*
 * One IO per entry: 4..16 KiB at a 4 KiB-aligned spot of buffer buf_index,
 * file regions laid end to end. Fills ios (opcode and fd set by the caller).
 */
static unsigned int build_schedule(struct ws_io *ios, char *base)
{
	unsigned int n = 0;
	__u64 file_off = 0;

	for (unsigned int idx = 0; idx < NR_BUFS; idx++) {
		for (unsigned int j = 0; j < ios_per_index[idx]; j++) {
			unsigned int len = 4096 * (1 + (j + idx) % 4);
			unsigned int at = (j * 3 * 4096) % (BUF_LEN - 16384);

			memset(&ios[n], 0, sizeof(ios[n]));
			ios[n].addr = base + idx * BUF_LEN + at;
			ios[n].len = len;
			ios[n].off = file_off;
			ios[n].buf_index = (int)idx;
			file_off += len;
			n++;
		}
	}
	return n;
}

static void set_ops(struct ws_io *ios, unsigned int n, __u8 opcode, int fd)
{
	for (unsigned int i = 0; i < n; i++) {
		ios[i].opcode = opcode;
		ios[i].fd = fd;
	}
}

static struct iovec *buffers_iov(struct iovec *iov, char *base, unsigned int nr,
				 size_t len)
{
	for (unsigned int i = 0; i < nr; i++) {
		iov[i].iov_base = base + i * len;
		iov[i].iov_len = len;
	}
	return iov;
}

static enum case_result fixed_write_read(struct wctx *c, bool direct)
{
	struct ws_io ios[MAX_SCHED];
	struct iovec iov[NR_BUFS];
	struct ws_ring *r;
	char path[512], *base, *expect;
	unsigned int n;
	int fd, ret;
	enum case_result res;

	r = ring_new(c, 16, 0);
	if (!r)
		return CASE_FAILED;
	fd = data_file_open(c, direct ? O_DIRECT : 0, path, sizeof(path));
	if (fd < 0)
		return CASE_FAILED;
	base = buf_map(c, NR_BUFS * BUF_LEN);
	expect = malloc(NR_BUFS * BUF_LEN);
	if (!base || !expect || !cleanup_free(c, expect))
		return case_fail(c, "out of memory");

	ret = reg_buffers(r->rec, buffers_iov(iov, base, NR_BUFS, BUF_LEN),
			  NR_BUFS);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));

	buf_fill(base, NR_BUFS * BUF_LEN, 1);
	memcpy(expect, base, NR_BUFS * BUF_LEN);
	n = build_schedule(ios, base);
	set_ops(ios, n, IORING_OP_WRITE_FIXED, fd);
	res = io_run(c, r, ios, n);
	if (res != CASE_OK)
		return res;

	memset(base, 0, NR_BUFS * BUF_LEN);
	set_ops(ios, n, IORING_OP_READ_FIXED, fd);
	res = io_run(c, r, ios, n);
	if (res != CASE_OK)
		return res;
	return io_check_regions(c, ios, n, base, expect);
}

enum case_result case_read_fixed_direct(struct wctx *c)
{
	return fixed_write_read(c, true);
}

enum case_result case_read_fixed_buffered(struct wctx *c)
{
	return fixed_write_read(c, false);
}

enum case_result case_sub_range(struct wctx *c)
{
	/* Offsets into the buffer, none at its start; the last ends at its end. */
	static const unsigned int at[] = { 4096, 260 * 1024, 524 * 1024,
					   1024 * 1024 - 16384 };
	static const unsigned int len[] = { 4096, 8192, 12288, 16384 };
	const size_t buf_len = 1024 * 1024;
	struct ws_io ios[4];
	struct iovec iov;
	struct ws_ring *r;
	char *buf, *expect;
	__u64 file_off = 0;
	int fd, ret;
	enum case_result res;

	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	buf = buf_map(c, buf_len);
	expect = malloc(buf_len);
	if (!buf || !expect || !cleanup_free(c, expect))
		return case_fail(c, "out of memory");
	iov.iov_base = buf;
	iov.iov_len = buf_len;
	ret = reg_buffers(r->rec, &iov, 1);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));

	buf_fill(buf, buf_len, 2);
	memcpy(expect, buf, buf_len);
	for (unsigned int i = 0; i < 4; i++) {
		ios[i] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED,
			.fd = fd, .addr = buf + at[i], .len = len[i],
			.off = file_off, .buf_index = 0 };
		file_off += len[i];
	}
	res = io_run(c, r, ios, 4);
	if (res != CASE_OK)
		return res;
	memset(buf, 0, buf_len);
	set_ops(ios, 4, IORING_OP_READ_FIXED, fd);
	res = io_run(c, r, ios, 4);
	if (res != CASE_OK)
		return res;
	return io_check_regions(c, ios, 4, buf, expect);
}

/* Concatenate what iovecs point at. */
static size_t gather(char *dst, const struct iovec *iov, unsigned int nr)
{
	size_t done = 0;

	for (unsigned int i = 0; i < nr; i++) {
		memcpy(dst + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	return done;
}

enum case_result case_rw_vec_fixed(struct wctx *c)
{
	struct iovec reg_iov[2], w0[3], w1[2], r0[2], r1[1];
	char path[512], *base, *b0, *b1, *file_image, *got;
	struct ws_io ios[2];
	struct ws_ring *r;
	int fd, ret;
	size_t len;
	enum case_result res;

	r = ring_new(c, 8, 0);
	if (!r)
		return CASE_FAILED;
	if (ring_supports_op(r, UC_OP_READV_FIXED) != 1 ||
	    ring_supports_op(r, UC_OP_WRITEV_FIXED) != 1)
		return case_skip(c, "io_uring probe: IORING_OP_READV_FIXED/WRITEV_FIXED (60/61) not supported");
	fd = data_file_open(c, O_DIRECT, path, sizeof(path));
	if (fd < 0)
		return CASE_FAILED;
	base = buf_map(c, 2 * BUF_LEN);
	file_image = malloc(64 * 1024);
	got = malloc(64 * 1024);
	if (!base || !file_image || !got || !cleanup_free(c, file_image) ||
	    !cleanup_free(c, got))
		return case_fail(c, "out of memory");
	b0 = base;
	b1 = base + BUF_LEN;
	ret = reg_buffers(r->rec, buffers_iov(reg_iov, base, 2, BUF_LEN), 2);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	buf_fill(base, 2 * BUF_LEN, 3);

	/* Segments inside one registered buffer, not at its start, with gaps. */
	w0[0] = (struct iovec){ b0, 4096 };
	w0[1] = (struct iovec){ b0 + 8192, 8192 };
	w0[2] = (struct iovec){ b0 + 32768, 4096 };
	w1[0] = (struct iovec){ b1 + 4096, 12288 };
	w1[1] = (struct iovec){ b1 + 49152, 4096 };
	len = gather(file_image, w0, 3);
	len += gather(file_image + len, w1, 2);
	ios[0] = (struct ws_io){ .opcode = UC_OP_WRITEV_FIXED, .fd = fd,
		.addr = w0, .len = 3, .off = 0, .buf_index = 0 };
	ios[1] = (struct ws_io){ .opcode = UC_OP_WRITEV_FIXED, .fd = fd,
		.addr = w1, .len = 2, .off = 16384, .buf_index = 1 };
	res = io_run(c, r, ios, 2);
	if (res != CASE_OK)
		return res;

	memset(base, 0, 2 * BUF_LEN);
	r0[0] = (struct iovec){ b1, 8192 };
	r0[1] = (struct iovec){ b1 + 16384, 8192 };
	r1[0] = (struct iovec){ b0 + 40960, 16384 };
	ios[0] = (struct ws_io){ .opcode = UC_OP_READV_FIXED, .fd = fd,
		.addr = r0, .len = 2, .off = 0, .buf_index = 1 };
	ios[1] = (struct ws_io){ .opcode = UC_OP_READV_FIXED, .fd = fd,
		.addr = r1, .len = 1, .off = 16384, .buf_index = 0 };
	res = io_run(c, r, ios, 2);
	if (res != CASE_OK)
		return res;
	gather(got, r0, 2);
	gather(got + 16384, r1, 1);
	if (memcmp(got, file_image, len))
		return case_fail(c, "READV_FIXED read back wrong data");
	return CASE_OK;
}

/* The file of the shared schedule, written through the page cache. */
static enum case_result write_image(struct wctx *c, int fd,
				    const struct ws_io *ios, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (pwrite(fd, ios[i].addr, ios[i].len, ios[i].off) !=
		    (ssize_t)ios[i].len)
			return case_fail(c, "buffered pwrite of IO #%u failed", i);
	if (fsync(fd))
		return case_fail(c, "fsync failed");
	return CASE_OK;
}

enum case_result case_odirect_no_fixed(struct wctx *c)
{
	struct ws_io ios[MAX_SCHED];
	struct ws_ring *r;
	char path[512], *base, *expect;
	unsigned int n;
	int fd, dfd;
	enum case_result res;

	r = ring_new(c, 16, 0);
	if (!r)
		return CASE_FAILED;
	fd = data_file_open(c, 0, path, sizeof(path));
	if (fd < 0)
		return CASE_FAILED;
	base = buf_map(c, NR_BUFS * BUF_LEN);
	expect = malloc(NR_BUFS * BUF_LEN);
	if (!base || !expect || !cleanup_free(c, expect))
		return case_fail(c, "out of memory");
	buf_fill(base, NR_BUFS * BUF_LEN, 4);
	memcpy(expect, base, NR_BUFS * BUF_LEN);
	n = build_schedule(ios, base);
	res = write_image(c, fd, ios, n);
	if (res != CASE_OK)
		return res;

	dfd = open(path, O_RDONLY | O_DIRECT);
	if (dfd < 0 || !cleanup_fd(c, dfd))
		return case_fail(c, "open %s O_DIRECT failed", path);
	memset(base, 0, NR_BUFS * BUF_LEN);
	set_ops(ios, n, IORING_OP_READ, dfd);
	for (unsigned int i = 0; i < n; i++) {
		ios[i].buf_index = -1;
		ios[i].pins = true;
	}
	res = io_run(c, r, ios, n);
	if (res != CASE_OK)
		return res;
	return io_check_regions(c, ios, n, base, expect);
}

enum case_result case_odirect_syscall_mix(struct wctx *c)
{
	static const unsigned int pread_len[] = { 4096, 8192, 16384 };
	const size_t chunk = 16384;
	struct ws_io ios[4];
	struct iovec iov;
	struct ws_ring *r;
	char *buf, *plain, *expect;
	__u64 off = 0;
	int fd, ret;
	enum case_result res;

	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	buf = buf_map(c, BUF_LEN);
	plain = buf_map(c, BUF_LEN);
	expect = malloc(BUF_LEN);
	if (!buf || !plain || !expect || !cleanup_free(c, expect))
		return case_fail(c, "out of memory");
	iov.iov_base = buf;
	iov.iov_len = BUF_LEN;
	ret = reg_buffers(r->rec, &iov, 1);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));

	buf_fill(buf, BUF_LEN, 5);
	memcpy(expect, buf, BUF_LEN);
	for (unsigned int i = 0; i < 4; i++)
		ios[i] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED,
			.fd = fd, .addr = buf + i * chunk, .len = chunk,
			.off = i * chunk, .buf_index = 0 };
	res = io_run(c, r, ios, 4);
	if (res != CASE_OK)
		return res;
	memset(buf, 0, BUF_LEN);
	set_ops(ios, 2, IORING_OP_READ_FIXED, fd);
	res = io_run(c, r, ios, 2);
	if (res != CASE_OK)
		return res;
	res = io_check_regions(c, ios, 2, buf, expect);
	if (res != CASE_OK)
		return res;

	/* The same file through plain syscalls: pinned per call, no ring. */
	for (unsigned int i = 0; i < 3; i++) {
		res = direct_pread(c, fd, plain + off, pread_len[i], off);
		if (res != CASE_OK)
			return res;
		if (memcmp(plain + off, expect + off, pread_len[i]))
			return case_fail(c, "pread #%u read back wrong data", i);
		off += pread_len[i];
	}
	return CASE_OK;
}
