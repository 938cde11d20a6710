/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reads the BPF maps into a struct report (the one aggregation step). */
#ifndef PS_COLLECT_H
#define PS_COLLECT_H

#include "report.h"
#include "tracer.h"

/* Fills r's data sections (rings, processes, histograms, counters). */
int collect_report(struct tracer *t, struct report *r);

typedef bool (*collect_keep_fn)(const struct ps_ring *ring, void *cookie);
/*
 * Only the rings keep() wants (all for NULL), with everything counted for
 * them; nothing else of the report. Cheap when it wants none.
 */
int collect_rings_where(struct tracer *t, struct report *r, collect_keep_fn keep,
			void *cookie);
void collect_procs_only(struct tracer *t, struct report *r);

#endif
