// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command line and the output's safety: -p lists, -j in every spelling,
 * limits, names shown as ps shows them, wrapping, JSON that survives an
 * allocation failure and invalid UTF-8.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "env.h"
#include "fmt.h"
#include "kernel_info.h"
#include "output.h"
#include "render.h"
#include "unit.h"

int unit_quiet_parse(struct env *env, int argc, char **argv, const char *allowed, bool *help)
{
	int saved_out = dup(1), saved_err = dup(2), null = open("/dev/null", O_WRONLY), r;

	/* text errors go to fd 2, JSON ones (-j) to fd 1 */
	dup2(null, 1);
	dup2(null, 2);
	r = env_parse(env, argc, argv, allowed, help);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	close(null);
	return r;
}

/* argv from a NULL-terminated list (arguments may hold spaces) */
static int parse_args(struct env *env, const char *allowed, char **argv)
{
	int argc = 0;
	bool help;

	while (argv[argc])
		argc++;
	env_free(env);
	memset(env, 0, sizeof(*env));
	return unit_quiet_parse(env, argc, argv, allowed, &help);
}

#define ARGS(...) ((char *[]){ __VA_ARGS__, NULL })

void test_cli_pids(void)
{
	struct env env = {};

	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-p", "7,8", "-p", "9")), 0,
		  "comma list and repeated -p");
	ASSERT_EQ(env.nr_pids, 3, "three pids");
	ASSERT_EQ(env.pids[0] + env.pids[1] * 10 + env.pids[2] * 100, 7 + 80 + 900, "in order");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-p", " 1")), 2, "-p ' 1'");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-p", "+1")), 2, "-p +1");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-p", "1,")), 2, "-p 1,");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-p", "1,,2")), 2, "-p 1,,2");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-p", "99999999999")), 2,
		  "-p beyond int");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-d", "1e99")), 2, "-d 1e99");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-d", "inf")), 2, "-d inf");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-i", "nan")), 2, "-i nan");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_ALL, ARGS("stat", "-d", "10000000")), 0,
		  "-d at the limit");
	char all_but_i[64];
	const char *i = strstr(ENV_OPTS_ALL, "i:");

	/* check takes every option but -i: the two lists must not drift apart */
	snprintf(all_but_i, sizeof(all_but_i), "%.*s%s", (int)(i - ENV_OPTS_ALL), ENV_OPTS_ALL,
		 i + 2);
	ASSERT_STREQ(ENV_OPTS_CHECK, all_but_i, "ENV_OPTS_CHECK is ENV_OPTS_ALL without -i");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_CHECK, ARGS("check", "-i", "1")), 2, "check -i");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_CHECK, ARGS("check", "--interval=1")), 2,
		  "check --interval");
	ASSERT_EQ(parse_args(&env, ENV_OPTS_INFO, ARGS("features", "--", "true")), 2,
		  "features -- CMD");
	env_free(&env);
}

void test_cli_json_spellings(void)
{
	ASSERT_TRUE(env_wants_json(3, ARGS("stat", "-jp", "abc"), ENV_OPTS_ALL), "-jp abc");
	ASSERT_TRUE(env_wants_json(3, ARGS("stat", "-vj", "-x"), ENV_OPTS_ALL), "-vj");
	ASSERT_TRUE(env_wants_json(2, ARGS("stat", "--js"), ENV_OPTS_ALL), "--js");
	ASSERT_TRUE(env_wants_json(2, ARGS("stat", "--j"), ENV_OPTS_ALL), "--j");
	ASSERT_TRUE(env_wants_json(4, ARGS("stat", "-p", "1", "--json"), ENV_OPTS_ALL),
		    "--json after an option argument");
	ASSERT_TRUE(!env_wants_json(3, ARGS("stat", "-o", "-j"), ENV_OPTS_ALL),
		    "-o -j names a file");
	ASSERT_TRUE(!env_wants_json(2, ARGS("stat", "-pj"), ENV_OPTS_ALL), "-pj: -p of 'j'");
	ASSERT_TRUE(!env_wants_json(3, ARGS("stat", "--output", "--json"), ENV_OPTS_ALL),
		    "--output --json names a file");
	ASSERT_TRUE(!env_wants_json(4, ARGS("stat", "--", "cmd", "-j"), ENV_OPTS_ALL),
		    "-j of the command");
}

