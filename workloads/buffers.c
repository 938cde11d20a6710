// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "buffers.h"

#define MAX_MAPPINGS 64
#define NR_HUGEPAGES_PATH "/proc/sys/vm/nr_hugepages"

struct mapping {
	uintptr_t addr;
	size_t len;
	bool huge;
};

static struct mapping mappings[MAX_MAPPINGS];

static void remember(void *addr, size_t len, bool huge)
{
	for (int i = 0; i < MAX_MAPPINGS; i++) {
		if (mappings[i].addr)
			continue;
		mappings[i].addr = (uintptr_t)addr;
		mappings[i].len = len;
		mappings[i].huge = huge;
		return;
	}
}

void buf_forget(void *addr)
{
	for (int i = 0; i < MAX_MAPPINGS; i++)
		if (mappings[i].addr == (uintptr_t)addr)
			mappings[i].addr = 0;
}

bool buf_is_huge(uintptr_t addr)
{
	for (int i = 0; i < MAX_MAPPINGS; i++) {
		const struct mapping *m = &mappings[i];

		if (m->addr && addr >= m->addr && addr < m->addr + m->len)
			return m->huge;
	}
	return false;
}

static void *map_region(struct wctx *c, size_t len, int extra_flags,
			bool touch)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
	bool huge = extra_flags & MAP_HUGETLB;

	if (p == MAP_FAILED) {
		case_fail(c, "mmap %zu bytes%s: %s", len,
			  huge ? " MAP_HUGETLB" : "", strerror(errno));
		return NULL;
	}
	if (!huge && madvise(p, len, MADV_NOHUGEPAGE)) {
		case_fail(c, "madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		munmap(p, len);
		return NULL;
	}
	remember(p, len, huge);
	if (!cleanup_munmap(c, p, len)) {
		case_fail(c, "too many resources in one case");
		return NULL;
	}
	/* Fault every page in now: registration should pin, not fault. */
	if (touch)
		memset(p, 0, len);
	return p;
}

void *buf_map(struct wctx *c, size_t len)
{
	return map_region(c, len, 0, true);
}

bool buf_map_iovs(struct wctx *c, struct iovec *iov, int n, size_t len)
{
	for (int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ buf_map(c, len), len };
		if (!iov[i].iov_base)
			return false;
	}
	return true;
}

void *buf_map_untouched(struct wctx *c, size_t len)
{
	return map_region(c, len, MAP_NORESERVE, false);
}

void *buf_map_huge(struct wctx *c, size_t len)
{
	return map_region(c, len, MAP_HUGETLB, true);
}

void buf_fill(void *addr, size_t len, unsigned int seed)
{
	unsigned char *p = addr;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 12));
}

bool buf_check(const void *addr, size_t len, unsigned int seed)
{
	const unsigned char *p = addr;

	for (size_t i = 0; i < len; i++)
		if (p[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 12)))
			return false;
	return true;
}

static long huge_get_nr(void)
{
	FILE *f = fopen(NR_HUGEPAGES_PATH, "r");
	long nr = -1;

	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &nr) != 1)
		nr = -EIO;
	fclose(f);
	return nr;
}

struct huge_pool {
	long free, rsvd, surp;
};

static bool huge_pool_read(struct huge_pool *pool)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	int found = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		found += sscanf(line, "HugePages_Free: %ld", &pool->free);
		found += sscanf(line, "HugePages_Rsvd: %ld", &pool->rsvd);
		found += sscanf(line, "HugePages_Surp: %ld", &pool->surp);
	}
	fclose(f);
	return found == 3;
}

static long huge_available(void)
{
	struct huge_pool pool;

	if (!huge_pool_read(&pool))
		return 0;
	return pool.free > pool.rsvd ? pool.free - pool.rsvd : 0;
}

int huge_set_nr(long nr)
{
	FILE *f = fopen(NR_HUGEPAGES_PATH, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", nr) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

void huge_restore(long nr)
{
	struct huge_pool pool;

	huge_set_nr(nr);
	/*
	 * A ring frees its pinned pages from a kernel worker after close, so
	 * pages still pinned stay as surplus for a moment. Wait (up to 2 s)
	 * until they are gone, so the next case finds the pool as it was.
	 */
	for (int i = 0; i < 200; i++) {
		if (!huge_pool_read(&pool) || pool.surp <= 0)
			return;
		usleep(10000);
	}
}

enum case_result huge_reserve(struct wctx *c, long nr)
{
	long before = huge_get_nr(), raise, avail;
	int err;

	if (before < 0)
		return case_skip(c, "cannot read %s: %s", NR_HUGEPAGES_PATH,
				 strerror((int)-before));
	/* Free pages someone else reserved are theirs, not ours. */
	avail = huge_available();
	raise = nr > avail ? nr - avail : 0;
	if (!raise)
		return CASE_OK;
	err = huge_set_nr(before + raise);
	if (err)
		return case_skip(c, "cannot reserve %ld 2 MiB huge pages: write %s: %s",
				 nr, NR_HUGEPAGES_PATH, strerror(-err));
	/* Restore even when the kernel only granted part of the request. */
	if (!cleanup_hugepages(c, before))
		return case_fail(c, "too many resources in one case");
	avail = huge_available();
	if (avail < nr)
		return case_skip(c, "cannot reserve %ld 2 MiB huge pages: nr_hugepages %ld -> %ld gave %ld free",
				 nr, before, huge_get_nr(), avail);
	return CASE_OK;
}
