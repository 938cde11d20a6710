// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * regcall: what a tracer costs an application's registration calls, timed
 * from user space inside one long process that a controller cuts into
 * labelled segments (the scheme of oneload.c, for io_uring_register(2)).
 *
 * One iteration, for each point (N buffers of 4 KiB, or of 2 MiB hugetlb
 * pages): ring A registers them (REGISTER_BUFFERS), ring B too
 * (REGISTER_BUFFERS2) and then replaces every slot (REGISTER_BUFFERS_UPDATE),
 * ring C clones A's table; C, B and A unregister. Then a ring is set up and
 * torn down, and the pool scenario runs: fresh rings, each given the pool's
 * buffers by clone, used for a few reads and destroyed. Each call is timed
 * alone (clock reads around the syscall); a segment reports the median per
 * call and point, and what it called, for the controller to compare with the
 * tracer's counts.
 *
 * Commands on the FIFO (-C), read between iterations:
 *   begin LABEL   iterate, recording under LABEL
 *   end           stop after this iteration; then append "ended LABEL" to
 *                 the ack file (-A), so the controller knows no call is
 *                 still running before it stops the tracer
 *   quit          print the result and exit
 * Without -C it runs -i iterations as one segment "run" and exits.
 *
 * usage: regcall -f FILE [-n N,N,...] [-H N2M] [-p POOL_BUFS] [-P POOL_RINGS]
 *                [-C FIFO -A ACK | -i ITERS] [-s MAX_SEC] [-c CPU] [-R]
 * Exit: 0 ran, 1 a call failed (or no quit within MAX_SEC), 2 usage or setup.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <liburing.h>
#include "bench.h"

#define OP_REGISTER_BUFFERS	0
#define OP_UNREGISTER_BUFFERS	1
#define OP_REGISTER_BUFFERS2	15
#define OP_REGISTER_UPDATE	16
#define OP_CLONE_BUFFERS	30	/* liburing 2.3 predates it */

#define MAX_POINTS	8
#define MAX_BUFFERS	16384
#define MAX_SEGMENTS	512
#define MAX_SAMPLES	4096	/* per call, point and segment */
#define LABEL_LEN	32
#define POOL_READS	4
#define HUGE_2M		(2UL << 20)

struct rsrc_register {		/* struct io_uring_rsrc_register */
	__u32 nr, flags;
	__u64 resv2, data, tags;
};

struct rsrc_update2 {		/* struct io_uring_rsrc_update2 */
	__u32 offset, resv;
	__u64 data, tags;
	__u32 nr, resv2;
};

struct clone_args {		/* struct io_uring_clone_buffers */
	__u32 src_fd, flags, src_off, dst_off, nr, pad[3];
};

/* What is timed per point, in this order in the output. */
enum call { C_REGISTER, C_REGISTER2, C_UPDATE, C_CLONE, C_UNREGISTER, C_UNREG_CLONE, NR_CALLS };
static const char *const call_names[NR_CALLS] = {
	"register", "register2", "update", "clone", "unregister", "unregister_clone",
};

struct point {
	char name[16];		/* "4k-900", "2m-8" */
	struct iovec *iov;
	unsigned int nr;
	unsigned long long bytes;
};

struct samples {
	uint64_t ns[MAX_SAMPLES];
	size_t n;
};

struct segment {
	char label[LABEL_LEN];
	unsigned int iters;
	struct samples call[MAX_POINTS][NR_CALLS];
	struct samples setup;
	uint64_t pool_rings, pool_ns;
	/* io_uring_register(2) calls by opcode, and rings created */
	uint64_t reg_calls, reg2_calls, update_calls, clone_calls, unreg_calls, rings;
};

static struct {
	struct point pt[MAX_POINTS];
	int nr_pt;
	struct io_uring a, b, c, pool_src;
	struct iovec *pool;
	int file_fd;
	unsigned int pool_bufs, pool_rings;
	struct segment seg[MAX_SEGMENTS];
	size_t nr_seg;
} g;

static long reg(int fd, unsigned int op, const void *arg, unsigned int nr)
{
	long ret = syscall(__NR_io_uring_register, fd, op, arg, nr);

	return ret < 0 ? -errno : ret;
}

static void add(struct samples *s, uint64_t ns)
{
	if (s->n < MAX_SAMPLES)
		s->ns[s->n++] = ns;
}

static int fail(const char *what, const char *point, long e)
{
	fprintf(stderr, "regcall: %s (%s): %s\n", what, point, strerror((int)-e));
	return -1;
}

/* Times one call into *ns; returns its result. */
#define TIMED(ns, expr) ({ uint64_t t0_ = bench_now_ns(); long r_ = (expr); \
			   (ns) = bench_now_ns() - t0_; r_; })

