// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Workload cases under pinscope. `pinscope check -j` prints the stat report
 * plus the verdict (docs/json.md), so one traced run per case is judged
 * twice: e2e/NAME, every count against the workload's oracle, and
 * check/NAME, the exit status and the verdict's tables against it. Under
 * qemu each pinscope start costs seconds, and the VM matrix runs every case
 * once per kernel and backend. stat/NAME runs `pinscope stat` itself on a
 * few cases, so the plain report keeps an exact-count test of its own, and
 * hist/NAME `pinscope hist`, one histogram sample per event.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "runner.h"

/* What one traced run left for the judges. */
struct traced_run {
	const char *name;	/* the workload case */
	struct test shared;	/* spawn, oracle, report, leaks: every judge inherits it */
	struct proc p;
	json_object *oracle, *report;
};

static void traced_run_free(struct traced_run *r)
{
	json_object_put(r->oracle);
	json_object_put(r->report);
	proc_free(&r->p);
	sb_free(&r->shared.log);
}

/* A skipped or failed workload decides every judge's verdict. */
static bool workload_ran(struct test *t, json_object *oracle)
{
	const char *status = json_object_get_string(jpath(oracle, "status"));
	const char *why = json_object_get_string(jpath(oracle, "reason"));

	if (status && !strcmp(status, "skipped")) {
		test_skip(t, "%s", why ? why : "workload skipped (no reason given)");
		return false;
	}
	if (!status || strcmp(status, "ran")) {
		test_fail(t, "workload: status \"%s\"%s%s", status ? status : "(none)",
			  why ? ": " : "", why ? why : "");
		log_json(t, "oracle", oracle);
		return false;
	}
	return true;
}

/*
 * Runs `pinscope SUBCOMMAND -j -- pinscope-workload NAME` once; r->shared
 * holds how that went (a failure or skip there is every judge's too).
 */
static void traced_run(struct traced_run *r, const char *subcommand, const char *name)
{
	char dir[4096], report_path[4200], oracle_path[4200], data[4200], err[512], what[64];
	struct id_set before = {0};
	struct argv_buf a = {0};
	struct test *t = &r->shared;
	bool check_leak;
	int ret;

	r->name = name;
	test_begin(t, "%s/%s", subcommand, name);
	if (!pinscope_ready(t) || test_mkdir(t, name, dir, sizeof(dir)))
		goto out;
	snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
	snprintf(oracle_path, sizeof(oracle_path), "%s/oracle.json", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	if (mkdir(data, 0755)) {
		test_fail(t, "mkdir %s: %s", data, strerror(errno));
		goto out;
	}
	add_pinscope_args(&a, subcommand, report_path, table_size_option(name));
	av_add(&a, "%s", env.workload);
	av_add(&a, "-o");
	av_add(&a, "%s", oracle_path);
	av_add(&a, "-d");
	av_add(&a, "%s", data);
	av_add(&a, "%s", name);

	check_leak = ps_progs_snapshot(t, &before);
	ret = proc_run(&r->p, a.v, NULL);
	if (ret) {
		test_fail(t, "cannot start pinscope: %s", strerror(-ret));
		goto out;
	}
	proc_log(&r->p, &t->log);
	r->oracle = json_load_file(oracle_path, err, sizeof(err));
	if (!r->oracle) {
		test_fail(t, "oracle: %s (pinscope %s)", err,
			  proc_describe(&r->p, what, sizeof(what)));
	} else if (workload_ran(t, r->oracle)) {
		r->report = json_load_file(report_path, err, sizeof(err));
		if (!r->report)
			test_fail(t, "report: %s (pinscope %s)", err,
				  proc_describe(&r->p, what, sizeof(what)));
	}
	if (check_leak)
		expect_no_new_ps_progs(t, &before, 2000);
out:
	id_set_free(&before);
	av_free(&a);
}

static void odirect_negative_control(struct test *t, json_object *report,
				     long long pid)
{
	json_object *rings = jpath(report, "rings");
	long long ios = 0, v;
	size_t n = json_object_is_type(rings, json_type_array) ?
		   json_object_array_length(rings) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *ring = json_object_array_get_idx(rings, i);

		if (is_ring_of(ring, pid) && jint(jpath(ring, "pinned_io.ios"), &v))
			ios += v;
	}
	if (ios <= 0)
		test_fail(t, "pinned_io.ios: report %lld, expected > 0 (O_DIRECT IO without registered buffers pins per IO)",
			  ios);
}

