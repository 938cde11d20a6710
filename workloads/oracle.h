/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The oracle: what a case really did, accumulated call by call and printed
 * in the vocabulary of docs/json.md. Numbers only ever come from recorded
 * calls; nothing here knows what a case is supposed to do.
 */
#ifndef PINSCOPE_ORACLE_H
#define PINSCOPE_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#define ORACLE_MAX_RINGS	16
#define ORACLE_MAX_SOURCES	8
#define ORACLE_MAX_TWICE	512

enum reg_kind {
	REG_REGISTER,		/* REGISTER_BUFFERS, REGISTER_BUFFERS2 */
	REG_UPDATE,		/* REGISTER_BUFFERS_UPDATE */
	REG_UNREGISTER,		/* UNREGISTER_BUFFERS */
	REG_CLONE,		/* REGISTER_CLONE_BUFFERS */
	REG_NR_KINDS,
};

/* What one call covered, for the successful calls' sums. */
struct reg_delta {
	unsigned long slots, buffers, bytes, pages, bvecs, huge_buffers;
	unsigned long acct_pages, shared;
};

struct clone_source {
	int fd;
	unsigned long calls, buffers;
};

struct reg_stats {
	unsigned long calls;
	struct reg_delta sum;
	json_object *errors;	/* errno name -> failed calls */
	json_object *opcodes;	/* opcode name -> calls */
	struct clone_source sources[ORACLE_MAX_SOURCES];
	int nr_sources;
};

/* One registered buffer as the kernel's table holds it. */
struct table_slot {
	bool present;
	uintptr_t addr;
	size_t len;
	bool huge;		/* backed by hugetlb 2 MiB pages */
	unsigned long acct_pages;	/* what registering it charged */
	bool shared;		/* cloned: the source ring holds the pin */
};

struct oracle;

struct oracle_ring {
	struct oracle *owner;	/* for the process's other rings */
	int pid, fd;
	unsigned int setup_flags;
	bool used;		/* registered or did IO: print the IO objects */
	struct reg_stats reg[REG_NR_KINDS];
	json_object *fixed_io;		/* op name -> {"ops", "bytes"} */
	json_object *buf_index_ops;	/* "index" -> IOs */
	json_object *refused_io;	/* op name -> {errno name -> requests} */
	char comm[16];			/* the process's name (/proc/self/comm) */
	unsigned long pinned_ios, pinned_pages;

	/* The kernel's buffer table after the calls so far. */
	struct table_slot *table;
	unsigned int table_nr;

	/* Registered before a tracer attached: the table a look must find. */
	bool found;
	struct reg_delta registered;
};

enum oracle_status { ORACLE_RAN, ORACLE_SKIPPED, ORACLE_FAILED };

/*
 * Pages a registration on ring fd pinned that ring other_fd of the same
 * process already held pinned, summed per (fd, other_fd, opcode).
 */
struct twice_rec {
	int fd, other_fd;
	const char *opcode;	/* the registration's opcode name */
	unsigned long pages;
};

struct oracle {
	const char *case_name;
	int pid;
	char comm[16];		/* /proc/self/comm: the thread-group leader's name */
	enum oracle_status status;
	char reason[256];
	struct oracle_ring *rings[ORACLE_MAX_RINGS];
	int nr_rings;
	unsigned long direct_ios, direct_pages;
	struct twice_rec twice[ORACLE_MAX_TWICE];
	int nr_twice;
	json_object *extra;	/* case-specific top-level keys */
	json_object *replaced;	/* a whole oracle built by a child process */
};

void oracle_init(struct oracle *o, const char *case_name);
void oracle_free(struct oracle *o);

struct oracle_ring *oracle_add_ring(struct oracle *o, int fd,
				    unsigned int setup_flags);

void oracle_reg_call(struct oracle_ring *r, enum reg_kind kind,
		     const char *opcode_name, int err,
		     const struct reg_delta *d);
void oracle_clone_source(struct oracle_ring *r, int src_fd,
			 unsigned long buffers);
void oracle_fixed_io(struct oracle_ring *r, const char *op_name,
		     unsigned int buf_index, int res);
void oracle_pinned_io(struct oracle_ring *r, unsigned long pages);
/* A request the kernel failed at prep with err (positive), before issue. */
void oracle_refused_io(struct oracle_ring *r, const char *op_name, int err);
void oracle_direct_io(struct oracle *o, unsigned long pages);
void oracle_pinned_twice(struct oracle *o, int fd, int other_fd,
			 const char *opcode_name, unsigned long pages);
void oracle_set_extra(struct oracle *o, const char *key, json_object *val);


/* A new object; the caller puts it. */
json_object *oracle_to_json(const struct oracle *o);

const char *errno_name(int err);

/* 4 KiB pages spanned by [addr, addr + len). */
unsigned long span_pages(uintptr_t addr, size_t len);

#endif /* PINSCOPE_ORACLE_H */
