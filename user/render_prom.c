// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One family at a time, as the format wants: HELP and TYPE, then every
 * series of that name. Ring series carry ring (pinscope's id), pid, comm
 * and fd: a process can close a ring and open another on the same fd, and
 * the ring label keeps the two apart.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "names.h"
#include "pinscope_hist.h"
#include "render_prom.h"
#include "ring_series.h"

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *out, const char *s, size_t max)
{
	size_t len = strnlen(s, max);

	fputc('"', out);
	while (len) {
		size_t run = strcspn(s, "\\\"\n");

		if (run > len)
			run = len;
		fwrite(s, 1, run, out);
		s += run;
		len -= run;
		if (!len)
			break;
		fputs(*s == '\n' ? "\\n" : *s == '"' ? "\\\"" : "\\\\", out);
		s++;
		len--;
	}
	fputc('"', out);
}

/* name{ring,pid,comm,fd — the labels every ring series has; the caller closes it. */
static void ring_series(FILE *out, const char *name, const struct ring_report *ring)
{
	fprintf(out, "%s{ring=\"%u\",pid=\"%u\",comm=", name, ring->info.id, ring->info.pid);
	label_value(out, ring->info.comm, sizeof(ring->info.comm));
	fprintf(out, ",fd=\"%d\"", ring->info.fd);
}

static void build_info(FILE *out, const struct prom_view *v)
{
	family(out, "pinscope_build_info", "gauge",
	       "pinscope's version, the kernel it traces and the backend it chose (always 1).");
	fputs("pinscope_build_info{version=", out);
	label_value(out, v->version, 64);
	fputs(",kernel=", out);
	label_value(out, v->r->kernel, sizeof(v->r->kernel));
	fputs(",backend=", out);
	label_value(out, v->r->backend ? v->r->backend : "none", 32);
	fputs("} 1\n", out);
}

static void register_calls(FILE *out, const struct prom_view *v)
{
	family(out, "pinscope_register_calls_total", "counter",
	       "io_uring_register calls on the ring by kind (register, update, unregister, "
	       "clone), failed ones included.");
	for (size_t i = 0; i < v->nr_rings; i++)
		for (int k = 0; k < REG_KINDS; k++) {
			const struct reg_report *g = &v->rings[i]->reg[k];

			if (!g->calls)
				continue;
			ring_series(out, "pinscope_register_calls_total", v->rings[i]);
			fprintf(out, ",kind=\"%s\"} %" PRIu64 "\n", reg_kind_name(k), g->calls);
		}
	family(out, "pinscope_register_errors_total", "counter",
	       "Failed io_uring_register calls on the ring by kind and errno.");
	for (size_t i = 0; i < v->nr_rings; i++)
		for (int k = 0; k < REG_KINDS; k++) {
			const struct reg_report *g = &v->rings[i]->reg[k];

			for (size_t e = 0; e < g->nr_errors; e++) {
				char buf[16];

				ring_series(out, "pinscope_register_errors_total", v->rings[i]);
				fprintf(out, ",kind=\"%s\",errno=\"%s\"} %" PRIu64 "\n",
					reg_kind_name(k),
					errno_name(g->errors[e].err, buf, sizeof(buf)),
					g->errors[e].count);
			}
		}
}

/*
 * The BPF side's log2 slots as cumulative buckets. Slot k holds integer
 * nanoseconds in [2^(k-1), 2^k - 1], so its exact upper bound, and le, is
 * 2^k - 1 ns (slot 0 holds 0). %.15g prints (2^47 - 1) ns in seconds exactly.
 */
static void register_latency(FILE *out, const struct prom_view *v)
{
	static const char name[] = "pinscope_register_latency_seconds";

	family(out, name, "histogram",
	       "io_uring_register latency by kind, from the kernel's log2 histograms.");
	for (int k = 0; k < REG_KINDS; k++) {
		/* the session's totals: every call, gone rings included */
		uint64_t slots[PS_HIST_SLOTS] = {}, count = 0;
		uint64_t sum_ns = v->r->totals.reg[k].lat_total_ns;

		for (size_t h = 0; h < v->r->nr_hists; h++) {
			const struct hist_report *hr = &v->r->hists[h];

			if (hr->kind != PS_HIST_REG_LAT || reg_kind_of(hr->op) != (enum reg_kind)k)
				continue;
			for (int s = 0; s < PS_HIST_SLOTS; s++)
				slots[s] += hr->slots[s];
		}
		for (int s = 0; s < PS_HIST_SLOTS; s++)
			count += slots[s];
		if (!count)
			continue;
		uint64_t cum = 0;

		for (int s = 0; s < PS_HIST_SLOTS; s++) {
			cum += slots[s];
			fprintf(out, "%s_bucket{kind=\"%s\",le=\"%.15g\"} %" PRIu64 "\n", name,
				reg_kind_name(k), ps_slot_high(s) / 1e9, cum);
		}
		fprintf(out, "%s_bucket{kind=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name,
			reg_kind_name(k), count);
		fprintf(out, "%s_sum{kind=\"%s\"} %.9f\n", name, reg_kind_name(k), sum_ns / 1e9);
		fprintf(out, "%s_count{kind=\"%s\"} %" PRIu64 "\n", name, reg_kind_name(k), count);
	}
}

