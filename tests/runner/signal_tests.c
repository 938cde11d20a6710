// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Signals: SIGINT while tracing (the report so far, exit 0), during
 * start-up (one line, exit 2, or a whole report), again and again while
 * the report is written (still one whole document); SIGKILL (nothing left
 * loaded); SIGSTOP and SIGCONT under -i (no burst of reports).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

/* After SIGSTOP and SIGCONT, -i resumes on schedule: no burst of reports. */
static void sigstop_interval(void)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	double d[64];
	struct test t;
	int n;

	if (!test_begin(&t, "signal/sigstop_interval"))
		return;
	pinscope_args(&a, "stat", ARGS("-j", "-i", "0.5", "-d", "4", "--", "sleep", "30"));
	if (!start_tracing(&t, &p, &a, &(struct proc_opts){ .timeout_s = 60 }))
		goto out;
	proc_wait(&p, 700);
	proc_signal(&p, SIGSTOP);
	proc_wait(&p, 2000);
	proc_signal(&p, SIGCONT);
	proc_wait(&p, 20000);
	proc_log(&p, &t.log);
	if (!expect_exit(&t, &p, "pinscope", 0))
		goto out;
	n = json_lines(&t, sb_str(&p.out), d, 64);
	/*
	 * The last document is the final report (at -d), not a tick. A burst
	 * comes a loop turn apart (~0.1 s); on schedule, 0.5 s give or take
	 * how much longer one report's reads took than the last's.
	 */
	for (int i = 1; i < n - 1 && i < 64; i++)
		if (d[i] - d[i - 1] < 0.25)
			test_fail(&t, "reports %d and %d only %.2f s apart (a burst after SIGCONT)",
				  i, i + 1, d[i] - d[i - 1]);
	if (n >= 0 && n > 9)
		test_fail(&t, "%d reports in 4 s at -i 0.5, at most 9 expected", n);
out:
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/*
 * Whether pid runs pinscope and has a handler for sig (SigCgt in
 * /proc/PID/status): before the exec the forked runner still has its own.
 */
static bool catches(pid_t pid, int sig)
{
	char path[64], exe[4096] = "", want[4096], *l;
	struct strbuf text = {0};
	unsigned long long mask = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (!realpath(env.pinscope, want) || strcmp(exe, want))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!read_text_file(path, &text) && (l = strstr(sb_str(&text), "SigCgt:")))
		mask = strtoull(l + 7, NULL, 16);
	sb_free(&text);
	return mask & (1ULL << (sig - 1));
}

/*
 * SIGINT during start-up (handlers set, not yet tracing): one line saying
 * so and exit 2 -- or, if start-up won the race, a complete report.
 */