static int run_point(struct segment *s, int p)
{
	const struct point *pt = &g.pt[p];
	struct rsrc_register rr = { .nr = pt->nr, .data = (__u64)(uintptr_t)pt->iov };
	struct rsrc_update2 up = { .data = (__u64)(uintptr_t)pt->iov, .nr = pt->nr };
	struct clone_args ca = { .src_fd = g.a.ring_fd };
	uint64_t ns[NR_CALLS];
	long e;

	if ((e = TIMED(ns[C_REGISTER], reg(g.a.ring_fd, OP_REGISTER_BUFFERS, pt->iov, pt->nr))))
		return fail("register", pt->name, e);
	if ((e = TIMED(ns[C_REGISTER2], reg(g.b.ring_fd, OP_REGISTER_BUFFERS2, &rr, sizeof(rr)))))
		return fail("register2", pt->name, e);
	if ((e = TIMED(ns[C_UPDATE], reg(g.b.ring_fd, OP_REGISTER_UPDATE, &up, sizeof(up)))) !=
	    (long)pt->nr)
		return fail("update", pt->name, e < 0 ? e : -EIO);
	if ((e = TIMED(ns[C_CLONE], reg(g.c.ring_fd, OP_CLONE_BUFFERS, &ca, 1))))
		return fail("clone", pt->name, e);
	/* the clone holds references: drop it before its source */
	if ((e = TIMED(ns[C_UNREG_CLONE], reg(g.c.ring_fd, OP_UNREGISTER_BUFFERS, NULL, 0))) ||
	    (e = reg(g.b.ring_fd, OP_UNREGISTER_BUFFERS, NULL, 0)))
		return fail("unregister", pt->name, e);
	if ((e = TIMED(ns[C_UNREGISTER], reg(g.a.ring_fd, OP_UNREGISTER_BUFFERS, NULL, 0))))
		return fail("unregister", pt->name, e);
	for (int c = 0; c < NR_CALLS; c++)
		add(&s->call[p][c], ns[c]);
	s->reg_calls++;
	s->reg2_calls++;
	s->update_calls++;
	s->clone_calls++;
	s->unreg_calls += 3;
	return 0;
}

/* A pool ring: created, given the pool's buffers by clone, a few reads, gone. */
static int pool_ring(struct segment *s)
{
	struct clone_args ca = { .src_fd = g.pool_src.ring_fd };
	struct io_uring r;
	struct io_uring_cqe *cqe;
	long e;

	if ((e = io_uring_queue_init(8, &r, 0)))
		return fail("pool ring setup", "pool", e);
	if ((e = reg(r.ring_fd, OP_CLONE_BUFFERS, &ca, 1))) {
		io_uring_queue_exit(&r);
		return fail("pool clone", "pool", e);
	}
	for (unsigned int i = 0; i < POOL_READS; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&r);
		unsigned int idx = i % g.pool_bufs;

		io_uring_prep_read_fixed(sqe, g.file_fd, g.pool[idx].iov_base, 4096,
					 4096ULL * i, idx);
	}
	e = io_uring_submit_and_wait(&r, POOL_READS);
	for (unsigned int i = 0; e >= 0 && i < POOL_READS; i++) {
		if ((e = io_uring_wait_cqe(&r, &cqe)))
			break;
		e = cqe->res == 4096 ? 0 : (cqe->res < 0 ? cqe->res : -EIO);
		io_uring_cqe_seen(&r, cqe);
	}
	io_uring_queue_exit(&r);
	if (e < 0)
		return fail("pool reads", "pool", e);
	s->clone_calls++;
	s->rings++;
	return 0;
}

static int iteration(struct segment *s)
{
	struct io_uring r;
	uint64_t t0, ns;
	long e;

	for (int p = 0; p < g.nr_pt; p++)
		if (run_point(s, p))
			return -1;
	t0 = bench_now_ns();
	if ((e = io_uring_queue_init(8, &r, 0)))
		return fail("ring setup", "setup", e);
	io_uring_queue_exit(&r);
	add(&s->setup, bench_now_ns() - t0);
	s->rings++;
	t0 = bench_now_ns();
	for (unsigned int i = 0; i < g.pool_rings; i++)
		if (pool_ring(s))
			return -1;
	ns = bench_now_ns() - t0;
	s->pool_ns += ns;
	s->pool_rings += g.pool_rings;
	s->iters++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(struct samples *s)
{
	if (!s->n)
		return 0;
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_u64);
	return s->n % 2 ? s->ns[s->n / 2] : (s->ns[s->n / 2 - 1] + s->ns[s->n / 2]) / 2.0;
}

