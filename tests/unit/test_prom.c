// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The exporter's pieces: which rings keep series, and the exposition text. */
#include <stdlib.h>
#include <string.h>
#include "render_prom.h"
#include "ring_series.h"
#include "unit.h"

static void add_ring(struct report *r, uint32_t id, bool gone)
{
	struct ring_report *ring;

	r->rings = realloc(r->rings, (r->nr_rings + 1) * sizeof(*r->rings));
	ring = &r->rings[r->nr_rings++];
	memset(ring, 0, sizeof(*ring));
	ring->info.id = id;
	ring->info.pid = 100 + id;
	ring->info.fd = 3;
	snprintf(ring->info.comm, sizeof(ring->info.comm), "db\"%u", id);
	ring->reg[REG_REGISTER].calls = id;
	ring->gone = gone;
}

static size_t view_ids(struct ring_series *rs, uint32_t *ids)
{
	const struct ring_report *const *rings;
	size_t n = ring_series_view(rs, &rings);

	for (size_t i = 0; i < n; i++)
		ids[i] = rings[i]->info.id;
	return n;
}

void test_ring_series(void)
{
	struct ring_series *rs = ring_series_new(10);
	struct report a = {}, b = {}, c = {};
	uint32_t ids[8];

	/* live rings 1 and 2; the report lists gone ones after live ones */
	add_ring(&a, 2, false);
	add_ring(&a, 1, false);
	ASSERT_EQ(ring_series_update(rs, &a, 0), 0, "update a");
	ASSERT_EQ(view_ids(rs, ids), 2, "two live rings");
	ASSERT_EQ(ids[0], 1, "by id");
	/* ring 1 is gone at t=5: still shown within the grace period */
	add_ring(&b, 2, false);
	add_ring(&b, 1, true);
	ASSERT_EQ(ring_series_update(rs, &b, 5), 0, "update b");
	report_free(&a);
	ASSERT_EQ(view_ids(rs, ids), 2, "gone ring kept within the grace");
	/* t=14: past 10 s since ring 1 was last live; ring 2 left the report
	 * while live: it keeps its copy */
	add_ring(&c, 1, true);
	ASSERT_EQ(ring_series_update(rs, &c, 14), 0, "update c");
	report_free(&b);
	ASSERT_EQ(view_ids(rs, ids), 1, "gone ring dropped after the grace");
	ASSERT_EQ(ids[0], 2, "the live ring that left keeps its copy");
	ASSERT_EQ(ring_series_update(rs, &c, 40), 0, "update c again");
	ASSERT_EQ(view_ids(rs, ids), 0, "and loses it after the grace too");
	report_free(&c);
	ring_series_free(rs);
}

