/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The `check` verdict over one report: zero repeated pinning, or the
 * violations that break it, or why the check could not be made.
 */
#ifndef PS_VERDICT_H
#define PS_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ranges.h"
#include "report.h"

struct per_io_violation {
	uint32_t ring, pid, opcode;
	int32_t fd;
	uint64_t ios, pages;
};

struct clone_violation {
	uint32_t ring, pid;
	uint64_t buffers, unshared;	/* cloned buffers, and those not shared */
	int64_t pinned_pages, charged_pages;	/* -1: no hook measured it */
	uint64_t acct_pages;		/* imu->acct_pages of the cloned slots */
};

struct ring_memory {
	uint32_t ring, pid, pages;
	bool huge;
	int64_t pinned_at_setup;	/* -1: no hook measured it */
};

#define MAX_PROBLEMS 4

struct verdict {
	int exit_status;		/* PS_EXIT_OK, PS_EXIT_VIOLATION or PS_EXIT_FAIL */
	char problems[MAX_PROBLEMS][256];	/* why the check could not be made */
	int nr_problems;
	char notes[MAX_PROBLEMS][256];	/* limits worth knowing, not failures */
	int nr_notes;
	bool clone_supported;		/* this kernel has IORING_REGISTER_CLONE_BUFFERS */
	struct per_io_violation *per_io;
	size_t nr_per_io;
	const struct pinned_twice *twice;
	size_t nr_twice;
	struct pinned_twice_more twice_more;	/* past the RANGES_KEEP_PAIRS listed */
	struct clone_violation *clones;
	size_t nr_clones;
	struct ring_memory *ring_mem;
	size_t nr_ring_mem;
};

/* no_pinning_signal: why per-IO pinning cannot be seen, or NULL when it can */
void verdict_evaluate(struct verdict *v, const struct report *r, const struct ranges *rg,
		      bool clone_supported, const char *no_pinning_signal);
void verdict_free(struct verdict *v);

#endif