static void log_mismatches(struct test *t, const struct cmp_result *res)
{
	if (res->mismatches.n > 1)
		test_fail(t, "%s (and %zu more)", res->mismatches.items[0],
			  res->mismatches.n - 1);
	else if (res->mismatches.n)
		test_fail(t, "%s", res->mismatches.items[0]);
	for (size_t i = 0; i < res->mismatches.n; i++)
		sb_appendf(&t->log, "  mismatch: %s\n", res->mismatches.items[i]);
}

/*
 * The report's counts against the oracle: what e2e/ and stat/ assert.
 * verdict_exit: the run was check's, whose exit status is the verdict.
 */
static void judge_counts(struct test *t, const struct traced_run *r, bool verdict_exit)
{
	struct cmp_result res = {0};
	long long status, pid = -1, missed = 0;
	int code = proc_exit_code(&r->p);

	/*
	 * stat exits 0; check's exit is its verdict, judged by check/ (2 where
	 * the kernel skipped runs: the counts below must still hold)
	 */
	jint(jpath(r->report, "missed_runs"), &missed);
	if (verdict_exit ? code != 0 && code != 1 && !(code == 2 && missed > 0) : code != 0) {
		char what[64];

		test_fail(t, "pinscope %s, expected %s", proc_describe(&r->p, what, sizeof(what)),
			  verdict_exit ? "a verdict (exit 0 or 1)" : "exit 0");
	}
	compare_oracle_report(r->oracle, r->report, &res);
	log_mismatches(t, &res);
	for (size_t i = 0; i < res.notes.n; i++)
		test_note(t, "%s", res.notes.items[i]);
	if (jint(jpath(r->report, "command.exit_status"), &status) && status != 0)
		test_fail(t, "command.exit_status: report %lld, expected 0 (the workload ran)",
			  status);
	jint(jpath(r->oracle, "pid"), &pid);
	if (!strcmp(r->name, "odirect_no_fixed"))
		odirect_negative_control(t, r->report, pid);
	cmp_result_free(&res);
}

/* check's exit status, document and tables against the oracle. */
static void judge_verdict(struct test *t, const struct traced_run *r)
{
	struct cmp_result res = {0};

	expect_exit(t, &r->p, "pinscope check", check_expected_exit_seen(r->oracle, r->report));
	check_document(t, r->report, proc_exit_code(&r->p));
	compare_check_report(r->oracle, r->report, &res);
	log_mismatches(t, &res);
	cmp_result_free(&res);
}

/* count of hist's histogram NAME for OPCODE, any opcode when NULL (0: none) */
static long long hist_count(json_object *report, const char *name, const char *opcode)
{
	json_object *hists = jpath(report, "histograms");
	long long n = 0, v;

	for (size_t i = 0; json_object_is_type(hists, json_type_array) &&
			   i < json_object_array_length(hists); i++) {
		json_object *h = json_object_array_get_idx(hists, i);
		const char *hn = json_object_get_string(jpath(h, "name"));
		const char *op = json_object_get_string(jpath(h, "opcode"));

		if (hn && op && !strcmp(hn, name) && (!opcode || !strcmp(op, opcode)) &&
		    jint(jpath(h, "count"), &v))
			n += v;
	}
	return n;
}

