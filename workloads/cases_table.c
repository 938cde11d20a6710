// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * How a ring's buffer table changes: dropped and rebuilt, slots replaced,
 * sparse slots filled. IO runs on every table state so a tracer must follow
 * the buffer index to the buffer that is there at that moment.
 */
#include <fcntl.h>
#include <string.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "regs.h"

#define KiB 1024

/* One fixed IO; the caller checks data afterwards. */
static struct ws_io fixed(__u8 opcode, int fd, void *addr, unsigned int len,
			  __u64 off, int buf_index)
{
	return (struct ws_io){ .opcode = opcode, .fd = fd, .addr = addr,
			       .len = len, .off = off, .buf_index = buf_index };
}

#define W(fd, addr, len, off, idx) \
	fixed(IORING_OP_WRITE_FIXED, fd, addr, len, off, idx)
#define R(fd, addr, len, off, idx) \
	fixed(IORING_OP_READ_FIXED, fd, addr, len, off, idx)

static enum case_result same(struct wctx *c, const char *what, const void *got,
			     const void *want, size_t len)
{
	if (memcmp(got, want, len))
		return case_fail(c, "%s: read back wrong data", what);
	return CASE_OK;
}

enum case_result case_unregister_reregister(struct wctx *c)
{
	struct iovec iov[3];
	struct ws_io ios[4];
	struct ws_ring *r;
	char *a, *b;
	int fd, ret;
	enum case_result res;

	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	a = buf_map(c, 128 * KiB);
	b = buf_map(c, 176 * KiB);
	if (!a || !b)
		return CASE_FAILED;

	iov[0] = (struct iovec){ a, 64 * KiB };
	iov[1] = (struct iovec){ a + 64 * KiB, 64 * KiB };
	ret = reg_buffers(r->rec, iov, 2);
	if (ret)
		return case_fail(c, "first REGISTER_BUFFERS: %s", strerror(-ret));
	buf_fill(a, 128 * KiB, 6);
	ios[0] = W(fd, a, 16 * KiB, 0, 0);
	ios[1] = W(fd, a + 64 * KiB, 16 * KiB, 16 * KiB, 1);
	res = io_run(c, r, ios, 2);
	if (res != CASE_OK)
		return res;
	ios[0] = R(fd, a + 96 * KiB, 32 * KiB, 0, 1);
	res = io_run(c, r, ios, 1);
	if (res == CASE_OK)
		res = same(c, "table 1", a + 96 * KiB, a, 16 * KiB);
	if (res == CASE_OK)
		res = same(c, "table 1", a + 112 * KiB, a + 64 * KiB, 16 * KiB);
	if (res != CASE_OK)
		return res;

	ret = reg_unregister(r->rec);
	if (ret)
		return case_fail(c, "UNREGISTER_BUFFERS: %s", strerror(-ret));

	/* Other sizes, so the two tables' numbers differ. */
	iov[0] = (struct iovec){ b, 16 * KiB };
	iov[1] = (struct iovec){ b + 16 * KiB, 128 * KiB };
	iov[2] = (struct iovec){ b + 144 * KiB, 32 * KiB };
	ret = reg_buffers(r->rec, iov, 3);
	if (ret)
		return case_fail(c, "second REGISTER_BUFFERS: %s", strerror(-ret));
	buf_fill(b + 144 * KiB, 32 * KiB, 7);
	ios[0] = R(fd, b, 16 * KiB, 16 * KiB, 0);
	ios[1] = R(fd, b + 16 * KiB + 64 * KiB, 32 * KiB, 0, 1);
	ios[2] = W(fd, b + 144 * KiB, 32 * KiB, 32 * KiB, 2);
	res = io_run(c, r, ios, 3);
	if (res != CASE_OK)
		return res;
	ios[0] = R(fd, b + 16 * KiB, 32 * KiB, 32 * KiB, 1);
	res = io_run(c, r, ios, 1);
	if (res == CASE_OK)
		res = same(c, "table 2", b, a + 64 * KiB, 16 * KiB);
	if (res == CASE_OK)
		res = same(c, "table 2", b + 80 * KiB, a, 16 * KiB);
	if (res == CASE_OK)
		res = same(c, "table 2", b + 16 * KiB, b + 144 * KiB, 32 * KiB);
	return res;
}

/* Buffer tags: their CQEs carry WS_TAG_BIT, which io_run() passes over. */
#define TAG(n) (WS_TAG_BIT | (n))

enum case_result case_buffers2_update(struct wctx *c)
{
	const __u64 tags[4] = { TAG(1), TAG(2), TAG(3), TAG(4) };
	const __u64 new_tags[2] = { TAG(11), TAG(12) };
	struct iovec iov[4], new_iov[2];
	struct ws_io ios[4];
	struct ws_ring *r;
	char *old, *neu;
	int fd, ret;
	enum case_result res;

	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	old = buf_map(c, 4 * 32 * KiB);
	neu = buf_map(c, 64 * KiB);
	if (!old || !neu)
		return CASE_FAILED;

