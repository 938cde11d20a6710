/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One tracing run shared by stat, hist and trace: check privileges, start or
 * find the target, attach, wait (command exit, -d, Ctrl-C), detach.
 */
#ifndef PS_SESSION_H
#define PS_SESSION_H

#include <stdio.h>
#include <time.h>
#include "env.h"
#include "harvest.h"
#include "kernel_info.h"
#include "doctor.h"
#include "report.h"
#include "target.h"
#include "tracer.h"

/*
 * A command still running when the session ends is sent the signal that
 * ended pinscope (SIGTERM at the -d deadline, or when the report's reader
 * went away), then SIGKILL after this grace period, as timeout -k does.
 */
#define SESSION_GRACE_MS	2000
/* Failed registrations explained one by one; past these, only counted. */
#define SESSION_KEEP_FAILURES	256

struct session {
	const struct env *env;
	struct kernel_info ki;
	struct tracer *tracer;
	struct target target;
	bool have_target;
	struct pid_target *pids;	/* -p, one per process (threads folded) */
	size_t nr_pids;
	FILE *out;		/* the document being rendered (output.h) */
	struct timespec start;
	int stop_signal;	/* signal that ended the run, 0 if none */
	const char *ended_by;	/* why pinscope signalled the command, or NULL */
	tracer_event_fn user_event;	/* the subcommand's own event handler */
	void *user_cookie;
	struct reg_failure *failures;	/* failed registrations, for the doctor */
	size_t nr_failures;
	uint64_t failures_more;	/* failed past SESSION_KEEP_FAILURES */
	struct harvest harvest;	/* looks at existing rings; what left the tables */
};

typedef void (*session_tick_fn)(struct session *s, void *cookie);

/* Returns PS_EXIT_OK, or PS_EXIT_FAIL after printing one error line. */
int session_start(struct session *s, const struct env *env, const struct tracer_opts *o,
		  tracer_event_fn on_event, void *cookie);
/*
 * One document (a report, or a line of trace) into s->out; end writes it
 * whole. A write error or a reader gone ends the session.
 */
void session_doc_begin(struct session *s);
void session_doc_end(struct session *s);
/* -j: pretty-printed, except with -i (JSON Lines: one document a line) */
bool session_json_pretty(const struct session *s);
/* Polls until the end; calls tick every -i seconds. */
int session_wait(struct session *s, session_tick_fn tick, void *cookie);
/* Fills the header (kernel, backend, command, duration) and the data. */
int session_report(struct session *s, struct report *r);
double session_elapsed(const struct session *s);
/*
 * The whole run of a reporting subcommand: start, wait (rendering every
 * -i seconds), render the final report, end. Returns the exit status.
 */
typedef void (*session_render_fn)(struct session *s, const struct report *r);
int session_run_report(const struct env *env, const struct tracer_opts *o,
		       session_render_fn render);
void session_end(struct session *s);

#endif
