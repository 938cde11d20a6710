/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What this kernel allows and has, found by trying (never by version). */
#ifndef PS_PROBES_H
#define PS_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel_info.h"

struct probe_result {
	const char *name;
	bool yes;
	char how[160];		/* what was tried and what it answered */
};

enum backend_flavour { BK_FENTRY, BK_KPROBE, BK_TP_BTF, BK_TRACEPOINT, BK_COUNT };

/* Loads and attaches one trivial program of one flavour. */
void probe_flavour(int flavour, struct probe_result *r);
/*
 * Loads (no attach) a two-instruction fentry program on FUNC, its BTF id
 * taken from the BTF already parsed: the cheap "does lockdown allow
 * fentry" question, without a second BTF parse or a trampoline.
 */
void probe_fentry_load(const struct kernel_info *ki, const char *func,
		       struct probe_result *r);
/* Loads and attaches one trivial program per flavour. */
void probe_backends(struct probe_result res[BK_COUNT]);
/* io_uring features by io_uring_get_probe, trial calls and BTF enums. */
size_t probe_uring(const struct kernel_info *ki, struct probe_result *res, size_t max);

#endif
