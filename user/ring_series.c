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
	const struct ring_report **index;	/* the report's rings by id */
};

struct ring_series *ring_series_new(double grace_s)
{
	struct ring_series *rs = calloc(1, sizeof(*rs));

	if (rs)
		rs->grace_s = grace_s;
	return rs;
}

static void kept_free(struct ring_report *ring)
{
	if (ring) {
		ring_report_free(ring);
		free(ring);
	}
}

static struct ring_report *kept_copy(const struct ring_report *src)
{
	struct ring_report *c = malloc(sizeof(*c));

	if (c)
		ring_report_copy(c, src);
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
	free(rs->index);
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
	const struct ring_report *ring = *(const struct ring_report *const *)elem;

	return (id > ring->info.id) - (id < ring->info.id);
}

static int index_cmp(const void *a, const void *b)
{
	const struct ring_report *x = *(const struct ring_report *const *)a;
	const struct ring_report *y = *(const struct ring_report *const *)b;

	return (x->info.id > y->info.id) - (x->info.id < y->info.id);
}

/*
 * The report's single rings by id (live ones first in it, then the gone
 * ones the session keeps); entries summing many gone rings have no id and
 * no series of their own.
 */
static int index_report(struct ring_series *rs, const struct report *r, size_t *n)
{
	free(rs->index);
	rs->index = calloc(r->nr_rings ? r->nr_rings : 1, sizeof(*rs->index));
	if (!rs->index)
		return -ENOMEM;
	*n = 0;
	for (size_t i = 0; i < r->nr_rings; i++)
		if (r->rings[i].info.id && !r->rings[i].folded)
			rs->index[(*n)++] = &r->rings[i];
	qsort(rs->index, *n, sizeof(*rs->index), index_cmp);
	return 0;
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

static void retire(struct series_entry *e)
{
	kept_free(e->kept);
	e->kept = NULL;
	e->expired = true;
}

int ring_series_update(struct ring_series *rs, const struct report *r, double now_s)
{
	size_t old_n = rs->n, w = 0, nr_index;
	const struct ring_report **found;

	if (index_report(rs, r, &nr_index))
		return -ENOMEM;
	/*
	 * A gone ring that left the report was folded into its process's sum
	 * (the session keeps only so many gone rings one by one): its series
	 * end now. A live one that left keeps a copy for the grace period.
	 */
	for (size_t i = 0; i < old_n; i++) {
		struct series_entry *e = &rs->v[i];
		const struct ring_report *ring;

		found = bsearch(&e->id, rs->index, nr_index, sizeof(*rs->index), by_ring_id);
		ring = found ? *found : NULL;
		if (!ring && e->cur && !e->expired) {
			if (e->cur->gone) {
				retire(e);
			} else if (!(e->kept = kept_copy(e->cur))) {
				return -ENOMEM;
			}
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
	for (size_t i = 0; i < nr_index; i++) {
		const struct ring_report *ring = rs->index[i];

		/* before the first ring rs->v is NULL, which bsearch must not get */
		if (old_n && bsearch(&ring->info.id, rs->v, old_n, sizeof(*rs->v), by_entry_id))
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
			retire(e);
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
