// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * --self-test: the comparer against crafted oracle/report pairs. A matcher
 * that never fails proves nothing, so each broken pair must produce the
 * expected mismatch (and the matching pairs none).
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"

/* Two rings of pid 100: fd 3 registered and read, fd 4 cloned from fd 3. */
static const char base_oracle[] =
"{ \"case\": \"selftest\", \"status\": \"ran\", \"pid\": 100,"
"  \"rings\": ["
"    { \"pid\": 100, \"fd\": 3, \"setup_flags\": 0,"
"      \"register\": { \"calls\": 1, \"slots\": 4, \"buffers\": 4, \"bytes\": 65536,"
"                      \"pages\": 16, \"bvecs\": 16, \"huge_buffers\": 0,"
"                      \"acct_pages\": 16, \"shared\": 0, \"errors\": {},"
"                      \"opcodes\": { \"REGISTER_BUFFERS\": 1 } },"
"      \"fixed_io\": { \"READ_FIXED\": { \"ops\": 64, \"bytes\": 262144 } },"
"      \"buf_index_ops\": { \"0\": 16, \"1\": 16, \"2\": 16, \"3\": 16 },"
"      \"pinned_io\": { \"ios\": 0, \"pages\": 0 } },"
"    { \"pid\": 100, \"fd\": 4, \"setup_flags\": 8,"
"      \"clone\": { \"calls\": 1, \"slots\": 4, \"buffers\": 4, \"bytes\": 65536,"
"                   \"pages\": 16, \"bvecs\": 16, \"huge_buffers\": 0,"
"                   \"acct_pages\": 0, \"shared\": 4, \"errors\": {},"
"                   \"opcodes\": { \"REGISTER_CLONE_BUFFERS\": 1 },"
"                   \"sources\": [ { \"fd\": 3, \"calls\": 1, \"buffers\": 4 } ] },"
"      \"fixed_io\": { \"WRITE_FIXED\": { \"ops\": 8, \"bytes\": 32768 } },"
"      \"buf_index_ops\": { \"2\": 8 },"
"      \"pinned_io\": { \"ios\": 0, \"pages\": 0 } } ],"
"  \"direct_io\": { \"ios\": 0, \"pages\": 0 },"
"  \"memlock\": { \"limit\": 8388608 } }";

/*
 * The same, as pinscope would report it: report-only keys (ring, comm,
 * latency_ns), acct_pages null where the kernel dropped it, an all-zero
 * unregister, and a ring of another process the comparer must not mind.
 */
static const char base_report[] =
"{ \"kernel\": \"6.1.0-selftest\","
"  \"backend\": { \"name\": \"tracepoint\", \"hooks\": {} },"
"  \"rings\": ["
"    { \"ring\": 1, \"pid\": 100, \"fd\": 3, \"comm\": \"wl\", \"setup_flags\": 0,"
"      \"register\": { \"calls\": 1, \"slots\": 4, \"buffers\": 4, \"bytes\": 65536,"
"                      \"pages\": 16, \"bvecs\": 16, \"huge_buffers\": 0,"
"                      \"acct_pages\": 16, \"shared\": 0, \"errors\": {},"
"                      \"opcodes\": { \"REGISTER_BUFFERS\": 1 },"
"                      \"latency_ns\": { \"min\": 900, \"avg\": 900, \"max\": 900, \"total\": 900 } },"
"      \"unregister\": { \"calls\": 0, \"slots\": 0, \"buffers\": 0, \"bytes\": 0,"
"                        \"pages\": 0, \"errors\": {}, \"opcodes\": {} },"
"      \"fixed_io\": { \"READ_FIXED\": { \"ops\": 64, \"bytes\": 262144 } },"
"      \"buf_index_ops\": { \"0\": 16, \"1\": 16, \"2\": 16, \"3\": 16 },"
"      \"pinned_io\": { \"ios\": 0, \"pages\": 0 } },"
"    { \"ring\": 2, \"pid\": 100, \"fd\": 4, \"comm\": \"wl\", \"setup_flags\": 8,"
"      \"clone\": { \"calls\": 1, \"slots\": 4, \"buffers\": 4, \"bytes\": 65536,"
"                   \"pages\": 16, \"bvecs\": 16, \"huge_buffers\": 0,"
"                   \"acct_pages\": null, \"shared\": 4, \"errors\": {},"
"                   \"opcodes\": { \"REGISTER_CLONE_BUFFERS\": 1 },"
"                   \"sources\": [ { \"ring\": 1, \"pid\": 100, \"fd\": 3,"
"                                    \"calls\": 1, \"buffers\": 4 } ] },"
"      \"fixed_io\": { \"WRITE_FIXED\": { \"ops\": 8, \"bytes\": 32768 } },"
"      \"buf_index_ops\": { \"2\": 8 },"
"      \"pinned_io\": { \"ios\": 0, \"pages\": 0 } },"
"    { \"ring\": 3, \"pid\": 200, \"fd\": 5, \"comm\": \"other\", \"setup_flags\": 0,"
"      \"pinned_io\": { \"ios\": 7, \"pages\": 7 } } ],"
"  \"processes\": [ { \"pid\": 100, \"comm\": \"wl\","
"                     \"direct_io\": { \"ios\": 0, \"pages\": 0 }, \"pinned_bios\": 0 } ],"
"  \"lost_events\": 0 }";

