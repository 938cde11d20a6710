// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope promises text within 80 columns. Every pinscope run of the suite
 * passes through here when it ends (proc.c): each line of its text stdout
 * and stderr is measured, and one test at the end names every line wider.
 */
#include <stdio.h>
#include <string.h>

#include "runner.h"

#define WIDTH_MAX	80

static struct strlist wide;	/* "cmdline: stdout line 3: 92 columns: …" */
static size_t runs_measured, lines_measured;

/* Columns: UTF-8 characters, not bytes (pinscope shows names as ps does). */
static size_t columns(const char *s, size_t n)
{
	size_t cols = 0;

	for (size_t i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cols;
}

static void measure(const struct proc *p, const char *stream, const struct strbuf *sb)
{
	const char *text = sb_str(sb);
	size_t line = 0;

	while (*text) {
		size_t n = strcspn(text, "\n"), cols = columns(text, n);

		line++;
		/* the traced workload's own output (its oracle) is not pinscope's */
		if (!strncmp(text, "{\"case\":", 8)) {
			text += n + (text[n] == '\n');
			continue;
		}
		lines_measured++;
		if (cols > WIDTH_MAX)
			sl_addf(&wide, "%s: %s line %zu: %zu columns: %.*s", p->cmdline, stream,
				line, cols, (int)n, text);
		text += n + (text[n] == '\n');
	}
}

void width_measure(const struct proc *p)
{
	if (!p->text_out && !p->text_err)
		return;
	runs_measured++;
	if (p->text_out)
		measure(p, "stdout", &p->out);
	if (p->text_err)
		measure(p, "stderr", &p->err);
}

void run_width_test(void)
{
	struct test t;

	/* judges what the tests that ran printed, whatever --filter chose */
	if (!test_begin(&t, "output/text_width") && (pt_interrupted || !runs_measured))
		return;
	if (!runs_measured)
		test_skip(&t, "no pinscope run printed text");
	for (size_t i = 0; i < wide.n; i++) {
		if (i == 0)
			test_fail(&t, "%zu lines wider than %d columns; the first: %s", wide.n,
				  WIDTH_MAX, wide.items[0]);
		sb_appendf(&t.log, "  %s\n", wide.items[i]);
	}
	test_note(&t, "%zu lines of %zu pinscope runs measured", lines_measured,
		  runs_measured);
	test_end(&t);
	sl_free(&wide);
}
