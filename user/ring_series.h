/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which rings a long-running renderer (the exporter) still shows, across
 * reports: a live ring as the newest report has it; a ring that is gone
 * (the kernel freed it) or no longer in the report with its last numbers,
 * for a grace period, then not at all. Sums over every ring come from the
 * report's totals, which never go backwards when series disappear.
 */
#ifndef PS_RING_SERIES_H
#define PS_RING_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "report.h"

struct ring_series;

struct ring_series *ring_series_new(double grace_s);
void ring_series_free(struct ring_series *rs);
/*
 * Takes a new report at time now_s (seconds, monotonic). The report the
 * previous call was given must still be valid during this call (rings that
 * left the report are copied out of it); afterwards only r is referenced.
 * Entries summing many gone rings (folded) get no series.
 */
int ring_series_update(struct ring_series *rs, const struct report *r, double now_s);
/* The rings to show, by ring id; valid until the next update. */
size_t ring_series_view(const struct ring_series *rs, const struct ring_report *const **rings);
/* Whether a ring in the view is live (in the report and not gone). */
bool ring_series_live(const struct ring_report *ring, const struct report *r);

#endif
