// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The `pinscope check` matcher: the verdict's tables against the oracle.
 *   per_io_pinning    summed per ring (pid, fd) = the ring's pinned_io
 *   pinned_twice      the oracle's entries, by ring id, and no others
 *   clone_violations  none (a workload clone only ever shares)
 *   failed_registrations  per (ring, errno) as many as the oracle's
 *                     errors, those past the first ones as the report's
 *                     failed_registrations_more; err_memlock's "memlock"
 *                     requests in order; the doctor cases' "doctor"
 *                     entries in order
 *   notes             O_DIRECT outside io_uring: the oracle's IOs, and its
 *                     pages as the total they are
 * The report names rings by id only in these tables; the ids become
 * (pid, fd) through the report's own rings[]. Mismatches read like
 * compare.c's: "pinned_twice[fd 4, other fd 3].pages: report 63, oracle 64".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"

struct cm {
	struct cmp_result *res;
	json_object *report_rings;
	long long pid;		/* the oracle's process */
	long long missed_runs;	/* the report's: runs the kernel skipped */
	int mismatches;
};

static void mismatch(struct cm *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mismatch(struct cm *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_addf(&c->res->mismatches, "%s", msg);
	c->mismatches++;
}

static size_t alen(json_object *arr)
{
	return json_object_is_type(arr, json_type_array) ?
	       json_object_array_length(arr) : 0;
}

static long long num_or(json_object *obj, const char *dotted, long long dflt)
{
	long long v;

	return jint(jpath(obj, dotted), &v) ? v : dflt;
}

/*
 * The report's ring id for (pid, fd), -1 when it has none. Two rings on
 * one (pid, fd) would make the tables ambiguous: the workloads keep every
 * ring open until the case ends, so a second one is a report error.
 */
static long long ring_id(struct cm *c, long long pid, long long fd)
{
	long long id = -1;

	for (size_t i = 0; i < alen(c->report_rings); i++) {
		json_object *r = json_object_array_get_idx(c->report_rings, i);

		if (num_or(r, "pid", -2) != pid || num_or(r, "fd", -2) != fd)
			continue;
		if (id >= 0) {
			mismatch(c, "rings: two report rings for pid %lld fd %lld", pid, fd);
			return id;
		}
		id = num_or(r, "ring", -1);
	}
	return id;
}

/* The report array at key, which check always prints (maybe empty). */
static json_object *report_array(struct cm *c, json_object *report, const char *key)
{
	json_object *arr = jpath(report, key);

	if (!json_object_is_type(arr, json_type_array)) {
		mismatch(c, "%s: report %s, expected an array", key, arr ? jstr(arr) : "absent");
		return NULL;
	}
	return arr;
}

static void cmp_per_io(struct cm *c, json_object *orings, json_object *per_io)
{
	size_t n = alen(per_io);
	bool used[n + 1];

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < alen(orings); i++) {
		json_object *oring = json_object_array_get_idx(orings, i);
		long long pid = num_or(oring, "pid", c->pid), fd = num_or(oring, "fd", -1);
		long long want_ios = num_or(oring, "pinned_io.ios", 0);
		long long want_pages = num_or(oring, "pinned_io.pages", 0);
		long long ios = 0, pages = 0;

		/* One entry per opcode: the ring's pinning is their sum. */
		for (size_t j = 0; j < n; j++) {
			json_object *e = json_object_array_get_idx(per_io, j);

			if (num_or(e, "pid", -2) != pid || num_or(e, "fd", -2) != fd)
				continue;
			used[j] = true;
			ios += num_or(e, "ios", 0);
			pages += num_or(e, "pages", 0);
			if (num_or(e, "ring", -1) != ring_id(c, pid, fd))
				mismatch(c, "per_io_pinning %s: ring id is not that of pid %lld fd %lld in rings[]",
					 jstr(e), pid, fd);
			if (num_or(e, "ios", 0) <= 0)
				mismatch(c, "per_io_pinning %s: listed with no IOs", jstr(e));
		}
		if (ios != want_ios || pages != want_pages)
			mismatch(c, "per_io_pinning ring fd %lld: report ios %lld pages %lld, oracle pinned_io ios %lld pages %lld",
				 fd, ios, pages, want_ios, want_pages);
	}
	for (size_t j = 0; j < n; j++)
		if (!used[j])
			mismatch(c, "per_io_pinning: %s in report, no such ring in oracle",
				 jstr(json_object_array_get_idx(per_io, j)));
}

/*
 * more: the report's pinned_twice_more.pages, the pairs past its list; the
 * oracle's pairs it does not list must hold exactly that many pages.
 */
