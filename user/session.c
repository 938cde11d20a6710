// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "errors.h"
#include "fmt.h"
#include "output.h"
#include "session.h"
#include "signals.h"

/* Every subcommand keeps failed registrations for the doctor. */
static int session_event(void *cookie, const void *data, size_t size)
{
	struct session *s = cookie;
	const struct ps_event *e = data;

	if (size >= sizeof(*e) && e->type == PS_EV_REGISTER && e->ret < 0) {
		struct reg_failure *f = NULL;

		/* a service failing the same call for weeks: the first ones, then a count */
		if (s->nr_failures < SESSION_KEEP_FAILURES)
			f = realloc(s->failures, (s->nr_failures + 1) * sizeof(*f));
		if (!f) {
			s->failures_more++;
		} else {
			s->failures = f;
			failure_from_event(&f[s->nr_failures++], e,
					   tracer_measures(s->tracer, "charge"));
		}
	}
	return s->user_event ? s->user_event(s->user_cookie, data, size) : 0;
}

/* The rings a look found gone, to a subcommand that keeps per-ring records. */
static void session_gone(void *cookie, const uint32_t *ids, size_t nr)
{
	struct session *s = cookie;
	size_t size = sizeof(struct ps_gone_event) + nr * sizeof(*ids);
	struct ps_gone_event *e = malloc(size);

	/* without it the ranges keep those rings until their process exits */
	if (!e)
		return;
	e->type = PS_EV_RINGS_GONE;
	e->nr = nr;
	memcpy(e->ids, ids, nr * sizeof(*ids));
	s->user_event(s->user_cookie, e, size);
	free(e);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

/* Fail early and clearly instead of with libbpf's EPERM from deep inside. */
static int check_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	bool admin, bpf, perfmon;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* cannot tell; let the load speak */
	admin = has_cap(data, CAP_SYS_ADMIN);
	bpf = has_cap(data, CAP_BPF) || admin;
	perfmon = has_cap(data, CAP_PERFMON) || admin;
	if (bpf && perfmon)
		return 0;
	ps_error("missing %s: tracing needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN",
		 !bpf ? "CAP_BPF" : "CAP_PERFMON");
	return PS_EXIT_FAIL;
}

double session_elapsed(const struct session *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - s->start.tv_sec) + (now.tv_nsec - s->start.tv_nsec) / 1e9;
}

/* -p: each process once, a thread id folded into its process (said once). */
static int open_pids(struct session *s, const struct env *env)
{
	char comm[80];

	s->pids = calloc(env->nr_pids, sizeof(*s->pids));
	if (!s->pids) {
		ps_error("out of memory");
		return PS_EXIT_FAIL;
	}
	for (int i = 0; i < env->nr_pids; i++) {
		struct pid_target *t = &s->pids[s->nr_pids];
		int e = target_pid_open(t, env->pids[i]);
		bool dup = false;

		if (e) {
			ps_error("-p %d: %s", env->pids[i],
				 e == -ESRCH ? "no such process" : strerror(-e));
			return PS_EXIT_FAIL;
		}
		for (size_t j = 0; j < s->nr_pids; j++)
			dup |= s->pids[j].pid == t->pid;
		if (t->asked != t->pid && !dup)
			ps_note("-p %d is a thread: tracing its process %d (%s)", t->asked, t->pid,
				fmt_printable(t->comm, comm, sizeof(comm), 16));
		if (dup)
			target_pid_close(t);
		else
			s->nr_pids++;
	}
	return 0;
}

