// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IORING_REGISTER_CLONE_BUFFERS: a ring takes another ring's registered
 * buffers without pinning (or charging) them again.
 *
 * Each case first makes the same clone call on a scratch ring from itself:
 * a kernel that knows the call (and its arguments) answers ENXIO, "source
 * has no buffers"; one that does not answers EINVAL, and the case skips.
 * The scratch ring stays in the oracle with that one failed call.
 *
 * pinned_twice and pinned_twice_clone are the pair `pinscope check` tells
 * apart: two rings of one process on the same memory, the second one
 * registering it again (pinned and charged twice) or cloning it (shared).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "regs.h"
#include "uring_compat.h"

#define KiB 1024

static enum case_result clone_probe(struct wctx *c, __u32 flags, __u32 src_off,
				    __u32 dst_off, __u32 nr)
{
	struct ws_ring *scratch = ring_new(c, 4, 0);
	int ret;

	if (!scratch)
		return CASE_FAILED;
	ret = reg_clone(scratch->rec, scratch->rec, flags, src_off, dst_off, nr);
	if (ret == -EINVAL)
		return case_skip(c, "IORING_REGISTER_CLONE_BUFFERS (flags 0x%x, src_off %u, dst_off %u, nr %u) on a scratch ring: EINVAL",
				 flags, src_off, dst_off, nr);
	if (ret >= 0)
		return case_fail(c, "clone probe on an empty ring succeeded");
	return CASE_OK;
}

/* nr buffers of (i + 1) * unit bytes, back to back in one mapping. */
static char *make_buffers(struct wctx *c, struct iovec *iov, unsigned int nr,
			  size_t unit)
{
	size_t total = unit * nr * (nr + 1) / 2, at = 0;
	char *base = buf_map(c, total);

	if (!base)
		return NULL;
	for (unsigned int i = 0; i < nr; i++) {
		iov[i].iov_base = base + at;
		iov[i].iov_len = (i + 1) * unit;
		at += iov[i].iov_len;
	}
	return base;
}

/*
 * Write each listed slot's whole buffer to the file, clear it, read it back
 * through the same slot, compare: proves the slot holds that buffer.
 */
static enum case_result round_trip(struct wctx *c, struct ws_ring *r, int fd,
				   const struct iovec *iov, const int *slots,
				   unsigned int nr, unsigned int seed)
{
	struct ws_io ios[8] = {0};
	char copy[8][32 * KiB];
	__u64 off = 0;
	enum case_result res;

	if (nr > 8)
		return case_fail(c, "round_trip takes at most 8 slots");

	for (unsigned int i = 0; i < nr; i++) {
		const struct iovec *v = &iov[i];

		buf_fill(v->iov_base, v->iov_len, seed + i);
		memcpy(copy[i], v->iov_base, v->iov_len);
		ios[i] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED,
			.fd = fd, .addr = v->iov_base,
			.len = (unsigned int)v->iov_len, .off = off,
			.buf_index = slots[i] };
		off += v->iov_len;
	}
	res = io_run(c, r, ios, nr);
	if (res != CASE_OK)
		return res;
	for (unsigned int i = 0; i < nr; i++) {
		memset(iov[i].iov_base, 0, iov[i].iov_len);
		ios[i].opcode = IORING_OP_READ_FIXED;
	}
	res = io_run(c, r, ios, nr);
	if (res != CASE_OK)
		return res;
	for (unsigned int i = 0; i < nr; i++)
		if (memcmp(iov[i].iov_base, copy[i], iov[i].iov_len))
			return case_fail(c, "slot %d read back wrong data",
					 slots[i]);
	return CASE_OK;
}

struct clone_setup {
	struct ws_ring *src, *dst;
	int fd;
};

/* Source and destination rings, a data file, the source's buffers. */
static enum case_result open_pair(struct wctx *c, struct clone_setup *s,
				  const struct iovec *src_iov,
				  unsigned int src_nr)
{
	char path[512];
	int ret;

	s->src = ring_new(c, 8, 0);
	s->dst = s->src ? ring_new(c, 8, 0) : NULL;
	if (!s->dst)
		return CASE_FAILED;
	s->fd = data_file_open(c, O_DIRECT, path, sizeof(path));
	if (s->fd < 0)
		return CASE_FAILED;
	ret = reg_buffers(s->src->rec, src_iov, src_nr);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on the source: %s",
				 strerror(-ret));
	return CASE_OK;
}

