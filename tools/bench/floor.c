// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: loads bpf/floor.bpf.c, says "Tracing" on stderr once attached (the
 * same cue pinscope gives), waits for SIGINT or SIGTERM, then prints one
 * JSON object: the submits counted and, with -s, the BPF run-time
 * statistics of the program (enabled only while this runs).
 * With -r it loads the registration floor instead (sys_enter and the
 * io_uring_register tracepoint) and prints the calls it timed and their
 * mean.
 *
 * usage: floor [-s] [-r] [-c CPU]
 * Exit: 0 ran, 2 could not load or attach.
 */
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "bench.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* A per-CPU counter's total over the CPUs. */
static unsigned long long sum_percpu(struct bpf_map *map, __u32 key)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long total = 0;
	__u64 *vals;

	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(map), &key, vals))
		for (int i = 0; i < ncpu; i++)
			total += vals[i];
	free(vals);
	return total;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	struct floor_bpf *skel;
	int opt, cpu = -1, stats_fd = -1, status = 2;
	bool stats = false, reg = false;

	while ((opt = getopt(argc, argv, "src:")) != -1) {
		switch (opt) {
		case 's': stats = true; break;
		case 'r': reg = true; break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: floor [-s] [-r] [-c CPU]\n");
			return 2;
		}
	}
	bench_pin_cpu(cpu);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = floor_bpf__open();
	if (skel) {
		bpf_program__set_autoload(skel->progs.floor_submit, !reg);
		bpf_program__set_autoload(skel->progs.floor_reg_enter, reg);
		bpf_program__set_autoload(skel->progs.floor_reg_done, reg);
		skel->rodata->nr_io_uring_register = __NR_io_uring_register;
	}
	if (!skel || floor_bpf__load(skel) || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach: %s\n", strerror(errno));
		goto out;
	}
	if (stats && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0) {
		fprintf(stderr, "floor: BPF_ENABLE_STATS: %s\n", strerror(errno));
		goto out;
	}
	fprintf(stderr, "Tracing %s (floor)... Hit Ctrl-C to end.\n",
		reg ? "io_uring_register" : "io_uring_submit_req");
	while (!stop)
		pause();
	if (reg) {
		unsigned long long calls = sum_percpu(skel->maps.reg_sums, 0);

		printf("{\"reg_calls\":%llu,\"reg_mean_ns\":%.1f}\n", calls,
		       calls ? (double)sum_percpu(skel->maps.reg_sums, 1) / calls : 0.0);
		status = 0;
		goto out;
	}
	bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.floor_submit), &info, &info_len);
	printf("{\"submits\":%llu,\"bpf_stats\":", sum_percpu(skel->maps.submits, 0));
	if (stats_fd >= 0)
		printf("[{\"name\":\"floor_submit\",\"attach\":\"tp_btf/io_uring_submit_req\","
		       "\"run_cnt\":%llu,\"run_time_ns\":%llu,\"ns_per_run\":%.1f}]}\n",
		       (unsigned long long)info.run_cnt, (unsigned long long)info.run_time_ns,
		       info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
	else
		printf("null}\n");
	status = 0;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	floor_bpf__destroy(skel);
	return status;
}