static void print_result(void)
{
	printf("{\"pid\":%d,\"pool_buffers\":%u,\"pool_rings_per_iter\":%u,\"points\":[",
	       getpid(), g.pool_bufs, g.pool_rings);
	for (int p = 0; p < g.nr_pt; p++)
		printf("%s{\"name\":\"%s\",\"buffers\":%u,\"bytes\":%llu}", p ? "," : "",
		       g.pt[p].name, g.pt[p].nr, g.pt[p].bytes);
	printf("],\"segments\":[");
	for (size_t i = 0; i < g.nr_seg; i++) {
		struct segment *s = &g.seg[i];

		printf("%s{\"cond\":\"%s\",\"iters\":%u,\"median_ns\":{", i ? "," : "", s->label,
		       s->iters);
		for (int p = 0; p < g.nr_pt; p++) {
			printf("%s\"%s\":{", p ? "," : "", g.pt[p].name);
			for (int c = 0; c < NR_CALLS; c++)
				printf("%s\"%s\":%.0f", c ? "," : "", call_names[c],
				       median(&s->call[p][c]));
			printf("}");
		}
		printf("},\"setup_ns\":%.0f,\"pool_rings\":%llu,\"pool_s\":%.6f,"
		       "\"calls\":{\"REGISTER_BUFFERS\":%llu,\"REGISTER_BUFFERS2\":%llu,"
		       "\"REGISTER_BUFFERS_UPDATE\":%llu,\"REGISTER_CLONE_BUFFERS\":%llu,"
		       "\"UNREGISTER_BUFFERS\":%llu},\"rings_created\":%llu}",
		       median(&s->setup), (unsigned long long)s->pool_rings, s->pool_ns / 1e9,
		       (unsigned long long)s->reg_calls, (unsigned long long)s->reg2_calls,
		       (unsigned long long)s->update_calls, (unsigned long long)s->clone_calls,
		       (unsigned long long)s->unreg_calls, (unsigned long long)s->rings);
	}
	printf("]}\n");
	fflush(stdout);
}

static void *map_memory(size_t len, bool huge)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (huge ? MAP_HUGETLB | (21 << MAP_HUGE_SHIFT) : 0);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (!huge)
		madvise(p, len, MADV_NOHUGEPAGE);	/* 4 KiB pages: nothing coalesces */
	if (madvise(p, len, MADV_POPULATE_WRITE))
		for (size_t off = 0; off < len; off += 4096)
			((volatile char *)p)[off] = 1;
	return p;
}

static int add_point(const char *kind, unsigned int nr, size_t buf_len, bool huge)
{
	struct point *pt = &g.pt[g.nr_pt];
	char *mem = map_memory(nr * buf_len, huge);

	if (!mem) {
		fprintf(stderr, "regcall: mmap %u × %zu KiB%s: %s\n", nr, buf_len >> 10,
			huge ? " hugetlb" : "", strerror(errno));
		return -1;
	}
	pt->iov = calloc(nr, sizeof(*pt->iov));
	if (!pt->iov)
		return -1;
	for (unsigned int i = 0; i < nr; i++)
		pt->iov[i] = (struct iovec){ mem + i * buf_len, buf_len };
	pt->nr = nr;
	pt->bytes = (unsigned long long)nr * buf_len;
	snprintf(pt->name, sizeof(pt->name), "%s-%u", kind, nr);
	g.nr_pt++;
	return 0;
}

static int setup(const unsigned long *counts, int n, unsigned int huge, const char *path)
{
	long e;

	for (int i = 0; i < n; i++)
		if (add_point("4k", counts[i], 4096, false))
			return -1;
	if (huge && add_point("2m", huge, HUGE_2M, true))
		return -1;
	/* the pool's memory: its own point, never timed */
	if (add_point("pool", g.pool_bufs, 4096, false))
		return -1;
	g.pool = g.pt[--g.nr_pt].iov;
	g.file_fd = open(path, O_RDONLY);
	if (g.file_fd < 0) {
		fprintf(stderr, "regcall: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if ((e = io_uring_queue_init(8, &g.a, 0)) || (e = io_uring_queue_init(8, &g.b, 0)) ||
	    (e = io_uring_queue_init(8, &g.c, 0)) || (e = io_uring_queue_init(8, &g.pool_src, 0)))
		return fail("ring setup", "start", e);
	/* the pool, registered once for the whole run */
	if ((e = reg(g.pool_src.ring_fd, OP_REGISTER_BUFFERS, g.pool, g.pool_bufs)))
		return fail("pool register", "start", e);
	return 0;
}

/* Reads the FIFO's lines, blocking until one comes (between segments). */
static int next_command(int fd, char *line, size_t size, bool block)
{
	static char buf[512];
	static size_t len;
	char *nl;

	for (;;) {
		if ((nl = memchr(buf, '\n', len))) {
			size_t l = nl - buf;

			if (l >= size)
				return -1;
			memcpy(line, buf, l);
			line[l] = 0;
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
			return 1;
		}
		if (len == sizeof(buf))
			return -1;
		if (block) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (poll(&pfd, 1, 20) < 0 && errno != EINTR)
				return -1;
		}
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r > 0)
			len += r;
		else if (!block)
			return 0;
		else if (r == 0)
			usleep(20000);	/* no writer yet: poll says readable at EOF */
	}
}

