// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "harvest.h"
#include "pinscope.skel.h"

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void harvest_init(struct harvest *h, struct tracer *t)
{
	memset(h, 0, sizeof(*h));
	h->looks = tracer_has_looks(t);
}

bool harvest_due(const struct harvest *h, struct tracer *t)
{
	const struct pinscope_bpf *s = tracer_skel(t);
	uint64_t now = now_ns();

	if (now - h->last_ns >= HARVEST_PERIOD_NS)
		return true;
	/* a burst of new rings: look sooner (but not more than every 20 ms) */
	return now - h->last_ns >= 20000000ULL &&
	       s->bss->next_ring_id - h->rings_harvested > HARVEST_PRESSURE;
}

/* ---- which ring ids leave the BPF tables -------------------------------- */

struct id_sets {
	const struct ring_report *alive;	/* the rings read, sorted by id */
	size_t nr_alive;
	uint32_t *gone;				/* sorted */
	size_t nr_gone;
	uint32_t id_limit;	/* ids above were handed out after the read */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int cmp_ring_id(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct ring_report *r = elem;

	return (id > r->info.id) - (id < r->info.id);
}

/*
 * A table entry of ring id goes when the ring is gone, or when the ring had
 * been harvested already (a per-CPU cache moved counts there afterwards;
 * they were read with the ring).
 */
static bool id_leaves(const struct id_sets *s, uint32_t id)
{
	if (!id)
		return false;
	if (bsearch(&id, s->gone, s->nr_gone, sizeof(*s->gone), cmp_u32))
		return true;
	return id <= s->id_limit &&
	       !bsearch(&id, s->alive, s->nr_alive, sizeof(*s->alive), cmp_ring_id);
}

/* The ring id an entry belongs to, from its key or its value. */
typedef uint32_t (*entry_ring_fn)(const void *key, const void *val);

static uint32_t ring_in_key(const void *key, const void *val)
{
	return *(const uint32_t *)key;	/* every per-ring key starts with the ring */
}

static uint32_t ring_in_val(const void *key, const void *val)
{
	return *(const uint32_t *)val;	/* ring_ids and imu_owners */
}

static uint32_t ring_in_imu_key(const void *key, const void *val)
{
	return *(const uint32_t *)((const char *)key + sizeof(uint64_t));	/* {imu, ring} */
}

/* Keys are gathered first: a hash map's iteration restarts after a delete. */
static void prune_map(const struct bpf_map *map, entry_ring_fn ring_of,
		      const struct id_sets *s)
{
	int fd = bpf_map__fd(map);
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	size_t n = 0, cap = 0;
	char *keys = NULL, *key = malloc(ksz), *val;
	bool percpu = bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_HASH;
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 1)
		ncpu = 1;
	val = malloc(percpu ? ((vsz + 7) & ~7UL) * ncpu : vsz);
	if (!key || !val || fd < 0)
		goto out;
	for (int e = bpf_map_get_next_key(fd, NULL, key); !e;
	     e = bpf_map_get_next_key(fd, key, key)) {
		if (ring_of == ring_in_val && bpf_map_lookup_elem(fd, key, val))
			continue;
		if (!id_leaves(s, ring_of(key, val)))
			continue;
		if (n == cap) {
			char *p = realloc(keys, (cap = cap ? 2 * cap : 256) * ksz);

			if (!p)
				break;
			keys = p;
		}
		memcpy(keys + n++ * ksz, key, ksz);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, keys + i * ksz);
out:
	free(keys);
	free(key);
	free(val);
}

static void prune_tables(struct tracer *t, const struct id_sets *s)
{
	struct pinscope_bpf *b = tracer_skel(t);

	prune_map(b->maps.rings, ring_in_key, s);
	prune_map(b->maps.reg_stats, ring_in_key, s);
	prune_map(b->maps.reg_errors, ring_in_key, s);
	prune_map(b->maps.io_stats, ring_in_key, s);
	prune_map(b->maps.pin_stats, ring_in_key, s);
	prune_map(b->maps.imports, ring_in_key, s);
	prune_map(b->maps.ring_ids, ring_in_val, s);
	prune_map(b->maps.imu_slots, ring_in_imu_key, s);
	prune_map(b->maps.imu_owners, ring_in_val, s);
}

/* ---- what is kept ------------------------------------------------------- */

/* The entry summing process pid's further gone rings. */
static struct ring_report *folded_of(struct harvest *h, const struct ps_ring *info)
{
	for (size_t i = h->nr_gone; i-- > h->nr_gone_single;)
		if (h->gone[i].info.pid == info->pid)
			return &h->gone[i];
	if (h->nr_gone - h->nr_gone_single >= HARVEST_KEEP_PROCS) {
		/* the last entry stands for every process past the limit */
		struct ring_report *all = &h->gone[h->nr_gone - 1];

		all->info.pid = 0;
		memcpy(all->info.comm, "(others)", 9);
		return all;
	}
	struct ring_report *p = realloc(h->gone, (h->nr_gone + 1) * sizeof(*p));

