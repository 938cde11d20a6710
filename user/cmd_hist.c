// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinscope hist: log2 histograms of registration, clone and IO latency. */
#include <stdio.h>
#include "commands.h"
#include "render.h"
#include "session.h"

static void render_hists(struct session *s, const struct report *r)
{
	if (s->env->json) {
		json_object *doc = render_hist_json(r);

		render_json_print(s->out, doc, session_json_pretty(s));
		json_object_put(doc);
		return;
	}
	render_hist_text(s->out, r, true);
}

int cmd_hist(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->nr_pids || env->cmd,
		.io_latency = !env->registration_only,
		.backend = env->backend,
		.registration_only = env->registration_only,
		.bpf_stats = env->bpf_stats,
	};

	return session_run_report(env, &o, render_hists);
}
