// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Section 7: what tracing costs the application's registration calls
 * (issue #11). One regcall process ran throughout; each tracer's segment
 * lies between two untraced ones. Per segment the load reports the median
 * wall time of each call per point; a traced segment's ratio is its median
 * ÷ the mean of its two neighbours'; the target is judged on the median of
 * those ratios over rounds, PASS or MISS only beyond two standard errors.
 * The tracer's own counts must equal the calls the load made in its segment.
 * The floor (`regfloor`: tools/bench/floor.c -r, two programs that only time
 * the call) is measured the same way and judged by no target: it shows which
 * limits lie below what any tracepoint-timed tracer costs here.
 */
#include <math.h>
#include <string.h>
#include "report.h"

#define MAX_SEGS	512
#define MAX_CONDS	8

static const struct call {
	const char *key, *desc;
	double limit, limit16;	/* traced ÷ untraced; 16 buffers: limit16 */
} calls[] = {
	{ "register", "REGISTER_BUFFERS", 1.15, 1.5 },
	{ "register2", "REGISTER_BUFFERS2", 1.15, 1.5 },
	{ "update", "BUFFERS_UPDATE", 1.15, 1.5 },
	{ "clone", "CLONE_BUFFERS", 1.25, 1.5 },
	{ "unregister", "UNREGISTER", 1.15, 1.5 },
};
#define NR_CALLS (sizeof(calls) / sizeof(calls[0]))
#define SETUP_LIMIT	1.15
#define POOL_MIN	0.85	/* rings/s traced ÷ untraced */

/* The same rule as section 1: a verdict only beyond two standard errors. */
static double se_of(struct spread s)
{
	return s.n < 2 ? NAN : 1.253 * (s.q3 - s.q1) / 1.349 / sqrt(s.n);
}

static enum status judge(struct spread s, double limit, bool at_least)
{
	double margin = at_least ? limit - s.median : s.median - limit, err = se_of(s);

	if (isnan(margin) || isnan(err) || fabs(margin) <= 2 * err)
		return UNCLEAR;
	return margin <= 0 ? PASS : MISS;
}

/* A segment's number: the median of a call at a point, setup, or rings/s. */
static double seg_value(json_object *seg, const char *point, const char *call)
{
	char path[96];

	if (!point)
		return !strcmp(call, "setup") ? num(seg, "setup_ns") :
			num(seg, "pool_rings") / num(seg, "pool_s");
	snprintf(path, sizeof(path), "median_ns.%s.%s", point, call);
	return num(seg, path);
}

/* Ratios of every segment of cond to its neighbours; returns how many. */
static size_t ratios(json_object *segs, const char *cond, const char *point, const char *call,
		     double *out)
{
	size_t n = 0, len = segs ? json_object_array_length(segs) : 0;
	size_t cl = strlen(cond);

	for (size_t i = 1; i + 1 < len && n < MAX_SAMPLES; i++) {
		json_object *s = json_object_array_get_idx(segs, i);
		json_object *a = json_object_array_get_idx(segs, i - 1);
		json_object *b = json_object_array_get_idx(segs, i + 1);
		const char *c = str(s, "cond");

		if (strncmp(c, cond, cl) || c[cl] != '.' || strncmp(str(a, "cond"), "none.", 5) ||
		    strncmp(str(b, "cond"), "none.", 5))
			continue;
		out[n++] = seg_value(s, point, call) /
			   ((seg_value(a, point, call) + seg_value(b, point, call)) / 2);
	}
	return n;
}

/* The load's segment of a tracer run, by label. */
static json_object *segment_of(json_object *segs, const char *cond, int round)
{
	char label[64];

	snprintf(label, sizeof(label), "%s.%d", cond, round);
	for (size_t i = 0; segs && i < json_object_array_length(segs); i++)
		if (str_is(json_object_array_get_idx(segs, i), "cond", label))
			return json_object_array_get_idx(segs, i);
	return NULL;
}

/* Sum over the load's rings in a pinscope report of one registration number. */
static double report_sum(json_object *doc, int pid, const char *path)
{
	json_object *rings = get(doc, "rings");
	double total = 0;

	for (size_t i = 0; rings && i < json_object_array_length(rings); i++) {
		json_object *ring = json_object_array_get_idx(rings, i);
		double v = num(ring, path);

		if (num(ring, "pid") == pid && !isnan(v))
			total += v;
	}
	return total;
}

/* stat, check, --registration-only: their counts against the load's calls. */
static void check_counts(struct report *r, json_object *rec, json_object *load)
{
	static const char *const keys[][2] = {
		{ "REGISTER_BUFFERS", "register.opcodes.REGISTER_BUFFERS" },
		{ "REGISTER_BUFFERS2", "register.opcodes.REGISTER_BUFFERS2" },
		{ "REGISTER_BUFFERS_UPDATE", "update.calls" },
		{ "REGISTER_CLONE_BUFFERS", "clone.calls" },
		{ "UNREGISTER_BUFFERS", "unregister.calls" },
	};
	const char *cond = str(rec, "cond");
	json_object *seg = segment_of(get(load, "segments"), cond, num(rec, "round")), *doc;
	char path[160], err[64] = "";

	if (strcmp(cond, "stat") && strcmp(cond, "check") && strcmp(cond, "regonly"))
		return;
	if (!seg) {
		harness_error(r, "regcost %s round %.0f: the load has no such segment", cond,
			      num(rec, "round"));
		return;
	}
	snprintf(path, sizeof(path), "%s", str(rec, "tracer_json"));
	doc = json_object_from_file(path);
	if (!doc) {
		harness_error(r, "regcost %s round %.0f: no report in %s", cond, num(rec, "round"),
			      path);
		return;
	}
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		char want_path[64];
		double want, got = report_sum(doc, num(load, "pid"), keys[k][1]);

		snprintf(want_path, sizeof(want_path), "calls.%s", keys[k][0]);
		want = num(seg, want_path);
		if (got != want && !*err)
			snprintf(err, sizeof(err), "%s %.0f, the load made %.0f", keys[k][0], got,
				 want);
	}
	if (*err)
		harness_error(r, "regcost %s round %.0f: the tracer counted %s", cond,
			      num(rec, "round"), err);
	json_object_put(doc);
}

