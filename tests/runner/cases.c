// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Helpers of the end-to-end tests (privileges, logs, the workload's case
 * list), and fio, a peer workload whose counts come from fio's JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "runner.h"

/* Enough of a document to read on failure, not a flood. */
#define LOG_JSON_MAX	(64 << 10)

/* Compact, one ring per line: rings are what a reader compares. */
void log_json(struct test *t, const char *what, json_object *doc)
{
	size_t start = t->log.len;

	sb_appendf(&t->log, "  --- %s ---\n", what);
	json_object_object_foreach(doc, key, val) {
		size_t n = json_object_is_type(val, json_type_array) ?
			   json_object_array_length(val) : 0;

		if (strcmp(key, "rings") || !n) {
			sb_appendf(&t->log, "  %s: %s\n", key, val ? jstr(val) : "null");
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			if (t->log.len - start > LOG_JSON_MAX) {
				sb_appendf(&t->log, "  (%zu more rings)\n", n - i);
				break;
			}
			sb_appendf(&t->log, "  rings[%zu]: %s\n", i,
				   jstr(json_object_array_get_idx(val, i)));
		}
	}
}

bool pinscope_ready(struct test *t)
{
	if (!env.privileged) {
		test_skip(t, "needs CAP_SYS_ADMIN (run as root) to load BPF programs");
		return false;
	}
	if (access(env.pinscope, X_OK)) {
		test_fail(t, "pinscope not found: %s: %s", env.pinscope, strerror(errno));
		return false;
	}
	return true;
}

/*
 * Case names, from `pinscope-workload -l` ("NAME  description" lines). The
 * listing shows up as a test of its own ("GROUP/list") only when it fails
 * (and the filter could have wanted GROUP's tests).
 */
int list_workload_cases(const char *group, struct strlist *names)
{
	struct argv_buf a = {0};
	struct proc p = {0};
	struct test t;
	const char *line;
	int ret;

	test_begin(&t, "%s/list", group);
	if (access(env.workload, X_OK)) {
		test_fail(&t, "pinscope-workload not found: %s: %s", env.workload,
			  strerror(errno));
		goto out;
	}
	av_add(&a, "%s", env.workload);
	av_add(&a, "-l");
	ret = proc_run(&p, a.v, &(struct proc_opts){ .timeout_s = 30 });
	if (ret) {
		test_fail(&t, "cannot start pinscope-workload: %s", strerror(-ret));
		goto out;
	}
	proc_log(&p, &t.log);
	if (!expect_exit(&t, &p, "pinscope-workload -l", 0))
		goto out;
	for (line = sb_str(&p.out); *line; ) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		size_t word = strcspn(line, " \t\n");

		if (word > 0 && line[0] != '#')
			sl_addf(names, "%.*s", (int)word, line);
		line += len + (nl ? 1 : 0);
	}
	if (!names->n)
		test_fail(&t, "pinscope-workload -l listed no cases");
out:
	proc_free(&p);
	av_free(&a);
	if (!test_failed(&t)) {
		sb_free(&t.log);
		return 0;
	}
	if (!env.filter || test_wanted(t.name) || !strncmp(env.filter, group, strlen(group)))
		test_end(&t);
	else
		sb_free(&t.log);
	return -1;
}

/* ---- fio ---- */

void add_pinscope_args(struct argv_buf *a, const char *subcommand, const char *report,
		       const char *option)
{
	av_add(a, "%s", env.pinscope);
	av_add(a, "%s", subcommand);
	av_add(a, "-j");
	av_add(a, "-o");
	av_add(a, "%s", report);
	if (option)
		av_add(a, "%s", option);
	if (env.backend)
		av_add(a, "--backend=%s", env.backend);
	av_add(a, "--");
}

/*
 * The lifetime cases run against tables smaller than what they create:
 * only harvesting keeps them exact. ring_churn's 20,000 rings against
 * PINSCOPE_TEST_TABLE_SIZE (8,192), pool_churn's 5,000 (with 20,000 IO
 * keys: their counts move while a harvest reads them) against it (4,096),
 * many_procs' 5,000 processes against PINSCOPE_TEST_PROC_TABLE_SIZE
 * (2,048); the VMs set smaller sizes. ring_churn's table leaves the
 * harvest room for 7,000 rings: with 4,096, a host sharing its two cores
 * with three guests dropped 271 of 20,000 once (counted, so check could
 * not judge), as the churn outran a starved harvest.
 */