/* Sums of the oracle's per-ring objects at KEY ("fixed_io"), by member name. */
static void oracle_sums(json_object *oracle, const char *key, const char *field,
			json_object *sums)
{
	json_object *rings = jpath(oracle, "rings");

	for (size_t i = 0; json_object_is_type(rings, json_type_array) &&
			   i < json_object_array_length(rings); i++) {
		json_object *obj = jpath(json_object_array_get_idx(rings, i), key);

		if (!json_object_is_type(obj, json_type_object))
			continue;
		json_object_object_foreach(obj, name, val) {
			long long have = 0, v;
			json_object *cur;

			if (!jint(field ? jpath(val, field) : val, &v))
				continue;
			if (json_object_object_get_ex(sums, name, &cur))
				have = json_object_get_int64(cur);
			json_object_object_add(sums, name, json_object_new_int64(have + v));
		}
	}
}

/*
 * hist's histograms hold one sample per event: IO latency per opcode as
 * many as the oracle's fixed-buffer IOs, registration latency per opcode as
 * its calls, buffer sizes as the buffers REGISTER_BUFFERS registered; with
 * hooks inside io_uring, buffer lookups as IOs and pin time as calls.
 */
static void judge_hist(struct test *t, const struct traced_run *r)
{
	json_object *ios = json_object_new_object(), *regs = json_object_new_object();
	long long buffers = jsum(jpath(r->oracle, "rings"), "register.buffers"), v, got;

	expect_exit(t, &r->p, "pinscope hist", 0);
	oracle_sums(r->oracle, "fixed_io", "ops", ios);
	oracle_sums(r->oracle, "register.opcodes", NULL, regs);
	json_object_object_foreach(ios, op, n) {
		got = hist_count(r->report, "io_latency", op);
		if (got != json_object_get_int64(n))
			test_fail(t, "io_latency[%s].count: report %lld, oracle %lld", op, got,
				  (long long)json_object_get_int64(n));
	}
	json_object_object_foreach(regs, rop, rn) {
		got = hist_count(r->report, "register_latency", rop);
		if (got != json_object_get_int64(rn))
			test_fail(t, "register_latency[%s].count: report %lld, oracle %lld", rop, got,
				  (long long)json_object_get_int64(rn));
	}
	got = hist_count(r->report, "buffer_size", "REGISTER_BUFFERS");
	if (got != buffers)
		test_fail(t, "buffer_size[REGISTER_BUFFERS].count: report %lld, oracle %lld",
			  got, buffers);
	/*
	 * Hooks inside io_uring (fentry/kprobe): one buffer lookup per IO,
	 * and pinning timed once per registration call (every call of these
	 * cases pins pages).
	 */
	if (jpath(r->report, "backend.hooks.import")) {
		/* before 6.13 the lookup sees no request: one "unknown" row for all */
		bool by_op = !hist_count(r->report, "import_latency", "unknown");
		long long all = 0;

		json_object_object_foreach(ios, iop, in) {
			all += json_object_get_int64(in);
			got = hist_count(r->report, "import_latency", iop);
			if (by_op && got != json_object_get_int64(in))
				test_fail(t, "import_latency[%s].count: report %lld, oracle %lld", iop,
					  got, (long long)json_object_get_int64(in));
		}
		got = hist_count(r->report, "import_latency", NULL);
		if (got != all)
			test_fail(t, "import_latency counts summed: report %lld, oracle %lld IOs",
				  got, all);
	}
	if (jpath(r->report, "backend.hooks.pin")) {
		json_object_object_foreach(regs, pop, pn) {
			got = hist_count(r->report, "pin_latency", pop);
			if (got != json_object_get_int64(pn))
				test_fail(t, "pin_latency[%s].count: report %lld, oracle %lld calls",
					  pop, got, (long long)json_object_get_int64(pn));
		}
	}
	if (!jint(jpath(r->report, "io_latency_unmatched"), &v) || v != 0)
		test_fail(t, "io_latency_unmatched: report %s, expected 0",
			  jstr(jpath(r->report, "io_latency_unmatched")));
	json_object_put(ios);
	json_object_put(regs);
}

