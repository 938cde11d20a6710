/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The traced program: a command pinscope starts (held at a gate until the
 * tracer is attached, so nothing it does is missed) or running processes
 * (-p), watched until they exit.
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
/*
 * Passes a signal on, waits up to grace_ms, then SIGKILLs and waits as
 * long again. False when it still runs (stuck in the kernel) after all that.
 */
bool target_stop(struct target *t, int sig, int grace_ms);
/* Kills a child that never got past the gate. */
void target_abort(struct target *t);

/* A running process given with -p. pinscope never signals it. */
struct pid_target {
	pid_t pid;		/* the process: its thread-group leader */
	pid_t asked;		/* what -p named: the pid, or one of its threads */
	int pidfd;		/* readable once it has exited; -1: /proc is polled */
	unsigned long long start_time;	/* /proc stat, tells a reused pid apart */
	char comm[16];
	bool exited;
};

/* Resolves a pid or thread id to its process and watches it: 0 or -errno. */
int target_pid_open(struct pid_target *t, pid_t asked);
/* True once the process has exited (without blocking). */
bool target_pid_poll_exit(struct pid_target *t);
void target_pid_close(struct pid_target *t);

#endif
