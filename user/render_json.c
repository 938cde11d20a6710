// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stat report as JSON: the contract documented in docs/json.md. */
#include <errno.h>
#include <stdio.h>
#include "doctor.h"
#include "names.h"
#include "output.h"
#include "render.h"

#define U64(v) json_object_new_uint64(v)

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, U64(v));
}

/* A number measured by an internals hook, or null where none is attached. */
static json_object *measured(bool have, uint64_t v)
{
	return have ? U64(v) : NULL;
}

static json_object *inside_json(const struct report *r, const struct ps_inside *in)
{
	const struct measures *m = &r->measures;
	json_object *o;

	if (!m->register_fn && !m->pin && !m->charge && !m->register_buffer)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "fn_ns", measured(m->register_fn, in->fn_ns));
	json_object_object_add(o, "pinned_pages", measured(m->pin, in->pinned_pages));
	json_object_object_add(o, "pin_ns", measured(m->pin, in->pin_ns));
	json_object_object_add(o, "charged_pages", measured(m->charge, in->charged_pages));
	json_object_object_add(o, "charge_ns", measured(m->charge, in->charge_ns));
	json_object_object_add(o, "charge_failures", measured(m->charge, in->charge_failures));
	json_object_object_add(o, "buffers_tried", measured(m->register_buffer, in->bufs_tried));
	json_object_object_add(o, "buffers_failed", measured(m->register_buffer, in->bufs_failed));
	return o;
}

static json_object *reg_json(const struct report *r, const struct reg_report *g, bool clone)
{
	json_object *o = json_object_new_object();
	json_object *errors = json_object_new_object();
	json_object *opcodes = json_object_new_object();
	json_object *lat = json_object_new_object();
	char buf[32];

	add_u64(o, "calls", g->calls);
	add_u64(o, "failures", g->failures);
	add_u64(o, "slots", g->sum.slots);
	add_u64(o, "buffers", g->sum.buffers);
	add_u64(o, "bytes", g->sum.bytes);
	add_u64(o, "pages", g->sum.pages);
	add_u64(o, "bvecs", g->sum.bvecs);
	add_u64(o, "huge_buffers", g->sum.huge_buffers);
	json_object_object_add(o, "acct_pages",
			       r->acct_pages_known ? U64(g->sum.acct_pages) : NULL);
	add_u64(o, "shared", g->sum.shared);
	for (size_t i = 0; i < g->nr_errors; i++)
		add_u64(errors, errno_name(g->errors[i].err, buf, sizeof(buf)), g->errors[i].count);
	json_object_object_add(o, "errors", errors);
	for (size_t i = 0; i < g->nr_opcodes; i++)
		add_u64(opcodes, reg_opcode_label(g->opcodes[i].opcode, buf, sizeof(buf)),
			g->opcodes[i].calls);
	json_object_object_add(o, "opcodes", opcodes);
	add_u64(lat, "min", g->lat_min_ns);
	add_u64(lat, "avg", g->calls ? g->lat_total_ns / g->calls : 0);
	add_u64(lat, "max", g->lat_max_ns);
	add_u64(lat, "total", g->lat_total_ns);
	json_object_object_add(o, "latency_ns", lat);
	json_object_object_add(o, "inside", inside_json(r, &g->inside));
	if (clone) {
		json_object *srcs = json_object_new_array();

		for (size_t i = 0; i < g->nr_sources; i++) {
			const struct clone_source *cs = &g->sources[i];
			const struct ring_report *src = report_ring(r, cs->ring);
			json_object *s = json_object_new_object();

			add_u64(s, "ring", cs->ring);
			json_object_object_add(s, "pid", json_object_new_int(src ? (int)src->info.pid : -1));
			json_object_object_add(s, "fd", json_object_new_int(src ? src->info.fd : -1));
			add_u64(s, "calls", cs->calls);
			add_u64(s, "buffers", cs->buffers);
			json_object_array_add(srcs, s);
		}
		json_object_object_add(o, "sources", srcs);
	}
	return o;
}