static const char *status_word(enum status st)
{
	return st == PASS ? "PASS" : st == MISS ? "MISS" : "UNCLEAR";
}

#define FLOOR_COND	"regfloor"

/* One cond's table; its targets, one per call kind over the points (none for the floor). */
static void cond_section(struct report *r, json_object *load, const char *cond, json_object *out,
			 bool have_floor)
{
	bool is_floor = !strcmp(cond, FLOOR_COND);
	json_object *segs = get(load, "segments"), *pts = get(load, "points");
	json_object *jc = json_object_new_object();
	size_t npts = pts ? json_object_array_length(pts) : 0;
	double v[MAX_SAMPLES];
	double fv[MAX_SAMPLES];
	char b[4][32];

	if (is_floor)
		fprintf(r->md, "#### The floor (`%s`)\n\nTwo programs that only time each call "
			"(tp_btf sys_enter and the io_uring_register tracepoint: task storage and "
			"the clock), what any tracepoint-timed tracer costs here; no target "
			"judges it. A tracer's cell marked \"floor\" has a limit this floor "
			"already misses.\n\n", cond);
	else
		fprintf(r->md, "#### `%s`\n\n", cond);
	fprintf(r->md, "| call | ");
	for (size_t p = 0; p < npts; p++)
		fprintf(r->md, "%s | ", str(json_object_array_get_idx(pts, p), "name"));
	fprintf(r->md, "\n| --- |");
	for (size_t p = 0; p < npts; p++)
		fprintf(r->md, " ---: |");
	fprintf(r->md, "\n");
	for (size_t c = 0; c < NR_CALLS; c++) {
		enum status worst = PASS;
		char measured[256] = "";
		size_t ml = 0;

		fprintf(r->md, "| %s |", calls[c].desc);
		for (size_t p = 0; p < npts; p++) {
			json_object *pt = json_object_array_get_idx(pts, p);
			const char *name = str(pt, "name");
			double limit = num(pt, "buffers") <= 16 && !strncmp(name, "4k", 2) ?
				       calls[c].limit16 : calls[c].limit;
			struct spread s = spread_of(v, ratios(segs, cond, name, calls[c].key, v));
			struct spread f = have_floor && !is_floor ?
				spread_of(fv, ratios(segs, FLOOR_COND, name, calls[c].key, fv)) :
				(struct spread){ .median = NAN };
			bool below_floor = !isnan(f.median) && judge(f, limit, false) == MISS;
			enum status st = judge(s, limit, false);
			char key[64];

			if (st == MISS || (st == UNCLEAR && worst == PASS))
				worst = st;
			fprintf(r->md, " %s× ± %s %s%s |", fmt(b[0], 32, "%.2f", s.median),
				fmt(b[1], 32, "%.2f", se_of(s)), is_floor ? "" : status_word(st),
				below_floor ? " (floor)" : "");
			if (ml < sizeof(measured))
				ml += snprintf(measured + ml, sizeof(measured) - ml,
					       "%s%s %s× (≤ %.2f%s%s%s)", p ? ", " : "", name,
					       fmt(b[2], 32, "%.2f", s.median), limit,
					       below_floor ? "; the floor alone " : "",
					       below_floor ? fmt(b[3], 32, "%.2f", f.median) : "",
					       below_floor ? "×" : "");
			snprintf(key, sizeof(key), "%s.%s", calls[c].key, name);
			json_object_object_add(jc, key, jspread(s));
		}
		fprintf(r->md, "\n");
		if (is_floor)
			continue;
		char id[32], what[96];

		snprintf(id, sizeof(id), "11-%s", cond);
		snprintf(what, sizeof(what), "`%s`: %s traced ÷ untraced", cond, calls[c].desc);
		target(r, id, what, worst, "%s", measured);
	}
	for (int k = 0; k < 2; k++) {
		const char *what = k ? "pool" : "setup";
		struct spread s = spread_of(v, ratios(segs, cond, NULL, what, v));
		enum status st = judge(s, k ? POOL_MIN : SETUP_LIMIT, k);
		char id[32], desc[96];

		fprintf(r->md, "\n%s: %s× ± %s%s%s", k ? "Pool rings per second" :
			"Ring setup + teardown", fmt(b[0], 32, "%.2f", s.median),
			fmt(b[1], 32, "%.2f", se_of(s)), is_floor ? "" : ", ",
			is_floor ? "" : status_word(st));
		json_object_object_add(jc, what, jspread(s));
		if (is_floor)
			continue;
		snprintf(id, sizeof(id), "11-%s", cond);
		snprintf(desc, sizeof(desc), k ? "`%s`: pool rings/s traced ÷ untraced ≥ 0.85" :
			 "`%s`: ring setup + teardown ≤ 1.15 ×", cond);
		target(r, id, desc, st, "%s× ± %s", fmt(b[0], 32, "%.2f", s.median),
		       fmt(b[1], 32, "%.2f", se_of(s)));
	}
	fprintf(r->md, "\n\n");
	json_object_object_add(out, cond, jc);
}

