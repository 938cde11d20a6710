/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The BPF skeleton's lifecycle: pick programs and knobs for this kernel,
 * load, attach, hand out events, detach. libbpf-style module API.
 */
#ifndef PS_TRACER_H
#define PS_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kernel_info.h"
#include "pinscope.h"

struct tracer_opts {
	bool filter_pids;	/* trace only pids added with tracer_trace_pid */
	bool events;		/* ring-buffer records of failed calls (the doctor) */
	bool all_events;	/* ...and of every call and ring creation (trace) */
	bool io_latency;	/* submit -> complete histograms for `hist` */
	const char *backend;	/* NULL/"auto" or a backend name */
	bool registration_only;	/* leave every per-IO program unloaded */
	bool bpf_stats;		/* kernel run-time statistics while tracing */
	bool buffers;		/* per-slot and lifetime records (check) */
	bool no_looks;		/* find rings through fdinfo, not the iterators */
	unsigned int table_size; /* rings and processes held at once; 0: the default */
	unsigned long buffer_size; /* the events ring buffer in bytes; 0: the default */
};

/* What one loaded program cost, from BPF_ENABLE_STATS. */
struct prog_stat {
	const char *name;
	const char *attach;
	unsigned long long run_cnt;
	unsigned long long run_time_ns;
	unsigned long long misses;	/* runs the kernel skipped (recursion_misses) */
};

/* One attach point used for a measurement, e.g. {"fixed_io", "tp_btf/io_uring_complete"}. */
struct tracer_hook {
	const char *measure;
	const char *attach;
};

/* data starts with a __u32 type: struct ps_event or struct ps_buf_event */
typedef int (*tracer_event_fn)(void *cookie, const void *data, size_t size);

struct tracer;

/* Returns 0 or a negative errno, with a one-line reason in err. */
int tracer_new(const struct tracer_opts *opts, const struct kernel_info *ki,
	       struct tracer **out, char *err, size_t errlen);
void tracer_free(struct tracer *t);

int tracer_trace_pid(struct tracer *t, pid_t pid);
/* Whether pid's events are traced (always, without a pid filter). */
bool tracer_traces_pid(const struct tracer *t, pid_t pid);
void tracer_on_event(struct tracer *t, tracer_event_fn fn, void *cookie);
/* True when there is a ring buffer to wait on (tracer_poll then sleeps). */
bool tracer_has_events(const struct tracer *t);
/* Delivers pending events; returns events seen or a negative errno. */
int tracer_poll(struct tracer *t, int timeout_ms);

const char *tracer_backend(const struct tracer *t);
/* Why a flavour (0 fentry, 1 kprobe) was refused, or NULL. */
const char *tracer_refused(const struct tracer *t, int flavour);
/* Whether a hook for this measure ("pin", "import", …) is attached. */
bool tracer_measures(const struct tracer *t, const char *measure);
size_t tracer_hooks(const struct tracer *t, const struct tracer_hook **hooks);
bool tracer_acct_pages_known(const struct tracer *t);
/* Fills up to max entries; returns how many, 0 when stats are off. */
size_t tracer_prog_stats(const struct tracer *t, struct prog_stat *out, size_t max);
/* Runs of any attached program the kernel skipped: each may be a lost event. */
unsigned long long tracer_missed_runs(const struct tracer *t);
/* The skeleton, for collect.c: maps are read there. */
struct pinscope_bpf *tracer_skel(struct tracer *t);
/* Whether the look iterators are loaded (else rings are found via fdinfo). */
bool tracer_has_looks(const struct tracer *t);
/* How many rings the tables hold at once. */
unsigned int tracer_table_size(const struct tracer *t);
/*
 * One look at every ring that exists (of the traced processes): adopts the
 * ones not known yet, snapshots each table, stamps each ring with *gen.
 */
int tracer_look(struct tracer *t, uint32_t *gen);

#endif
