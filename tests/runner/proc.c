// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Spawning: every command runs in its own process group (so a timeout can
 * kill pinscope and the workload it started together), with stdin on
 * /dev/null and stdout/stderr captured through pipes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runner.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT			47
#define PR_CAP_AMBIENT_CLEAR_ALL	4
#endif

/* Keep at most this much of each stream; a runaway writer is not news. */
#define PROC_CAPTURE_MAX	(8 << 20)

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Runs in the child before exec. Dropping from the bounding set matters as
 * much as capset: exec as root recomputes permitted = inheritable | bounding.
 * CAP_BPF and CAP_PERFMON are unknown before 5.8; EINVAL there is fine.
 */
static int drop_tracing_caps(void)
{
	static const int caps[] = { CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF };
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	size_t i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (prctl(PR_CAPBSET_DROP, caps[i], 0, 0, 0) && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL)
		return -errno;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		unsigned int word = caps[i] / 32, bit = 1U << (caps[i] % 32);

		data[word].effective &= ~bit;
		data[word].permitted &= ~bit;
		data[word].inheritable &= ~bit;
	}
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	return 0;
}

static void child_exec(char *const argv[], const struct proc_opts *o,
		       int out_w, int err_w)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
				    SIGCHLD };
	sigset_t none;
	int null_fd, ret;

	setpgid(0, 0);
	/* If the runner dies, its tests die with it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* A shell's background job starts with SIGINT ignored; undo that. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_w, 1) < 0 ||
	    dup2(err_w, 2) < 0)
		_exit(127);
	if (o && o->close_stdout)
		close(1);
	if (o && o->rlimit_as_kib) {
		struct rlimit as = { o->rlimit_as_kib * 1024, o->rlimit_as_kib * 1024 };

		if (setrlimit(RLIMIT_AS, &as))
			_exit(126);
	}
	if (o && o->drop_caps) {
		ret = drop_tracing_caps();
		if (ret) {
			dprintf(2, "pinscope-test: dropping capabilities: %s\n",
				strerror(-ret));
			_exit(126);
		}
	}
	execv(argv[0], argv);
	dprintf(2, "pinscope-test: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int proc_start(struct proc *p, char *const argv[], const struct proc_opts *o)
{
	int out_pipe[2], err_pipe[2];
	size_t off = 0;

	memset(p, 0, sizeof(*p));
	p->out_fd = p->err_fd = -1;
	for (int i = 0; argv[i] && off < sizeof(p->cmdline); i++)
		off += snprintf(p->cmdline + off, sizeof(p->cmdline) - off,
				"%s%s", i ? " " : "", argv[i]);
	p->timeout_s = o && o->timeout_s ? o->timeout_s : env.timeout_s;
	/* pinscope's text (not -j, not -v's libbpf log) is measured at exit */
	if (!strcmp(argv[0], env.pinscope)) {
		bool json = false, verbose = false;

		for (int i = 1; argv[i] && strcmp(argv[i], "--"); i++) {
			json |= !strcmp(argv[i], "-j") || !strcmp(argv[i], "--json");
			verbose |= !strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose");
		}
		p->text_out = !json;
		p->text_err = !verbose;
	}

	if (pipe2(out_pipe, O_CLOEXEC))
		return -errno;
	if (pipe2(err_pipe, O_CLOEXEC)) {
		int err = -errno;

		close(out_pipe[0]);
		close(out_pipe[1]);
		return err;
	}
	fflush(stdout);
	fflush(stderr);
	p->pid = fork();
	if (p->pid < 0) {
		int err = -errno;

		close(out_pipe[0]); close(out_pipe[1]);
		close(err_pipe[0]); close(err_pipe[1]);
		return err;
	}
	if (p->pid == 0)
		child_exec(argv, o, out_pipe[1], err_pipe[1]);
	/* Both sides set the group so a kill right after fork finds it. */
	setpgid(p->pid, p->pid);
	close(out_pipe[1]);
	close(err_pipe[1]);
	p->out_fd = out_pipe[0];
	p->err_fd = err_pipe[0];
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	p->deadline_ms = now_ms() + p->timeout_s * 1000LL;
	return 0;
}

