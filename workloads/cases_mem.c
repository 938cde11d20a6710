// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Memory the kernel pins that is not a plain 4 KiB buffer: rings living in
 * user memory (IORING_SETUP_NO_MMAP, pinned at setup, not a registered
 * buffer) and buffers on hugetlb pages (coalesced into one bvec per folio).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "regs.h"
#include "uring_compat.h"

#define KiB 1024UL

/* A ring on user memory, driven by hand: liburing 2.3 cannot set one up. */
struct raw_ring {
	int fd;
	struct io_uring_params p;
	struct io_uring_sqe *sqes;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	struct oracle_ring *rec;
};

#define RAW_ENTRIES 8

static enum case_result raw_ring_setup(struct wctx *c, struct raw_ring *r,
				       char *rings_mem, char *sqe_mem)
{
	char *ring;

	memset(r, 0, sizeof(*r));
	r->p.flags = UC_SETUP_NO_MMAP;
	UC_CQ_USER_ADDR(&r->p) = (__u64)(uintptr_t)rings_mem;
	UC_SQ_USER_ADDR(&r->p) = (__u64)(uintptr_t)sqe_mem;
	r->fd = uc_setup(RAW_ENTRIES, &r->p);
	if (r->fd == -EINVAL)
		return case_skip(c, "io_uring_setup(IORING_SETUP_NO_MMAP): EINVAL");
	if (r->fd < 0)
		return case_fail(c, "io_uring_setup(IORING_SETUP_NO_MMAP): %s",
				 strerror(-r->fd));
	if (!cleanup_fd(c, r->fd))
		return case_fail(c, "too many resources in one case");
	r->rec = oracle_add_ring(c->o, r->fd, UC_SETUP_NO_MMAP);
	if (!r->rec)
		return case_fail(c, "too many rings in one case");

	ring = rings_mem;
	r->sq_tail = (unsigned int *)(ring + r->p.sq_off.tail);
	r->sq_mask = (unsigned int *)(ring + r->p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)(ring + r->p.sq_off.array);
	r->cq_head = (unsigned int *)(ring + r->p.cq_off.head);
	r->cq_tail = (unsigned int *)(ring + r->p.cq_off.tail);
	r->cq_mask = (unsigned int *)(ring + r->p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(ring + r->p.cq_off.cqes);
	r->sqes = (struct io_uring_sqe *)sqe_mem;
	return CASE_OK;
}

/* One READ_FIXED, submitted and reaped by hand; records it. */
static enum case_result raw_read_fixed(struct wctx *c, struct raw_ring *r,
				       int fd, void *addr, unsigned int len,
				       __u64 off, unsigned int buf_index)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_cqe *cqe;
	int ret, res;

	io_uring_prep_read_fixed(&r->sqes[idx], fd, addr, len, off,
				 (int)buf_index);
	r->sqes[idx].user_data = 1;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);

	do {
		ret = uc_enter(r->fd, 1, 1, IORING_ENTER_GETEVENTS);
	} while (ret == -EINTR);
	if (ret != 1)
		return case_fail(c, "io_uring_enter returned %d (%s)", ret,
				 ret < 0 ? strerror(-ret) : "no SQE taken");

	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return case_fail(c, "no CQE after io_uring_enter(GETEVENTS)");
	cqe = &r->cqes[head & *r->cq_mask];
	res = cqe->res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	oracle_fixed_io(r->rec, "READ_FIXED", buf_index, res);
	if (res != (int)len)
		return case_fail(c, "READ_FIXED on the NO_MMAP ring returned %d, expected %u",
				 res, len);
	return CASE_OK;
}

/* A file holding 64 KiB of pattern `seed`, written through the page cache. */
static int pattern_file(struct wctx *c, char *scratch, unsigned int seed)
{
	char path[512];
	int fd = data_file_open(c, 0, path, sizeof(path));

	if (fd < 0)
		return -1;
	buf_fill(scratch, 64 * KiB, seed);
	if (pwrite(fd, scratch, 64 * KiB, 0) != (ssize_t)(64 * KiB)) {
		case_fail(c, "pwrite of the data file failed");
		return -1;
	}
	return fd;
}

static enum case_result no_mmap_reads(struct wctx *c, char *rings_mem,
				      char *sqe_mem)
{
	struct raw_ring r;
	struct iovec iov;
	char *buf, *expect;
	enum case_result res;
	int fd, ret;

	res = raw_ring_setup(c, &r, rings_mem, sqe_mem);
	if (res != CASE_OK)
		return res;
	buf = buf_map(c, 64 * KiB);
	expect = buf_map(c, 64 * KiB);
	if (!buf || !expect)
		return CASE_FAILED;
	fd = pattern_file(c, expect, 60);
	if (fd < 0)
		return CASE_FAILED;

	iov.iov_base = buf;
	iov.iov_len = 64 * KiB;
	ret = reg_buffers(r.rec, &iov, 1);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	res = raw_read_fixed(c, &r, fd, buf, 16 * KiB, 0, 0);
	if (res == CASE_OK)
		res = raw_read_fixed(c, &r, fd, buf + 32 * KiB, 32 * KiB,
				     16 * KiB, 0);
	if (res != CASE_OK)
		return res;
	if (memcmp(buf, expect, 16 * KiB) ||
	    memcmp(buf + 32 * KiB, expect + 16 * KiB, 32 * KiB))
		return case_fail(c, "READ_FIXED read back wrong data");
	return CASE_OK;
}

enum case_result case_no_mmap(struct wctx *c)
{
	/* Far more than 8 entries need: the kernel pins only what it uses. */
	char *rings_mem = buf_map(c, 16 * KiB);
	char *sqe_mem = buf_map(c, 4 * KiB);