/* The table as it is now: live rings whose table pinscope has read. */
static void registered(FILE *out, const struct prom_view *v)
{
	static const struct {
		const char *name, *help;
		size_t offset;
		bool acct;
	} gauges[] = {
		{ "pinscope_registered_buffers", "Buffers in the ring's registered-buffer table now.",
		  offsetof(struct ps_table_sum, buffers), false },
		{ "pinscope_registered_bytes", "Bytes of the ring's registered buffers now.",
		  offsetof(struct ps_table_sum, bytes), false },
		{ "pinscope_registered_pages", "4 KiB pages the ring's registered buffers span "
		  "(pinned) now.", offsetof(struct ps_table_sum, pages), false },
		{ "pinscope_accounted_pages", "Pages the ring's registered buffers charge to "
		  "locked memory now (absent where the kernel keeps no count).",
		  offsetof(struct ps_table_sum, acct_pages), true },
		{ "pinscope_shared_buffers", "Registered buffers whose pinned mapping is shared "
		  "with another ring (cloned) now.", offsetof(struct ps_table_sum, shared), false },
	};

	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		family(out, gauges[g].name, "gauge", gauges[g].help);
		if (gauges[g].acct && !v->r->acct_pages_known)
			continue;
		for (size_t i = 0; i < v->nr_rings; i++) {
			const struct ring_report *ring = v->rings[i];
			const char *field = (const char *)&ring->registered + gauges[g].offset;
			uint64_t val = gauges[g].offset == offsetof(struct ps_table_sum, buffers) ?
				       *(const uint32_t *)field : *(const uint64_t *)field;

			if (!ring->registered_known || !ring_series_live(ring, v->r))
				continue;
			ring_series(out, gauges[g].name, ring);
			fprintf(out, "} %" PRIu64 "\n", val);
		}
	}
}

static void fixed_io(FILE *out, const struct prom_view *v)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
		{ "pinscope_fixed_io_ops_total", "Completed IOs that used a registered buffer, "
		  "by SQE opcode." },
		{ "pinscope_fixed_io_bytes_total", "Bytes those IOs moved (positive results)." },
		{ "pinscope_fixed_io_errors_total", "Those IOs that completed with an error." },
	};

	for (int f = 0; f < 3; f++) {
		family(out, fams[f].name, "counter", fams[f].help);
		for (size_t i = 0; i < v->nr_rings; i++)
			for (size_t o = 0; o < v->rings[i]->nr_io_ops; o++) {
				const struct io_op_report *op = &v->rings[i]->io_ops[o];
				uint64_t val = f == 0 ? op->ops : f == 1 ? op->bytes : op->errors;
				char buf[16];

				ring_series(out, fams[f].name, v->rings[i]);
				fprintf(out, ",opcode=\"%s\"} %" PRIu64 "\n",
					sqe_opcode_name(op->opcode, buf, sizeof(buf)), val);
			}
	}
}

static void per_io_pinned(FILE *out, const struct prom_view *v)
{
	family(out, "pinscope_per_io_pinned_ios_total", "counter",
	       "IOs of the ring that pinned user pages themselves (no registered buffer), "
	       "by SQE opcode: alert on a rate above 0.");
	for (size_t i = 0; i < v->nr_rings; i++)
		for (size_t o = 0; o < v->rings[i]->nr_pinned_ops; o++) {
			char buf[16];

			ring_series(out, "pinscope_per_io_pinned_ios_total", v->rings[i]);
			fprintf(out, ",opcode=\"%s\"} %" PRIu64 "\n",
				sqe_opcode_name(v->rings[i]->pinned_ops[o].opcode, buf, sizeof(buf)),
				v->rings[i]->pinned_ops[o].ios);
		}
	family(out, "pinscope_per_io_pinned_pages_total", "counter",
	       "Pages those IOs pinned.");
	for (size_t i = 0; i < v->nr_rings; i++)
		for (size_t o = 0; o < v->rings[i]->nr_pinned_ops; o++) {
			char buf[16];

			ring_series(out, "pinscope_per_io_pinned_pages_total", v->rings[i]);
			fprintf(out, ",opcode=\"%s\"} %" PRIu64 "\n",
				sqe_opcode_name(v->rings[i]->pinned_ops[o].opcode, buf, sizeof(buf)),
				v->rings[i]->pinned_ops[o].pages);
		}
}

static int by_ring_id(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct ring_report *ring = *(const struct ring_report *const *)elem;

	return (id > ring->info.id) - (id < ring->info.id);
}

