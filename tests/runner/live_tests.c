// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Live sessions, the way services are traced:
 *   live/CASE          the workload registers first, pinscope attaches with
 *                      -p, then the workload does its IO and exits; the
 *                      report must hold the table registered before, the
 *                      IO exactly, and pinscope must end by itself
 *   live/check_CASE    the same under `check -p`: its verdict on tables
 *                      registered before tracing
 *   lifetimes/trace_churn  every ring of ring_churn in `trace` (default table
 *                      size: trace's reader also prints every event), none lost
 *   lifetimes/interval     -i 1: each short-lived ring in its interval
 *   lifetimes/overflow     64-entry tables and a burst of 100 rings, then
 *                      100 processes: each lost one counted once (36, 37),
 *                      in JSON and text, and check exits 2
 * (ring_churn and many_procs also run as e2e/ and check/ cases.)
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"

/* How long pinscope may take to notice its process ended and report. */
#define LIVE_END_MS	10000

struct live_run {
	struct proc wl, ps;
	json_object *oracle, *report;
};

static void live_free(struct live_run *r)
{
	proc_kill(&r->wl);
	proc_kill(&r->ps);
	proc_free(&r->wl);
	proc_free(&r->ps);
	json_object_put(r->oracle);
	json_object_put(r->report);
}

/* workload -w CASE, then pinscope SUBCOMMAND -p PID; false: t says why. */
static bool live_run(struct test *t, struct live_run *r, const char *subcommand,
		     const char *name, const char *option)
{
	char dir[4096], oracle_path[4200], report_path[4200], data[4200], err[512];
	struct argv_buf w = {0}, a = {0};
	bool ok = false;
	const char *status;

	if (!pinscope_ready(t) || test_mkdir(t, name, dir, sizeof(dir)))
		return false;
	snprintf(oracle_path, sizeof(oracle_path), "%s/oracle.json", dir);
	snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	if (mkdir(data, 0755)) {
		test_fail(t, "mkdir %s: %s", data, strerror(errno));
		return false;
	}
	av_add(&w, "%s", env.workload);
	av_add(&w, "-w");
	av_add(&w, "-o");
	av_add(&w, "%s", oracle_path);
	av_add(&w, "-d");
	av_add(&w, "%s", data);
	av_add(&w, "%s", name);
	if (proc_start(&r->wl, w.v, NULL)) {
		test_fail(t, "cannot start the workload");
		goto out;
	}
	if (!proc_wait_line(&r->wl, "ready", 30000)) {
		/* a case the kernel lacks ends at once with its oracle */
		proc_wait(&r->wl, 5000);
		r->oracle = json_load_file(oracle_path, err, sizeof(err));
		status = json_object_get_string(jpath(r->oracle, "status"));
		if (status && !strcmp(status, "skipped"))
			test_skip(t, "%s", json_object_get_string(jpath(r->oracle, "reason")));
		else
			test_fail(t, "workload never said ready");
		proc_log(&r->wl, &t->log);
		goto out;
	}
	add_pinscope_args(&a, subcommand, report_path, option);
	a.n--;			/* it ends with "--": follow a pid instead */
	free(a.v[a.n]);
	a.v[a.n] = NULL;
	av_add(&a, "-p");
	av_add(&a, "%d", (int)r->wl.pid);
	if (proc_start(&r->ps, a.v, NULL) || !proc_wait_line(&r->ps, "Tracing", 30000)) {
		test_fail(t, "pinscope did not start tracing");
		proc_log(&r->ps, &t->log);
		goto out;
	}
	proc_signal(&r->wl, SIGUSR1);
	if (!proc_wait(&r->wl, 60000)) {
		test_fail(t, "workload did not end after SIGUSR1");
		goto out;
	}
	if (!proc_wait(&r->ps, LIVE_END_MS)) {
		test_fail(t, "pinscope -p still running %d ms after its process ended",
			  LIVE_END_MS);
		proc_log(&r->ps, &t->log);
		goto out;
	}
	proc_log(&r->wl, &t->log);
	proc_log(&r->ps, &t->log);
	r->oracle = json_load_file(oracle_path, err, sizeof(err));
	if (!r->oracle) {
		test_fail(t, "oracle: %s", err);
		goto out;
	}
	r->report = json_load_file(report_path, err, sizeof(err));
	if (!r->report) {
		test_fail(t, "report: %s", err);
		goto out;
	}
	ok = true;
out:
	av_free(&w);
	av_free(&a);
	return ok;
}

static void log_cmp(struct test *t, struct cmp_result *res)
{
	for (size_t i = 0; i < res->mismatches.n; i++)
		sb_appendf(&t->log, "  mismatch: %s\n", res->mismatches.items[i]);
	if (res->mismatches.n)
		test_fail(t, "%s%s", res->mismatches.items[0],
			  res->mismatches.n > 1 ? " (and more)" : "");
}

static void live_stat(const char *name)
{
	struct live_run r = {0};
	struct cmp_result res = {0};
	struct test t;

	if (!test_begin(&t, "live/%s", name))
		return;
	if (live_run(&t, &r, "stat", name, NULL)) {
		expect_exit(&t, &r.ps, "pinscope stat -p", 0);
		compare_oracle_report(r.oracle, r.report, &res);
		log_cmp(&t, &res);
		if (test_failed(&t))
			log_json(&t, "report", r.report);
	}
	cmp_result_free(&res);
	live_free(&r);
	test_end(&t);
}

static void live_check(const char *name)
{
	struct live_run r = {0};
	struct cmp_result res = {0};
	struct test t;

	if (!test_begin(&t, "live/check_%s", name))
		return;
	if (live_run(&t, &r, "check", name, NULL)) {
		expect_exit(&t, &r.ps, "pinscope check -p",
			    check_expected_exit_seen(r.oracle, r.report));
		compare_check_report(r.oracle, r.report, &res);
		log_cmp(&t, &res);
		if (test_failed(&t))
			log_json(&t, "report", r.report);
	}
	cmp_result_free(&res);
	live_free(&r);
	test_end(&t);
}

/*
 * The same through /proc/PID/fdinfo, the source for kernels without task
 * iterators: the table's slots, buffers, bytes and pages, nothing more.
 */
static void live_fdinfo(const char *name)
{
	static const char *const unknown[] = { "huge_buffers", "acct_pages", "shared" };
	struct live_run r = {0};
	struct cmp_result res = {0};
	json_object *rings, *reg;
	struct test t;

	if (!test_begin(&t, "live/fdinfo_%s", name))
		return;
	if (live_run(&t, &r, "stat", name, "--rings-from=fdinfo")) {
		expect_exit(&t, &r.ps, "pinscope stat -p --rings-from=fdinfo", 0);
		rings = jpath(r.oracle, "rings");
		for (size_t i = 0; json_object_is_type(rings, json_type_array) &&
				   i < json_object_array_length(rings); i++)
			if ((reg = jpath(json_object_array_get_idx(rings, i), "registered")))
				for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++)
					json_object_object_del(reg, unknown[k]);
		/*
		 * Before 6.13 a buffer lookup names the buffer, not the ring: only a
		 * walk of the table ties an older table's buffers to their ring,
		 * and fdinfo walks nothing (README, Limits). Lookups are not judged.
		 */
		rings = jpath(r.report, "rings");
		for (size_t i = 0; json_object_is_type(rings, json_type_array) &&
				   i < json_object_array_length(rings); i++)
			json_object_object_add(json_object_array_get_idx(rings, i), "imports", NULL);
		if (strcmp(json_object_get_string(jpath(r.report, "rings_found_by")) ?: "",
			   "fdinfo"))
			test_fail(&t, "rings_found_by: report %s, expected fdinfo",
				  json_object_get_string(jpath(r.report, "rings_found_by")));
		compare_oracle_report(r.oracle, r.report, &res);
		log_cmp(&t, &res);
		if (test_failed(&t))
			log_json(&t, "report", r.report);
	}
	cmp_result_free(&res);
	live_free(&r);
	test_end(&t);
}

