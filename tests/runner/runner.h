/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pinscope-test: the end-to-end suite. One module per job:
 *   main.c       CLI, test bookkeeping and the PASS/FAIL/SKIP lines
 *   util.c       string buffers, JSON loading, rm -rf
 *   proc.c       spawning a command under a timeout, capturing its output
 *   bpf_progs.c  which ps_* BPF programs are loaded (bpf(2) directly)
 *   compare.c    oracle vs report, per docs/json.md
 *   selftest.c   the comparer against crafted pairs (it must be able to fail)
 *   workload_runs.c  one traced run per workload case, judged as e2e/ (counts)
 *                and check/ (verdict); stat/ on a few cases
 *   cases.c      shared helpers, and fio traced once: counts and verdict
 *   check_match.c  `pinscope check` verdict vs oracle
 *   check_tests.c  check --registration-only, and the verdict over fio
 *   selftest_check.c  the check matcher against crafted pairs
 *   cli_tests.c  the bad-input table, dropped capabilities
 *   signal_tests.c  SIGINT (at start-up, while tracing, again and again),
 *                SIGKILL, SIGSTOP under -i
 *   session_tests.c  -p (pids, thread ids, lists) and -d with a command
 *   output_tests.c   write errors, readers that go away, hostile names,
 *                memory limits, mounts
 *   width.c      each text output once, and every text line pinscope
 *                printed in the suite, measured
 *   latency_tests.c  pinscope's registration latency against the untraced truth
 */
#ifndef PINSCOPE_TEST_RUNNER_H
#define PINSCOPE_TEST_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>
#include <json-c/json.h>

#define PT_DEFAULT_TIMEOUT_S	120

/* ---- util.c ---- */

struct strbuf {
	char *buf;		/* always NUL-terminated once non-NULL */
	size_t len, cap;
};

void sb_append(struct strbuf *sb, const char *data, size_t n);
void sb_appendf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);

struct strlist {
	char **items;
	size_t n;
};