/*
 * Where fentry or kprobes work, system calls are hooked on their functions:
 * an enabled syscall tracepoint would put every system call of the machine
 * on the tracing slow path, so none may be among the report's hooks.
 */
static void judge_syscall_hooks(struct test *t, const struct traced_run *r)
{
	json_object *name = jpath(r->report, "backend.name"), *hooks = jpath(r->report, "backend.hooks");

	if (!name || !strcmp(json_object_get_string(name), "tracepoint") || !hooks)
		return;
	json_object_object_foreach(hooks, measure, list) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			const char *attach = json_object_get_string(json_object_array_get_idx(list, i));

			if (!strncmp(attach, "tracepoint/syscalls/", 20))
				test_fail(t, "%s is hooked by %s on the %s backend", measure, attach,
					  json_object_get_string(name));
		}
	}
}

enum judgement { COUNTS_OF_STAT, COUNTS_OF_CHECK, VERDICT, HISTOGRAMS };

/* One test over the shared run: its outcome first, then the judgement. */
static void judge(const struct traced_run *r, const char *name, enum judgement j)
{
	struct test t;

	if (!test_begin(&t, "%s", name))
		return;
	test_adopt(&t, &r->shared);
	if (!test_failed(&t) && r->report) {
		if (j == VERDICT)
			judge_verdict(&t, r);
		else if (j == HISTOGRAMS)
			judge_hist(&t, r);
		else
			judge_counts(&t, r, j == COUNTS_OF_CHECK);
		if (j == COUNTS_OF_STAT)
			judge_syscall_hooks(&t, r);
		if (test_failed(&t)) {
			log_json(&t, "oracle", r->oracle);
			log_json(&t, "report", r->report);
		}
	}
	test_end(&t);
}

static void run_case(const char *name)
{
	char e2e[160], check[160];
	struct traced_run r = {0};

	snprintf(e2e, sizeof(e2e), "e2e/%s", name);
	snprintf(check, sizeof(check), "check/%s", name);
	if (!test_wanted(e2e) && !test_wanted(check))
		return;
	traced_run(&r, "check", name);
	judge(&r, e2e, COUNTS_OF_CHECK);
	judge(&r, check, VERDICT);
	traced_run_free(&r);
}

/* `pinscope stat` or `hist` itself on one case, judged as j. */
static void run_subcommand_case(const char *subcommand, const char *name, enum judgement j)
{
	char test[160];
	struct traced_run r = {0};

	snprintf(test, sizeof(test), "%s/%s", subcommand, name);
	if (!test_wanted(test))
		return;
	traced_run(&r, subcommand, name);
	judge(&r, test, j);
	traced_run_free(&r);
}

void run_workload_tests(void)
{
	/* stat: the plain fixed-buffer case and the per-IO pinning control */
	static const char *const stat_cases[] = { "read_fixed_direct", "odirect_no_fixed" };
	/* hist: READ/WRITE_FIXED, and the vectored ops where the kernel has them */
	static const char *const hist_cases[] = { "read_fixed_direct", "rw_vec_fixed" };
	struct strlist names = {0};

	if (list_workload_cases("e2e", &names) == 0)
		for (size_t i = 0; i < names.n && !pt_interrupted; i++)
			run_case(names.items[i]);
	sl_free(&names);
	for (size_t i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]) && !pt_interrupted; i++)
		run_subcommand_case("stat", stat_cases[i], COUNTS_OF_STAT);
	for (size_t i = 0; i < sizeof(hist_cases) / sizeof(hist_cases[0]) && !pt_interrupted; i++)
		run_subcommand_case("hist", hist_cases[i], HISTOGRAMS);
}
