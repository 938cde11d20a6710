// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinscope trace: one line per ring creation and buffer (un)registration. */
#include <stdio.h>
#include <string.h>
#include "cmd_trace.h"
#include "json_safe.h"
#include "commands.h"
#include "errors.h"
#include "fmt.h"
#include "names.h"
#include "output.h"
#include "render.h"
#include "session.h"

struct trace_state {
	struct session *s;
	uint64_t start_ns;
	uint64_t printed;
};

static const char *short_event(const struct ps_event *e)
{
	if (e->type == PS_EV_RING_CREATE)
		return "create";
	switch (e->opcode) {
	case PS_REG_BUFFERS:		return "register";
	case PS_REG_BUFFERS2:		return "register2";
	case PS_REG_BUFFERS_UPDATE:	return "update";
	case PS_UNREG_BUFFERS:		return "unregister";
	case PS_REG_CLONE_BUFFERS:	return "clone";
	}
	return "?";
}

/* One line (a long result wraps under it); a clone's source on the next. */
static void print_text(FILE *out, const struct ps_event *e, double t)
{
	char b1[32], b2[32], flags[128], comm[64], name[sizeof(e->comm) + 1], line[320];
	int n;

	/* a comm that fills its 16 bytes has no NUL */
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(e->comm), e->comm);

	n = snprintf(line, sizeof(line), "%-9.4f %-7u %-15s %4u %-10s ", t, e->pid,
		     fmt_printable(name, comm, sizeof(comm), 15), e->ring, short_event(e));
	if (e->type == PS_EV_RING_CREATE) {
		snprintf(line + n, sizeof(line) - n, "fd %d, %u/%u entries, flags 0x%x%s%s",
			 e->fd, e->ring_info.sq_entries, e->ring_info.cq_entries, e->opcode,
			 e->opcode ? " " : "",
			 setup_flag_names(e->opcode, flags, sizeof(flags)));
	} else {
		n += snprintf(line + n, sizeof(line) - n, "%5u %9s %7s ", e->sum.buffers,
			      fmt_bytes(e->sum.bytes, b1, sizeof(b1)),
			      fmt_ns(e->lat_ns, b2, sizeof(b2)));
		if (e->ret < 0)
			n += snprintf(line + n, sizeof(line) - n, "%s",
				      errno_name(errno_of(e->ret), b1, sizeof(b1)));
		else
			n += snprintf(line + n, sizeof(line) - n, "%lld", (long long)e->ret);
	}
	fmt_wrap(out, 0, 10, line);
	if (e->type == PS_EV_REGISTER && e->opcode == PS_REG_CLONE_BUFFERS && e->ret >= 0)
		fprintf(out, "%10s(cloned from ring %u, %llu buffers shared)\n", "",
			e->src_ring, (unsigned long long)e->sum.shared);
}

