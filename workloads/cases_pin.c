// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What O_DIRECT on plain user memory really pins, and who issues it: reads
 * that end at or start past the end of a file pin only what they transfer,
 * and IO issued by io_uring's own threads (SQPOLL, io-wq) belongs to the
 * process. No registered buffers here: every IO that transfers pins.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"

#define KiB		1024UL
#define EOF_NR		16
#define EOF_READ	(64 * KiB)
#define EOF_FILE	(4 * KiB)

/*
 * A data file of len bytes written through the page cache, then opened
 * again O_DIRECT; -1 after case_fail().
 */
static int direct_file_of(struct wctx *c, size_t len, unsigned int seed)
{
	char path[512], *image;
	int fd, dfd;

	fd = data_file_open(c, 0, path, sizeof(path));
	if (fd < 0)
		return -1;
	image = buf_map(c, len);
	if (!image)
		return case_fail(c, "out of memory"), -1;
	buf_fill(image, len, seed);
	if (pwrite(fd, image, len, 0) != (ssize_t)len || fsync(fd))
		return case_fail(c, "writing %zu bytes to %s: %s", len, path,
				 strerror(errno)), -1;
	dfd = open(path, O_RDONLY | O_DIRECT);
	if (dfd < 0 || !cleanup_fd(c, dfd))
		return case_fail(c, "open %s O_DIRECT: %s", path, strerror(errno)), -1;
	return dfd;
}

/*
 * EOF_NR reads of EOF_READ bytes at file offset off of a 4 KiB file, each
 * into its own region: want is what each returns.
 */
static enum case_result reads_near_eof(struct wctx *c, __u64 off, int want)
{
	struct ws_io ios[EOF_NR];
	struct ws_ring *r;
	char *buf;
	int fd;

	r = ring_new(c, EOF_NR, 0);
	if (!r)
		return CASE_FAILED;
	fd = direct_file_of(c, EOF_FILE, 6);
	if (fd < 0)
		return CASE_FAILED;
	buf = buf_map(c, EOF_NR * EOF_READ);
	if (!buf)
		return case_fail(c, "out of memory");
	for (unsigned int i = 0; i < EOF_NR; i++)
		ios[i] = (struct ws_io){ .opcode = IORING_OP_READ, .fd = fd,
			.addr = buf + i * EOF_READ, .len = EOF_READ, .off = off,
			.buf_index = -1, .pins = true, .has_want = true, .want = want };
	return io_run(c, r, ios, EOF_NR);
}

enum case_result case_odirect_past_eof(struct wctx *c)
{
	/* nothing to read: no bio, nothing pinned, nothing to judge */
	return reads_near_eof(c, EOF_FILE, 0);
}

enum case_result case_odirect_short_read(struct wctx *c)
{
	/* one 4 KiB block to read: one page pinned of the sixteen asked */
	return reads_near_eof(c, 0, EOF_FILE);
}

#define WORKER_NR	4
#define WORKER_LEN	(16 * KiB)

/*
 * The ring's whole life runs in a thread of another name; the reads are
 * issued by the SQPOLL thread, and half of them (IOSQE_ASYNC) by io-wq.
 */
static void *worker_ring_thread(void *arg)
{
	static const char name[] = "ps-ring-thread";
	struct ws_io ios[WORKER_NR];
	struct wctx *c = arg;
	struct ws_ring *r;
	char *buf;
	int fd;

	if (prctl(PR_SET_NAME, name))
		return (void *)(long)case_fail(c, "PR_SET_NAME: %s", strerror(errno));
	r = ring_new(c, 8, IORING_SETUP_SQPOLL);
	if (!r)
		return (void *)(long)CASE_FAILED;
	fd = direct_file_of(c, WORKER_NR * WORKER_LEN, 7);
	buf = buf_map(c, WORKER_NR * WORKER_LEN);
	if (fd < 0 || !buf)
		return (void *)(long)(fd < 0 ? CASE_FAILED : case_fail(c, "out of memory"));
	for (unsigned int i = 0; i < WORKER_NR; i++)
		ios[i] = (struct ws_io){ .opcode = IORING_OP_READ, .fd = fd,
			.addr = buf + i * WORKER_LEN, .len = WORKER_LEN,
			.off = i * WORKER_LEN, .buf_index = -1, .pins = true,
			.sqe_flags = i % 2 ? IOSQE_ASYNC : 0 };
	if (io_run(c, r, ios, WORKER_NR) != CASE_OK)
		return (void *)(long)CASE_FAILED;
	if (!buf_check(buf, WORKER_NR * WORKER_LEN, 7))
		return (void *)(long)case_fail(c, "the reads returned wrong data");
	return (void *)(long)CASE_OK;
}

enum case_result case_worker_threads_comm(struct wctx *c)
{
	pthread_t t;
	void *res;
	int e;

	e = pthread_create(&t, NULL, worker_ring_thread, c);
	if (e)
		return case_fail(c, "pthread_create: %s", strerror(e));
	e = pthread_join(t, &res);
	if (e)
		return case_fail(c, "pthread_join: %s", strerror(e));
	return (enum case_result)(long)res;
}