/* pinscope SUBCOMMAND -j [OPTION VALUE] -- pinscope-workload -o /dev/null NAME */
static void follow_case(struct argv_buf *a, const char *subcommand, const char *option,
			const char *value, const char *name)
{
	av_add(a, "%s", env.pinscope);
	av_add(a, "%s", subcommand);
	av_add(a, "-j");
	if (option) {
		av_add(a, "%s", option);
		av_add(a, "%s", value);
	}
	if (env.backend)
		av_add(a, "--backend=%s", env.backend);
	av_add(a, "--");
	av_add(a, "%s", env.workload);
	av_add(a, "-o");
	av_add(a, "/dev/null");
	av_add(a, "%s", name);
}

/* The number written just before words in text ("12 events missed"), or 0. */
static long long number_before(const char *text, const char *words)
{
	const char *w = text ? strstr(text, words) : NULL, *q = w;

	while (q && q > text && isdigit((unsigned char)q[-1]))
		q--;
	return q && q != w ? atoll(q) : 0;
}

/* Entries a full hash map may take past its limit: one per other CPU. */
static long min_dropped_slack(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus > 1 ? cpus - 1 : 0;
}

/* A trace of ring_churn: its records of ring creations and registrations. */
struct churn_trace {
	long long want;		/* rings, each one creation and one registration */
	long long creates, registers, missed, lost;
};

