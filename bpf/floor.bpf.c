// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The benchmark floor: the cheapest per-IO program there can be, one empty
 * tp_btf program on io_uring_submit_req that bumps a per-CPU counter. What
 * it costs per IO is the price of a hook at all (trampoline-less tp_btf
 * dispatch plus the program call); pinscope's per-IO cost is judged against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} submits SEC(".maps");

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(floor_submit)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&submits, &key);

	if (n)
		(*n)++;
	return 0;
}
