// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Records as BPF sends them, widened for their readers (event_widen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd_trace.h"
#include "event_widen.h"
#include "unit.h"

/* A successful registration as BPF sends it: exactly its short size. */
static void *short_record(__u32 type, long ret)
{
	struct ps_event e;
	void *rec = malloc(PS_EVENT_REG_OK_SIZE);

	memset(&e, 0xab, sizeof(e));
	e.type = type;
	e.opcode = PS_REG_BUFFERS;
	e.ret = ret;
	e.lat_ns = 4321;
	e.sum.buffers = 16;
	memcpy(e.comm, "regcall", 8);
	memcpy(rec, &e, PS_EVENT_REG_OK_SIZE);
	return rec;
}

void test_event_widen(void)
{
	struct ps_event wide, full = { .type = PS_EV_REGISTER, .ret = -12 };
	void *e = short_record(PS_EV_REGISTER, 0);
	const struct ps_event *got;
	size_t size = PS_EVENT_REG_OK_SIZE;
	FILE *out = fopen("/dev/null", "w");

	/* without widening, trace takes a short record for a malformed one */
	ASSERT_TRUE(!trace_print_record(out, false, 0, e, size), "short record refused as is");

	got = event_widen(e, &size, &wide);
	ASSERT_TRUE(got == &wide, "widened into the caller's struct");
	ASSERT_EQ(size, sizeof(struct ps_event), "widened size");
	ASSERT_EQ(got->lat_ns, 4321, "latency kept");
	ASSERT_EQ(got->sum.buffers, 16, "sum kept");
	ASSERT_STREQ(got->comm, "regcall", "comm kept");
	ASSERT_EQ(got->diag.locked_pages, 0, "no diagnosis: zero");
	ASSERT_EQ(got->diag.fault[0].index, 0, "no fault list: zero");
	ASSERT_EQ(got->ring_info.id, 0, "no ring info: zero");
	ASSERT_TRUE(trace_print_record(out, false, 0, got, size), "widened record printed");

	/* a failure is only ever sent whole: a short one stays malformed */
	free(e);
	e = short_record(PS_EV_REGISTER, -14);
	size = PS_EVENT_REG_OK_SIZE;
	ASSERT_TRUE(event_widen(e, &size, &wide) == e, "short failure left alone");
	ASSERT_EQ(size, PS_EVENT_REG_OK_SIZE, "short failure's size");

	/* other types, shorter records and whole ones pass as they came */
	free(e);
	e = short_record(PS_EV_RING_CREATE, 0);
	ASSERT_TRUE(event_widen(e, &size, &wide) == e, "other type left alone");
	free(e);
	e = short_record(PS_EV_REGISTER, 0);
	size = PS_EVENT_REG_OK_SIZE - 1;
	ASSERT_TRUE(event_widen(e, &size, &wide) == e, "shorter record left alone");
	size = sizeof(full);
	ASSERT_TRUE(event_widen(&full, &size, &wide) == (void *)&full, "whole record left alone");
	ASSERT_EQ(size, sizeof(full), "whole record's size");
	free(e);
	fclose(out);
}
