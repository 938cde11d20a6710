// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * floor: loads bpf/floor.bpf.c, says "Tracing" on stderr once attached (the
 * same cue pinscope gives), waits for SIGINT or SIGTERM, then prints one
 * JSON object: the submits counted and, with -s, the BPF run-time
 * statistics of the program (enabled only while this runs).
 *
 * usage: floor [-s] [-c CPU]
 * Exit: 0 ran, 2 could not load or attach.
 */
#include <signal.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "bench.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static unsigned long long sum_submits(struct floor_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long total = 0;
	__u64 *vals;
	__u32 key = 0;

	if (ncpu <= 0 || !(vals = calloc(ncpu, sizeof(*vals))))
		return 0;
	if (!bpf_map_lookup_elem(bpf_map__fd(skel->maps.submits), &key, vals))
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
	bool stats = false;

	while ((opt = getopt(argc, argv, "sc:")) != -1) {
		switch (opt) {
		case 's': stats = true; break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: floor [-s] [-c CPU]\n");
			return 2;
		}
	}
	bench_pin_cpu(cpu);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = floor_bpf__open_and_load();
	if (!skel || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach: %s\n", strerror(errno));
		goto out;
	}
	if (stats && (stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME)) < 0) {
		fprintf(stderr, "floor: BPF_ENABLE_STATS: %s\n", strerror(errno));
		goto out;
	}
	fprintf(stderr, "Tracing io_uring_submit_req (floor)... Hit Ctrl-C to end.\n");
	while (!stop)
		pause();
	bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.floor_submit), &info, &info_len);
	printf("{\"submits\":%llu,\"bpf_stats\":", sum_submits(skel));
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
