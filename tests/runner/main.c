// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope-test: the end-to-end suite. Prints the kernel first, one
 * PASS/FAIL/SKIP line per test, captured output only on failure (or -v),
 * and "N passed, N failed, N skipped" last. Exit 0 when nothing failed.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "runner.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif

struct env env = { .timeout_s = PT_DEFAULT_TIMEOUT_S };
volatile sig_atomic_t pt_interrupted;

static int nr_passed, nr_failed, nr_skipped;
static char test_dir_for_cleanup[4096];

static void usage(FILE *f)
{
	fprintf(f,
"Usage: pinscope-test [-v] [--bin DIR] [--tmpdir DIR] [--backend NAME]\n"
"                     [--filter SUBSTR] [--skip SUBSTR] [--timeout SEC]\n"
"                     [--self-test]\n"
"  -v              show captured output and notes of passing tests too\n"
"  --bin DIR       where pinscope and pinscope-workload are (default: next to this binary)\n"
"  --tmpdir DIR    parent of the private scratch directory\n"
"                  (default: $PINSCOPE_TMPDIR, else /var/tmp)\n"
"  --backend NAME  pass --backend=NAME to pinscope\n"
"  --filter SUBSTR run only tests whose name contains SUBSTR (A,B: A or B)\n"
"  --skip SUBSTR   leave out tests whose name contains SUBSTR (up to 8 times)\n"
"  --timeout SEC   limit for each spawned process (default %d)\n"
"  --self-test     check the oracle/report comparer on crafted pairs only\n",
		PT_DEFAULT_TIMEOUT_S);
}

static const char *skipped_by(const char *name)
{
	for (int i = 0; i < env.nr_skip; i++)
		if (strstr(name, env.skip[i]))
			return env.skip[i];
	return NULL;
}

bool test_wanted(const char *name)
{
	const char *f = env.filter;

	if (skipped_by(name))
		return false;
	if (!f)
		return true;
	/* comma-separated alternatives: one VM boot runs several groups */
	for (;;) {
		size_t len = strcspn(f, ",");

		if (len && memmem(name, strlen(name), f, len))
			return true;
		if (!f[len])
			return false;
		f += len + 1;
	}
}

bool test_begin(struct test *t, const char *fmt, ...)
{
	va_list ap;

	memset(t, 0, sizeof(*t));
	va_start(ap, fmt);
	vsnprintf(t->name, sizeof(t->name), fmt, ap);
	va_end(ap);
	t->verdict = V_PASS;
	t->start_ms = now_ms();
	if (pt_interrupted)
		return false;
	if (test_wanted(t->name))
		return true;
	if ((!env.filter || strstr(t->name, env.filter)) && skipped_by(t->name)) {
		printf("SKIP %s (0.0s): left out by --skip %s\n", t->name, skipped_by(t->name));
		nr_skipped++;
	}
	return false;
}

void test_adopt(struct test *t, const struct test *from)
{
	t->verdict = from->verdict;
	snprintf(t->reason, sizeof(t->reason), "%s", from->reason);
	if (from->log.len)
		sb_append(&t->log, sb_str(&from->log), from->log.len);
	if (from->start_ms < t->start_ms)
		t->start_ms = from->start_ms;
}

static void vset(struct test *t, enum verdict v, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (t->verdict == V_PASS || (t->verdict == V_SKIP && v == V_FAIL)) {
		t->verdict = v;
		snprintf(t->reason, sizeof(t->reason), "%s", msg);
	} else {
		sb_appendf(&t->log, "  also: %s\n", msg);
	}
}

void test_fail(struct test *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(t, V_FAIL, fmt, ap);
	va_end(ap);
}

void test_skip(struct test *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(t, V_SKIP, fmt, ap);
	va_end(ap);
}

void test_note(struct test *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sb_appendf(&t->log, "  note: %s\n", msg);
}

bool test_failed(const struct test *t)
{
	return t->verdict == V_FAIL;
}

int test_mkdir(struct test *t, const char *leaf, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", env.tmpdir, leaf);
	for (char *p = out + strlen(env.tmpdir) + 1; *p; p++)
		if (*p == '/')
			*p = '_';
	if (mkdir(out, 0755) && errno != EEXIST) {
		test_fail(t, "mkdir %s: %s", out, strerror(errno));
		return -1;
	}
	snprintf(test_dir_for_cleanup, sizeof(test_dir_for_cleanup), "%s", out);
	return 0;
}

