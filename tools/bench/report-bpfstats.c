// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Section 2: what each BPF program costs per run, from the kernel's
 * run-time statistics, held only while these runs measure.
 */
#include <math.h>
#include <string.h>
#include "report.h"

/* IOs the tracer saw the load do: the measured ones and the warm-up's. */
static double all_ios(json_object *rec)
{
	double warm = num(rec, "load.warmup_ios");

	return num(rec, "load.ios") + (isnan(warm) ? 0 : warm);
}

static const char *const stat_conds[] = { "floor+stats", "stat+stats", "hist+stats" };

/* Per-program ns per run, median over rounds; per-IO programs judged. */
struct slowest {
	double ns;	/* ns per run of the slowest program on the IO path */
	char name[64];
};

/*
 * One row per program that ran. floor_ns: the empty floor program's ns/run,
 * set by the floor's own rows (they come first), so every other row shows
 * what its body costs above an empty program.
 */
static void program_rows(struct report *r, json_object **recs, size_t n, const char *cond,
			 json_object *arr, struct slowest *worst, double *floor_ns)
{
	char names[16][64];
	size_t nr_names = 0;
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32];
	bool is_floor = !strcmp(cond, "floor+stats");

	for (size_t i = 0; i < n; i++) {
		json_object *progs = get(recs[i], "tracer.bpf_stats");

		if (!str_is(recs[i], "cond", cond))
			continue;
		if (!progs)
			harness_error(r, "%s: no bpf_stats in the tracer's output", cond);
		for (size_t p = 0; progs && p < json_object_array_length(progs); p++) {
			const char *name = str(json_object_array_get_idx(progs, p), "name");
			bool known = false;

			for (size_t k = 0; k < nr_names; k++)
				known |= !strcmp(names[k], name);
			if (!known && nr_names < 16)
				snprintf(names[nr_names++], 64, "%s", name);
		}
	}
	for (size_t k = 0; k < nr_names; k++) {
		double ns[MAX_SAMPLES], per_io[MAX_SAMPLES], runs[MAX_SAMPLES];
		const char *attach = "";
		size_t m = 0;

		for (size_t i = 0; i < n && m < MAX_SAMPLES; i++) {
			json_object *progs = get(recs[i], "tracer.bpf_stats");

			if (!str_is(recs[i], "cond", cond))
				continue;
			for (size_t p = 0; progs && p < json_object_array_length(progs); p++) {
				json_object *pr = json_object_array_get_idx(progs, p);
				double cnt = num(pr, "run_cnt");

				if (strcmp(str(pr, "name"), names[k]) || !(cnt > 0))
					continue;
				attach = str(pr, "attach");
				ns[m] = num(pr, "run_time_ns") / cnt;
				runs[m] = cnt;
				per_io[m++] = cnt / all_ios(recs[i]);
			}
		}
		if (!m)
			continue;	/* never ran: a hook for IO this load does not do */
		struct spread s = spread_of(ns, m), io = spread_of(per_io, m);
		/*
		 * On the IO path: per IO, or per io_uring_enter (1 in DEPTH IOs).
		 * The count floor keeps other tenants' registrations out when a
		 * starved load did few IOs.
		 */
		bool hot = io.median >= 0.01 && spread_of(runs, m).median >= 1000;
		json_object *o = json_object_new_object();

		if (is_floor)
			*floor_ns = s.median;
		else if (hot && s.median > worst->ns) {
			worst->ns = s.median;
			snprintf(worst->name, sizeof(worst->name), "%s", names[k]);
		}
		fprintf(r->md, "| %s | %s | `%s` | %s | %s – %s | %s | %s | %s |\n", cond, names[k],
			attach, fmt(b1, 32, "%.1f", s.median), fmt(b2, 32, "%.1f", s.min),
			fmt(b3, 32, "%.1f", s.max), fmt(b6, 32, "%+.1f",
			is_floor || !hot ? NAN : s.median - *floor_ns), fmt(b4, 32, "%.2f", io.median),
			fmt(b5, 32, "%.1f", s.median * io.median));
		json_object_object_add(o, "config", json_object_new_string(cond));
		json_object_object_add(o, "name", json_object_new_string(names[k]));
		json_object_object_add(o, "attach", json_object_new_string(attach));
		json_object_object_add(o, "ns_per_run", jspread(s));
		json_object_object_add(o, "above_floor_ns",
				       jnum(is_floor || !hot ? NAN : s.median - *floor_ns));
		json_object_object_add(o, "runs_per_io", jnum(io.median));
		json_object_object_add(o, "ns_per_io", jnum(s.median * io.median));
		json_object_object_add(o, "io_path", json_object_new_boolean(hot));
		json_object_array_add(arr, o);
	}
}