static void cmp_pinned_twice(struct cm *c, json_object *otwice, json_object *rtwice,
			     long long more)
{
	size_t n = alen(rtwice), unproven = 0, unlisted = 0;
	long long unlisted_pages = 0;
	bool used[n + 1];
	char where[96], first_missing[256] = "";

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < alen(otwice); i++) {
		json_object *o = json_object_array_get_idx(otwice, i);
		long long fd = num_or(o, "fd", -1), other_fd = num_or(o, "other_fd", -1);
		long long ring = ring_id(c, c->pid, fd), other = ring_id(c, c->pid, other_fd);
		const char *opcode = json_object_get_string(jpath(o, "opcode"));
		size_t j;

		snprintf(where, sizeof(where), "pinned_twice[fd %lld, other fd %lld]", fd,
			 other_fd);
		if (ring < 0 || other < 0) {
			mismatch(c, "%s: ring fd %lld not in report rings", where,
				 ring < 0 ? fd : other_fd);
			continue;
		}
		for (j = 0; j < n; j++) {
			json_object *r = json_object_array_get_idx(rtwice, j);
			const char *rop = json_object_get_string(jpath(r, "opcode"));

			if (!used[j] && num_or(r, "pid", -1) == c->pid &&
			    num_or(r, "ring", -1) == ring && num_or(r, "other_ring", -1) == other &&
			    (!opcode || (rop && !strcmp(rop, opcode))))
				break;
		}
		if (j == n) {
			if (!unlisted++)
				snprintf(first_missing, sizeof(first_missing),
					 "%s: missing in report (ring %lld, other_ring %lld%s%s)",
					 where, ring, other, opcode ? ", " : "", opcode ? opcode : "");
			unlisted_pages += num_or(o, "pages", 0);
			continue;
		}
		used[j] = true;
		if (num_or(json_object_array_get_idx(rtwice, j), "pages", -1) !=
		    num_or(o, "pages", -1))
			mismatch(c, "%s.pages: report %lld, oracle %lld", where,
				 num_or(json_object_array_get_idx(rtwice, j), "pages", -1),
				 num_or(o, "pages", -1));
	}
	if (unlisted && !more)
		mismatch(c, "%s", first_missing);
	else if (unlisted_pages > more || (unlisted_pages < more && !c->missed_runs))
		mismatch(c, "pinned_twice_more.pages: report %lld, oracle's pairs not listed %lld "
			 "(%zu pairs)", more, unlisted_pages, unlisted);
	else if (unlisted_pages < more)
		/* like the listed pairs: a skipped run may hide a ring's end */
		sl_addf(&c->res->notes, "pinned_twice_more.pages: %lld past the oracle's %lld, "
			"unproven (%lld runs skipped)", more, unlisted_pages, c->missed_runs);
	else if (unlisted)
		sl_addf(&c->res->notes, "pinned_twice: %zu pairs past the report's list, their "
			"%lld pages summed", unlisted, more);
	for (size_t j = 0; j < n; j++) {
		if (used[j])
			continue;
		/* skipped runs may hide a ring's end: check lists such pairs unproven */
		if (c->missed_runs)
			unproven++;
		else
			mismatch(c, "pinned_twice: %s in report, not in oracle",
				 jstr(json_object_array_get_idx(rtwice, j)));
	}
	if (unproven)
		sl_addf(&c->res->notes, "pinned_twice: %zu pairs in report, not in oracle, "
			"unproven (%lld runs skipped)", unproven, c->missed_runs);
}

/* Failed calls per (ring, errno): the oracle's errors maps, all REG kinds. */
static void cmp_failure_counts(struct cm *c, json_object *orings, json_object *fails,
			       long long more)
{
	long long unlisted = 0;
	static const char *const regs[] = { "register", "update", "unregister", "clone" };
	size_t n = alen(fails);
	bool used[n + 1];

	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < alen(orings); i++) {
		json_object *oring = json_object_array_get_idx(orings, i);
		long long fd = num_or(oring, "fd", -1), ring = ring_id(c, c->pid, fd);

		for (size_t k = 0; k < sizeof(regs) / sizeof(regs[0]); k++) {
			json_object *errors = jpath(jpath(oring, regs[k]), "errors");

			if (!json_object_is_type(errors, json_type_object))
				continue;
			json_object_object_foreach(errors, name, count) {
				long long want = 0, got = 0;

				jint(count, &want);
				for (size_t j = 0; j < n && got < want; j++) {
					json_object *f = json_object_array_get_idx(fails, j);
					const char *e = json_object_get_string(jpath(f, "errno"));

					if (!used[j] && num_or(f, "ring", -1) == ring && e &&
					    !strcmp(e, name)) {
						used[j] = true;
						got++;
					}
				}
				/* past the report's first failures, the rest are a count */
				unlisted += want - got;
				if (got != want && !more)
					mismatch(c, "failed_registrations ring fd %lld %s: report %lld, oracle %s.errors %lld",
						 fd, name, got, regs[k], want);
			}
		}
	}
	for (size_t j = 0; j < n; j++) {
		json_object *f = json_object_array_get_idx(fails, j);

		if (!used[j] && num_or(f, "pid", -1) == c->pid)
			mismatch(c, "failed_registrations: %s in report, not in oracle", jstr(f));
	}
	if (more && unlisted != more)
		mismatch(c, "failed_registrations_more: report %lld, oracle's errors not listed %lld",
			 more, unlisted);
}

