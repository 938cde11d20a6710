// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope promises text within 80 columns. Every pinscope run of the suite
 * passes through here when it ends (proc.c): each line of its text stdout
 * and stderr is measured, and one test at the end names every line wider.
 * The text/ tests print each kind of text output once (doctor, check
 * tables, trace's clone lines, features, help, --bpf-stats) for it.
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"

#define WIDTH_MAX	80

static struct strlist wide;	/* "cmdline: stdout line 3: 92 columns: …" */
static size_t runs_measured, lines_measured;

/* Columns: UTF-8 characters, not bytes (pinscope shows names as ps does). */
static size_t columns(const char *s, size_t n)
{
	size_t cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

static void measure(const struct proc *p, const char *stream, const struct strbuf *sb)
{
	const char *text = sb_str(sb);
	size_t line = 0;

	while (*text) {
		size_t n = strcspn(text, "\n"), cols = columns(text, n);

		line++;
		/* the traced workload's own output (its oracle) is not pinscope's */
		if (!strncmp(text, "{\"case\":", 8)) {
			text += n + (text[n] == '\n');
			continue;
		}
		lines_measured++;
		if (cols > WIDTH_MAX)
			sl_addf(&wide, "%s: %s line %zu: %zu columns: %.*s", p->cmdline, stream,
				line, cols, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

void width_measure(const struct proc *p)
{
	if (!p->text_out && !p->text_err)
		return;
	runs_measured++;
	if (p->text_out)
		measure(p, "stdout", &p->out);
	if (p->text_err)
		measure(p, "stderr", &p->err);
}

void run_width_test(void)
{
	struct test t;

	/* judges what the tests that ran printed, whatever --filter chose */
	if (!test_begin(&t, "output/text_width") && (pt_interrupted || !runs_measured))
		return;
	if (!runs_measured)
		test_skip(&t, "no pinscope run printed text");
	for (size_t i = 0; i < wide.n; i++) {
		if (i == 0)
			test_fail(&t, "%zu lines wider than %d columns; the first: %s", wide.n,
				  WIDTH_MAX, wide.items[0]);
		sb_appendf(&t.log, "  %s\n", wide.items[i]);
	}
	test_note(&t, "%zu lines of %zu pinscope runs measured", lines_measured,
		  runs_measured);
	test_end(&t);
	sl_free(&wide);
}

struct text_case {
	const char *name, *sub;
	const char *const *args;
	int exit;		/* expected exit status */
	const char *says;	/* a line that must appear in stdout */
};

static void text_case(const struct text_case *c)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	struct test t;

	if (!test_begin(&t, "text/%s", c->name))
		return;
	if (strcmp(c->sub, "help") && !pinscope_ready(&t))
		goto out;
	if (!strcmp(c->sub, "help")) {
		av_add(&a, "%s", env.pinscope);
		av_add(&a, "help");
	} else {
		pinscope_args(&a, c->sub, NULL);
		for (const char *const *arg = c->args; arg && *arg; arg++)
			av_add(&a, "%s", !strcmp(*arg, "WORKLOAD") ? env.workload : *arg);
	}
	/*
	 * A run the kernel skipped (7.x, a preempted program) makes check's
	 * verdict CANNOT CHECK, exit 2: the text asked for is not printed, so
	 * run again (seen once in a 7.2 guest). Three such runs in a row are
	 * the tolerance the e2e tests give it, and must say so.
	 */
	for (int tries = 1;; tries++) {
		bool skipped_runs;

		if (!run_to_end(&t, &p, &a, NULL))
			goto out;
		if (strstr(sb_str(&p.out), "\"status\":\"skipped\"")) {
			test_skip(&t, "the workload case is skipped on this kernel");
			goto out;
		}
		skipped_runs = !strcmp(c->sub, "check") && c->exit != 2 &&
			       proc_exit_code(&p) == 2 &&
			       strstr(sb_str(&p.out), "the kernel skipped");
		if (!skipped_runs) {
			expect_exit(&t, &p, "pinscope", c->exit);
			if (c->says && !strstr(sb_str(&p.out), c->says))
				test_fail(&t, "stdout does not say \"%s\"", c->says);
			break;
		}
		test_note(&t, "run %d: the kernel skipped runs of pinscope's programs: exit 2",
			  tries);
		if (tries == 3) {
			expect_exit(&t, &p, "pinscope", 2);
			if (!strstr(sb_str(&p.out), "verdict: CANNOT CHECK"))
				test_fail(&t, "stdout does not say \"verdict: CANNOT CHECK\"");
			break;
		}
		proc_free(&p);
	}
out:
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

void run_text_tests(void)
{
	const struct text_case cases[] = {
		{ "help", "help", NULL, 0, "Exit status:" },
		{ "features", "features", NULL, 0, "io_uring registered-buffer features:" },
		{ "stat_doctor", "stat", ARGS("--", "WORKLOAD", "err_memlock"), 0,
		  "failed registrations, and why:" },
		{ "stat_clone_busy", "stat", ARGS("--", "WORKLOAD", "clone_busy"), 0,
		  "failed registrations, and why:" },
		{ "check_pinned_twice", "check", ARGS("--", "WORKLOAD", "pinned_twice"), 1,
		  "memory pinned by two rings at once:" },
		{ "check_pass", "check", ARGS("--", "WORKLOAD", "read_fixed_direct"), 0,
		  "verdict: PASS" },
		{ "check_no_mmap", "check", ARGS("--", "WORKLOAD", "no_mmap_huge"), 0,
		  "NO_MMAP" },
		{ "trace_clone", "trace", ARGS("--", "WORKLOAD", "clone_whole"), 0,
		  "(cloned from ring " },
		{ "hist", "hist", ARGS("--", "WORKLOAD", "read_fixed_direct"), 0, NULL },
		{ "stat_bpf_stats", "stat", ARGS("--bpf-stats", "-H", "--", "WORKLOAD",
						 "read_fixed_direct"), 0, "BPF program cost" },
		{ "stat_pid_and_duration", "stat", ARGS("-d", "0.5", "--", "sleep", "5"), 0,
		  "exited 143 (SIGTERM at the -d deadline)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		text_case(&cases[i]);
}
