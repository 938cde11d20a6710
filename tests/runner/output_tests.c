// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Where pinscope's output goes and what survives: write errors (exit 2, one
 * line), a reader that goes away (a clean end, the command not left
 * running), -o FILE untouched by a run that never started, JSON Lines in a
 * file, hostile names (valid UTF-8 in JSON, no control bytes in text),
 * memory limits (a report or one JSON error, never a signal), and mounts
 * that leave nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "runner.h"

/* Lines of s that are not empty. */
static int count_lines(const char *s)
{
	int n = 0;

	for (const char *l = s; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n'))
		n += l[0] != '\n';
	return n;
}

/* stderr: the "Tracing" line, then exactly one "pinscope: " line holding what */
static void expect_banner_and_error(struct test *t, const struct proc *p, const char *what)
{
	const char *err = sb_str(&p->err), *second = strchr(err, '\n');

	if (strncmp(err, "Tracing", 7) || !second || count_lines(err) != 2 ||
	    strncmp(second + 1, "pinscope: ", 10) || !strstr(second, what))
		test_fail(t, "stderr: expected the Tracing line and one \"pinscope: …%s…\" "
			  "line, got \"%s\"", what, err);
}

static void write_errors(void)
{
	static const struct {
		const char *name;
		bool json, close_stdout;
		const char *out, *what;
	} cases[] = {
		{ "output/dev_full", false, false, "/dev/full", "No space left on device" },
		{ "output/dev_full_json", true, false, "/dev/full", "No space left on device" },
		{ "output/stdout_closed", false, true, NULL, "standard output is closed" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proc_opts o = { .timeout_s = 60, .close_stdout = cases[i].close_stdout };
		struct id_set before = {0};
		struct argv_buf a = {0};
		struct proc p = {0};
		struct test t;

		if (!test_begin(&t, "%s", cases[i].name))
			continue;
		bool check_leak;

		if (!pinscope_ready(&t))
			goto next;
		check_leak = ps_progs_snapshot(&t, &before);
		pinscope_args(&a, "stat", ARGS("-d", "0.5"));
		if (cases[i].json)
			av_add(&a, "-j");
		if (cases[i].out) {
			av_add(&a, "-o");
			av_add(&a, "%s", cases[i].out);
		}
		if (!run_to_end(&t, &p, &a, &o))
			goto next;
		expect_exit(&t, &p, "pinscope", 2);
		if (cases[i].json) {
			expect_json_error(&t, &p);
			if (!strstr(sb_str(&p.out), cases[i].what))
				test_fail(&t, "the error does not say \"%s\"", cases[i].what);
		} else if (cases[i].close_stdout) {
			/* found before tracing: one line and nothing else */
			expect_one_error_line(&t, &p);
			if (!strstr(sb_str(&p.err), cases[i].what))
				test_fail(&t, "the error does not say \"%s\"", cases[i].what);
		} else {
			expect_banner_and_error(&t, &p, cases[i].what);
		}
		if (check_leak)
			expect_no_new_ps_progs(&t, &before, 2000);
next:
		id_set_free(&before);
		proc_free(&p);
		av_free(&a);
		test_end(&t);
	}
}

/* -o FILE is untouched (or never created) by a run that fails its checks. */
static void output_file_kept(void)
{
	char dir[4096], kept[4200], fresh[4200];
	struct strbuf text = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	struct test t;
	int fd;

	if (!test_begin(&t, "output/file_kept_on_bad_option"))
		return;
	if (test_mkdir(&t, t.name, dir, sizeof(dir)))
		goto out;
	snprintf(kept, sizeof(kept), "%s/report.json", dir);
	snprintf(fresh, sizeof(fresh), "%s/new.json", dir);
	fd = open(kept, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "previous report\n", 16) != 16) {
		test_fail(&t, "cannot write %s", kept);
		goto out;
	}
	close(fd);
	pinscope_args(&a, "stat", ARGS("-d", "1", "--backend=nosuchbackend", "-o"));
	av_add(&a, "%s", kept);
	if (!run_to_end(&t, &p, &a, NULL))
		goto out;
	expect_exit(&t, &p, "pinscope --backend=nosuchbackend", 2);
	expect_one_error_line(&t, &p);
	if (read_text_file(kept, &text) || strcmp(sb_str(&text), "previous report\n"))
		test_fail(&t, "%s: \"%s\", expected its previous content", kept, sb_str(&text));
	proc_free(&p);
	av_free(&a);
	pinscope_args(&a, "stat", ARGS("-d", "1", "-p", "abc", "-o"));
	av_add(&a, "%s", fresh);
	if (!run_to_end(&t, &p, &a, NULL))
		goto out;
	expect_exit(&t, &p, "pinscope -p abc", 2);
	if (!access(fresh, F_OK))
		test_fail(&t, "%s was created by a run that never started", fresh);
out:
	sb_free(&text);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/*
 * The reader goes away (`| head`): pinscope ends by itself, not by SIGPIPE,
 * exit 0, and the command it started is not left running.
 */
static void reader_gone(void)
{
	char dir[4096], pidfile[4200], script[4400];
	struct strbuf text = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	long cmd_pid = 0;
	struct test t;

	if (!test_begin(&t, "output/reader_gone"))
		return;
	if (!pinscope_ready(&t) || test_mkdir(&t, t.name, dir, sizeof(dir)))
		goto out;
	snprintf(pidfile, sizeof(pidfile), "%s/cmd.pid", dir);
	snprintf(script, sizeof(script), "echo $$ > %s; exec sleep 60", pidfile);
	pinscope_args(&a, "trace", ARGS("--", "/bin/sh", "-c"));
	av_add(&a, "%s", script);
	if (!start_tracing(&t, &p, &a, &(struct proc_opts){ .timeout_s = 60 }))
		goto out;
	/*
	 * The reader leaves once the command runs: closed at once, pinscope
	 * may end it before its first line (6.1 under qemu, three guests).
	 */
	for (int i = 0; i < 600 && (read_text_file(pidfile, &text) || !text.len); i++)
		nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	sb_free(&text);
	proc_close_stdout(&p);
	if (!proc_wait(&p, 10000)) {
		test_fail(&t, "pinscope still running 10 s after its reader went away");
		proc_kill(&p);
	}
	proc_log(&p, &t.log);
	expect_exit(&t, &p, "pinscope", 0);
	if (read_text_file(pidfile, &text) || (cmd_pid = strtol(sb_str(&text), NULL, 10)) <= 0)
		test_fail(&t, "the command never wrote its pid to %s", pidfile);
	else if (!kill((pid_t)cmd_pid, 0))
		test_fail(&t, "the command (pid %ld) still runs after pinscope ended", cmd_pid);
out:
	sb_free(&text);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/* -j -i -o FILE: JSON Lines in the file too. */
static void json_lines_file(void)
{
	char dir[4096], file[4200];
	struct strbuf text = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	double d[16];
	struct test t;
	int n;

	if (!test_begin(&t, "output/json_lines_file"))
		return;
	if (!pinscope_ready(&t) || test_mkdir(&t, t.name, dir, sizeof(dir)))
		goto out;
	snprintf(file, sizeof(file), "%s/report.jsonl", dir);
	pinscope_args(&a, "stat", ARGS("-j", "-i", "0.3", "-d", "1", "-o"));
	av_add(&a, "%s", file);
	av_add(&a, "--");	/* a command of its own: other tracers' rings stay out */
	av_add(&a, "sleep");
	av_add(&a, "30");
	if (!run_to_end(&t, &p, &a, NULL) || !expect_exit(&t, &p, "pinscope", 0))
		goto out;
	if (read_text_file(file, &text)) {
		test_fail(&t, "cannot read %s", file);
		goto out;
	}
	n = json_lines(&t, sb_str(&text), d, 16);
	if (n >= 0 && (n < 2 || n > 5))
		test_fail(&t, "%d documents in 1 s at -i 0.3, expected 2 to 5", n);
out:
	sb_free(&text);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/* Valid UTF-8 (no byte sequence a strict decoder refuses). */
static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			(*p & 0xf8) == 0xf0 ? 4 : 0;

		if (!n || (n == 2 && *p < 0xc2))
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

/*
 * Hostile names: the workload run through a symlink whose name becomes its
 * comm (cut mid-character at 15 bytes) and argv[0] (ESC, a newline, \xff).
 */
static void hostile_names(bool json)
{
	/* nine alphas: the comm holds seven and half of the eighth */
	static const char alphas[] = "\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1"
				     "\xce\xb1\xce\xb1";
	static const char escape[] = "\x1b[2J\n\xff";
	char dir[4096], link[4200], target[4096];
	struct argv_buf a = {0};
	struct proc p = {0};
	json_object *doc = NULL;
	char err[256];
	struct test t;

	if (!test_begin(&t, "names/%s", json ? "json_utf8" : "text_escaped"))
		return;
	if (!pinscope_ready(&t) || test_mkdir(&t, t.name, dir, sizeof(dir)))
		goto out;
	snprintf(link, sizeof(link), "%s/%s", dir, json ? alphas : escape);
	if (!realpath(env.workload, target) || symlink(target, link)) {
		test_fail(&t, "symlink: %s", strerror(errno));
		goto out;
	}
	pinscope_args(&a, "stat", json ? ARGS("-j", "--") : ARGS("--"));
	av_add(&a, "%s", link);
	av_add(&a, "read_fixed_direct");
	if (!run_to_end(&t, &p, &a, NULL) || !expect_exit(&t, &p, "pinscope", 0))
		goto out;
	if (json) {
		/* the workload's oracle is the first line, the report follows */
		const char *report = strstr(sb_str(&p.out), "\n{");
		json_object *ring;

		/* the workload's own oracle quotes its comm raw: only pinscope's part */
		if (report && !utf8_valid(report + 1))
			test_fail(&t, "the report is not valid UTF-8");
		doc = report ? json_parse_strict(report + 1, err, sizeof(err)) : NULL;
		if (!doc) {
			test_fail(&t, "no report after the oracle: %s", report ? err : "none");
			goto out;
		}
		ring = json_object_array_get_idx(jpath(doc, "rings"), 0);
		if (strcmp(json_object_get_string(jpath(ring, "comm")) ?: "",
			   "\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xef\xbf\xbd"))
			test_fail(&t, "rings[0].comm: %s, expected seven alphas and U+FFFD",
				  jstr(jpath(ring, "comm")));
	} else {
		const char *out = sb_str(&p.out);

		for (const char *c = out; *c; c++)
			if (((unsigned char)*c < 0x20 && *c != '\n') || (unsigned char)*c == 0xff) {
				test_fail(&t, "stdout holds byte 0x%02x", (unsigned char)*c);
				break;
			}
		if (!strstr(out, "\\x1b[2J\\x0a\\xff (pid"))
			test_fail(&t, "the command line does not show \\x1b[2J\\x0a\\xff");
	}
out:
	json_object_put(doc);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/*
 * Under an address-space limit (ulimit -v) at every stage of start-up and
 * reporting: a whole report (exit 0) or one JSON error (exit 2) that says
 * memory, never a signal (json-c once aborted) and never "no BTF".
 */
static void memory_limits(void)
{
	static const long limits_kib[] = { 6000, 10000, 14000, 18000, 24000, 32000, 48000 };
	struct test t;

	if (!test_begin(&t, "memory/ulimit_v_json"))
		return;
	if (!pinscope_ready(&t))
		goto out;
	for (size_t i = 0; i < sizeof(limits_kib) / sizeof(limits_kib[0]); i++) {
		struct proc_opts o = { .timeout_s = 60, .rlimit_as_kib = limits_kib[i] };
		struct argv_buf a = {0};
		struct proc p = {0};
		json_object *doc = NULL;
		char err[256];
		int code;

		pinscope_args(&a, "stat", ARGS("-j", "-d", "0.3", "--", "sleep", "5"));
		if (!run_to_end(&t, &p, &a, &o))
			break;
		code = proc_exit_code(&p);
		doc = json_parse_strict(sb_str(&p.out), err, sizeof(err));
		if (code == 0 && (!doc || !jpath(doc, "rings")))
			test_fail(&t, "ulimit -v %ld: exit 0 without a whole report", limits_kib[i]);
		else if (code == 2 && (!doc || !jpath(doc, "error")))
			test_fail(&t, "ulimit -v %ld: exit 2 without one JSON error", limits_kib[i]);
		else if (code == 2 && !strstr(sb_str(&p.out), "memory"))
			test_fail(&t, "ulimit -v %ld: the error does not say memory: %s",
				  limits_kib[i], sb_str(&p.out));
		else if (code != 0 && code != 2)
			expect_exit(&t, &p, "pinscope under ulimit -v", 2);
		else
			test_note(&t, "ulimit -v %ld: exit %d", limits_kib[i], code);
		json_object_put(doc);
		proc_free(&p);
		av_free(&a);
	}
out:
	test_end(&t);
}

/*
 * Mounts without side effects: in a mount namespace of the test's own with
 * tracefs and securityfs unmounted, pinscope traces (it needs both), the
 * command it starts sees neither, and neither is mounted once it is done.
 */
static void mounts_private(void)
{
	char unshare[4096], script[8192];
	struct argv_buf a = {0};
	struct proc p = {0};
	struct test t;

	if (!test_begin(&t, "mounts/no_side_effects"))
		return;
	if (!pinscope_ready(&t))
		goto out;
	if (!find_in_path("unshare", unshare, sizeof(unshare))) {
		test_skip(&t, "no unshare(1) to make a mount namespace for the test");
		goto out;
	}
	snprintf(script, sizeof(script),
		 "umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/security 2>/dev/null; "
		 "echo before $(grep -c 'tracefs\\|securityfs' /proc/mounts); "
		 "%s stat -d 5 %s%s -- sh -c 'echo command $(grep -c tracefs /proc/mounts)' "
		 "|| echo pinscope failed; "
		 "echo after $(grep -c 'tracefs\\|securityfs' /proc/mounts)",
		 env.pinscope, env.backend ? "--backend=" : "", env.backend ? env.backend : "");
	av_add(&a, "%s", unshare);
	av_add(&a, "-m");
	av_add(&a, "--propagation");
	av_add(&a, "private");
	av_add(&a, "/bin/sh");
	av_add(&a, "-c");
	av_add(&a, "%s", script);
	if (!run_to_end(&t, &p, &a, NULL) || !expect_exit(&t, &p, "the test's shell", 0))
		goto out;
	if (!strstr(sb_str(&p.out), "before 0\n"))
		test_skip(&t, "tracefs or securityfs could not be unmounted for the test");
	else if (!strstr(sb_str(&p.out), "command 0\n"))
		test_fail(&t, "the command saw tracefs mounted by pinscope");
	else if (!strstr(sb_str(&p.out), "after 0\n"))
		test_fail(&t, "tracefs or securityfs still mounted after pinscope exited");
	else if (strstr(sb_str(&p.out), "pinscope failed"))
		test_fail(&t, "pinscope failed without tracefs mounted beforehand");
out:
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

void run_output_tests(void)
{
	mounts_private();
	write_errors();
	output_file_kept();
	reader_gone();
	json_lines_file();
	hostile_names(true);
	hostile_names(false);
	memory_limits();
}

