/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The log2 bucket rule, shared by the BPF programs (which count) and user
 * space (which labels and tests the buckets), so both halves agree.
 * Slot 0 holds the value 0; slot k >= 1 holds [2^(k-1), 2^k - 1].
 */
#ifndef PINSCOPE_HIST_H
#define PINSCOPE_HIST_H

#include "pinscope.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

static __always_inline __u32 ps_log2_slot(__u64 v)
{
	__u32 slot;

	/*
	 * The slot is v's bit length: smear the top bit down, count the ones.
	 * No branches: a branchy binary search gave the verifier 64 states
	 * with a different constant slot each, which it could not prune (a
	 * third of each load's verification time under qemu).
	 */
	v |= v >> 1;
	v |= v >> 2;
	v |= v >> 4;
	v |= v >> 8;
	v |= v >> 16;
	v |= v >> 32;
	v -= (v >> 1) & 0x5555555555555555ULL;
	v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	slot = (v * 0x0101010101010101ULL) >> 56;
	return slot < PS_HIST_SLOTS ? slot : PS_HIST_SLOTS - 1;
}

/* Lowest and highest value that land in a slot. */
static __always_inline __u64 ps_slot_low(__u32 slot)
{
	return slot ? 1ULL << (slot - 1) : 0;
}

static __always_inline __u64 ps_slot_high(__u32 slot)
{
	return slot ? (1ULL << slot) - 1 : 0;
}

#endif /* PINSCOPE_HIST_H */
