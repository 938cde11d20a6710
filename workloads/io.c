// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "nvme.h"
#include "uring_compat.h"

const char *io_op_name(int opcode)
{
	switch (opcode) {
	case IORING_OP_READ_FIXED:	return "READ_FIXED";
	case IORING_OP_WRITE_FIXED:	return "WRITE_FIXED";
	case IORING_OP_READ:		return "READ";
	case IORING_OP_WRITE:		return "WRITE";
	case IORING_OP_SEND_ZC:		return "SEND_ZC";
	case IORING_OP_SENDMSG_ZC:	return "SENDMSG_ZC";
	case IORING_OP_URING_CMD:	return "URING_CMD";
	case UC_OP_READV_FIXED:		return "READV_FIXED";
	case UC_OP_WRITEV_FIXED:	return "WRITEV_FIXED";
	}
	return "UNKNOWN";
}

static bool is_vectored(int opcode)
{
	return opcode == UC_OP_READV_FIXED || opcode == UC_OP_WRITEV_FIXED;
}

static int expected_result(const struct ws_io *io)
{
	const struct iovec *iov = io->addr;
	size_t total = 0;

	if (io->has_want)
		return io->want;
	if (io->opcode == IORING_OP_URING_CMD)
		return 0;	/* NVMe passthrough completes with its status */
	if (!is_vectored(io->opcode))
		return (int)io->len;
	for (unsigned int i = 0; i < io->len; i++)
		total += iov[i].iov_len;
	return (int)total;
}

static void prep(struct io_uring_sqe *sqe, const struct ws_io *io)
{
	switch (io->opcode) {
	case IORING_OP_READ_FIXED:
		io_uring_prep_read_fixed(sqe, io->fd, io->addr, io->len,
					 io->off, io->buf_index);
		break;
	case IORING_OP_WRITE_FIXED:
		io_uring_prep_write_fixed(sqe, io->fd, io->addr, io->len,
					  io->off, io->buf_index);
		break;
	case IORING_OP_READ:
		io_uring_prep_read(sqe, io->fd, io->addr, io->len, io->off);
		break;
	case IORING_OP_WRITE:
		io_uring_prep_write(sqe, io->fd, io->addr, io->len, io->off);
		break;
	case UC_OP_READV_FIXED:
	case UC_OP_WRITEV_FIXED:
		uc_prep_rw_vec_fixed(sqe, io->opcode, io->fd, io->addr, io->len,
				     io->off, (unsigned int)io->buf_index);
		break;
	case IORING_OP_URING_CMD:
		nvme_prep_rw_fixed(sqe, io->ns, io->write, io->addr, io->len,
				   io->off, (unsigned int)io->buf_index);
		break;
	case IORING_OP_SEND_ZC:
		if (io->buf_index >= 0)
			io_uring_prep_send_zc_fixed(sqe, io->fd, io->addr,
						    io->len, 0, 0,
						    (unsigned int)io->buf_index);
		else
			io_uring_prep_send_zc(sqe, io->fd, io->addr, io->len,
					      0, 0);
		sqe->ioprio |= io->zc_flags;
		break;
	}
	sqe->flags |= io->sqe_flags;
}

/*
 * A request refused at prep used no buffer: not a fixed-buffer IO. An
 * O_DIRECT IO pins the pages of what it transferred (its bios), not of
 * what it asked for: nothing past the end of the file.
 */
static void record(struct ws_ring *r, const struct ws_io *io, int res)
{
	r->rec->used = true;	/* an IO that pinned nothing is a fact to state too */
	if (io->refused) {
		oracle_refused_io(r->rec, io_op_name(io->opcode), -res);
		return;
	}
	if (io->buf_index >= 0)
		oracle_fixed_io(r->rec, io_op_name(io->opcode),
				(unsigned int)io->buf_index, res);
	if (io->pins && res > 0)
		oracle_pinned_io(r->rec, span_pages((uintptr_t)io->addr, res));
}

/*
 * Submit ios[first, first + n) and reap until each has fully completed.
 * probe_res: one IO whose result goes there instead of being judged.
 */
