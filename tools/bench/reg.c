// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * reg: buffer registration and cloning, timed from user space.
 *
 * For each point it uses three fresh rings: A registers the buffers, B
 * registers the same memory again (what a second ring paid before
 * IORING_REGISTER_CLONE_BUFFERS), C clones A's table. Each is repeated
 * -r times (unregistering in between) and printed as one JSON line with
 * every sample, the pid and the three ring fds, so the driver can put
 * pinscope's kernel-side latency for the same rings next to them. Rings stay
 * open until exit: a closed fd would be reused and (pid, fd) would no longer
 * name one ring in pinscope's report.
 *
 * usage: reg -k 4k|2m|1g -s MIB,MIB,...  [-r REPS] [-c CPU]  size sweep, 1 GiB buffers
 *        reg -n COUNT,COUNT,...          [-r REPS] [-c CPU]  clone sweep, 4 KiB buffers
 * Exit: 0 ran, 1 a registration failed, 2 usage or memory error.
 */
#include <getopt.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <liburing.h>
#include "bench.h"

#define REGISTER_CLONE_BUFFERS	30	/* liburing 2.3 predates it */
#define MAX_POINTS		32
#define MAX_REPS		16
#define MAX_BUFFERS		16384	/* IORING_MAX_REG_BUFFERS */
#define GIB			(1ULL << 30)
#define MIB			(1ULL << 20)

struct clone_args {		/* struct io_uring_clone_buffers, 6.13+ */
	__u32 src_fd, flags, src_off, dst_off, nr, pad[3];
};

struct point {
	const char *test, *kind;
	struct iovec *iov;
	unsigned int nr;
	unsigned long long bytes;
	int reps;
};

static int clone_buffers(int dst_fd, int src_fd, unsigned int nr)
{
	struct clone_args a = { .src_fd = src_fd, .nr = nr };
	long ret = syscall(__NR_io_uring_register, dst_fd, REGISTER_CLONE_BUFFERS, &a, 1);

	return ret < 0 ? -errno : 0;
}

/*
 * Anonymous 4 KiB pages (THP off for the range, so nothing coalesces) or
 * hugetlb pages of the given size, faulted in before any timing.
 */
static void *map_memory(const char *kind, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

	if (!strcmp(kind, "2m"))
		flags |= MAP_HUGETLB | (21 << MAP_HUGE_SHIFT);
	else if (!strcmp(kind, "1g"))
		flags |= MAP_HUGETLB | (30 << MAP_HUGE_SHIFT);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "reg: mmap %zu MiB of %s pages: %s\n", len >> 20, kind,
			strerror(errno));
		return NULL;
	}
	if (!strcmp(kind, "4k"))
		madvise(p, len, MADV_NOHUGEPAGE);
	if (madvise(p, len, MADV_POPULATE_WRITE))
		for (size_t off = 0; off < len; off += 4096)
			((volatile char *)p)[off] = 1;
	return p;
}

static int ring_new(struct io_uring *r)
{
	int e = io_uring_queue_init(8, r, 0);

	if (e)
		fprintf(stderr, "reg: io_uring_queue_init: %s\n", strerror(-e));
	return e;
}

static int fail(const char *what, int e)
{
	fprintf(stderr, "reg: %s: %s\n", what, strerror(-e));
	return 1;
}

static int run_point(const struct point *p)
{
	uint64_t reg_ns[MAX_REPS], rereg_ns[MAX_REPS], clone_ns[MAX_REPS], t0, t1, t2, t3;
	struct io_uring a, b, c;
	int e;

	if (ring_new(&a) || ring_new(&b) || ring_new(&c))
		return 2;
	for (int i = 0; i < p->reps; i++) {
		t0 = bench_now_ns();
		if ((e = io_uring_register_buffers(&a, p->iov, p->nr)))
			return fail("register", e);
		t1 = bench_now_ns();
		if ((e = io_uring_register_buffers(&b, p->iov, p->nr)))
			return fail("re-register in a second ring", e);
		t2 = bench_now_ns();
		if ((e = clone_buffers(c.ring_fd, a.ring_fd, p->nr)))
			return fail("clone", e);
		t3 = bench_now_ns();
		reg_ns[i] = t1 - t0;
		rereg_ns[i] = t2 - t1;
		clone_ns[i] = t3 - t2;
		/* the clone holds references: drop it before its source */
		if ((e = io_uring_unregister_buffers(&c)) || (e = io_uring_unregister_buffers(&b)) ||
		    (e = io_uring_unregister_buffers(&a)))
			return fail("unregister", e);
	}
	printf("{\"test\":\"%s\",\"kind\":\"%s\",\"bytes\":%llu,\"buffers\":%u,\"pid\":%d,"
	       "\"fd_register\":%d,\"fd_reregister\":%d,\"fd_clone\":%d,\"register_ns\":",
	       p->test, p->kind, p->bytes, p->nr, getpid(), a.ring_fd, b.ring_fd, c.ring_fd);
	bench_print_ns_array(stdout, reg_ns, p->reps);
	printf(",\"reregister_ns\":");
	bench_print_ns_array(stdout, rereg_ns, p->reps);
	printf(",\"clone_ns\":");
	bench_print_ns_array(stdout, clone_ns, p->reps);
	printf("}\n");
	fflush(stdout);
	return 0;
}