/* A table as a look saw it (the ring's "registered"). */
static json_object *table_json(const struct report *r, const struct ring_report *ring)
{
	const struct ps_table_sum *t = &ring->registered;
	bool all = !ring->registered_partial;	/* fdinfo lists addresses and lengths only */
	json_object *o = json_object_new_object();

	add_u64(o, "slots", t->slots);
	add_u64(o, "buffers", t->buffers);
	add_u64(o, "bytes", t->bytes);
	add_u64(o, "pages", t->pages);
	json_object_object_add(o, "huge_buffers", all ? U64(t->huge_buffers) : NULL);
	json_object_object_add(o, "acct_pages",
			       all && r->acct_pages_known ? U64(t->acct_pages) : NULL);
	json_object_object_add(o, "shared", all ? U64(t->shared) : NULL);
	return o;
}

/* {"SEND_ZC": {"EINVAL": 1}}: requests refused before issue */
static json_object *refused_json(const struct ring_report *ring)
{
	json_object *o = json_object_new_object(), *op = NULL;
	char buf[32], en[32];

	for (size_t i = 0; i < ring->nr_refused; i++) {
		const struct refused_report *rf = &ring->refused[i];
		const char *name = sqe_opcode_name(rf->opcode, buf, sizeof(buf));

		if (!json_object_object_get_ex(o, name, &op)) {
			op = json_object_new_object();
			json_object_object_add(o, name, op);
		}
		add_u64(op, errno_name(rf->err, en, sizeof(en)), rf->requests);
	}
	return o;
}

static json_object *ring_json(const struct report *r, const struct ring_report *ring)
{
	json_object *o = json_object_new_object();
	json_object *fixed = json_object_new_object();
	json_object *bufidx = json_object_new_object();
	json_object *pinned = json_object_new_object();
	char buf[64];

	add_u64(o, "ring", ring->info.id);
	json_object_object_add(o, "pid", json_object_new_int(ring->info.pid));
	json_object_object_add(o, "comm", json_object_new_string(ring->info.comm));
	json_object_object_add(o, "fd", json_object_new_int(ring->info.fd));
	add_u64(o, "setup_flags", ring->info.setup_flags);
	json_object_object_add(o, "setup_flag_names", json_object_new_string(
		setup_flag_names(ring->info.setup_flags, buf, sizeof(buf))));
	add_u64(o, "sq_entries", ring->info.sq_entries);
	add_u64(o, "cq_entries", ring->info.cq_entries);
	json_object_object_add(o, "seen_at_creation",
			       json_object_new_boolean(ring->info.origin == PS_RING_CREATED));
	json_object_object_add(o, "origin", json_object_new_string(
		ring->info.origin == PS_RING_CREATED ? "created" : "found"));
	json_object_object_add(o, "gone", json_object_new_boolean(ring->gone));
	if (ring->folded)
		add_u64(o, "folded_rings", ring->folded);
	json_object_object_add(o, "registered", ring->registered_known ?
			       table_json(r, ring) : NULL);
	add_u64(o, "ring_mem_pages", ring->info.region_pages);
	json_object_object_add(o, "ring_mem_huge", json_object_new_boolean(ring->info.region_huge));
	for (int k = 0; k < REG_KINDS; k++)
		if (ring->reg[k].calls)
			json_object_object_add(o, reg_kind_name(k),
					       reg_json(r, &ring->reg[k], k == REG_CLONE));
	for (size_t i = 0; i < ring->nr_io_ops; i++) {
		const struct io_op_report *op = &ring->io_ops[i];
		json_object *e = json_object_new_object();

		add_u64(e, "ops", op->ops);
		add_u64(e, "bytes", op->bytes);
		add_u64(e, "errors", op->errors);
		json_object_object_add(fixed, sqe_opcode_name(op->opcode, buf, sizeof(buf)), e);
	}
	json_object_object_add(o, "fixed_io", r->measures.fixed_io ? fixed : NULL);
	if (!r->measures.fixed_io)
		json_object_put(fixed);
	for (size_t i = 0; i < ring->nr_buf_index; i++) {
		snprintf(buf, sizeof(buf), "%u", ring->buf_index[i].index);
		add_u64(bufidx, buf, ring->buf_index[i].ops);
	}
	json_object_object_add(o, "buf_index_ops", r->measures.fixed_io ? bufidx : NULL);
	json_object_object_add(o, "refused_io", r->measures.fixed_io ? refused_json(ring) : NULL);
	if (!r->measures.fixed_io)
		json_object_put(bufidx);
	if (r->measures.import) {
		json_object *imp = json_object_new_object();
		uint64_t errors = 0, offset = 0;

		for (size_t i = 0; i < ring->nr_imports; i++) {
			snprintf(buf, sizeof(buf), "%u", ring->imports[i].index);
			add_u64(imp, buf, ring->imports[i].imports);
			errors += ring->imports[i].errors;
			offset += ring->imports[i].offset_imports;
		}
		json_object_object_add(o, "imports", imp);
		add_u64(o, "import_errors", errors);
		add_u64(o, "offset_imports", offset);
	} else {
		json_object_object_add(o, "imports", NULL);
	}
	json_object_object_add(o, "setup_pinned_pages",
			       measured(r->measures.pin, ring->info.setup_pinned_pages));
	add_u64(pinned, "ios", ring->pinned.ios);
	add_u64(pinned, "pages", ring->pinned.pages);
	json_object_object_add(o, "pinned_io", r->measures.pinned_io ? pinned : NULL);
	if (!r->measures.pinned_io)
		json_object_put(pinned);
	return o;
}