void section_regcost(struct report *r)
{
	json_object *loads[1], *recs[MAX_RECS], *skips[4], *out = json_object_new_object();
	const char *conds[MAX_CONDS];
	bool have_floor = false;
	size_t nconds = 0, n = recs_of(r, "regcost", recs, MAX_RECS);
	size_t nskip = recs_of(r, "regcost_skip", skips, 4);
	json_object *load;

	fprintf(r->md, "## 7. What tracing costs each registration call\n\n"
		"One process (tools/bench/regcall.c) repeats, for each point (N buffers of 4 KiB "
		"or of 2 MiB hugetlb pages): REGISTER_BUFFERS on ring A, REGISTER_BUFFERS2 and "
		"BUFFERS_UPDATE of every slot on ring B, CLONE_BUFFERS of A into ring C, "
		"UNREGISTER of C, B and A (the table is A's); then one ring setup + teardown and "
		"16 pool rings (created, given a 900-buffer pool by clone, 4 READ_FIXED, "
		"destroyed). Each call is timed alone by the application. Each tracer attaches "
		"with `-p` for one segment between two untraced ones; a cell is the median over "
		"rounds of (traced median ÷ mean of the neighbours' medians) ± its standard error, "
		"PASS or MISS only beyond two of them. The tracers' counts must equal the "
		"calls the load made (else a harness error).\n\n");
	for (size_t i = 0; i < nskip; i++)
		fprintf(r->md, "Not measured: %s (%s).\n\n", str(skips[i], "what"),
			str(skips[i], "why"));
	if (!recs_of(r, "regcost_load", loads, 1)) {
		harness_error(r, "regcost: the load's record is missing");
		fprintf(r->md, "Not measured.\n\n");
		json_object_put(out);
		return;
	}
	load = get(loads[0], "load");
	for (size_t i = 0; i < n; i++) {
		const char *c = str(recs[i], "cond");
		size_t k = 0;

		check_counts(r, recs[i], load);
		have_floor |= !strcmp(c, FLOOR_COND);
		while (k < nconds && strcmp(conds[k], c))
			k++;
		if (k == nconds && nconds < MAX_CONDS)
			conds[nconds++] = c;
	}
	if (have_floor)
		cond_section(r, load, FLOOR_COND, out, true);
	for (size_t k = 0; k < nconds; k++)
		if (strcmp(conds[k], FLOOR_COND))
			cond_section(r, load, conds[k], out, have_floor);
	json_object_object_add(r->doc, "regcost", out);
}
