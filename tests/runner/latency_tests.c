// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * latency/register_900: the registration latency pinscope reports (kernel
 * side, sys_enter to the io_uring_register tracepoint) against what the
 * application measures around the same call when nothing traces it. Five
 * rounds, each an untraced run and a traced run of the reg_latency case (9
 * registrations of 900 x 4 KiB); per round pinscope's fastest call ÷ the
 * untraced fastest (on a shared machine other tenants only ever add time,
 * to either side); the median over rounds must lie within 10 % of 1.
 * When the untraced calls themselves spread by more than 30 % (the median
 * over rounds of slowest ÷ fastest), the machine is too busy for a 10 %
 * judgement and the test skips, saying so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

#define ROUNDS		5
#define TOLERANCE	0.10
#define BUSY_SPREAD	1.30

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The untraced application-side fastest call of one run, and slowest ÷
 * fastest; 0 on failure.
 */
static double untraced_min(struct test *t, double *spread)
{
	struct argv_buf a = {};
	struct proc p;
	json_object *o, *arr;
	double v[16];
	size_t n = 0;
	char err[256];

	av_add(&a, "%s", env.workload);
	av_add(&a, "reg_latency");
	proc_run(&p, a.v, NULL);
	av_free(&a);
	if (!expect_exit(t, &p, "pinscope-workload reg_latency", 0)) {
		proc_free(&p);
		return 0;
	}
	o = json_parse_strict(sb_str(&p.out), err, sizeof(err));
	proc_free(&p);
	arr = jpath(o, "register_ns");
	for (size_t i = 0; arr && i < json_object_array_length(arr) && n < 16; i++)
		v[n++] = json_object_get_double(json_object_array_get_idx(arr, i));
	json_object_put(o);
	if (!n)
		test_fail(t, "the untraced run printed no register_ns: %s", err);
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	*spread = v[n - 1] / v[0];
	return v[0];
}

/* pinscope's fastest register latency on the traced run's ring; 0 on failure. */
static double traced_kernel_ns(struct test *t, const char *dir)
{
	char report[4200], oracle[4200], err[256];
	struct argv_buf a = {};
	json_object *r, *rings;
	struct proc p;
	double ns = 0;

	snprintf(report, sizeof(report), "%s/report.json", dir);
	snprintf(oracle, sizeof(oracle), "%s/oracle.json", dir);
	add_pinscope_args(&a, "stat", report, NULL);
	av_add(&a, "%s", env.workload);
	av_add(&a, "-o");
	av_add(&a, "%s", oracle);
	av_add(&a, "reg_latency");
	proc_run(&p, a.v, NULL);
	av_free(&a);
	if (!expect_exit(t, &p, "pinscope stat", 0)) {
		proc_free(&p);
		return 0;
	}
	proc_free(&p);
	r = json_load_file(report, err, sizeof(err));
	rings = jpath(r, "rings");
	for (size_t i = 0; rings && i < json_object_array_length(rings); i++) {
		json_object *ring = json_object_array_get_idx(rings, i);
		long long calls;

		if (jint(jpath(ring, "register.calls"), &calls) && calls == 9)
			ns = json_object_get_double(jpath(ring, "register.latency_ns.min"));
	}
	json_object_put(r);
	if (!ns)
		test_fail(t, "no ring with 9 registrations in pinscope's report %s", err);
	return ns;
}

void run_latency_tests(void)
{
	struct test t;
	double ratio[ROUNDS], spread[ROUNDS], m, busy;
	char dir[4096];
	int n = 0;

	if (!test_begin(&t, "latency/register_900"))
		return;
	if (!pinscope_ready(&t) || test_mkdir(&t, "latency", dir, sizeof(dir))) {
		test_end(&t);
		return;
	}
	for (int r = 0; r < ROUNDS && !test_failed(&t); r++) {
		double u = untraced_min(&t, &spread[n]), k = u ? traced_kernel_ns(&t, dir) : 0;

		if (!u || !k)
			break;
		ratio[n++] = k / u;
		test_note(&t, "round %d: fastest call untraced %.1f µs, pinscope's %.1f µs (%.3f)",
			  r + 1, u / 1e3, k / 1e3, k / u);
	}
	if (n == ROUNDS) {
		m = median(ratio, n);
		busy = median(spread, n);
		if (busy > BUSY_SPREAD)
			test_skip(&t, "the machine is too busy to compare latencies within 10 %%: "
				  "untraced calls spread %.2f x (slowest ÷ fastest, median of %d "
				  "rounds); pinscope ÷ untraced was %.3f", busy, n, m);
		else if (m < 1 - TOLERANCE || m > 1 + TOLERANCE)
			test_fail(&t, "pinscope's register latency is %.3f x the untraced "
				  "application side (median of %d rounds), beyond ±%.0f %%",
				  m, n, TOLERANCE * 100);
	}
	test_end(&t);
}