static int ack(const char *path, const char *label)
{
	FILE *f = fopen(path, "a");

	if (!f || fprintf(f, "ended %s\n", label) < 0 || fclose(f)) {
		fprintf(stderr, "regcall: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int controlled(const char *fifo, const char *ack_path, double max_seconds)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)(max_seconds * 1e9);
	char line[128];
	int fd = open(fifo, O_RDONLY | O_NONBLOCK);

	if (fd < 0) {
		fprintf(stderr, "regcall: %s: %s\n", fifo, strerror(errno));
		return 2;
	}
	for (struct segment *open_seg = NULL;;) {
		int c = next_command(fd, line, sizeof(line), !open_seg);

		if (bench_now_ns() > deadline) {
			fprintf(stderr, "regcall: no quit within %.0f s\n", max_seconds);
			return 1;
		}
		if (c < 0) {
			fprintf(stderr, "regcall: bad command stream\n");
			return 2;
		}
		if (c && !strcmp(line, "quit")) {
			break;
		} else if (c && !strcmp(line, "end")) {
			if (open_seg && ack(ack_path, open_seg->label))
				return 2;
			open_seg = NULL;
		} else if (c && !strncmp(line, "begin ", 6) && line[6] &&
			   strlen(line + 6) < LABEL_LEN && g.nr_seg < MAX_SEGMENTS) {
			open_seg = &g.seg[g.nr_seg++];
			strcpy(open_seg->label, line + 6);
		} else if (c) {
			fprintf(stderr, "regcall: bad command '%s'\n", line);
			return 2;
		}
		if (open_seg && iteration(open_seg))
			return 1;
	}
	print_result();
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long counts[MAX_POINTS] = { 16, 900, 4096 };
	const char *fifo = NULL, *ack_path = NULL, *path = NULL;
	unsigned int huge = 0, iters = 0;
	double max_seconds = 1800;
	int opt, n = 3, cpu = -1;
	bool rt = false;

	g.pool_bufs = 900;
	g.pool_rings = 16;
	while ((opt = getopt(argc, argv, "f:n:H:p:P:C:A:i:s:c:R")) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 'n': n = bench_parse_list(optarg, counts, MAX_POINTS - 2); break;
		case 'H': huge = atoi(optarg); break;
		case 'p': g.pool_bufs = atoi(optarg); break;
		case 'P': g.pool_rings = atoi(optarg); break;
		case 'C': fifo = optarg; break;
		case 'A': ack_path = optarg; break;
		case 'i': iters = atoi(optarg); break;
		case 's': max_seconds = atof(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'R': rt = true; break;
		default: goto usage;
		}
	}
	if (!path || n <= 0 || !fifo == !iters || !fifo != !ack_path || !g.pool_bufs || g.pool_bufs > MAX_BUFFERS ||
	    huge > 64 || max_seconds <= 0)
		goto usage;
	for (int i = 0; i < n; i++)
		if (!counts[i] || counts[i] > MAX_BUFFERS)
			goto usage;
	if (bench_pin_cpu(cpu)) {
		fprintf(stderr, "regcall: cannot pin to CPU %d\n", cpu);
		return 2;
	}
	if (rt) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp))
			fprintf(stderr, "regcall: SCHED_FIFO: %s\n", strerror(errno));
	}
	if (setup(counts, n, huge, path))
		return 2;
	if (fifo)
		return controlled(fifo, ack_path, max_seconds);
	g.nr_seg = 1;
	strcpy(g.seg[0].label, "run");
	for (unsigned int i = 0; i < iters; i++)
		if (iteration(&g.seg[0]))
			return 1;
	print_result();
	return 0;
usage:
	fprintf(stderr, "usage: regcall -f FILE [-n N,...] [-H N2M (<= 64)] [-p POOL_BUFS] "
		"[-P POOL_RINGS] [-C FIFO -A ACK | -i ITERS] [-s MAX_SEC] [-c CPU] [-R]\n");
	return 2;
}
