// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Option parsing (user/env.c): the input is a subcommand's option set (first
 * byte) and its argument vector (the rest, words split at NUL bytes). Each
 * word gets its own allocation, so reading past one is an ASan report.
 * Checked: env_parse returns 0 or PS_EXIT_FAIL, and what it accepted holds
 * together (a command after '--' only, -p and a command not both, pids and
 * numbers in their documented ranges).
 */
#include <math.h>
#include "env.h"
#include "errors.h"
#include "fuzz.h"

#define MAX_WORDS 64

static const struct {
	const char *name;
	const char *opts;
} sets[] = {
	{ "features", ENV_OPTS_INFO },
	{ "stat", ENV_OPTS_STAT },
	{ "trace", ENV_OPTS_ALL },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void check_result(const struct env *env, int err, bool help, int argc, char **argv)
{
	FUZZ_CHECK(err == 0 || err == PS_EXIT_FAIL);
	if (err || help)
		return;
	if (env->cmd) {
		FUZZ_CHECK(env->cmd_argc > 0 && env->cmd_argc < argc);
		FUZZ_CHECK(env->cmd + env->cmd_argc == argv + argc);
		FUZZ_CHECK(!strcmp(env->cmd[-1], "--"));
		FUZZ_CHECK(!env->nr_pids);
	} else {
		FUZZ_CHECK(env->cmd_argc == 0);
	}
	for (int i = 0; i < env->nr_pids; i++)
		FUZZ_CHECK(env->pids[i] > 0);
	FUZZ_CHECK(env->top >= 0 && env->top <= 1 << 16);
	FUZZ_CHECK(env->interval_s == 0 || (isfinite(env->interval_s) && env->interval_s > 0));
	FUZZ_CHECK(env->duration_s == 0 || (isfinite(env->duration_s) && env->duration_s > 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned set = fuzz_byte(&in) % (sizeof(sets) / sizeof(sets[0]));
	char *argv[MAX_WORDS + 2];
	struct env env = {};
	int argc = 1, err;
	bool help;

	argv[0] = strdup(sets[set].name);
	while (in.size && argc <= MAX_WORDS) {
		const uint8_t *nul = memchr(in.data, '\0', in.size);
		size_t len = nul ? (size_t)(nul - in.data) : in.size;

		argv[argc] = malloc(len + 1);
		fuzz_take(&in, argv[argc], len);
		argv[argc++][len] = '\0';
		if (nul)
			fuzz_byte(&in);	/* the separator */
	}
	argv[argc] = NULL;
	err = env_parse(&env, argc, argv, sets[set].opts, &help);
	check_result(&env, err, help, argc, argv);
	env_free(&env);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