static void print_json(FILE *out, const struct ps_event *e, double t)
{
	json_object *o = json_object_new_object();
	char buf[64];

	json_object_object_add(o, "time_s", json_object_new_double(t));
	json_object_object_add(o, "event", json_object_new_string(
		e->type == PS_EV_RING_CREATE ? "ring_create" : reg_opcode_name(e->opcode) ?: "?"));
	json_object_object_add(o, "pid", json_object_new_int(e->pid));
	json_object_object_add(o, "tid", json_object_new_int(e->tid));
	/* a comm that fills its 16 bytes has no NUL: never read past it */
	json_object_object_add(o, "comm", json_object_new_string_len(e->comm,
				strnlen(e->comm, sizeof(e->comm))));
	json_object_object_add(o, "ring", json_object_new_int(e->ring));
	json_object_object_add(o, "fd", json_object_new_int(e->fd));
	if (e->type == PS_EV_RING_CREATE) {
		json_object_object_add(o, "setup_flags", json_object_new_int(e->opcode));
		json_object_object_add(o, "setup_flag_names", json_object_new_string(
			setup_flag_names(e->opcode, buf, sizeof(buf))));
		json_object_object_add(o, "sq_entries", json_object_new_int(e->ring_info.sq_entries));
		json_object_object_add(o, "cq_entries", json_object_new_int(e->ring_info.cq_entries));
	} else {
		json_object_object_add(o, "result", json_object_new_int64(e->ret));
		if (e->ret < 0)
			json_object_object_add(o, "errno", json_object_new_string(
				errno_name(errno_of(e->ret), buf, sizeof(buf))));
		json_object_object_add(o, "latency_ns", json_object_new_uint64(e->lat_ns));
		json_object_object_add(o, "nr_args", json_object_new_int(e->nr_args));
		json_object_object_add(o, "slots", json_object_new_uint64(e->sum.slots));
		json_object_object_add(o, "buffers", json_object_new_uint64(e->sum.buffers));
		json_object_object_add(o, "bytes", json_object_new_uint64(e->sum.bytes));
		json_object_object_add(o, "pages", json_object_new_uint64(e->sum.pages));
		json_object_object_add(o, "shared", json_object_new_uint64(e->sum.shared));
		if (e->opcode == PS_REG_CLONE_BUFFERS)
			json_object_object_add(o, "src_ring", json_object_new_int(e->src_ring));
	}
	render_json_print(out, o, false);
	json_object_put(o);
}

bool trace_print_record(FILE *out, bool json, uint64_t start_ns, const void *data, size_t size)
{
	const struct ps_event *e = data;
	double t;

	if (size < sizeof(*e) || (e->type != PS_EV_RING_CREATE && e->type != PS_EV_REGISTER))
		return false;
	t = e->ts_ns >= start_ns ? (e->ts_ns - start_ns) / 1e9 : 0;
	if (json)
		print_json(out, e, t);
	else
		print_text(out, e, t);
	return true;
}

static int on_event(void *cookie, const void *data, size_t size)
{
	struct trace_state *st = cookie;

	if (output_reader_gone() || output_error())
		return 0;	/* the session is ending: nowhere to write */
	session_doc_begin(st->s);
	if (trace_print_record(st->s->out, st->s->env->json, st->start_ns, data, size))
		st->printed++;
	session_doc_end(st->s);
	return 0;
}

int cmd_trace(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->nr_pids || env->cmd,
		.events = true,
		.all_events = true,
		.backend = env->backend,
		.registration_only = env->registration_only,
		.bpf_stats = env->bpf_stats,
	};
	struct trace_state st = {};
	struct session s;
	struct report r = {};
	int err;

	st.s = &s;
	err = session_start(&s, env, &o, on_event, &st);
	if (!err) {
		st.start_ns = (uint64_t)s.start.tv_sec * 1000000000ULL + s.start.tv_nsec;
		if (!env->json) {
			session_doc_begin(&s);
			fprintf(s.out, "%-9s %-7s %-15s %4s %-10s %5s %9s %7s %s\n", "TIME(s)",
				"PID", "COMM", "RING", "EVENT", "BUFS", "BYTES", "LATENCY",
				"RESULT");
			session_doc_end(&s);
		}
		err = session_wait(&s, NULL, NULL);
	}
	if (!err && !session_report(&s, &r)) {
		if (r.counters[PS_CNT_LOST_EVENTS])
			ps_note("%llu events lost (ring buffer full)",
				(unsigned long long)r.counters[PS_CNT_LOST_EVENTS]);
		if (r.missed_runs)
			ps_note("%llu events missed (the kernel skipped pinscope's programs)",
				(unsigned long long)r.missed_runs);
		/* never a silent gap: rings the tables had no room for */
		if (r.counters[PS_CNT_RINGS_DROPPED] || r.counters[PS_CNT_PIDS_DROPPED])
			ps_note("tables full: %llu rings and %llu processes not traced",
				(unsigned long long)r.counters[PS_CNT_RINGS_DROPPED],
				(unsigned long long)r.counters[PS_CNT_PIDS_DROPPED]);
	}
	report_free(&r);
	if (!err)
		err = output_status(err);
	session_end(&s);
	return err;
}
