// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
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
	{ "buffer-size", required_argument, NULL, 'B' },
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
	/* !(v > 0) also refuses nan; inf and 1e99 fail the upper bound */
	if (errno || end == s || *end || !(v > 0) || v > ENV_MAX_SECONDS) {
		ps_error("%s %s: seconds must be > 0 and <= %.0f (115 days)", opt, s,
			 ENV_MAX_SECONDS);
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

/*
 * A BPF ring buffer's size: bytes, or K, M, G (KiB, MiB, GiB); the kernel
 * takes a power of two, at least a page.
 */
static int parse_buffer_size(const char *s, unsigned long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!errno && end != s && s[0] != '-') {
		if (*end == 'K' || *end == 'k')
			v <<= 10, end++;
		else if (*end == 'M' || *end == 'm')
			v <<= 20, end++;
		else if (*end == 'G' || *end == 'g')
			v <<= 30, end++;
	}
	if (errno || end == s || *end || s[0] == '-' || v < 4096 || v > (1ULL << 30) ||
	    (v & (v - 1))) {
		ps_error("--buffer-size %s: want a power of two, 4K to 1G", s);
		return PS_EXIT_FAIL;
	}
	*out = v;
	return 0;
}

/* The long option a --name (or an unambiguous prefix of it) names. */
static const struct option *long_opt_named(const char *arg)
{
	size_t len = strcspn(arg, "=");
	const struct option *found = NULL;
	int matches = 0;

	for (const struct option *o = long_opts; o->name; o++) {
		if (strncmp(o->name, arg, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		found = o;
		matches++;
	}
	return matches == 1 ? found : NULL;
}

bool env_wants_json(int argc, char **argv, const char *allowed)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
			return false;	/* getopt stops here ("+" in optstring) */
		if (a[1] == '-') {
			const struct option *o = long_opt_named(a + 2);

			if (o && o->val == 'j')
				return true;
			if (o && o->has_arg == required_argument && !strchr(a, '='))
				i++;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			const char *spec = strchr(allowed, *c);

			if (*c == 'j')
				return true;
			if (spec && spec[1] == ':') {
				if (!c[1])
					i++;	/* the argument is the next word */
				break;
			}
		}
	}
	return false;
}

/*
 * -p takes what perf takes: a pid, or a comma list, and may be repeated.
 * Only digits: ' 1' or '+1' are typing mistakes, not pid 1.
 */
static int parse_pids(struct env *env, const char *list)
{
	const char *p = list;

	do {
		size_t len = strcspn(p, ",");
		long v = 0;
		pid_t *grown;

		for (size_t i = 0; i < len; i++) {
			if (p[i] < '0' || p[i] > '9' || v > INT_MAX / 10) {
				v = -1;
				break;
			}
			v = v * 10 + (p[i] - '0');
		}
		if (!len || v < 1 || v > INT_MAX) {
			ps_error("-p '%s': expected a pid or a comma-separated list of pids",
				 list);
			return PS_EXIT_FAIL;
		}
		grown = realloc(env->pids, (env->nr_pids + 1) * sizeof(*grown));
		if (!grown) {
			ps_error("out of memory");
			return PS_EXIT_FAIL;
		}
		env->pids = grown;
		env->pids[env->nr_pids++] = (pid_t)v;
		p += len;
	} while (*p++ == ',');
	return 0;
}

void env_free(struct env *env)
{
	free(env->pids);
	env->pids = NULL;
	env->nr_pids = 0;
}

int env_parse(struct env *env, int argc, char **argv, const char *allowed, bool *help)
{
	char optstring[64] = "+:";	/* stop at the first non-option; report missing args */
	char name[64];
	long v;
	int c;

	strncat(optstring, allowed, sizeof(optstring) - strlen(optstring) - 1);
	env->subcommand = argv[0];
	env->top = 10;
	env->grace_s = -1;
	*help = false;
	env->json = env_wants_json(argc, argv, allowed);
	ps_errors_json(env->json);
	optind = 0;	/* glibc: a full restart; 1 may resume inside the last argv's bundle */
	opterr = 0;
	optopt = 0;
	while ((c = getopt_long(argc, argv, optstring, long_opts, NULL)) != -1) {
		name[0] = '\0';
		if (c != '?' && c != ':' && !strchr(allowed, c)) {
			/* a long option this subcommand does not take */
			for (const struct option *o = long_opts; o->name; o++)
				if (o->val == c)
					snprintf(name, sizeof(name), "--%s", o->name);
			optopt = c;
			c = '?';
		}
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
		case 'B':
			if (parse_buffer_size(optarg, &env->buffer_size))
				return PS_EXIT_FAIL;
			break;
		case 'L': env->listen = optarg; break;
		case 'X': env->textfile = optarg; break;
		case 'G':
			if (parse_seconds("--grace", optarg, &env->grace_s))
				return PS_EXIT_FAIL;
			break;
		case 'h': *help = true; return 0;
		case 'p':
			if (parse_pids(env, optarg))
				return PS_EXIT_FAIL;
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
			ps_error("%s: option '%s' needs an argument", env->subcommand,
				 argv[optind - 1]);
			return PS_EXIT_FAIL;
		default:
			/* a short option may sit inside a cluster: name it alone */
			if (!name[0] && optopt)
				snprintf(name, sizeof(name), "-%c", optopt);
			else if (!name[0])
				snprintf(name, sizeof(name), "%s", argv[optind - 1]);
			if (optopt && strchr(ENV_OPTS_STAT, optopt))
				ps_error("%s: option '%s' does not apply to %s", env->subcommand,
					 name, env->subcommand);
			else
				ps_error("%s: unknown option '%s' (see 'pinscope %s -h')",
					 env->subcommand, name, env->subcommand);
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
	if (env->cmd && !strchr(allowed, 'p')) {
		ps_error("%s: runs no command (nothing goes after '--')", env->subcommand);
		return PS_EXIT_FAIL;
	}
	if (env->nr_pids && env->cmd) {
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
