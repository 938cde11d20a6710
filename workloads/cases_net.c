// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Registered buffers used by opcodes other than file reads and writes. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "regs.h"

#define KiB 1024UL
#define SEND_CHUNK (16 * KiB)
#define SEND_NR 4

/* A connected loopback TCP pair; both ends closed when the case ends. */
static enum case_result tcp_pair(struct wctx *c, int *tx, int *rx)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	int bufsz = 1 << 20;
	int lfd;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || !cleanup_fd(c, lfd))
		return case_fail(c, "socket: %s", strerror(errno));
	/* Room for everything sent, so no send waits for the reader. */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &alen) ||
	    listen(lfd, 1))
		return case_fail(c, "bind/listen on 127.0.0.1: %s",
				 strerror(errno));
	*tx = socket(AF_INET, SOCK_STREAM, 0);
	if (*tx < 0 || !cleanup_fd(c, *tx))
		return case_fail(c, "socket: %s", strerror(errno));
	setsockopt(*tx, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (connect(*tx, (struct sockaddr *)&addr, sizeof(addr)))
		return case_fail(c, "connect to 127.0.0.1:%u: %s",
				 ntohs(addr.sin_port), strerror(errno));
	*rx = accept(lfd, NULL, NULL);
	if (*rx < 0 || !cleanup_fd(c, *rx))
		return case_fail(c, "accept: %s", strerror(errno));
	return CASE_OK;
}

enum case_result case_send_zc_fixed(struct wctx *c)
{
	struct ws_io ios[SEND_NR];
	struct iovec iov;
	struct ws_ring *r;
	char *buf, *got;
	int tx = -1, rx = -1, ret;
	size_t done = 0;
	enum case_result res;

	r = ring_new(c, 8, 0);
	if (!r)
		return CASE_FAILED;
	if (ring_supports_op(r, IORING_OP_SEND_ZC) != 1)
		return case_skip(c, "io_uring probe: IORING_OP_SEND_ZC not supported");
	res = tcp_pair(c, &tx, &rx);
	if (res != CASE_OK)
		return res;
	buf = buf_map(c, SEND_NR * SEND_CHUNK);
	got = buf_map(c, SEND_NR * SEND_CHUNK);
	if (!buf || !got)
		return CASE_FAILED;
	iov.iov_base = buf;
	iov.iov_len = SEND_NR * SEND_CHUNK;
	ret = reg_buffers(r->rec, &iov, 1);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));

	buf_fill(buf, SEND_NR * SEND_CHUNK, 70);
	/* One at a time, so the stream carries the chunks in order. */
	for (unsigned int i = 0; i < SEND_NR; i++)
		ios[i] = (struct ws_io){ .opcode = IORING_OP_SEND_ZC, .fd = tx,
			.addr = buf + i * SEND_CHUNK, .len = SEND_CHUNK,
			.buf_index = 0 };
	for (unsigned int i = 0; i < SEND_NR; i++) {
		res = io_run(c, r, &ios[i], 1);
		if (res != CASE_OK)
			return res;
	}

	while (done < SEND_NR * SEND_CHUNK) {
		ssize_t n = recv(rx, got + done, SEND_NR * SEND_CHUNK - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return case_fail(c, "recv after %zu bytes: %s", done,
					 n ? strerror(errno) : "EOF");
		done += (size_t)n;
	}
	if (memcmp(got, buf, SEND_NR * SEND_CHUNK))
		return case_fail(c, "the receiver got wrong data");
	return CASE_OK;
}

/*
 * zc_flags ~0 include IORING_RECVSEND_FIXED_BUF and bits no kernel knows:
 * prep refuses the SQE (EINVAL) before any buffer lookup, on a ring that
 * has no registered buffers at all.
 */
enum case_result case_send_zc_refused(struct wctx *c)
{
	struct ws_ring *r;
	struct ws_io io;
	char *buf;
	int tx = -1, rx = -1;
	enum case_result res;

	r = ring_new(c, 8, 0);
	if (!r)
		return CASE_FAILED;
	if (ring_supports_op(r, IORING_OP_SEND_ZC) != 1)
		return case_skip(c, "io_uring probe: IORING_OP_SEND_ZC not supported");
	res = tcp_pair(c, &tx, &rx);
	if (res != CASE_OK)
		return res;
	buf = buf_map(c, SEND_CHUNK);
	if (!buf)
		return CASE_FAILED;
	io = (struct ws_io){ .opcode = IORING_OP_SEND_ZC, .fd = tx, .addr = buf,
		.len = SEND_CHUNK, .buf_index = -1, .zc_flags = (__u16)~0,
		.has_want = true, .want = -EINVAL, .refused = true };
	return io_run(c, r, &io, 1);
}
