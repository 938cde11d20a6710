// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Feature probe: one trivial program per attach flavour, each loaded and
 * attached on its own by `pinscope features` to learn what this kernel
 * allows (lockdown, missing CONFIG_KPROBES, …) before the real load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 hits = 0;

SEC("fentry/io_sqe_buffers_register")
int BPF_PROG(probe_fentry)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("kprobe/io_sqe_buffers_register")
int BPF_KPROBE(probe_kprobe)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tp_btf/io_uring_register")
int BPF_PROG(probe_tp_btf)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tracepoint/io_uring/io_uring_register")
int probe_tracepoint(void *ctx)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
