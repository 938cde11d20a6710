// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Live services: tables registered before a tracer attaches (run with -w,
 * a case registers, says "ready" and waits for SIGUSR1 before its IO), rings
 * created and destroyed by the thousand, and processes by the thousand.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "buffers.h"
#include "cases.h"
#include "io.h"
#include "regs.h"
#include "uring_compat.h"

#define KiB 1024

/* Everything so far happened before the tracer came; then the case goes on. */
static enum case_result attach_point(struct wctx *c)
{
	struct timespec limit = { .tv_sec = 120 };
	sigset_t set;

	if (!c->wait_attach)
		return CASE_OK;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fprintf(stderr, "ready\n");
	fflush(stderr);
	if (sigtimedwait(&set, NULL, &limit) != SIGUSR1)
		return case_fail(c, "no SIGUSR1 within 120 s");
	oracle_attached(c->o);
	return CASE_OK;
}

/* Buffer i gets i + 1 writes of 16 KiB: per-index counts nobody can guess. */
static enum case_result uneven_writes(struct wctx *c, struct ws_ring *r, int fd,
				      const struct iovec *iov, int nr, __u64 off)
{
	struct ws_io ios[16];
	unsigned int n = 0;

	for (int i = 0; i < nr; i++)
		for (int k = 0; k <= i && n < 16; k++) {
			buf_fill(iov[i].iov_base, 16 * KiB, 70 + i);
			ios[n] = (struct ws_io){ .opcode = IORING_OP_WRITE_FIXED,
				.fd = fd, .addr = iov[i].iov_base, .len = 16 * KiB,
				.off = off + n * 16 * KiB, .buf_index = i };
			n++;
		}
	return io_run(c, r, ios, n);
}

enum case_result case_live_attach(struct wctx *c)
{
	struct iovec iov[4];
	struct ws_ring *r;
	enum case_result res;
	int fd, ret;

	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	if (!buf_map_iovs(c, iov, 4, 64 * KiB))
		return CASE_FAILED;
	ret = reg_buffers(r->rec, iov, 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	if ((res = attach_point(c)) != CASE_OK)
		return res;
	return uneven_writes(c, r, fd, iov, 4, 0);
}

enum case_result case_live_attach_huge(struct wctx *c)
{
	struct iovec iov[2];
	struct ws_ring *r;
	enum case_result res;
	char *huge;
	int fd, ret;

	if ((res = huge_reserve(c, 2)) != CASE_OK)
		return res;
	if (!ring_and_direct_file(c, &r, &fd))
		return CASE_FAILED;
	huge = buf_map_huge(c, 2 * HUGE_2M);
	if (!huge)
		return CASE_FAILED;
	iov[0] = (struct iovec){ huge, HUGE_2M };
	iov[1] = (struct iovec){ huge + HUGE_2M, HUGE_2M };
	ret = reg_buffers(r->rec, iov, 2);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS on hugetlb pages: %s", strerror(-ret));
	if ((res = attach_point(c)) != CASE_OK)
		return res;
	return uneven_writes(c, r, fd, iov, 2, 0);
}

enum case_result case_live_attach_clone(struct wctx *c)
{
	struct iovec iov[4];
	struct ws_ring *src, *dst;
	enum case_result res;
	int fd, ret;

	if (!ring_and_direct_file(c, &src, &fd) || !(dst = ring_new(c, 8, 0)))
		return CASE_FAILED;
	if (!buf_map_iovs(c, iov, 4, 16 * KiB))
		return CASE_FAILED;
	ret = reg_buffers(src->rec, iov, 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	ret = reg_clone(dst->rec, src->rec, 0, 0, 0, 0);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return case_skip(c, "IORING_REGISTER_CLONE_BUFFERS: %s", strerror(-ret));
	if (ret)
		return case_fail(c, "CLONE_BUFFERS: %s", strerror(-ret));
	if ((res = attach_point(c)) != CASE_OK)
		return res;
	res = uneven_writes(c, dst, fd, iov, 4, 0);
	if (res == CASE_OK)
		res = uneven_writes(c, src, fd, iov, 2, 1024 * KiB);
	return res;
}

/*
 * Calls on a table registered before the tracer came: a clone of it (its
 * numbers from the sum the tracer's first look kept), an update of one slot,
 * then the source unregistered: a sum kept from before the update would
 * report the old 16 KiB buffer. (The clone is not unregistered: what such a
 * call reports as charged is the imus' charge, the oracle's the clone's own,
 * 0; see the README's Limits.)
 */
enum case_result case_live_attach_calls(struct wctx *c)
{
	struct iovec iov[4], fresh;
	struct ws_ring *src, *dst;
	enum case_result res;
	int fd, ret;

