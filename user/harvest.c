// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "harvest.h"
#include "mapdump.h"
#include "sort.h"
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

bool harvest_pressed(const struct harvest *h, struct tracer *t)
{
	const struct pinscope_bpf *s = tracer_skel(t);

	return h->more || s->bss->next_ring_id - h->rings_harvested > tracer_table_size(t) / 8;
}

bool harvest_due(const struct harvest *h, struct tracer *t)
{
	uint64_t now = now_ns();

	if (now - h->last_ns >= HARVEST_PERIOD_NS)
		return true;
	/* a burst of new rings: look sooner (but not more than every 10 ms) */
	return now - h->last_ns >= 10000000ULL && harvest_pressed(h, t);
}

/* ---- which ring ids leave the BPF tables -------------------------------- */

struct id_sets {
	uint32_t *const *recent;	/* sorted arrays of ids that leave */
	const size_t *nr_recent;
};

/* An entry of ring id leaves when the ring was harvested now or lately. */
static bool id_leaves(const struct id_sets *s, uint32_t id)
{
	for (int i = 0; id && i < HARVEST_RECENT; i++)
		if (ps_u32_in(s->recent[i], s->nr_recent[i], id))
			return true;
	return false;
}

/* The ring id an entry belongs to, from its key or its value. */
typedef uint32_t (*entry_ring_fn)(const void *key, const void *val);

static uint32_t ring_in_key(const void *key, const void *val)
{
	return *(const uint32_t *)key;	/* every per-ring key starts with the ring */
}

static uint32_t ring_in_val(const void *key, const void *val)
{
	return *(const uint32_t *)val;	/* imu_owners: {ring, slot} */
}

static uint32_t ring_in_imu_key(const void *key, const void *val)
{
	return *(const uint32_t *)((const char *)key + sizeof(uint64_t));	/* {imu, ring} */
}

/* One read of the whole map, one delete of what leaves. */
static void prune_map(const struct bpf_map *map, entry_ring_fn ring_of,
		      const struct id_sets *s)
{
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	int ncpu = libbpf_num_possible_cpus();
	struct dump d;
	__u32 n = 0;

	if (bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_HASH)
		vsz = ((vsz + 7) & ~7UL) * (ncpu > 0 ? ncpu : 1);
	if (map_dump(bpf_map__fd(map), ksz, vsz, &d))
		return;
	for (__u32 i = 0; i < d.n; i++) {
		const char *key = d.keys + (size_t)i * ksz;

		if (id_leaves(s, ring_of(key, d.vals + (size_t)i * vsz)))
			memmove(d.keys + (size_t)n++ * ksz, key, ksz);
	}
	dump_delete(bpf_map__fd(map), d.keys, ksz, n);
	dump_free(&d);
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
	prune_map(b->maps.refused_io, ring_in_key, s);
	prune_map(b->maps.imu_slots, ring_in_imu_key, s);
	prune_map(b->maps.imu_owners, ring_in_val, s);
}

/* ---- what is kept ------------------------------------------------------- */

