// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The `check` verdict as text tables and as JSON. */
#include <stdio.h>
#include "fmt.h"
#include "names.h"
#include "render.h"

static const char *verdict_word(int status)
{
	return status == 0 ? "PASS" : status == 1 ? "FAIL" : "CANNOT CHECK";
}

static const char *clone_advice(bool supported)
{
	return supported ? "IORING_REGISTER_CLONE_BUFFERS would have shared them" :
	       "IORING_REGISTER_CLONE_BUFFERS would have shared them (this kernel lacks it: 6.12+)";
}

void render_check_text(FILE *out, const struct report *r, const struct verdict *v)
{
	char b1[32], b2[32];

	/* distro kernel names run long: wrapped, like stat's */
	fmt_wrapf(out, 2, "pinscope check: kernel %s, backend %s, %.2f s traced", r->kernel,
		  r->backend, r->duration_s);
	render_targets_text(out, r);
	fprintf(out, "verdict: %s\n", verdict_word(v->exit_status));
	for (int i = 0; i < v->nr_problems; i++)
		fmt_wrapf(out, 4, "  cannot check: %s", v->problems[i]);
	for (int i = 0; i < v->nr_notes; i++)
		fmt_wrapf(out, 4, "  note: %s", v->notes[i]);
	if (v->nr_per_io) {
		fprintf(out, "\nIOs that pinned user pages per IO (no registered buffer):\n");
		fprintf(out, "  %-5s %-8s %-4s %-14s %10s %10s\n", "ring", "pid", "fd", "opcode",
			"ios", "pages");
	}
	for (size_t i = 0; i < v->nr_per_io; i++) {
		const struct per_io_violation *p = &v->per_io[i];

		fprintf(out, "  %-5u %-8u %-4d %-14s %10llu %10llu\n", p->ring, p->pid, p->fd,
			sqe_opcode_name(p->opcode, b1, sizeof(b1)), (unsigned long long)p->ios,
			(unsigned long long)p->pages);
	}
	if (v->nr_twice)
		fprintf(out, "\nmemory pinned by two rings at once:\n");
	for (size_t i = 0; i < v->nr_twice; i++) {
		const struct pinned_twice *t = &v->twice[i];

		fmt_wrapf(out, 4, "  pid %u: ring %u pinned %llu pages that ring %u already pins "
			  "(0x%llx-0x%llx), spending %s in %llu %s call(s);", t->pid,
			  t->ring, (unsigned long long)t->pages, t->other_ring,
			  (unsigned long long)t->start, (unsigned long long)t->end,
			  fmt_ns(t->pin_ns, b2, sizeof(b2)), (unsigned long long)t->calls,
			  reg_opcode_name(t->opcode) ?: "?");
		fmt_wrapf(out, 4, "    %s", clone_advice(v->clone_supported));
	}
	if (v->twice_more.pages)
		fmt_wrapf(out, 4, "  and pairs past the %d listed: %llu pages pinned again, spending %s "
			  "in %llu call(s)", RANGES_KEEP_PAIRS,
			  (unsigned long long)v->twice_more.pages,
			  fmt_ns(v->twice_more.pin_ns, b2, sizeof(b2)),
			  (unsigned long long)v->twice_more.calls);
	if (v->nr_clones)
		fprintf(out, "\nclones that did not just share:\n");
	for (size_t i = 0; i < v->nr_clones; i++) {
		const struct clone_violation *c = &v->clones[i];

		fmt_wrapf(out, 4, "  ring %u (pid %u): %llu of %llu buffers not shared, %lld pages "
			"pinned, %lld charged, %llu accounted", c->ring, c->pid,
			(unsigned long long)c->unshared, (unsigned long long)c->buffers,
			(long long)c->pinned_pages, (long long)c->charged_pages,
			(unsigned long long)c->acct_pages);
	}
	for (size_t i = 0; i < v->nr_ring_mem; i++) {
		const struct ring_memory *m = &v->ring_mem[i];

		char setup[64] = "";

		if (m->pinned_at_setup >= 0)
			snprintf(setup, sizeof(setup), ", pinned once at setup (%lld pages)",
				 (long long)m->pinned_at_setup);
		fputc('\n', out);
		fmt_wrapf(out, 2, "ring %u (pid %u) runs on memory the application gave it "
			  "(NO_MMAP): %u pages%s%s", m->ring, m->pid, m->pages,
			  m->huge ? " on huge pages" : "", setup);
	}
	render_failures_text(out, r);
	if (v->exit_status == 0)
		fmt_wrap(out, 0, 2, "\nzero repeated pinning: every IO on the traced rings used "
			 "memory already pinned, no memory is pinned by two rings, clones "
			 "pinned nothing");
}