	if (!ring_and_direct_file(c, &src, &fd) || !(dst = ring_new(c, 8, 0)))
		return CASE_FAILED;
	if (!buf_map_iovs(c, iov, 4, 16 * KiB) || !buf_map_iovs(c, &fresh, 1, 64 * KiB))
		return CASE_FAILED;
	ret = reg_buffers(src->rec, iov, 4);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	/*
	 * Attached later (-w), a kernel without clone must skip before the
	 * tracer comes: one clone, undone before it can see them.
	 */
	if (c->wait_attach) {
		ret = uc_clone_buffers(dst->rec->fd, src->rec->fd, 0, 0, 0, 0);
		if (ret == -EINVAL || ret == -EOPNOTSUPP)
			return case_skip(c, "IORING_REGISTER_CLONE_BUFFERS: %s", strerror(-ret));
		if (ret || (ret = uc_register(dst->rec->fd, UC_UNREGISTER_BUFFERS, NULL, 0)))
			return case_fail(c, "CLONE_BUFFERS, then UNREGISTER_BUFFERS: %s",
					 strerror(-ret));
	}
	if ((res = attach_point(c)) != CASE_OK)
		return res;
	ret = reg_clone(dst->rec, src->rec, 0, 0, 0, 0);
	if (ret == -EINVAL || ret == -EOPNOTSUPP)
		return case_skip(c, "IORING_REGISTER_CLONE_BUFFERS: %s", strerror(-ret));
	if (ret)
		return case_fail(c, "CLONE_BUFFERS: %s", strerror(-ret));
	ret = reg_update(src->rec, 1, &fresh, NULL, 1);
	if (ret != 1)
		return case_fail(c, "REGISTER_BUFFERS_UPDATE of slot 1: %s",
				 ret < 0 ? strerror(-ret) : "no slot written");
	ret = reg_unregister(src->rec);
	if (ret)
		return case_fail(c, "UNREGISTER_BUFFERS: %s", strerror(-ret));
	return CASE_OK;
}

/*
 * A ring kept alive only by its registered ring index: its fd registered
 * (IORING_REGISTER_RING_FDS) and then closed. No fd shows it, so a tracer
 * that attaches later finds it only through the thread (fd -1).
 */
enum case_result case_live_ring_index(struct wctx *c)
{
	struct iovec iov[2];
	struct ws_ring *r;
	int ret;

