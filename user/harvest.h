/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A session's memory beyond the BPF maps. A look (tracer_look) finds the
 * rings that exist; a ring the look did not see is gone: its
 * numbers move here and its entries leave every BPF table, as do those of
 * processes that exited, so no table fills however long the session runs.
 * What is kept here is bounded too: past HARVEST_KEEP_RINGS gone rings, a
 * process's further gone rings are summed into one entry per process, and
 * past HARVEST_KEEP_PROCS processes into one entry for all the others.
 */
#ifndef PS_HARVEST_H
#define PS_HARVEST_H

#include <stdint.h>
#include "fdinfo.h"
#include "report.h"
#include "tracer.h"

#define HARVEST_KEEP_RINGS	512
#define HARVEST_KEEP_PROCS	1024
/* A look every second, sooner when the ring table is an eighth full. */
#define HARVEST_PERIOD_NS	1000000000ULL
#define HARVEST_RECENT		4
/* Gone rings one run reads whole (the memory a harvest needs for them). */
#define HARVEST_BATCH		4096


struct harvest {
	uint32_t gen;			/* the last look */
	uint64_t look_start_ns[2];	/* bpf_ktime of the last two looks: [gen & 1] */
	uint64_t last_ns;
	struct ring_report *gone;	/* one by one, then folded per process */
	size_t nr_gone, cap_gone;
	size_t nr_gone_single;
	struct proc_report *exited;	/* processes' per-process stats after exit */
	size_t nr_exited, cap_exited;
	uint64_t rings_harvested, procs_harvested;
	bool looks;			/* the iterators work here */
	/*
	 * The ids harvested by the last HARVEST_RECENT runs, sorted: a per-CPU
	 * cache may still move a harvested ring's counts (already read) into
	 * a table afterwards, and those entries go too.
	 */
	uint32_t *recent[HARVEST_RECENT];
	size_t nr_recent[HARVEST_RECENT];
	unsigned int runs;
	bool more;			/* the last run left gone rings for the next */
	/* told the ids of each run's gone rings (ascending), if set */
	void (*on_gone)(void *cookie, const uint32_t *ids, size_t nr);
	void *gone_cookie;
	/* without looks: the rings /proc/PID/fdinfo listed at the last run */
	struct fdinfo_ring *found;
	size_t nr_found, cap_found;
};

void harvest_init(struct harvest *h, struct tracer *t);
/* A look, then the harvest of what is gone. 0 or a negative errno. */
int harvest_run(struct harvest *h, struct tracer *t);
/* Whether a look is due: the period passed, or the ring table fills. */
bool harvest_due(const struct harvest *h, struct tracer *t);
/* Whether rings pile up (an eighth of the table, or a batch left over). */
bool harvest_pressed(const struct harvest *h, struct tracer *t);
/*
 * After collect_report: marks the rings the last look did not see as gone,
 * and appends copies of the harvested rings and processes to r.
 */
void harvest_into(const struct harvest *h, struct report *r);
void harvest_free(struct harvest *h);

#endif
