// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Section 1: what tracing a busy ring costs, from one long load whose
 * windows tools/bench.sh labelled while it started and stopped tracers
 * (tools/bench/oneload.c), and what a tracer adds to every io_uring_enter.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

static const struct cond {
	const char *name, *desc;
} conds[] = {
	{ "none",     "no tracer" },
	{ "floor",    "floor: empty tp_btf/io_uring_submit_req, per-CPU counter" },
	{ "regonly",  "`pinscope stat --registration-only`" },
	{ "stat",     "`pinscope stat`" },
	{ "trace",    "`pinscope trace`" },
	{ "hist",     "`pinscope hist`" },
	{ "bpftrace", "bpftrace peer: create, register, complete by opcode" },
	{ "exporter", "`pinscope exporter`, scraped every second" },
};
#define NR_CONDS (sizeof(conds) / sizeof(conds[0]))
#define MAX_SEGS 1024

/*
 * One labelled stretch of the load. Its CPU time per IO is the lower
 * quartile of its 20 ms windows: what other tenants add (cache thrashing,
 * interrupts charged to whoever runs) comes in bursts and only ever adds,
 * so the quieter windows show the load and the tracer, and the noisy
 * quarter or more is left out alike for every condition.
 */
struct seg {
	char cond[16];
	int round;
	double cpu, iops, ios;
};

/* A tracer's segment against the untraced segments either side of it. */
struct traced {
	int stage, round;	/* the load process (bench stage) and its round */
	double cost;	/* CPU ns per IO above the neighbours' mean */
	double rel;	/* IOPS relative to the neighbours' mean */
	double cpu, iops;
};

struct side {
	struct traced t[NR_CONDS][MAX_SAMPLES];
	size_t n[NR_CONDS];
	double none_cpu[MAX_SEGS], none_iops[MAX_SEGS];
	size_t nr_none;
	json_object *load;	/* the first load's own record: pid, ring fd, depth */
	int nr_stages;
};

static int cond_index(const char *name)
{
	for (size_t c = 0; c < NR_CONDS; c++)
		if (!strcmp(conds[c].name, name))
			return c;
	return -1;
}

/* Segments in run order, "warm" dropped; labels are COND.ROUND. */
static size_t segments_of(struct report *r, json_object *load, struct seg *out, size_t max)
{
	json_object *segs = get(load, "segments");
	size_t n = 0;

	for (size_t i = 0; segs && i < json_object_array_length(segs) && n < max; i++) {
		json_object *s = json_object_array_get_idx(segs, i), *w = get(s, "cpu_ns_per_io");
		const char *label = str(s, "cond"), *dot = strchr(label, '.');
		double v[MAX_SAMPLES];
		size_t k = 0;

		if (!strcmp(label, "warm"))
			continue;
		if (!dot || dot - label >= (long)sizeof(out->cond)) {
			harness_error(r, "load: segment label '%s' is not COND.ROUND", label);
			continue;
		}
		for (; w && k < json_object_array_length(w) && k < MAX_SAMPLES; k++)
			v[k] = json_object_get_double(json_object_array_get_idx(w, k));
		snprintf(out[n].cond, dot - label + 1, "%s", label);
		out[n].round = atoi(dot + 1);
		out[n].cpu = spread_of(v, k).q1;
		out[n].ios = num(s, "ios");
		out[n].iops = out[n].ios / num(s, "seconds");
		n++;
	}
	return n;
}

/* The tracer's record of one round, NULL when it has none. */
static json_object *tracer_rec(json_object **recs, size_t n, const char *cond, int round)
{
	for (size_t i = 0; i < n; i++)
		if (str_is(recs[i], "cond", cond) && num(recs[i], "round") == round)
			return recs[i];
	return NULL;
}

/*
 * Did the tracer see the load? It was attached for all of its segment, so
 * it counted at least the segment's IOs; one that missed them would make
 * its overhead look small, so a miss breaks the run instead.
 */
static const char *check_seen(const char *cond, json_object *rec, const struct seg *s,
			      json_object *load)
{
	double seen;
	json_object *ring;

	if (!rec)
		return "no tracer record";
	if (num(rec, "tracer_exit") != 0)
		return "tracer failed";
	if (!strcmp(cond, "floor"))
		seen = num(rec, "tracer.submits");
	else if (!strcmp(cond, "bpftrace"))
		seen = num(rec, "tracer.complete_ops");
	else if (!strcmp(cond, "stat") || !strcmp(cond, "regonly")) {
		/* created before the tracer came: its fd is unknown, its pid is not */
		ring = ring_of(get(rec, "tracer"), num(load, "pid"), -1);
		seen = num(ring, "fixed_io.READ_FIXED.ops");
		if (!strcmp(cond, "regonly"))	/* no per-IO hooks: nothing counted */
			return isnan(seen) || seen == 0 ? NULL : "per-IO counts present";
		if (!ring)
			return "ring missing from the report";
	} else if (!strcmp(cond, "exporter")) {
		/* READ_FIXED ops of the load's pid in the scrape after the segment */
		seen = num(rec, "tracer.fixed_ops");
		if (isnan(seen))
			return "no scrape";
	} else
		return NULL;
	return seen >= s->ios ? NULL : "fewer IOs seen than done";
}