static bool trace_ring_churn(struct test *t, struct proc *p, const char *buffer_size,
			     struct churn_trace *ct)
{
	const char *env_rings = getenv("PINSCOPE_CHURN_RINGS");
	struct argv_buf a = {0};
	bool ok = false;

	ct->want = env_rings ? atoll(env_rings) / 4 * 4 : 20000;	/* 4 processes share them */
	follow_case(&a, "trace", "--buffer-size", buffer_size, "ring_churn");
	if (proc_run(p, a.v, NULL)) {
		test_fail(t, "cannot start pinscope trace");
		goto out;
	}
	expect_exit(t, p, "pinscope trace", 0);
	for (const char *line = sb_str(&p->out); line && *line;) {
		const char *end = strchr(line, '\n');

		ct->creates += !strncmp(line, "{\"time_s\"", 9) &&
			       strstr(line, "\"ring_create\"") &&
			       (!end || strstr(line, "\"ring_create\"") < end);
		ct->registers += !strncmp(line, "{\"time_s\"", 9) &&
				 strstr(line, "\"REGISTER_BUFFERS\"") &&
				 (!end || strstr(line, "\"REGISTER_BUFFERS\"") < end);
		line = end ? end + 1 : NULL;
	}
	/* runs the kernel skipped are said on stderr; each loses at most one event */
	ct->missed = number_before(sb_str(&p->err), " events missed");
	ct->lost = number_before(sb_str(&p->err), " events lost");
	ok = true;
out:
	av_free(&a);
	return ok;
}

/*
 * trace prints every ring creation and registration of ring_churn, given
 * room for them: ~25 MB/s of records, which the default 1 MiB buffer holds
 * only while the reader keeps the CPU.
 */
