// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Section 6: a long session's state stays bounded. Rings by the hundred
 * thousand, created, registered and destroyed under `pinscope stat`: every
 * registration counted, no ring dropped, and pinscope's peak RSS and the
 * BPF maps' memory under fixed bounds however many rings pass.
 */
#include <math.h>
#include "report.h"

#define CHURN_RSS_MIB		32.0	/* harvest.h keeps 512 gone rings whole */
#define CHURN_MAPS_MIB		64.0	/* a burst of ~40,000 live entries */

void section_churn(struct report *r)
{
	json_object *recs[8];
	size_t n = recs_of(r, "churn", recs, 8);
	char b[4][32];

	fprintf(r->md, "## 6. A long session's memory\n\n");
	if (!n) {
		harness_error(r, "churn: no measurement");
		return;
	}
	json_object *rec = recs[n - 1];
	double rings = num(rec, "result.rings"), rss = num(rec, "result.peak_rss_kib") / 1024;
	double maps = num(rec, "result.peak_map_bytes") / (1024 * 1024);
	double dropped = num(rec, "rings_dropped"), calls = num(rec, "register_calls");

	fprintf(r->md, "`pinscope stat -- pinscope-workload ring_churn`: %.0f rings created, "
		"given one 4 KiB buffer and destroyed by %.0f processes, sampled every 0.1 s.\n\n"
		"| rings | registrations counted | rings dropped | peak RSS MiB | BPF maps MiB |\n"
		"| ---: | ---: | ---: | ---: | ---: |\n| %.0f | %s | %s | %s | %s |\n\n",
		rings, num(rec, "result.procs"), rings, fmt(b[0], 32, "%.0f", calls),
		fmt(b[1], 32, "%.0f", dropped), fmt(b[2], 32, "%.1f", rss),
		fmt(b[3], 32, "%.1f", maps));
	json_object_object_add(r->doc, "churn", json_object_get(rec));
	target(r, "6a", "every registration of the churned rings counted, none dropped",
	       calls == rings && dropped == 0 ? PASS : MISS,
	       "%.0f of %.0f counted, %.0f dropped", calls, rings, dropped);
	target(r, "6b", "peak RSS <= 32 MiB over the churn", rss <= CHURN_RSS_MIB ? PASS : MISS,
	       "%.1f MiB", rss);
	target(r, "6c", "BPF map memory <= 64 MiB over the churn",
	       maps <= CHURN_MAPS_MIB ? PASS : MISS, "%.1f MiB", maps);
}
