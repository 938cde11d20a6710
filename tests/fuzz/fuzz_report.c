// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The report as collect.c and harvest.c build it from the BPF maps' values
 * (rings, registrations, IOs, buffer indexes, pins, imports, processes,
 * histograms, counters, failed registrations), made from the input, through
 * what turns it into output: report_totals, the stat, hist and check
 * renderers (text and JSON) and the verdict. Every array is its own
 * allocation of exactly its length, as collect.c's are, and empty ones are
 * NULL.
 */
#include "doctor.h"
#include "fuzz.h"
#include "ranges.h"
#include "render.h"
#include "report.h"
#include "verdict.h"

/* n (from the input, at most max) elements of elsz bytes each, or NULL */
static void *take_array(struct fuzz_input *in, size_t *n, size_t elsz, size_t max)
{
	char *arr;

	*n = fuzz_byte(in) % (max + 1);
	if (!*n)
		return NULL;
	arr = malloc(*n * elsz);
	for (size_t i = 0; i < *n; i++)
		fuzz_take(in, arr + i * elsz, elsz);
	return arr;
}

static void take_reg(struct fuzz_input *in, struct reg_report *g)
{
	fuzz_take(in, &g->calls, sizeof(g->calls));
	fuzz_take(in, &g->failures, sizeof(g->failures));
	fuzz_take(in, &g->lat_total_ns, sizeof(g->lat_total_ns));
	fuzz_take(in, &g->lat_min_ns, sizeof(g->lat_min_ns));
	fuzz_take(in, &g->lat_max_ns, sizeof(g->lat_max_ns));
	fuzz_take(in, &g->sum, sizeof(g->sum));
	fuzz_take(in, &g->inside, sizeof(g->inside));
	g->errors = take_array(in, &g->nr_errors, sizeof(*g->errors), 4);
	g->opcodes = take_array(in, &g->nr_opcodes, sizeof(*g->opcodes), 4);
	g->sources = take_array(in, &g->nr_sources, sizeof(*g->sources), 4);
}

static void take_ring(struct fuzz_input *in, struct ring_report *ring)
{
	uint8_t flags = fuzz_byte(in);

	fuzz_take(in, &ring->info, sizeof(ring->info));
	ring->info.comm[PS_COMM_LEN - 1] = '\0';	/* as collect_rings leaves it */
	for (int k = 0; k < REG_KINDS; k++)
		if (flags & (1 << k))
			take_reg(in, &ring->reg[k]);
	ring->io_ops = take_array(in, &ring->nr_io_ops, sizeof(*ring->io_ops), 8);
	ring->buf_index = take_array(in, &ring->nr_buf_index, sizeof(*ring->buf_index), 16);
	fuzz_take(in, &ring->pinned, sizeof(ring->pinned));
	ring->pinned_ops = take_array(in, &ring->nr_pinned_ops, sizeof(*ring->pinned_ops), 4);
	ring->imports = take_array(in, &ring->nr_imports, sizeof(*ring->imports), 8);
	fuzz_take(in, &ring->registered, sizeof(ring->registered));
	ring->registered_known = flags & 0x10;
	ring->gone = flags & 0x20;
	if (flags & 0x40)
		fuzz_take(in, &ring->folded, sizeof(ring->folded));
}

static struct reg_failure *take_failures(struct fuzz_input *in, size_t *n)
{
	struct reg_failure *f;

	*n = fuzz_byte(in) % 4;
	if (!*n)
		return NULL;
	f = malloc(*n * sizeof(*f));
	for (size_t i = 0; i < *n; i++) {
		struct ps_event e;

		fuzz_take(in, &e, sizeof(e));
		failure_from_event(&f[i], &e, e.fd & 1);
	}
	return f;
}

static void render_all(FILE *out, const struct report *r, bool clone_supported)
{
	json_object *doc;
	struct verdict v = {};
	struct ranges *rg = ranges_new();

	render_stat_text(out, r, 3);
	doc = render_stat_json(r);
	FUZZ_CHECK(json_object_to_json_string(doc));
	json_object_put(doc);
	render_hist_text(out, r, true);
	doc = render_hist_json(r);
	FUZZ_CHECK(json_object_to_json_string(doc));
	json_object_put(doc);
	verdict_evaluate(&v, r, rg, clone_supported, clone_supported ? NULL : "no signal");
	FUZZ_CHECK(v.exit_status >= 0 && v.exit_status <= 2);
	render_check_text(out, r, &v);
	doc = render_check_json(r, &v);
	FUZZ_CHECK(json_object_to_json_string(doc));
	json_object_put(doc);
	verdict_free(&v);
	ranges_free(rg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tracer_hook hooks[] = {
		{ "fixed_io", "tp_btf/io_uring_complete" },
		{ "pin", "fentry/io_pin_pages" },
	};
	static char *argv[] = { "fio", "--name=x", NULL };
	struct fuzz_input in = { data, size };
	uint8_t flags = fuzz_byte(&in);
	struct report r = {
		.kernel = "6.18.0-fuzz",
		.backend = "tracepoint",
		.refused = { flags & 1 ? "load: Operation not permitted" : NULL, NULL },
		.measures = { .pin = flags & 2, .charge = flags & 2, .import = flags & 4,
			      .fixed_io = flags & 8, .pinned_io = flags & 8 },
		.hooks = hooks,
		.nr_hooks = 2,
		.acct_pages_known = flags & 16,
		.duration_s = 1.5,
		.has_command = flags & 32,
		.argv = argv,
		.pid = 42,
		.exit_status = flags & 64 ? 0 : -1,
		.rings_source = "bpf_iter",
	};
	struct reg_failure *fails;
	FILE *out = fuzz_quiet();

	r.nr_rings = fuzz_byte(&in) % 7;
	r.rings = r.nr_rings ? calloc(r.nr_rings, sizeof(*r.rings)) : NULL;
	for (size_t i = 0; i < r.nr_rings; i++)
		take_ring(&in, &r.rings[i]);
	r.procs = take_array(&in, &r.nr_procs, sizeof(*r.procs), 4);
	for (size_t i = 0; i < r.nr_procs; i++)
		r.procs[i].st.comm[PS_COMM_LEN - 1] = '\0';	/* as collect_procs leaves it */
	r.hists = take_array(&in, &r.nr_hists, sizeof(*r.hists), 4);
	fuzz_take(&in, r.counters, sizeof(r.counters));
	fuzz_take(&in, &r.procs_exited, sizeof(r.procs_exited));
	fails = take_failures(&in, &r.nr_failures);
	r.failures = fails;
	report_totals(&r);
	render_all(out, &r, flags & 128);
	report_free(&r);
	free(fails);
	return 0;
}
