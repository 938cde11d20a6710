/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reads the BPF maps into a struct report (the one aggregation step). */
#ifndef PS_COLLECT_H
#define PS_COLLECT_H

#include "report.h"
#include "tracer.h"

/* Fills r's data sections (rings, processes, histograms, counters). */
int collect_report(struct tracer *t, struct report *r);

#endif
