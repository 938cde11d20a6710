// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * startup: how long a tracer takes from exec to attached, and its peak RSS.
 *
 * Runs CMD N times. "Attached" is the first stderr line starting with the
 * cue (pinscope prints "Tracing ..." once its programs are attached); the
 * tracer then gets SIGINT, prints its report to /dev/null and is reaped
 * with wait4, whose ru_maxrss is the peak RSS of the whole run, report
 * included. One JSON object with every sample.
 *
 * usage: startup [-n N] [-c CPU] [-m CUE] [-t SEC] [-w MS] -- CMD ARGS...
 *   -w MS  wait MS after the cue before SIGINT (bpftrace 0.17 can lose a
 *          SIGINT that arrives right after it announced its probes)
 * Exit: 0 every run attached and exited 0, 1 otherwise, 2 usage.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "bench.h"

#define MAX_RUNS 32
#define STOP_GRACE_S 10

struct run {
	uint64_t attach_ns;	/* 0: never attached */
	long maxrss_kib;
	int status;
};

/* Reads stderr lines until one starts with cue; returns when, or 0. */
static uint64_t wait_cue(int fd, const char *cue, uint64_t deadline)
{
	char line[1024];
	size_t len = 0;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = bench_now_ns();
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (deadline - now) / 1000000 + 1) <= 0)
			return 0;
		n = read(fd, line + len, 1);
		if (n <= 0)
			return 0;	/* exited without attaching */
		if (line[len] == '\n' || len == sizeof(line) - 2) {
			line[len] = 0;
			if (!strncmp(line, cue, strlen(cue)))
				return bench_now_ns();
			len = 0;
			continue;
		}
		len++;
	}
}

static int run_once(char **cmd, const char *cue, double timeout_s, int settle_ms,
		    struct run *r)
{
	struct rusage ru;
	char drain[4096];
	uint64_t t0;
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(pipefd[1]);
	r->attach_ns = wait_cue(pipefd[0], cue, t0 + (uint64_t)(timeout_s * 1e9));
	if (r->attach_ns)
		r->attach_ns -= t0;
	if (r->attach_ns && settle_ms)
		usleep(settle_ms * 1000);
	/*
	 * Keep reading stderr (the tracer must never block on it) until it
	 * exits. SIGINT again every second (bpftrace 0.17 sometimes ignores
	 * the first), SIGKILL after STOP_GRACE_S.
	 */
	uint64_t grace = bench_now_ns() + STOP_GRACE_S * 1000000000ULL, next_int = 0;

	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		pid_t done = wait4(pid, &r->status, WNOHANG, &ru);
		uint64_t now = bench_now_ns();

		if (done == pid)
			break;
		if (done < 0) {
			close(pipefd[0]);
			return -1;
		}
		if (now > grace) {
			kill(pid, SIGKILL);
			grace = next_int = UINT64_MAX;
		} else if (now >= next_int) {
			kill(pid, SIGINT);
			next_int = now + 1000000000ULL;
		}
		if (poll(&pfd, 1, 20) > 0 && read(pipefd[0], drain, sizeof(drain)) <= 0)
			usleep(20000);	/* stderr closed, process not yet gone */
	}
	close(pipefd[0]);
	r->maxrss_kib = ru.ru_maxrss;
	return 0;
}

int main(int argc, char **argv)
{
	struct run runs[MAX_RUNS] = {};
	const char *cue = "Tracing";
	double timeout_s = 10;
	int opt, n = 5, cpu = -1, settle_ms = 0, status = 0;

	while ((opt = getopt(argc, argv, "+n:c:m:t:w:")) != -1) {
		switch (opt) {
		case 'n': n = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		case 'm': cue = optarg; break;
		case 't': timeout_s = atof(optarg); break;
		case 'w': settle_ms = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind >= argc || n < 1 || n > MAX_RUNS || timeout_s <= 0 || settle_ms < 0)
		goto usage;
	bench_pin_cpu(cpu);
	for (int i = 0; i < n; i++) {
		if (run_once(argv + optind, cue, timeout_s, settle_ms, &runs[i])) {
			fprintf(stderr, "startup: %s: %s\n", argv[optind], strerror(errno));
			return 1;
		}
		if (!runs[i].attach_ns || !WIFEXITED(runs[i].status) ||
		    WEXITSTATUS(runs[i].status))
			status = 1;
	}
	printf("{\"cmd\":\"");
	for (int i = optind; i < argc; i++)
		printf("%s%s", i > optind ? " " : "", argv[i]);
	printf("\",\"attach_ns\":[");
	for (int i = 0; i < n; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)runs[i].attach_ns);
	printf("],\"maxrss_kib\":[");
	for (int i = 0; i < n; i++)
		printf("%s%ld", i ? "," : "", runs[i].maxrss_kib);
	printf("],\"exit_status\":[");
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", WIFEXITED(runs[i].status) ?
		       WEXITSTATUS(runs[i].status) : 128 + WTERMSIG(runs[i].status));
	printf("]}\n");
	return status;
usage:
	fprintf(stderr, "usage: startup [-n 1..%d] [-c CPU] [-m CUE] [-t SEC] [-w MS] -- CMD ARGS...\n",
		MAX_RUNS);
	return 2;
}
