/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Hooks on kernel functions: inside io_uring (registration functions,
 * pinning, memlock charges, the per-IO buffer lookup) and the system calls
 * pinscope watches, which otherwise need syscall tracepoints. Which function
 * each one needs and which flavour (fentry/fexit or kprobe/kretprobe) can
 * reach it on this kernel.
 */
#ifndef PS_INTERNALS_H
#define PS_INTERNALS_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel_info.h"

struct pinscope_bpf;
struct bpf_program;

enum flavour { FLAVOUR_FENTRY, FLAVOUR_KPROBE, FLAVOUR_NONE };

struct internal_hook {
	const char *measure;	/* what it measures: "pin", "import", … */
	const char *func;	/* the kernel function */
	bool in_btf;		/* fentry needs a BTF FUNC */
	bool in_kallsyms;	/* a kprobe needs a symbol */
	bool applies;		/* the variant this kernel's signature needs */
	bool chosen;		/* enabled by internals_choose */
};

const char *flavour_name(enum flavour f);
/* Fills presence facts for every hook (kallsyms only if asked: it costs). */
size_t internals_probe(const struct kernel_info *ki, struct internal_hook **table,
		       bool want_kallsyms);
/*
 * Sets autoload and knobs of every internals program for one flavour
 * (FLAVOUR_NONE turns them all off). Returns the number of hooks enabled.
 */
int internals_choose(struct pinscope_bpf *s, const struct kernel_info *ki, enum flavour f,
		     bool registration_only);
/* What an internals program measures ("pin", "import", …), NULL for any other. */
const char *internals_measure(struct pinscope_bpf *s, const struct bpf_program *p);

#endif