	if (!p)
		return NULL;
	h->gone = p;
	p = &h->gone[h->nr_gone++];
	memset(p, 0, sizeof(*p));
	p->info.pid = info->pid;
	p->info.fd = -1;
	memcpy(p->info.comm, info->comm, sizeof(p->info.comm));
	p->gone = true;
	return p;
}

/* Takes ring's arrays over (ring is left empty). */
static void keep_ring(struct harvest *h, struct ring_report *ring)
{
	struct ring_report *dst;

	ring->gone = true;
	h->rings_harvested++;
	if (h->nr_gone_single < HARVEST_KEEP_RINGS && h->nr_gone == h->nr_gone_single) {
		dst = realloc(h->gone, (h->nr_gone + 1) * sizeof(*dst));
		if (dst) {
			h->gone = dst;
			h->gone[h->nr_gone++] = *ring;
			h->nr_gone_single++;
			memset(ring, 0, sizeof(*ring));
			return;
		}
	}
	dst = folded_of(h, &ring->info);
	if (dst)
		ring_report_add(dst, ring);
	ring_report_free(ring);
}

static bool pid_alive(uint32_t pid)
{
	return !(kill((pid_t)pid, 0) && errno == ESRCH);
}

static void keep_procs(struct harvest *h, struct tracer *t, const struct report *r)
{
	int fd = bpf_map__fd(tracer_skel(t)->maps.proc_stats);

	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct proc_report *p = &r->procs[i];
		struct proc_report *dst = NULL;

		if (pid_alive(p->pid))
			continue;
		if (h->nr_exited < HARVEST_KEEP_PROCS) {
			dst = realloc(h->exited, (h->nr_exited + 1) * sizeof(*dst));
			if (dst) {
				h->exited = dst;
				dst = &h->exited[h->nr_exited++];
				*dst = *p;
			}
		} else {
			/* past the limit, one entry (pid 0) sums the rest */
			dst = &h->exited[HARVEST_KEEP_PROCS - 1];
			dst->pid = 0;
			memcpy(dst->st.comm, "(others)", 9);
			proc_stats_add(&dst->st, &p->st);
		}
		h->procs_harvested++;
		__u32 key = p->pid;

		bpf_map_delete_elem(fd, &key);
	}
}

int harvest_run(struct harvest *h, struct tracer *t)
{
	struct pinscope_bpf *b = tracer_skel(t);
	struct report tmp = {};
	struct id_sets sets = {};
	uint64_t start = now_ns(), prev_start;
	uint32_t gen;
	int e;

	h->last_ns = start;
	if (h->looks) {
		e = tracer_look(t, &gen);
		if (e)
			return e;
		h->gen = gen;
		h->look_start_ns[gen & 1] = start;
	}
	sets.id_limit = b->bss->next_ring_id;	/* before the rings are read */
	e = collect_report(t, &tmp);
	if (e)
		goto out;
	keep_procs(h, t, &tmp);
	if (!h->looks || h->gen < 2)
		goto out;
	/* gone: neither this look nor the one before saw it, though it existed then */
	prev_start = h->look_start_ns[(h->gen - 1) & 1];
	sets.gone = calloc(tmp.nr_rings + 1, sizeof(*sets.gone));
	if (!sets.gone) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < tmp.nr_rings; i++) {
		struct ring_report *ring = &tmp.rings[i];

		if (ring->info.seen_gen + 1 >= h->gen || ring->info.created_ns >= prev_start)
			continue;
		sets.gone[sets.nr_gone++] = ring->info.id;
		keep_ring(h, ring);
	}
	sets.alive = tmp.rings;
	sets.nr_alive = tmp.nr_rings;
	prune_tables(t, &sets);
out:
	free(sets.gone);
	report_free(&tmp);
	return e;
}

static void append_ring(struct report *r, const struct ring_report *src)
{
	struct ring_report *p = realloc(r->rings, (r->nr_rings + 1) * sizeof(*p));

	if (!p)
		return;
	r->rings = p;
	ring_report_copy(&r->rings[r->nr_rings++], src);
}

void harvest_into(const struct harvest *h, struct report *r)
{
	uint64_t last_start = h->look_start_ns[h->gen & 1];

	for (size_t i = 0; i < r->nr_rings; i++) {
		struct ring_report *ring = &r->rings[i];

		/* the last look did not see it, though it existed then */
		if (h->looks && h->gen && ring->info.seen_gen != h->gen &&
		    ring->info.created_ns < last_start)
			ring->gone = true;
	}
	for (size_t i = 0; i < h->nr_gone; i++)
		append_ring(r, &h->gone[i]);
	if (h->nr_exited) {
		struct proc_report *p = realloc(r->procs,
						(r->nr_procs + h->nr_exited) * sizeof(*p));

		if (p) {
			memcpy(p + r->nr_procs, h->exited, h->nr_exited * sizeof(*p));
			r->procs = p;
			r->nr_procs += h->nr_exited;
		}
	}
	r->rings_source = h->looks ? "bpf_iter" : "none";
	r->procs_exited = h->procs_harvested;
	report_totals(r);
}

void harvest_free(struct harvest *h)
{
	for (size_t i = 0; i < h->nr_gone; i++)
		ring_report_free(&h->gone[i]);
	free(h->gone);
	free(h->exited);
	memset(h, 0, sizeof(*h));
}