json_object *render_check_json(const struct report *r, const struct verdict *v)
{
	json_object *doc = render_stat_json(r);
	json_object *a;
	char b1[32];

	json_object_object_add(doc, "verdict", json_object_new_string(
		v->exit_status == 0 ? "pass" : v->exit_status == 1 ? "fail" : "cannot_check"));
	json_object_object_add(doc, "exit_status", json_object_new_int(v->exit_status));
	a = json_object_new_array();
	for (int i = 0; i < v->nr_problems; i++)
		json_object_array_add(a, json_object_new_string(v->problems[i]));
	json_object_object_add(doc, "problems", a);
	a = json_object_new_array();
	for (int i = 0; i < v->nr_notes; i++)
		json_object_array_add(a, json_object_new_string(v->notes[i]));
	json_object_object_add(doc, "notes", a);
	a = json_object_new_array();
	for (size_t i = 0; i < v->nr_per_io; i++) {
		const struct per_io_violation *p = &v->per_io[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ring", json_object_new_int(p->ring));
		json_object_object_add(o, "pid", json_object_new_int(p->pid));
		json_object_object_add(o, "fd", json_object_new_int(p->fd));
		json_object_object_add(o, "opcode", json_object_new_string(
			sqe_opcode_name(p->opcode, b1, sizeof(b1))));
		json_object_object_add(o, "ios", json_object_new_uint64(p->ios));
		json_object_object_add(o, "pages", json_object_new_uint64(p->pages));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "per_io_pinning", a);
	a = json_object_new_array();
	for (size_t i = 0; i < v->nr_twice; i++) {
		const struct pinned_twice *t = &v->twice[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "pid", json_object_new_int(t->pid));
		json_object_object_add(o, "ring", json_object_new_int(t->ring));
		json_object_object_add(o, "other_ring", json_object_new_int(t->other_ring));
		json_object_object_add(o, "opcode", json_object_new_string(
			reg_opcode_name(t->opcode) ?: "?"));
		json_object_object_add(o, "pages", json_object_new_uint64(t->pages));
		json_object_object_add(o, "start", json_object_new_uint64(t->start));
		json_object_object_add(o, "end", json_object_new_uint64(t->end));
		json_object_object_add(o, "pin_ns", json_object_new_uint64(t->pin_ns));
		json_object_object_add(o, "advice", json_object_new_string(
			clone_advice(v->clone_supported)));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "pinned_twice", a);
	a = json_object_new_object();
	json_object_object_add(a, "pages", json_object_new_uint64(v->twice_more.pages));
	json_object_object_add(a, "calls", json_object_new_uint64(v->twice_more.calls));
	json_object_object_add(a, "pin_ns", json_object_new_uint64(v->twice_more.pin_ns));
	json_object_object_add(doc, "pinned_twice_more", a);
	a = json_object_new_array();
	for (size_t i = 0; i < v->nr_clones; i++) {
		const struct clone_violation *c = &v->clones[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ring", json_object_new_int(c->ring));
		json_object_object_add(o, "pid", json_object_new_int(c->pid));
		json_object_object_add(o, "buffers", json_object_new_uint64(c->buffers));
		json_object_object_add(o, "unshared", json_object_new_uint64(c->unshared));
		json_object_object_add(o, "pinned_pages", c->pinned_pages < 0 ? NULL :
				       json_object_new_int64(c->pinned_pages));
		json_object_object_add(o, "charged_pages", c->charged_pages < 0 ? NULL :
				       json_object_new_int64(c->charged_pages));
		json_object_object_add(o, "acct_pages", json_object_new_uint64(c->acct_pages));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "clone_violations", a);
	a = json_object_new_array();
	for (size_t i = 0; i < v->nr_ring_mem; i++) {
		const struct ring_memory *m = &v->ring_mem[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ring", json_object_new_int(m->ring));
		json_object_object_add(o, "pid", json_object_new_int(m->pid));
		json_object_object_add(o, "pages", json_object_new_int(m->pages));
		json_object_object_add(o, "huge", json_object_new_boolean(m->huge));
		json_object_object_add(o, "pinned_at_setup", m->pinned_at_setup < 0 ? NULL :
				       json_object_new_int64(m->pinned_at_setup));
		json_object_array_add(a, o);
	}
	json_object_object_add(doc, "ring_memory", a);
	return doc;
}
