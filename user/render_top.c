// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "fmt.h"
#include "render_top.h"
#include "sort.h"

void top_registered(const struct ring_report *ring, uint64_t *bufs, uint64_t *bytes)
{
	int64_t b = 0, n = 0;

	if (ring->registered_known) {
		*bufs = ring->registered.buffers;
		*bytes = ring->registered.bytes;
		return;
	}
	/* Without a snapshot: what the traced calls added and dropped. */
	for (int k = 0; k < REG_KINDS; k++) {
		int sign = k == REG_UNREGISTER ? -1 : 1;

		if (k == REG_UPDATE)
			continue;	/* it replaces slots: no net count to add */
		n += sign * (int64_t)ring->reg[k].sum.buffers;
		b += sign * (int64_t)ring->reg[k].sum.bytes;
	}
	*bufs = n > 0 ? n : 0;
	*bytes = b > 0 ? b : 0;
}

const char *top_sort_name(enum top_sort sort)
{
	static const char *const names[TOP_SORTS] = {
		"registered bytes", "fixed-buffer IOPS", "per-IO pinning",
	};

	return sort < TOP_SORTS ? names[sort] : "?";
}

static enum top_sort sort_key;

static int cmp_double(double x, double y)
{
	return (x < y) - (x > y);	/* larger first */
}

static int by_key(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	int c = 0;

	switch (sort_key) {
	case TOP_BY_BYTES:
		c = cmp_double(x->bytes, y->bytes);
		break;
	case TOP_BY_IOPS:
		c = cmp_double(x->iops, y->iops);
		break;
	case TOP_BY_PINNED:
		c = cmp_double(x->pin_iops, y->pin_iops);
		if (!c)
			c = cmp_double(x->pinned_ios, y->pinned_ios);
		break;
	default:
		break;
	}
	if (!c)
		c = (x->ring->info.id > y->ring->info.id) - (x->ring->info.id < y->ring->info.id);
	return c;
}

void top_rank(struct top_row *rows, size_t n, enum top_sort sort)
{
	sort_key = sort;
	SORT(rows, n, by_key);
}

__attribute__((format(printf, 3, 4)))
static const char *line(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

void render_top(FILE *out, const struct top_view *v)
{
	uint64_t bufs = 0, bytes = 0;
	double iops = 0, bps = 0, pin_iops = 0;
	char b1[160], b2[32];
	size_t shown = v->nr_rows;

	for (size_t i = 0; i < v->nr_rows; i++) {
		bufs += v->rows[i].bufs;
		bytes += v->rows[i].bytes;
		iops += v->rows[i].iops;
		bps += v->rows[i].bps;
		pin_iops += v->rows[i].pin_iops;
	}
	/* the kernel's name is as long as distributions make it: cut at 79 */
	fprintf(out, "%.79s\n", line(b1, sizeof(b1), "pinscope top - %s, backend %s, every %.1fs, "
				     "kernel %s", v->clock, v->r->backend, v->refresh_s,
				     v->r->kernel));
	fprintf(out, "%zu rings, %s registered in %llu buffers; fixed IO %.0f/s %s/s\n",
		v->nr_rows, fmt_bytes(bytes, b1, sizeof(b1)), (unsigned long long)bufs, iops,
		fmt_bytes(bps, b2, sizeof(b2)));
	fprintf(out, "per-IO pinning %.0f IOs/s; lost %llu; by %s (b i p, q quits)\n\n",
		pin_iops, (unsigned long long)v->r->counters[PS_CNT_LOST_EVENTS],
		top_sort_name(v->sort));
	fprintf(out, "%5s %7s %-15s %4s %5s %9s %9s %9s %8s\n", "RING", "PID", "COMM", "FD",
		"BUFS", "BYTES", "FIX-IO/s", "FIX-B/s", "PIN-IO/s");
	if (v->max_rows > 0 && shown > (size_t)v->max_rows)
		shown = v->max_rows;
	for (size_t i = 0; i < shown; i++) {
		const struct top_row *row = &v->rows[i];
		char comm[PS_COMM_LEN + 1], shown_comm[64];

		/* as ps shows names: no escape sequence reaches the terminal */
		memcpy(comm, row->ring->info.comm, PS_COMM_LEN);
		comm[PS_COMM_LEN] = '\0';
		fprintf(out, "%5u %7u %-15s %4d %5llu %9s %9.0f %9s %8.0f\n",
			row->ring->info.id, row->ring->info.pid,
			fmt_printable(comm, shown_comm, sizeof(shown_comm), 15),
			row->ring->info.fd, (unsigned long long)row->bufs,
			fmt_bytes(row->bytes, b1, sizeof(b1)), row->iops,
			fmt_bytes(row->bps, b2, sizeof(b2)), row->pin_iops);
	}
	if (shown < v->nr_rows)
		fprintf(out, "(%zu more rings)\n", v->nr_rows - shown);
}