static void startup_interrupt(bool json)
{
	struct id_set before = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	long long until;
	struct test t;

	if (!test_begin(&t, "signal/startup_interrupt%s", json ? "_json" : ""))
		return;
	bool check_leak;

	if (!pinscope_ready(&t))
		goto out;
	check_leak = ps_progs_snapshot(&t, &before);
	pinscope_args(&a, "stat", json ? ARGS("-j", "-d", "30", "--", "true") :
					 ARGS("-d", "30", "--", "true"));
	if (proc_start(&p, a.v, &(struct proc_opts){ .timeout_s = 120 })) {
		test_fail(&t, "cannot start pinscope");
		goto out;
	}
	for (until = now_ms() + 5000; now_ms() < until && !catches(p.pid, SIGINT);)
		;
	proc_signal(&p, SIGINT);
	/* start-up goes on to its end (a BPF load under qemu takes 20 s and more) */
	proc_wait(&p, -1);
	proc_log(&p, &t.log);
	if (strstr(sb_str(&p.err), "Tracing")) {
		test_note(&t, "start-up ended before the signal: a whole report is the answer");
		expect_exit(&t, &p, "pinscope", 0);
		goto out;
	}
	if (!expect_exit(&t, &p, "pinscope", 2))
		goto out;
	if (json)
		expect_json_error(&t, &p);
	else
		expect_one_error_line(&t, &p);
	if (!strstr(json ? sb_str(&p.out) : sb_str(&p.err), "interrupted by SIGINT"))
		test_fail(&t, "the error does not say \"interrupted by SIGINT\"");
	if (check_leak)
		expect_no_new_ps_progs(&t, &before, 2000);
out:
	id_set_free(&before);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/* SIGINT again and again while the report is written: still one whole document. */
static void sigint_storm(void)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	json_object *doc = NULL;
	char err[256];
	struct test t;

	if (!test_begin(&t, "signal/sigint_storm"))
		return;
	pinscope_args(&a, "stat", ARGS("-j", "-d", "60", "--", "sleep", "60"));
	if (!start_tracing(&t, &p, &a, &(struct proc_opts){ .timeout_s = 60 }))
		goto out;
	for (int i = 0; i < 40 && !p.exited; i++) {
		proc_signal(&p, SIGINT);
		proc_wait(&p, 2);
	}
	proc_wait(&p, 10000);
	proc_log(&p, &t.log);
	if (!expect_exit(&t, &p, "pinscope", 0))
		goto out;
	doc = json_parse_strict(sb_str(&p.out), err, sizeof(err));
	if (!doc || !jpath(doc, "rings"))
		test_fail(&t, "stdout is not one whole report: %s", doc ? "no rings" : err);
out:
	json_object_put(doc);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

static void sigint_report(void)
{
	static const char *const keys[] = { "kernel", "backend", "rings",
					    "lost_events" };
	struct id_set before = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	json_object *doc = NULL;
	bool check_leak;
	char err[256];
	struct test t;

	if (!test_begin(&t, "signal/sigint_report"))
		return;
	av_add(&a, "%s", env.pinscope);
	av_add(&a, "stat");
	av_add(&a, "-j");
	av_add(&a, "-d");
	av_add(&a, "60");
	if (env.backend)
		av_add(&a, "--backend=%s", env.backend);
	check_leak = env.privileged && ps_progs_snapshot(&t, &before);
	if (!start_tracing(&t, &p, &a, NULL))
		goto out;
	proc_signal(&p, SIGINT);
	if (!proc_wait(&p, 5000)) {
		test_fail(&t, "pinscope still running 5 s after SIGINT");
		proc_kill(&p);
	}
	proc_log(&p, &t.log);
	if (!expect_exit(&t, &p, "pinscope after SIGINT", 0))
		goto leak;
	doc = json_parse_strict(sb_str(&p.out), err, sizeof(err));
	if (!doc || !json_object_is_type(doc, json_type_object)) {
		test_fail(&t, "stdout: %s", doc ? "not a JSON object" : err);
		goto leak;
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(doc, keys[i], NULL))
			test_fail(&t, "report: no key \"%s\"", keys[i]);
leak:
	if (check_leak)
		expect_no_new_ps_progs(&t, &before, 2000);
out:
	json_object_put(doc);
	id_set_free(&before);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

static void sigkill_cleanup(void)
{
	struct id_set before = {0}, during = {0};
	struct strbuf names = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	struct test t;
	int ret;

	if (!test_begin(&t, "signal/sigkill_cleanup"))
		return;
	av_add(&a, "%s", env.pinscope);
	av_add(&a, "stat");
	av_add(&a, "-d");
	av_add(&a, "60");
	if (env.backend)
		av_add(&a, "--backend=%s", env.backend);
	if (env.privileged && !ps_progs_snapshot(&t, &before)) {
		test_fail(&t, "cannot list BPF programs");
		goto out;
	}
	if (!start_tracing(&t, &p, &a, NULL))
		goto out;
	/* Without ps_* programs loaded, "none left" would prove nothing. */
	ret = bpf_ps_progs(&during, &names);
	if (ret)
		test_fail(&t, "listing BPF programs: %s", strerror(-ret));
	else if (during.n <= before.n)
		test_fail(&t, "no ps_* BPF program loaded while pinscope was tracing");
	else
		test_note(&t, "loaded while tracing: %s", sb_str(&names));
	proc_signal(&p, SIGKILL);
	proc_wait(&p, 2000);
	proc_log(&p, &t.log);
	expect_no_new_ps_progs(&t, &before, 2000);
out:
	id_set_free(&before);
	id_set_free(&during);
	sb_free(&names);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

void run_signal_tests(void)
{
	sigint_report();
	sigkill_cleanup();
	sigstop_interval();
	startup_interrupt(false);
	startup_interrupt(true);
	sigint_storm();
}
