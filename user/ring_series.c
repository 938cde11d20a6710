// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ring_series.h"

struct series_entry {
	uint32_t id;
	double last_live_s;		/* last report that had it live */
	const struct ring_report *cur;	/* in the current report, or NULL */
	struct ring_report *kept;	/* copy of its last numbers, once it left */
	bool expired;			/* still in the report, past its grace */
};

struct ring_series {
	double grace_s;
	struct series_entry *v;		/* by id */
	size_t n, cap;
	const struct ring_report **view;
	size_t nr_view;
	uint64_t retired_lat_ns[REG_KINDS];
};

struct ring_series *ring_series_new(double grace_s)
{
	struct ring_series *rs = calloc(1, sizeof(*rs));

	if (rs)
		rs->grace_s = grace_s;
	return rs;
}

static void *dup_array(const void *src, size_t n, size_t elsz, bool *oom)
{
	void *p;

	if (!n)
		return NULL;
	p = malloc(n * elsz);
	if (!p) {
		*oom = true;
		return NULL;
	}
	return memcpy(p, src, n * elsz);
}

static void kept_free(struct ring_report *ring)
{
	if (!ring)
		return;
	for (int k = 0; k < REG_KINDS; k++) {
		free(ring->reg[k].errors);
		free(ring->reg[k].opcodes);
		free(ring->reg[k].sources);
	}
	free(ring->io_ops);
	free(ring->pinned_ops);
	free(ring);
}

/* What a renderer of a departed ring needs: counters, not per-index detail. */
static struct ring_report *kept_copy(const struct ring_report *src)
{
	struct ring_report *c = malloc(sizeof(*c));
	bool oom = false;

	if (!c)
		return NULL;
	*c = *src;
	for (int k = 0; k < REG_KINDS; k++) {
		struct reg_report *g = &c->reg[k];

		g->errors = dup_array(g->errors, g->nr_errors, sizeof(*g->errors), &oom);
		g->opcodes = dup_array(g->opcodes, g->nr_opcodes, sizeof(*g->opcodes), &oom);
		g->sources = dup_array(g->sources, g->nr_sources, sizeof(*g->sources), &oom);
	}
	c->io_ops = dup_array(c->io_ops, c->nr_io_ops, sizeof(*c->io_ops), &oom);
	c->pinned_ops = dup_array(c->pinned_ops, c->nr_pinned_ops, sizeof(*c->pinned_ops), &oom);
	c->buf_index = NULL;
	c->nr_buf_index = 0;
	c->imports = NULL;
	c->nr_imports = 0;
	if (oom) {
		kept_free(c);
		return NULL;
	}
	return c;
}

void ring_series_free(struct ring_series *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		kept_free(rs->v[i].kept);
	free(rs->v);
	free(rs->view);
	free(rs);
}

static int by_entry_id(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct series_entry *e = elem;

	return (id > e->id) - (id < e->id);
}

static int by_ring_id(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct ring_report *ring = elem;

	return (id > ring->info.id) - (id < ring->info.id);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct series_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

bool ring_series_live(const struct ring_report *ring, const struct report *r)
{
	return ring >= r->rings && ring < r->rings + r->nr_rings && !ring->gone;
}

static void retire(struct ring_series *rs, struct series_entry *e)
{
	const struct ring_report *ring = e->cur ? e->cur : e->kept;

	if (ring)
		for (int k = 0; k < REG_KINDS; k++)
			rs->retired_lat_ns[k] += ring->reg[k].lat_total_ns;
	kept_free(e->kept);
	e->kept = NULL;
	e->expired = true;
}

int ring_series_update(struct ring_series *rs, const struct report *r, double now_s)
{
	size_t old_n = rs->n, w = 0;

	/* Entries that left the report keep a copy; the others follow it. */
	for (size_t i = 0; i < old_n; i++) {
		struct series_entry *e = &rs->v[i];
		const struct ring_report *ring = bsearch(&e->id, r->rings, r->nr_rings,
							 sizeof(*r->rings), by_ring_id);

		if (!ring && e->cur && !e->expired) {
			e->kept = kept_copy(e->cur);
			if (!e->kept)
				return -ENOMEM;
		}
		if (ring && e->kept) {	/* ids are never reused; be safe anyway */
			kept_free(e->kept);
			e->kept = NULL;
		}
		e->cur = ring;
		if (ring && !ring->gone)
			e->last_live_s = now_s;
	}
	/* New rings, appended, then sorted in with the rest. */
	for (size_t i = 0; i < r->nr_rings; i++) {
		const struct ring_report *ring = &r->rings[i];

		if (bsearch(&ring->info.id, rs->v, old_n, sizeof(*rs->v), by_entry_id))
			continue;
		if (rs->n == rs->cap) {
			size_t cap = rs->cap ? 2 * rs->cap : 64;
			struct series_entry *v = realloc(rs->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			rs->v = v;
			rs->cap = cap;
		}
		rs->v[rs->n++] = (struct series_entry){
			.id = ring->info.id, .last_live_s = now_s, .cur = ring,
		};
	}
	if (rs->n > old_n)
		qsort(rs->v, rs->n, sizeof(*rs->v), entry_cmp);
	/* Past the grace: out of the view; forgotten once out of the report. */
	for (size_t i = 0; i < rs->n; i++) {
		struct series_entry *e = &rs->v[i];
		bool live = e->cur && !e->cur->gone;

		if (!live && !e->expired && now_s - e->last_live_s > rs->grace_s)
			retire(rs, e);
		if (e->expired && !e->cur)
			continue;	/* dropped */
		rs->v[w++] = *e;
	}
	rs->n = w;
	free(rs->view);
	rs->view = calloc(rs->n ? rs->n : 1, sizeof(*rs->view));
	if (!rs->view)
		return -ENOMEM;
	rs->nr_view = 0;
	for (size_t i = 0; i < rs->n; i++)
		if (!rs->v[i].expired)
			rs->view[rs->nr_view++] = rs->v[i].cur ? rs->v[i].cur : rs->v[i].kept;
	return 0;
}

size_t ring_series_view(const struct ring_series *rs, const struct ring_report *const **rings)
{
	*rings = rs->view;
	return rs->nr_view;
}

uint64_t ring_series_retired_lat_ns(const struct ring_series *rs, enum reg_kind kind)
{
	return kind < REG_KINDS ? rs->retired_lat_ns[kind] : 0;
}
