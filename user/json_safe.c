// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The real json-c calls behind json_safe.h's names (not included here). */
#define PSJ_REAL_CALLS
#include "json_safe.h"

static bool failed;
static long fail_countdown;

json_object *psj_made(json_object *o)
{
	if (fail_countdown && !--fail_countdown) {
		json_object_put(o);
		o = NULL;
	}
	if (!o)
		failed = true;
	return o;
}

int psj_object_add(json_object *obj, const char *key, json_object *val)
{
	if (!obj) {
		json_object_put(val);
		return -1;
	}
	if (json_object_object_add(obj, key, val)) {
		json_object_put(val);
		failed = true;
		return -1;
	}
	return 0;
}

int psj_array_add(json_object *arr, json_object *val)
{
	if (!arr) {
		json_object_put(val);
		return -1;
	}
	if (json_object_array_add(arr, val)) {
		json_object_put(val);
		failed = true;
		return -1;
	}
	return 0;
}

bool psj_failed(void)
{
	return failed;
}

void psj_reset(void)
{
	failed = false;
}

void psj_fail_at(long nth)
{
	fail_countdown = nth;
}