void test_end(struct test *t)
{
	if (pt_interrupted) {
		char was[sizeof(t->reason)];

		snprintf(was, sizeof(was), "%s", t->reason);
		t->verdict = V_FAIL;
		snprintf(t->reason, sizeof(t->reason), "interrupted%s%.900s%s",
			 was[0] ? " (" : "", was, was[0] ? ")" : "");
	}
	double secs = (now_ms() - t->start_ms) / 1000.0;

	switch (t->verdict) {
	case V_PASS:
		printf("PASS %s (%.1fs)\n", t->name, secs);
		nr_passed++;
		break;
	case V_FAIL:
		printf("FAIL %s (%.1fs): %s\n", t->name, secs, t->reason);
		nr_failed++;
		break;
	case V_SKIP:
		printf("SKIP %s (%.1fs): %s\n", t->name, secs, t->reason);
		nr_skipped++;
		break;
	}
	if (t->log.len && (env.verbose || t->verdict == V_FAIL))
		fputs(sb_str(&t->log), stdout);
	fflush(stdout);
	sb_free(&t->log);
	/* Big scratch files (fio's, the workloads') go as soon as a test ends. */
	if (test_dir_for_cleanup[0]) {
		rm_rf(test_dir_for_cleanup);
		test_dir_for_cleanup[0] = '\0';
	}
}

static void on_signal(int sig)
{
	(void)sig;
	pt_interrupted = 1;
}

/* Loading tracing programs needs CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON. */
static bool have_tracing_caps(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
#define HAS(cap) (data[(cap) / 32].effective & (1U << ((cap) % 32)))
	/* Listing programs by id needs CAP_SYS_ADMIN in any case. */
	return HAS(CAP_SYS_ADMIN);
#undef HAS
}

static void default_bindir(const char *argv0)
{
	char buf[PATH_MAX];
	ssize_t n;

	if (strchr(argv0, '/')) {
		snprintf(buf, sizeof(buf), "%s", argv0);
	} else {
		n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
		if (n < 0)
			n = 0;
		buf[n] = '\0';
	}
	snprintf(env.bindir, sizeof(env.bindir), "%s", dirname(buf));
}

int main(int argc, char **argv)
{
	enum { OPT_BIN = 256, OPT_TMPDIR, OPT_BACKEND, OPT_FILTER, OPT_SKIP, OPT_TIMEOUT,
	       OPT_SELF_TEST, OPT_HELP };
	static const struct option opts[] = {
		{ "bin", required_argument, NULL, OPT_BIN },
		{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "filter", required_argument, NULL, OPT_FILTER },
		{ "skip", required_argument, NULL, OPT_SKIP },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "self-test", no_argument, NULL, OPT_SELF_TEST },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 },
	};
	const char *tmpbase = getenv("PINSCOPE_TMPDIR");
	bool self_test = false;
	struct sigaction sa = { .sa_handler = on_signal };
	struct utsname uts;
	char *end;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	default_bindir(argv[0]);
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			env.verbose = true;
			break;
		case OPT_BIN:
			snprintf(env.bindir, sizeof(env.bindir), "%s", optarg);
			break;
		case OPT_TMPDIR:
			tmpbase = optarg;
			break;
		case OPT_BACKEND:
			env.backend = optarg;
			break;
		case OPT_FILTER:
			env.filter = optarg;
			break;
		case OPT_SKIP:
			if (env.nr_skip == (int)(sizeof(env.skip) / sizeof(env.skip[0]))) {
				fprintf(stderr, "pinscope-test: too many --skip\n");
				return 2;
			}
			env.skip[env.nr_skip++] = optarg;
			break;
		case OPT_TIMEOUT:
			env.timeout_s = (int)strtol(optarg, &end, 10);
			if (*end || env.timeout_s <= 0) {
				fprintf(stderr, "pinscope-test: bad --timeout '%s'\n", optarg);
				return 2;
			}
			break;
		case OPT_SELF_TEST:
			self_test = true;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pinscope-test: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!tmpbase || !*tmpbase)
		tmpbase = "/var/tmp";

	uname(&uts);
	printf("kernel: %s\n", uts.release);

	snprintf(env.tmpdir, sizeof(env.tmpdir), "%s/pinscope-test.XXXXXX", tmpbase);
	if (!mkdtemp(env.tmpdir)) {
		fprintf(stderr, "pinscope-test: cannot create a directory in %s: %s\n",
			tmpbase, strerror(errno));
		return 2;
	}
	snprintf(env.pinscope, sizeof(env.pinscope), "%s/pinscope", env.bindir);
	snprintf(env.workload, sizeof(env.workload), "%s/pinscope-workload",
		 env.bindir);
	env.privileged = have_tracing_caps();

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (self_test) {
		run_selftests();
		run_check_selftests();
	} else {
		if (env.verbose)
			printf("bin: %s, tmpdir: %s%s%s\n", env.bindir, env.tmpdir,
			       env.backend ? ", backend: " : "",
			       env.backend ? env.backend : "");
		run_cli_tests();
		run_signal_tests();
		run_session_tests();
		run_output_tests();
		run_text_tests();
		run_workload_tests();
		run_fio_tests();
		run_check_tests();
		run_live_tests();
		run_latency_tests();
		run_width_test();
	}

	if (rm_rf(env.tmpdir))
		fprintf(stderr, "pinscope-test: could not remove %s\n", env.tmpdir);
	if (pt_interrupted)
		fprintf(stderr, "pinscope-test: interrupted\n");
	printf("%d passed, %d failed, %d skipped\n", nr_passed, nr_failed,
	       nr_skipped);
	return nr_failed || pt_interrupted ? 1 : 0;
}
