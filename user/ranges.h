/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Memory pinned twice: which user address ranges each ring has registered
 * right now, fed by the slot, registration and lifetime records in the
 * order the kernel produced them, and every overlap between two rings of
 * one process (one address space). A clone's slots share the source's
 * pinned pages and never count as a second pin.
 */
#ifndef PS_RANGES_H
#define PS_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pinscope.h"

struct pinned_twice {
	uint32_t pid;
	uint32_t ring;		/* the ring whose registration pinned again */
	uint32_t other_ring;	/* the ring that already pinned the pages */
	uint32_t opcode;	/* that registration's opcode */
	uint64_t pages;		/* 4 KiB pages pinned by both */
	uint64_t start, end;	/* the overlapping span, page aligned */
	uint64_t pin_ns;	/* time the registration call(s) took */
	uint64_t calls;		/* registration calls that overlapped */
};

/*
 * Pairs are listed up to RANGES_KEEP_PAIRS; later pairs are summed, so that
 * N rings registering one memory (N^2 / 2 pairs) never fill memory.
 */
#define RANGES_KEEP_PAIRS	256

struct pinned_twice_more {
	uint64_t pages;		/* pinned again, in pairs past the list */
	uint64_t calls;		/* registration calls with such pages */
	uint64_t pin_ns;	/* their time, as pin_ns */
};

struct ranges;

struct ranges *ranges_new(void);
void ranges_free(struct ranges *r);
/* Feeds one ring-buffer record (any type; others are ignored). */
void ranges_on_event(struct ranges *r, const void *data, size_t size);
/*
 * Keeps the pairs of the rings keep says yes to: what shows only live rings
 * (the exporter) lets the others go, so a service's churn of rings never
 * fills memory. check keeps every pair for its verdict.
 */
void ranges_keep_pairs(struct ranges *r, bool (*keep)(uint32_t ring, void *cookie), void *cookie);
size_t ranges_violations(const struct ranges *r, const struct pinned_twice **out);
/* What pinned twice past the listed pairs (all 0 while they fit). */
struct pinned_twice_more ranges_more(const struct ranges *r);

#endif
