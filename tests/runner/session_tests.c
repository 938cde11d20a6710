// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Sessions that end by themselves: -p ends when its processes exit (a
 * thread id standing for its process, several pids as a list or repeated),
 * and -d with a command ends the command as timeout(1) would and reports
 * its real exit status. The processes are "holders" the runner forks: they
 * live until the test releases them, so "pinscope still runs while they
 * live" is checked as well as "it ends when they are gone".
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runner.h"

#define END_WAIT_MS	10000	/* pinscope must end this soon after its targets */

struct holder {
	pid_t pid;
	pid_t tid;		/* a second thread's id (0 without one) */
	int release_fd;		/* closing it lets the holder exit */
};

static int tid_fd = -1;

/* The holder's second thread: says its own id, then waits. */
static void *park(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	if (write(tid_fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return arg;
}

/* A process that lives until released; with_thread: it has a second thread. */
static bool holder_start(struct test *t, struct holder *h, bool with_thread)
{
	int rel[2], ids[2];
	char byte;

	memset(h, 0, sizeof(*h));
	h->release_fd = -1;
	if (pipe2(rel, O_CLOEXEC) || pipe2(ids, O_CLOEXEC)) {
		test_fail(t, "pipe: %s", strerror(errno));
		return false;
	}
	h->pid = fork();
	if (h->pid < 0) {
		test_fail(t, "fork: %s", strerror(errno));
		return false;
	}
	if (h->pid == 0) {
		pid_t none = 0;
		pthread_t th;

		/* only its own pipes: another holder's release end would keep it alive */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != rel[0] && fd != ids[1])
				close(fd);
		tid_fd = ids[1];
		if (with_thread ? pthread_create(&th, NULL, park, NULL) != 0 :
		    write(ids[1], &none, sizeof(none)) != sizeof(none))
			_exit(1);
		while (read(rel[0], &byte, 1) > 0)
			;
		_exit(0);
	}
	close(rel[0]);
	close(ids[1]);
	h->release_fd = rel[1];
	if (read(ids[0], &h->tid, sizeof(h->tid)) != sizeof(h->tid) ||
	    (with_thread && h->tid <= 0)) {
		test_fail(t, "the holder did not say its thread id");
		close(ids[0]);
		return false;
	}
	close(ids[0]);
	return true;
}

static void holder_release(struct holder *h)
{
	int status;

	if (h->release_fd >= 0)
		close(h->release_fd);
	h->release_fd = -1;
	if (h->pid > 0)
		waitpid(h->pid, &status, 0);
	h->pid = 0;
}

static void holder_free(struct holder *h)
{
	if (h->pid > 0)
		kill(h->pid, SIGKILL);
	holder_release(h);
}

static void add_backend(struct argv_buf *a)
{
	if (env.backend)
		av_add(a, "--backend=%s", env.backend);
}

/* True when p is still running timeout_ms from now (the negative control). */
static bool still_running_after(struct proc *p, int timeout_ms)
{
	return !proc_wait(p, timeout_ms);
}

/* The report's targets[]: exactly these pids (asked as asked[]), all exited. */
static void expect_targets(struct test *t, json_object *doc, const pid_t *pids,
			   const pid_t *asked, size_t n)
{
	json_object *list = jpath(doc, "targets");
	long long v;

	if (!list || !json_object_is_type(list, json_type_array)) {
		test_fail(t, "report: no targets array");
		return;
	}
	if (json_object_array_length(list) != n) {
		test_fail(t, "targets: %zu entries, expected %zu", json_object_array_length(list), n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(list, i);

		if (!jint(jpath(e, "pid"), &v) || v != pids[i])
			test_fail(t, "targets[%zu].pid: %s, expected %d", i, jstr(jpath(e, "pid")),
				  pids[i]);
		if (!jint(jpath(e, "asked"), &v) || v != asked[i])
			test_fail(t, "targets[%zu].asked: %s, expected %d", i,
				  jstr(jpath(e, "asked")), asked[i]);
		if (!json_object_is_type(jpath(e, "running"), json_type_boolean) ||
		    json_object_get_boolean(jpath(e, "running")))
			test_fail(t, "targets[%zu].running: %s, expected false", i,
				  jstr(jpath(e, "running")));
	}
}

static json_object *report_of(struct test *t, const struct proc *p)
{
	char err[256];
	json_object *doc = json_parse_strict(sb_str(&p->out), err, sizeof(err));

	if (!doc)
		test_fail(t, "stdout is not one JSON document: %s", err);
	return doc;
}

/*
 * -p over holders: pinscope runs while any lives, ends when the last is
 * released. pid_args: how -p is spelled ("A,B" or "-p A -p B").
 */
static void pid_case(const char *name, int nr, bool with_thread, bool repeated)
{
	struct holder h[2] = {};
	pid_t pids[2], asked[2];
	struct argv_buf a = {0};
	struct proc p = {0};
	struct proc_opts o = { .timeout_s = 90 };
	json_object *doc = NULL;
	char list[64] = "", line[128];
	struct test t;

	if (!test_begin(&t, "session/%s", name))
		return;
	for (int i = 0; i < nr; i++) {
		if (!holder_start(&t, &h[i], with_thread))
			goto out;
		pids[i] = h[i].pid;
		asked[i] = with_thread ? h[i].tid : h[i].pid;
	}
	av_add(&a, "%s", env.pinscope);
	av_add(&a, "stat");
	av_add(&a, "-j");
	add_backend(&a);
	for (int i = 0; i < nr; i++) {
		if (repeated) {
			av_add(&a, "-p");
			av_add(&a, "%d", asked[i]);
		} else {
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d",
				 i ? "," : "", asked[i]);
		}
	}
	if (!repeated) {
		av_add(&a, "-p");
		av_add(&a, "%s", list);
	}
	if (!start_tracing(&t, &p, &a, &o))
		goto out;
	for (int i = 0; i < nr; i++) {
		/* negative control: a target still lives, so pinscope must too */
		if (!still_running_after(&p, 1000)) {
			test_fail(&t, "pinscope ended while process %d still ran", h[i].pid);
			goto log;
		}
		holder_release(&h[i]);
	}
	if (!proc_wait(&p, END_WAIT_MS)) {
		test_fail(&t, "pinscope still running %d s after its processes exited",
			  END_WAIT_MS / 1000);
		proc_kill(&p);
		goto log;
	}
	if (!expect_exit(&t, &p, "pinscope", 0))
		goto log;
	doc = report_of(&t, &p);
	if (doc)
		expect_targets(&t, doc, pids, asked, nr);
	for (int i = 0; with_thread && i < nr; i++) {
		snprintf(line, sizeof(line), "pinscope: -p %d is a thread: tracing its process %d ",
			 asked[i], pids[i]);
		if (!strstr(sb_str(&p.err), line))
			test_fail(&t, "stderr does not say \"%s…\"", line);
	}
log:
	proc_log(&p, &t.log);
out:
	for (int i = 0; i < nr; i++)
		holder_free(&h[i]);
	json_object_put(doc);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/*
 * -d SEC -- CMD: at the deadline the command gets SIGTERM (SIGKILL after
 * the grace period); its real status is reported, nothing is left running.
 */
static void duration_case(const char *name, const char *shell, int expect_status,
			  double min_s, double max_s)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	json_object *doc = NULL;
	long long status, pid = 0;
	double took;
	struct test t;

	if (!test_begin(&t, "session/%s", name))
		return;
	if (!pinscope_ready(&t))
		goto out;
	av_add(&a, "%s", env.pinscope);
	av_add(&a, "stat");
	av_add(&a, "-j");
	av_add(&a, "-d");
	av_add(&a, "1");
	add_backend(&a);
	av_add(&a, "--");
	av_add(&a, "/bin/sh");
	av_add(&a, "-c");
	av_add(&a, "%s", shell);
	if (proc_run(&p, a.v, &(struct proc_opts){ .timeout_s = 60 })) {
		test_fail(&t, "cannot start pinscope");
		goto out;
	}
	proc_log(&p, &t.log);
	if (!expect_exit(&t, &p, "pinscope", 0))
		goto out;
	doc = report_of(&t, &p);
	if (!doc)
		goto out;
	if (!jint(jpath(doc, "command.exit_status"), &status) || status != expect_status)
		test_fail(&t, "command.exit_status: %s, expected %d",
			  jstr(jpath(doc, "command.exit_status")), expect_status);
	if (!json_object_is_type(jpath(doc, "command.running"), json_type_boolean) ||
	    json_object_get_boolean(jpath(doc, "command.running")))
		test_fail(&t, "command.running: %s, expected false",
			  jstr(jpath(doc, "command.running")));
	if (strcmp(json_object_get_string(jpath(doc, "command.ended_by")) ?: "", "duration"))
		test_fail(&t, "command.ended_by: %s, expected \"duration\"",
			  jstr(jpath(doc, "command.ended_by")));
	if (jint(jpath(doc, "command.pid"), &pid) && pid > 0 && !kill((pid_t)pid, 0))
		test_fail(&t, "the command (pid %lld) still runs after pinscope ended", pid);
	/* traced time, start-up aside (slow under qemu): the deadline, plus the grace if used */
	took = json_object_get_double(jpath(doc, "duration_s"));
	if (took < min_s || took > max_s)
		test_fail(&t, "duration_s %.2f, expected %.1f to %.1f", took, min_s, max_s);
out:
	json_object_put(doc);
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

/*
 * -i with -j writes JSON Lines: one compact document per line; while the
 * command runs it is reported running (exit_status null), at the end with
 * its status.
 */
static void interval_running(void)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	struct test t;
	const char *text;
	int docs = 0;

	if (!test_begin(&t, "session/interval_json_lines"))
		return;
	if (!pinscope_ready(&t))
		goto out;
	av_add(&a, "%s", env.pinscope);
	av_add(&a, "stat");
	av_add(&a, "-j");
	av_add(&a, "-i");
	av_add(&a, "0.4");
	av_add(&a, "-d");
	av_add(&a, "1.5");
	add_backend(&a);
	av_add(&a, "--");
	av_add(&a, "sleep");
	av_add(&a, "30");
	if (proc_run(&p, a.v, &(struct proc_opts){ .timeout_s = 60 })) {
		test_fail(&t, "cannot start pinscope");
		goto out;
	}
	proc_log(&p, &t.log);
	if (!expect_exit(&t, &p, "pinscope", 0))
		goto out;
	text = sb_str(&p.out);
	while (*text) {
		size_t n = strcspn(text, "\n");
		char *line = strndup(text, n), err[256];
		json_object *doc = json_parse_strict(line, err, sizeof(err));
		bool last = !text[n] || !text[n + 1];
		long long status;

		docs++;
		if (!doc) {
			test_fail(&t, "line %d is not a JSON document: %s", docs, err);
		} else if (!last) {
			if (jpath(doc, "command.exit_status") ||
			    !json_object_get_boolean(jpath(doc, "command.running")))
				test_fail(&t, "line %d: command %s, expected running with "
					  "exit_status null", docs, jstr(jpath(doc, "command")));
		} else if (!jint(jpath(doc, "command.exit_status"), &status) || status != 143) {
			test_fail(&t, "last line: command.exit_status %s, expected 143",
				  jstr(jpath(doc, "command.exit_status")));
		}
		json_object_put(doc);
		free(line);
		text += n + (text[n] == '\n');
	}
	/* at least one report while it ran, and the last; slow machines make fewer */
	if (docs < 2 || docs > 5)
		test_fail(&t, "%d documents in 1.5 s at -i 0.4, expected 2 to 5", docs);
out:
	proc_free(&p);
	av_free(&a);
	test_end(&t);
}

void run_session_tests(void)
{
	pid_case("pid_ends_with_process", 1, false, false);
	pid_case("pid_thread_id", 1, true, false);
	pid_case("pid_comma_list", 2, false, false);
	pid_case("pid_repeated", 2, false, true);
	/* SIGTERM ends it at once: well before the 2 s grace is over */
	duration_case("duration_ends_command", "exec sleep 30", 143, 0.95, 2.5);
	/* ignores SIGTERM: SIGKILL after the 2 s grace */
	duration_case("duration_kills_stubborn_command", "trap '' TERM; exec sleep 30", 137,
		      2.95, 6);
	interval_running();
}
