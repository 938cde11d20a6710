// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * report: turns a bench run's raw.jsonl into bench.md (tables, the targets
 * and whether each is met) and bench.json (the same numbers), and prints
 * the markdown. Medians and spreads are computed here, not in the shell.
 *
 * usage: report RAW.jsonl OUTDIR
 * Exit: 0 the run is complete, 1 the harness broke (a stage is missing or a
 * tracer did not see the load), 2 usage or unreadable input.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"

size_t recs_of(struct report *r, const char *section, json_object **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nr_recs && n < max; i++)
		if (str_is(r->recs[i], "section", section))
			out[n++] = r->recs[i];
	return n;
}

json_object *get(json_object *o, const char *dotted)
{
	char key[128];
	const char *dot;

	while (o && (dot = strchr(dotted, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - dotted), dotted);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		dotted = dot + 1;
	}
	return o && json_object_object_get_ex(o, dotted, &o) ? o : NULL;
}

double num(json_object *o, const char *dotted)
{
	json_object *v = get(o, dotted);

	if (!v || (!json_object_is_type(v, json_type_int) &&
		   !json_object_is_type(v, json_type_double)))
		return NAN;
	return json_object_get_double(v);
}

const char *str(json_object *o, const char *dotted)
{
	json_object *v = get(o, dotted);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

bool str_is(json_object *o, const char *dotted, const char *want)
{
	return !strcmp(str(o, dotted), want);
}

/* A ring in a pinscope report by owner and fd (fd < 0: the pid's first). */
json_object *ring_of(json_object *doc, int pid, int fd)
{
	json_object *rings = get(doc, "rings");

	for (size_t i = 0; rings && i < json_object_array_length(rings); i++) {
		json_object *ring = json_object_array_get_idx(rings, i);

		if (num(ring, "pid") == pid && (fd < 0 || num(ring, "fd") == fd))
			return ring;
	}
	return NULL;
}

json_object *process_of(json_object *doc, int pid)
{
	json_object *procs = get(doc, "processes");

	for (size_t i = 0; procs && i < json_object_array_length(procs); i++)
		if (num(json_object_array_get_idx(procs, i), "pid") == pid)
			return json_object_array_get_idx(procs, i);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Linear interpolation between closest ranks; s sorted, n > 0. */
static double quantile(const double *s, size_t n, double q)
{
	double pos = q * (n - 1);
	size_t i = (size_t)pos;

	return i + 1 < n ? s[i] + (pos - i) * (s[i + 1] - s[i]) : s[n - 1];
}

struct spread spread_of(const double *v, size_t n)
{
	double s[MAX_SAMPLES];
	struct spread sp = { NAN, NAN, NAN, NAN, NAN, 0 };

	for (size_t i = 0; i < n && sp.n < MAX_SAMPLES; i++)
		if (!isnan(v[i]))
			s[sp.n++] = v[i];
	if (!sp.n)
		return sp;
	qsort(s, sp.n, sizeof(s[0]), cmp_double);
	sp.min = s[0];
	sp.max = s[sp.n - 1];
	sp.median = quantile(s, sp.n, 0.5);
	sp.q1 = quantile(s, sp.n, 0.25);
	sp.q3 = quantile(s, sp.n, 0.75);
	return sp;
}

double median_of(json_object *arr)
{
	double v[MAX_SAMPLES];
	size_t n = 0;

	for (size_t i = 0; arr && i < json_object_array_length(arr) && n < MAX_SAMPLES; i++)
		v[n++] = json_object_get_double(json_object_array_get_idx(arr, i));
	return spread_of(v, n).median;
}

/* Least squares y = a + b x; false with fewer than two distinct x. */
bool fit_line(const double *x, const double *y, size_t n, double *a, double *b)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;

	for (size_t i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
	}
	if (n < 2 || fabs(n * sxx - sx * sx) < 1e-12)
		return false;
	*b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	*a = (sy - *b * sx) / n;
	return true;
}

json_object *jnum(double v)
{
	return isnan(v) || isinf(v) ? NULL : json_object_new_double(round(v * 1000) / 1000);
}

json_object *jspread(struct spread s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "median", jnum(s.median));
	json_object_object_add(o, "min", jnum(s.min));
	json_object_object_add(o, "max", jnum(s.max));
	json_object_object_add(o, "q1", jnum(s.q1));
	json_object_object_add(o, "q3", jnum(s.q3));
	json_object_object_add(o, "n", json_object_new_int(s.n));
	return o;
}

