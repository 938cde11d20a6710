// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --self-test for the check matcher (check_match.c): a crafted oracle and
 * `pinscope check -j` report that match, and broken copies each of which
 * must produce its mismatch first. Like selftest.c, but for the verdict's
 * tables, which name rings by id where the oracle names them by fd.
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"

/*
 * pid 100: fd 4 registered what fd 3 holds (64 pages twice) and had one
 * ENOMEM; fd 5 read without registered buffers (3 IOs, 5 pages).
 */
static const char check_oracle[] =
"{ \"case\": \"selftest_check\", \"status\": \"ran\", \"pid\": 100,"
"  \"rings\": ["
"    { \"pid\": 100, \"fd\": 3, \"setup_flags\": 0,"
"      \"register\": { \"calls\": 1, \"errors\": {} },"
"      \"pinned_io\": { \"ios\": 0, \"pages\": 0 } },"
"    { \"pid\": 100, \"fd\": 4, \"setup_flags\": 0,"
"      \"register\": { \"calls\": 2, \"errors\": { \"ENOMEM\": 1 } },"
"      \"pinned_io\": { \"ios\": 0, \"pages\": 0 } },"
"    { \"pid\": 100, \"fd\": 5, \"setup_flags\": 0,"
"      \"pinned_io\": { \"ios\": 3, \"pages\": 5 } } ],"
"  \"direct_io\": { \"ios\": 0, \"pages\": 0 },"
"  \"pinned_twice\": [ { \"fd\": 4, \"other_fd\": 3,"
"                       \"opcode\": \"REGISTER_BUFFERS\", \"pages\": 64 } ] }";

/* Ring ids deliberately unlike the fds; pid 200 is another process. */
static const char check_report[] =
"{ \"kernel\": \"6.1.0-selftest\", \"verdict\": \"fail\", \"exit_status\": 1,"
"  \"problems\": [], \"notes\": [],"
"  \"rings\": ["
"    { \"ring\": 7, \"pid\": 100, \"fd\": 3 },"
"    { \"ring\": 8, \"pid\": 100, \"fd\": 4 },"
"    { \"ring\": 9, \"pid\": 100, \"fd\": 5 },"
"    { \"ring\": 10, \"pid\": 200, \"fd\": 4 } ],"
"  \"per_io_pinning\": ["
"    { \"ring\": 9, \"pid\": 100, \"fd\": 5, \"opcode\": \"READ\", \"ios\": 2, \"pages\": 4 },"
"    { \"ring\": 9, \"pid\": 100, \"fd\": 5, \"opcode\": \"WRITE\", \"ios\": 1, \"pages\": 1 } ],"
"  \"pinned_twice\": ["
"    { \"pid\": 100, \"ring\": 8, \"other_ring\": 7, \"opcode\": \"REGISTER_BUFFERS\","
"      \"pages\": 64, \"start\": 4096, \"end\": 266240, \"pin_ns\": 1000,"
"      \"advice\": \"clone\" } ],"
"  \"clone_violations\": [],"
"  \"ring_memory\": [],"
"  \"failed_registrations\": ["
"    { \"ring\": 8, \"pid\": 100, \"opcode\": \"REGISTER_BUFFERS\", \"errno\": \"ENOMEM\","
"      \"requested_pages\": 64, \"unaligned_extra_pages\": 0 } ],"
"  \"failed_registrations_more\": 0,"
"  \"pinned_twice_more\": { \"pages\": 0, \"calls\": 0, \"pin_ns\": 0 } }";

static json_object *twice0(json_object *r)
{
	return json_object_array_get_idx(jpath(r, "pinned_twice"), 0);
}

static void m_none(json_object *o, json_object *r) { (void)o; (void)r; }

static void m_missing_twice(json_object *o, json_object *r)
{
	json_object_array_del_idx(jpath(r, "pinned_twice"), 0, 1);
}

static void m_twice_pages(json_object *o, json_object *r)
{
	json_object_object_add(twice0(r), "pages", json_object_new_int64(63));
}

/* The right fds' pages, but ring ids of the wrong rings. */
static void m_twice_other_ring(json_object *o, json_object *r)
{
	json_object_object_add(twice0(r), "other_ring", json_object_new_int64(10));
}

static void m_per_io_ios(json_object *o, json_object *r)
{
	json_object *e = json_object_array_get_idx(jpath(r, "per_io_pinning"), 1);

	json_object_object_add(e, "ios", json_object_new_int64(2));
}

/* O_DIRECT outside io_uring, noted with its pages as if per IO. */
static void m_direct_io_note(json_object *o, json_object *r)
{
	json_object *dio = jpath(o, "direct_io");

	json_object_object_add(dio, "ios", json_object_new_int64(9));
	json_object_object_add(dio, "pages", json_object_new_int64(144));
	json_object_array_add(jpath(r, "notes"), json_object_new_string(
		"pid 100 did 9 O_DIRECT IOs outside io_uring, pinning 144 pages per IO: "
		"not io_uring's, not judged"));
}

