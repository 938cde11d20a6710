// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "sort.h"

enum reg_kind reg_kind_of(uint32_t opcode)
{
	switch (opcode) {
	case PS_REG_BUFFERS_UPDATE:	return REG_UPDATE;
	case PS_UNREG_BUFFERS:		return REG_UNREGISTER;
	case PS_REG_CLONE_BUFFERS:	return REG_CLONE;
	default:			return REG_REGISTER;
	}
}

const char *reg_kind_name(enum reg_kind kind)
{
	static const char *const names[REG_KINDS] = {
		"register", "update", "unregister", "clone",
	};

	return kind < REG_KINDS ? names[kind] : "?";
}

static int ring_id_cmp(const void *key, const void *elem)
{
	uint32_t id = *(const uint32_t *)key;
	const struct ring_report *ring = elem;

	return (id > ring->info.id) - (id < ring->info.id);
}

/* r->rings is sorted by id (collect.c, harvest.c); id 0 names no ring. */
struct ring_report *report_ring(const struct report *r, uint32_t id)
{
	/* no rings: r->rings is NULL, which bsearch must not be given */
	if (!id || !r->nr_rings)
		return NULL;
	return bsearch(&id, r->rings, r->nr_rings, sizeof(*r->rings), ring_id_cmp);
}

static int by_id(const void *a, const void *b)
{
	const struct ring_report *x = a, *y = b;

	return (x->info.id > y->info.id) - (x->info.id < y->info.id);
}

void report_sort_rings(struct report *r)
{
	SORT(r->rings, r->nr_rings, by_id);
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nr_rings; i++)
		ring_report_free(&r->rings[i]);
	free(r->rings);
	free(r->procs);
	free(r->hists);
	free(r->totals.io_ops);
	memset(&r->totals, 0, sizeof(r->totals));
	r->rings = NULL;
	r->procs = NULL;
	r->hists = NULL;
	r->nr_rings = r->nr_procs = r->nr_hists = 0;
}

static void *grow_by(void *arr, size_t n, size_t add, size_t elsz)
{
	void *p = realloc(arr, (n + add) * elsz);

	if (!p && n + add)
		abort();	/* the callers' memory is bounded; see harvest.c */
	return p;
}

/* dst[] gains src[]'s entries; equal keys (by cmp) add their counts with add. */
#define MERGE_ARRAY(dst, ndst, src, nsrc, same, add)				\
	do {									\
		for (size_t _i = 0; _i < (nsrc); _i++) {			\
			size_t _j;						\
			for (_j = 0; _j < (ndst); _j++)				\
				if (same(&(dst)[_j], &(src)[_i]))		\
					break;					\
			if (_j == (ndst)) {					\
				(dst) = grow_by((dst), (ndst), 1, sizeof(*(dst))); \
				(dst)[(ndst)++] = (src)[_i];			\
			} else {						\
				add(&(dst)[_j], &(src)[_i]);			\
			}							\
		}								\
	} while (0)

#define SAME_ERR(a, b)		((a)->err == (b)->err)
#define ADD_ERR(a, b)		((a)->count += (b)->count)
#define SAME_OPCODE(a, b)	((a)->opcode == (b)->opcode)
#define ADD_CALLS(a, b)		((a)->calls += (b)->calls)
#define SAME_RING(a, b)		((a)->ring == (b)->ring)
#define ADD_SOURCE(a, b)	((a)->calls += (b)->calls, (a)->buffers += (b)->buffers)
#define ADD_IO(a, b)		((a)->ops += (b)->ops, (a)->bytes += (b)->bytes,	\
				 (a)->errors += (b)->errors)
#define SAME_REFUSAL(a, b)	((a)->opcode == (b)->opcode && (a)->err == (b)->err)
#define ADD_REQUESTS(a, b)	((a)->requests += (b)->requests)
#define SAME_INDEX(a, b)	((a)->index == (b)->index)
#define ADD_OPS(a, b)		((a)->ops += (b)->ops)
#define ADD_PIN(a, b)		((a)->ios += (b)->ios, (a)->pages += (b)->pages)
#define ADD_IMPORT(a, b)	((a)->imports += (b)->imports, (a)->errors += (b)->errors, \
				 (a)->offset_imports += (b)->offset_imports,		\
				 (a)->lat_ns += (b)->lat_ns)

void table_sum_add(struct ps_table_sum *d, const struct ps_table_sum *s)
{
	d->slots += s->slots;
	d->buffers += s->buffers;
	d->bytes += s->bytes;
	d->pages += s->pages;
	d->bvecs += s->bvecs;
	d->huge_buffers += s->huge_buffers;
	d->acct_pages += s->acct_pages;
	d->shared += s->shared;
}

void inside_add(struct ps_inside *d, const struct ps_inside *s)
{
	d->fn_ns += s->fn_ns;
	d->pinned_pages += s->pinned_pages;
	d->pin_ns += s->pin_ns;
	d->charged_pages += s->charged_pages;
	d->charge_ns += s->charge_ns;
	d->charge_failures += s->charge_failures;
	d->bufs_tried += s->bufs_tried;
	d->bufs_failed += s->bufs_failed;
}

