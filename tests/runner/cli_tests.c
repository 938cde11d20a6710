// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope's edges: input it must refuse (exit 2, one "pinscope: " line on
 * stderr, or one {"error": …} line on stdout and nothing else with -j;
 * no BPF program left loaded), and running without the capabilities it
 * needs. The rest of issue 13's table is in output_tests.c (write errors,
 * memory limits, hostile names) and signal_tests.c (signals at start-up);
 * -p and -d in session_tests.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#define TRACING_WAIT_MS	60000

/* A pid that names no process now: counting down from pid_max. */
static pid_t unused_pid(void)
{
	struct strbuf text = {0};
	long pid_max = 32768;
	char path[64];

	if (!read_text_file("/proc/sys/kernel/pid_max", &text))
		pid_max = strtol(sb_str(&text), NULL, 10);
	sb_free(&text);
	for (pid_t pid = (pid_t)pid_max - 1; pid > 300; pid--) {
		snprintf(path, sizeof(path), "/proc/%d", pid);
		if (kill(pid, 0) && errno == ESRCH && access(path, F_OK))
			return pid;
	}
	return -1;
}

enum cli_arg { END = 0, ARG, PID, BACKEND };

struct cli_case {
	const char *name;
	/* Arguments after "pinscope"; PID and BACKEND are filled in. */
	struct { enum cli_arg kind; const char *text; } args[8];
	bool drop_caps;
	const char *says;	/* the error must hold this (NULL: any) */
};

#define A(s)	{ ARG, s }
#define P	{ PID, NULL }
#define B	{ BACKEND, NULL }

static const struct cli_case cli_cases[] = {
	{ .name = "unknown_subcommand", .args = { A("frobnicate") } },
	{ .name = "unknown_subcommand_json", .args = { A("frobnicate"), A("-j") } },
	{ .name = "unknown_option", .args = { A("stat"), A("--no-such-option") } },
	{ .name = "unknown_option_json", .args = { A("stat"), A("-j"), A("--no-such-option") } },
	{ .name = "missing_pid", .args = { A("stat"), B, A("-p"), P, A("-d"), A("1") } },
	{ .name = "missing_pid_json", .args = { A("stat"), A("-j"), B, A("-p"), P,
				A("-d"), A("1") } },
	{ .name = "no_command", .args = { A("stat"), A("--") } },
	{ .name = "no_command_json", .args = { A("stat"), A("-j"), A("--") } },
	{ .name = "no_caps", .args = { A("stat"), B, A("-d"), A("2") }, .drop_caps = true },
	{ .name = "no_caps_json", .args = { A("stat"), A("-j"), B, A("-d"), A("2") },
	  .drop_caps = true },
	/* the bad-input table of issue 13: each refused with one line, exit 2 */
	{ .name = "pid_leading_space", .args = { A("stat"), A("-p"), A(" 1") }, .says = "-p ' 1'" },
	{ .name = "pid_trailing_comma", .args = { A("stat"), A("-p"), A("1,") }, .says = "-p '1,'" },
	{ .name = "pid_cluster_json", .args = { A("stat"), A("-jp"), A("abc") }, .says = "abc" },
	{ .name = "pid_long_prefix_json", .args = { A("stat"), A("--js"), A("-p"), A("abc") },
	  .says = "abc" },
	{ .name = "duration_too_long", .args = { A("stat"), A("-d"), A("1e99") },
	  .says = "10000000" },
	{ .name = "interval_nan", .args = { A("stat"), A("-i"), A("nan") }, .says = "-i nan" },
	{ .name = "check_interval", .args = { A("check"), A("-i"), A("1") },
	  .says = "does not apply to check" },
	{ .name = "check_interval_json", .args = { A("check"), A("-j"), A("--interval=1") },
	  .says = "does not apply to check" },
	{ .name = "features_command", .args = { A("features"), A("--"), A("true") },
	  .says = "runs no command" },
	{ .name = "option_cluster_json", .args = { A("frobnicate"), A("-vj") } },
	{ .name = "command_missing", .args = { A("stat"), B, A("-d"), A("5"), A("--"),
					       A("/nonexistent/pinscope-no-such-command") } },
	{ .name = "command_missing_json", .args = { A("stat"), A("-j"), B, A("-d"), A("5"),
		A("--"), A("/nonexistent/pinscope-no-such-command") } },
};

static bool is_json_case(const struct cli_case *c)
{
	const char *s = strstr(c->name, "_json");

	return s && !s[5];
}

