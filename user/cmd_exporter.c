// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope exporter: the report as Prometheus metrics. The tracing loop is
 * stat's: every -i seconds (default 1) session_report fills one struct
 * report, ring_series decides which rings to show, render_prom writes the
 * exposition, and the HTTP thread serves that text until the next one (or
 * it lands in DIR/pinscope.prom with --textfile). Runs until SIGINT or
 * SIGTERM, then exits 0 with nothing attached.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "commands.h"
#include "errors.h"
#include "http_server.h"
#include "ranges.h"
#include "render_prom.h"
#include "ring_series.h"
#include "session.h"
#include "version.h"

#define DEFAULT_INTERVAL_S	1.0
#define DEFAULT_GRACE_S		60.0

struct exporter {
	const struct env *env;
	struct http_server *http;
	struct ranges *ranges;
	struct ring_series *series;
	struct report reports[2];	/* the newest and the one before */
	int cur;
	int err;			/* first write error of the textfile */
	double collect_s;		/* the previous collection's duration */
	double collected_at;		/* when it ended (session time) */
};

static int feed_ranges(void *cookie, const void *data, size_t size)
{
	struct exporter *x = cookie;

	ranges_on_event(x->ranges, data, size);
	return 0;
}

static bool in_view(uint32_t ring, void *cookie)
{
	return prom_view_ring(cookie, ring) != NULL;
}

/* DIR/pinscope.prom, replaced whole: write a temporary file, then rename. */
static int write_textfile(const char *dir, const char *text, size_t len)
{
	char tmp[4096], path[4096];
	int fd, e = 0;

	if (snprintf(path, sizeof(path), "%s/pinscope.prom", dir) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.pinscope.prom.%d", dir, getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < len && !e; ) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno != EINTR)
			e = -errno;
		else if (n > 0)
			off += n;
	}
	if (!e && fsync(fd))
		e = -errno;
	if (close(fd) && !e)
		e = -errno;
	if (!e && rename(tmp, path))
		e = -errno;
	if (e)
		unlink(tmp);
	return e;
}

static int textfile_dir_check(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return access(dir, W_OK | X_OK);
}

/* One collection: report, rings to show, exposition, publication. */
static int export_now(struct session *s, struct exporter *x)
{
	struct report *r = &x->reports[!x->cur];
	struct prom_view v = {
		.r = r,
		.version = ps_version(),	/* build_info: as --version says */
		.bpf_stats = x->env->bpf_stats,
		.collect_s = x->collect_s,
	};
	double start = session_elapsed(s);
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	int e;

	if (session_report(s, r))
		ps_note("some counters could not be read");
	e = ring_series_update(x->series, r, session_elapsed(s));
	/* the older report is no longer referenced */
	report_free(&x->reports[x->cur]);
	x->cur = !x->cur;
	if (e)
		return e;
	v.nr_rings = ring_series_view(x->series, &v.rings);
	/* a pair is shown with its ring: once the ring's series ends, so does it */
	ranges_keep_pairs(x->ranges, in_view, &v);
	v.nr_twice = ranges_violations(x->ranges, &v.twice);
	mem = open_memstream(&text, &len);
	if (!mem)
		return -ENOMEM;
	render_prom(mem, &v);
	if (fclose(mem)) {
		free(text);
		return -ENOMEM;
	}
	x->collect_s = session_elapsed(s) - start;
	e = x->http ? http_server_publish(x->http, text, len) : 0;
	if (!e && x->env->textfile)
		e = write_textfile(x->env->textfile, text, len);
	free(text);
	return e;
}

static void tick(struct session *s, void *cookie)
{
	struct exporter *x = cookie;
	int e;

	/*
	 * Collections are spaced by at least what the last one took: with
	 * tens of thousands of rings one takes seconds, and the session's
	 * harvest of gone rings runs between ticks, so it must keep half the
	 * time or the ring table fills.
	 */
	if (session_elapsed(s) - x->collected_at < x->collect_s)
		return;
	e = export_now(s, x);
	x->collected_at = session_elapsed(s);

	/* a full disk or a removed directory is worth one line, not an exit */
	if (e && e != x->err)
		ps_note("%s%s: %s", e == -ENOMEM ? "collecting" : "--textfile ",
			e == -ENOMEM ? "" : x->env->textfile, strerror(-e));
	x->err = e;
}

int cmd_exporter(struct env *env)
{
	struct tracer_opts o = {
		.filter_pids = env->nr_pids || env->cmd,
		.events = true,		/* failed registrations, ring lifetimes */
		.buffers = true,	/* per-slot records for memory pinned twice */
		.backend = env->backend,
		.registration_only = env->registration_only,
		.bpf_stats = env->bpf_stats,
	};
	struct exporter x = { .env = env };
	const char *listen = env->listen;
	struct session s;
	char why[256];
	int err, e;

	if (!env->interval_s)
		env->interval_s = DEFAULT_INTERVAL_S;
	if (!listen && !env->textfile)
		listen = PS_EXPORTER_LISTEN;
	x.ranges = ranges_new();
	x.series = ring_series_new(env->grace_s >= 0 ? env->grace_s : DEFAULT_GRACE_S);
	if (!x.ranges || !x.series) {
		ps_error("out of memory");
		err = PS_EXIT_FAIL;
		goto out;
	}
	/* The port and the directory first: they must fail before anything loads. */
	if (env->textfile && textfile_dir_check(env->textfile)) {
		ps_error("--textfile %s: %s", env->textfile, strerror(errno));
		err = PS_EXIT_FAIL;
		goto out;
	}
	if (listen && http_server_start(listen, &x.http, why, sizeof(why))) {
		ps_error("%s", why);
		err = PS_EXIT_FAIL;
		goto out;
	}
	err = session_start(&s, env, &o, feed_ranges, &x);
	if (!err && (e = export_now(&s, &x))) {
		if (e == -ENOMEM || !env->textfile)
			ps_error("collecting: %s", strerror(-e));
		else
			ps_error("--textfile %s: %s", env->textfile, strerror(-e));
		err = PS_EXIT_FAIL;
	}
	if (!err) {
		if (listen)
			fprintf(stderr, "Serving http://%s/metrics\n", http_server_address(x.http));
		err = session_wait(&s, tick, &x);
	}
	session_end(&s);
out:
	http_server_stop(x.http);
	report_free(&x.reports[0]);
	report_free(&x.reports[1]);
	ring_series_free(x.series);
	ranges_free(x.ranges);
	return err;
}
