/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every case sees: its context (data directory, oracle), a cleanup list
 * that releases everything the case acquired in reverse order whatever path
 * it takes, and rings whose registrations and IOs land in the oracle.
 */
#ifndef PINSCOPE_WORKLOAD_H
#define PINSCOPE_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <liburing.h>

#include "oracle.h"

#define WL_MAX_CLEANUPS 64

enum case_result { CASE_OK = 0, CASE_FAILED = 1, CASE_SKIPPED = 2 };

enum cleanup_kind {
	CL_FD,
	CL_UNLINK,
	CL_MUNMAP,
	CL_RING,
	CL_HUGEPAGES,
	CL_FREE,
};

struct cleanup {
	enum cleanup_kind kind;
	int fd;
	void *ptr;
	size_t len;
	char *path;
	long value;
};

struct wctx {
	const char *case_name;
	const char *dir;	/* data files go here */
	struct oracle *o;
	struct cleanup cleanups[WL_MAX_CLEANUPS];
	int nr_cleanups;
	int file_seq;
	bool wait_attach;	/* -w: say "ready", wait for SIGUSR1 (cases_live.c) */
};

/* A liburing ring whose register calls and IOs the oracle records. */
struct ws_ring {
	struct io_uring uring;
	struct io_uring_params params;
	int fd;
	struct oracle_ring *rec;
};

typedef enum case_result (*case_fn)(struct wctx *c);

struct wl_case {
	const char *name;
	case_fn fn;
	const char *desc;
};

/*
 * Record the failure (stderr line + oracle status) and return CASE_FAILED,
 * so a case can `return case_fail(c, ...)`.
 */
enum case_result case_fail(struct wctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum case_result case_skip(struct wctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* What a case returns after a helper skipped or failed it. */
enum case_result case_gave_up(const struct wctx *c);

/* Cleanup list; each returns false only when the list is full. */
bool cleanup_fd(struct wctx *c, int fd);
bool cleanup_unlink(struct wctx *c, const char *path);
bool cleanup_munmap(struct wctx *c, void *addr, size_t len);
bool cleanup_hugepages(struct wctx *c, long previous);
bool cleanup_free(struct wctx *c, void *ptr);
void cleanup_run(struct wctx *c);

/*
 * Create a ring that stays open until the case ends (so no fd is reused for
 * a second ring); NULL after case_fail(), or after case_skip() when the
 * kernel refuses the setup flags with EINVAL (a feature it lacks).
 */
struct ws_ring *ring_new(struct wctx *c, unsigned int entries,
			 unsigned int flags);

/* Destroy a ring now; its fd number stays taken until the case ends. */
void ring_close(struct wctx *c, struct ws_ring *r);

/*
 * The probe answer for an SQE opcode on this ring: 1 supported, 0 not,
 * negative errno when the probe call itself failed.
 */
int ring_supports_op(struct ws_ring *r, int opcode);

/* Open a new data file in the case's directory; removed when the case ends. */
int data_file_open(struct wctx *c, int flags, char *path_out, size_t path_len);
/*
 * Most cases start so: a ring of 8 entries and a data file opened O_DIRECT.
 * False when either fails (the case has failed, and says why).
 */
bool ring_and_direct_file(struct wctx *c, struct ws_ring **r, int *fd);

#endif /* PINSCOPE_WORKLOAD_H */
