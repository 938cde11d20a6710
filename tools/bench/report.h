/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bench report: raw.jsonl (one JSON object per measurement, written by
 * tools/bench.sh) in, bench.md and bench.json out. One file per section
 * (report-*.c); this header is what they share.
 */
#ifndef PS_BENCH_REPORT_H
#define PS_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#define MAX_RECS	4096
#define MAX_SAMPLES	256

struct report {
	json_object *recs[MAX_RECS];
	size_t nr_recs;
	FILE *md;		/* section bodies; printed after the summary */
	json_object *doc;	/* bench.json */
	json_object *targets;	/* [{id, target, measured, status}] */
	json_object *errors;	/* harness problems: a broken run, not a missed target */
	bool smoke;		/* a harness check: numbers too short to judge */
};

struct spread {
	double median, min, max;
	double q1, q3;		/* quartiles: the noise measure one outlier cannot move */
	size_t n;
};

/* records */
size_t recs_of(struct report *r, const char *section, json_object **out, size_t max);
json_object *get(json_object *o, const char *dotted);
double num(json_object *o, const char *dotted);	/* NAN when absent */
const char *str(json_object *o, const char *dotted);	/* "" when absent */
bool str_is(json_object *o, const char *dotted, const char *want);
json_object *ring_of(json_object *pinscope_doc, int pid, int fd);
json_object *process_of(json_object *pinscope_doc, int pid);

/* numbers */
struct spread spread_of(const double *v, size_t n);
double median_of(json_object *ns_array);	/* a JSON array of samples */
bool fit_line(const double *x, const double *y, size_t n, double *a, double *b);
json_object *jspread(struct spread s);
json_object *jnum(double v);			/* null for NAN */
const char *fmt(char *buf, size_t len, const char *f, double v);	/* "-" for NAN */

/* verdicts */
enum status { PASS, MISS, UNCLEAR };
void target(struct report *r, const char *id, const char *what, enum status st,
	    const char *measured_fmt, ...) __attribute__((format(printf, 5, 6)));
void harness_error(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sections */
void section_overhead(struct report *r);
void section_bpf_stats(struct report *r);
void section_register(struct report *r);
void section_direct(struct report *r);
void section_startup(struct report *r);
void section_churn(struct report *r);
void section_regcost(struct report *r);

#endif /* PS_BENCH_REPORT_H */
