/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers the bench programs share: a monotonic clock, CPU pinning and
 * number-list parsing. Header-only so each tools/bench/NAME.c stays one
 * static binary.
 */
#ifndef PS_BENCH_H
#define PS_BENCH_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Older libc headers lack these (hugetlb page size, prefaulting). */
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The load runs on one core and the tracer's user space on the other. */
static inline int bench_pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* "64,128,1024" → values; returns the count, or -1 on a malformed list. */
static inline int bench_parse_list(const char *s, unsigned long *out, int max)
{
	int n = 0;

	while (*s) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || n == max || (*end && *end != ','))
			return -1;
		out[n++] = v;
		s = *end ? end + 1 : end;
	}
	return n;
}

/* A JSON array of nanosecond samples, e.g. "[1200,1180]". */
static inline void bench_print_ns_array(FILE *f, const uint64_t *ns, int n)
{
	fputc('[', f);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)ns[i]);
	fputc(']', f);
}

#endif /* PS_BENCH_H */