static json_object *ring_of(json_object *doc, int idx)
{
	return json_object_array_get_idx(jpath(doc, "rings"), idx);
}

static void set_int(json_object *obj, const char *key, long long v)
{
	json_object_object_add(obj, key, json_object_new_int64(v));
}

static void m_none(json_object *o, json_object *r) { (void)o; (void)r; }

static void m_wrong_number(json_object *o, json_object *r)
{
	set_int(jpath(ring_of(r, 0), "register"), "pages", 15);
}

static void m_missing_ring(json_object *o, json_object *r)
{
	json_object_array_del_idx(jpath(r, "rings"), 1, 1);
}

static void m_extra_ring(json_object *o, json_object *r)
{
	json_object *ring = json_object_new_object();

	set_int(ring, "ring", 4);
	set_int(ring, "pid", 100);
	set_int(ring, "fd", 5);
	json_object_array_add(jpath(r, "rings"), ring);
}

static void m_extra_ring_unknown_fd(json_object *o, json_object *r)
{
	json_object *ring = json_object_new_object();

	set_int(ring, "ring", 4);
	set_int(ring, "pid", 100);
	set_int(ring, "fd", -1);
	json_object_array_add(jpath(r, "rings"), ring);
}

static void m_extra_buf_index(json_object *o, json_object *r)
{
	set_int(jpath(ring_of(r, 0), "buf_index_ops"), "4", 1);
}

static void m_extra_error(json_object *o, json_object *r)
{
	set_int(jpath(ring_of(r, 0), "register.errors"), "ENOMEM", 1);
}

static void m_missing_fixed_io_op(json_object *o, json_object *r)
{
	json_object_object_del(jpath(ring_of(r, 0), "fixed_io"), "READ_FIXED");
}

static void m_extra_fixed_io_op(json_object *o, json_object *r)
{
	json_object *e = json_object_new_object();

	set_int(e, "ops", 1);
	set_int(e, "bytes", 4096);
	json_object_object_add(jpath(ring_of(r, 0), "fixed_io"), "READV_FIXED", e);
}

static void m_clone_source_fd(json_object *o, json_object *r)
{
	json_object *src = json_object_array_get_idx(
		jpath(ring_of(r, 1), "clone.sources"), 0);

	set_int(src, "fd", 6);
}

static void m_clone_source_calls(json_object *o, json_object *r)
{
	json_object *src = json_object_array_get_idx(
		jpath(ring_of(r, 1), "clone.sources"), 0);

	set_int(src, "calls", 2);
}

static void m_unexpected_reg(json_object *o, json_object *r)
{
	set_int(jpath(ring_of(r, 0), "unregister"), "calls", 1);
}

static void m_missing_reg(json_object *o, json_object *r)
{
	json_object_object_del(ring_of(r, 0), "register");
}

static void m_report_null_number(json_object *o, json_object *r)
{
	json_object_object_add(jpath(ring_of(r, 0), "register"), "pages", NULL);
}

static void m_direct_io(json_object *o, json_object *r)
{
	json_object *p = json_object_array_get_idx(jpath(r, "processes"), 0);

	set_int(jpath(p, "direct_io"), "ios", 3);
}

static void m_direct_io_no_process(json_object *o, json_object *r)
{
	json_object_object_del(r, "processes");
}

static void m_direct_io_oracle_nonzero(json_object *o, json_object *r)
{
	set_int(jpath(o, "direct_io"), "ios", 2);
	json_object_object_del(r, "processes");
}