	for (int i = 0; i < 4; i++)
		iov[i] = (struct iovec){ old + i * 32 * KiB, 32 * KiB };
	ret = reg_buffers2(r->rec, iov, tags, 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS2: %s", strerror(-ret));
	buf_fill(old, 4 * 32 * KiB, 8);
	for (int i = 0; i < 4; i++)
		ios[i] = W(fd, old + i * 32 * KiB, 16 * KiB, i * 16 * KiB, i);
	res = io_run(c, r, ios, 4);
	if (res != CASE_OK)
		return res;

	/* Slots 1 and 2 get buffers of other sizes (48 KiB, 16 KiB). */
	new_iov[0] = (struct iovec){ neu, 48 * KiB };
	new_iov[1] = (struct iovec){ neu + 48 * KiB, 16 * KiB };
	ret = reg_update(r->rec, 1, new_iov, new_tags, 2);
	if (ret != 2)
		return case_fail(c, "REGISTER_BUFFERS_UPDATE returned %d (%s), expected 2",
				 ret, ret < 0 ? strerror(-ret) : "short");

	/* New slots 1 and 2, old slots 0 and 3. */
	ios[0] = R(fd, neu, 32 * KiB, 0, 1);
	ios[1] = R(fd, neu + 48 * KiB, 16 * KiB, 32 * KiB, 2);
	ios[2] = R(fd, old + 16 * KiB, 16 * KiB, 48 * KiB, 0);
	ios[3] = R(fd, old + 3 * 32 * KiB + 16 * KiB, 16 * KiB, 0, 3);
	res = io_run(c, r, ios, 4);
	if (res == CASE_OK)
		res = same(c, "new slot 1", neu, old, 16 * KiB);
	if (res == CASE_OK)
		res = same(c, "new slot 1", neu + 16 * KiB, old + 32 * KiB,
			   16 * KiB);
	if (res == CASE_OK)
		res = same(c, "new slot 2", neu + 48 * KiB, old + 64 * KiB,
			   16 * KiB);
	if (res == CASE_OK)
		res = same(c, "old slot 0", old + 16 * KiB, old + 96 * KiB,
			   16 * KiB);
	if (res == CASE_OK)
		res = same(c, "old slot 3", old + 112 * KiB, old, 16 * KiB);
	return res;
}

enum case_result case_sparse(struct wctx *c)
{
	struct iovec iov[2];
	struct ws_io ios[3];
	struct ws_ring *r;
	char *buf, *copy;
	int fd, ret;
	enum case_result res;

	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	buf = buf_map(c, 112 * KiB);
	copy = buf_map(c, 112 * KiB);
	if (!buf || !copy)
		return CASE_FAILED;

	ret = reg_buffers_sparse(r->rec, 16);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS2 sparse: %s", strerror(-ret));
	iov[0] = (struct iovec){ buf, 16 * KiB };
	iov[1] = (struct iovec){ buf + 16 * KiB, 32 * KiB };
	ret = reg_update(r->rec, 5, iov, NULL, 2);
	if (ret != 2)
		return case_fail(c, "REGISTER_BUFFERS_UPDATE slots 5-6 returned %d, expected 2",
				 ret);
	iov[0] = (struct iovec){ buf + 48 * KiB, 64 * KiB };
	ret = reg_update(r->rec, 12, iov, NULL, 1);
	if (ret != 1)
		return case_fail(c, "REGISTER_BUFFERS_UPDATE slot 12 returned %d, expected 1",
				 ret);

	buf_fill(buf, 112 * KiB, 9);
	memcpy(copy, buf, 112 * KiB);
	ios[0] = W(fd, buf, 16 * KiB, 0, 5);
	ios[1] = W(fd, buf + 16 * KiB, 32 * KiB, 16 * KiB, 6);
	ios[2] = W(fd, buf + 48 * KiB, 64 * KiB, 48 * KiB, 12);
	res = io_run(c, r, ios, 3);
	if (res != CASE_OK)
		return res;
	memset(buf, 0, 112 * KiB);
	for (int i = 0; i < 3; i++)
		ios[i].opcode = IORING_OP_READ_FIXED;
	res = io_run(c, r, ios, 3);
	if (res == CASE_OK)
		res = same(c, "sparse slots", buf, copy, 112 * KiB);
	return res;
}

/*
 * reg_latency: 900 x 4 KiB buffers registered and unregistered 9 times,
 * each registration timed from user space ("register_ns" in the oracle),
 * for the test that compares pinscope's kernel-side latency with it.
 */
#define LAT_BUFFERS	900
#define LAT_REPS	9

enum case_result case_reg_latency(struct wctx *c)
{
	struct iovec iov[LAT_BUFFERS];
	json_object *times = json_object_new_array();
	struct ws_ring *r = ring_new(c, 4, 0);
	char *buf = buf_map(c, LAT_BUFFERS * 4096UL);
	int ret;

	oracle_set_extra(c->o, "register_ns", times);
	if (!r || !buf)
		return CASE_FAILED;
	for (int i = 0; i < LAT_BUFFERS; i++)
		iov[i] = (struct iovec){ buf + i * 4096UL, 4096 };
	for (int rep = 0; rep < LAT_REPS; rep++) {
		/* the system call alone: the oracle's model of the table is work after it */
		ret = reg_buffers(r->rec, iov, LAT_BUFFERS);
		if (ret)
			return case_fail(c, "REGISTER_BUFFERS of %d: %s", LAT_BUFFERS,
					 strerror(-ret));
		json_object_array_add(times, json_object_new_int64(reg_last_call_ns));
		if ((ret = reg_unregister(r->rec)))
			return case_fail(c, "UNREGISTER_BUFFERS: %s", strerror(-ret));
	}
	return CASE_OK;
}