const char *fmt(char *buf, size_t len, const char *f, double v)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, f, v);
	return buf;
}

static const char *const status_names[] = { "PASS", "MISS", "UNCLEAR" };

void target(struct report *r, const char *id, const char *what, enum status st,
	    const char *measured_fmt, ...)
{
	json_object *t = json_object_new_object();
	char measured[256];
	va_list ap;

	va_start(ap, measured_fmt);
	vsnprintf(measured, sizeof(measured), measured_fmt, ap);
	va_end(ap);
	json_object_object_add(t, "id", json_object_new_string(id));
	json_object_object_add(t, "target", json_object_new_string(what));
	json_object_object_add(t, "measured", json_object_new_string(measured));
	json_object_object_add(t, "status", json_object_new_string(
		r->smoke ? "not judged (smoke)" : status_names[st]));
	json_object_array_add(r->targets, t);
}

void harness_error(struct report *r, const char *f, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, f);
	vsnprintf(msg, sizeof(msg), f, ap);
	va_end(ap);
	fprintf(stderr, "report: %s\n", msg);
	json_object_array_add(r->errors, json_object_new_string(msg));
}

static int load(struct report *r, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		json_object *o = json_tokener_parse(line);

		if (!o || !json_object_is_type(o, json_type_object)) {
			harness_error(r, "%s: unparsable record: %.80s", path, line);
			json_object_put(o);
			continue;
		}
		if (r->nr_recs == MAX_RECS) {
			harness_error(r, "%s: more than %d records", path, MAX_RECS);
			json_object_put(o);
			break;
		}
		r->recs[r->nr_recs++] = o;
		if (str_is(o, "section", "error"))
			harness_error(r, "bench.sh: %s", str(o, "what"));
	}
	free(line);
	fclose(f);
	return 0;
}

/* Other tenants' CPU use measured before each stage, as one table row. */
static void print_stage_load(struct report *r, FILE *out)
{
	json_object *stages[16], *arr = json_object_new_object();
	size_t n = recs_of(r, "load", stages, 16);

	if (!n) {
		json_object_put(arr);
		return;
	}
	fprintf(out, "| other load by stage | ");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s%s %.0f %%", i ? ", " : "", str(stages[i], "stage"),
			num(stages[i], "busy_pct"));
		json_object_object_add(arr, str(stages[i], "stage"),
				       jnum(num(stages[i], "busy_pct")));
	}
	fprintf(out, " |\n");
	json_object_object_add(r->doc, "busy_pct_by_stage", arr);
}

static void print_header(struct report *r, FILE *out)
{
	json_object *m[1], *d[1];
	char b[32], b2[32], b3[32], b4[32], b5[32];

	if (!recs_of(r, "machine", m, 1)) {
		harness_error(r, "no machine record");
		return;
	}
	json_object_object_add(r->doc, "machine", json_object_get(m[0]));
	fprintf(out, "# pinscope benchmarks, %s\n\n", str(m[0], "date"));
	fprintf(out, "| machine | |\n| --- | --- |\n");
	fprintf(out, "| kernel | %s |\n| CPU | %s, %s CPUs (%s) |\n", str(m[0], "kernel"),
		str(m[0], "cpu"), fmt(b, sizeof(b), "%.0f", num(m[0], "cpus")), str(m[0], "virt"));
	fprintf(out, "| memory | %s GiB |\n", fmt(b, sizeof(b), "%.0f", num(m[0], "mem_gib")));
	fprintf(out, "| peer | %s; liburing %s |\n", str(m[0], "bpftrace"), str(m[0], "liburing"));
	fprintf(out, "| pinscope | %s |\n", str(m[0], "pinscope_commit"));
	fprintf(out, "| run | `%s`: load on CPU %s, tracers on CPU %s; overhead: %s rounds of %s s "
		"segments; other loads: %s s |\n",
		str(m[0], "mode"), fmt(b, sizeof(b), "%.0f", num(m[0], "load_cpu")),
		fmt(b2, sizeof(b2), "%.0f", num(m[0], "tracer_cpu")),
		fmt(b3, sizeof(b3), "%.0f", num(m[0], "rounds")),
		fmt(b5, sizeof(b5), "%g", num(m[0], "segment_s")),
		fmt(b4, sizeof(b4), "%g", num(m[0], "seconds")));
	fprintf(out, "| other load | %s %% of all CPUs busy before the run (load average %s)",
		fmt(b, sizeof(b), "%.0f", num(m[0], "busy_pct_start")), str(m[0], "loadavg_start"));
	if (recs_of(r, "done", d, 1)) {
		json_object_object_add(r->doc, "wall_s", jnum(num(d[0], "wall_s")));
		json_object_object_add(r->doc, "busy_pct_end", jnum(num(d[0], "busy_pct_end")));
		fprintf(out, ", %s %% after (%s) |\n| wall time | %s s |\n",
			fmt(b2, sizeof(b2), "%.0f", num(d[0], "busy_pct_end")),
			str(d[0], "loadavg_end"), fmt(b3, sizeof(b3), "%.0f", num(d[0], "wall_s")));
	} else {
		fprintf(out, " |\n");
		harness_error(r, "the run did not finish (no done record)");
	}
	print_stage_load(r, out);
	if (r->smoke)
		fprintf(out, "\n**A smoke run**: one short round of each stage, to check the "
			     "harness. Its numbers are not measurements and no target is judged.\n");
	fprintf(out, "\nA virtual machine shared with other work: its load shows as spread "
		     "between rounds, which is why conditions are interleaved and reported as "
		     "median and min – max. Busy CPUs before or after the run mean noisy "
		     "numbers.\n\n");
}