/* err_memlock: the doctor's numbers for each refused request, in order. */
static void cmp_memlock(struct cm *c, json_object *memlock, json_object *fails)
{
	json_object *reqs = jpath(memlock, "requests");
	long long limit = num_or(memlock, "limit_bytes", -1);
	size_t next = 0;

	for (size_t i = 0; i < alen(reqs); i++) {
		json_object *q = json_object_array_get_idx(reqs, i), *f = NULL;
		const char *want_errno = json_object_get_string(jpath(q, "errno"));
		const char *got_errno;
		char where[64];

		if (!want_errno)	/* null: this request fitted */
			continue;
		snprintf(where, sizeof(where), "memlock request %zu", i);
		while (next < alen(fails) && !f) {
			json_object *cand = json_object_array_get_idx(fails, next++);

			if (num_or(cand, "pid", -1) == c->pid)
				f = cand;
		}
		if (!f) {
			mismatch(c, "%s (%s): no failed_registrations entry left", where,
				 want_errno);
			continue;
		}
		got_errno = json_object_get_string(jpath(f, "errno"));
		if (!got_errno || strcmp(got_errno, want_errno))
			mismatch(c, "%s: errno: report %s, oracle %s", where,
				 got_errno ? got_errno : "null", want_errno);
		if (num_or(f, "memlock_limit_bytes", -1) != limit)
			mismatch(c, "%s: memlock_limit_bytes: report %s, oracle limit_bytes %lld",
				 where, jstr(jpath(f, "memlock_limit_bytes")), limit);
		if (num_or(f, "requested_pages", -1) != num_or(q, "pages", -2))
			mismatch(c, "%s: requested_pages: report %lld, oracle pages %lld", where,
				 num_or(f, "requested_pages", -1), num_or(q, "pages", -2));
		if (jpath(q, "unaligned_extra_pages") &&
		    num_or(f, "unaligned_extra_pages", -1) != num_or(q, "unaligned_extra_pages", -2))
			mismatch(c, "%s: unaligned_extra_pages: report %lld, oracle %lld", where,
				 num_or(f, "unaligned_extra_pages", -1),
				 num_or(q, "unaligned_extra_pages", -2));
	}
}

/* Number keys of a doctor entry: report must equal oracle where the oracle has them. */
static const char *const doctor_nums[] = {
	"requested_pages", "unaligned_extra_pages", "buffers_scanned",
};

/*
 * The doctor cases: each refused call of the pid, in order: errno, the
 * buffer named as failing (or none), numbers, and words of the explanation.
 */
static void cmp_doctor(struct cm *c, json_object *doctor, json_object *fails)
{
	size_t next = 0;

	for (size_t i = 0; i < alen(doctor); i++) {
		json_object *q = json_object_array_get_idx(doctor, i), *f = NULL;
		const char *want_errno = json_object_get_string(jpath(q, "errno"));
		const char *got, *why_has = json_object_get_string(jpath(q, "why_has"));
		json_object *want_buf = jpath(q, "failing_buffer");
		json_object *got_buf;

		while (next < alen(fails) && !f) {
			json_object *cand = json_object_array_get_idx(fails, next++);

			if (num_or(cand, "pid", -1) == c->pid)
				f = cand;
		}
		if (!f) {
			mismatch(c, "doctor %zu (%s): no failed_registrations entry left", i,
				 want_errno);
			continue;
		}
		got = json_object_get_string(jpath(f, "errno"));
		if (!got || !want_errno || strcmp(got, want_errno))
			mismatch(c, "doctor %zu: errno: report %s, oracle %s", i, got ? got : "null",
				 want_errno ? want_errno : "null");
		got_buf = jpath(f, "failing_buffer");
		if (!want_buf != !got_buf ||
		    (want_buf && num_or(f, "failing_buffer", -1) != num_or(q, "failing_buffer", -2)))
			mismatch(c, "doctor %zu: failing_buffer: report %s, oracle %s", i,
				 jstr(got_buf), jstr(want_buf));
		for (size_t k = 0; k < sizeof(doctor_nums) / sizeof(doctor_nums[0]); k++)
			if (jpath(q, doctor_nums[k]) &&
			    num_or(f, doctor_nums[k], -1) != num_or(q, doctor_nums[k], -2))
				mismatch(c, "doctor %zu: %s: report %lld, oracle %lld", i,
					 doctor_nums[k], num_or(f, doctor_nums[k], -1),
					 num_or(q, doctor_nums[k], -2));
		got = json_object_get_string(jpath(f, "why"));
		if (why_has && (!got || !strstr(got, why_has)))
			mismatch(c, "doctor %zu: why: report \"%s\", oracle wants \"%s\"", i,
				 got ? got : "null", why_has);
	}
}