void reg_report_add(struct reg_report *d, const struct reg_report *s)
{
	if (!s->calls)
		return;
	if (!d->calls || (s->lat_min_ns && s->lat_min_ns < d->lat_min_ns))
		d->lat_min_ns = s->lat_min_ns;
	if (s->lat_max_ns > d->lat_max_ns)
		d->lat_max_ns = s->lat_max_ns;
	d->calls += s->calls;
	d->failures += s->failures;
	d->lat_total_ns += s->lat_total_ns;
	table_sum_add(&d->sum, &s->sum);
	inside_add(&d->inside, &s->inside);
	MERGE_ARRAY(d->errors, d->nr_errors, s->errors, s->nr_errors, SAME_ERR, ADD_ERR);
	MERGE_ARRAY(d->opcodes, d->nr_opcodes, s->opcodes, s->nr_opcodes, SAME_OPCODE, ADD_CALLS);
	MERGE_ARRAY(d->sources, d->nr_sources, s->sources, s->nr_sources, SAME_RING, ADD_SOURCE);
}

/* Everything src counted, added to dst (which keeps its own identity). */
void ring_report_add(struct ring_report *d, const struct ring_report *s)
{
	for (int k = 0; k < REG_KINDS; k++)
		reg_report_add(&d->reg[k], &s->reg[k]);
	MERGE_ARRAY(d->io_ops, d->nr_io_ops, s->io_ops, s->nr_io_ops, SAME_OPCODE, ADD_IO);
	MERGE_ARRAY(d->buf_index, d->nr_buf_index, s->buf_index, s->nr_buf_index,
		    SAME_INDEX, ADD_OPS);
	d->pinned.ios += s->pinned.ios;
	d->pinned.pages += s->pinned.pages;
	MERGE_ARRAY(d->pinned_ops, d->nr_pinned_ops, s->pinned_ops, s->nr_pinned_ops,
		    SAME_OPCODE, ADD_PIN);
	MERGE_ARRAY(d->imports, d->nr_imports, s->imports, s->nr_imports, SAME_INDEX,
		    ADD_IMPORT);
	MERGE_ARRAY(d->refused, d->nr_refused, s->refused, s->nr_refused, SAME_REFUSAL,
		    ADD_REQUESTS);
	if (s->registered_known) {
		table_sum_add(&d->registered, &s->registered);
		d->registered_known = true;
	}
	d->folded += s->folded ? s->folded : 1;
}

/* A deep copy (the arrays are the copy's own). */
void ring_report_copy(struct ring_report *d, const struct ring_report *s)
{
	*d = *s;
	for (int k = 0; k < REG_KINDS; k++) {
		memset(&d->reg[k], 0, sizeof(d->reg[k]));
		reg_report_add(&d->reg[k], &s->reg[k]);
	}
	d->io_ops = NULL, d->nr_io_ops = 0;
	d->buf_index = NULL, d->nr_buf_index = 0;
	d->pinned_ops = NULL, d->nr_pinned_ops = 0;
	d->imports = NULL, d->nr_imports = 0;
	d->refused = NULL, d->nr_refused = 0;
	MERGE_ARRAY(d->io_ops, d->nr_io_ops, s->io_ops, s->nr_io_ops, SAME_OPCODE, ADD_IO);
	MERGE_ARRAY(d->buf_index, d->nr_buf_index, s->buf_index, s->nr_buf_index,
		    SAME_INDEX, ADD_OPS);
	MERGE_ARRAY(d->pinned_ops, d->nr_pinned_ops, s->pinned_ops, s->nr_pinned_ops,
		    SAME_OPCODE, ADD_PIN);
	MERGE_ARRAY(d->imports, d->nr_imports, s->imports, s->nr_imports, SAME_INDEX,
		    ADD_IMPORT);
	MERGE_ARRAY(d->refused, d->nr_refused, s->refused, s->nr_refused, SAME_REFUSAL,
		    ADD_REQUESTS);
}

void ring_report_free(struct ring_report *ring)
{
	for (int k = 0; k < REG_KINDS; k++) {
		free(ring->reg[k].errors);
		free(ring->reg[k].opcodes);
		free(ring->reg[k].sources);
	}
	free(ring->io_ops);
	free(ring->buf_index);
	free(ring->imports);
	free(ring->pinned_ops);
	free(ring->refused);
	memset(ring, 0, sizeof(*ring));
}

void proc_stats_add(struct ps_proc_stats *d, const struct ps_proc_stats *s)
{
	d->dio_ios += s->dio_ios;
	d->dio_pages += s->dio_pages;
	d->pinned_bios += s->pinned_bios;
	d->io_pin_calls += s->io_pin_calls;
	d->io_pinned_pages += s->io_pinned_pages;
}

void report_totals(struct report *r)
{
	struct totals *t = &r->totals;

	free(t->io_ops);
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < r->nr_rings; i++) {
		const struct ring_report *ring = &r->rings[i];
		uint64_t n = ring->folded ? ring->folded : 1;

		t->rings += n;
		if (ring->gone || ring->folded)
			t->rings_gone += n;
		for (int k = 0; k < REG_KINDS; k++) {
			const struct reg_report *g = &ring->reg[k];

			/* the lists stay with the rings: sums only */
			struct reg_report flat = *g;

			flat.errors = NULL, flat.nr_errors = 0;
			flat.opcodes = NULL, flat.nr_opcodes = 0;
			flat.sources = NULL, flat.nr_sources = 0;
			reg_report_add(&t->reg[k], &flat);
			t->reg_errors += g->failures;
		}
		MERGE_ARRAY(t->io_ops, t->nr_io_ops, ring->io_ops, ring->nr_io_ops,
			    SAME_OPCODE, ADD_IO);
		t->pinned.ios += ring->pinned.ios;
		t->pinned.pages += ring->pinned.pages;
	}
}
