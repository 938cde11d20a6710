/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* pinscope top's screen: a header of totals, then one line per ring, ranked. */
#ifndef PS_RENDER_TOP_H
#define PS_RENDER_TOP_H

#include <stdio.h>
#include "report.h"

enum top_sort { TOP_BY_BYTES, TOP_BY_IOPS, TOP_BY_PINNED, TOP_SORTS };

/* One live ring with its rates over the last refresh. */
struct top_row {
	const struct ring_report *ring;
	uint64_t bufs, bytes;		/* registered now */
	double iops, bps;		/* fixed-buffer IOs and bytes per second */
	double pin_iops;		/* IOs per second that pinned pages per IO */
	uint64_t pinned_ios;		/* since tracing began */
};

struct top_view {
	const struct report *r;
	struct top_row *rows;
	size_t nr_rows;
	double refresh_s;
	enum top_sort sort;
	int max_rows;			/* ring lines that fit; <= 0: all */
	const char *clock;		/* "HH:MM:SS" */
};

/* What a ring has registered now: the table as read, else its traced calls. */
void top_registered(const struct ring_report *ring, uint64_t *bufs, uint64_t *bytes);
void top_rank(struct top_row *rows, size_t n, enum top_sort sort);
const char *top_sort_name(enum top_sort sort);
void render_top(FILE *out, const struct top_view *v);

#endif
