/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Short human-readable numbers for fixed-width text columns. */
#ifndef PS_FMT_H
#define PS_FMT_H

#include <stddef.h>
#include <stdint.h>

/* "512 B", "64 KiB", "1.5 GiB" */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* "850ns", "51.2us", "1.30ms", "2.10s" */
const char *fmt_ns(uint64_t ns, char *buf, size_t len);

#endif