static void print_targets(struct report *r, FILE *out)
{
	size_t n = json_object_array_length(r->targets), met = 0;

	fprintf(out, "## Targets\n\n| # | target | measured | status |\n| --- | --- | --- | --- |\n");
	for (size_t i = 0; i < n; i++) {
		json_object *t = json_object_array_get_idx(r->targets, i);

		met += str_is(t, "status", "PASS");
		fprintf(out, "| %s | %s | %s | **%s** |\n", str(t, "id"), str(t, "target"),
			str(t, "measured"), str(t, "status"));
	}
	if (!r->smoke)
		fprintf(out, "\n%zu of %zu targets met.\n\n", met, n);
	else
		fprintf(out, "\n");
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct report r;
	char *body = NULL, *md = NULL;
	size_t body_len = 0, md_len = 0;
	FILE *out;
	int status;

	if (argc != 3) {
		fprintf(stderr, "usage: report RAW.jsonl OUTDIR\n");
		return 2;
	}
	r.doc = json_object_new_object();
	r.targets = json_object_new_array();
	r.errors = json_object_new_array();
	if (load(&r, argv[1]))
		return 2;
	for (size_t i = 0; i < r.nr_recs; i++)
		if (str_is(r.recs[i], "section", "machine") && str_is(r.recs[i], "mode", "smoke"))
			r.smoke = true;
	r.md = open_memstream(&body, &body_len);
	out = open_memstream(&md, &md_len);
	if (!r.md || !out)
		return 2;

	section_overhead(&r);
	section_bpf_stats(&r);
	section_register(&r);
	section_direct(&r);
	section_startup(&r);
	section_churn(&r);
	section_regcost(&r);
	fclose(r.md);

	print_header(&r, out);
	print_targets(&r, out);
	fputs(body, out);
	fprintf(out, "---\nGenerated by `make bench` (tools/bench.sh writes raw.jsonl, "
		     "tools/bench/report.c this table and bench.json with the same numbers).\n\n");
	if (json_object_array_length(r.errors)) {
		fprintf(out, "## Harness errors\n\n");
		for (size_t i = 0; i < json_object_array_length(r.errors); i++)
			fprintf(out, "- %s\n", json_object_get_string(
					json_object_array_get_idx(r.errors, i)));
	}
	fclose(out);

	json_object_object_add(r.doc, "targets", json_object_get(r.targets));
	json_object_object_add(r.doc, "harness_errors", json_object_get(r.errors));
	status = json_object_array_length(r.errors) ? 1 : 0;
	if (write_file(argv[2], "bench.md", md) ||
	    write_file(argv[2], "bench.json", json_object_to_json_string_ext(r.doc,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)))
		status = 2;
	fputs(md, stdout);
	free(body);
	free(md);
	json_object_put(r.doc);
	json_object_put(r.targets);
	json_object_put(r.errors);
	for (size_t i = 0; i < r.nr_recs; i++)
		json_object_put(r.recs[i]);
	return status;
}
