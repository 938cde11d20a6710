// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinscope stat: the per-ring report (and histograms with -H). */
#include <stdio.h>
#include "commands.h"
#include "render.h"
#include "session.h"

static void render_stat(struct session *s, const struct report *r)
{
	if (s->env->json) {
		json_object *doc = render_stat_json(r);

		if (s->env->hist)
			render_hist_json_into(doc, r);
		render_json_print(s->out, doc, session_json_pretty(s));
		json_object_put(doc);
		return;
	}
	render_stat_text(s->out, r, s->env->top);
	if (s->env->hist)
		render_hist_text(s->out, r, false);
}

int cmd_stat(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->nr_pids || env->cmd,
		.io_latency = env->hist,
		.events = true,	/* failed registrations, for the doctor */
		.backend = env->backend,
		.registration_only = env->registration_only,
		.bpf_stats = env->bpf_stats,
	};

	return session_run_report(env, &o, render_stat);
}
