/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PS_SORT_H
#define PS_SORT_H

#include <stdlib.h>

/*
 * qsort for lists that may be empty: an empty list is a NULL array, and
 * qsort's base must not be NULL even for zero elements (C11 7.22.5; glibc
 * declares it nonnull, and UBSan says so).
 */
#define SORT(arr, n, cmp) do { if ((n) > 1) qsort((arr), (n), sizeof(*(arr)), (cmp)); } while (0)

#endif /* PS_SORT_H */