const char *table_size_option(const char *case_name)
{
	static char opt[48];
	const char *size;
	int dflt;

	if (!strcmp(case_name, "ring_churn"))
		size = getenv("PINSCOPE_TEST_TABLE_SIZE"), dflt = 8192;
	else if (!strcmp(case_name, "pool_churn"))
		size = getenv("PINSCOPE_TEST_TABLE_SIZE"), dflt = 4096;
	else if (!strcmp(case_name, "many_procs"))
		size = getenv("PINSCOPE_TEST_PROC_TABLE_SIZE"), dflt = 2048;
	else
		return NULL;
	snprintf(opt, sizeof(opt), "--table-size=%d", size ? atoi(size) : dflt);
	return opt;
}

/* command.exit_status, when the report has it, must be the child's 0. */
static void expect_command_ok(struct test *t, json_object *report,
			      const char *who)
{
	long long status;

	if (jint(jpath(report, "command.exit_status"), &status) && status != 0)
		test_fail(t, "command.exit_status: report %lld, expected 0 (%s)",
			  status, who);
}

bool is_ring_of(json_object *ring, long long pid)
{
	long long p;

	return jint(jpath(ring, "pid"), &p) && p == pid;
}


#define FIO_IODEPTH	8

static long long fixed_read_ops(json_object *ring, bool any_read)
{
	json_object *fixed = jpath(ring, "fixed_io");
	long long sum = 0, v;

	if (!json_object_is_type(fixed, json_type_object))
		return 0;
	json_object_object_foreach(fixed, op, entry) {
		bool match = any_read ? strstr(op, "READ") != NULL :
					!strcmp(op, "READ_FIXED");

		if (match && jint(jpath(entry, "ops"), &v))
			sum += v;
	}
	return sum;
}

static long long ring_activity(json_object *ring)
{
	long long a = 0, v;

	if (jint(jpath(ring, "register.buffers"), &v))
		a += v;
	if (jint(jpath(ring, "pinned_io.ios"), &v))
		a += v;
	return a + fixed_read_ops(ring, true);
}

/* fio --output holds JSON, possibly after a line of warnings. */
json_object *load_fio_json(const char *path, char *err, size_t errlen)
{
	struct strbuf text = {0};
	json_object *doc;
	char *brace;
	int ret = read_text_file(path, &text);

	if (ret) {
		snprintf(err, errlen, "cannot read %.300s: %s", path, strerror(-ret));
		return NULL;
	}
	brace = strchr(sb_str(&text), '{');
	if (!brace) {
		snprintf(err, errlen, "%.300s holds no JSON", path);
		sb_free(&text);
		return NULL;
	}
	doc = json_parse_strict(brace, err, errlen);
	sb_free(&text);
	return doc;
}

bool odirect_works(struct test *t, const char *dir)
{
	char probe[4200];
	int fd;

	snprintf(probe, sizeof(probe), "%s/odirect-probe", dir);
	fd = open(probe, O_CREAT | O_WRONLY | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EINVAL) {
		test_skip(t, "%s does not support O_DIRECT (use --tmpdir)", dir);
		return false;
	}
	if (fd < 0) {
		test_fail(t, "open %s: %s", probe, strerror(errno));
		return false;
	}
	close(fd);
	unlink(probe);
	return true;
}

