// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The matcher: every number the oracle states must equal the report's
 * (docs/json.md, "Matching rules"). Mismatches read like ASSERT_EQ:
 * "ring fd 3: register.pages: report 15, oracle 16".
 *
 * json-c represents a JSON null as a NULL json_object*, so "present" and
 * "value" travel separately: a key holding null is present.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runner.h"

struct cmp {
	struct cmp_result *res;
	char where[96];		/* "ring fd 3", or "" at the top level */
	int mismatches;
};

static const char *const ring_keys[] = {
	"pid", "fd", "setup_flags", "register", "update", "unregister",
	"clone", "fixed_io", "buf_index_ops", "pinned_io", "origin", "registered",
	"refused_io", "comm", NULL,
};
static const char *const reg_names[] = {
	"register", "update", "unregister", "clone", NULL,
};
static const char *const reg_numbers[] = {
	"calls", "slots", "buffers", "bytes", "pages", "bvecs",
	"huge_buffers", "acct_pages", "shared", NULL,
};
static const char *const reg_maps[] = { "errors", "opcodes", NULL };
static const char *const fixed_io_numbers[] = { "ops", "bytes", NULL };
static const char *const pinned_io_numbers[] = { "ios", "pages", NULL };
static const char *const direct_io_numbers[] = { "ios", "pages", NULL };
static const char *const source_numbers[] = { "calls", "buffers", NULL };
static const char *const table_numbers[] = {
	"slots", "buffers", "bytes", "pages", "huge_buffers", "acct_pages", "shared", NULL,
};
/* pinned_twice, memlock and doctor are the check matcher's (check_match.c);
 * register_ns the latency test's (latency_tests.c). */
static const char *const oracle_top_keys[] = {
	"case", "status", "reason", "pid", "comm", "rings", "direct_io",
	"pinned_twice", "memlock", "churn", "doctor", "register_ns", NULL,
};

static bool in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(key, *list))
			return true;
	return false;
}