static enum case_result setup(struct wctx *c, struct clone_setup *s,
			      __u32 flags, __u32 src_off, __u32 dst_off,
			      __u32 nr, const struct iovec *src_iov,
			      unsigned int src_nr)
{
	enum case_result res = clone_probe(c, flags, src_off, dst_off, nr);

	if (res != CASE_OK)
		return res;
	return open_pair(c, s, src_iov, src_nr);
}

enum case_result case_clone_whole(struct wctx *c)
{
	static const int all[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	static const int last[1] = { 7 };
	struct clone_setup s;
	struct iovec iov[8];
	enum case_result res;
	int ret;

	if (!make_buffers(c, iov, 8, 4 * KiB))
		return CASE_FAILED;
	res = setup(c, &s, 0, 0, 0, 0, iov, 8);
	if (res != CASE_OK)
		return res;
	ret = reg_clone(s.dst->rec, s.src->rec, 0, 0, 0, 0);
	if (ret)
		return case_fail(c, "CLONE_BUFFERS: %s", strerror(-ret));
	res = round_trip(c, s.dst, s.fd, iov, all, 8, 20);
	/* The source still works too, with its own counts. */
	if (res == CASE_OK)
		res = round_trip(c, s.src, s.fd, &iov[7], last, 1, 30);
	return res;
}

enum case_result case_clone_partial(struct wctx *c)
{
	static const int slots[3] = { 1, 2, 3 };
	struct clone_setup s;
	struct iovec iov[6];
	enum case_result res;
	int ret;

	if (!make_buffers(c, iov, 6, 4 * KiB))
		return CASE_FAILED;
	res = setup(c, &s, 0, 2, 1, 3, iov, 6);
	if (res != CASE_OK)
		return res;
	ret = reg_clone(s.dst->rec, s.src->rec, 0, 2, 1, 3);
	if (ret)
		return case_fail(c, "CLONE_BUFFERS src_off 2 dst_off 1 nr 3: %s",
				 strerror(-ret));
	/* Destination slots 1..3 hold source buffers 2..4. */
	return round_trip(c, s.dst, s.fd, &iov[2], slots, 3, 40);
}

enum case_result case_clone_replace(struct wctx *c)
{
	static const int slots[3] = { 0, 1, 2 };
	struct iovec src_iov[4], dst_iov[3], now[3];
	struct clone_setup s;
	enum case_result res;
	int ret;

	if (!make_buffers(c, src_iov, 4, 8 * KiB) ||
	    !make_buffers(c, dst_iov, 3, 4 * KiB))
		return CASE_FAILED;
	res = setup(c, &s, UC_REGISTER_DST_REPLACE, 1, 1, 2, src_iov, 4);
	if (res != CASE_OK)
		return res;
	ret = reg_buffers(s.dst->rec, dst_iov, 3);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on the destination: %s",
				 strerror(-ret));
	ret = reg_clone(s.dst->rec, s.src->rec, UC_REGISTER_DST_REPLACE, 1, 1, 2);
	if (ret)
		return case_fail(c, "CLONE_BUFFERS DST_REPLACE: %s",
				 strerror(-ret));
	/* Slot 0 keeps its own buffer; slots 1, 2 now hold source 1, 2. */
	now[0] = dst_iov[0];
	now[1] = src_iov[1];
	now[2] = src_iov[2];
	return round_trip(c, s.dst, s.fd, now, slots, 3, 50);
}

enum case_result case_clone_busy(struct wctx *c)
{
	struct iovec src_iov[2], dst_iov[2];
	struct clone_setup s;
	enum case_result res;
	int ret;

	if (!make_buffers(c, src_iov, 2, 8 * KiB) ||
	    !make_buffers(c, dst_iov, 2, 8 * KiB))
		return CASE_FAILED;
	res = setup(c, &s, 0, 0, 0, 0, src_iov, 2);
	if (res != CASE_OK)
		return res;
	ret = reg_buffers(s.dst->rec, dst_iov, 2);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on the destination: %s",
				 strerror(-ret));
	ret = reg_clone(s.dst->rec, s.src->rec, 0, 0, 0, 0);
	if (ret != -EBUSY)
		return case_fail(c, "CLONE_BUFFERS into a full table returned %d (%s), expected EBUSY",
				 ret, ret < 0 ? errno_name(-ret) : "success");
	return CASE_OK;
}