/* v->rings is sorted by id (ring_series_view) */
const struct ring_report *prom_view_ring(const struct prom_view *v, uint32_t id)
{
	const struct ring_report *const *p;

	if (!v->nr_rings)
		return NULL;
	p = bsearch(&id, v->rings, v->nr_rings, sizeof(*v->rings), by_ring_id);
	return p ? *p : NULL;
}

static int by_pair(const void *a, const void *b)
{
	const struct pinned_twice *x = a, *y = b;

	if (x->ring != y->ring)
		return (x->ring > y->ring) - (x->ring < y->ring);
	return (x->other_ring > y->other_ring) - (x->other_ring < y->other_ring);
}

/* check's tracker, summed over opcodes per (ring, other ring). */
static void pinned_twice(FILE *out, const struct prom_view *v)
{
	struct pinned_twice *pairs = NULL;

	family(out, "pinscope_pinned_twice_pages", "gauge",
	       "4 KiB pages the ring's registrations pinned that ring other_fd of the same "
	       "process already held pinned (summed over calls).");
	if (v->nr_twice)
		pairs = malloc(v->nr_twice * sizeof(*pairs));
	if (!pairs)
		return;
	memcpy(pairs, v->twice, v->nr_twice * sizeof(*pairs));
	qsort(pairs, v->nr_twice, sizeof(*pairs), by_pair);
	for (size_t i = 0, j; i < v->nr_twice; i = j) {
		const struct ring_report *ring = prom_view_ring(v, pairs[i].ring);
		const struct ring_report *other = prom_view_ring(v, pairs[i].other_ring);
		uint64_t pages = 0;

		for (j = i; j < v->nr_twice && !by_pair(&pairs[i], &pairs[j]); j++)
			pages += pairs[j].pages;
		if (!ring)
			continue;
		ring_series(out, "pinscope_pinned_twice_pages", ring);
		fprintf(out, ",other_ring=\"%u\",other_fd=\"%d\"} %" PRIu64 "\n", pairs[i].other_ring,
			other ? other->info.fd : -1, pages);
	}
	free(pairs);
}

static void self(FILE *out, const struct prom_view *v)
{
	family(out, "pinscope_rings", "gauge",
	       "Rings pinscope shows series for (live ones and those within the grace period).");
	fprintf(out, "pinscope_rings %zu\n", v->nr_rings);
	family(out, "pinscope_rings_seen_total", "counter",
	       "Rings pinscope has seen since it started, found at start-up included.");
	fprintf(out, "pinscope_rings_seen_total %" PRIu64 "\n", v->r->totals.rings);
	family(out, "pinscope_rings_gone_total", "counter",
	       "Of those, rings the kernel has freed.");
	fprintf(out, "pinscope_rings_gone_total %" PRIu64 "\n", v->r->totals.rings_gone);
	family(out, "pinscope_lost_events_total", "counter",
	       "Records the BPF ring buffer dropped because it was full.");
	fprintf(out, "pinscope_lost_events_total %" PRIu64 "\n", v->r->counters[PS_CNT_LOST_EVENTS]);
	family(out, "pinscope_missed_runs_total", "counter",
	       "Runs of pinscope's BPF programs the kernel skipped (each a missed event).");
	fprintf(out, "pinscope_missed_runs_total %" PRIu64 "\n", v->r->missed_runs);
	family(out, "pinscope_dropped_total", "counter",
	       "Keys not counted because a BPF table was full, by table.");
	fprintf(out, "pinscope_dropped_total{table=\"rings\"} %" PRIu64 "\n",
		v->r->counters[PS_CNT_RINGS_DROPPED]);
	fprintf(out, "pinscope_dropped_total{table=\"io_keys\"} %" PRIu64 "\n",
		v->r->counters[PS_CNT_IO_KEYS_DROPPED]);
	family(out, "pinscope_collect_duration_seconds", "gauge",
	       "What pinscope's previous collection took (maps read, rendered), in seconds.");
	fprintf(out, "pinscope_collect_duration_seconds %.6f\n", v->collect_s);
	if (!v->bpf_stats)
		return;
	family(out, "pinscope_bpf_run_seconds_total", "counter",
	       "Time the kernel spent running each pinscope BPF program (--bpf-stats).");
	for (size_t i = 0; i < v->r->nr_progs; i++)
		fprintf(out, "pinscope_bpf_run_seconds_total{program=\"%s\"} %.9f\n",
			v->r->progs[i].name, v->r->progs[i].run_time_ns / 1e9);
	family(out, "pinscope_bpf_runs_total", "counter",
	       "Runs of each pinscope BPF program (--bpf-stats).");
	for (size_t i = 0; i < v->r->nr_progs; i++)
		fprintf(out, "pinscope_bpf_runs_total{program=\"%s\"} %llu\n",
			v->r->progs[i].name, v->r->progs[i].run_cnt);
}

void render_prom(FILE *out, const struct prom_view *v)
{
	build_info(out, v);
	register_calls(out, v);
	register_latency(out, v);
	registered(out, v);
	fixed_io(out, v);
	per_io_pinned(out, v);
	pinned_twice(out, v);
	self(out, v);
}
