/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The report as Prometheus text exposition (format 0.0.4): the exporter's
 * /metrics and its --textfile. docs/metrics.md lists every metric.
 */
#ifndef PS_RENDER_PROM_H
#define PS_RENDER_PROM_H

#include <stdbool.h>
#include <stdio.h>
#include "ranges.h"
#include "report.h"

struct prom_view {
	const struct report *r;		/* globals: histograms, counters, programs */
	const struct ring_report *const *rings;	/* the rings to show, by id */
	size_t nr_rings;
	const struct pinned_twice *twice;	/* check's tracker, or NULL */
	size_t nr_twice;
	const char *version;
	double collect_s;		/* what the previous collection took */
	bool bpf_stats;			/* --bpf-stats: program run times */
};

void render_prom(FILE *out, const struct prom_view *v);
/* The ring of that id among those shown, or NULL. */
const struct ring_report *prom_view_ring(const struct prom_view *v, uint32_t id);

#endif