int check_expected_exit(json_object *oracle)
{
	json_object *rings = jpath(oracle, "rings");

	if (alen(jpath(oracle, "pinned_twice")))
		return 1;
	for (size_t i = 0; i < alen(rings); i++)
		if (num_or(json_object_array_get_idx(rings, i), "pinned_io.ios", 0) > 0)
			return 1;
	return 0;
}

/*
 * The same, given what pinscope saw: runs the kernel skipped leave a PASS,
 * and memory pinned twice, unproven (exit 2); pins per IO are still a FAIL.
 */
int check_expected_exit_seen(json_object *oracle, json_object *report)
{
	json_object *rings = jpath(oracle, "rings");

	if (num_or(report, "missed_runs", 0) <= 0)
		return check_expected_exit(oracle);
	/* pins per IO are seen, so certain; memory pinned twice is then unproven */
	for (size_t i = 0; i < alen(rings); i++)
		if (num_or(json_object_array_get_idx(rings, i), "pinned_io.ios", 0) > 0)
			return 1;
	return 2;
}

/*
 * O_DIRECT outside io_uring is noted, not judged: one note for the
 * process, with its IOs and their pages stated as a total.
 */
static void cmp_direct_io_note(struct cm *c, json_object *odio, json_object *notes)
{
	long long ios = num_or(odio, "ios", 0), pages = num_or(odio, "pages", 0);
	char who[64], what_ios[64], what_pages[64];
	const char *note = NULL;

	snprintf(who, sizeof(who), "pid %lld did ", c->pid);
	for (size_t i = 0; i < alen(notes); i++) {
		const char *n = json_object_get_string(json_object_array_get_idx(notes, i));

		if (n && !strncmp(n, who, strlen(who)) && strstr(n, "O_DIRECT"))
			note = n;
	}
	if (!ios) {
		if (note)
			mismatch(c, "notes: \"%s\", oracle direct_io none", note);
		return;
	}
	snprintf(what_ios, sizeof(what_ios), "did %lld O_DIRECT IOs", ios);
	snprintf(what_pages, sizeof(what_pages), "%lld pages in all", pages);
	if (!note)
		mismatch(c, "notes: none for pid %lld's O_DIRECT, oracle direct_io %lld IOs, "
			 "%lld pages", c->pid, ios, pages);
	else if (!strstr(note, what_ios) || !strstr(note, what_pages))
		mismatch(c, "notes: \"%s\", expected \"%s\" and \"%s\"", note, what_ios,
			 what_pages);
}

int compare_check_report(json_object *oracle, json_object *report, struct cmp_result *res)
{
	struct cm c = { .res = res, .report_rings = jpath(report, "rings"),
			.missed_runs = num_or(report, "missed_runs", 0) };
	json_object *arr, *otwice = jpath(oracle, "pinned_twice");

	if (!jint(jpath(oracle, "pid"), &c.pid)) {
		mismatch(&c, "oracle has no integer \"pid\"");
		return c.mismatches;
	}
	if (!json_object_is_type(c.report_rings, json_type_array))
		mismatch(&c, "report has no \"rings\" array");
	if (!json_object_is_type(otwice, json_type_array))
		mismatch(&c, "oracle has no \"pinned_twice\" array");
	if ((arr = report_array(&c, report, "per_io_pinning")))
		cmp_per_io(&c, jpath(oracle, "rings"), arr);
	if ((arr = report_array(&c, report, "pinned_twice")))
		cmp_pinned_twice(&c, otwice, arr, num_or(report, "pinned_twice_more.pages", -1));
	if (jpath(oracle, "direct_io"))
		cmp_direct_io_note(&c, jpath(oracle, "direct_io"), jpath(report, "notes"));
	if ((arr = report_array(&c, report, "clone_violations")) && alen(arr))
		mismatch(&c, "clone_violations: report %s, expected none", jstr(arr));
	if ((arr = report_array(&c, report, "failed_registrations"))) {
		cmp_failure_counts(&c, jpath(oracle, "rings"), arr,
				   num_or(report, "failed_registrations_more", -1));
		if (jpath(oracle, "memlock"))
			cmp_memlock(&c, jpath(oracle, "memlock"), arr);
		if (jpath(oracle, "doctor"))
			cmp_doctor(&c, jpath(oracle, "doctor"), arr);
	}
	return c.mismatches;
}
