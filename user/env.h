/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command-line state shared by the subcommands. */
#ifndef PS_ENV_H
#define PS_ENV_H

#include <stdbool.h>
#include <sys/types.h>

struct env {
	const char *subcommand;
	bool json;		/* -j */
	bool verbose;		/* -v: libbpf debug output */
	const char *output;	/* -o FILE */
	pid_t *pids;		/* -p PID[,PID…], repeatable; as given */
	int nr_pids;
	double interval_s;	/* -i SEC, 0 = only at the end */
	double duration_s;	/* -d SEC, 0 = until the command ends or Ctrl-C */
	int top;		/* --top N buffer indexes in text */
	const char *backend;	/* --backend NAME, NULL = auto */
	bool hist;		/* stat -H: histograms after the report */
	bool registration_only;	/* no per-IO hooks at all */
	bool bpf_stats;		/* per-program run time from the kernel */
	const char *rings_from;	/* --rings-from auto|bpf|fdinfo: finding existing rings */
	unsigned int table_size; /* --table-size N: rings and processes held at once */
	unsigned long buffer_size; /* --buffer-size SIZE: the BPF ring buffer, 0 = default */
	const char *listen;	/* exporter --listen ADDR:PORT */
	const char *textfile;	/* exporter --textfile DIR */
	double grace_s;		/* exporter --grace SEC, -1 = default */
	char **cmd;		/* after `--` */
	int cmd_argc;
};

/* Which options a subcommand takes, as a getopt-style letter set. */
#define ENV_OPTS_ALL	"jvo:p:i:d:b:t:hRSF:T:B:"
#define ENV_OPTS_STAT	ENV_OPTS_ALL "H"
#define ENV_OPTS_CHECK	"jvo:p:d:b:t:hRSF:T:B:"	/* ENV_OPTS_ALL but -i: one verdict, at the end */
#define ENV_OPTS_INFO	"jvo:b:h"
#define ENV_OPTS_EXPORTER "vp:i:d:b:hRSF:T:L:X:G:"
#define ENV_OPTS_TOP	"vp:i:d:b:hRF:T:"
/* The longest -d / -i pinscope takes: 10^7 s, about 115 days. */
#define ENV_MAX_SECONDS	10000000.0

/*
 * Parses argv (argv[0] is the subcommand). Returns 0, or PS_EXIT_FAIL after
 * printing one error line; sets *help when -h was given.
 */
int env_parse(struct env *env, int argc, char **argv, const char *allowed, bool *help);
void env_free(struct env *env);
/*
 * Whether -j is among the options, read the way getopt will read them
 * (clusters like -jp, long prefixes like --js, option arguments skipped),
 * so that even the first error is printed in the mode asked for.
 */
bool env_wants_json(int argc, char **argv, const char *allowed);

/* The option letter of long option NAME (LEN bytes), 0 if there is none. */
int env_long_opt(const char *name, size_t len);

#endif