/*
 * Adds SECTION's load and tracer records to side, as one more stage;
 * false when absent.
 */
static bool read_side(struct report *r, const char *section, struct side *sd)
{
	static struct seg segs[MAX_SEGS];
	json_object *recs[MAX_RECS], *load[1], *this_load;
	char load_section[64];
	size_t n = recs_of(r, section, recs, MAX_RECS), nr;

	snprintf(load_section, sizeof(load_section), "%s_load", section);
	if (!recs_of(r, load_section, load, 1)) {
		harness_error(r, "%s: the load left no record", section);
		return false;
	}
	this_load = get(load[0], "load");
	if (!sd->load)
		sd->load = this_load;
	sd->nr_stages++;
	nr = segments_of(r, this_load, segs, MAX_SEGS);
	for (size_t i = 0; i < nr; i++) {
		const struct seg *s = &segs[i];
		int c = cond_index(s->cond);
		const char *why;

		if (c < 0) {
			harness_error(r, "%s: unknown condition '%s'", section, s->cond);
			continue;
		}
		if (c == 0) {
			if (sd->nr_none < MAX_SEGS) {
				sd->none_cpu[sd->nr_none] = s->cpu;
				sd->none_iops[sd->nr_none++] = s->iops;
			}
			continue;
		}
		if (!i || i + 1 == nr || strcmp(segs[i - 1].cond, "none") ||
		    strcmp(segs[i + 1].cond, "none") || sd->n[c] == MAX_SAMPLES) {
			harness_error(r, "%s: %s.%d is not between untraced segments", section,
				      s->cond, s->round);
			continue;
		}
		if ((why = check_seen(s->cond, tracer_rec(recs, n, s->cond, s->round), s, this_load))) {
			harness_error(r, "%s %s round %d: %s", section, s->cond, s->round, why);
			continue;
		}
		sd->t[c][sd->n[c]++] = (struct traced){
			.stage = sd->nr_stages,
			.round = s->round,
			.cost = s->cpu - (segs[i - 1].cpu + segs[i + 1].cpu) / 2,
			.rel = s->iops / ((segs[i - 1].iops + segs[i + 1].iops) / 2),
			.cpu = s->cpu,
			.iops = s->iops,
		};
	}
	return true;
}

/*
 * Standard error of a median, from the IQR so one outlier round cannot
 * inflate it: sigma ~ IQR / 1.349, SE(median) ~ 1.253 sigma / sqrt(n).
 */
static double se(struct spread s)
{
	return s.n < 2 ? NAN : 1.253 * (s.q3 - s.q1) / 1.349 / sqrt(s.n);
}

/* A verdict only when the margin is beyond two standard errors. */
static enum status verdict(double margin, double err)
{
	if (isnan(margin) || isnan(err) || fabs(margin) <= 2 * err)
		return UNCLEAR;
	return margin <= 0 ? PASS : MISS;
}

static struct spread costs(const struct side *sd, int c)
{
	double v[MAX_SAMPLES];

	for (size_t i = 0; i < sd->n[c]; i++)
		v[i] = sd->t[c][i].cost;
	return spread_of(v, sd->n[c]);
}

/*
 * Per round, A's cost minus k x B's: the two segments ran seconds apart in
 * the same process, so what drifts between rounds cancels. Median over
 * the rounds of every stage.
 */
static struct spread paired(const struct side *sd, int a, double k, int b)
{
	double d[MAX_SAMPLES];
	size_t m = 0;

	for (size_t i = 0; i < sd->n[a]; i++)
		for (size_t j = 0; j < sd->n[b]; j++)
			if (sd->t[a][i].stage == sd->t[b][j].stage &&
			    sd->t[a][i].round == sd->t[b][j].round)
				d[m++] = sd->t[a][i].cost - k * sd->t[b][j].cost;
	return spread_of(d, m);
}