static void m_direct_io_no_note(json_object *o, json_object *r)
{
	json_object_object_add(jpath(o, "direct_io"), "ios", json_object_new_int64(9));
}

/* The failure past the report's first ones: counted, not listed (a match). */
static void m_failure_counted(json_object *o, json_object *r)
{
	json_object_array_del_idx(jpath(r, "failed_registrations"), 0, 1);
	json_object_object_add(r, "failed_registrations_more", json_object_new_int64(1));
}

static void m_failure_lost(json_object *o, json_object *r)
{
	json_object_array_del_idx(jpath(r, "failed_registrations"), 0, 1);
}

static void m_failures_more_extra(json_object *o, json_object *r)
{
	json_object_object_add(r, "failed_registrations_more", json_object_new_int64(2));
}

/* The pair past the report's list: summed in pinned_twice_more (a match). */
static void m_twice_summed(json_object *o, json_object *r)
{
	json_object_array_del_idx(jpath(r, "pinned_twice"), 0, 1);
	json_object_object_add(jpath(r, "pinned_twice_more"), "pages", json_object_new_int64(64));
}

static void m_twice_summed_wrong(json_object *o, json_object *r)
{
	json_object_array_del_idx(jpath(r, "pinned_twice"), 0, 1);
	json_object_object_add(jpath(r, "pinned_twice_more"), "pages", json_object_new_int64(65));
}

/* Listed and summed too: the sum holds pages no oracle pair left out. */
static void m_twice_more_extra(json_object *o, json_object *r)
{
	json_object_object_add(jpath(r, "pinned_twice_more"), "pages", json_object_new_int64(1));
}

/* Skipped runs: pages summed past the oracle's are unproven, as listed pairs are. */
static void m_twice_more_unproven(json_object *o, json_object *r)
{
	json_object_object_add(r, "missed_runs", json_object_new_int64(3));
	json_object_object_add(jpath(r, "pinned_twice_more"), "pages", json_object_new_int64(5));
}

struct check_selftest {
	const char *name;
	void (*mutate)(json_object *oracle, json_object *report);
	const char *expect;	/* NULL: must match; else in the first mismatch */
};

static const struct check_selftest check_selftests[] = {
	{ "check_match", m_none, NULL },
	{ "check_missing_pinned_twice", m_missing_twice,
	  "pinned_twice[fd 4, other fd 3]: missing in report" },
	{ "check_wrong_pinned_twice_pages", m_twice_pages,
	  "pinned_twice[fd 4, other fd 3].pages: report 63, oracle 64" },
	{ "check_pinned_twice_wrong_ring", m_twice_other_ring,
	  "pinned_twice[fd 4, other fd 3]: missing in report" },
	{ "check_per_io_sum", m_per_io_ios,
	  "per_io_pinning ring fd 5: report ios 4 pages 5, oracle pinned_io ios 3 pages 5" },
	{ "check_direct_io_note_per_io", m_direct_io_note,
	  "expected \"did 9 O_DIRECT IOs\" and \"144 pages in all\"" },
	{ "check_direct_io_no_note", m_direct_io_no_note,
	  "notes: none for pid 100's O_DIRECT" },
	{ "check_failure_counted", m_failure_counted, NULL },
	{ "check_failure_lost", m_failure_lost,
	  "failed_registrations ring fd 4 ENOMEM: report 0, oracle register.errors 1" },
	{ "check_failures_more_extra", m_failures_more_extra,
	  "failed_registrations_more: report 2, oracle's errors not listed 0" },
	{ "check_pinned_twice_summed", m_twice_summed, NULL },
	{ "check_pinned_twice_summed_wrong", m_twice_summed_wrong,
	  "pinned_twice_more.pages: report 65, oracle's pairs not listed 64 (1 pairs)" },
	{ "check_pinned_twice_more_extra", m_twice_more_extra,
	  "pinned_twice_more.pages: report 1, oracle's pairs not listed 0 (0 pairs)" },
	{ "check_pinned_twice_more_unproven", m_twice_more_unproven, NULL },
};

static void run_one(const struct check_selftest *st)
{
	struct crafted c;
	struct test t;

	if (!test_begin(&t, "selftest/%s", st->name))
		return;
	/* The base oracle pinned twice and per IO: only exit 1 fits it. */
	if (crafted_pair(&t, check_oracle, check_report, st->mutate, compare_check_report,
			 "check matcher", st->expect, &c) &&
	    !st->expect && check_expected_exit(c.oracle) != 1)
		test_fail(&t, "check_expected_exit: %d, expected 1", check_expected_exit(c.oracle));
	crafted_free(&c);
	test_end(&t);
}

void run_check_selftests(void)
{
	for (size_t i = 0; i < sizeof(check_selftests) / sizeof(check_selftests[0]); i++)
		run_one(&check_selftests[i]);
}