	if (!rings_mem || !sqe_mem)
		return CASE_FAILED;
	return no_mmap_reads(c, rings_mem, sqe_mem);
}

enum case_result case_no_mmap_huge(struct wctx *c)
{
	enum case_result res;
	char *huge;

	if ((res = huge_reserve(c, 1)) != CASE_OK)
		return res;
	huge = buf_map_huge(c, HUGE_2M);
	if (!huge)
		return CASE_FAILED;
	/* Both ring regions inside one 2 MiB folio. */
	return no_mmap_reads(c, huge, huge + HUGE_2M / 2);
}

enum case_result case_hugetlb_buffers(struct wctx *c)
{
	const size_t map_len = 4 * HUGE_2M;
	struct iovec iov[4];
	struct ws_io ios[4];
	struct ws_ring *r;
	char *huge;
	int fd, ret;
	enum case_result res;

	if ((res = huge_reserve(c, 4)) != CASE_OK)
		return res;
	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	huge = buf_map_huge(c, map_len);
	if (!huge)
		return CASE_FAILED;

	/*
	 * 2 MiB, 2 MiB, 4 MiB, and 64 KiB inside the last folio of the 4 MiB
	 * one: that folio was the last one charged, so the kernel charges the
	 * small buffer nothing.
	 */
	iov[0] = (struct iovec){ huge, HUGE_2M };
	iov[1] = (struct iovec){ huge + HUGE_2M, HUGE_2M };
	iov[2] = (struct iovec){ huge + 2 * HUGE_2M, 2 * HUGE_2M };
	iov[3] = (struct iovec){ huge + 3 * HUGE_2M + 64 * KiB, 64 * KiB };
	ret = reg_buffers(r->rec, iov, 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on hugetlb pages: %s",
				 strerror(-ret));

	buf_fill(huge, 256 * KiB, 61);
	ios[0] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED, .fd = fd,
		.addr = huge, .len = 256 * KiB, .off = 0, .buf_index = 0 };
	res = io_run(c, r, ios, 1);
	if (res != CASE_OK)
		return res;
	/* The read into buffer 2 crosses from its first folio to its second. */
	ios[0] = (struct ws_io){ .opcode = IORING_OP_READ_FIXED, .fd = fd,
		.addr = huge + HUGE_2M + HUGE_2M / 2, .len = 128 * KiB,
		.off = 0, .buf_index = 1 };
	ios[1] = (struct ws_io){ .opcode = IORING_OP_READ_FIXED, .fd = fd,
		.addr = huge + 3 * HUGE_2M - 32 * KiB, .len = 64 * KiB,
		.off = 128 * KiB, .buf_index = 2 };
	ios[2] = (struct ws_io){ .opcode = IORING_OP_READ_FIXED, .fd = fd,
		.addr = huge + 3 * HUGE_2M + 64 * KiB, .len = 32 * KiB,
		.off = 192 * KiB, .buf_index = 3 };
	res = io_run(c, r, ios, 3);
	if (res != CASE_OK)
		return res;
	for (int i = 0; i < 3; i++)
		if (memcmp(ios[i].addr, huge + ios[i].off, ios[i].len))
			return case_fail(c, "READ_FIXED #%d read back wrong data",
					 i);
	return CASE_OK;
}

enum case_result case_hugetlb_shared_folio(struct wctx *c)
{
	struct iovec iov[4];
	struct ws_io ios[4];
	struct ws_ring *r;
	char *huge;
	int fd, ret;
	enum case_result res;

	if ((res = huge_reserve(c, 2)) != CASE_OK)
		return res;
	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	huge = buf_map_huge(c, 2 * HUGE_2M);
	if (!huge)
		return CASE_FAILED;

	/*
	 * 64 KiB buffers in folio 0, folio 1, folio 0 again, and an empty
	 * slot. Registering, the kernel only remembers the folio it charged
	 * last, so the third buffer charges folio 0 a second time.
	 */
	iov[0] = (struct iovec){ huge, 64 * KiB };
	iov[1] = (struct iovec){ huge + HUGE_2M, 64 * KiB };
	iov[2] = (struct iovec){ huge + HUGE_2M / 2, 64 * KiB };
	iov[3] = (struct iovec){ NULL, 0 };
	ret = reg_buffers(r->rec, iov, 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on hugetlb pages: %s",
				 strerror(-ret));
	/* An update sees the live table: folio 1 is charged already. */
	iov[3] = (struct iovec){ huge + HUGE_2M + HUGE_2M / 2, 64 * KiB };
	ret = reg_update(r->rec, 3, &iov[3], NULL, 1);
	if (ret != 1)
		return case_fail(c, "REGISTER_BUFFERS_UPDATE of slot 3 returned %d, expected 1",
				 ret);

	buf_fill(huge, 64 * KiB, 62);
	ios[0] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED, .fd = fd,
		.addr = huge, .len = 64 * KiB, .off = 0, .buf_index = 0 };
	res = io_run(c, r, ios, 1);
	if (res != CASE_OK)
		return res;
	for (int i = 1; i < 4; i++)
		ios[i - 1] = (struct ws_io){ .opcode = IORING_OP_READ_FIXED,
			.fd = fd, .addr = iov[i].iov_base, .len = 64 * KiB,
			.off = 0, .buf_index = i };
	res = io_run(c, r, ios, 3);
	if (res != CASE_OK)
		return res;
	for (int i = 1; i < 4; i++)
		if (memcmp(iov[i].iov_base, huge, 64 * KiB))
			return case_fail(c, "READ_FIXED into slot %d read back wrong data",
					 i);
	return CASE_OK;
}