void sl_addf(struct strlist *sl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sl_free(struct strlist *sl);

/* The whole text must be one JSON value (whitespace around it allowed). */
json_object *json_parse_strict(const char *text, char *err, size_t errlen);
json_object *json_load_file(const char *path, char *err, size_t errlen);
/* Dotted lookup ("command.exit_status"); NULL when any step is missing. */
json_object *jpath(json_object *obj, const char *dotted);
bool jis_number(json_object *obj);
/* Integer value of a number; false for anything else (null included). */
bool jint(json_object *obj, long long *out);
/* Sum of an integer at a dotted path over all elements of an array. */
long long jsum(json_object *array, const char *dotted);
const char *jstr(json_object *obj);	/* compact JSON text, for messages */

/* An argv under construction; strings are copies, NULL-terminated. */
struct argv_buf {
	char *v[64];
	int n;
};

void av_add(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void av_free(struct argv_buf *a);

int rm_rf(const char *path);
int read_text_file(const char *path, struct strbuf *out);
/* Searches $PATH like execvp; false when not found. */
bool find_in_path(const char *name, char *out, size_t outlen);

/* ---- main.c: the environment and test bookkeeping ---- */

struct env {
	bool verbose;
	int timeout_s;
	const char *backend;	/* --backend NAME, or NULL */
	const char *filter;	/* --filter SUBSTR, or NULL */
	const char *skip[8];	/* --skip SUBSTR: tests left out, each a SKIP line */
	int nr_skip;
	char bindir[3072];
	char tmpdir[4096];	/* the private mkdtemp directory */
	char pinscope[4096];
	char workload[4096];
	bool privileged;	/* may load tracing BPF programs and list them */
};

extern struct env env;
extern volatile sig_atomic_t pt_interrupted;

enum verdict { V_PASS, V_FAIL, V_SKIP };

struct test {
	char name[256];
	enum verdict verdict;
	char reason[1024];
	struct strbuf log;	/* shown on failure, or always with -v */
	long long start_ms;	/* the result line shows each test's time */
};

/* False when --filter or --skip leaves a test of this name out. */
bool test_wanted(const char *name);
/* False when --filter leaves the test out (then do not run it). */
/* Milliseconds on CLOCK_MONOTONIC. */
long long now_ms(void);

bool test_begin(struct test *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The first failure is the reason; later ones go to the log. */
void test_fail(struct test *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void test_skip(struct test *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void test_note(struct test *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void test_end(struct test *t);
/*
 * t takes from's verdict, reason and log, and its start time when earlier:
 * several tests judging one shared run.
 */
void test_adopt(struct test *t, const struct test *from);
bool test_failed(const struct test *t);

/* A fresh directory for one test under env.tmpdir; removed by test_end. */
int test_mkdir(struct test *t, const char *leaf, char *out, size_t outlen);

/* ---- proc.c ---- */

struct proc_opts {
	int timeout_s;		/* whole-life limit; 0 = env.timeout_s */
	bool drop_caps;		/* drop CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN */
	bool close_stdout;	/* start with fd 1 closed, as `>&-` does */
	long rlimit_as_kib;	/* address-space limit (ulimit -v), 0 = none */
};

struct proc {
	pid_t pid;		/* also the process group id */
	int out_fd, err_fd;
	struct strbuf out, err;
	char cmdline[1024];
	long long deadline_ms;
	int timeout_s;
	int status;		/* wait status, valid once exited */
	bool exited;
	bool timed_out;		/* the deadline killed it */
	size_t err_scan;	/* proc_wait_line: where to look next */
	bool text_out, text_err;	/* pinscope's text output: widths measured */
};

int proc_start(struct proc *p, char *const argv[], const struct proc_opts *o);
/* Runs to exit (or the deadline, which kills the process group). */
int proc_run(struct proc *p, char *const argv[], const struct proc_opts *o);
/* True once a stderr line begins with prefix; false if the process exits
 * or timeout_ms passes first. */
bool proc_wait_line(struct proc *p, const char *prefix, int timeout_ms);
/* True when the process exited within timeout_ms (-1: up to its deadline). */
bool proc_wait(struct proc *p, int timeout_ms);
void proc_signal(struct proc *p, int sig);
/* Closes the read end of the process's stdout: its reader went away. */
void proc_close_stdout(struct proc *p);
/* Kills the whole process group and reaps the leader. */
void proc_kill(struct proc *p);
/* Exit code, or -1 for a signal or a timeout. */
int proc_exit_code(const struct proc *p);
/* "exit 2", "killed by signal 9", "timed out after 120 s" */
const char *proc_describe(const struct proc *p, char *buf, size_t len);
void proc_log(const struct proc *p, struct strbuf *log);
void proc_free(struct proc *p);

/* Fails the test unless p exited with code; true when it did. */
bool expect_exit(struct test *t, const struct proc *p, const char *who,
		 int code);

/* ---- width.c: every line of pinscope's text output within 80 columns ---- */

/* Called by proc.c for each pinscope run that ended: measures its text. */
void width_measure(const struct proc *p);
/* The one test that judges everything measured (output/text_width). */
void run_width_test(void);

/* ---- bpf_progs.c ---- */

struct id_set {
	unsigned int *ids;
	size_t n;
};

/* Loaded BPF programs whose name begins with "ps_". 0 or -errno. */
int bpf_ps_progs(struct id_set *out, struct strbuf *names);
/* Fails the test if ps_* programs not in before remain after timeout_ms. */
void expect_no_new_ps_progs(struct test *t, const struct id_set *before,
			    int timeout_ms);
/* Snapshot for expect_no_new_ps_progs; notes the test when it cannot list. */
bool ps_progs_snapshot(struct test *t, struct id_set *out);
void id_set_free(struct id_set *s);

/* ---- compare.c ---- */

struct cmp_result {
	struct strlist mismatches;	/* "ring fd 3: register.pages: report 15, oracle 16" */
	struct strlist notes;		/* things worth saying with -v */
};

/* Matches an oracle against a report; returns the number of mismatches. */
int compare_oracle_report(json_object *oracle, json_object *report,
			  struct cmp_result *res);
void cmp_result_free(struct cmp_result *res);

/* ---- check_match.c ---- */

/* 1 when the oracle pinned per IO or pinned memory twice, else 0. */
int check_expected_exit(json_object *oracle);
/* ... and given the report: skipped runs turn a PASS into 2 */
int check_expected_exit_seen(json_object *oracle, json_object *report);
/* Matches check's verdict tables against an oracle; returns mismatches. */
int compare_check_report(json_object *oracle, json_object *report,
			 struct cmp_result *res);

/* ---- check_tests.c ---- */

/*
 * check's document agrees with its exit status: verdict, problems exactly
 * when 2, and the command's own status 0.
 */
void check_document(struct test *t, json_object *report, int exit_code);
/* check's verdict over fio with or without --fixedbufs (total_ios: fio's own count). */
void judge_fio_check(struct test *t, const struct proc *p, json_object *report,
		     long long total_ios, bool fixedbufs);

/* ---- cases.c: shared helpers ---- */

/* pinscope SUBCOMMAND -j -o REPORT [OPTION] [--backend=…] --, a command to follow. */
void add_pinscope_args(struct argv_buf *a, const char *subcommand, const char *report,
		       const char *option);
/* --table-size=N for the lifetime cases (ring_churn, many_procs), else NULL. */
const char *table_size_option(const char *case_name);
/* The report's ring belongs to process pid. */
bool is_ring_of(json_object *ring, long long pid);
/* Skips without the privileges to trace, fails without pinscope. */
bool pinscope_ready(struct test *t);
/* A JSON document into the test's log, one ring per line. */
void log_json(struct test *t, const char *what, json_object *doc);
/* Workload case names; on failure a "GROUP/list" test says why. */
int list_workload_cases(const char *group, struct strlist *names);
json_object *load_fio_json(const char *path, char *err, size_t errlen);
bool odirect_works(struct test *t, const char *dir);
void add_fio_args(struct argv_buf *a, const char *fio, const char *dir,
		  bool fixedbufs, const char *fio_out);
bool fio_total_ios(struct test *t, const char *fio_out, long long *total_ios);
/* A NULL-terminated argument list, for pinscope_args. */
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* pinscope SUBCOMMAND [--backend=…] then the NULL-terminated args */
void pinscope_args(struct argv_buf *a, const char *sub, const char *const *args);
/* Runs a to its end, output in the log; false (test failed) when it cannot start. */
bool run_to_end(struct test *t, struct proc *p, struct argv_buf *a, const struct proc_opts *o);
/*
 * Each line of s is one JSON document (JSON Lines); the first max documents'
 * duration_s into durations. Returns how many, -1 (test failed) if one is not.
 */
int json_lines(struct test *t, const char *s, double *durations, int max);

/* ---- selftest.c: crafted oracle/report pairs ---- */

struct crafted {
	json_object *oracle, *report;
	struct cmp_result res;
};

/*
 * Parses a crafted pair, lets mutate break it, compares with compare and
 * fails t unless the first mismatch contains expect (NULL: none allowed).
 * False when the crafted JSON does not parse. crafted_free() either way.
 */
bool crafted_pair(struct test *t, const char *oracle_text, const char *report_text,
		  void (*mutate)(json_object *oracle, json_object *report),
		  int (*compare)(json_object *, json_object *, struct cmp_result *),
		  const char *who, const char *expect, struct crafted *c);
void crafted_free(struct crafted *c);

/* ---- cli_tests.c ---- */

/*
 * Starts pinscope (a) and waits for its "Tracing" line; false (the test
 * failed or skipped) without the privileges, or when the line never comes.
 */
bool start_tracing(struct test *t, struct proc *p, struct argv_buf *a,
		   const struct proc_opts *o);
/* Exactly one stderr line, and it begins "pinscope: ". */
void expect_one_error_line(struct test *t, const struct proc *p);
/* stdout is one JSON object with key "error", and nothing else. */
void expect_json_error(struct test *t, const struct proc *p);

/* ---- test groups ---- */

void run_selftests(void);	/* selftest.c */
void run_cli_tests(void);	/* cli_tests.c */
void run_signal_tests(void);	/* signal_tests.c */
void run_workload_tests(void);	/* workload_runs.c */
void run_fio_tests(void);	/* cases.c */
void run_check_tests(void);	/* check_tests.c */
void run_latency_tests(void);	/* latency_tests.c */
void run_check_selftests(void);	/* selftest_check.c */
void run_live_tests(void);	/* live_tests.c */
void run_session_tests(void);	/* session_tests.c: -p, -d with a command, -i */
void run_output_tests(void);	/* output_tests.c: write errors, signals, names, memory */
void run_text_tests(void);	/* width.c: every text output, for the width test */

#endif /* PINSCOPE_TEST_RUNNER_H */