static void check_fio(struct test *t, json_object *report, long long total_ios,
		      bool fixedbufs)
{
	json_object *rings = jpath(report, "rings"), *busiest = NULL;
	long long job_pid = -1, best = -1, buffers = 0, fixed = 0, pinned = 0;
	long long reads_fixed = 0, pinned_all = 0, v;
	size_t n = json_object_is_type(rings, json_type_array) ?
		   json_object_array_length(rings) : 0;

	if (!n) {
		test_fail(t, "rings: report has none, expected fio's");
		return;
	}
	/* fio's job process is the one whose ring did the IO. */
	for (size_t i = 0; i < n; i++) {
		json_object *ring = json_object_array_get_idx(rings, i);
		long long act = ring_activity(ring);

		test_note(t, "ring %s pid %s (%s) fd %s: register.buffers %s, fixed_io %s, pinned_io %s",
			  jstr(jpath(ring, "ring")), jstr(jpath(ring, "pid")),
			  json_object_get_string(jpath(ring, "comm")),
			  jstr(jpath(ring, "fd")), jstr(jpath(ring, "register.buffers")),
			  jstr(jpath(ring, "fixed_io")), jstr(jpath(ring, "pinned_io")));
		if (act > best) {
			best = act;
			busiest = ring;
		}
		reads_fixed += fixed_read_ops(ring, true);
		if (jint(jpath(ring, "pinned_io.ios"), &v))
			pinned_all += v;
	}
	jint(jpath(busiest, "pid"), &job_pid);
	for (size_t i = 0; i < n; i++) {
		json_object *ring = json_object_array_get_idx(rings, i);

		if (!is_ring_of(ring, job_pid))
			continue;
		if (jint(jpath(ring, "register.buffers"), &v))
			buffers += v;
		fixed += fixed_read_ops(ring, false);
		if (jint(jpath(ring, "pinned_io.ios"), &v))
			pinned += v;
	}
	if (fixedbufs) {
		if (buffers != FIO_IODEPTH)
			test_fail(t, "pid %lld: register.buffers: report %lld, expected %d (iodepth)",
				  job_pid, buffers, FIO_IODEPTH);
		if (fixed != total_ios)
			test_fail(t, "pid %lld: fixed_io.READ_FIXED.ops: report %lld, fio total_ios %lld",
				  job_pid, fixed, total_ios);
		if (pinned != 0)
			test_fail(t, "pid %lld: pinned_io.ios: report %lld, expected 0",
				  job_pid, pinned);
	} else {
		if (reads_fixed != 0)
			test_fail(t, "fixed_io READ ops: report %lld, expected 0 (no --fixedbufs)",
				  reads_fixed);
		if (pinned_all != total_ios)
			test_fail(t, "pinned_io.ios over fio's rings: report %lld, fio total_ios %lld",
				  pinned_all, total_ios);
	}
}

/* fio, one O_DIRECT random-read job on io_uring, JSON to fio_out. */
void add_fio_args(struct argv_buf *a, const char *fio, const char *dir,
		  bool fixedbufs, const char *fio_out)
{
	av_add(a, "%s", fio);
	av_add(a, "--name=ps");
	av_add(a, "--ioengine=io_uring");
	if (fixedbufs)
		av_add(a, "--fixedbufs");
	av_add(a, "--direct=1");
	av_add(a, "--rw=randread");
	av_add(a, "--bs=4k");
	av_add(a, "--size=16M");
	av_add(a, "--iodepth=%d", FIO_IODEPTH);
	av_add(a, "--filename=%s/fio.dat", dir);
	av_add(a, "--output-format=json");
	av_add(a, "--output=%s", fio_out);
}

/* jobs[0].read.total_ios of fio's output; false (test failed) without it. */
bool fio_total_ios(struct test *t, const char *fio_out, long long *total_ios)
{
	json_object *doc;
	char err[512];
	bool ok;

	doc = load_fio_json(fio_out, err, sizeof(err));
	if (!doc) {
		test_fail(t, "fio output: %s", err);
		return false;
	}
	ok = jint(jpath(json_object_array_get_idx(jpath(doc, "jobs"), 0),
			"read.total_ios"), total_ios) && *total_ios > 0;
	json_object_put(doc);
	if (!ok) {
		test_fail(t, "fio output: jobs[0].read.total_ios missing or 0");
		return false;
	}
	test_note(t, "fio jobs[0].read.total_ios: %lld", *total_ios);
	return true;
}

/*
 * fio traced once under `pinscope check -j` (the stat report plus the
 * verdict), judged twice: fio/NAME the counts, check/fio_NAME the verdict.
 */
