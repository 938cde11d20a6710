// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * iops: drives one io_uring as fast as it can with 4 KiB reads, DEPTH per
 * submit, and prints one JSON object: IOs, IOPS and CPU time per IO.
 *
 * fio tops out near 80k IOPS on our virtualised machine, far below what a
 * ring does; a tracer's per-IO cost only shows against a load that spends
 * little else per IO, hence this tight loop.
 *
 * usage: iops -f FILE [-s SEC] [-w SEC] [-q DEPTH] [-c CPU] [-n] [-D] [-R]
 *   -n  plain READ (user memory) instead of READ_FIXED
 *   -D  O_DIRECT (else the page cache: the caller warms the file first)
 *   -R  run as SCHED_FIFO: on a shared machine, other tenants' threads then
 *       cannot preempt the load (RT throttling still leaves them 5 %)
 * Exit: 0 ran, 1 an IO failed, 2 usage or setup error.
 */
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <liburing.h>
#include "bench.h"

#define BS		4096
#define MAX_DEPTH	256

struct load {
	struct io_uring ring;
	int fd;
	unsigned int depth;
	bool fixed;
	uint64_t nr_blocks;
	uint64_t rng;
	void *bufs[MAX_DEPTH];
};

/* xorshift64: random offsets without a libc call per IO */
static uint64_t next_block(struct load *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng % l->nr_blocks;
}

/* One batch: DEPTH reads submitted with one syscall, all reaped. */
static int run_batch(struct load *l)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	for (unsigned int i = 0; i < l->depth; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
		uint64_t off = next_block(l) * BS;

		if (l->fixed)
			io_uring_prep_read_fixed(sqe, l->fd, l->bufs[i], BS, off, i);
		else
			io_uring_prep_read(sqe, l->fd, l->bufs[i], BS, off);
	}
	if (io_uring_submit_and_wait(&l->ring, l->depth) < 0)
		return -1;
	io_uring_for_each_cqe(&l->ring, head, cqe) {
		if (cqe->res != BS) {
			fprintf(stderr, "iops: read returned %d\n", cqe->res);
			return -1;
		}
		seen++;
	}
	io_uring_cq_advance(&l->ring, seen);
	return seen == l->depth ? 0 : -1;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int setup(struct load *l, const char *path, bool direct)
{
	struct iovec iov[MAX_DEPTH];
	struct stat st;
	int e;

	l->fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));
	if (l->fd < 0 || fstat(l->fd, &st)) {
		fprintf(stderr, "iops: %s: %s\n", path, strerror(errno));
		return -1;
	}
	l->nr_blocks = st.st_size / BS;
	if (!l->nr_blocks) {
		fprintf(stderr, "iops: %s is smaller than %d bytes\n", path, BS);
		return -1;
	}
	e = io_uring_queue_init(l->depth, &l->ring, 0);
	if (e) {
		fprintf(stderr, "iops: io_uring_queue_init: %s\n", strerror(-e));
		return -1;
	}
	for (unsigned int i = 0; i < l->depth; i++) {
		if (posix_memalign(&l->bufs[i], BS, BS))
			return -1;
		memset(l->bufs[i], 0, BS);
		iov[i] = (struct iovec){ l->bufs[i], BS };
	}
	if (l->fixed && (e = io_uring_register_buffers(&l->ring, iov, l->depth))) {
		fprintf(stderr, "iops: registering buffers: %s\n", strerror(-e));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct load l = { .depth = 32, .fixed = true, .rng = 0x9e3779b97f4a7c15ULL };
	double seconds = 3, warmup = 0.2, cpu0;
	const char *path = NULL;
	bool direct = false, rt = false;
	uint64_t ios = 0, warmup_ios = 0, t0, deadline, end;
	int opt, cpu = -1;

	while ((opt = getopt(argc, argv, "f:s:w:q:c:nDR")) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 's': seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'q': l.depth = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'n': l.fixed = false; break;
		case 'D': direct = true; break;
		case 'R': rt = true; break;
		default: return 2;
		}
	}
	if (!path || seconds <= 0 || warmup < 0 || !l.depth || l.depth > MAX_DEPTH) {
		fprintf(stderr, "usage: iops -f FILE [-s SEC] [-w SEC] [-q 1..%d] [-c CPU] [-n] [-D] [-R]\n",
			MAX_DEPTH);
		return 2;
	}
	if (bench_pin_cpu(cpu)) {
		fprintf(stderr, "iops: cannot pin to CPU %d\n", cpu);
		return 2;
	}
	if (rt) {
		struct sched_param sp = { .sched_priority = 10 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			fprintf(stderr, "iops: SCHED_FIFO: %s\n", strerror(errno));
			return 2;
		}
	}
	if (setup(&l, path, direct))
		return 2;

	/* warm up caches and the ring, then measure */
	deadline = bench_now_ns() + (uint64_t)(warmup * 1e9);
	while (bench_now_ns() < deadline) {
		if (run_batch(&l))
			return 1;
		warmup_ios += l.depth;
	}
	cpu0 = cpu_seconds();
	t0 = bench_now_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		if (run_batch(&l))
			return 1;
		ios += l.depth;
	} while ((end = bench_now_ns()) < deadline);

	double elapsed = (end - t0) / 1e9, cpu_used = cpu_seconds() - cpu0;

	printf("{\"pid\":%d,\"ring_fd\":%d,\"fixed\":%s,\"direct\":%s,\"depth\":%u,"
	       "\"bs\":%d,\"ios\":%llu,\"warmup_ios\":%llu,\"seconds\":%.6f,\"iops\":%.1f,"
	       "\"cpu_s\":%.6f,"
	       "\"cpu_ns_per_io\":%.1f,\"sched\":\"%s\"}\n",
	       getpid(), l.ring.ring_fd, l.fixed ? "true" : "false", direct ? "true" : "false",
	       l.depth, BS, (unsigned long long)ios, (unsigned long long)warmup_ios, elapsed, ios / elapsed, cpu_used,
	       cpu_used * 1e9 / ios, rt ? "fifo" : "other");
	io_uring_queue_exit(&l.ring);
	close(l.fd);
	return 0;
}