void test_cli_printable(void)
{
	char b[128];

	ASSERT_STREQ(fmt_printable("fio", b, sizeof(b), 0), "fio", "plain");
	ASSERT_STREQ(fmt_printable("\x1b[2J", b, sizeof(b), 0), "\\x1b[2J", "ESC");
	ASSERT_STREQ(fmt_printable("a\nb", b, sizeof(b), 0), "a\\x0ab", "newline");
	ASSERT_STREQ(fmt_printable("\xff", b, sizeof(b), 0), "\\xff", "not UTF-8");
	ASSERT_STREQ(fmt_printable("\xc2\x9b" "1m", b, sizeof(b), 0), "\\xc2\\x9b1m", "C1 CSI");
	/* ααααααα and the first byte of the eighth, as a 15-byte comm holds it */
	ASSERT_STREQ(fmt_printable("\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce",
				   b, sizeof(b), 0),
		     "\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\xce\xb1\\xce", "cut alpha");
	ASSERT_STREQ(fmt_printable("\x1b\x1b\x1b\x1b", b, sizeof(b), 10), "\\x1b...",
		     "cut to 10 columns on a whole cell");
	ASSERT_EQ(strlen(fmt_printable("abcdefghijklmnopqrstuvwxyz", b, sizeof(b), 16)), 16,
		  "16 columns");
	ASSERT_EQ(utf8_seq_len((const unsigned char *)"\xed\xa0\x80", 3), 0, "surrogate");
	ASSERT_EQ(utf8_seq_len((const unsigned char *)"\xe0\x80\x80", 3), 0, "overlong");
	ASSERT_EQ(utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4, "emoji");
}

/* Every line fmt_wrap prints fits in FMT_COLUMNS; the words all arrive. */
void test_cli_wrap(void)
{
	const char *in = "RLIMIT_MEMLOCK is 64 KiB (16 pages); the user had 2 pages locked "
		"before the call, which asked for 18 more (2 of them only because buffers "
		"are not page aligned): 2 + 18 > 16 and a_very_long_word_that_is_longer_than_"
		"anything_else_in_this_sentence_and_the_line_itself_xxxxxxxxxxxxxxxxxxxxx end";
	char *text = NULL, squeezed_in[512] = "", squeezed_out[512] = "";
	size_t len = 0, col = 0, longest = 0, n = 0;
	FILE *f = open_memstream(&text, &len);

	fprintf(f, "  ");
	fmt_wrap(f, 2, 4, in);
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		col = text[i] == '\n' ? 0 : col + 1;
		longest = col > longest ? col : longest;
	}
	/* the same characters, only spaces and line breaks moved */
	for (const char *p = in; *p; p++)
		if (*p != ' ')
			squeezed_in[n++] = *p;
	n = 0;
	for (const char *p = text; *p; p++)
		if (*p != ' ' && *p != '\n')
			squeezed_out[n++] = *p;
	ASSERT_TRUE(longest <= FMT_COLUMNS, "every line within 80 columns");
	ASSERT_STREQ(squeezed_out, squeezed_in, "every character printed");
	ASSERT_TRUE(text[len - 1] == '\n', "ends the line");
	free(text);
	text = NULL;
	f = open_memstream(&text, &len);
	fmt_wrapf(f, 4, "  (%s not used: %s)", "fentry", "refused");
	fclose(f);
	ASSERT_STREQ(text, "  (fentry not used: refused)\n", "leading indent kept");
	free(text);
}

/* An allocation failure at any point of a report: no abort, no document. */
void test_cli_json_oom(void)
{
	struct ring_report ring = { .info = { .id = 1, .pid = 100, .fd = 3 } };
	struct report r = { .backend = "tracepoint", .rings = &ring, .nr_rings = 1 };
	long nth;

	ring.reg[REG_REGISTER].calls = 1;
	for (nth = 1; nth < 10000; nth++) {
		json_object *doc;
		bool failed;

		psj_reset();
		psj_fail_at(nth);
		doc = render_stat_json(&r);
		failed = psj_failed();
		json_object_put(doc);
		psj_fail_at(0);
		if (!failed)
			break;
	}
	psj_reset();
	ASSERT_TRUE(nth > 20 && nth < 10000, "every allocation of the report failed once");
}

/* JSON leaves as valid UTF-8: a cut or foreign byte becomes U+FFFD. */
void test_cli_json_utf8(void)
{
	char path[] = "/tmp/pinscope-unit-XXXXXX", got[128] = "";
	int fd = mkstemp(path);
	FILE *doc;
	ssize_t n;

	ASSERT_TRUE(fd >= 0, "temporary file");
	if (fd < 0)
		return;
	close(fd);
	ASSERT_EQ(output_open(path), 0, "output_open");
	doc = output_begin();
	fputs("{\"comm\": \"\xce\xb1\xce\", \"argv\": \"\xff\"}\n", doc);
	ASSERT_EQ(output_end(doc, true), 0, "output_end");
	output_close();
	fd = open(path, O_RDONLY);
	n = read(fd, got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	ASSERT_STREQ(got, "{\"comm\": \"\xce\xb1\\ufffd\", \"argv\": \"\\ufffd\"}\n",
		     "invalid bytes replaced");
}

void test_cli_btf_messages(void)
{
	struct kernel_info ki = { .btf_err = -EACCES };
	char b[256];

	ASSERT_TRUE(strstr(kbtf_why_not(&ki, b, sizeof(b)), "unreadable") != NULL,
		    "EACCES: unreadable");
	ki.btf_err = -ENOENT;
	ASSERT_TRUE(strstr(kbtf_why_not(&ki, b, sizeof(b)), "has no BTF") != NULL,
		    "ENOENT: absent");
	ki.btf_err = -ENOMEM;
	ASSERT_TRUE(strstr(kbtf_why_not(&ki, b, sizeof(b)), "out of memory") != NULL,
		    "ENOMEM: memory");
}