	if (!(r = ring_new(c, 8, 0)))
		return CASE_FAILED;
	if (!buf_map_iovs(c, iov, 2, 16 * KiB))
		return CASE_FAILED;
	ret = reg_buffers(r->rec, iov, 2);
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	ret = io_uring_register_ring_fd(&r->uring);
	if (ret == -EINVAL)
		return case_skip(c, "IORING_REGISTER_RING_FDS: %s", strerror(-ret));
	if (ret != 1)
		return case_fail(c, "IORING_REGISTER_RING_FDS: %s", strerror(ret < 0 ? -ret : EIO));
	close(r->uring.ring_fd);
	/* traced from its start it keeps the fd it was created with; found later, none */
	if (c->wait_attach)
		r->rec->fd = -1;
	return attach_point(c);
}

static long env_count(const char *name, long def)
{
	const char *v = getenv(name);
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 ? n : def;
}

/* One process's share of ring_churn: create, register one page, destroy. */
static int churn(long rings, void *page)
{
	struct iovec iov = { page, PAGE_4K };

	for (long i = 0; i < rings; i++) {
		struct io_uring ring;

		if (io_uring_queue_init(1, &ring, 0) < 0 ||
		    io_uring_register_buffers(&ring, &iov, 1) < 0)
			return 1;
		io_uring_queue_exit(&ring);
	}
	return 0;
}

static bool reaped_ok(void)
{
	int status;

	return wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Run fn(count, page) in procs children, at most 256 alive at once (100,000
 * at once would meet the process limit); true when every one succeeded.
 */
static bool in_children(struct wctx *c, long procs, long each, void *page,
			int (*fn)(long, void *))
{
	long alive = 0;
	bool ok = true;

	fflush(NULL);
	for (long p = 0; p < procs && ok; p++) {
		pid_t pid;

		if (alive == 256) {
			ok &= reaped_ok();
			alive--;
		}
		pid = fork();
		if (pid == 0)
			_exit(fn(each, page));
		if (pid < 0) {
			case_fail(c, "fork: %s", strerror(errno));
			ok = false;
		} else {
			alive++;
		}
	}
	for (; alive > 0; alive--)
		ok &= reaped_ok();
	return ok;
}

/*
 * PINSCOPE_CHURN_RINGS rings (20,000) over PINSCOPE_CHURN_PROCS processes
 * (4), each created, given one 4 KiB buffer and destroyed: more rings than
 * pinscope's tables hold at once.
 */
enum case_result case_ring_churn(struct wctx *c)
{
	long procs = env_count("PINSCOPE_CHURN_PROCS", 4);
	long each = env_count("PINSCOPE_CHURN_RINGS", 20000) / procs;
	void *page = buf_map(c, PAGE_4K);
	json_object *o;

	if (!page)
		return CASE_FAILED;
	if (!in_children(c, procs, each, page, churn))
		return case_fail(c, "a churning process failed");
	o = json_object_new_object();
	json_object_object_add(o, "rings", json_object_new_int64(procs * each));
	json_object_object_add(o, "register_calls", json_object_new_int64(procs * each));
	json_object_object_add(o, "buffers", json_object_new_int64(procs * each));
	json_object_object_add(o, "bytes", json_object_new_int64(procs * each * PAGE_4K));
	json_object_object_add(o, "pages", json_object_new_int64(procs * each));
	json_object_object_add(o, "processes", json_object_new_int64(procs));
	oracle_set_extra(c->o, "churn", o);
	return CASE_OK;
}

/* One pool ring: set up, given the pool's buffers by clone, a read into each, gone. */
static int pool_ring(int pool_fd, int file_fd, struct iovec *pool, unsigned int nr)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int ret = io_uring_queue_init(nr, &ring, 0);

	if (ret < 0)
		return ret;
	ret = uc_clone_buffers(ring.ring_fd, pool_fd, 0, 0, 0, 0);
	for (unsigned int i = 0; !ret && i < nr; i++)
		io_uring_prep_read_fixed(io_uring_get_sqe(&ring), file_fd, pool[i].iov_base,
					 pool[i].iov_len, 0, i);
	if (!ret && (ret = io_uring_submit_and_wait(&ring, nr)) == (int)nr)
		ret = 0;
	for (unsigned int i = 0; !ret && i < nr; i++) {
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (!ret && cqe->res != (int)pool[i].iov_len)
			ret = cqe->res < 0 ? cqe->res : -EIO;
		if (!ret)
			io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
	return ret;
}

#define POOL_BUFS	4

struct pool {
	struct iovec bufs[POOL_BUFS];
	int file_fd;
};

/* A child's whole pool: its ring registers the buffers, then rings pass through. */
static int pool_run(long rings, void *arg)
{
	struct pool *p = arg;
	struct io_uring src;
	int ret = io_uring_queue_init(POOL_BUFS, &src, 0);

	if (ret < 0)
		return 1;
	ret = io_uring_register_buffers(&src, p->bufs, POOL_BUFS);
	for (long i = 0; i < rings && !ret; i++)
		ret = pool_ring(src.ring_fd, p->file_fd, p->bufs, POOL_BUFS);
	io_uring_queue_exit(&src);
	/* 3: the kernel cannot clone (before 6.12) */
	return ret == -EINVAL || ret == -EOPNOTSUPP ? 3 : ret ? 1 : 0;
}

/*
 * The seed's pool, in a child process: one ring registers POOL_BUFS
 * buffers once; then PINSCOPE_POOL_RINGS rings (5,000), one after another,
 * each cloned from it, reading once into every buffer, and destroyed.
 * Rings by the thousand with fixed IO: their counts must survive being
 * harvested, and their IO keys must leave the tables with them.
 */
enum case_result case_pool_churn(struct wctx *c)
{
	long rings = env_count("PINSCOPE_POOL_RINGS", 5000);
	struct pool p;
	char path[512];
	json_object *o;
	int status;
	pid_t pid;

	if (!buf_map_iovs(c, p.bufs, POOL_BUFS, PAGE_4K))
		return CASE_FAILED;
	p.file_fd = data_file_open(c, 0, path, sizeof(path));
	if (p.file_fd < 0)
		return CASE_FAILED;
	if (pwrite(p.file_fd, p.bufs[0].iov_base, PAGE_4K, 0) != PAGE_4K)
		return case_fail(c, "write %s: %s", path, strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(pool_run(rings, &p));
	if (pid < 0)
		return case_fail(c, "fork: %s", strerror(errno));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return case_fail(c, "the pool process did not exit");
	if (WEXITSTATUS(status) == 3)
		return case_skip(c, "IORING_REGISTER_CLONE_BUFFERS: not in this kernel");
	if (WEXITSTATUS(status))
		return case_fail(c, "the pool process failed");
	o = json_object_new_object();
	json_object_object_add(o, "rings", json_object_new_int64(rings + 1));
	json_object_object_add(o, "register_calls", json_object_new_int64(1));
	json_object_object_add(o, "buffers", json_object_new_int64(POOL_BUFS));
	json_object_object_add(o, "bytes", json_object_new_int64(POOL_BUFS * PAGE_4K));
	json_object_object_add(o, "pages", json_object_new_int64(POOL_BUFS));
	json_object_object_add(o, "clone_calls", json_object_new_int64(rings));
	json_object_object_add(o, "clone_buffers", json_object_new_int64(rings * POOL_BUFS));
	json_object_object_add(o, "read_fixed", json_object_new_int64(rings * POOL_BUFS));
	oracle_set_extra(c->o, "churn", o);
	return CASE_OK;
}

static int nothing(long n, void *unused)
{
	return 0;
}

/*
 * PINSCOPE_SHORT_PROCS (5,000) processes that only start and end, more than
 * the traced-process table once held, then this one pins pages per IO: a
 * tracer that lost track of its processes would say nothing pinned.
 */
enum case_result case_many_procs(struct wctx *c)
{
	long procs = env_count("PINSCOPE_SHORT_PROCS", 5000);

	if (!in_children(c, procs, 0, NULL, nothing))
		return case_fail(c, "a short-lived process failed");
	oracle_set_extra(c->o, "short_processes", json_object_new_int64(procs));
	return case_odirect_no_fixed(c);
}

/*
 * Two rings register the same 32 KiB before the tracer comes (the second
 * pins it again, where a clone would have shared it); check must find the
 * memory pinned twice from the tables alone.
 */
enum case_result case_live_pinned_twice(struct wctx *c)
{
	struct iovec iov[2];
	struct ws_ring *a, *b;
	enum case_result res;
	int fd, ret;
	char *mem;

	if (!ring_and_direct_file(c, &a, &fd) || !(b = ring_new(c, 8, 0)))
		return CASE_FAILED;
	mem = buf_map(c, 32 * KiB);
	if (!mem)
		return CASE_FAILED;
	iov[0] = (struct iovec){ mem, 16 * KiB };
	iov[1] = (struct iovec){ mem + 16 * KiB, 16 * KiB };
	if ((ret = reg_buffers(a->rec, iov, 2)) || (ret = reg_buffers(b->rec, iov, 2)))
		return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
	if ((res = attach_point(c)) != CASE_OK)
		return res;
	return uneven_writes(c, b, fd, iov, 2, 0);
}

/*
 * Two rings one after the other, each living a moment, with 1.5 s between
 * them: a tracer reporting every second (-i 1) shows each in its interval.
 */
enum case_result case_ring_sequence(struct wctx *c)
{
	char path[512];
	int fd = data_file_open(c, O_DIRECT, path, sizeof(path));

	if (fd < 0)
		return CASE_FAILED;
	for (int n = 0; n < 2; n++) {
		struct iovec iov[2];
		struct ws_ring *r = ring_new(c, 8, 0);
		enum case_result res;
		int ret;

		if (!r)
			return CASE_FAILED;
		if (!buf_map_iovs(c, iov, 2, 16 * KiB))
			return CASE_FAILED;
		if ((ret = reg_buffers(r->rec, iov, 2)))
			return case_fail(c, "REGISTER_BUFFERS: %s", strerror(-ret));
		if ((res = uneven_writes(c, r, fd, iov, 2, 0)) != CASE_OK)
			return res;
		ring_close(c, r);
		usleep(1500 * 1000);
	}
	return CASE_OK;
}

/* Held open until the parent says so: alive at the same time as the others. */
static int wait_pipe(long fd, void *unused)
{
	char c;

	return read((int)fd, &c, 1) < 0;
}

enum { BURST = 100 };

/* BURST rings open at once, each with a 4 KiB buffer of its own and one write through it. */
static int hold_rings(long unused, void *pages)
{
	static struct io_uring rings[BURST];

	for (int i = 0; i < BURST; i++) {
		char *page = (char *)pages + i * PAGE_4K;
		struct iovec iov = { page, PAGE_4K };
		struct io_uring_sqe *sqe;
		struct io_uring_cqe *cqe;
		int fd = open("/dev/null", O_WRONLY);

		if (fd < 0 || io_uring_queue_init(1, &rings[i], 0) < 0 ||
		    io_uring_register_buffers(&rings[i], &iov, 1) < 0 ||
		    !(sqe = io_uring_get_sqe(&rings[i])))
			return 1;
		io_uring_prep_write_fixed(sqe, fd, page, PAGE_4K, 0, 0);
		if (io_uring_submit_and_wait(&rings[i], 1) != 1 ||
		    io_uring_wait_cqe(&rings[i], &cqe) || cqe->res != (int)PAGE_4K)
			return 1;
		io_uring_cqe_seen(&rings[i], cqe);
		close(fd);
	}
	for (int i = 0; i < BURST; i++)
		io_uring_queue_exit(&rings[i]);
	return 0;
}

/*
 * A child holds 100 rings open at once (each with a buffer and an IO), and
 * when it has ended, 100 children are alive at once: more than a tracer
 * given 64-entry tables can hold. It must count each ring and process it
 * could not hold exactly once: 36 rings, and 37 processes (this one holds
 * the first entry).
 */
enum case_result case_burst(struct wctx *c)
{
	void *page = buf_map(c, BURST * PAGE_4K);
	int gate[2];
	json_object *o;
	bool ok = true;

	if (!page)
		return CASE_FAILED;
	if (!in_children(c, 1, 0, page, hold_rings))
		return case_fail(c, "the process holding %d rings failed", BURST);
	if (pipe(gate))
		return case_fail(c, "pipe: %s", strerror(errno));
	fflush(NULL);
	for (int p = 0; p < BURST && ok; p++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(gate[1]);
			_exit(wait_pipe(gate[0], NULL));
		}
		ok = pid > 0;
	}
	close(gate[0]);
	usleep(200 * 1000);
	close(gate[1]);
	for (int status; wait(&status) > 0;)
		ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok)
		return case_fail(c, "a short-lived child failed");
	o = json_object_new_object();
	json_object_object_add(o, "rings", json_object_new_int(BURST));
	json_object_object_add(o, "processes", json_object_new_int(BURST));
	oracle_set_extra(c->o, "burst", o);
	return CASE_OK;
}