/* Room for one more element of size elsz in *arr (doubling); false: no memory. */
static bool room_for_one(void *arr_ptr, size_t n, size_t *cap, size_t elsz)
{
	void **arr = arr_ptr;
	void *p;

	if (n < *cap)
		return true;
	p = realloc(*arr, (*cap ? 2 * *cap : 64) * elsz);
	if (!p)
		return false;
	*arr = p;
	*cap = *cap ? 2 * *cap : 64;
	return true;
}

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
	struct ring_report *p;

	if (!room_for_one(&h->gone, h->nr_gone, &h->cap_gone, sizeof(*p)))
		return NULL;
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
		if (room_for_one(&h->gone, h->nr_gone, &h->cap_gone, sizeof(*dst))) {
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

static bool traced_pid(pid_t pid, void *tracer)
{
	return tracer_traces_pid(tracer, pid);
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
			if (room_for_one(&h->exited, h->nr_exited, &h->cap_exited,
					 sizeof(*dst))) {
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

/*
 * Without looks: /proc again. The rings of a process no longer listed (it
 * ended, or closed them) keep what was seen last, up to HARVEST_KEEP_RINGS.
 */
static int rescan_fdinfo(struct harvest *h, struct tracer *t)
{
	struct fdinfo_ring *now = NULL;
	size_t nr = 0, cap = 0, kept = 0;
	int e = fdinfo_scan_all(traced_pid, t, &now, &nr, &cap);

	if (e) {
		free(now);
		return e;
	}
	for (size_t i = 0; i < h->nr_found; i++) {
		const struct fdinfo_ring *old = &h->found[i];
		bool listed = false;

		for (size_t j = 0; j < nr && !listed; j++)
			listed = now[j].pid == old->pid;
		if (listed || kept == HARVEST_KEEP_RINGS)
			continue;
		if (!room_for_one(&now, nr, &cap, sizeof(*now)))
			break;
		now[nr++] = *old;
		kept++;
	}
	free(h->found);
	h->found = now;
	h->nr_found = nr;
	h->cap_found = cap;
	return 0;
}

/* What harvest_run's filter needs: this look, and when it began. */
struct gone_rule {
	const struct harvest *h;
	uint64_t look_start;
	size_t taken, limit;	/* gone rings taken this run, at most limit (0: all) */
};

/*
 * Gone: it existed when the look began, and the look found neither an fd
 * nor a registered ring index for it, nor its thread still creating it.
 * Without looks, a ring is known to be gone with its process only.
 */
static bool ring_gone(const struct ps_ring *ring, void *cookie)
{
	const struct gone_rule *g = cookie;

	if (ring->created_ns >= g->look_start)
		return false;
	return g->h->looks ? ring->seen_gen != g->h->gen : !pid_alive(ring->pid);
}

/* A run reads at most HARVEST_BATCH gone rings whole: the rest wait for the next. */
static bool take_gone(const struct ps_ring *ring, void *cookie)
{
	struct gone_rule *g = cookie;

	if (g->taken == g->limit || !ring_gone(ring, cookie))
		return false;
	g->taken++;
	return true;
}

int harvest_run(struct harvest *h, struct tracer *t)
{
	struct report tmp = {};
	struct id_sets sets = { h->recent, h->nr_recent };
	struct gone_rule rule = { h, now_ns(), 0, HARVEST_BATCH };
	unsigned int slot;
	uint32_t *gone, gen;
	int e;

	h->last_ns = rule.look_start;
	h->more = false;
	if (h->looks) {
		e = tracer_look(t, &gen);
		if (e)
			return e;
		h->gen = gen;
	} else {
		e = rescan_fdinfo(h, t);
		if (e)
			return e;
		h->gen++;
	}
	/*
	 * The records of rings about to leave were written before the look
	 * ended: read them first, so what a subcommand keeps per ring (told
	 * below) goes with the ring, and a long run of harvests in a churn of
	 * rings never leaves the ring buffer unread until it overflows.
	 */
	tracer_poll(t, 0);
	h->look_start_ns[h->gen & 1] = rule.look_start;
	collect_procs_only(t, &tmp);
	keep_procs(h, t, &tmp);
	/* only the gone rings are read whole: a look that finds none costs little */
	e = collect_rings_where(t, &tmp, take_gone, &rule);
	if (e || !tmp.nr_rings)
		goto out;
	gone = calloc(tmp.nr_rings, sizeof(*gone));
	if (!gone) {
		e = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < tmp.nr_rings; i++) {
		gone[i] = tmp.rings[i].info.id;	/* ascending: tmp is sorted */
		keep_ring(h, &tmp.rings[i]);
	}
	slot = h->runs++ % HARVEST_RECENT;
	free(h->recent[slot]);
	h->recent[slot] = gone;
	h->nr_recent[slot] = tmp.nr_rings;
	prune_tables(t, &sets);
	if (h->on_gone)
		h->on_gone(h->gone_cookie, gone, tmp.nr_rings);
	/* a full batch leaves more: the next run is due at once */
	h->more = rule.taken == rule.limit;
	if (h->more)
		h->last_ns = 0;
out:
	if (getenv("PINSCOPE_DEBUG_HARVEST"))
		fprintf(stderr, "harvest: %.1f ms, %zu gone\n",
			(now_ns() - rule.look_start) / 1e6, tmp.nr_rings);
	report_free(&tmp);
	return e;
}


/* The BPF ring that fdinfo ring f is: same fd, or the process's one ring first met at an IO. */
static struct ring_report *ring_of_found(struct report *r, const struct harvest *h,
					 const struct fdinfo_ring *f)
{
	struct ring_report *unnamed = NULL;
	int nr_unnamed = 0, nr_found = 0;

	for (size_t i = 0; i < r->nr_rings; i++) {
		struct ring_report *ring = &r->rings[i];

		if (ring->info.pid != (uint32_t)f->pid || ring->folded)
			continue;
		if (ring->info.fd == f->fd)
			return ring;
		if (ring->info.fd < 0) {
			unnamed = ring;
			nr_unnamed++;
		}
	}
	for (size_t i = 0; i < h->nr_found; i++)
		nr_found += h->found[i].pid == f->pid;
	return nr_unnamed == 1 && nr_found == 1 ? unnamed : NULL;
}

/* Without looks: what fdinfo listed, on the rings BPF knows or as rings of their own. */
static void merge_found(const struct harvest *h, struct report *r)
{
	for (size_t i = 0; i < h->nr_found; i++) {
		const struct fdinfo_ring *f = &h->found[i];
		struct ring_report *ring = ring_of_found(r, h, f);

		if (!ring) {
			struct ring_report *p = realloc(r->rings, (r->nr_rings + 1) * sizeof(*p));

			if (!p)
				return;
			r->rings = p;
			ring = &r->rings[r->nr_rings++];
			memset(ring, 0, sizeof(*ring));
			/* ids BPF never hands out: above every sequence number */
			ring->info.id = 0x80000000u + (uint32_t)i;
			ring->info.origin = PS_RING_FOUND;
			ring->info.pid = (uint32_t)f->pid;
			memcpy(ring->info.comm, f->comm, sizeof(ring->info.comm));
		}
		ring->info.fd = f->fd;
		ring->registered = f->table;
		ring->registered_known = true;
		ring->registered_partial = true;
	}
}

void harvest_into(const struct harvest *h, struct report *r)
{
	struct gone_rule rule = { h, h->look_start_ns[h->gen & 1], 0, 0 };

	for (size_t i = 0; i < r->nr_rings; i++) {
		struct ring_report *ring = &r->rings[i];

		/* the last look did not see it, though it existed then */
		if (h->gen && ring_gone(&ring->info, &rule))
			ring->gone = true;
	}
	struct ring_report *rings = realloc(r->rings, (r->nr_rings + h->nr_gone) *
					   sizeof(*rings));

	if (rings) {
		r->rings = rings;
		for (size_t i = 0; i < h->nr_gone; i++)
			ring_report_copy(&r->rings[r->nr_rings++], &h->gone[i]);
	}
	if (!h->looks)
		merge_found(h, r);
	if (h->nr_exited) {
		struct proc_report *p = realloc(r->procs,
						(r->nr_procs + h->nr_exited) * sizeof(*p));

		if (p) {
			memcpy(p + r->nr_procs, h->exited, h->nr_exited * sizeof(*p));
			r->procs = p;
			r->nr_procs += h->nr_exited;
		}
	}
	report_sort_rings(r);
	r->rings_source = h->looks ? "bpf_iter" : "fdinfo";
	r->rings_source_tables = true;
	r->procs_exited = h->procs_harvested;
	report_totals(r);
}

void harvest_free(struct harvest *h)
{
	for (size_t i = 0; i < h->nr_gone; i++)
		ring_report_free(&h->gone[i]);
	free(h->gone);
	free(h->exited);
	free(h->found);
	for (int i = 0; i < HARVEST_RECENT; i++)
		free(h->recent[i]);
	memset(h, 0, sizeof(*h));
}
