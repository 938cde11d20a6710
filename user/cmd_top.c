// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope top: rings ranked live, like biotop. The report is stat's,
 * collected every -i seconds (default 1); rates are the difference between
 * two reports. Keys (when stdin is a terminal): b, i, p sort by registered
 * bytes, fixed-buffer IOPS, per-IO pinning; s cycles; q quits (exit 0).
 * When stdout is not a terminal each refresh is printed as plain text.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "commands.h"
#include "errors.h"
#include "render_top.h"
#include "session.h"
#include "sort.h"

#define DEFAULT_REFRESH_S	1.0
#define KEY_POLL_S		0.1	/* how often keys are read */

/* A ring's counters at the previous refresh, for rates. */
struct top_prev {
	uint32_t id;
	uint64_t ops, bytes, pinned_ios;
};

struct top {
	const struct env *env;
	double refresh_s, last_s;
	bool tty_out, tty_in, have_report;
	enum top_sort sort;
	struct report r;
	struct top_row *rows;
	size_t nr_rows;
	struct top_prev *prev;
	size_t nr_prev;
	struct termios saved;
};

static int by_prev_id(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct top_prev *p = elem;

	return (id > p->id) - (id < p->id);
}

static int prev_cmp(const void *a, const void *b)
{
	const struct top_prev *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void ring_totals(const struct ring_report *ring, struct top_prev *t)
{
	t->id = ring->info.id;
	t->ops = t->bytes = 0;
	for (size_t o = 0; o < ring->nr_io_ops; o++) {
		t->ops += ring->io_ops[o].ops;
		t->bytes += ring->io_ops[o].bytes;
	}
	t->pinned_ios = ring->pinned.ios;
}

/* Rows from a new report; rates against the previous one. */
static int make_rows(struct top *t, double dt)
{
	struct top_prev *now = calloc(t->r.nr_rings ? t->r.nr_rings : 1, sizeof(*now));
	struct top_row *rows = calloc(t->r.nr_rings ? t->r.nr_rings : 1, sizeof(*rows));
	size_t n = 0;

	if (!now || !rows) {
		free(now);
		free(rows);
		t->nr_rows = 0;	/* the rows pointed into the old report */
		return -ENOMEM;
	}
	for (size_t i = 0; i < t->r.nr_rings; i++) {
		const struct ring_report *ring = &t->r.rings[i];
		const struct top_prev *before;
		struct top_row *row;

		ring_totals(ring, &now[i]);
		if (ring->gone || ring->folded)
			continue;
		row = &rows[n++];
		row->ring = ring;
		top_registered(ring, &row->bufs, &row->bytes);
		row->pinned_ios = now[i].pinned_ios;
		/* the first screen has no prev (NULL), which bsearch must not get */
		before = t->nr_prev ? bsearch(&ring->info.id, t->prev, t->nr_prev, sizeof(*t->prev),
					      by_prev_id) : NULL;
		if (before && dt > 0) {
			row->iops = (now[i].ops - before->ops) / dt;
			row->bps = (now[i].bytes - before->bytes) / dt;
			row->pin_iops = (now[i].pinned_ios - before->pinned_ios) / dt;
		}
	}
	/* the report lists gone rings after the live ones: sort for bsearch */
	SORT(now, t->r.nr_rings, prev_cmp);
	free(t->prev);
	free(t->rows);
	t->prev = now;
	t->nr_prev = t->r.nr_rings;
	t->rows = rows;
	t->nr_rows = n;
	return 0;
}

static void draw(struct top *t)
{
	struct top_view v = {
		.r = &t->r, .rows = t->rows, .nr_rows = t->nr_rows,
		.refresh_s = t->refresh_s, .sort = t->sort,
	};
	char clock[16];
	time_t now = time(NULL);
	struct tm tm;
	struct winsize ws;

	strftime(clock, sizeof(clock), "%H:%M:%S", localtime_r(&now, &tm));
	v.clock = clock;
	top_rank(t->rows, t->nr_rows, t->sort);
	if (t->tty_out) {
		/* the header and the column titles take 5 lines, the cursor one */
		if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 7)
			v.max_rows = ws.ws_row - 7;
		fputs("\033[H\033[2J", stdout);
	}
	render_top(stdout, &v);
	if (!t->tty_out)
		fputc('\n', stdout);
	fflush(stdout);
}

/* Keys typed since the last look; true when the screen must be redrawn. */
static bool read_keys(struct top *t)
{
	static const char sort_keys[TOP_SORTS] = { 'b', 'i', 'p' };
	bool redraw = false;
	char c;

	while (t->tty_in && read(STDIN_FILENO, &c, 1) == 1) {
		if (c == 'q' || c == 'Q') {
			raise(SIGINT);	/* the session's own way to end: exit 0 */
			return false;
		}
		if (c == 's') {
			t->sort = (t->sort + 1) % TOP_SORTS;
			redraw = true;
		}
		for (int k = 0; k < TOP_SORTS; k++)
			if (c == sort_keys[k]) {
				t->sort = k;
				redraw = true;
			}
	}
	return redraw;
}

static void tick(struct session *s, void *cookie)
{
	struct top *t = cookie;
	double now = session_elapsed(s);
	bool redraw = read_keys(t);

	if (!t->have_report || now - t->last_s >= t->refresh_s - KEY_POLL_S / 2) {
		if (session_report(s, &t->r))
			ps_note("some counters could not be read");
		if (make_rows(t, t->have_report ? now - t->last_s : 0)) {
			ps_note("out of memory");
			return;
		}
		t->have_report = true;
		t->last_s = now;
		redraw = true;
	}
	if (redraw)
		draw(t);
}

static void terminal_setup(struct top *t)
{
	struct termios raw;

	t->tty_out = isatty(STDOUT_FILENO);
	t->tty_in = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t->saved);
	if (t->tty_in) {
		raw = t->saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (t->tty_out)
		fputs("\033[?1049h\033[?25l", stdout);	/* alternate screen, no cursor */
}

static void terminal_restore(struct top *t)
{
	if (t->tty_out) {
		fputs("\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
	if (t->tty_in)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
}

int cmd_top(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->nr_pids || env->cmd,
		.backend = env->backend,
		.registration_only = env->registration_only,
	};
	struct top t = { .env = env, .sort = TOP_BY_BYTES };
	/* the session ticks often so keys answer at once; refreshes follow -i */
	struct env keys = *env;
	struct session s;
	int err;

	t.refresh_s = env->interval_s ? env->interval_s : DEFAULT_REFRESH_S;
	keys.interval_s = KEY_POLL_S;
	err = session_start(&s, &keys, &o, NULL, NULL);
	if (!err) {
		terminal_setup(&t);
		tick(&s, &t);
		err = session_wait(&s, tick, &t);
		terminal_restore(&t);
	}
	session_end(&s);
	report_free(&t.r);
	free(t.rows);
	free(t.prev);
	return err;
}