void test_render_prom(void)
{
	struct report r = {};
	struct hist_report h = { .kind = PS_HIST_REG_LAT, .op = PS_REG_BUFFERS2 };
	struct io_op_report op = { .opcode = PS_OP_READ_FIXED, .ops = 7, .bytes = 28672 };
	struct errno_count err = { .err = 12, .count = 2 };
	const struct ring_report *rings[1];
	struct prom_view v = { .r = &r, .rings = rings, .nr_rings = 1, .version = "v1" };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(r.kernel, sizeof(r.kernel), "6.12");
	r.backend = "fentry";
	add_ring(&r, 5, false);
	r.rings[0].registered_known = true;
	r.rings[0].registered.buffers = 4;
	r.rings[0].io_ops = &op;
	r.rings[0].nr_io_ops = 1;
	r.rings[0].reg[REG_REGISTER].errors = &err;
	r.rings[0].reg[REG_REGISTER].nr_errors = 1;
	h.slots[0] = 1;		/* 0 ns */
	h.slots[11] = 2;	/* [1024, 2047] ns */
	r.hists = &h;
	r.nr_hists = 1;
	r.totals.reg[REG_REGISTER].lat_total_ns = 3000;
	rings[0] = &r.rings[0];
	/* pairs summed over opcodes per (ring, other ring); a ring not shown has none */
	struct pinned_twice twice[] = {
		{ .ring = 5, .other_ring = 9, .opcode = PS_REG_BUFFERS, .pages = 3 },
		{ .ring = 7, .other_ring = 5, .opcode = PS_REG_BUFFERS, .pages = 1 },
		{ .ring = 5, .other_ring = 8, .opcode = PS_REG_BUFFERS, .pages = 2 },
		{ .ring = 5, .other_ring = 9, .opcode = PS_REG_BUFFERS2, .pages = 4 },
	};
	v.twice = twice;
	v.nr_twice = 4;
	f = open_memstream(&text, &len);
	render_prom(f, &v);
	fclose(f);
	ASSERT_TRUE(strstr(text, "pinscope_pinned_twice_pages{ring=\"5\",pid=\"105\","
			   "comm=\"db\\\"5\",fd=\"3\",other_ring=\"9\",other_fd=\"-1\"} 7\n"),
		    "pinned twice, summed over opcodes");
	ASSERT_TRUE(strstr(text, ",other_ring=\"8\",other_fd=\"-1\"} 2\n"), "the other pair");
	ASSERT_TRUE(!strstr(text, "pinscope_pinned_twice_pages{ring=\"7\""), "ring 7 is not shown");
	v.nr_twice = 0;
	ASSERT_TRUE(strstr(text, "pinscope_build_info{version=\"v1\",kernel=\"6.12\","
			   "backend=\"fentry\"} 1\n"), "build_info");
	ASSERT_TRUE(strstr(text, "pinscope_register_calls_total{ring=\"5\",pid=\"105\","
			   "comm=\"db\\\"5\",fd=\"3\",kind=\"register\"} 5\n"),
		    "calls, comm escaped");
	ASSERT_TRUE(strstr(text, ",kind=\"register\",errno=\"ENOMEM\"} 2\n"), "errors by errno");
	ASSERT_TRUE(strstr(text, "pinscope_register_latency_seconds_bucket{kind=\"register\","
			   "le=\"0\"} 1\n"), "slot 0 is le 0");
	ASSERT_TRUE(strstr(text, "le=\"1.023e-06\"} 1\n"), "below slot 11");
	ASSERT_TRUE(strstr(text, "le=\"2.047e-06\"} 3\n"), "slot 11 ends at 2047 ns");
	ASSERT_TRUE(strstr(text, "le=\"+Inf\"} 3\n"), "+Inf is the count");
	ASSERT_TRUE(strstr(text, "pinscope_register_latency_seconds_sum{kind=\"register\"} "
			   "0.000003000\n"), "sum from the totals");
	ASSERT_TRUE(!strstr(text, "kind=\"update\",le="), "no histogram for kinds without calls");
	ASSERT_TRUE(strstr(text, "pinscope_registered_buffers{ring=\"5\""), "registered gauge");
	ASSERT_TRUE(strstr(text, ",opcode=\"READ_FIXED\"} 28672\n"), "fixed io bytes");
	ASSERT_TRUE(!strstr(text, "pinscope_bpf_run_seconds_total"), "no bpf stats unless asked");
	free(text);
	/* gone: counters stay, the table gauges go */
	r.rings[0].gone = true;
	text = NULL;
	f = open_memstream(&text, &len);
	render_prom(f, &v);
	fclose(f);
	ASSERT_TRUE(!strstr(text, "pinscope_registered_buffers{"), "no table gauge once gone");
	ASSERT_TRUE(strstr(text, "pinscope_fixed_io_ops_total{ring=\"5\""), "counters stay");
	free(text);
	r.rings[0].io_ops = NULL;
	r.rings[0].nr_io_ops = 0;
	r.rings[0].reg[REG_REGISTER].errors = NULL;
	r.rings[0].reg[REG_REGISTER].nr_errors = 0;
	r.hists = NULL;
	r.nr_hists = 0;
	report_free(&r);
}
