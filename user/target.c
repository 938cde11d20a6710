// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
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
		/* pinscope's own dispositions are not the command's */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
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

static bool wait_exit(struct target *t, int timeout_ms)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (target_poll_exit(t))
			return true;
		nanosleep(&tick, NULL);
	}
	return target_poll_exit(t);
}

bool target_stop(struct target *t, int sig, int grace_ms)
{
	if (!t->pid || target_poll_exit(t))
		return true;
	kill(t->pid, sig);
	if (wait_exit(t, grace_ms))
		return true;
	kill(t->pid, SIGKILL);
	return wait_exit(t, grace_ms);
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

/* "Tgid:" from /proc/ID/status: the process a thread id belongs to. */
static pid_t tgid_of(pid_t id)
{
	char path[64], line[256];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", id);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid > 0 ? tgid : -ESRCH;
}

/* Field 22 of /proc/PID/stat (after the comm, which may hold ')'), and the state. */
static int read_stat(pid_t pid, unsigned long long *start_time, char *state)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", state, start_time) != 2)
		return -ESRCH;
	return 0;
}

int target_pid_open(struct pid_target *t, pid_t asked)
{
	char path[64], state;
	pid_t tgid = tgid_of(asked);
	ssize_t n;
	int fd;

	memset(t, 0, sizeof(*t));
	t->pidfd = -1;
	t->asked = asked;
	if (tgid < 0)
		return tgid == -ENOENT ? -ESRCH : tgid;
	t->pid = tgid;
	if (read_stat(tgid, &t->start_time, &state))
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/comm", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, t->comm, sizeof(t->comm) - 1);
		t->comm[n > 0 ? n : 0] = '\0';
		t->comm[strcspn(t->comm, "\n")] = '\0';
		close(fd);
	}
	/* pidfd_open (5.3+): poll() says when the process exits, pid reuse or not */
	t->pidfd = syscall(SYS_pidfd_open, tgid, 0);
	if (t->pidfd < 0 && errno != ENOSYS)
		return errno == ESRCH ? -ESRCH : -errno;
	t->exited = state == 'Z' || state == 'X';
	return 0;
}

bool target_pid_poll_exit(struct pid_target *t)
{
	unsigned long long start;
	char state;

	if (t->exited)
		return true;
	if (t->pidfd >= 0) {
		struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };

		t->exited = poll(&pfd, 1, 0) > 0;
	} else {
		t->exited = read_stat(t->pid, &start, &state) || start != t->start_time ||
			    state == 'Z' || state == 'X';
	}
	return t->exited;
}

void target_pid_close(struct pid_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}