#define TWICE_NR	4
#define TWICE_LEN	(64 * KiB)

/*
 * Ring A registers TWICE_NR buffers; ring B gets the same memory by
 * REGISTER_BUFFERS (clone false) or CLONE_BUFFERS from A. A writes every
 * buffer to the file; B reads all of them back into the same memory, A
 * reads two halves again: both tables reach the same pages.
 */
static enum case_result two_rings_one_memory(struct wctx *c, bool clone)
{
	const size_t total = TWICE_NR * TWICE_LEN;
	struct ws_io ios[TWICE_NR];
	struct iovec iov[TWICE_NR];
	struct clone_setup s;
	enum case_result res;
	char *base, *want;
	int ret;

	base = buf_map(c, total);
	want = base ? buf_map(c, total) : NULL;
	if (!want)
		return CASE_FAILED;
	buf_fill(want, total, 60);
	for (unsigned int i = 0; i < TWICE_NR; i++)
		iov[i] = (struct iovec){ base + i * TWICE_LEN, TWICE_LEN };
	/* Only the clone needs the probe (and its scratch ring). */
	res = clone ? setup(c, &s, 0, 0, 0, 0, iov, TWICE_NR) :
		      open_pair(c, &s, iov, TWICE_NR);
	if (res != CASE_OK)
		return res;
	ret = clone ? reg_clone(s.dst->rec, s.src->rec, 0, 0, 0, 0) :
		      reg_buffers(s.dst->rec, iov, TWICE_NR);
	if (ret)
		return case_fail(c, "%s of ring A's memory on ring B: %s",
				 clone ? "CLONE_BUFFERS" : "REGISTER_BUFFERS",
				 strerror(-ret));

	memcpy(base, want, total);
	for (unsigned int i = 0; i < TWICE_NR; i++)
		ios[i] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED,
			.fd = s.fd, .addr = iov[i].iov_base, .len = TWICE_LEN,
			.off = i * TWICE_LEN, .buf_index = (int)i };
	res = io_run(c, s.src, ios, TWICE_NR);
	if (res != CASE_OK)
		return res;
	memset(base, 0, total);
	for (unsigned int i = 0; i < TWICE_NR; i++)
		ios[i].opcode = IORING_OP_READ_FIXED;
	res = io_run(c, s.dst, ios, TWICE_NR);
	if (res != CASE_OK)
		return res;
	if (memcmp(base, want, total))
		return case_fail(c, "ring B read back wrong data");
	/* Second halves of buffers 0 and 3, through ring A again. */
	memset(base, 0, total);
	ios[0] = (struct ws_io){ .opcode = IORING_OP_READ_FIXED, .fd = s.fd,
		.addr = base + TWICE_LEN / 2, .len = TWICE_LEN / 2,
		.off = TWICE_LEN / 2, .buf_index = 0 };
	ios[1] = ios[0];
	ios[1].addr = base + (TWICE_NR - 1) * TWICE_LEN + TWICE_LEN / 2;
	ios[1].off = (TWICE_NR - 1) * TWICE_LEN + TWICE_LEN / 2;
	ios[1].buf_index = TWICE_NR - 1;
	res = io_run(c, s.src, ios, 2);
	if (res != CASE_OK)
		return res;
	for (unsigned int i = 0; i < 2; i++) {
		size_t at = (char *)ios[i].addr - base;

		if (memcmp(base + at, want + at, TWICE_LEN / 2))
			return case_fail(c, "ring A read back wrong data in buffer %d",
					 ios[i].buf_index);
	}
	return CASE_OK;
}

enum case_result case_pinned_twice(struct wctx *c)
{
	return two_rings_one_memory(c, false);
}

enum case_result case_pinned_twice_clone(struct wctx *c)
{
	return two_rings_one_memory(c, true);
}

#define MIXED_REGION	(8UL << 20)
#define MIXED_NR	256

