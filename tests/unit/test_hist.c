// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include "pinscope_hist.h"
#include "render.h"
#include "unit.h"

void test_hist_slots(void)
{
	ASSERT_EQ(ps_log2_slot(0), 0, "slot of 0");
	ASSERT_EQ(ps_log2_slot(1), 1, "slot of 1");
	ASSERT_EQ(ps_log2_slot(2), 2, "slot of 2");
	ASSERT_EQ(ps_log2_slot(3), 2, "slot of 3");
	ASSERT_EQ(ps_log2_slot(4), 3, "slot of 4");
	ASSERT_EQ(ps_log2_slot(4095), 12, "slot of 4095");
	ASSERT_EQ(ps_log2_slot(4096), 13, "slot of 4096");
	ASSERT_EQ(ps_log2_slot(~0ULL), PS_HIST_SLOTS - 1, "huge values land in the last slot");
	/* every slot's bounds map back to that slot, and slots tile the range */
	for (unsigned k = 1; k < PS_HIST_SLOTS - 1; k++) {
		ASSERT_EQ(ps_log2_slot(ps_slot_low(k)), k, "low bound's slot");
		ASSERT_EQ(ps_log2_slot(ps_slot_high(k)), k, "high bound's slot");
		ASSERT_EQ(ps_slot_high(k - 1) + 1, ps_slot_low(k), "slots are contiguous");
	}
}

void test_hist_render(void)
{
	struct hist_report h = { .kind = PS_HIST_REG_LAT, .op = PS_REG_CLONE_BUFFERS };
	struct report r = { .backend = "tracepoint", .hists = &h, .nr_hists = 1 };
	json_object *doc, *list, *first, *buckets, *v;
	char title[96];

	h.slots[ps_log2_slot(6000)] = 3;	/* 4096..8191 */
	h.slots[ps_log2_slot(17)] = 1;		/* 16..31 */
	ASSERT_STREQ(hist_title(&h, title, sizeof(title)),
		     "clone latency (REGISTER_CLONE_BUFFERS)", "clone title");
	doc = render_hist_json(&r);
	ASSERT_TRUE(json_object_object_get_ex(doc, "histograms", &list), "histograms key");
	first = json_object_array_get_idx(list, 0);
	json_object_object_get_ex(first, "count", &v);
	ASSERT_EQ(json_object_get_uint64(v), 4, "total count");
	json_object_object_get_ex(first, "buckets", &buckets);
	ASSERT_EQ(json_object_array_length(buckets), 2, "only non-empty buckets");
	json_object_object_get_ex(json_object_array_get_idx(buckets, 1), "low", &v);
	ASSERT_EQ(json_object_get_uint64(v), 4096, "second bucket low");
	json_object_object_get_ex(json_object_array_get_idx(buckets, 1), "high", &v);
	ASSERT_EQ(json_object_get_uint64(v), 8191, "second bucket high");
	json_object_put(doc);
}

/* Each histogram's "opcode" names the opcode kind its op holds. */
void test_hist_opcodes(void)
{
	struct hist_report h[] = {
		{ .kind = PS_HIST_REG_LAT, .op = PS_REG_BUFFERS },
		{ .kind = PS_HIST_PIN_LAT, .op = PS_REG_BUFFERS2 },
		{ .kind = PS_HIST_IO_LAT, .op = PS_OP_READ_FIXED },
		{ .kind = PS_HIST_IMPORT_LAT, .op = PS_OP_WRITE_FIXED },
		{ .kind = PS_HIST_IMPORT_LAT, .op = PS_OP_UNKNOWN },
	};
	static const char *const want[] = {
		"REGISTER_BUFFERS", "REGISTER_BUFFERS2", "READ_FIXED", "WRITE_FIXED", "unknown",
	};
	struct report r = { .backend = "fentry", .hists = h, .nr_hists = 5 };
	json_object *doc = render_hist_json(&r), *list, *v;

	ASSERT_TRUE(json_object_object_get_ex(doc, "histograms", &list), "histograms key");
	for (size_t i = 0; i < 5; i++) {
		json_object_object_get_ex(json_object_array_get_idx(list, i), "opcode", &v);
		ASSERT_STREQ(json_object_get_string(v), want[i], "opcode name by kind");
	}
	json_object_put(doc);
}
