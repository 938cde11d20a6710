/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The benchmark's load: one io_uring driven as fast as it goes with 4 KiB
 * reads at random offsets, DEPTH per submit. Header-only, shared by iops
 * (one measured run) and oneload (one long run cut into labelled windows).
 */
#ifndef PS_BENCH_LOAD_H
#define PS_BENCH_LOAD_H

#include <fcntl.h>
#include <stdbool.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
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
static inline uint64_t next_block(struct load *l)
{
	l->rng ^= l->rng << 13;
	l->rng ^= l->rng >> 7;
	l->rng ^= l->rng << 17;
	return l->rng % l->nr_blocks;
}

/* One batch: DEPTH reads submitted with one syscall, all reaped. */
static inline int load_batch(struct load *l)
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
			fprintf(stderr, "load: read returned %d\n", cqe->res);
			return -1;
		}
		seen++;
	}
	io_uring_cq_advance(&l->ring, seen);
	return seen == l->depth ? 0 : -1;
}

/* User + system time: BPF programs run in the load's context, charged here. */
static inline double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static inline int load_setup(struct load *l, const char *path, bool direct)
{
	struct iovec iov[MAX_DEPTH];
	struct stat st;
	int e;

	l->fd = open(path, O_RDONLY | (direct ? O_DIRECT : 0));
	if (l->fd < 0 || fstat(l->fd, &st)) {
		fprintf(stderr, "load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	l->nr_blocks = st.st_size / BS;
	if (!l->nr_blocks) {
		fprintf(stderr, "load: %s is smaller than %d bytes\n", path, BS);
		return -1;
	}
	e = io_uring_queue_init(l->depth, &l->ring, 0);
	if (e) {
		fprintf(stderr, "load: io_uring_queue_init: %s\n", strerror(-e));
		return -1;
	}
	for (unsigned int i = 0; i < l->depth; i++) {
		if (posix_memalign(&l->bufs[i], BS, BS))
			return -1;
		memset(l->bufs[i], 0, BS);
		iov[i] = (struct iovec){ l->bufs[i], BS };
	}
	if (l->fixed && (e = io_uring_register_buffers(&l->ring, iov, l->depth))) {
		fprintf(stderr, "load: registering buffers: %s\n", strerror(-e));
		return -1;
	}
	return 0;
}

/*
 * On CPU (or anywhere when < 0), as SCHED_FIFO when rt: on a shared
 * machine, other tenants' threads then cannot preempt the load (RT
 * throttling still leaves them 5 %).
 */
static inline int load_place(const char *who, int cpu, bool rt)
{
	struct sched_param sp = { .sched_priority = 10 };

	if (bench_pin_cpu(cpu)) {
		fprintf(stderr, "%s: cannot pin to CPU %d\n", who, cpu);
		return -1;
	}
	if (rt && sched_setscheduler(0, SCHED_FIFO, &sp)) {
		fprintf(stderr, "%s: SCHED_FIFO: %s\n", who, strerror(errno));
		return -1;
	}
	return 0;
}

static inline void load_close(struct load *l)
{
	io_uring_queue_exit(&l->ring);
	close(l->fd);
	for (unsigned int i = 0; i < l->depth; i++)
		free(l->bufs[i]);
}

#endif /* PS_BENCH_LOAD_H */
