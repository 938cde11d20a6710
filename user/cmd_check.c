// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope check: the verdict users run in CI. Exit 0: zero repeated
 * pinning; 1: violations (tabled); 2: the check could not be made. With
 * `-- CMD` the command's own exit status is printed but never replaces the
 * verdict.
 */
#include <stdio.h>
#include "commands.h"
#include "errors.h"
#include "ranges.h"
#include "output.h"
#include "render.h"
#include "session.h"
#include "verdict.h"

static int feed_ranges(void *cookie, const void *data, size_t size)
{
	ranges_on_event(cookie, data, size);
	return 0;
}

int cmd_check(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->nr_pids || env->cmd,
		.events = true,
		.buffers = true,
		.backend = env->backend,
		.registration_only = env->registration_only,
	};
	struct ranges *rg = ranges_new();
	struct report r = {};
	struct verdict v = {};
	struct session s;
	int err;

	if (!rg) {
		ps_error("out of memory");
		return PS_EXIT_FAIL;
	}
	err = session_start(&s, env, &o, feed_ranges, rg);
	if (!err)
		err = session_wait(&s, NULL, NULL);
	if (!err && session_report(&s, &r))
		ps_note("some counters could not be read");
	if (!err) {
		const char *no_signal = NULL;

		if (env->registration_only)
			no_signal = "--registration-only leaves every per-IO hook unloaded";
		else if (!tracer_measures(s.tracer, "pinned_io") && !tracer_measures(s.tracer, "io_pin"))
			no_signal = "this kernel shows no per-IO pinning: no iomap direct-IO "
				    "bio hook, and no fentry/kprobe on pin_user_pages*";
		verdict_evaluate(&v, &r, rg,
				 s.ki.has_clone_op,
				 no_signal);
		session_doc_begin(&s);
		if (env->json) {
			json_object *doc = render_check_json(&r, &v);

			render_json_print(s.out, doc, true);
			json_object_put(doc);
		} else {
			render_check_text(s.out, &r, &v);
		}
		session_doc_end(&s);
		err = output_status(v.exit_status);
	}
	verdict_free(&v);
	report_free(&r);
	session_end(&s);
	ranges_free(rg);
	return err;
}
