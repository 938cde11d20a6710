// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope: trace and profile io_uring registered (fixed) buffers.
 * Subcommands are looked up by unambiguous prefix, as bpftool does.
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "env.h"
#include "errors.h"
#include "output.h"
#include "signals.h"
#include "version.h"

static const struct subcommand {
	const char *name;
	int (*run)(struct env *env);
	const char *opts;
	const char *summary;
} subcommands[] = {
	{ "features", cmd_features, ENV_OPTS_INFO, "what this kernel allows and has, and why" },
	{ "stat",     cmd_stat,     ENV_OPTS_STAT,  "per-ring registered-buffer report" },
	{ "hist",     cmd_hist,     ENV_OPTS_ALL,  "log2 histograms of latencies and sizes" },
	{ "trace",    cmd_trace,    ENV_OPTS_ALL,  "one line per ring creation and registration" },
	{ "check",    cmd_check,    ENV_OPTS_CHECK,"verdict: zero repeated pinning? (exit 0/1/2)" },
	{ "exporter", cmd_exporter, ENV_OPTS_EXPORTER, "Prometheus metrics over HTTP (or a textfile)" },
	{ "top",      cmd_top,      ENV_OPTS_TOP,  "rings ranked live, refreshing (q quits)" },
};

#define NR_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

/*
 * Whether a line of the options text is for a subcommand that takes opts
 * (NULL: the top-level help, every line). An option line names its option
 * first ("  -p, --pid PID ...", "  --bpf-stats ..."); "-- CMD" goes with
 * the subcommands that take a target (-p). A line indented deeper goes on
 * the one before (prev); other lines always print.
 */
static bool help_line_wanted(const char *opts, const char *line, bool prev)
{
	size_t len;
	int c;

	if (!strncmp(line, "   ", 3))
		return prev;
	if (!opts || strncmp(line, "  -", 3))
		return true;
	if (line[3] == '-') {
		len = strcspn(line + 4, " \n");
		c = len ? env_long_opt(line + 4, len) : 'p';
	} else {
		c = line[3];
	}
	return c && strchr(opts, c);
}

static void print_options(FILE *out, const char *opts, const char *text)
{
	const char *nl;
	bool wanted = true;

	for (; *text; text = *nl ? nl + 1 : nl) {
		nl = strchrnul(text, '\n');
		wanted = help_line_wanted(opts, text, wanted);
		if (wanted)
			fprintf(out, "%.*s%s", (int)(nl - text), text, *nl ? "\n" : "");
	}
}

/* opts: the subcommand's option letters, to list only its options; or NULL. */
static void usage(FILE *out, const char *opts)
{
	fprintf(out,
		"Usage: pinscope SUBCOMMAND [OPTIONS] [-- CMD ARGS...]\n"
		"       pinscope -V|--version\n\n"
		"Subcommands:\n");
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	print_options(out, opts,
		"\nOptions:\n"
		"  -j, --json          JSON output (errors too: {\"error\": ...} on stdout)\n"
		"  -v, --verbose       libbpf debug output on stderr\n"
		"  -o, --output FILE   write the report to FILE (replaced by the first report)\n"
		"  -p, --pid PID[,PID] trace these processes and their children; repeatable;\n"
		"                      a thread id means its process; ends when all exited\n"
		"  -i, --interval SEC  print the report every SEC seconds (cumulative);\n"
		"                      in JSON one compact document per line (JSON Lines)\n"
		"  -d, --duration SEC  stop after SEC seconds; a command still running then\n"
		"                      gets SIGTERM, and SIGKILL 2 s later, as timeout(1)\n"
		"  -t, --top N         buffer indexes listed per ring in text (10)\n"
		"  -b, --backend NAME  auto (default), fentry, kprobe or tracepoint\n"
		"  -H, --hist          stat: histograms after the report (stat only)\n"
		"  --registration-only no per-IO hooks: zero cost per IO, registrations only\n"
		"  --bpf-stats         BPF run-time statistics: what each program costs\n"
		"  --rings-from SRC    find rings older than the session with auto (default),\n"
		"                      bpf (task iterators) or fdinfo (/proc/PID/fdinfo)\n"
		"  --table-size N      rings and processes the BPF tables hold at once\n"
		"                      (65536; gone ones are harvested, so this bounds bursts)\n"
		"  --buffer-size SIZE  the ring buffer of records (trace, check, failures):\n"
		"                      a power of two, K/M/G (trace 1M, check 8M, else 256K)\n"
		"  --listen ADDR:PORT  exporter: serve /metrics there (127.0.0.1:9477)\n"
		"  --textfile DIR      exporter: write DIR/pinscope.prom each -i instead\n"
		"  --grace SEC         exporter: show gone rings this long (60)\n"
		"  -- CMD ARGS...      run CMD, trace its process tree, report when it ends\n"
		"\nSIGINT or SIGTERM end tracing and print the report (passed on to CMD);\n"
		"before tracing began they are an error. Exit status: 0 success; check: 0\n"
		"zero repeated pinning, 1 violations; 2 could not run or check (usage,\n"
		"privileges, kernel, interrupted start-up, a write error). CMD's own status\n"
		"is reported, never returned.\n");
}

static const struct subcommand *find(const char *name, int *matches)
{
	const struct subcommand *found = NULL;

	*matches = 0;
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++) {
		if (!strcmp(subcommands[i].name, name)) {
			*matches = 1;
			return &subcommands[i];
		}
		if (!strncmp(subcommands[i].name, name, strlen(name))) {
			found = &subcommands[i];
			(*matches)++;
		}
	}
	return *matches == 1 ? found : NULL;
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;
	struct env env = {};
	bool help;
	int matches, err;

	/*
	 * Kernel BTF is parsed twice at start-up (ours, then libbpf's at load),
	 * a few MiB each. A fixed threshold keeps such buffers in their own
	 * mappings, returned on free; glibc's sliding one would move the
	 * second parse onto the heap, on top of what the first left there.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	/* first: a signal from now on gives a report or one line, never silence */
	ps_signals_install();
	output_guard_std_fds();
	if (argc < 2) {
		usage(stderr, NULL);
		return PS_EXIT_FAIL;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout, NULL);
		return PS_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		ps_print_version(stdout);
		return PS_EXIT_OK;
	}
	sc = find(argv[1], &matches);
	if (!sc) {
		ps_errors_json(env_wants_json(argc - 1, argv + 1, ENV_OPTS_STAT));
		ps_error("%s subcommand '%s' (try 'pinscope help')",
			 matches > 1 ? "ambiguous" : "unknown", argv[1]);
		return PS_EXIT_FAIL;
	}
	err = env_parse(&env, argc - 1, argv + 1, sc->opts, &help);
	env.subcommand = sc->name;
	if (!err && help)
		usage(stdout, sc->opts);
	else if (!err)
		err = sc->run(&env);
	env_free(&env);
	return err;
}