static void overhead_targets(struct report *r, const struct side *io, const struct side *enter,
			     double base)
{
	enum { FLOOR = 1, REGONLY = 2, STAT = 3, PEER = 6, EXPORTER = 7 };
	struct spread floor = costs(io, FLOOR), stat = costs(io, STAT), peer = costs(io, PEER);
	struct spread regonly = costs(io, REGONLY), per_call = costs(enter, REGONLY);
	struct spread vs_floor = paired(io, STAT, 1.3, FLOOR), vs_peer = paired(io, STAT, 1.0, PEER);
	struct spread exporter = costs(io, EXPORTER), exp_floor = paired(io, EXPORTER, 1.3, FLOOR);
	double depth = num(io->load, "depth"), per_io = per_call.median / depth;
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32], b8[32], b9[32];

	target(r, "1a", "`stat` costs ≤ 1.3 × the floor per IO",
	       verdict(vs_floor.median, se(vs_floor)),
	       "%s × floor: stat %s ± %s ns/IO (%s %%), floor %s ± %s ns/IO; per round (%s), "
	       "stat − 1.3 × floor = %s ± %s ns/IO",
	       fmt(b1, 32, "%.2f", stat.median / floor.median),
	       fmt(b2, 32, "%.1f", stat.median), fmt(b3, 32, "%.1f", se(stat)),
	       fmt(b4, 32, "%.1f", stat.median / base * 100),
	       fmt(b5, 32, "%.1f", floor.median), fmt(b6, 32, "%.1f", se(floor)),
	       fmt(b9, 32, "%.0f", vs_floor.n), fmt(b7, 32, "%.1f", vs_floor.median),
	       fmt(b8, 32, "%.1f", se(vs_floor)));
	target(r, "1b", "`stat` costs less than the bpftrace peer",
	       verdict(vs_peer.median, se(vs_peer)),
	       "stat %s ± %s ns/IO, bpftrace %s ± %s ns/IO; per round, stat − bpftrace = %s ± %s",
	       fmt(b1, 32, "%.1f", stat.median), fmt(b2, 32, "%.1f", se(stat)),
	       fmt(b3, 32, "%.1f", peer.median), fmt(b4, 32, "%.1f", se(peer)),
	       fmt(b5, 32, "%.1f", vs_peer.median), fmt(b6, 32, "%.1f", se(vs_peer)));
	target(r, "1d", "`exporter`, scraped every second, costs ≤ 1.3 × the floor per IO",
	       verdict(exp_floor.median, se(exp_floor)),
	       "%s × floor: exporter %s ± %s ns/IO, floor %s ± %s ns/IO; per round (%s), "
	       "exporter − 1.3 × floor = %s ± %s ns/IO",
	       fmt(b1, 32, "%.2f", exporter.median / floor.median),
	       fmt(b2, 32, "%.1f", exporter.median), fmt(b3, 32, "%.1f", se(exporter)),
	       fmt(b5, 32, "%.1f", floor.median), fmt(b6, 32, "%.1f", se(floor)),
	       fmt(b9, 32, "%.0f", exp_floor.n), fmt(b7, 32, "%.1f", exp_floor.median),
	       fmt(b8, 32, "%.1f", se(exp_floor)));
	/*
	 * Registration-only has no per-IO program; what it costs the load is
	 * the syscall tracepoints' slow path on each io_uring_enter, one per
	 * DEPTH IOs. Measured per call, with one IO per call, it stands far
	 * above the noise; the IO load's own reading is shown beside it.
	 */
	target(r, "1c", "`--registration-only` costs ≤ 0.5 % per IO",
	       verdict(per_io - 0.005 * base, se(per_call) / depth),
	       "%s %%: %s ns per io_uring_enter ÷ %s IOs per call = %s ± %s ns/IO of %s "
	       "(read off the IO load directly: %s ± %s ns/IO)",
	       fmt(b1, 32, "%.2f", per_io / base * 100), fmt(b2, 32, "%.1f", per_call.median),
	       fmt(b3, 32, "%.0f", depth), fmt(b4, 32, "%.1f", per_io),
	       fmt(b5, 32, "%.1f", se(per_call) / depth), fmt(b6, 32, "%.0f", base),
	       fmt(b7, 32, "%.1f", regonly.median), fmt(b8, 32, "%.1f", se(regonly)));
}

