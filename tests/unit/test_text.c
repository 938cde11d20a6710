// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include "env.h"
#include "fmt.h"
#include "names.h"
#include "report.h"
#include "unit.h"

void test_fmt(void)
{
	char b[32];

	ASSERT_STREQ(fmt_bytes(512, b, sizeof(b)), "512 B", "bytes");
	ASSERT_STREQ(fmt_bytes(65536, b, sizeof(b)), "64 KiB", "KiB");
	ASSERT_STREQ(fmt_bytes(3 << 19, b, sizeof(b)), "1.5 MiB", "fractional MiB");
	ASSERT_STREQ(fmt_ns(850, b, sizeof(b)), "850ns", "ns");
	ASSERT_STREQ(fmt_ns(51200, b, sizeof(b)), "51.2us", "us");
	ASSERT_STREQ(fmt_ns(1300000, b, sizeof(b)), "1.30ms", "ms");
}

void test_names(void)
{
	char b[32];

	ASSERT_STREQ(reg_opcode_name(PS_REG_CLONE_BUFFERS), "REGISTER_CLONE_BUFFERS", "clone");
	ASSERT_STREQ(reg_opcode_name(PS_REG_BUFFERS2), "REGISTER_BUFFERS2", "buffers2");
	ASSERT_TRUE(reg_opcode_name(7) == NULL, "file opcodes are not followed");
	ASSERT_STREQ(reg_opcode_label(7, b, sizeof(b)), "REGISTER_OP_7", "label of opcode 7");
	ASSERT_STREQ(reg_opcode_label(PS_REG_BUFFERS, b, sizeof(b)), "REGISTER_BUFFERS", "label");
	ASSERT_STREQ(sqe_opcode_name(PS_OP_READ_FIXED, b, sizeof(b)), "READ_FIXED", "op 4");
	ASSERT_STREQ(sqe_opcode_name(PS_OP_SEND_ZC, b, sizeof(b)), "SEND_ZC", "op 47");
	ASSERT_STREQ(sqe_opcode_name(PS_OP_WRITEV_FIXED, b, sizeof(b)), "WRITEV_FIXED", "op 61");
	ASSERT_STREQ(sqe_opcode_name(200, b, sizeof(b)), "OP_200", "unknown op");
	ASSERT_STREQ(errno_name(ENOMEM, b, sizeof(b)), "ENOMEM", "ENOMEM");
	ASSERT_STREQ(errno_name(EOPNOTSUPP, b, sizeof(b)), "EOPNOTSUPP", "EOPNOTSUPP");
	ASSERT_EQ(errno_of(-EFAULT), EFAULT, "errno of -14");
	ASSERT_EQ(errno_of(5), 0, "no errno in a success");
	ASSERT_EQ(errno_of(INT64_MIN), INT_MAX, "INT64_MIN has no errno, and no UB");
	ASSERT_STREQ(setup_flag_names((1U << 1) | (1U << 14), b, sizeof(b)), "SQPOLL|NO_MMAP",
		     "setup flags");
	ASSERT_EQ(reg_kind_of(PS_REG_BUFFERS2), REG_REGISTER, "BUFFERS2 is a registration");
	ASSERT_EQ(reg_kind_of(PS_REG_BUFFERS_UPDATE), REG_UPDATE, "update");
}

static int parse(const char *line, struct env *env)
{
	char buf[256], *argv[16];
	int argc = 0;
	bool help;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < 15; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	env_free(env);
	memset(env, 0, sizeof(*env));
	/* argv points into buf: only report parse status and simple fields */
	return unit_quiet_parse(env, argc, argv, ENV_OPTS_ALL, &help);
}

void test_env_parse(void)
{
	struct env env;

	memset(&env, 0, sizeof(env));
	ASSERT_EQ(parse("stat -j -p 42 -d 1.5", &env), 0, "valid options");
	ASSERT_EQ(env.nr_pids, 1, "-p: one pid");
	ASSERT_EQ(env.pids[0], 42, "-p");
	ASSERT_TRUE(env.json, "-j");
	ASSERT_TRUE(env.duration_s == 1.5, "-d 1.5");
	ASSERT_EQ(parse("stat --", &env), 2, "-- without a command");
	ASSERT_EQ(parse("stat -p abc", &env), 2, "-p not a number");
	ASSERT_EQ(parse("stat -p 0", &env), 2, "-p 0");
	ASSERT_EQ(parse("stat -i 0", &env), 2, "-i 0");
	ASSERT_EQ(parse("stat -x", &env), 2, "unknown option");
	ASSERT_EQ(parse("stat -o", &env), 2, "missing argument");
	ASSERT_EQ(parse("stat extra", &env), 2, "a command without --");
	ASSERT_EQ(parse("stat -p 1 -- ls", &env), 2, "-p with a command");
	ASSERT_EQ(parse("stat -v -- ls -l", &env), 0, "command after --");
	ASSERT_EQ(env.cmd_argc, 2, "command arguments");
	/*
	 * getopt keeps its place inside a bundle ("-xj" stops at x) across
	 * calls; a parse must not resume there in the next argv.
	 */
	ASSERT_EQ(parse("stat -xj", &env), 2, "unknown option in a bundle");
	ASSERT_EQ(parse("stat --pid=42", &env), 0, "the next parse starts afresh");
	ASSERT_EQ(env.nr_pids == 1 ? env.pids[0] : 0, 42, "--pid=42 after a rejected bundle");
	ASSERT_TRUE(!env.json, "no -j left over from the rejected bundle");
	env_free(&env);
}