json_object *render_header_json(const struct report *r)
{
	json_object *o = json_object_new_object();
	json_object *backend = json_object_new_object();
	json_object *hooks = json_object_new_object();

	json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
	json_object_object_add(backend, "name", json_object_new_string(r->backend));
	for (int f = 0; f < 2; f++)
		if (r->refused[f]) {
			json_object *ref;

			if (!json_object_object_get_ex(backend, "refused", &ref)) {
				ref = json_object_new_object();
				json_object_object_add(backend, "refused", ref);
			}
			json_object_object_add(ref, f ? "kprobe" : "fentry",
					       json_object_new_string(r->refused[f]));
		}
	for (size_t i = 0; i < r->nr_hooks; i++) {
		json_object *list;

		if (!json_object_object_get_ex(hooks, r->hooks[i].measure, &list)) {
			list = json_object_new_array();
			json_object_object_add(hooks, r->hooks[i].measure, list);
		}
		json_object_array_add(list, json_object_new_string(r->hooks[i].attach));
	}
	json_object_object_add(backend, "hooks", hooks);
	json_object_object_add(o, "backend", backend);
	json_object_object_add(o, "duration_s", json_object_new_double(r->duration_s));
	render_targets_json(o, r);
	add_u64(o, "lost_events", r->counters[PS_CNT_LOST_EVENTS]);
	add_u64(o, "missed_runs", r->missed_runs);
	add_u64(o, "rings_dropped", r->counters[PS_CNT_RINGS_DROPPED]);
	add_u64(o, "io_keys_dropped", r->counters[PS_CNT_IO_KEYS_DROPPED]);
	add_u64(o, "pids_dropped", r->counters[PS_CNT_PIDS_DROPPED]);
	json_object_object_add(o, "rings_found_by", r->rings_source ?
			       json_object_new_string(r->rings_source) : NULL);
	if (r->nr_progs) {
		json_object *progs = json_object_new_array();

		for (size_t i = 0; i < r->nr_progs; i++) {
			const struct prog_stat *ps = &r->progs[i];
			json_object *p = json_object_new_object();

			json_object_object_add(p, "name", json_object_new_string(ps->name));
			json_object_object_add(p, "attach", json_object_new_string(ps->attach));
			add_u64(p, "run_cnt", ps->run_cnt);
			add_u64(p, "run_time_ns", ps->run_time_ns);
			add_u64(p, "ns_per_run", ps->run_cnt ? ps->run_time_ns / ps->run_cnt : 0);
			add_u64(p, "misses", ps->misses);
			json_object_array_add(progs, p);
		}
		json_object_object_add(o, "bpf_stats", progs);
	}
	return o;
}

