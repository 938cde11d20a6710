// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "target.h"

int target_spawn(struct target *t, char **argv)
{
	int gate[2], errp[2];
	pid_t pid;

	memset(t, 0, sizeof(*t));
	t->gate_fd = t->exec_err_fd = -1;
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		int e = -errno;

		close(gate[0]);
		close(gate[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(gate[0]); close(gate[1]); close(errp[0]); close(errp[1]);
		return e;
	}
	if (pid == 0) {
		char go;

		close(gate[1]);
		close(errp[0]);
		/* EOF instead of a byte: the tracer failed, do not run untraced */
		if (read(gate[0], &go, 1) != 1)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		int e = errno;

		if (write(errp[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(errp[1]);
	t->pid = pid;
	t->gate_fd = gate[1];
	t->exec_err_fd = errp[0];
	return 0;
}

int target_release(struct target *t)
{
	char go = 1;
	int e = 0;
	ssize_t n;

	if (write(t->gate_fd, &go, 1) != 1)
		return -errno;
	close(t->gate_fd);
	t->gate_fd = -1;
	/* the pipe closes on a successful exec (CLOEXEC): 0 bytes = it ran */
	n = read(t->exec_err_fd, &e, sizeof(e));
	close(t->exec_err_fd);
	t->exec_err_fd = -1;
	if (n == sizeof(e)) {
		waitpid(t->pid, NULL, 0);
		t->exited = true;
		t->exit_status = 127;
		return -e;
	}
	return 0;
}

static void record_status(struct target *t, int status)
{
	t->exited = true;
	if (WIFEXITED(status))
		t->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		t->exit_status = 128 + WTERMSIG(status);
}

bool target_poll_exit(struct target *t)
{
	int status;

	if (t->exited || !t->pid)
		return t->exited;
	if (waitpid(t->pid, &status, WNOHANG) == t->pid)
		record_status(t, status);
	return t->exited;
}

void target_stop(struct target *t, int sig, int timeout_ms)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	if (!t->pid || target_poll_exit(t))
		return;
	kill(t->pid, sig);
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (target_poll_exit(t))
			return;
		nanosleep(&tick, NULL);
	}
	kill(t->pid, SIGKILL);
	int status;

	if (waitpid(t->pid, &status, 0) == t->pid)
		record_status(t, status);
}

void target_abort(struct target *t)
{
	if (t->gate_fd >= 0)
		close(t->gate_fd);
	if (t->exec_err_fd >= 0)
		close(t->exec_err_fd);
	t->gate_fd = t->exec_err_fd = -1;
	if (t->pid && !t->exited) {
		/* the child exits at the gate's EOF; reap it */
		int status;

		if (waitpid(t->pid, &status, 0) == t->pid)
			record_status(t, status);
	}
}

int target_pid_check(pid_t pid)
{
	if (kill(pid, 0) == 0)
		return 0;
	return -errno;
}