static void trace_churn(void)
{
	struct churn_trace ct = {0};
	struct proc p = {0};
	struct test t;

	if (!test_begin(&t, "lifetimes/trace_churn"))
		return;
	if (!pinscope_ready(&t) || !trace_ring_churn(&t, &p, "32M", &ct))
		goto out;
	if (ct.creates > ct.want || ct.registers > ct.want || ct.want - ct.creates > ct.missed ||
	    ct.want - ct.registers > ct.missed)
		test_fail(&t, "trace printed %lld ring creations and %lld registrations, "
			  "the workload made %lld of each (%lld runs skipped by the kernel)",
			  ct.creates, ct.registers, ct.want, ct.missed);
	else if (ct.missed)
		test_note(&t, "%lld ring creations and %lld registrations of %lld: the kernel "
			  "skipped %lld runs, and trace said so", ct.creates, ct.registers,
			  ct.want, ct.missed);
	if (strstr(sb_str(&p.err), "lost"))
		test_fail(&t, "trace says events were lost");
	if (test_failed(&t))
		proc_log(&p, &t.log);
out:
	proc_free(&p);
	test_end(&t);
}

/*
 * The same into a 4 KiB buffer (six records): most are lost, and trace
 * says how many, exactly: printed + lost = made.
 */
static void trace_lost(void)
{
	struct churn_trace ct = {0};
	struct proc p = {0};
	struct test t;

	if (!test_begin(&t, "lifetimes/trace_churn_lost"))
		return;
	if (!pinscope_ready(&t) || !trace_ring_churn(&t, &p, "4K", &ct))
		goto out;
	if (!ct.lost)
		test_fail(&t, "no \"events lost\" on stderr, with room for six records");
	else if (ct.creates + ct.registers + ct.lost > 2 * ct.want ||
		 ct.creates + ct.registers + ct.lost + ct.missed < 2 * ct.want)
		test_fail(&t, "%lld records printed and %lld said lost; the workload made %lld "
			  "(%lld runs skipped by the kernel)", ct.creates + ct.registers, ct.lost,
			  2 * ct.want, ct.missed);
	if (test_failed(&t))
		proc_log(&p, &t.log);
out:
	proc_free(&p);
	test_end(&t);
}

/*
 * stat -j -i 1 over ring_sequence: its first ring lives and dies in the
 * first second, its second 1.5 s later. The first must be in the first
 * report. The second must be in an interval report (not only the final
 * one), and in none whose duration_s is under 1.5 s: it did not exist yet.
 * Judged by duration_s, not by the report's number: on a loaded machine
 * the first tick came at 1.87 s, after the second ring was made.
 */
static void interval(void)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	json_tokener *tok = NULL;
	int first_with[2] = { -1, -1 }, docs = 0;
	double early = -1;	/* duration_s of a report listing ring 2 too early */
	const char *s;
	struct test t;

	if (!test_begin(&t, "lifetimes/interval"))
		return;
	if (!pinscope_ready(&t))
		goto out;
	follow_case(&a, "stat", "-i", "1", "ring_sequence");
	if (proc_run(&p, a.v, NULL)) {
		test_fail(&t, "cannot start pinscope stat");
		goto out;
	}
	expect_exit(&t, &p, "pinscope stat -i 1", 0);
	tok = json_tokener_new();
	s = sb_str(&p.out);
	/* the documents in order: which is the first to list ring 1, ring 2 */
	while (s && *s) {
		json_object *doc = json_tokener_parse_ex(tok, s, (int)strlen(s));
		json_object *rings;
		double took;

		if (!doc)
			break;
		s += json_tokener_get_parse_end(tok);
		while (*s == '\n' || *s == ' ')
			s++;
		rings = jpath(doc, "rings");
		took = json_object_get_double(jpath(doc, "duration_s"));
		for (size_t i = 0; json_object_is_type(rings, json_type_array) &&
				   i < json_object_array_length(rings); i++) {
			long long id;

			if (!jint(jpath(json_object_array_get_idx(rings, i), "ring"), &id) ||
			    id < 1 || id > 2)
				continue;
			if (first_with[id - 1] < 0)
				first_with[id - 1] = docs;
			if (id == 2 && took < 1.5 && early < 0)
				early = took;
		}
		json_object_put(doc);
		docs++;
	}
	if (docs < 3)
		test_fail(&t, "%d reports in a run of over 3 s with -i 1", docs);
	else if (first_with[0] != 0 || first_with[1] < 0 || first_with[1] >= docs - 1)
		test_fail(&t, "ring 1 first in report %d (expected 0), ring 2 in %d "
			  "(expected an interval report, 0 to %d)", first_with[0], first_with[1],
			  docs - 2);
	else if (early >= 0)
		test_fail(&t, "ring 2 is in a report of %.2f s, before it was made (1.5 s)",
			  early);
	if (test_failed(&t))
		proc_log(&p, &t.log);
