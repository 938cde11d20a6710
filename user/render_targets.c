// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What was traced, for every report's header: the command (-- CMD) and its
 * exit status, or the processes given with -p and whether they still run.
 */
#include <signal.h>
#include <string.h>
#include "fmt.h"
#include "render.h"

/* "SIGTERM at the -d deadline": why pinscope ended the command itself. */
static const char *ended_how(const struct report *r, char *buf, size_t len)
{
	int sig = r->exit_status > 128 ? r->exit_status - 128 : 0;
	const char *why = !r->command_ended_by ? NULL :
		!strcmp(r->command_ended_by, "duration") ? "at the -d deadline" :
		!strcmp(r->command_ended_by, "signal") ? "when pinscope was stopped" :
		"as the report could not be written";

	if (!why)
		return "";
	if (sig)
		snprintf(buf, len, " (SIG%s %s)", sigabbrev_np(sig) ?: "?", why);
	else
		snprintf(buf, len, " (signalled %s)", why);
	return buf;
}

void render_targets_text(FILE *out, const struct report *r)
{
	char name[64], how[80];

	if (r->has_command) {
		/* the program's name, as ps shows it: JSON has the whole argv */
		const char *base = strrchr(r->argv[0], '/');

		fprintf(out, "command: %s (pid %d) ",
			fmt_printable(base && base[1] ? base + 1 : r->argv[0], name, sizeof(name), 24),
			r->pid);
		if (r->exit_status >= 0)
			fprintf(out, "exited %d%s\n", r->exit_status,
				ended_how(r, how, sizeof(how)));
		else
			fprintf(out, "still running\n");
	}
	for (size_t i = 0; i < r->nr_targets; i++) {
		const struct pid_target *t = &r->targets[i];

		fprintf(out, "process: %d (%s) %s", t->pid,
			fmt_printable(t->comm, name, sizeof(name), 16),
			t->exited ? "exited" : "still running");
		if (t->asked != t->pid)
			fprintf(out, " (-p %d is one of its threads)", t->asked);
		fputc('\n', out);
	}
}

void render_targets_json(json_object *doc, const struct report *r)
{
	if (r->has_command) {
		json_object *cmd = json_object_new_object();
		json_object *argv = json_object_new_array();

		for (char **a = r->argv; *a; a++)
			json_object_array_add(argv, json_object_new_string(*a));
		json_object_object_add(cmd, "argv", argv);
		json_object_object_add(cmd, "pid", json_object_new_int(r->pid));
		json_object_object_add(cmd, "exit_status", r->exit_status >= 0 ?
				       json_object_new_int(r->exit_status) : NULL);
		json_object_object_add(cmd, "running", json_object_new_boolean(r->exit_status < 0));
		json_object_object_add(cmd, "ended_by", r->command_ended_by ?
				       json_object_new_string(r->command_ended_by) : NULL);
		json_object_object_add(doc, "command", cmd);
	}
	if (r->nr_targets) {
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < r->nr_targets; i++) {
			const struct pid_target *t = &r->targets[i];
			json_object *o = json_object_new_object();

			json_object_object_add(o, "pid", json_object_new_int(t->pid));
			json_object_object_add(o, "comm", json_object_new_string(t->comm));
			json_object_object_add(o, "asked", json_object_new_int(t->asked));
			json_object_object_add(o, "running", json_object_new_boolean(!t->exited));
			json_object_array_add(list, o);
		}
		json_object_object_add(doc, "targets", list);
	}
}
