// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stat JSON renderer against a hand-built report: the keys tests rely on. */
#include <stdlib.h>
#include "render.h"
#include "unit.h"

static json_object *get(json_object *o, const char *path)
{
	char buf[128], *save;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

void test_stat_json(void)
{
	struct ring_report rings[2] = {};
	struct io_op_report ops[1] = { { PS_OP_READ_FIXED, 48, 196608, 0 } };
	struct buf_index_report idx[2] = { { 3, 40 }, { 0, 8 } };
	struct clone_source src = { .ring = 1, .calls = 1, .buffers = 4 };
	struct errno_count err = { .err = 12, .count = 2 };
	struct report r = { .backend = "tracepoint", .rings = rings, .nr_rings = 2,
			    .measures = { .fixed_io = true, .pinned_io = true } };
	json_object *doc, *ring0, *ring1, *v;

	rings[0].info = (struct ps_ring){ .id = 1, .pid = 100, .fd = 3 };
	rings[0].reg[REG_REGISTER].calls = 3;
	rings[0].reg[REG_REGISTER].failures = 2;
	rings[0].reg[REG_REGISTER].sum.pages = 16;
	rings[0].reg[REG_REGISTER].sum.acct_pages = 16;
	rings[0].reg[REG_REGISTER].errors = &err;
	rings[0].reg[REG_REGISTER].nr_errors = 1;
	rings[0].io_ops = ops;
	rings[0].nr_io_ops = 1;
	rings[0].buf_index = idx;
	rings[0].nr_buf_index = 2;
	rings[1].info = (struct ps_ring){ .id = 2, .pid = 100, .fd = 4 };
	rings[1].reg[REG_CLONE].calls = 1;
	rings[1].reg[REG_CLONE].sum.shared = 4;
	rings[1].reg[REG_CLONE].sources = &src;
	rings[1].reg[REG_CLONE].nr_sources = 1;

	doc = render_stat_json(&r);
	ring0 = json_object_array_get_idx(get(doc, "rings"), 0);
	ring1 = json_object_array_get_idx(get(doc, "rings"), 1);
	ASSERT_EQ(json_object_get_int(get(ring0, "fd")), 3, "fd");
	ASSERT_EQ(json_object_get_uint64(get(ring0, "register.pages")), 16, "register.pages");
	ASSERT_EQ(json_object_get_uint64(get(ring0, "register.errors.ENOMEM")), 2, "errors by name");
	ASSERT_TRUE(get(ring0, "register.acct_pages") == NULL, "acct_pages null when unknown");
	ASSERT_TRUE(get(ring0, "unregister") == NULL, "no unregister object without calls");
	ASSERT_EQ(json_object_get_uint64(get(ring0, "fixed_io.READ_FIXED.ops")), 48, "ops");
	ASSERT_EQ(json_object_get_uint64(get(ring0, "buf_index_ops.3")), 40, "index 3");
	ASSERT_TRUE(get(ring0, "pinned_io.ios") != NULL, "pinned_io measured");
	ASSERT_EQ(json_object_get_uint64(get(ring0, "pinned_io.ios")), 0, "pinned ios");
	v = json_object_array_get_idx(get(ring1, "clone.sources"), 0);
	ASSERT_EQ(json_object_get_int(get(v, "fd")), 3, "clone source named by its fd");
	ASSERT_EQ(json_object_get_uint64(get(ring1, "clone.shared")), 4, "shared");
	json_object_put(doc);

	r.acct_pages_known = true;
	doc = render_stat_json(&r);
	ring0 = json_object_array_get_idx(get(doc, "rings"), 0);
	ASSERT_EQ(json_object_get_uint64(get(ring0, "register.acct_pages")), 16, "acct_pages known");
	ASSERT_TRUE(get(doc, "lost_events") != NULL, "lost_events key");
	json_object_put(doc);

	/* --registration-only: per-IO sections are unmeasured, not zero */
	r.measures = (struct measures){};
	doc = render_stat_json(&r);
	ring0 = json_object_array_get_idx(get(doc, "rings"), 0);
	ASSERT_TRUE(get(ring0, "fixed_io") == NULL, "fixed_io null when unmeasured");
	ASSERT_TRUE(get(ring0, "pinned_io") == NULL, "pinned_io null when unmeasured");
	json_object_put(doc);
}