int session_start(struct session *s, const struct env *env, const struct tracer_opts *o,
		  tracer_event_fn on_event, void *cookie)
{
	char err[512];
	int e;

	memset(s, 0, sizeof(*s));
	s->env = env;
	libbpf_set_print(env->verbose ? libbpf_print : NULL);
	if (check_caps())
		return PS_EXIT_FAIL;
	if (env->nr_pids && open_pids(s, env))
		return PS_EXIT_FAIL;
	/* after every check that needs no kernel: a bad option never touches FILE */
	if (output_open(env->output))
		return PS_EXIT_FAIL;
	/* before anything is mounted (mounts.h): the command sees the system's mounts */
	if (env->cmd) {
		e = target_spawn(&s->target, env->cmd);
		if (e) {
			ps_error("cannot start '%s': %s", env->cmd[0], strerror(-e));
			return PS_EXIT_FAIL;
		}
		s->have_target = true;
	}
	kernel_info_load(&s->ki);
	struct tracer_opts with_env = *o;

	with_env.no_looks = env->rings_from && !strcmp(env->rings_from, "fdinfo");
	with_env.table_size = env->table_size;
	with_env.buffer_size = env->buffer_size;
	e = tracer_new(&with_env, &s->ki, &s->tracer, err, sizeof(err));
	if (e) {
		ps_error("%s", err);
		return PS_EXIT_FAIL;
	}
	if (env->rings_from && !strcmp(env->rings_from, "bpf") && !tracer_has_looks(s->tracer)) {
		ps_error("--rings-from bpf: the task iterators do not load on this kernel; "
			 "use auto or fdinfo");
		return PS_EXIT_FAIL;
	}
	s->user_event = on_event;
	s->user_cookie = cookie;
	tracer_on_event(s->tracer, session_event, s);
	for (size_t i = 0; i < s->nr_pids; i++)
		if (tracer_trace_pid(s->tracer, s->pids[i].pid)) {
			ps_error("cannot add the target to the traced set: %s", strerror(errno));
			return PS_EXIT_FAIL;
		}
	if (s->have_target && tracer_trace_pid(s->tracer, s->target.pid)) {
		ps_error("cannot add the target to the traced set: %s", strerror(errno));
		return PS_EXIT_FAIL;
	}
	/* the first look finds the rings that existed before tracing began */
	harvest_init(&s->harvest, s->tracer);
	if (o->buffers && on_event) {
		s->harvest.on_gone = session_gone;
		s->harvest.gone_cookie = s;
	}
	e = harvest_run(&s->harvest, s->tracer);
	if (e && e != -EOPNOTSUPP) {
		ps_error("looking at existing rings: %s", strerror(-e));
		return PS_EXIT_FAIL;
	}
	/* the command never ran: nothing to report, one line (README: Exit statuses) */
	if (ps_signal_caught()) {
		ps_error("interrupted by SIG%s before tracing began",
			 sigabbrev_np(ps_signal_caught()) ?: "?");
		return PS_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	if (s->have_target && (e = target_release(&s->target))) {
		ps_error("cannot run '%s': %s", env->cmd[0], strerror(-e));
		return PS_EXIT_FAIL;
	}
	fprintf(stderr, "Tracing registered buffers (backend %s) %s\n", tracer_backend(s->tracer),
		env->cmd ? "until the command ends." :
		env->nr_pids ? "until the processes exit." : "until Ctrl-C.");
	return PS_EXIT_OK;
}

void session_doc_begin(struct session *s)
{
	s->out = output_begin();
}

void session_doc_end(struct session *s)
{
	output_end(s->out, s->env->json);
	s->out = NULL;
}

bool session_json_pretty(const struct session *s)
{
	return !s->env->interval_s;
}

static bool pids_exited(struct session *s)
{
	bool all = s->nr_pids > 0;

	for (size_t i = 0; i < s->nr_pids; i++)
		all &= target_pid_poll_exit(&s->pids[i]);
	return all;
}

int session_wait(struct session *s, session_tick_fn tick, void *cookie)
{
	double interval = s->env->interval_s, next_tick = interval;
	bool deadline = false;
	int status = PS_EXIT_OK;

	while (!ps_signal_caught()) {
		/* rings piling up: come back for the next look sooner */
		int wait_ms = harvest_pressed(&s->harvest, s->tracer) ? 5 : 50;
		int e = tracer_poll(s->tracer, wait_ms);

		if (e < 0 && e != -EINTR) {
			ps_error("reading events: %s", strerror(-e));
			status = PS_EXIT_FAIL;
			break;
		}
		if (!tracer_has_events(s->tracer))
			usleep(wait_ms * 1000);
		if (s->have_target && target_poll_exit(&s->target))
			break;
		if (pids_exited(s) || output_reader_gone() || output_error())
			break;
		if (harvest_due(&s->harvest, s->tracer))
			harvest_run(&s->harvest, s->tracer);
		double now = session_elapsed(s);

		if (s->env->duration_s && now >= s->env->duration_s) {
			deadline = true;
			break;
		}
		if (next_tick && now >= next_tick && tick) {
			tick(s, cookie);
			/* a tick missed (SIGSTOP, a slow report): one interval from now, no burst */
			next_tick = now - next_tick >= interval ? now + interval : next_tick + interval;
		}
	}
	s->stop_signal = ps_signal_caught();
	/* never leave the command running untraced: end it as timeout(1) would */
	if (s->have_target && !target_poll_exit(&s->target)) {
		s->ended_by = s->stop_signal ? "signal" : deadline ? "duration" : "output";
		target_stop(&s->target, s->stop_signal ? s->stop_signal : SIGTERM,
			    SESSION_GRACE_MS);
	}
	tracer_poll(s->tracer, 0);	/* drain what is left */
	return status;
}

int session_report(struct session *s, struct report *r)
{
	snprintf(r->kernel, sizeof(r->kernel), "%s", s->ki.release);
	r->has_command = s->have_target;
	r->failures = s->failures;
	r->nr_failures = s->nr_failures;
	r->failures_more = s->failures_more;
	if (s->have_target) {
		r->argv = s->env->cmd;
		r->pid = s->target.pid;
		r->exit_status = target_poll_exit(&s->target) ? s->target.exit_status : -1;
		r->command_ended_by = s->ended_by;
	}
	for (size_t i = 0; i < s->nr_pids; i++)
		target_pid_poll_exit(&s->pids[i]);
	r->targets = s->pids;
	r->nr_targets = s->nr_pids;
	/* a last look: every table as it is now, and which rings are gone */
	do
		harvest_run(&s->harvest, s->tracer);
	while (s->harvest.more);
	int e = collect_report(s->tracer, r);

	harvest_into(&s->harvest, r);
	/* after the reads: the report counts what happened until now */
	r->duration_s = session_elapsed(s);
	return e;
}

static void render_now(struct session *s, void *cookie)
{
	session_render_fn render = (session_render_fn)cookie;
	struct report r = {};

	if (session_report(s, &r))
		ps_note("some counters could not be read");
	session_doc_begin(s);
	render(s, &r);
	if (s->env->interval_s && !s->env->json)
		fputc('\n', s->out);
	session_doc_end(s);
	report_free(&r);
}

int session_run_report(const struct env *env, const struct tracer_opts *o,
		       session_render_fn render)
{
	struct session s;
	int err = session_start(&s, env, o, NULL, NULL);

	if (!err)
		err = session_wait(&s, render_now, (void *)render);
	if (!err)
		render_now(&s, (void *)render);
	if (!err)
		err = output_status(err);
	session_end(&s);
	return err;
}

void session_end(struct session *s)
{
	if (s->have_target && s->target.gate_fd >= 0)
		target_abort(&s->target);
	harvest_free(&s->harvest);
	tracer_free(s->tracer);
	s->tracer = NULL;
	kernel_info_free(&s->ki);
	free(s->failures);
	s->failures = NULL;
	s->nr_failures = 0;
	s->failures_more = 0;
	for (size_t i = 0; i < s->nr_pids; i++)
		target_pid_close(&s->pids[i]);
	free(s->pids);
	s->pids = NULL;
	s->nr_pids = 0;
	output_close();
}
