/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The aggregated data model: everything a renderer (text, JSON, and later
 * Prometheus, Perfetto) needs, read once from the BPF maps. Renderers take a
 * const struct report and never touch BPF.
 */
#ifndef PS_REPORT_H
#define PS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pinscope.h"
#include "doctor.h"
#include "target.h"
#include "tracer.h"

enum reg_kind { REG_REGISTER, REG_UPDATE, REG_UNREGISTER, REG_CLONE, REG_KINDS };

struct errno_count {
	int err;
	uint64_t count;
};

struct opcode_count {
	uint32_t opcode;
	uint64_t calls;
};

struct clone_source {
	uint32_t ring;		/* 0 = source not identified */
	uint64_t calls;
	uint64_t buffers;
};

struct reg_report {
	uint64_t calls, failures;
	uint64_t lat_total_ns, lat_min_ns, lat_max_ns;
	struct ps_table_sum sum;
	struct errno_count *errors;
	size_t nr_errors;
	struct opcode_count *opcodes;
	size_t nr_opcodes;
	struct clone_source *sources;
	size_t nr_sources;
	struct ps_inside inside;	/* internals hooks; see report.measures */
};

struct io_op_report {
	uint32_t opcode;
	uint64_t ops, bytes, errors;
};

struct buf_index_report {
	uint32_t index;
	uint64_t ops;
};

/* IOs that pinned user pages themselves, by opcode. */
struct pin_op_report {
	uint32_t opcode;
	uint64_t ios, pages;
};

/* Requests refused before issue (not fixed-buffer IOs), by opcode and errno. */
struct refused_report {
	uint32_t opcode;
	int err;
	uint64_t requests;
};

/* Buffer lookups by the import hook, per buffer index (all opcodes). */
struct import_report {
	uint32_t index;
	uint64_t imports, errors, offset_imports, lat_ns;
};

struct ring_report {
	struct ps_ring info;
	struct reg_report reg[REG_KINDS];
	struct io_op_report *io_ops;	/* by opcode, ascending */
	size_t nr_io_ops;
	struct buf_index_report *buf_index;	/* by ops, descending */
	size_t nr_buf_index;
	struct refused_report *refused;	/* by opcode, then errno */
	size_t nr_refused;
	struct ps_pin_stats pinned;
	struct pin_op_report *pinned_ops;	/* pinned IOs by opcode */
	size_t nr_pinned_ops;
	struct import_report *imports;	/* by index, ascending */
	size_t nr_imports;
	/*
	 * The registered-buffer table as last seen (at start-up for a ring
	 * found then, at each harvest while it lives), whoever registered it;
	 * reg[] counts only the calls made while tracing.
	 */
	struct ps_table_sum registered;
	bool registered_known;	/* false: no snapshot of the table was taken */
	bool registered_partial; /* from fdinfo: no huge pages, charges or sharing */
	bool gone;		/* the kernel freed the ring before the report */
	/*
	 * 0: one ring. Else the number of gone rings of process info.pid that
	 * this entry sums (info.id is 0): what stays of rings beyond the
	 * number a session keeps one by one.
	 */
	uint64_t folded;
};

/* Which internals measurements this run has (else JSON says null). */
struct measures {
	bool register_fn, register_buffer, pin, io_pin, charge, import;
	bool fixed_io, pinned_io;	/* per-IO tracepoints (off with --registration-only) */
};

struct proc_report {
	uint32_t pid;
	struct ps_proc_stats st;
};

struct hist_report {
	uint32_t kind, op;
	uint64_t slots[PS_HIST_SLOTS];
};

/*
 * Exact over everything the session saw, gone rings and exited processes
 * included, however the rings are listed.
 */
struct totals {
	uint64_t rings, rings_gone;
	struct reg_report reg[REG_KINDS];	/* no per-errno/opcode lists */
	uint64_t reg_errors;
	struct io_op_report *io_ops;	/* by opcode */
	size_t nr_io_ops;
	struct ps_pin_stats pinned;
};

struct report {
	char kernel[65];
	const char *backend;
	const char *refused[2];		/* why fentry / kprobe were not used */
	struct measures measures;
	const struct tracer_hook *hooks;
	size_t nr_hooks;
	bool acct_pages_known;
	double duration_s;
	bool has_command;
	char **argv;
	int pid;
	int exit_status;	/* -1 while still running */
	const char *command_ended_by;	/* "duration", "signal", "output": pinscope ended it */
	const struct pid_target *targets;	/* -p, borrowed from the session */
	size_t nr_targets;
	struct ring_report *rings;	/* by ring id */
	size_t nr_rings;
	struct proc_report *procs;
	size_t nr_procs;
	struct hist_report *hists;
	size_t nr_hists;
	uint64_t counters[PS_CNT_MAX];
	uint64_t missed_runs;		/* program runs the kernel skipped */
	const struct reg_failure *failures;	/* borrowed from the session */
	size_t nr_failures;
	uint64_t failures_more;		/* failed calls not among them */
	struct prog_stat progs[16];	/* --bpf-stats */
	size_t nr_progs;
	struct totals totals;
	const char *rings_source;	/* how existing rings are found: "bpf_iter", "fdinfo" */
	bool rings_source_tables;	/* that source gives each found ring's buffers */
	uint64_t procs_exited;		/* processes harvested after exiting */
};


enum reg_kind reg_kind_of(uint32_t opcode);
void table_sum_add(struct ps_table_sum *d, const struct ps_table_sum *s);
void inside_add(struct ps_inside *d, const struct ps_inside *s);
void reg_report_add(struct reg_report *d, const struct reg_report *s);
void ring_report_add(struct ring_report *d, const struct ring_report *s);
void ring_report_copy(struct ring_report *d, const struct ring_report *s);
void ring_report_free(struct ring_report *ring);
void proc_stats_add(struct ps_proc_stats *d, const struct ps_proc_stats *s);
/* Fills r->totals from r's rings (folded entries included). */
void report_totals(struct report *r);
const char *reg_kind_name(enum reg_kind kind);
struct ring_report *report_ring(const struct report *r, uint32_t id);
void report_sort_rings(struct report *r);
void report_free(struct report *r);

#endif