static void mismatch(struct cmp *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void mismatch(struct cmp *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_addf(&c->res->mismatches, "%s%s%s", c->where, c->where[0] ? ": " : "", msg);
	c->mismatches++;
}

static void note(struct cmp *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct cmp *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_addf(&c->res->notes, "%s%s%s", c->where, c->where[0] ? ": " : "", msg);
}

/* Present and an object (a null value does not count). */
static json_object *get_obj(json_object *parent, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(parent, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static const char *leaf(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? dot + 1 : path;
}

/*
 * rpresent/rv: the report's value. absent_is_zero: the report left out the
 * whole object this number lives in, which means zero.
 */
static void cmp_number(struct cmp *c, const char *path, json_object *ov,
		       bool rpresent, json_object *rv, bool absent_is_zero)
{
	long long o, r;

	if (!ov)	/* oracle null: the workload does not know this number */
		return;
	if (!jint(ov, &o)) {
		mismatch(c, "%s: oracle value %s is not a number", path, jstr(ov));
		return;
	}
	if (!rpresent) {
		if (!absent_is_zero)
			mismatch(c, "%s: missing in report, oracle %lld", path, o);
		else if (o != 0)
			mismatch(c, "%s: report 0 (absent), oracle %lld", path, o);
		return;
	}
	if (!rv) {
		if (!strcmp(leaf(path), "acct_pages"))
			note(c, "%s: report null (kernel does not keep it), oracle %lld",
			     path, o);
		else
			mismatch(c, "%s: report null, oracle %lld", path, o);
		return;
	}
	if (!jint(rv, &r)) {
		mismatch(c, "%s: report %s is not a number, oracle %lld", path,
			 jstr(rv), o);
		return;
	}
	if (r != o)
		mismatch(c, "%s: report %lld, oracle %lld", path, r, o);
}

/* The numbers of list that oracle object ov states, against report rv. */
static void cmp_numbers(struct cmp *c, const char *path, json_object *ov,
			json_object *rv, const char *const *list)
{
	char sub[256];

	json_object_object_foreach(ov, key, val) {
		json_object *r = NULL;
		bool present = rv && json_object_object_get_ex(rv, key, &r);

		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (!in_list(key, list)) {
			note(c, "oracle key %s ignored", sub);
			continue;
		}
		cmp_number(c, sub, val, present, r, rv == NULL);
	}
}

typedef void (*cmp_value_fn)(struct cmp *c, const char *path,
			     json_object *ov, json_object *rv);

static void cmp_count(struct cmp *c, const char *path, json_object *ov,
		      json_object *rv)
{
	cmp_number(c, path, ov, true, rv, false);
}

static void cmp_fixed_io_entry(struct cmp *c, const char *path,
			       json_object *ov, json_object *rv)
{
	if (!json_object_is_type(ov, json_type_object)) {
		mismatch(c, "%s: oracle value %s is not an object", path, jstr(ov));
		return;
	}
	if (!json_object_is_type(rv, json_type_object)) {
		mismatch(c, "%s: report %s is not an object, oracle %s", path,
			 jstr(rv), jstr(ov));
		return;
	}
	cmp_numbers(c, path, ov, rv, fixed_io_numbers);
}

static void cmp_exact_keys(struct cmp *c, const char *path, json_object *omap,
			   json_object *rparent, const char *rkey,
			   cmp_value_fn cmp_value);

/* refused_io's values: errno name -> requests, exactly the oracle's. */
static void cmp_errno_counts(struct cmp *c, const char *path, json_object *ov,
			     json_object *rv)
{
	json_object *parent = json_object_new_object();

	json_object_object_add(parent, "counts", json_object_get(rv));
	cmp_exact_keys(c, path, ov, parent, "counts", cmp_count);
	json_object_put(parent);
}

/* A name the oracle states must be the report's, byte for byte. */
static void cmp_string(struct cmp *c, const char *path, json_object *ov, json_object *rv)
{
	const char *o = json_object_get_string(ov), *r = json_object_get_string(rv);

	if (!json_object_is_type(ov, json_type_string))
		return;
	if (!json_object_is_type(rv, json_type_string))
		mismatch(c, "%s: report %s, oracle \"%s\"", path, rv ? jstr(rv) : "absent", o);
	else if (strcmp(o, r))
		mismatch(c, "%s: report \"%s\", oracle \"%s\"", path, r, o);
}

/*
 * Maps whose key set must be exactly the oracle's (errors, opcodes,
 * fixed_io, buf_index_ops, refused_io). An absent map on either side is empty.
 */
static void cmp_exact_keys(struct cmp *c, const char *path, json_object *omap,
			   json_object *rparent, const char *rkey,
			   cmp_value_fn cmp_value)
{
	json_object *rmap = NULL;
	char sub[256];

	if (rparent && json_object_object_get_ex(rparent, rkey, &rmap) && rmap &&
	    !json_object_is_type(rmap, json_type_object)) {
		mismatch(c, "%s: report %s is not an object", path, jstr(rmap));
		return;
	}
	if (omap) {
		json_object_object_foreach(omap, key, oval) {
			json_object *rval;

			snprintf(sub, sizeof(sub), "%s.%s", path, key);
			if (!rmap || !json_object_object_get_ex(rmap, key, &rval))
				mismatch(c, "%s: missing in report, oracle %s", sub,
					 oval ? jstr(oval) : "null");
			else
				cmp_value(c, sub, oval, rval);
		}
	}
	if (rmap) {
		json_object_object_foreach(rmap, key, rval) {
			if (omap && json_object_object_get_ex(omap, key, NULL))
				continue;
			mismatch(c, "%s: key \"%s\" in report (%s), not in oracle",
				 path, key, rval ? jstr(rval) : "null");
		}
	}
}

/* A REG object the oracle leaves out must be absent or all zero. */
static void expect_zero_reg(struct cmp *c, const char *name, json_object *rreg)
{
	long long v;
	size_t i;

	for (i = 0; reg_numbers[i]; i++) {
		json_object *r = NULL;

		if (json_object_object_get_ex(rreg, reg_numbers[i], &r) &&
		    jint(r, &v) && v != 0)
			mismatch(c, "%s.%s: report %lld, oracle absent (0)", name,
				 reg_numbers[i], v);
	}
	for (i = 0; reg_maps[i]; i++) {
		json_object *map = get_obj(rreg, reg_maps[i]);

		if (!map)
			continue;
		json_object_object_foreach(map, key, val) {
			if (jint(val, &v) && v == 0)
				continue;
			mismatch(c, "%s.%s: key \"%s\" in report (%s), oracle absent",
				 name, reg_maps[i], key, val ? jstr(val) : "null");
		}
	}
	json_object *src = NULL;

	if (json_object_object_get_ex(rreg, "sources", &src) &&
	    json_object_is_type(src, json_type_array) &&
	    json_object_array_length(src) > 0)
		mismatch(c, "%s.sources: report %s, oracle absent", name, jstr(src));
}

static bool reg_all_zero(json_object *oreg)
{
	struct cmp_result scratch = {0};
	struct cmp probe = { .res = &scratch };

	expect_zero_reg(&probe, "", oreg);
	cmp_result_free(&scratch);
	return probe.mismatches == 0;
}

static bool src_key(json_object *src, long long *pid, long long *fd,
		    long long default_pid)
{
	json_object *v;

	*pid = default_pid;
	if (json_object_object_get_ex(src, "pid", &v) && v && !jint(v, pid))
		return false;
	return json_object_object_get_ex(src, "fd", &v) && jint(v, fd);
}

/* clone.sources: matched by (pid, fd); the source is in the ring's pid. */
static void cmp_sources(struct cmp *c, const char *path, json_object *osrc,
			json_object *rreg, long long ring_pid)
{
	json_object *rsrc = NULL;
	size_t on = 0, rn = 0, i, j;
	char sub[256];

	json_object_object_get_ex(rreg, "sources", &rsrc);
	if (rsrc && !json_object_is_type(rsrc, json_type_array)) {
		mismatch(c, "%s: report %s is not an array", path, jstr(rsrc));
		return;
	}
	if (osrc && !json_object_is_type(osrc, json_type_array)) {
		mismatch(c, "%s: oracle %s is not an array", path, jstr(osrc));
		return;
	}
	on = osrc ? json_object_array_length(osrc) : 0;
	rn = rsrc ? json_object_array_length(rsrc) : 0;

	bool used[rn ? rn : 1];

	memset(used, 0, sizeof(used));
	for (i = 0; i < on; i++) {
		json_object *o = json_object_array_get_idx(osrc, i);
		long long opid, ofd, rpid, rfd;

		if (!src_key(o, &opid, &ofd, ring_pid)) {
			mismatch(c, "%s: oracle source %s has no fd", path, jstr(o));
			continue;
		}
		for (j = 0; j < rn; j++) {
			json_object *r = json_object_array_get_idx(rsrc, j);

			if (!used[j] && src_key(r, &rpid, &rfd, ring_pid) &&
			    rpid == opid && rfd == ofd)
				break;
		}
		if (opid == ring_pid)
			snprintf(sub, sizeof(sub), "%s[fd %lld]", path, ofd);
		else
			snprintf(sub, sizeof(sub), "%s[pid %lld fd %lld]", path, opid, ofd);
		if (j == rn) {
			mismatch(c, "%s: missing in report", sub);
			continue;
		}
		used[j] = true;
		json_object_object_foreach(o, key, oval) {
			json_object *rval = NULL;
			char num[300];
			bool present;

			if (!strcmp(key, "fd") || !strcmp(key, "pid"))
				continue;
			snprintf(num, sizeof(num), "%s.%s", sub, key);
			if (!in_list(key, source_numbers)) {
				note(c, "oracle key %s ignored", num);
				continue;
			}
			present = json_object_object_get_ex(
				json_object_array_get_idx(rsrc, j), key, &rval);
			cmp_number(c, num, oval, present, rval, false);
		}
	}
	for (j = 0; j < rn; j++) {
		if (!used[j])
			mismatch(c, "%s: source %s in report, not in oracle", path,
				 jstr(json_object_array_get_idx(rsrc, j)));
	}
}

static void cmp_reg(struct cmp *c, const char *name, json_object *oring,
		    json_object *rring, long long ring_pid)
{
	json_object *oreg = NULL, *rreg = NULL;
	char sub[256];

	json_object_object_get_ex(oring, name, &oreg);
	if (json_object_object_get_ex(rring, name, &rreg) && rreg &&
	    !json_object_is_type(rreg, json_type_object)) {
		mismatch(c, "%s: report %s is not an object", name, jstr(rreg));
		rreg = NULL;
	}
	if (!oreg) {
		if (rreg)
			expect_zero_reg(c, name, rreg);
		return;
	}
	if (!json_object_is_type(oreg, json_type_object)) {
		mismatch(c, "%s: oracle %s is not an object", name, jstr(oreg));
		return;
	}
	if (!rreg) {
		if (!reg_all_zero(oreg))
			mismatch(c, "%s: missing in report, oracle %s", name, jstr(oreg));
		return;
	}
	json_object_object_foreach(oreg, key, oval) {
		json_object *rval = NULL;
		bool present = json_object_object_get_ex(rreg, key, &rval);

		snprintf(sub, sizeof(sub), "%s.%s", name, key);
		if (in_list(key, reg_numbers))
			cmp_number(c, sub, oval, present, rval, false);
		else if (!in_list(key, reg_maps) &&
			 !(!strcmp(key, "sources") && !strcmp(name, "clone")))
			note(c, "oracle key %s ignored", sub);
	}
	/* Exact key sets: an oracle without the map means an empty map. */
	for (size_t i = 0; reg_maps[i]; i++) {
		snprintf(sub, sizeof(sub), "%s.%s", name, reg_maps[i]);
		cmp_exact_keys(c, sub, get_obj(oreg, reg_maps[i]), rreg,
			       reg_maps[i], cmp_count);
	}
	if (!strcmp(name, "clone")) {
		json_object *osrc = NULL;

		json_object_object_get_ex(oreg, "sources", &osrc);
		cmp_sources(c, "clone.sources", osrc, rreg, ring_pid);
	}
}

static long long reg_number(json_object *ring, const char *reg, const char *key)
{
	json_object *o = get_obj(ring, reg), *v = NULL;
	long long n = 0;

	if (o && json_object_object_get_ex(o, key, &v) && v)
		jint(v, &n);
	return n;
}

static bool reg_failed(json_object *oring, const char *reg)
{
	json_object *errors = get_obj(get_obj(oring, reg), "errors");

	return errors && json_object_object_length(errors) > 0;
}

/*
 * Where the report has hooks inside io_uring (fentry/kprobe backends), it
 * states more than the oracle does; check what follows from the oracle:
 * every IO looked its buffer up once, registration pinned exactly the
 * pages registered, and a clone pinned and charged nothing.
 */
static void cmp_ring_internals(struct cmp *c, json_object *oring, json_object *rring)
{
	json_object *inside = NULL, *v = NULL;
	long long pinned, charged;

	if (json_object_object_get_ex(rring, "imports", &v) && v)
		cmp_exact_keys(c, "imports (import hook)", get_obj(oring, "buf_index_ops"),
			       rring, "imports", cmp_count);
	if (!reg_failed(oring, "register") && !reg_failed(oring, "update") &&
	    (get_obj(oring, "register") || get_obj(oring, "update"))) {
		bool measured = false;

		pinned = 0;
		for (int i = 0; i < 2; i++) {
			const char *reg = i ? "update" : "register";

			inside = get_obj(get_obj(rring, reg), "inside");
			if (inside && json_object_object_get_ex(inside, "pinned_pages", &v) && v) {
				long long n = 0;

				jint(v, &n);
				pinned += n;
				measured = true;
			}
		}
		long long want = reg_number(oring, "register", "pages") +
				 reg_number(oring, "update", "pages");

		if (measured && pinned != want)
			mismatch(c, "pages pinned at registration (io_pin_pages): report %lld, "
				 "oracle pages %lld", pinned, want);
	}
	inside = get_obj(get_obj(rring, "clone"), "inside");
	if (get_obj(oring, "clone") && inside) {
		pinned = charged = 0;
		if (json_object_object_get_ex(inside, "pinned_pages", &v) && v)
			jint(v, &pinned);
		if (json_object_object_get_ex(inside, "charged_pages", &v) && v)
			jint(v, &charged);
		if (pinned || charged)
			mismatch(c, "clone pinned %lld and charged %lld pages: both must be 0",
				 pinned, charged);
	}
}

static void cmp_ring(struct cmp *c, json_object *oring, json_object *rring,
		     long long pid)
{
	json_object *ov, *rv = NULL;
	bool present;

	json_object_object_foreach(oring, key, val) {
		if (!in_list(key, ring_keys))
			note(c, "oracle key %s ignored", key);
	}
	if (json_object_object_get_ex(oring, "setup_flags", &ov)) {
		present = json_object_object_get_ex(rring, "setup_flags", &rv);
		cmp_number(c, "setup_flags", ov, present, rv, false);
	}
	for (size_t i = 0; reg_names[i]; i++)
		cmp_reg(c, reg_names[i], oring, rring, pid);
	cmp_exact_keys(c, "fixed_io", get_obj(oring, "fixed_io"), rring,
		       "fixed_io", cmp_fixed_io_entry);
	cmp_exact_keys(c, "buf_index_ops", get_obj(oring, "buf_index_ops"),
		       rring, "buf_index_ops", cmp_count);
	cmp_exact_keys(c, "refused_io", get_obj(oring, "refused_io"),
		       rring, "refused_io", cmp_errno_counts);
	if (json_object_object_get_ex(oring, "comm", &ov)) {
		rv = NULL;
		json_object_object_get_ex(rring, "comm", &rv);
		cmp_string(c, "comm", ov, rv);
	}
	/* pinned_io: only the numbers the oracle states. */
	ov = get_obj(oring, "pinned_io");
	if (ov)
		cmp_numbers(c, "pinned_io", ov, get_obj(rring, "pinned_io"),
			    pinned_io_numbers);
	cmp_ring_internals(c, oring, rring);
	/* a table registered before tracing: what the look at it found */
	ov = get_obj(oring, "registered");
	if (ov) {
		rv = get_obj(rring, "registered");
		if (!rv)
			mismatch(c, "registered: report null, oracle a table");
		else
			cmp_numbers(c, "registered", ov, rv, table_numbers);
	}
	if (json_object_object_get_ex(oring, "origin", &ov)) {
		const char *want = json_object_get_string(ov);

		if (!json_object_object_get_ex(rring, "origin", &rv) ||
		    strcmp(json_object_get_string(rv), want))
			mismatch(c, "origin: report %s, oracle %s", rv ? jstr(rv) : "absent", want);
	}
}

struct ring_ref {
	json_object *obj;
	long long pid, fd;
	bool used;
};

static size_t collect_rings(struct cmp *c, json_object *rings,
			    struct ring_ref *out, long long default_pid,
			    const char *side)
{
	size_t n = json_object_is_type(rings, json_type_array) ?
		   json_object_array_length(rings) : 0, kept = 0;

	for (size_t i = 0; i < n; i++) {
		json_object *ring = json_object_array_get_idx(rings, i), *v;
		struct ring_ref *r = &out[kept];

		r->obj = ring;
		r->pid = default_pid;
		r->used = false;
		if (!json_object_is_type(ring, json_type_object) ||
		    (json_object_object_get_ex(ring, "pid", &v) && !jint(v, &r->pid)) ||
		    !json_object_object_get_ex(ring, "fd", &v) || !jint(v, &r->fd)) {
			mismatch(c, "%s rings[%zu]: no integer pid/fd: %s", side, i,
				 jstr(ring));
			continue;
		}
		kept++;
	}
	return kept;
}

static void set_where(struct cmp *c, long long pid, long long fd,
		      long long oracle_pid, int nth)
{
	int n = pid == oracle_pid ?
		snprintf(c->where, sizeof(c->where), "ring fd %lld", fd) :
		snprintf(c->where, sizeof(c->where), "ring pid %lld fd %lld", pid, fd);

	if (nth > 1 && n > 0 && (size_t)n < sizeof(c->where))
		snprintf(c->where + n, sizeof(c->where) - n, " (#%d)", nth);
}

static bool pid_in(long long pid, const struct ring_ref *refs, size_t n,
		   long long oracle_pid)
{
	if (pid == oracle_pid)
		return true;
	for (size_t i = 0; i < n; i++)
		if (refs[i].pid == pid)
			return true;
	return false;
}

static void cmp_rings(struct cmp *c, json_object *orings, json_object *rrings,
		      long long oracle_pid)
{
	size_t on_max = json_object_is_type(orings, json_type_array) ?
			json_object_array_length(orings) : 0;
	size_t rn_max = json_object_is_type(rrings, json_type_array) ?
			json_object_array_length(rrings) : 0;
	struct ring_ref ors[on_max + 1], rrs[rn_max + 1];
	size_t on, rn, i, j;
	json_object *v;

	on = collect_rings(c, orings, ors, oracle_pid, "oracle");
	rn = collect_rings(c, rrings, rrs, -1, "report");
	for (i = 0; i < on; i++) {
		int nth = 1;

		for (j = 0; j < i; j++)
			nth += ors[j].pid == ors[i].pid && ors[j].fd == ors[i].fd;
		set_where(c, ors[i].pid, ors[i].fd, oracle_pid, nth);
		/* The n-th oracle ring on (pid, fd) is the n-th report one. */
		for (j = 0; j < rn; j++)
			if (!rrs[j].used && rrs[j].pid == ors[i].pid &&
			    rrs[j].fd == ors[i].fd)
				break;
		if (j == rn) {
			mismatch(c, "missing in report");
			continue;
		}
		rrs[j].used = true;
		cmp_ring(c, ors[i].obj, rrs[j].obj, ors[i].pid);
	}
	for (j = 0; j < rn; j++) {
		if (rrs[j].used || !pid_in(rrs[j].pid, ors, on, oracle_pid))
			continue;
		set_where(c, rrs[j].pid, rrs[j].fd, oracle_pid, 1);
		if (json_object_object_get_ex(rrs[j].obj, "ring", &v) && v)
			mismatch(c, "in report (ring %s), not in oracle", jstr(v));
		else
			mismatch(c, "in report, not in oracle");
	}
	c->where[0] = '\0';
}

static void cmp_direct_io(struct cmp *c, json_object *odio, json_object *report,
			  long long oracle_pid)
{
	json_object *procs = NULL, *rdio = NULL, *v;
	long long pid;
	size_t n;

	json_object_object_get_ex(report, "processes", &procs);
	n = json_object_is_type(procs, json_type_array) ?
	    json_object_array_length(procs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(procs, i);

		if (json_object_object_get_ex(p, "pid", &v) && jint(v, &pid) &&
		    pid == oracle_pid) {
			rdio = get_obj(p, "direct_io");
			break;
		}
	}
	/* No entry (or no direct_io in it) means the process did none. */
	cmp_numbers(c, "direct_io", odio, rdio, direct_io_numbers);
}

/*
 * The process's entry, where the report has one, names it as the oracle
 * does: the process, not the io-wq or SQPOLL thread that did its IO.
 */
static void cmp_process_comm(struct cmp *c, json_object *ocomm, json_object *report,
			     long long oracle_pid)
{
	json_object *procs = NULL, *v, *rcomm;
	long long pid;
	size_t n;

	json_object_object_get_ex(report, "processes", &procs);
	n = json_object_is_type(procs, json_type_array) ? json_object_array_length(procs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(procs, i);

		if (!json_object_object_get_ex(p, "pid", &v) || !jint(v, &pid) ||
		    pid != oracle_pid)
			continue;
		rcomm = NULL;
		json_object_object_get_ex(p, "comm", &rcomm);
		cmp_string(c, "processes[].comm", ocomm, rcomm);
	}
}

/* True when the oracle says no IO of the case pinned pages per IO. */
static bool oracle_pins_nothing(json_object *oracle)
{
	json_object *rings = NULL;
	size_t n;

	if (reg_number(oracle, "direct_io", "ios"))
		return false;
	json_object_object_get_ex(oracle, "rings", &rings);
	n = json_object_is_type(rings, json_type_array) ? json_object_array_length(rings) : 0;
	for (size_t i = 0; i < n; i++)
		if (reg_number(json_object_array_get_idx(rings, i), "pinned_io", "ios"))
			return false;
	return true;
}

/* Internals: a fixed-buffer case pins no user page outside registration. */
static void cmp_io_phase_pins(struct cmp *c, json_object *oracle, json_object *report,
			      long long oracle_pid)
{
	json_object *procs = NULL, *v;
	long long pid, pages;
	size_t n;

	if (!oracle_pins_nothing(oracle))
		return;
	json_object_object_get_ex(report, "processes", &procs);
	n = json_object_is_type(procs, json_type_array) ? json_object_array_length(procs) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(procs, i);

		if (!json_object_object_get_ex(p, "pid", &v) || !jint(v, &pid) ||
		    pid != oracle_pid)
			continue;
		if (json_object_object_get_ex(p, "io_pinned_pages", &v) && v && jint(v, &pages) &&
		    pages)
			mismatch(c, "pages pinned in the IO phase (pin_user_pages*): report %lld, "
				 "a fixed-buffer case pins 0", pages);
	}
}

/*
 * Rings by the thousand: the report's totals must be exact, however many
 * rings it lists one by one, and no table may have dropped one. Where the
 * kernel skipped some of pinscope's program runs (missed_runs: a run
 * preempted on its CPU blocks the same program there, 7.x with more
 * processes than CPUs), each skip loses at most one ring's creation or
 * registration: the totals may then fall short by that many rings' worth,
 * never more, and never exceed the truth.
 */
static void cmp_churn(struct cmp *c, json_object *churn, json_object *report)
{
	/* oracle key, then its place under the report's totals */
	static const struct { const char *oracle, *path[3]; } map[] = {
		{ "rings", { "rings" } },
		{ "register_calls", { "register", "calls" } },
		{ "buffers", { "register", "buffers" } },
		{ "bytes", { "register", "bytes" } },
		{ "pages", { "register", "pages" } },
		{ "clone_calls", { "clone", "calls" } },
		{ "clone_buffers", { "clone", "buffers" } },
		{ "read_fixed", { "fixed_io", "READ_FIXED", "ops" } },
	};
	json_object *totals = get_obj(report, "totals"), *ov, *rv;
	long long dropped, missed = 0, rings = 0;

	if (!totals) {
		mismatch(c, "churn: report has no totals");
		return;
	}
	if (json_object_object_get_ex(report, "missed_runs", &rv))
		jint(rv, &missed);
	if (json_object_object_get_ex(churn, "rings", &ov))
		jint(ov, &rings);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		json_object *leafv = NULL, *at = totals;
		char path[96] = "totals";
		bool present = true;
		long long o, r;

		ov = NULL;
		if (!json_object_object_get_ex(churn, map[i].oracle, &ov))
			continue;	/* a number this case does not state */
		for (int k = 0; k < 3 && map[i].path[k]; k++) {
			snprintf(path + strlen(path), sizeof(path) - strlen(path), ".%s",
				 map[i].path[k]);
			present = present && at && json_object_object_get_ex(at, map[i].path[k],
									      &leafv);
			at = present ? leafv : NULL;
		}
		if (!missed || !present || !jint(ov, &o) || !jint(leafv, &r) || rings <= 0) {
			cmp_number(c, path, ov, present, leafv, false);
			continue;
		}
		/* one ring's share of this number, rounded up */
		long long share = (o + rings - 1) / rings;

		if (r > o || o - r > missed * share)
			mismatch(c, "%s: report %lld, oracle %lld, with %lld skipped runs "
				 "(at most %lld short)", path, r, o, missed, missed * share);
		else if (r != o)
			note(c, "%s: report %lld, oracle %lld: short by less than the %lld runs "
			     "the kernel skipped", path, r, o, missed);
	}
	if (json_object_object_get_ex(report, "rings_dropped", &rv) && jint(rv, &dropped) &&
	    dropped)
		mismatch(c, "rings_dropped: report %lld, oracle 0", dropped);
	if (json_object_object_get_ex(report, "io_keys_dropped", &rv) && jint(rv, &dropped) &&
	    dropped)
		mismatch(c, "io_keys_dropped: report %lld, oracle 0", dropped);
}

int compare_oracle_report(json_object *oracle, json_object *report,
			  struct cmp_result *res)
{
	struct cmp c = { .res = res };
	json_object *v, *orings = NULL, *rrings = NULL;
	long long oracle_pid = -1, lost;

	if (!json_object_is_type(oracle, json_type_object)) {
		mismatch(&c, "oracle is not a JSON object");
		return c.mismatches;
	}
	if (!json_object_is_type(report, json_type_object)) {
		mismatch(&c, "report is not a JSON object");
		return c.mismatches;
	}
	if (!json_object_object_get_ex(oracle, "pid", &v) || !jint(v, &oracle_pid))
		mismatch(&c, "oracle has no integer \"pid\"");
	json_object_object_foreach(oracle, key, val) {
		if (!in_list(key, oracle_top_keys))
			note(&c, "oracle key %s ignored", key);
	}
	if (json_object_object_get_ex(oracle, "rings", &orings) && orings &&
	    !json_object_is_type(orings, json_type_array))
		mismatch(&c, "oracle \"rings\" is not an array");
	if (!json_object_object_get_ex(report, "rings", &rrings) ||
	    !json_object_is_type(rrings, json_type_array))
		mismatch(&c, "report has no \"rings\" array");
	if (json_object_object_get_ex(report, "lost_events", &v) &&
	    jint(v, &lost) && lost > 0)
		note(&c, "report lost %lld events: counts may be short", lost);
	if (json_object_object_get_ex(report, "missed_runs", &v) &&
	    jint(v, &lost) && lost > 0)
		note(&c, "the kernel skipped %lld runs of pinscope's programs: counts may be short",
		     lost);

	cmp_rings(&c, orings, rrings, oracle_pid);
	v = get_obj(oracle, "direct_io");
	if (v)
		cmp_direct_io(&c, v, report, oracle_pid);
	if (json_object_object_get_ex(oracle, "comm", &v))
		cmp_process_comm(&c, v, report, oracle_pid);
	cmp_io_phase_pins(&c, oracle, report, oracle_pid);
	v = get_obj(oracle, "churn");
	if (v)
		cmp_churn(&c, v, report);
	return c.mismatches;
}

void cmp_result_free(struct cmp_result *res)
{
	sl_free(&res->mismatches);
	sl_free(&res->notes);
}
