/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Memory for buffers and rings. Every mapping is remembered with its backing
 * (4 KiB pages or hugetlb 2 MiB pages) so the oracle can work out pages,
 * bvecs and accounting of a buffer from its address alone.
 */
#ifndef PINSCOPE_BUFFERS_H
#define PINSCOPE_BUFFERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload.h"

#define PAGE_4K		4096UL
#define HUGE_2M		(2UL << 20)

/*
 * Anonymous private memory with THP disabled (so a buffer's page count never
 * depends on khugepaged), every page touched. NULL after case_fail().
 */
void *buf_map(struct wctx *c, size_t len);
/* n buffers of len bytes each, as buf_map(); false after case_fail(). */
bool buf_map_iovs(struct wctx *c, struct iovec *iov, int n, size_t len);
/* Same, MAP_NORESERVE and untouched: for lengths the kernel must refuse. */
void *buf_map_untouched(struct wctx *c, size_t len);
/* hugetlb 2 MiB pages, touched; reserve them first with huge_reserve(). */
void *buf_map_huge(struct wctx *c, size_t len);

/* True when addr lies in a hugetlb mapping made above. */
bool buf_is_huge(uintptr_t addr);
void buf_forget(void *addr);

/* Fill with a pattern derived from seed, or check it; see buf_fill(). */
void buf_fill(void *addr, size_t len, unsigned int seed);
bool buf_check(const void *addr, size_t len, unsigned int seed);

/*
 * Raise vm.nr_hugepages by nr pages and restore it when the case ends.
 * CASE_OK, or the case's result: skipped (the reason says why) or failed.
 */
enum case_result huge_reserve(struct wctx *c, long nr);
int huge_set_nr(long nr);
/* Set it back and wait for pages the case pinned to be released. */
void huge_restore(long nr);

#endif /* PINSCOPE_BUFFERS_H */