void section_bpf_stats(struct report *r)
{
	json_object *recs[MAX_RECS], *arr = json_object_new_array(), *o = json_object_new_object();
	struct spread floor, floor_stats;
	struct slowest worst[3] = {};	/* per config of stat_conds */
	double v[MAX_SAMPLES], w[MAX_SAMPLES], stats_cost, floor_ns = NAN;
	size_t n = recs_of(r, "bpf_stats", recs, MAX_RECS), a = 0, b = 0;
	char b1[32], b2[32], b3[32], b4[32], b5[32];

	for (size_t i = 0; i < n; i++) {
		if (num(recs[i], "tracer_exit") != 0)
			harness_error(r, "bpf_stats %s round %.0f: tracer failed", str(recs[i], "cond"),
				      num(recs[i], "round"));
		else if (str_is(recs[i], "cond", "floor") && a < MAX_SAMPLES)
			v[a++] = num(recs[i], "load.cpu_ns_per_io");
		else if (str_is(recs[i], "cond", "floor+stats") && b < MAX_SAMPLES)
			w[b++] = num(recs[i], "load.cpu_ns_per_io");
	}
	floor = spread_of(v, a);
	floor_stats = spread_of(w, b);
	stats_cost = floor_stats.median - floor.median;

	fprintf(r->md, "## 2. Cost per event (BPF run-time statistics)\n\n"
		"The same load; `BPF_ENABLE_STATS` is held only during these runs "
		"(`pinscope --bpf-stats`, the floor's `-s`). run_time_ns / run_cnt per program, "
		"median over rounds. runs/IO ≈ 1 marks a per-IO program, ≈ 1/32 one per "
		"io_uring_enter; both are on the IO path and judged. Tracers count system-wide, "
		"so other tenants' IO can push runs/IO above 1. \"vs floor\": ns/run above the "
		"empty floor program, i.e. what the program's body costs beyond the dispatch and "
		"the statistics' own clock reads. ns/IO = ns/run × runs/IO: where the time "
		"goes.\n\n"
		"| config | program | attach | ns/run | min – max | vs floor | runs/IO | ns/IO |\n"
		"| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t c = 0; c < sizeof(stat_conds) / sizeof(stat_conds[0]); c++)
		program_rows(r, recs, n, stat_conds[c], arr, &worst[c], &floor_ns);
	fprintf(r->md, "\nWhat the statistics themselves cost: the floor's load takes %s CPU "
		"ns/IO without them and %s with them, %s ns more per program run (the issue "
		"expects ~20 ns); the ns/run above include part of that.\n\n",
		fmt(b1, 32, "%.0f", floor.median), fmt(b2, 32, "%.0f", floor_stats.median),
		fmt(b3, 32, "%.1f", stats_cost));
	json_object_object_add(o, "programs", arr);
	json_object_object_add(o, "stats_cost_ns_per_io", jnum(stats_cost));
	json_object_object_add(o, "floor_cpu_ns_per_io", jspread(floor));
	json_object_object_add(o, "floor_stats_cpu_ns_per_io", jspread(floor_stats));
	json_object_object_add(r->doc, "bpf_stats", o);
	/*
	 * The issue allows the statistics ~20 ns of the 50; here an empty
	 * program alone reads floor_ns, so a program's own cost is its ns/run
	 * above the floor's, and 50 - 20 = 30 of it are allowed.
	 */
	double body = worst[1].ns - floor_ns, hist_body = worst[2].ns - floor_ns;

	json_object_object_add(o, "stat_above_floor_ns", jnum(body));
	json_object_object_add(o, "hist_above_floor_ns", jnum(hist_body));
	target(r, "2", "≤ 50 ns per event: `stat`'s programs on the IO path, "
	       "their ns/run above an empty program's ≤ 30 (the issue's 50 less its ~20 ns of statistics)",
	       !(worst[1].ns > 0) || !(floor_ns > 0) ? UNCLEAR : body <= 30 ? PASS : MISS,
	       "%s %s ns/run, %s above the empty program's %s; `hist` (not judged: two clock "
	       "reads per IO) %s %s ns/run, %s above",
	       worst[1].name, fmt(b1, 32, "%.1f", worst[1].ns), fmt(b2, 32, "%+.1f", body),
	       fmt(b4, 32, "%.1f", floor_ns), worst[2].name, fmt(b3, 32, "%.1f", worst[2].ns),
	       fmt(b5, 32, "%+.1f", hist_body));
}
