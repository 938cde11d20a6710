// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "mapdump.h"

void dump_free(struct dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

/* Key by key: kernels without batch lookups. */
static int dump_slowly(int fd, size_t ksz, size_t vsz, struct dump *d, __u32 cap)
{
	char *key = malloc(ksz);
	int e;

	if (!key)
		return -ENOMEM;
	for (e = bpf_map_get_next_key(fd, NULL, key); !e; e = bpf_map_get_next_key(fd, key, key)) {
		if (d->n == cap) {
			char *k = realloc(d->keys, (size_t)(cap *= 2) * ksz);
			char *v = k ? realloc(d->vals, (size_t)cap * vsz) : NULL;

			if (k)
				d->keys = k;
			if (!v) {
				free(key);
				return -ENOMEM;
			}
			d->vals = v;
		}
		if (bpf_map_lookup_elem(fd, key, d->vals + (size_t)d->n * vsz))
			continue;	/* deleted meanwhile */
		memcpy(d->keys + (size_t)d->n++ * ksz, key, ksz);
	}
	free(key);
	return 0;
}

int map_dump(int fd, size_t ksz, size_t vsz, struct dump *d)
{
	__u32 cap = 1024, token = 0, count;
	bool first = true;
	int e = 0;

	memset(d, 0, sizeof(*d));
	d->keys = malloc((size_t)cap * ksz);
	d->vals = malloc((size_t)cap * vsz);
	while (d->keys && d->vals) {
		if (cap - d->n < 256) {
			char *k = realloc(d->keys, (size_t)(cap *= 2) * ksz);
			char *v = k ? realloc(d->vals, (size_t)cap * vsz) : NULL;

			if (k)
				d->keys = k;
			if (!v)
				break;
			d->vals = v;
		}
		count = cap - d->n;
		e = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					 d->keys + (size_t)d->n * ksz,
					 d->vals + (size_t)d->n * vsz, &count, NULL) ? -errno : 0;
		first = false;
		if (e == -ENOENT || !e) {
			d->n += count;
			if (e)
				return 0;
			continue;
		}
		if (e == -ENOSPC)	/* a bucket larger than the room left */
			continue;
		/* no batch operations here: start again, key by key */
		d->n = 0;
		return dump_slowly(fd, ksz, vsz, d, cap);
	}
	dump_free(d);
	return -ENOMEM;
}


void dump_delete(int fd, const char *keys, size_t ksz, __u32 n)
{
	__u32 count = n;

	if (!n || !bpf_map_delete_batch(fd, keys, &count, NULL))
		return;
	/* no batch delete here, or a key went meanwhile: one by one */
	for (__u32 i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + (size_t)i * ksz);
}
