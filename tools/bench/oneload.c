// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * oneload: the iops load as one long run, cut into short windows that a
 * controller labels through a FIFO, so tracers can be compared inside one
 * process and minutes apart become seconds apart.
 *
 * Why: on our shared virtual machine, the untraced load's CPU time per IO
 * moves by tens of ns from one process to the next (buffers and ring land
 * on other physical pages) and drifts over seconds within one, while what
 * other tenants add comes in bursts that hit some windows and not others.
 * One process removes the first; labelled windows next to each other
 * remove most of the second; the report's low quantile of windows drops
 * the bursts (see report-overhead.c).
 *
 * Commands, one per line on the FIFO, read at window boundaries:
 *   begin LABEL   windows from the next boundary on belong to LABEL
 *   end           close the segment; windows are dropped until the next begin
 *   quit          print the result and exit
 * The controller starts a tracer, waits until it is attached, then sends
 * begin; sends end and gives the load a window or two to read it before
 * it stops the tracer.
 *
 * usage: oneload -f FILE -C FIFO [-W MS] [-s MAX_SEC] [-w SEC] [-q DEPTH] [-c CPU] [-R]
 * Prints one JSON object: per segment its label, IOs, seconds, CPU seconds
 * and each window's CPU ns per IO.
 * Exit: 0 ran until quit, 1 an IO failed or MAX_SEC passed first, 2 usage
 * or setup error.
 */
#include <getopt.h>
#include "load.h"

#define MAX_SEGMENTS	1024
#define LABEL_LEN	32

struct segment {
	char label[LABEL_LEN];
	uint64_t ios;
	double seconds, cpu_s;
	size_t first, nr;	/* windows[first .. first + nr) */
};

struct windows {
	struct segment seg[MAX_SEGMENTS];
	size_t nr_seg;
	double *cpu_ns_per_io;	/* every kept window, segment after segment */
	size_t nr, cap;
	struct segment *open;	/* NULL between end and begin */
};

/* Process CPU time in ns: the load is single-threaded. */
static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Applies one command line; returns 1 on quit, -1 on a bad command. */
static int command(struct windows *w, const char *line)
{
	if (!strcmp(line, "quit"))
		return 1;
	if (!strcmp(line, "end")) {
		w->open = NULL;
		return 0;
	}
	if (!strncmp(line, "begin ", 6) && line[6] && strlen(line + 6) < LABEL_LEN &&
	    w->nr_seg < MAX_SEGMENTS) {
		w->open = &w->seg[w->nr_seg++];
		strcpy(w->open->label, line + 6);
		w->open->first = w->nr;
		return 0;
	}
	fprintf(stderr, "oneload: bad command '%s'\n", line);
	return -1;
}

/* Reads what the controller wrote since the last boundary; 1 on quit. */
static int read_commands(int fd, struct windows *w, char *buf, size_t *len, size_t size)
{
	ssize_t n = read(fd, buf + *len, size - 1 - *len);
	char *line, *nl;
	int rc = 0;

	if (n <= 0)
		return 0;	/* nothing new (EAGAIN) or no writer yet */
	*len += n;
	buf[*len] = 0;
	for (line = buf; !rc && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = 0;
		rc = command(w, line);
	}
	*len -= line - buf;
	memmove(buf, line, *len);
	if (*len == size - 1) {
		fprintf(stderr, "oneload: command too long\n");
		return -1;
	}
	return rc;
}

static void print_result(const struct windows *w, const struct load *l, unsigned int window_ms,
			 bool rt)
{
	printf("{\"pid\":%d,\"ring_fd\":%d,\"depth\":%u,\"bs\":%d,\"window_ms\":%u,"
	       "\"sched\":\"%s\",\"segments\":[", getpid(), l->ring.ring_fd, l->depth, BS,
	       window_ms, rt ? "fifo" : "other");
	for (size_t i = 0; i < w->nr_seg; i++) {
		const struct segment *s = &w->seg[i];

		printf("%s{\"cond\":\"%s\",\"ios\":%llu,\"seconds\":%.6f,\"cpu_s\":%.6f,"
		       "\"cpu_ns_per_io\":[", i ? "," : "", s->label, (unsigned long long)s->ios,
		       s->seconds, s->cpu_s);
		for (size_t k = 0; k < s->nr; k++)
			printf("%s%.1f", k ? "," : "", w->cpu_ns_per_io[s->first + k]);
		printf("]}");
	}
	printf("]}\n");
}

int main(int argc, char **argv)
{
	struct load l = { .depth = 32, .fixed = true, .rng = 0x9e3779b97f4a7c15ULL };
	static struct windows w;
	double max_seconds = 600, warmup = 0.2;
	unsigned int window_ms = 20;
	const char *path = NULL, *fifo = NULL;
	uint64_t t0, c0, deadline, next;
	char cmd[256];
	size_t cmd_len = 0;
	int opt, cpu = -1, fd, rc = 1;
	bool rt = false;

	while ((opt = getopt(argc, argv, "f:C:W:s:w:q:c:R")) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 'C': fifo = optarg; break;
		case 'W': window_ms = atoi(optarg); break;
		case 's': max_seconds = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'q': l.depth = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'R': rt = true; break;
		default: return 2;
		}
	}
	if (!path || !fifo || !window_ms || max_seconds <= 0 || warmup < 0 || !l.depth ||
	    l.depth > MAX_DEPTH) {
		fprintf(stderr, "usage: oneload -f FILE -C FIFO [-W MS] [-s MAX_SEC] [-w SEC] "
			"[-q 1..%d] [-c CPU] [-R]\n", MAX_DEPTH);
		return 2;
	}
	/* no writer needed to open, and reads never block the load */
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "oneload: %s: %s\n", fifo, strerror(errno));
		return 2;
	}
	w.cap = (size_t)(max_seconds * 1000 / window_ms) + 2;
	w.cpu_ns_per_io = calloc(w.cap, sizeof(*w.cpu_ns_per_io));
	if (!w.cpu_ns_per_io || load_place("oneload", cpu, rt) || load_setup(&l, path, false)) {
		free(w.cpu_ns_per_io);
		close(fd);
		return 2;
	}

	deadline = bench_now_ns() + (uint64_t)(warmup * 1e9);
	while (bench_now_ns() < deadline)
		if (load_batch(&l))
			goto out;
	t0 = bench_now_ns();
	c0 = cpu_now_ns();
	deadline = t0 + (uint64_t)(max_seconds * 1e9);
	next = t0 + window_ms * 1000000ULL;
	for (uint64_t wios = 0;;) {
		uint64_t now, c;
		int q;

		if (load_batch(&l))
			goto out;
		wios += l.depth;
		if ((now = bench_now_ns()) < next)
			continue;
		c = cpu_now_ns();
		if (w.open && w.nr < w.cap) {
			w.cpu_ns_per_io[w.nr++] = (double)(c - c0) / wios;
			w.open->nr++;
			w.open->ios += wios;
			w.open->seconds += (now - t0) / 1e9;
			w.open->cpu_s += (c - c0) / 1e9;
		}
		wios = 0;
		t0 = now;
		c0 = c;
		next = now + window_ms * 1000000ULL;
		if ((q = read_commands(fd, &w, cmd, &cmd_len, sizeof(cmd))) < 0)
			goto out;
		if (q) {
			rc = 0;
			break;
		}
		if (now >= deadline) {
			fprintf(stderr, "oneload: no quit within %.0f s\n", max_seconds);
			goto out;
		}
	}
	print_result(&w, &l, window_ms, rt);
out:
	load_close(&l);
	free(w.cpu_ns_per_io);
	close(fd);
	return rc;
}
