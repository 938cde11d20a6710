// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "env.h"
#include "errors.h"

static const struct option long_opts[] = {
	{ "json",     no_argument,       NULL, 'j' },
	{ "verbose",  no_argument,       NULL, 'v' },
	{ "output",   required_argument, NULL, 'o' },
	{ "pid",      required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "backend",  required_argument, NULL, 'b' },
	{ "top",      required_argument, NULL, 't' },
	{ "hist",     no_argument,       NULL, 'H' },
	{ "registration-only", no_argument, NULL, 'R' },
	{ "bpf-stats", no_argument,      NULL, 'S' },
	{ "rings-from", required_argument, NULL, 'F' },
	{ "table-size", required_argument, NULL, 'T' },
	{ "listen",   required_argument, NULL, 'L' },
	{ "textfile", required_argument, NULL, 'X' },
	{ "grace",    required_argument, NULL, 'G' },
	{ "help",     no_argument,       NULL, 'h' },
	{}
};

static int parse_seconds(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 1e7) {
		ps_error("%s: expected a positive number of seconds, got '%s'", opt, s);
		return PS_EXIT_FAIL;
	}
	*out = v;
	return 0;
}

static int parse_int(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		ps_error("%s: expected a whole number from %ld to %ld, got '%s'", opt, min, max, s);
		return PS_EXIT_FAIL;
	}
	*out = v;
	return 0;
}

/* -j must be known before the first error is printed, so scan for it first. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			return true;
	return false;
}

int env_parse(struct env *env, int argc, char **argv, const char *allowed, bool *help)
{
	char optstring[64] = "+:";	/* stop at the first non-option; report missing args */
	long v;
	int c;

	strncat(optstring, allowed, sizeof(optstring) - strlen(optstring) - 1);
	env->subcommand = argv[0];
	env->top = 10;
	env->grace_s = -1;
	*help = false;
	env->json = wants_json(argc, argv);
	ps_errors_json(env->json);
	optind = 0;	/* glibc: a full restart; 1 may resume inside the last argv's bundle */
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		if (c != '?' && c != ':' && !strchr(allowed, c))
			c = '?';	/* a long option this subcommand does not take */
		switch (c) {
		case 'j': env->json = true; break;
		case 'v': env->verbose = true; break;
		case 'o': env->output = optarg; break;
		case 'b': env->backend = optarg; break;
		case 'H': env->hist = true; break;
		case 'R': env->registration_only = true; break;
		case 'S': env->bpf_stats = true; break;
		case 'F':
			if (strcmp(optarg, "auto") && strcmp(optarg, "bpf") &&
			    strcmp(optarg, "fdinfo")) {
				ps_error("--rings-from: expected auto, bpf or fdinfo, got '%s'",
					 optarg);
				return PS_EXIT_FAIL;
			}
			env->rings_from = optarg;
			break;
		case 'T':
			if (parse_int("--table-size", optarg, 64, 1 << 20, &v))
				return PS_EXIT_FAIL;
			env->table_size = v;
			break;
		case 'L': env->listen = optarg; break;
		case 'X': env->textfile = optarg; break;
		case 'G':
			if (parse_seconds("--grace", optarg, &env->grace_s))
				return PS_EXIT_FAIL;
			break;
		case 'h': *help = true; return 0;
		case 'p':
			if (parse_int("-p", optarg, 1, INT_MAX, &v))
				return PS_EXIT_FAIL;
			env->pid = v;
			break;
		case 't':
			if (parse_int("--top", optarg, 0, 1 << 16, &v))
				return PS_EXIT_FAIL;
			env->top = v;
			break;
		case 'i':
			if (parse_seconds("-i", optarg, &env->interval_s))
				return PS_EXIT_FAIL;
			break;
		case 'd':
			if (parse_seconds("-d", optarg, &env->duration_s))
				return PS_EXIT_FAIL;
			break;
		case ':':
			ps_error("%s: option '%s' needs an argument", env->subcommand, argv[optind - 1]);
			return PS_EXIT_FAIL;
		default:
			ps_error("%s: unknown option '%s' (see 'pinscope %s -h')", env->subcommand,
				 argv[optind - 1], env->subcommand);
			return PS_EXIT_FAIL;
		}
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--")) {
		env->cmd = &argv[optind];
		env->cmd_argc = argc - optind;
	} else if (optind < argc) {
		ps_error("%s: unexpected argument '%s' (a command goes after '--')",
			 env->subcommand, argv[optind]);
		return PS_EXIT_FAIL;
	} else if (optind > 1 && !strcmp(argv[optind - 1], "--")) {
		ps_error("%s: '--' must be followed by a command to run", env->subcommand);
		return PS_EXIT_FAIL;
	}
	if (env->pid && env->cmd) {
		ps_error("%s: -p and '-- CMD' exclude each other", env->subcommand);
		return PS_EXIT_FAIL;
	}
	return 0;
}

int env_long_opt(const char *name, size_t len)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o->val;
	return 0;
}