static void m_setup_flags(json_object *o, json_object *r)
{
	set_int(ring_of(r, 1), "setup_flags", 0);
}

static void m_pinned_io(json_object *o, json_object *r)
{
	set_int(jpath(ring_of(r, 0), "pinned_io"), "ios", 5);
}

static json_object *idle_ring(int fd)
{
	json_object *ring = json_object_new_object();

	set_int(ring, "pid", 100);
	set_int(ring, "fd", fd);
	set_int(ring, "setup_flags", 0);
	return ring;
}

static void m_oracle_empty_ring(json_object *o, json_object *r)
{
	/* A ring the case created and left alone: only pid, fd, setup_flags. */
	json_object *ring = idle_ring(7);

	json_object_array_add(jpath(o, "rings"), idle_ring(7));
	set_int(ring, "ring", 9);
	json_object_array_add(jpath(r, "rings"), ring);
}

static void m_empty_ring_did_io(json_object *o, json_object *r)
{
	json_object *fixed = json_object_new_object(), *e = json_object_new_object();

	m_oracle_empty_ring(o, r);
	set_int(e, "ops", 1);
	set_int(e, "bytes", 4096);
	json_object_object_add(fixed, "READ_FIXED", e);
	json_object_object_add(ring_of(r, 3), "fixed_io", fixed);
}

/* A table registered before tracing: the oracle's and the report's. */
static json_object *table(long long buffers, long long pages)
{
	json_object *t = json_object_new_object();

	set_int(t, "slots", 4);
	set_int(t, "buffers", buffers);
	set_int(t, "bytes", buffers * 16384);
	set_int(t, "pages", pages);
	set_int(t, "huge_buffers", 0);
	set_int(t, "acct_pages", pages);
	set_int(t, "shared", 0);
	return t;
}

static void found_ring(json_object *o, json_object *r, long long report_pages)
{
	json_object_object_add(json_object_array_get_idx(jpath(o, "rings"), 0), "registered",
			       table(4, 16));
	json_object_object_add(json_object_array_get_idx(jpath(o, "rings"), 0), "origin",
			       json_object_new_string("found"));
	json_object_object_add(ring_of(r, 0), "registered", table(4, report_pages));
	json_object_object_add(ring_of(r, 0), "origin", json_object_new_string("found"));
}

static void m_found_match(json_object *o, json_object *r) { found_ring(o, r, 16); }
static void m_found_pages(json_object *o, json_object *r) { found_ring(o, r, 12); }

static void m_found_not_looked(json_object *o, json_object *r)
{
	found_ring(o, r, 16);
	json_object_object_add(ring_of(r, 0), "registered", NULL);
}

static void m_found_created(json_object *o, json_object *r)
{
	found_ring(o, r, 16);
	json_object_object_add(ring_of(r, 0), "origin", json_object_new_string("created"));
}

/* ring_churn's totals, and one registration the report missed */
static void churn(json_object *o, json_object *r, long long report_calls)
{
	json_object *c = json_object_new_object(), *t = json_object_new_object();
	json_object *reg = json_object_new_object();

	set_int(c, "rings", 20000);
	set_int(c, "register_calls", 20000);
	set_int(c, "buffers", 20000);
	set_int(c, "bytes", 20000LL * 4096);
	set_int(c, "pages", 20000);
	json_object_object_add(o, "churn", c);
	set_int(t, "rings", 20000);
	set_int(reg, "calls", report_calls);
	set_int(reg, "buffers", 20000);
	set_int(reg, "bytes", 20000LL * 4096);
	set_int(reg, "pages", 20000);
	json_object_object_add(t, "register", reg);
	json_object_object_add(r, "totals", t);
}

static void m_churn_calls(json_object *o, json_object *r) { churn(o, r, 19999); }

/* the kernel skipped 5 runs: 3 registrations short is explained, 7 is not */
static void m_churn_missed(json_object *o, json_object *r)
{
	churn(o, r, 19997);
	set_int(r, "missed_runs", 5);
}

static void m_churn_beyond_missed(json_object *o, json_object *r)
{
	churn(o, r, 19993);
	set_int(r, "missed_runs", 5);
}

