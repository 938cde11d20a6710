/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * json-c, made safe for out-of-memory. json-c returns NULL when an
 * allocation fails and then asserts (SIGABRT) when NULL is used as a
 * container. Every file that builds JSON includes this header instead of
 * <json-c/json.h>: the constructors below note a failure, adding to a NULL
 * container drops the value, and the printer (render_json_print) writes no
 * half-built document but leaves the out-of-memory error to the caller.
 */
#ifndef PS_JSON_SAFE_H
#define PS_JSON_SAFE_H

#include <stdbool.h>
#include <json-c/json.h>

/* o, or NULL after noting that an allocation failed */
json_object *psj_made(json_object *o);
int psj_object_add(json_object *obj, const char *key, json_object *val);
int psj_array_add(json_object *arr, json_object *val);
/* Whether an allocation failed since the last psj_reset(). */
bool psj_failed(void);
void psj_reset(void);
/* Tests: the nth constructor from now on fails (0: none). */
void psj_fail_at(long nth);

#ifndef PSJ_REAL_CALLS	/* json_safe.c calls the real ones */
#define json_object_new_object()	psj_made(json_object_new_object())
#define json_object_new_array()		psj_made(json_object_new_array())
#define json_object_new_string(s)	psj_made(json_object_new_string(s))
#define json_object_new_string_len(s, n) psj_made(json_object_new_string_len(s, n))
#define json_object_new_int(v)		psj_made(json_object_new_int(v))
#define json_object_new_int64(v)	psj_made(json_object_new_int64(v))
#define json_object_new_uint64(v)	psj_made(json_object_new_uint64(v))
#define json_object_new_double(v)	psj_made(json_object_new_double(v))
#define json_object_new_boolean(v)	psj_made(json_object_new_boolean(v))
#define json_object_object_add(o, k, v)	psj_object_add(o, k, v)
#define json_object_array_add(a, v)	psj_array_add(a, v)
#endif

#endif
