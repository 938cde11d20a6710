// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `pinscope check` beyond the workload cases (workload_runs.c judges those):
 * --registration-only, which must refuse to judge (exit 2), and the verdict
 * over fio with and without --fixedbufs (cases.c runs fio).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "runner.h"

static const char *const verdict_words[] = { "pass", "fail", "cannot_check" };

/* Sets up the test's directory; false (test ended badly) on failure. */
static bool check_dirs(struct test *t, const char *leaf, char *dir, size_t dirlen,
		       char *data, size_t datalen)
{
	if (!pinscope_ready(t) || test_mkdir(t, leaf, dir, dirlen))
		return false;
	snprintf(data, datalen, "%s/data", dir);
	if (mkdir(data, 0755)) {
		test_fail(t, "mkdir %s: %s", data, strerror(errno));
		return false;
	}
	return true;
}

static void add_workload_args(struct argv_buf *a, const char *oracle, const char *data,
			      const char *name)
{
	av_add(a, "%s", env.workload);
	av_add(a, "-o");
	av_add(a, "%s", oracle);
	av_add(a, "-d");
	av_add(a, "%s", data);
	av_add(a, "%s", name);
}

/*
 * The JSON must say what the exit status says, problems when it is 2 and
 * none when it is 0, and the command's own status must be the 0 of a run that went well
 * (printed, never the verdict).
 */
void check_document(struct test *t, json_object *report, int exit_code)
{
	const char *verdict = json_object_get_string(jpath(report, "verdict"));
	json_object *problems = jpath(report, "problems");
	long long status, cmd_status;
	size_t nr_problems;

	if (!jint(jpath(report, "exit_status"), &status) || status != exit_code)
		test_fail(t, "exit_status: report %s, pinscope exited %d",
			  jstr(jpath(report, "exit_status")), exit_code);
	if (exit_code >= 0 && exit_code <= 2 &&
	    (!verdict || strcmp(verdict, verdict_words[exit_code])))
		test_fail(t, "verdict: report \"%s\", exit %d means \"%s\"",
			  verdict ? verdict : "(none)", exit_code, verdict_words[exit_code]);
	if (!json_object_is_type(problems, json_type_array)) {
		test_fail(t, "problems: report %s, expected an array",
			  problems ? jstr(problems) : "absent");
		return;
	}
	nr_problems = json_object_array_length(problems);
	/* 2 says why; 0 has nothing to say; a violation (1) is certain beside a problem */
	if ((exit_code == 2 && !nr_problems) || (exit_code == 0 && nr_problems))
		test_fail(t, "problems: report %s with exit %d", jstr(problems), exit_code);
	if (!jint(jpath(report, "command.exit_status"), &cmd_status))
		test_fail(t, "command.exit_status: missing in report");
	else if (cmd_status != 0)
		test_fail(t, "command.exit_status: report %lld, expected 0", cmd_status);
}

static void expect_empty(struct test *t, json_object *report, const char *key)
{
	json_object *arr = jpath(report, key);

	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr))
		test_fail(t, "%s: report %s, expected []", key, arr ? jstr(arr) : "absent");
}

static json_object *load_report(struct test *t, const char *path)
{
	char err[512];
	json_object *doc = json_load_file(path, err, sizeof(err));

	if (!doc)
		test_fail(t, "report: %s", err);
	return doc;
}

/*
 * --registration-only loads no per-IO hook, so per-IO pinning cannot be
 * seen: the check must answer 2 and say so once, never pass.
 */
static void registration_only(void)
{
	char dir[4096], data[4200], report_path[4200], oracle_path[4200];
	json_object *report = NULL;
	struct argv_buf a = {0};
	struct proc p = {0};
	json_object *problems;
	long long missed = 0;
	struct test t;
	int ret;

	if (!test_begin(&t, "check/registration_only"))
		return;
	if (!check_dirs(&t, "registration_only", dir, sizeof(dir), data, sizeof(data)))
		goto out;
	snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
	snprintf(oracle_path, sizeof(oracle_path), "%s/oracle.json", dir);
	add_pinscope_args(&a, "check", report_path, "--registration-only");
	add_workload_args(&a, oracle_path, data, "read_fixed_direct");
	ret = proc_run(&p, a.v, NULL);
	if (ret) {
		test_fail(&t, "cannot start pinscope: %s", strerror(-ret));
		goto out;
	}
	proc_log(&p, &t.log);
	expect_exit(&t, &p, "pinscope check --registration-only", 2);
	report = load_report(&t, report_path);
	if (!report)
		goto out;
	check_document(&t, report, proc_exit_code(&p));
	problems = jpath(report, "problems");
	/* one, and a second only for runs the kernel skipped, when the report counts them */
	if (json_object_is_type(problems, json_type_array) &&
	    json_object_array_length(problems) !=
	    1 + (size_t)(jint(jpath(report, "missed_runs"), &missed) && missed > 0))
		test_fail(&t, "problems: report %s, expected exactly one%s", jstr(problems),
			  missed > 0 ? " and the skipped runs" : "");
	if (test_failed(&t))
		log_json(&t, "report", report);
out:
	json_object_put(report);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/*
 * check over fio: with --fixedbufs every IO uses pinned memory (pass);
 * without it every IO pins its page (fail, and the table counts exactly
 * fio's IOs).
 */
void judge_fio_check(struct test *t, const struct proc *p, json_object *report,
		     long long total_ios, bool fixedbufs)
{
	long long ios = jsum(jpath(report, "per_io_pinning"), "ios");

	expect_exit(t, p, "pinscope check", fixedbufs ? 0 : 1);
	check_document(t, report, proc_exit_code(p));
	if (ios != (fixedbufs ? 0 : total_ios))
		test_fail(t, "per_io_pinning ios summed: report %lld, expected %lld%s", ios,
			  fixedbufs ? 0 : total_ios, fixedbufs ? "" : " (fio total_ios)");
	expect_empty(t, report, "pinned_twice");
	expect_empty(t, report, "clone_violations");
}

void run_check_tests(void)
{
	registration_only();
}