/* A refused SEND_ZC: the oracle states it; the report counted it as fixed IO. */
static void m_refused_as_fixed(json_object *o, json_object *r)
{
	json_object *orefused = json_object_new_object(), *op = json_object_new_object();
	json_object *e = json_object_new_object();

	set_int(op, "EINVAL", 1);
	json_object_object_add(orefused, "SEND_ZC", op);
	json_object_object_add(ring_of(o, 0), "refused_io", orefused);
	set_int(e, "ops", 1);
	set_int(e, "bytes", 0);
	json_object_object_add(jpath(ring_of(r, 0), "fixed_io"), "SEND_ZC", e);
	json_object_object_add(ring_of(r, 0), "refused_io", json_object_new_object());
}

/* The same refusal with another errno in the report. */
static void m_refused_errno(json_object *o, json_object *r)
{
	json_object *orefused = json_object_new_object(), *op = json_object_new_object();
	json_object *rrefused = json_object_new_object(), *rop = json_object_new_object();

	set_int(op, "EINVAL", 1);
	json_object_object_add(orefused, "SEND_ZC", op);
	json_object_object_add(ring_of(o, 0), "refused_io", orefused);
	set_int(rop, "EFAULT", 1);
	json_object_object_add(rrefused, "SEND_ZC", rop);
	json_object_object_add(ring_of(r, 0), "refused_io", rrefused);
}

/* The oracle names the process; the report names a worker thread. */
static void m_ring_comm(json_object *o, json_object *r)
{
	json_object_object_add(ring_of(o, 0), "comm", json_object_new_string("wl"));
	json_object_object_add(ring_of(r, 0), "comm", json_object_new_string("iou-sqp-100"));
}

static void m_process_comm(json_object *o, json_object *r)
{
	json_object *proc = json_object_array_get_idx(jpath(r, "processes"), 0);

	json_object_object_add(o, "comm", json_object_new_string("wl"));
	json_object_object_add(proc, "comm", json_object_new_string("iou-wrk-100"));
}

struct selftest {
	const char *name;
	void (*mutate)(json_object *oracle, json_object *report);
	/* NULL: the pair must match; else the first mismatch must contain it. */
	const char *expect;
	const char *expect_note;	/* a note that must be there, or NULL */
};

static const struct selftest selftests[] = {
	{ "match", m_none, NULL, "clone.acct_pages: report null" },
	{ "match_direct_io_no_process", m_direct_io_no_process, NULL, NULL },
	{ "match_idle_ring", m_oracle_empty_ring, NULL, NULL },
	{ "wrong_number", m_wrong_number,
	  "ring fd 3: register.pages: report 15, oracle 16", NULL },
	{ "missing_ring", m_missing_ring, "ring fd 4: missing in report", NULL },
	{ "extra_ring", m_extra_ring, "ring fd 5: in report (ring 4), not in oracle", NULL },
	{ "extra_ring_unknown_fd", m_extra_ring_unknown_fd,
	  "ring fd -1: in report (ring 4), not in oracle", NULL },
	{ "extra_buf_index_key", m_extra_buf_index,
	  "ring fd 3: buf_index_ops: key \"4\" in report (1), not in oracle", NULL },
	{ "extra_errors_key", m_extra_error,
	  "ring fd 3: register.errors: key \"ENOMEM\" in report (1), not in oracle", NULL },
	{ "missing_fixed_io_opcode", m_missing_fixed_io_op,
	  "ring fd 3: fixed_io.READ_FIXED: missing in report", NULL },
	{ "extra_fixed_io_opcode", m_extra_fixed_io_op,
	  "ring fd 3: fixed_io: key \"READV_FIXED\" in report", NULL },
	{ "clone_source_wrong_fd", m_clone_source_fd,
	  "ring fd 4: clone.sources[fd 3]: missing in report", NULL },
	{ "clone_source_wrong_calls", m_clone_source_calls,
	  "ring fd 4: clone.sources[fd 3].calls: report 2, oracle 1", NULL },
	{ "unexpected_reg_object", m_unexpected_reg,
	  "ring fd 3: unregister.calls: report 1, oracle absent (0)", NULL },
	{ "missing_reg_object", m_missing_reg,
	  "ring fd 3: register: missing in report", NULL },
	{ "report_null_number", m_report_null_number,
	  "ring fd 3: register.pages: report null, oracle 16", NULL },
	{ "wrong_setup_flags", m_setup_flags,
	  "ring fd 4: setup_flags: report 0, oracle 8", NULL },
	{ "wrong_pinned_io", m_pinned_io,
	  "ring fd 3: pinned_io.ios: report 5, oracle 0", NULL },
	{ "wrong_direct_io", m_direct_io, "direct_io.ios: report 3, oracle 0", NULL },
	{ "direct_io_missing_process", m_direct_io_oracle_nonzero,
	  "direct_io.ios: report 0 (absent), oracle 2", NULL },
	{ "idle_ring_did_io", m_empty_ring_did_io,
	  "ring fd 7: fixed_io: key \"READ_FIXED\" in report", NULL },
	{ "match_found_table", m_found_match, NULL, NULL },
	{ "found_table_pages", m_found_pages,
	  "ring fd 3: registered.pages: report 12, oracle 16", NULL },
	{ "found_table_not_looked", m_found_not_looked,
	  "ring fd 3: registered: report null, oracle a table", NULL },
	{ "found_ring_origin", m_found_created,
	  "ring fd 3: origin: report \"created\", oracle found", NULL },
	{ "churn_register_calls", m_churn_calls,
	  "totals.register.calls: report 19999, oracle 20000", NULL },
	{ "churn_short_by_skipped_runs", m_churn_missed, NULL,
	  "totals.register.calls: report 19997, oracle 20000: short by less than the 5 runs" },
	{ "churn_short_beyond_skipped_runs", m_churn_beyond_missed,
	  "totals.register.calls: report 19993, oracle 20000, with 5 skipped runs", NULL },
	{ "refused_counted_as_fixed", m_refused_as_fixed,
	  "ring fd 3: fixed_io: key \"SEND_ZC\" in report", NULL },
	{ "refused_wrong_errno", m_refused_errno,
	  "ring fd 3: refused_io.SEND_ZC.EINVAL: missing in report", NULL },
	{ "ring_comm_of_a_thread", m_ring_comm,
	  "ring fd 3: comm: report \"iou-sqp-100\", oracle \"wl\"", NULL },
	{ "process_comm_of_a_thread", m_process_comm,
	  "processes[].comm: report \"iou-wrk-100\", oracle \"wl\"", NULL },
};