/* The IO load's table: one row per condition. */
static void overhead_table(struct report *r, const struct side *io, json_object *arr)
{
	struct spread none_cpu = spread_of(io->none_cpu, io->nr_none);
	struct spread none_iops = spread_of(io->none_iops, io->nr_none);
	double floor = costs(io, 1).median;
	char b[9][32];

	fprintf(r->md, "| tracer | IOPS | min – max | vs none | CPU ns/IO | cost ns/IO | ± | cost | "
		"× floor |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
	for (size_t c = 0; c < NR_CONDS; c++) {
		double v[MAX_SAMPLES], w[MAX_SAMPLES], rel[MAX_SAMPLES];
		struct spread iops = none_iops, cpu = none_cpu, cost = {}, rl = {};
		json_object *o = json_object_new_object();
		double ns = NAN, xf = NAN;

		if (c) {
			for (size_t i = 0; i < io->n[c]; i++) {
				v[i] = io->t[c][i].iops;
				w[i] = io->t[c][i].cpu;
				rel[i] = io->t[c][i].rel;
			}
			iops = spread_of(v, io->n[c]);
			cpu = spread_of(w, io->n[c]);
			rl = spread_of(rel, io->n[c]);
			cost = costs(io, c);
			ns = cost.median;
			xf = c > 1 ? ns / floor : NAN;
			if (!io->n[c])
				harness_error(r, "overhead: no valid segment for %s", conds[c].name);
		}
		fprintf(r->md, "| %s | %s | %s – %s | %s | %s | %s | %s | %s | %s |\n",
			conds[c].desc, fmt(b[0], 32, "%.0f", iops.median),
			fmt(b[1], 32, "%.0f", iops.min), fmt(b[2], 32, "%.0f", iops.max),
			fmt(b[3], 32, "%+.1f %%", c ? (rl.median - 1) * 100 : 0),
			fmt(b[4], 32, "%.1f", cpu.median), fmt(b[5], 32, "%.1f", ns),
			fmt(b[6], 32, "%.1f", c ? se(cost) : NAN),
			fmt(b[7], 32, "%.1f %%", ns / none_cpu.median * 100), fmt(b[8], 32, "%.2f", xf));
		json_object_object_add(o, "cond", json_object_new_string(conds[c].name));
		json_object_object_add(o, "desc", json_object_new_string(conds[c].desc));
		json_object_object_add(o, "iops", jspread(iops));
		json_object_object_add(o, "iops_relative", jnum(c ? rl.median : 1));
		json_object_object_add(o, "cpu_ns_per_io", jspread(cpu));
		json_object_object_add(o, "cost_ns_per_io", c ? jspread(cost) : NULL);
		json_object_object_add(o, "cost_pct", jnum(ns / none_cpu.median * 100));
		json_object_object_add(o, "x_floor", jnum(xf));
		json_object_array_add(arr, o);
	}
}

void section_overhead(struct report *r)
{
	static struct side io, enter;
	json_object *arr = json_object_new_array(), *o = json_object_new_object();
	bool have_io = read_side(r, "overhead", &io), have_pairs = read_side(r, "pairs", &io);
	bool have_enter = read_side(r, "per_enter", &enter);
	struct spread call = costs(&enter, 2), none_call = spread_of(enter.none_cpu, enter.nr_none);
	double base = spread_of(io.none_cpu, io.nr_none).median;
	char b1[32], b2[32], b3[32], b4[32];

	fprintf(r->md, "## 1. Overhead of tracing a busy ring\n\n"
		"4 KiB READ_FIXED from a page-cached file, 32 per submit, one ring on one CPU "
		"(SCHED_FIFO where allowed), as fast as it goes: one load process for the whole "
		"section, so every condition sees the same buffers and ring. Each round starts "
		"every tracer once, in rotated order, and each tracer's segment lies between two "
		"untraced ones. CPU ns/IO = the load's CPU time per IO (user + system, where BPF "
		"programs are charged), the lower quartile of a segment's 20 ms windows: other "
		"tenants' bursts only ever add, and hit some windows, not others. Cost = a "
		"segment's CPU ns/IO minus the mean of its two neighbours'; median over rounds ± "
		"its standard error (from the IQR). IOPS are wall-clock and move whenever other "
		"tenants take the CPU. The floor and `stat`, whose ratio target 1a judges, also "
		"have a stage of their own in a second load process, with more rounds; their "
		"rows include it.\n\n");
	if (have_io)
		overhead_table(r, &io, arr);
	fprintf(r->md, "\nWhat `--registration-only` costs per io_uring_enter (the same scheme, "
		"the load submitting one IO per call): untraced %s CPU ns per call, traced +%s ± "
		"%s ns (%s). It loads no per-IO program; its syscall tracepoints (which time "
		"io_uring_register) put every system call of the machine on the tracing slow "
		"path. The load above makes one call per 32 IOs.\n\n",
		fmt(b1, 32, "%.1f", none_call.median), fmt(b2, 32, "%.1f", call.median),
		fmt(b3, 32, "%.1f", se(call)), fmt(b4, 32, "%.0f %%", call.median /
		none_call.median * 100));
	fprintf(r->md, "A target gets PASS or MISS only when its margin is beyond two standard "
		"errors; otherwise UNCLEAR. Comparisons of two tracers (1a, 1b) are made within "
		"each round and then taken over rounds.\n\n");
	json_object_object_add(o, "conditions", arr);
	json_object_object_add(o, "enter_ns", jspread(none_call));
	json_object_object_add(o, "regonly_enter_cost_ns", jspread(call));
	json_object_object_add(r->doc, "overhead", o);
	if (have_io && have_pairs && have_enter)
		overhead_targets(r, &io, &enter, base);
}
