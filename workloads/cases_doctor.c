// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Refused registrations whose explanation the doctor must get right: the
 * buffer the kernel stopped at, a clone's arguments against the tables, and
 * the pages of a request far over the limit. Each refused call adds an entry
 * to the oracle's "doctor" list, in call order: the errno, the buffer at
 * fault (or null) and what the explanation must say; check/ compares it with
 * the report's failed_registrations.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffers.h"
#include "cases.h"
#include "regs.h"
#include "uring_compat.h"

static char bss_buffer[16];	/* in the executable's data segment */

static json_object *doctor_list(struct wctx *c)
{
	json_object *list = json_object_new_array();

	oracle_set_extra(c->o, "doctor", list);
	return list;
}

/* One expected failed_registrations entry; failing < 0: none named. */
static json_object *expect(json_object *list, int err, int failing, const char *why_has)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "errno", json_object_new_string(errno_name(err)));
	json_object_object_add(e, "failing_buffer", failing < 0 ? NULL :
			       json_object_new_int(failing));
	json_object_object_add(e, "why_has", json_object_new_string(why_has));
	json_object_array_add(list, e);
	return e;
}

/*
 * [{16 bytes of .bss, 1}, {(void *)1, 1}]: buffer #1 is not mapped. 6.1
 * refuses buffer #0 first when .bss lies in the file-backed part of the
 * data segment (io_uring took no file-backed memory there): EOPNOTSUPP.
 * Then the same with a heap buffer first, which every kernel takes.
 */
enum case_result case_err_unmapped_second(struct wctx *c)
{
	json_object *list = doctor_list(c);
	struct iovec iov[2] = { { bss_buffer, 1 }, { (void *)1, 1 } };
	struct ws_ring *r = ring_new(c, 4, 0);
	char *heap = malloc(16);
	int ret;

	if (!r || !heap || !cleanup_free(c, heap))
		return case_fail(c, "setup failed");
	ret = reg_buffers(r->rec, iov, 2);
	if (ret == -EFAULT)
		expect(list, EFAULT, 1, "buffer #1 (1 bytes at 0x1) is not (entirely) mapped");
	else if (ret == -EOPNOTSUPP)
		expect(list, EOPNOTSUPP, 0, "buffer #0 (1 bytes at 0x");
	else
		return case_fail(c, ".bss + unmapped: %d, expected EFAULT or EOPNOTSUPP", ret);
	iov[0].iov_base = heap;
	ret = reg_buffers(r->rec, iov, 2);
	if (ret != -EFAULT)
		return case_fail(c, "heap + unmapped: %d, expected EFAULT", ret);
	expect(list, EFAULT, 1, "buffer #1 (1 bytes at 0x1) is not (entirely) mapped");
	return CASE_OK;
}

/*
 * Clones the kernel refuses for their arguments: nr over the source table,
 * a source range past its end, a destination offset that overflows; where
 * the kernel's clone has no ranges (6.12), a count it does not read.
 */
enum case_result case_err_clone_args(struct wctx *c)
{
	json_object *list = doctor_list(c);
	struct ws_ring *src = ring_new(c, 4, 0), *dst = ring_new(c, 4, 0);
	struct iovec iov[4];
	char *buf = buf_map(c, 4 * 4096);
	int ret;

	if (!src || !dst || !buf)
		return CASE_FAILED;
	/* a kernel that clones answers ENXIO (empty source), one that does not EINVAL */
	ret = reg_clone(dst->rec, dst->rec, 0, 0, 0, 0);
	if (ret == -EINVAL)
		return case_skip(c, "IORING_REGISTER_CLONE_BUFFERS: EINVAL (no clone here)");
	if (ret != -ENXIO)
		return case_fail(c, "clone probe: %d, expected ENXIO", ret);
	expect(list, ENXIO, -1, "the clone source has no registered buffers");
	/* 6.12 clones whole tables only: nr is reserved there */
	ret = reg_clone(dst->rec, dst->rec, 0, 0, 0, 1);
	if (ret == -EINVAL) {
		expect(list, EINVAL, -1, "this kernel's clone has no src_off/dst_off/nr");
		return CASE_OK;
	}
	if (ret != -ENXIO)
		return case_fail(c, "clone probe with nr 1: %d, expected ENXIO", ret);
	expect(list, ENXIO, -1, "the clone source has no registered buffers");
	for (int i = 0; i < 4; i++)
		iov[i] = (struct iovec){ buf + i * 4096, 4096 };
	if ((ret = reg_buffers(src->rec, iov, 4)))
		return case_fail(c, "REGISTER_BUFFERS: %d", ret);
	if ((ret = reg_clone(dst->rec, src->rec, 0, 0, 0, 8)) != -EINVAL)
		return case_fail(c, "clone nr 8 of 4: %d, expected EINVAL", ret);
	expect(list, EINVAL, -1, "nr 8 is larger than the source table (4 slots)");
	/* EINVAL on earlier kernels, EOVERFLOW on 6.18 */
	ret = reg_clone(dst->rec, src->rec, 0, 3, 0, 2);
	if (ret != -EINVAL && ret != -EOVERFLOW)
		return case_fail(c, "clone src_off 3 nr 2 of 4: %d, expected EINVAL or EOVERFLOW", ret);
	expect(list, -ret, -1, "src_off 3 + nr 2 = 5 runs past the source table (4 slots)");
	if ((ret = reg_clone(dst->rec, src->rec, 0, 0, UINT32_MAX, 1)) != -EOVERFLOW)
		return case_fail(c, "clone dst_off 2^32-1 nr 1: %d, expected EOVERFLOW", ret);
	expect(list, EOVERFLOW, -1, "dst_off 4294967295 + nr 1 overflows 32 bits");
	return CASE_OK;
}

/*
 * 1,000,000 iovecs (EINVAL: over 16,384), every other one starting 100
 * bytes into a page: the doctor's pages must cover all of them.
 */
#define HUGE_COUNT	1000000U

enum case_result case_err_huge_count(struct wctx *c)
{
	json_object *list = doctor_list(c), *e;
	struct iovec *iov = calloc(HUGE_COUNT, sizeof(*iov));
	struct ws_ring *r = ring_new(c, 4, 0);
	char *buf = buf_map(c, 3 * 4096);
	unsigned long long pages = 0, extra = 0;
	int ret;

	if (!iov || !cleanup_free(c, iov) || !r || !buf)
		return case_fail(c, "setup failed");
	for (unsigned int i = 0; i < HUGE_COUNT; i++) {
		iov[i] = (struct iovec){ buf + (i & 1 ? 100 : 0), 4096 };
		pages += i & 1 ? 2 : 1;
		extra += i & 1;
	}
	if ((ret = reg_buffers(r->rec, iov, HUGE_COUNT)) != -EINVAL)
		return case_fail(c, "REGISTER_BUFFERS of %u iovecs: %d, expected EINVAL",
				 HUGE_COUNT, ret);
	e = expect(list, EINVAL, -1, "1000000 buffers, over the 16384 a ring can register");
	json_object_object_add(e, "requested_pages", json_object_new_uint64(pages));
	json_object_object_add(e, "unaligned_extra_pages", json_object_new_uint64(extra));
	json_object_object_add(e, "buffers_scanned", json_object_new_uint64(HUGE_COUNT));
	return CASE_OK;
}