static void drain_fd(int *fd, struct strbuf *sb)
{
	char chunk[16384];
	ssize_t n;

	while (*fd >= 0) {
		n = read(*fd, chunk, sizeof(chunk));
		if (n > 0) {
			if (sb->len < PROC_CAPTURE_MAX)
				sb_append(sb, chunk, n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(*fd);
		*fd = -1;
	}
}

/* Reads what is there, waiting at most wait_ms for something to come. */
static void pump(struct proc *p, int wait_ms)
{
	struct pollfd pfd[2];
	int n = 0;

	if (p->out_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
	if (p->err_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
	if (n == 0) {
		if (wait_ms > 0)
			poll(NULL, 0, wait_ms);
		return;
	}
	if (poll(pfd, n, wait_ms) <= 0)
		return;
	drain_fd(&p->out_fd, &p->out);
	drain_fd(&p->err_fd, &p->err);
}

/*
 * Reap in two steps: notice the exit without reaping (the zombie leader keeps
 * the process group id reserved), kill what is left of the group, then reap.
 */
static bool check_exit(struct proc *p)
{
	siginfo_t si = {0};
	long long until;

	if (p->exited)
		return true;
	if (waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT) || !si.si_pid)
		return false;
	kill(-p->pid, SIGKILL);
	/* Whatever is still buffered in the pipes is part of the output. */
	until = now_ms() + 500;
	while ((p->out_fd >= 0 || p->err_fd >= 0) && now_ms() < until)
		pump(p, 50);
	if (p->out_fd >= 0) { close(p->out_fd); p->out_fd = -1; }
	if (p->err_fd >= 0) { close(p->err_fd); p->err_fd = -1; }
	while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
		;
	p->exited = true;
	width_measure(p);
	return true;
}

void proc_kill(struct proc *p)
{
	if (p->pid <= 0 || p->exited)
		return;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	while (!check_exit(p))
		pump(p, 20);
}

void proc_close_stdout(struct proc *p)
{
	if (p->out_fd >= 0)
		close(p->out_fd);
	p->out_fd = -1;
}

void proc_signal(struct proc *p, int sig)
{
	if (p->pid > 0 && !p->exited)
		kill(p->pid, sig);
}

/* One step of a wait loop: false when the caller must stop waiting. */
static bool step(struct proc *p, long long until)
{
	long long now = now_ms(), left;

	if (check_exit(p))
		return false;
	if (pt_interrupted) {
		proc_kill(p);
		return false;
	}
	if (now >= p->deadline_ms) {
		p->timed_out = true;
		proc_kill(p);
		return false;
	}
	if (until >= 0 && now >= until)
		return false;
	left = p->deadline_ms - now;
	if (until >= 0 && until - now < left)
		left = until - now;
	pump(p, left < 20 ? (int)left : 20);
	return true;
}

bool proc_wait(struct proc *p, int timeout_ms)
{
	long long until = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	while (step(p, until))
		;
	return p->exited;
}

bool proc_wait_line(struct proc *p, const char *prefix, int timeout_ms)
{
	long long until = now_ms() + timeout_ms;
	size_t plen = strlen(prefix);

	do {
		/* Look at complete lines only; a prefix may arrive in pieces. */
		while (p->err.buf) {
			char *line = p->err.buf + p->err_scan;
			char *nl = strchr(line, '\n');

			if (!nl)
				break;
			if ((size_t)(nl - line) >= plen && !strncmp(line, prefix, plen))
				return true;
			p->err_scan = nl + 1 - p->err.buf;
		}
	} while (step(p, until));
	return false;
}

int proc_run(struct proc *p, char *const argv[], const struct proc_opts *o)
{
	int ret = proc_start(p, argv, o);

	if (ret)
		return ret;
	proc_wait(p, -1);
	return 0;
}

int proc_exit_code(const struct proc *p)
{
	if (!p->exited || p->timed_out || !WIFEXITED(p->status))
		return -1;
	return WEXITSTATUS(p->status);
}

const char *proc_describe(const struct proc *p, char *buf, size_t len)
{
	if (p->timed_out)
		snprintf(buf, len, "timed out after %d s", p->timeout_s);
	else if (!p->exited)
		snprintf(buf, len, "still running");
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(p->status));
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(p->status));
	return buf;
}

static void log_stream(struct strbuf *log, const char *name,
		       const struct strbuf *s)
{
	const char *text = sb_str(s);

	if (!s->len)
		return;
	sb_appendf(log, "  --- %s ---\n", name);
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		sb_appendf(log, "  | %.*s\n", (int)n, text);
		text += n + (nl ? 1 : 0);
	}
}

void proc_log(const struct proc *p, struct strbuf *log)
{
	char what[64];

	sb_appendf(log, "  $ %s\n", p->cmdline);
	log_stream(log, "stdout", &p->out);
	log_stream(log, "stderr", &p->err);
	sb_appendf(log, "  (%s)\n", proc_describe(p, what, sizeof(what)));
}

void proc_free(struct proc *p)
{
	proc_kill(p);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->out_fd = p->err_fd = -1;
	sb_free(&p->out);
	sb_free(&p->err);
}

bool expect_exit(struct test *t, const struct proc *p, const char *who,
		 int code)
{
	char what[64];

	if (proc_exit_code(p) == code)
		return true;
	if (!p->exited || p->timed_out || WIFSIGNALED(p->status))
		test_fail(t, "%s: %s, expected exit %d", who,
			  proc_describe(p, what, sizeof(what)), code);
	else
		test_fail(t, "%s: exit status: actual %d, expected %d", who,
			  proc_exit_code(p), code);
	return false;
}
