// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errors.h"
#include "verdict.h"

#define SETUP_NO_MMAP (1U << 14)

static void *grow(void *arr, size_t n, size_t elsz)
{
	void *p = realloc(arr, (n + 1) * elsz);

	if (!p) {
		fprintf(stderr, "pinscope: out of memory\n");
		exit(PS_EXIT_FAIL);
	}
	memset((char *)p + n * elsz, 0, elsz);
	return p;
}

#define PUSH(arr, n) ((arr) = grow((arr), (n), sizeof(*(arr))), &(arr)[(n)++])

static void add_line(char (*lines)[256], int *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(lines[(*n)++], 256, fmt, ap);
	va_end(ap);
}

static void per_io(struct verdict *v, const struct ring_report *ring)
{
	for (size_t i = 0; i < ring->nr_pinned_ops; i++) {
		const struct pin_op_report *op = &ring->pinned_ops[i];
		struct per_io_violation *pv;

		if (!op->ios)
			continue;
		pv = PUSH(v->per_io, v->nr_per_io);
		*pv = (struct per_io_violation){ ring->info.id, ring->info.pid, op->opcode,
						 ring->info.fd, op->ios, op->pages };
	}
}

/* A clone must share every buffer and pin and charge nothing. */
static void clones(struct verdict *v, const struct report *r, const struct ring_report *ring)
{
	const struct reg_report *g = &ring->reg[REG_CLONE];
	bool measured = r->measures.pin || r->measures.charge;
	struct clone_violation cv = {
		.ring = ring->info.id, .pid = ring->info.pid, .buffers = g->sum.buffers,
		.unshared = g->sum.buffers - g->sum.shared, .acct_pages = g->sum.acct_pages,
		.pinned_pages = r->measures.pin ? (int64_t)g->inside.pinned_pages : -1,
		.charged_pages = r->measures.charge ? (int64_t)g->inside.charged_pages : -1,
	};

	if (g->calls == g->failures)
		return;
	if (cv.unshared || cv.acct_pages || (measured && (cv.pinned_pages > 0 || cv.charged_pages > 0)))
		*PUSH(v->clones, v->nr_clones) = cv;
}

static void ring_memory(struct verdict *v, const struct report *r, const struct ring_report *ring)
{
	struct ring_memory *m;

	if (!(ring->info.setup_flags & SETUP_NO_MMAP))
		return;
	m = PUSH(v->ring_mem, v->nr_ring_mem);
	*m = (struct ring_memory){ ring->info.id, ring->info.pid, ring->info.region_pages,
				   ring->info.region_huge != 0,
				   r->measures.pin ? (int64_t)ring->info.setup_pinned_pages : -1 };
}

void verdict_evaluate(struct verdict *v, const struct report *r, const struct ranges *rg,
		      bool clone_supported, const char *no_pinning_signal)
{
	bool found_rings = false;

	memset(v, 0, sizeof(*v));
	v->clone_supported = clone_supported;
	if (no_pinning_signal)
		add_line(v->problems, &v->nr_problems, "%s", no_pinning_signal);
	if (r->counters[PS_CNT_LOST_EVENTS])
		add_line(v->problems, &v->nr_problems, "%llu records were lost (ring buffer full): "
			 "the pinned-twice check is incomplete",
			 (unsigned long long)r->counters[PS_CNT_LOST_EVENTS]);
	if (r->missed_runs)
		add_line(v->problems, &v->nr_problems, "the kernel skipped %llu runs of pinscope's "
			 "programs (a run preempted or interrupted on its CPU): events were missed",
			 (unsigned long long)r->missed_runs);
	if (r->counters[PS_CNT_RINGS_DROPPED] || r->counters[PS_CNT_IO_KEYS_DROPPED] ||
	    r->counters[PS_CNT_PIDS_DROPPED])
		add_line(v->problems, &v->nr_problems, "tables were full: %llu rings, %llu "
			 "processes and %llu IO keys were not counted",
			 (unsigned long long)r->counters[PS_CNT_RINGS_DROPPED],
			 (unsigned long long)r->counters[PS_CNT_PIDS_DROPPED],
			 (unsigned long long)r->counters[PS_CNT_IO_KEYS_DROPPED]);
	for (size_t i = 0; i < r->nr_rings; i++) {
		const struct ring_report *ring = &r->rings[i];

		found_rings |= ring->info.origin == PS_RING_FOUND;
		per_io(v, ring);
		clones(v, r, ring);
		ring_memory(v, r, ring);
	}
	for (size_t i = 0; i < r->nr_procs; i++)
		if (r->procs[i].st.dio_ios)
			add_line(v->notes, &v->nr_notes, "pid %u did %llu O_DIRECT IOs outside "
				 "io_uring, pinning %llu pages in all: not io_uring's, not judged",
				 r->procs[i].pid, (unsigned long long)r->procs[i].st.dio_ios,
				 (unsigned long long)r->procs[i].st.dio_pages);
	/* without looks, a found ring's table is not known (with them it is judged) */
	if (found_rings && !r->rings_source_tables)
		add_line(v->notes, &v->nr_notes, "some rings were created before tracing began: "
			 "what they registered earlier is not known");
	v->nr_twice = ranges_violations(rg, &v->twice);
	v->twice_more = ranges_more(rg);
	/*
	 * Memory pinned twice rests on having seen the first ring let go: a
	 * skipped run may have been that end, so the pairs are listed unproven.
	 */
	if (v->nr_twice && r->missed_runs)
		add_line(v->problems, &v->nr_problems, "memory pinned twice (%d pairs) is not proven: "
			 "the end of the first ring's buffers may have been a skipped run",
			 v->nr_twice);
	/* a violation seen is certain even when another part could not be checked */
	if (v->nr_per_io || v->nr_clones || (v->nr_twice && !r->missed_runs))
		v->exit_status = PS_EXIT_VIOLATION;
	else if (v->nr_problems)
		v->exit_status = PS_EXIT_FAIL;
	else
		v->exit_status = PS_EXIT_OK;
}

void verdict_free(struct verdict *v)
{
	free(v->per_io);
	free(v->clones);
	free(v->ring_mem);
	memset(v, 0, sizeof(*v));
}
