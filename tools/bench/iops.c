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
 *   -R  run as SCHED_FIFO (see load_place)
 * Exit: 0 ran, 1 an IO failed, 2 usage or setup error.
 */
#include <getopt.h>
#include "load.h"

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
	if (load_place("iops", cpu, rt) || load_setup(&l, path, direct))
		return 2;

	/* warm up caches and the ring, then measure */
	deadline = bench_now_ns() + (uint64_t)(warmup * 1e9);
	while (bench_now_ns() < deadline) {
		if (load_batch(&l))
			return 1;
		warmup_ios += l.depth;
	}
	cpu0 = cpu_seconds();
	t0 = bench_now_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		if (load_batch(&l))
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
	load_close(&l);
	return 0;
}
