/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel rules the oracle cannot learn by calling the kernel: how it lays
 * out a registration internally. Read once from the running kernel's BTF
 * (/sys/kernel/btf/vmlinux), never from its version. Without BTF the
 * answers are those of the newest kernels.
 */
#ifndef PINSCOPE_KTRAITS_H
#define PINSCOPE_KTRAITS_H

#include <stdbool.h>

/* A buffer spanning several pages of hugetlb folios gets one bvec per folio. */
bool kt_coalesces_folios(void);

#endif /* PINSCOPE_KTRAITS_H */