static enum case_result run_batch(struct wctx *c, struct ws_ring *r,
				  const struct ws_io *ios, unsigned int first,
				  unsigned int n, int *probe_res)
{
	enum case_result result = CASE_OK;
	unsigned int pending = n, notifs = 0;
	int ret;

	for (unsigned int i = first; i < first + n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);

		prep(sqe, &ios[i]);
		io_uring_sqe_set_data64(sqe, i);
	}
	ret = io_uring_submit(&r->uring);
	if (ret != (int)n)
		return case_fail(c, "io_uring_submit: %d of %u SQEs (%s)", ret,
				 n, ret < 0 ? strerror(-ret) : "short");

	while (pending || notifs) {
		struct io_uring_cqe *cqe;
		const struct ws_io *io;
		__u64 ud;
		int res, want;

		ret = io_uring_wait_cqe(&r->uring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			return case_fail(c, "io_uring_wait_cqe: %s",
					 strerror(-ret));
		ud = io_uring_cqe_get_data64(cqe);
		res = cqe->res;
		if (ud & WS_TAG_BIT) {
			/* A dropped tagged buffer; no IO. */
			io_uring_cqe_seen(&r->uring, cqe);
			continue;
		}
		if (cqe->flags & IORING_CQE_F_NOTIF) {
			/* Zero-copy send's "buffer free again" notification. */
			notifs--;
			io_uring_cqe_seen(&r->uring, cqe);
			continue;
		}
		if (cqe->flags & IORING_CQE_F_MORE)
			notifs++;
		io_uring_cqe_seen(&r->uring, cqe);
		if (ud < first || ud >= first + n) {
			result = case_fail(c, "CQE with unknown user_data %llu",
					   (unsigned long long)ud);
			continue;
		}
		io = &ios[ud];
		pending--;
		record(r, io, res);
		if (probe_res) {
			*probe_res = res;
			continue;
		}
		want = expected_result(io);
		if (res != want && result == CASE_OK)
			result = case_fail(c, "%s #%llu (buf_index %d, %u at %llu) returned %d, expected %d%s%s",
					   io_op_name(io->opcode),
					   (unsigned long long)ud, io->buf_index,
					   io->len, (unsigned long long)io->off,
					   res, want, res < 0 ? ": " : "",
					   res < 0 ? strerror(-res) : "");
	}
	return result;
}

enum case_result io_run(struct wctx *c, struct ws_ring *r,
			const struct ws_io *ios, unsigned int nr)
{
	unsigned int batch = r->params.sq_entries;

	for (unsigned int first = 0; first < nr; first += batch) {
		unsigned int n = nr - first < batch ? nr - first : batch;
		enum case_result res = run_batch(c, r, ios, first, n, NULL);

		if (res != CASE_OK)
			return res;
	}
	return CASE_OK;
}

enum case_result io_run_probe(struct wctx *c, struct ws_ring *r,
			      const struct ws_io *io, int *res)
{
	return run_batch(c, r, io, 0, 1, res);
}

enum case_result io_check_regions(struct wctx *c, const struct ws_io *ios,
				  unsigned int n, const char *base,
				  const char *expect)
{
	for (unsigned int i = 0; i < n; i++) {
		size_t at = (const char *)ios[i].addr - base;

		if (memcmp(ios[i].addr, expect + at, ios[i].len))
			return case_fail(c, "IO #%u read back wrong data", i);
	}
	return CASE_OK;
}

enum case_result direct_pread(struct wctx *c, int fd, void *buf, size_t len,
			      off_t off)
{
	ssize_t ret = pread(fd, buf, len, off);

	if (ret != (ssize_t)len)
		return case_fail(c, "pread(O_DIRECT, %zu at %lld) returned %zd%s%s",
				 len, (long long)off, ret, ret < 0 ? ": " : "",
				 ret < 0 ? strerror(errno) : "");
	oracle_direct_io(c->o, span_pages((uintptr_t)buf, len));
	return CASE_OK;
}