out:
	if (tok)
		json_tokener_free(tok);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/* One of check's problems (or stat's text) must name the counts. */
static void overflow(void)
{
	struct argv_buf a = {0}, b = {0};
	struct proc p = {0}, q = {0};
	json_object *doc = NULL;
	long long rings = -1, pids = -1;
	const char *full;
	char err[256];
	struct test t;

	if (!test_begin(&t, "lifetimes/overflow"))
		return;
	if (!pinscope_ready(&t))
		goto out;
	follow_case(&a, "check", "--table-size", "64", "burst");
	if (proc_run(&p, a.v, NULL)) {
		test_fail(&t, "cannot start pinscope check");
		goto out;
	}
	expect_exit(&t, &p, "pinscope check over a burst larger than its tables", 2);
	doc = json_parse_strict(sb_str(&p.out), err, sizeof(err));
	if (!doc || !jint(jpath(doc, "rings_dropped"), &rings) ||
	    !jint(jpath(doc, "pids_dropped"), &pids))
		test_fail(&t, "check -j: %s", doc ? "no rings_dropped/pids_dropped" : err);
	/*
	 * 36 rings found no room. A lost ring's id-0 marker lives in an LRU map,
	 * which may evict it early (seen once on 6.12): that ring then counts
	 * again at its next call. A hash map checks its fullness before it
	 * counts the new entry, so inserts on other CPUs at that moment may
	 * each take one entry past the limit (65 rings held, seen on 6.12).
	 * Counting per event instead would give ~100+.
	 */
	else if (rings < 36 - min_dropped_slack() || rings > 40 || pids != 37)
		test_fail(&t, "rings_dropped %lld, pids_dropped %lld; expected 36 (%ld to 40) "
			  "and 37 (100 each against 64-entry tables)", rings, pids,
			  36 - min_dropped_slack());
	/* text says it too */
	av_add(&b, "%s", env.pinscope);
	av_add(&b, "stat");
	av_add(&b, "--table-size=64");
	if (env.backend)
		av_add(&b, "--backend=%s", env.backend);
	av_add(&b, "--");
	av_add(&b, "%s", env.workload);
	av_add(&b, "-o");
	av_add(&b, "/dev/null");
	av_add(&b, "burst");
	if (proc_run(&q, b.v, NULL))
		test_fail(&t, "cannot start pinscope stat");
	else if (!(full = strstr(sb_str(&q.out), "tables full: ")) ||
		 sscanf(full, "tables full: %lld rings, %lld processes", &rings, &pids) != 2 ||
		 rings < 36 - min_dropped_slack() || rings > 40 || pids != 37)
		test_fail(&t, "stat's text does not say \"tables full: 36 rings, 37 processes\"");
	if (test_failed(&t)) {
		proc_log(&p, &t.log);
		proc_log(&q, &t.log);
	}
out:
	json_object_put(doc);
	proc_free(&p);
	proc_free(&q);
	av_free(&a);
	av_free(&b);
	test_end(&t);
}

void run_live_tests(void)
{
	static const char *const stat_cases[] = {
		"live_attach", "live_attach_huge", "live_attach_clone", "live_attach_calls",
		"live_pinned_twice", "live_ring_index",
	};

	for (size_t i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]); i++)
		live_stat(stat_cases[i]);
	live_fdinfo("live_attach");
	live_check("live_attach");
	live_check("live_pinned_twice");
	live_check("live_attach_calls");
	trace_churn();
	trace_lost();
	interval();
	overflow();
}
