// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinscope stat: the per-ring report. */
#include <stdio.h>
#include "commands.h"
#include "errors.h"
#include "render.h"
#include "session.h"

static void print_report(struct session *s)
{
	struct report r = {};

	if (session_report(s, &r))
		ps_note("some counters could not be read");
	if (s->env->json) {
		json_object *doc = render_stat_json(&r);

		if (s->env->hist)
			render_hist_json_into(doc, &r);

		render_json_print(s->out, doc, s->out != stdout || !s->env->interval_s);
		json_object_put(doc);
	} else {
		render_stat_text(s->out, &r, s->env->top);
		if (s->env->hist)
			render_hist_text(s->out, &r, false);
	}
	report_free(&r);
}

static void on_tick(struct session *s, void *cookie)
{
	print_report(s);
	if (!s->env->json)
		fprintf(s->out, "\n");
}

int cmd_stat(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->pid || env->cmd,
		.io_latency = env->hist,
		.events = true,	/* failed registrations, for the doctor */
		.backend = env->backend,
		.registration_only = env->registration_only,
		.bpf_stats = env->bpf_stats,
	};
	struct session s;
	int err;

	err = session_start(&s, env, &o, NULL, NULL);
	if (!err)
		err = session_wait(&s, on_tick, NULL);
	if (!err)
		print_report(&s);
	session_end(&s);
	return err;
}
