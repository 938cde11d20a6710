/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The traced program: a command pinscope starts (held at a gate until the
 * tracer is attached, so nothing it does is missed) or a running pid.
 */
#ifndef PS_TARGET_H
#define PS_TARGET_H

#include <stdbool.h>
#include <sys/types.h>

struct target {
	pid_t pid;
	int gate_fd;		/* write end: a byte releases the child */
	int exec_err_fd;	/* read end: errno if exec failed */
	bool exited;
	int exit_status;	/* shell convention: code, or 128 + signal */
};

/* Forks argv[0] stopped at the gate. Returns 0 or -errno. */
int target_spawn(struct target *t, char **argv);
/* Lets the child exec; returns 0 or the exec's -errno. */
int target_release(struct target *t);
/* Reaps without blocking; true once the child has exited. */
bool target_poll_exit(struct target *t);
/* Passes a signal on, then waits up to timeout_ms (SIGKILL after that). */
void target_stop(struct target *t, int sig, int timeout_ms);
/* Kills a child that never got past the gate. */
void target_abort(struct target *t);

/* 0 when pid names a live process, else -ESRCH (or -EPERM). */
int target_pid_check(pid_t pid);

#endif