/* Sizes in MiB, each registered as 1 GiB buffers (the kernel's maximum). */
static int size_sweep(const char *kind, const unsigned long *mib, int n, int reps)
{
	static struct iovec iov[MAX_BUFFERS];
	unsigned long long max = 0;
	char *mem;
	int status = 0;

	for (int i = 0; i < n; i++)
		if (mib[i] * MIB > max)
			max = mib[i] * MIB;
	if (!(mem = map_memory(kind, max)))
		return 2;
	for (int i = 0; i < n && !status; i++) {
		unsigned long long bytes = mib[i] * MIB, buf = bytes < GIB ? bytes : GIB;
		struct point p = { "register", kind, iov, bytes / buf, bytes, reps };

		for (unsigned int j = 0; j < p.nr; j++)
			iov[j] = (struct iovec){ mem + j * buf, buf };
		status = run_point(&p);
	}
	munmap(mem, max);
	return status;
}

/* Clone cost grows with the number of buffers, not their size: 4 KiB each. */
static int count_sweep(const unsigned long *count, int n, int reps)
{
	static struct iovec iov[MAX_BUFFERS];
	unsigned long max = 0;
	char *mem;
	int status = 0;

	for (int i = 0; i < n; i++)
		max = count[i] > max ? count[i] : max;
	if (!(mem = map_memory("4k", max * 4096)))
		return 2;
	for (unsigned long j = 0; j < max; j++)
		iov[j] = (struct iovec){ mem + j * 4096, 4096 };
	for (int i = 0; i < n && !status; i++) {
		struct point p = { "clone_sweep", "4k", iov, count[i], count[i] * 4096ULL, reps };

		status = run_point(&p);
	}
	munmap(mem, max * 4096);
	return status;
}

int main(int argc, char **argv)
{
	unsigned long values[MAX_POINTS];
	const char *kind = NULL, *sizes = NULL, *counts = NULL;
	int opt, n, reps = 3, cpu = -1;

	while ((opt = getopt(argc, argv, "k:s:n:r:c:")) != -1) {
		switch (opt) {
		case 'k': kind = optarg; break;
		case 's': sizes = optarg; break;
		case 'n': counts = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (reps < 1 || reps > MAX_REPS || !sizes == !counts)
		goto usage;
	n = bench_parse_list(sizes ? sizes : counts, values, MAX_POINTS);
	if (n <= 0)
		goto usage;
	for (int i = 0; i < n; i++)
		if (!values[i] || (counts && values[i] > MAX_BUFFERS) ||
		    (sizes && values[i] * MIB / GIB > MAX_BUFFERS) ||
		    (sizes && values[i] > 1024 && values[i] % 1024))
			goto usage;	/* over 1 GiB: whole 1 GiB buffers only */
	if (bench_pin_cpu(cpu)) {
		fprintf(stderr, "reg: cannot pin to CPU %d\n", cpu);
		return 2;
	}
	if (counts)
		return count_sweep(values, n, reps);
	if (!kind || (strcmp(kind, "4k") && strcmp(kind, "2m") && strcmp(kind, "1g")))
		goto usage;
	return size_sweep(kind, values, n, reps);
usage:
	fprintf(stderr, "usage: reg -k 4k|2m|1g -s MIB,... [-r 1..%d] [-c CPU]\n"
			"       reg -n COUNT,... [-r 1..%d] [-c CPU]   (COUNT <= %d)\n",
		MAX_REPS, MAX_REPS, MAX_BUFFERS);
	return 2;
}
