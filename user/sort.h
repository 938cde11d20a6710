/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PS_SORT_H
#define PS_SORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * qsort for lists that may be empty: an empty list is a NULL array, and
 * qsort's base must not be NULL even for zero elements (C11 7.22.5; glibc
 * declares it nonnull, and UBSan says so).
 */
#define SORT(arr, n, cmp) do { if ((n) > 1) qsort((arr), (n), sizeof(*(arr)), (cmp)); } while (0)

static inline int ps_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Whether id is in the ascending array ids[n] (NULL when n is 0). */
static inline bool ps_u32_in(const uint32_t *ids, size_t n, uint32_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), ps_cmp_u32);
}

#endif /* PS_SORT_H */