/*
 * nr spans at pseudo-random places in one region (seeded: the same every
 * run), of mixed sizes: pages, unaligned runs of bytes, 64 KiB, 1 MiB and
 * one of 2.5 MiB, so overlaps cross every size pinscope indexes apart.
 */
static void mixed_spans(char *base, struct iovec *iov, unsigned int nr, unsigned int seed)
{
	static const size_t sizes[] = { 4 * KiB, 16 * KiB, 3 * 4 * KiB + 100, 64 * KiB, 1024 * KiB,
					512 * KiB + 1 };
	unsigned int x = seed;

	for (unsigned int i = 0; i < nr; i++) {
		size_t len, off;

		x = x * 1103515245u + 12345u;
		len = i == nr / 2 ? 2560 * KiB : sizes[(x >> 16) % (sizeof(sizes) / sizeof(*sizes))];
		x = x * 1103515245u + 12345u;
		off = ((size_t)x << 4) % (MIXED_REGION - len);
		if (i % 3)
			off &= ~(4 * KiB - 1);	/* a third start mid-page */
		iov[i] = (struct iovec){ base + off, len };
	}
}

/*
 * Rings A, B and C of one process register (and B updates) buffers of mixed
 * sizes at random places in the same 8 MiB. The oracle sums every overlap
 * pair by pair; pinscope finds them through its indexes. (Clones at scale:
 * pool_churn. Here one would need a kernel that has them.)
 */
enum case_result case_pinned_twice_mixed(struct wctx *c)
{
	struct iovec a[MIXED_NR], b[MIXED_NR], up[MIXED_NR / 2], d[MIXED_NR / 4];
	struct ws_ring *ra, *rb, *rc;
	char *base = buf_map(c, MIXED_REGION);
	int ret;

	if (!base)
		return CASE_FAILED;
	ra = ring_new(c, 4, 0);
	rb = ra ? ring_new(c, 4, 0) : NULL;
	rc = rb ? ring_new(c, 4, 0) : NULL;
	if (!rc)
		return CASE_FAILED;
	mixed_spans(base, a, MIXED_NR, 1);
	mixed_spans(base, b, MIXED_NR, 2);
	mixed_spans(base, up, MIXED_NR / 2, 3);
	mixed_spans(base, d, MIXED_NR / 4, 4);
	ret = reg_buffers(ra->rec, a, MIXED_NR);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on ring A: %s", strerror(-ret));
	ret = reg_buffers2(rb->rec, b, NULL, MIXED_NR);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS2 on ring B: %s", strerror(-ret));
	ret = reg_update(rb->rec, MIXED_NR / 4, up, NULL, MIXED_NR / 2);
	if (ret != MIXED_NR / 2)
		return case_fail(c, "REGISTER_BUFFERS_UPDATE on ring B: %d", ret);
	ret = reg_buffers(rc->rec, d, MIXED_NR / 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on ring C: %s", strerror(-ret));
	return CASE_OK;
}

#define MANY_RINGS	15

/*
 * Every ring of MANY_RINGS registers one page, then replaces it by itself
 * (BUFFERS_UPDATE pins the new copy while the old is still in the table):
 * 105 pairs of rings by registration and 210 by update, past the 256 pairs
 * `pinscope check` lists; the rest it sums.
 */
enum case_result case_pinned_twice_many(struct wctx *c)
{
	struct ws_ring *r[MANY_RINGS];
	struct iovec page;
	int ret;

	page.iov_base = buf_map(c, 4 * KiB);
	page.iov_len = 4 * KiB;
	if (!page.iov_base)
		return CASE_FAILED;
	for (int i = 0; i < MANY_RINGS; i++) {
		r[i] = ring_new(c, 4, 0);
		if (!r[i])
			return CASE_FAILED;
		ret = reg_buffers(r[i]->rec, &page, 1);
		if (ret)
			return case_fail(c, "REGISTER_BUFFERS on ring %d: %s", i, strerror(-ret));
	}
	for (int i = 0; i < MANY_RINGS; i++) {
		ret = reg_update(r[i]->rec, 0, &page, NULL, 1);
		if (ret != 1)
			return case_fail(c, "REGISTER_BUFFERS_UPDATE on ring %d: %d", i, ret);
	}
	return CASE_OK;
}