/* Exact over the whole session, whatever was folded or harvested. */
static json_object *totals_json(const struct report *r)
{
	const struct totals *t = &r->totals;
	json_object *o = json_object_new_object();
	json_object *fixed = json_object_new_object();
	json_object *pinned = json_object_new_object();
	char buf[64];

	add_u64(o, "rings", t->rings);
	add_u64(o, "rings_gone", t->rings_gone);
	add_u64(o, "processes_exited", r->procs_exited);
	for (int k = 0; k < REG_KINDS; k++) {
		json_object *g = json_object_new_object();

		add_u64(g, "calls", t->reg[k].calls);
		add_u64(g, "errors", t->reg[k].failures);
		add_u64(g, "buffers", t->reg[k].sum.buffers);
		add_u64(g, "bytes", t->reg[k].sum.bytes);
		add_u64(g, "pages", t->reg[k].sum.pages);
		json_object_object_add(o, reg_kind_name(k), g);
	}
	add_u64(o, "errors", t->reg_errors);
	for (size_t i = 0; i < t->nr_io_ops; i++) {
		json_object *e = json_object_new_object();

		add_u64(e, "ops", t->io_ops[i].ops);
		add_u64(e, "bytes", t->io_ops[i].bytes);
		json_object_object_add(fixed, sqe_opcode_name(t->io_ops[i].opcode, buf, sizeof(buf)),
				       e);
	}
	json_object_object_add(o, "fixed_io", r->measures.fixed_io ? fixed : NULL);
	if (!r->measures.fixed_io)
		json_object_put(fixed);
	add_u64(pinned, "ios", t->pinned.ios);
	add_u64(pinned, "pages", t->pinned.pages);
	json_object_object_add(o, "pinned_io", r->measures.pinned_io ? pinned : NULL);
	if (!r->measures.pinned_io)
		json_object_put(pinned);
	return o;
}

json_object *render_stat_json(const struct report *r)
{
	json_object *o = render_header_json(r);
	json_object *rings = json_object_new_array();
	json_object *procs = json_object_new_array();

	json_object_object_add(o, "totals", totals_json(r));
	for (size_t i = 0; i < r->nr_rings; i++)
		json_object_array_add(rings, ring_json(r, &r->rings[i]));
	json_object_object_add(o, "rings", rings);
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct proc_report *p = &r->procs[i];
		json_object *po = json_object_new_object();
		json_object *dio = json_object_new_object();

		json_object_object_add(po, "pid", json_object_new_int(p->pid));
		json_object_object_add(po, "comm", json_object_new_string(p->st.comm));
		add_u64(dio, "ios", p->st.dio_ios);
		add_u64(dio, "pages", p->st.dio_pages);
		json_object_object_add(po, "direct_io", dio);
		add_u64(po, "pinned_bios", p->st.pinned_bios);
		json_object_object_add(po, "io_pinned_pages",
				       measured(r->measures.io_pin, p->st.io_pinned_pages));
		json_object_object_add(po, "io_pin_calls",
				       measured(r->measures.io_pin, p->st.io_pin_calls));
		json_object_array_add(procs, po);
	}
	json_object_object_add(o, "processes", procs);
	json_object *fails = json_object_new_array();

	for (size_t i = 0; i < r->nr_failures; i++)
		json_object_array_add(fails, doctor_json(&r->failures[i]));
	json_object_object_add(o, "failed_registrations", fails);
	add_u64(o, "failed_registrations_more", r->failures_more);
	return o;
}

void render_json_print(FILE *out, json_object *doc, bool pretty)
{
	const char *text = psj_failed() ? NULL : json_object_to_json_string_ext(doc, pretty ?
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE :
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	psj_reset();
	if (!text) {
		output_fail(ENOMEM);	/* no half-built document: the error instead */
		return;
	}
	fprintf(out, "%s\n", text);
}