/* Text mode: exactly one stderr line, and it begins "pinscope: ". */
void expect_one_error_line(struct test *t, const struct proc *p)
{
	const char *err = sb_str(&p->err);
	size_t len = strlen(err), lines = 0;

	for (size_t i = 0; i < len; i++)
		lines += err[i] == '\n';
	if (len && err[len - 1] != '\n')
		lines++;
	if (lines != 1)
		test_fail(t, "stderr: %zu lines, expected 1", lines);
	else if (strncmp(err, "pinscope: ", 10))
		test_fail(t, "stderr: \"%.*s\" does not begin \"pinscope: \"",
			  (int)strcspn(err, "\n"), err);
}

void expect_json_error(struct test *t, const struct proc *p)
{
	char err[256];
	json_object *doc = json_parse_strict(sb_str(&p->out), err, sizeof(err));
	const char *nl = strchr(sb_str(&p->out), '\n');

	if (nl && nl[1])
		test_fail(t, "stdout: more than one line, expected one JSON error");
	if (!p->out.len)
		test_fail(t, "stdout: empty, expected a JSON object with key \"error\"");
	else if (!doc)
		test_fail(t, "stdout: %s", err);
	else if (!json_object_is_type(doc, json_type_object))
		test_fail(t, "stdout: %s is not a JSON object", jstr(doc));
	else if (!json_object_object_get_ex(doc, "error", NULL))
		test_fail(t, "stdout: %s has no key \"error\"", jstr(doc));
	json_object_put(doc);
}

static void run_cli_case(const struct cli_case *c)
{
	struct proc_opts opts = { .drop_caps = c->drop_caps };
	struct id_set before = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	bool check_leak;
	struct test t;
	pid_t pid;
	int ret;

	if (!test_begin(&t, "cli/%s", c->name))
		return;
	if (access(env.pinscope, X_OK)) {
		test_fail(&t, "pinscope not found: %s: %s", env.pinscope, strerror(errno));
		goto out;
	}
	if (c->drop_caps && !env.privileged) {
		/* Nothing to drop: the runner itself lacks them. */
		opts.drop_caps = false;
		test_note(&t, "runner is unprivileged; pinscope runs without the capabilities anyway");
	}
	av_add(&a, "%s", env.pinscope);
	for (int i = 0; c->args[i].kind != END; i++) {
		switch (c->args[i].kind) {
		case ARG:
			av_add(&a, "%s", c->args[i].text);
			break;
		case PID:
			pid = unused_pid();
			if (pid < 0) {
				test_skip(&t, "found no unused pid");
				goto out;
			}
			av_add(&a, "%d", (int)pid);
			break;
		case BACKEND:
			if (env.backend)
				av_add(&a, "--backend=%s", env.backend);
			break;
		case END:
			break;
		}
	}
	check_leak = ps_progs_snapshot(&t, &before);
	ret = proc_run(&p, a.v, &opts);
	if (ret) {
		test_fail(&t, "cannot start pinscope: %s", strerror(-ret));
		goto out;
	}
	proc_log(&p, &t.log);
	expect_exit(&t, &p, "pinscope", 2);
	if (is_json_case(c))
		expect_json_error(&t, &p);
	else
		expect_one_error_line(&t, &p);
	/* with -j the one JSON error is all: nothing on stderr either */
	if (is_json_case(c) && p.err.len)
		test_fail(&t, "stderr: \"%s\", expected nothing with -j", sb_str(&p.err));
	if (c->says && !strstr(is_json_case(c) ? sb_str(&p.out) : sb_str(&p.err), c->says))
		test_fail(&t, "the error does not say \"%s\"", c->says);
	if (check_leak)
		expect_no_new_ps_progs(&t, &before, 2000);
out:
	id_set_free(&before);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

void run_cli_tests(void)
{
	for (size_t i = 0; i < sizeof(cli_cases) / sizeof(cli_cases[0]); i++)
		run_cli_case(&cli_cases[i]);
}

/* ---- signals ---- */

bool start_tracing(struct test *t, struct proc *p, struct argv_buf *a,
		   const struct proc_opts *o)
{
	char what[64];
	int ret;

	if (!env.privileged) {
		test_skip(t, "needs CAP_SYS_ADMIN (run as root) to load BPF programs");
		return false;
	}
	if (access(env.pinscope, X_OK)) {
		test_fail(t, "pinscope not found: %s: %s", env.pinscope, strerror(errno));
		return false;
	}
	ret = proc_start(p, a->v, o);
	if (ret) {
		test_fail(t, "cannot start pinscope: %s", strerror(-ret));
		return false;
	}
	if (!proc_wait_line(p, "Tracing", TRACING_WAIT_MS)) {
		test_fail(t, "no stderr line beginning \"Tracing\" (pinscope %s)",
			  p->exited ? proc_describe(p, what, sizeof(what)) :
				      "still silent after 60 s");
		proc_kill(p);
		proc_log(p, &t->log);
		return false;
	}
	return true;
}