static void run_fio(const char *name, bool fixedbufs)
{
	char fio[4096], dir[4096], report_path[4200], fio_out[4200], err[512];
	char counts_name[64], verdict_name[64];
	json_object *report = NULL;
	struct id_set before = {0};
	struct argv_buf a = {0};
	struct proc p = {0};
	long long total_ios = -1;
	bool check_leak = false;
	struct test shared, t;
	int ret, code;

	snprintf(counts_name, sizeof(counts_name), "fio/%s", name);
	snprintf(verdict_name, sizeof(verdict_name), "check/fio_%s", name);
	if (!test_wanted(counts_name) && !test_wanted(verdict_name))
		return;
	test_begin(&shared, "%s", counts_name);
	if (!find_in_path("fio", fio, sizeof(fio))) {
		test_skip(&shared, "fio not found in PATH");
		goto judge;
	}
	if (!pinscope_ready(&shared) || test_mkdir(&shared, name, dir, sizeof(dir)) ||
	    !odirect_works(&shared, dir))
		goto judge;
	snprintf(report_path, sizeof(report_path), "%s/report.json", dir);
	snprintf(fio_out, sizeof(fio_out), "%s/fio.json", dir);
	add_pinscope_args(&a, "check", report_path, NULL);
	add_fio_args(&a, fio, dir, fixedbufs, fio_out);

	check_leak = ps_progs_snapshot(&shared, &before);
	ret = proc_run(&p, a.v, NULL);
	if (ret) {
		test_fail(&shared, "cannot start pinscope: %s", strerror(-ret));
		goto judge;
	}
	proc_log(&p, &shared.log);
	if (fio_total_ios(&shared, fio_out, &total_ios) &&
	    !(report = json_load_file(report_path, err, sizeof(err))))
		test_fail(&shared, "report: %s", err);
	if (check_leak)
		expect_no_new_ps_progs(&shared, &before, 2000);
judge:
	if (test_begin(&t, "%s", counts_name)) {
		test_adopt(&t, &shared);
		code = proc_exit_code(&p);
		if (report && !test_failed(&t)) {
			if (code != 0 && code != 1)
				test_fail(&t, "pinscope check exited %d, expected a verdict (0 or 1)",
					  code);
			expect_command_ok(&t, report, "fio");
			check_fio(&t, report, total_ios, fixedbufs);
			if (test_failed(&t))
				log_json(&t, "report", report);
		}
		test_end(&t);
	}
	if (test_begin(&t, "%s", verdict_name)) {
		test_adopt(&t, &shared);
		if (report && !test_failed(&t)) {
			judge_fio_check(&t, &p, report, total_ios, fixedbufs);
			if (test_failed(&t))
				log_json(&t, "report", report);
		}
		test_end(&t);
	}
	sb_free(&shared.log);
	json_object_put(report);
	id_set_free(&before);
	proc_free(&p);
	av_free(&a);
}

void run_fio_tests(void)
{
	run_fio("fixedbufs", true);
	run_fio("no_fixedbufs", false);
}

void pinscope_args(struct argv_buf *a, const char *sub, const char *const *args)
{
	av_add(a, "%s", env.pinscope);
	av_add(a, "%s", sub);
	if (env.backend && strcmp(sub, "features"))
		av_add(a, "--backend=%s", env.backend);
	for (; args && *args; args++)
		av_add(a, "%s", *args);
}

bool run_to_end(struct test *t, struct proc *p, struct argv_buf *a, const struct proc_opts *o)
{
	int ret = proc_run(p, a->v, o);

	if (ret) {
		test_fail(t, "cannot start pinscope: %s", strerror(-ret));
		return false;
	}
	proc_log(p, &t->log);
	return true;
}

int json_lines(struct test *t, const char *s, double *durations, int max)
{
	int n = 0;

	while (*s) {
		size_t len = strcspn(s, "\n");
		char *line = strndup(s, len), err[256];
		json_object *doc = json_parse_strict(line, err, sizeof(err));

		free(line);
		if (!doc) {
			test_fail(t, "line %d is not one JSON document: %s", n + 1, err);
			return -1;
		}
		if (n < max)
			durations[n] = json_object_get_double(jpath(doc, "duration_s"));
		n++;
		json_object_put(doc);
		s += len + (s[len] == '\n');
	}
	return n;
}
