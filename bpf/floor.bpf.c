// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The benchmark floor: the cheapest per-IO program there can be, one empty
 * tp_btf program on io_uring_submit_req that bumps a per-CPU counter. What
 * it costs per IO is the price of a hook at all (trampoline-less tp_btf
 * dispatch plus the program call); pinscope's per-IO cost is judged against it.
 *
 * The registration floor (floor -r): the least a tracepoint-timed
 * io_uring_register can cost, the two hooks pinscope's tracepoint backend
 * times it with, each doing only what timing needs: find the thread's call
 * (task storage) and read the clock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

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

const volatile long nr_io_uring_register = -1;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} reg_start SEC(".maps");

/* [0] calls timed, [1] their nanoseconds */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} reg_sums SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_reg_enter, struct pt_regs *regs, long id)
{
	__u64 *start;

	if (id != nr_io_uring_register)
		return 0;
	start = bpf_task_storage_get(&reg_start, bpf_get_current_task_btf(), NULL,
				     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (start)
		*start = bpf_ktime_get_ns();
	return 0;
}

SEC("tp_btf/io_uring_register")
int BPF_PROG(floor_reg_done)
{
	__u64 *start = bpf_task_storage_get(&reg_start, bpf_get_current_task_btf(), NULL, 0);
	__u64 now = bpf_ktime_get_ns(), *v;
	__u32 key = 0;

	if (!start || !*start)
		return 0;
	v = bpf_map_lookup_elem(&reg_sums, &key);
	if (v)
		(*v)++;
	key = 1;
	v = bpf_map_lookup_elem(&reg_sums, &key);
	if (v)
		*v += now - *start;
	*start = 0;
	return 0;
}
