/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A whole BPF hash map in one go: batch reads (and deletes) where the kernel has them. */
#ifndef PS_MAPDUMP_H
#define PS_MAPDUMP_H

#include <stddef.h>
#include <linux/types.h>

struct dump {
	char *keys, *vals;	/* n keys of ksz bytes, n values of vsz bytes */
	__u32 n;
};

/* Every entry; vsz is the whole value (per-CPU maps: ncpu x 8-byte-rounded). */
int map_dump(int fd, size_t ksz, size_t vsz, struct dump *d);
void dump_free(struct dump *d);
/* Deletes n keys (packed, ksz bytes each). */
void dump_delete(int fd, const char *keys, size_t ksz, __u32 n);

#endif
