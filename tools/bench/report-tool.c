// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Sections 4 and 5: what fixed buffers buy on O_DIRECT reads (with
 * pinscope's pinned-IO counts as the evidence), and what pinscope costs to
 * start and to keep in memory.
 */
#include <math.h>
#include <string.h>
#include "report.h"

#define ATTACH_TARGET_MS	150.0
#define RSS_TARGET_MIB		16.0

void section_direct(struct report *r)
{
	json_object *recs[MAX_RECS], *traced[4], *arr = json_object_new_array();
	size_t n = recs_of(r, "direct", recs, MAX_RECS);
	size_t nt = recs_of(r, "direct_traced", traced, 4);
	char b[8][32];

	fprintf(r->md, "## 4. What fixed buffers buy (O_DIRECT)\n\n");
	json_object_object_add(r->doc, "direct", arr);
	if (n == 1 && get(recs[0], "skipped")) {
		fprintf(r->md, "Not measured: %s.\n\n", str(recs[0], "skipped"));
		return;
	}
	fprintf(r->md, "The same file and depth (32 × 4 KiB random reads per submit), O_DIRECT, "
		"READ_FIXED against READ on user memory; rounds interleaved. The pinscope columns "
		"come from one more run of each under `pinscope stat`.\n\n"
		"| buffers | IOPS median | min – max | CPU µs/IO | fixed IOs | IOs pinning "
		"per IO | pages pinned | pinned bios |\n"
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (int fixed = 1; fixed >= 0; fixed--) {
		double iops[MAX_SAMPLES], cpu[MAX_SAMPLES];
		json_object *o = json_object_new_object(), *t = NULL, *ring = NULL, *proc = NULL;
		size_t k = 0;

		for (size_t i = 0; i < n && k < MAX_SAMPLES; i++) {
			if (json_object_get_boolean(get(recs[i], "fixed")) != fixed)
				continue;
			iops[k] = num(recs[i], "load.iops");
			cpu[k++] = num(recs[i], "load.cpu_ns_per_io") / 1e3;
		}
		for (size_t i = 0; i < nt; i++)
			if (json_object_get_boolean(get(traced[i], "fixed")) == fixed)
				t = traced[i];
		if (t) {
			ring = ring_of(get(t, "pinscope"), num(t, "load.pid"), num(t, "load.ring_fd"));
			proc = process_of(get(t, "pinscope"), num(t, "load.pid"));
		}
		if (!k || !ring)
			harness_error(r, "O_DIRECT %s: %s", fixed ? "fixed" : "not fixed",
				      !k ? "no rounds" : "pinscope has no ring for the load");
		struct spread s = spread_of(iops, k), c = spread_of(cpu, k);
		double fixed_ops = num(ring, "fixed_io.READ_FIXED.ops");
		/* a process with no pinned bio has no entry in the report */
		double pinned_bios = ring && !proc ? 0 : num(proc, "pinned_bios");

		fprintf(r->md, "| %s | %s | %s – %s | %s | %s | %s | %s | %s |\n",
			fixed ? "registered (READ_FIXED)" : "user memory (READ)",
			fmt(b[0], 32, "%.0f", s.median), fmt(b[1], 32, "%.0f", s.min),
			fmt(b[2], 32, "%.0f", s.max), fmt(b[3], 32, "%.2f", c.median),
			fmt(b[4], 32, "%.0f", isnan(fixed_ops) && ring ? 0 : fixed_ops),
			fmt(b[5], 32, "%.0f", num(ring, "pinned_io.ios")),
			fmt(b[6], 32, "%.0f", num(ring, "pinned_io.pages")),
			fmt(b[7], 32, "%.0f", pinned_bios));
		json_object_object_add(o, "fixed", json_object_new_boolean(fixed));
		json_object_object_add(o, "iops", jspread(s));
		json_object_object_add(o, "cpu_us_per_io", jspread(c));
		json_object_object_add(o, "traced_ios", jnum(num(t, "load.ios")));
		json_object_object_add(o, "fixed_ios", jnum(isnan(fixed_ops) && ring ? 0 : fixed_ops));
		json_object_object_add(o, "pinned_ios", jnum(num(ring, "pinned_io.ios")));
		json_object_object_add(o, "pinned_pages", jnum(num(ring, "pinned_io.pages")));
		json_object_object_add(o, "pinned_bios", jnum(pinned_bios));
		json_object_array_add(arr, o);
	}
	fprintf(r->md, "\npinscope's counts cover the whole traced run, its 0.2 s warm-up "
		"included. Pinned bios are per process (pinscope's `processes`).\n\n");
}

void section_startup(struct report *r)
{
	json_object *recs[8], *arr = json_object_new_array();
	size_t n = recs_of(r, "startup", recs, 8);
	char b[4][32], what[96];

	fprintf(r->md, "## 5. The tool itself\n\n"
		"Exec to attached: until the first stderr line saying so (`Tracing …` for "
		"pinscope); then SIGINT, the report, and wait4's ru_maxrss for the peak RSS. "
		"For scale: the floor's loader (libbpf, one tp_btf program) and the bpftrace "
		"peer.\n\n"
		"| tool | exec → attached ms | min – max | peak RSS MiB | runs |\n"
		"| --- | ---: | ---: | ---: | ---: |\n");
	for (size_t i = 0; i < n; i++) {
		json_object *att = get(recs[i], "result.attach_ns"), *rss = get(recs[i], "result.maxrss_kib");
		json_object *o = json_object_new_object();
		const char *tool = str(recs[i], "tool");
		double ms[MAX_SAMPLES], mib[MAX_SAMPLES];
		size_t k = 0;

		for (size_t j = 0; att && rss && j < json_object_array_length(att) && k < MAX_SAMPLES; j++) {
			ms[k] = json_object_get_double(json_object_array_get_idx(att, j)) / 1e6;
			mib[k++] = json_object_get_double(json_object_array_get_idx(rss, j)) / 1024;
		}
		struct spread a = spread_of(ms, k), m = spread_of(mib, k);

		fprintf(r->md, "| %s%s | %s | %s – %s | %s | %zu |\n",
			strcmp(tool, "stat") && strcmp(tool, "trace") ? "" : "pinscope ", tool,
			fmt(b[0], 32, "%.0f", a.median), fmt(b[1], 32, "%.0f", a.min),
			fmt(b[2], 32, "%.0f", a.max), fmt(b[3], 32, "%.1f", m.max), k);
		json_object_object_add(o, "tool", json_object_new_string(tool));
		json_object_object_add(o, "attach_ms", jspread(a));
		json_object_object_add(o, "peak_rss_mib", jspread(m));
		json_object_array_add(arr, o);
		if (strcmp(tool, "stat") && strcmp(tool, "trace"))
			continue;	/* the floor's loader and bpftrace: for scale only */
		if (!k)
			harness_error(r, "startup %s: no runs", tool);
		snprintf(what, sizeof(what), "`%s`: exec → attached ≤ %.0f ms", tool, ATTACH_TARGET_MS);
		target(r, !strcmp(tool, "stat") ? "5a" : "5c", what,
		       !k ? UNCLEAR : a.median <= ATTACH_TARGET_MS ? PASS : MISS,
		       "%s ms median (max %s)", fmt(b[0], 32, "%.0f", a.median),
		       fmt(b[1], 32, "%.0f", a.max));
		snprintf(what, sizeof(what), "`%s`: peak RSS ≤ %.0f MiB", tool, RSS_TARGET_MIB);
		target(r, !strcmp(tool, "stat") ? "5b" : "5d", what,
		       !k ? UNCLEAR : m.max <= RSS_TARGET_MIB ? PASS : MISS,
		       "%s MiB", fmt(b[0], 32, "%.1f", m.max));
	}
	fprintf(r->md, "\n");
	json_object_object_add(r->doc, "startup", arr);
}
