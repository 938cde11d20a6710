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
	__u32 slot = 0;

	/* branchy binary search: the verifier accepts it without a loop */
	if (v >> 32) { slot += 32; v >>= 32; }
	if (v >> 16) { slot += 16; v >>= 16; }
	if (v >> 8)  { slot += 8;  v >>= 8; }
	if (v >> 4)  { slot += 4;  v >>= 4; }
	if (v >> 2)  { slot += 2;  v >>= 2; }
	if (v >> 1)  { slot += 1;  v >>= 1; }
	slot += (__u32)v;	/* v is now 0 or 1 */
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