static bool has_substr(const struct strlist *sl, const char *s)
{
	for (size_t i = 0; i < sl->n; i++)
		if (strstr(sl->items[i], s))
			return true;
	return false;
}

bool crafted_pair(struct test *t, const char *oracle_text, const char *report_text,
		  void (*mutate)(json_object *oracle, json_object *report),
		  int (*compare)(json_object *, json_object *, struct cmp_result *),
		  const char *who, const char *expect, struct crafted *c)
{
	char err[256];
	int n;

	memset(c, 0, sizeof(*c));
	c->oracle = json_parse_strict(oracle_text, err, sizeof(err));
	c->report = json_parse_strict(report_text, err, sizeof(err));
	if (!c->oracle || !c->report) {
		test_fail(t, "crafted JSON does not parse: %s", err);
		return false;
	}
	mutate(c->oracle, c->report);
	n = compare(c->oracle, c->report, &c->res);
	for (size_t i = 0; i < c->res.mismatches.n; i++)
		test_note(t, "mismatch: %s", c->res.mismatches.items[i]);
	for (size_t i = 0; i < c->res.notes.n; i++)
		test_note(t, "%s", c->res.notes.items[i]);
	if (!expect && n)
		test_fail(t, "%s: %d mismatches on a matching pair, first: %s",
			  who, n, c->res.mismatches.items[0]);
	else if (expect && !n)
		test_fail(t, "%s: no mismatch, expected \"%s\"", who, expect);
	else if (expect && !strstr(c->res.mismatches.items[0], expect))
		test_fail(t, "%s: first mismatch \"%s\", expected \"%s\"",
			  who, c->res.mismatches.items[0], expect);
	return true;
}

void crafted_free(struct crafted *c)
{
	cmp_result_free(&c->res);
	json_object_put(c->oracle);
	json_object_put(c->report);
}

static void run_one(const struct selftest *st)
{
	struct crafted c;
	struct test t;

	if (!test_begin(&t, "selftest/%s", st->name))
		return;
	if (crafted_pair(&t, base_oracle, base_report, st->mutate, compare_oracle_report,
			 "comparer", st->expect, &c) &&
	    st->expect_note && !has_substr(&c.res.notes, st->expect_note))
		test_fail(&t, "comparer: no note containing \"%s\"", st->expect_note);
	crafted_free(&c);
	test_end(&t);
}

void run_selftests(void)
{
	for (size_t i = 0; i < sizeof(selftests) / sizeof(selftests[0]); i++)
		run_one(&selftests[i]);
}
