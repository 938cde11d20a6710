// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "mapdump.h"
#include "pinscope.skel.h"
#include "sort.h"

static void *grow(void *arr, size_t n, size_t elsz)
{
	void *p = realloc(arr, (n + 1) * elsz);

	if (!p) {
		fprintf(stderr, "pinscope: out of memory\n");
		exit(2);
	}
	memset((char *)p + n * elsz, 0, elsz);
	return p;
}

/* reads of a harvest's IO counts before it takes them as they are */
#define COLLECT_IO_TRIES	8

#define PUSH(arr, n) ((arr) = grow((arr), (n), sizeof(*(arr))), &(arr)[(n)++])

/* Runs body for every entry of a hash map (continue moves to the next one). */
#define FOR_EACH_ENTRY(fd, key, val, vsize, body)				\
	do {									\
		struct dump __d;						\
		if (map_dump(fd, sizeof(key), vsize, &__d))			\
			break;							\
		for (__u32 __i = 0; __i < __d.n; __i++) {			\
			memcpy(&(key), __d.keys + (size_t)__i * sizeof(key), sizeof(key)); \
			memcpy(val, __d.vals + (size_t)__i * (vsize), vsize);	\
			body;							\
		}								\
		dump_free(&__d);						\
	} while (0)

static int by_ring_id(const void *a, const void *b)
{
	const struct ring_report *x = a, *y = b;

	return (x->info.id > y->info.id) - (x->info.id < y->info.id);
}

static void collect_rings(int fd, struct report *r, collect_keep_fn keep, void *cookie)
{
	__u32 key;
	struct ps_ring ring;

	FOR_EACH_ENTRY(fd, key, &ring, sizeof(ring), {
		if (keep && !keep(&ring, cookie))
			continue;
		struct ring_report *rr = PUSH(r->rings, r->nr_rings);
		rr->info = ring;
		/* map values are input: renderers print comm as a string */
		rr->info.comm[PS_COMM_LEN - 1] = '\0';
		rr->registered = ring.registered;
		rr->registered_known = ring.registered_known;
	});
	SORT(r->rings, r->nr_rings, by_ring_id);
}

static void add_opcode_calls(struct reg_report *g, uint32_t opcode, uint64_t calls)
{
	for (size_t i = 0; i < g->nr_opcodes; i++)
		if (g->opcodes[i].opcode == opcode) {
			g->opcodes[i].calls += calls;
			return;
		}
	struct opcode_count *oc = PUSH(g->opcodes, g->nr_opcodes);

	oc->opcode = opcode;
	oc->calls = calls;
}

static void collect_reg(int fd, struct report *r)
{
	struct ps_reg_key key;
	struct ps_reg_stats st;

	FOR_EACH_ENTRY(fd, key, &st, sizeof(st), {
		struct ring_report *ring = report_ring(r, key.ring);
		if (!ring)
			continue;
		struct reg_report *g = &ring->reg[reg_kind_of(key.opcode)];
		if (!g->calls || (st.lat_min_ns && st.lat_min_ns < g->lat_min_ns))
			g->lat_min_ns = st.lat_min_ns;
		if (st.lat_max_ns > g->lat_max_ns)
			g->lat_max_ns = st.lat_max_ns;
		g->calls += st.calls;
		g->failures += st.failures;
		g->lat_total_ns += st.lat_total_ns;
		table_sum_add(&g->sum, &st.sum);
		inside_add(&g->inside, &st.inside);
		add_opcode_calls(g, key.opcode, st.calls);
		if (key.opcode == PS_REG_CLONE_BUFFERS && st.calls > st.failures) {
			struct clone_source *src = PUSH(g->sources, g->nr_sources);
			src->ring = key.src_ring;
			src->calls = st.calls - st.failures;
			src->buffers = st.sum.buffers;
		}
	});
}

static void collect_errors(int fd, struct report *r)
{
	struct ps_reg_err_key key;
	__u64 n;

	FOR_EACH_ENTRY(fd, key, &n, sizeof(n), {
		struct ring_report *ring = report_ring(r, key.ring);
		if (!ring)
			continue;
		struct reg_report *g = &ring->reg[reg_kind_of(key.opcode)];
		struct errno_count *ec = NULL;
		for (size_t i = 0; i < g->nr_errors; i++)
			if (g->errors[i].err == key.err)
				ec = &g->errors[i];
		if (!ec) {
			ec = PUSH(g->errors, g->nr_errors);
			ec->err = key.err;
		}
		ec->count += n;
	});
}

static int by_opcode(const void *a, const void *b)
{
	const struct io_op_report *x = a, *y = b;

	return (x->opcode > y->opcode) - (x->opcode < y->opcode);
}

/* Most used first; equal counts by index, so output is stable. */
static int by_ops_desc(const void *a, const void *b)
{
	const struct buf_index_report *x = a, *y = b;

	if (x->ops != y->ops)
		return x->ops < y->ops ? 1 : -1;
	return (x->index > y->index) - (x->index < y->index);
}

static void add_io(struct ring_report *ring, const struct ps_io_key *key,
		   const struct ps_io_stats *s)
{
	struct io_op_report *op = NULL;
	struct buf_index_report *bi = NULL;

	for (size_t i = 0; i < ring->nr_io_ops; i++)
		if (ring->io_ops[i].opcode == key->opcode)
			op = &ring->io_ops[i];
	if (!op) {
		op = PUSH(ring->io_ops, ring->nr_io_ops);
		op->opcode = key->opcode;
	}
	op->ops += s->ops;
	op->bytes += s->bytes;
	op->errors += s->errors;
	if (key->buf_index == PS_BUF_INDEX_NONE)
		return;
	for (size_t i = 0; i < ring->nr_buf_index; i++)
		if (ring->buf_index[i].index == key->buf_index)
			bi = &ring->buf_index[i];
	if (!bi) {
		bi = PUSH(ring->buf_index, ring->nr_buf_index);
		bi->index = key->buf_index;
	}
	bi->ops += s->ops;
}

static void forget_io(struct report *r)
{
	for (size_t i = 0; i < r->nr_rings; i++) {
		struct ring_report *ring = &r->rings[i];

		free(ring->io_ops);
		free(ring->buf_index);
		ring->io_ops = NULL;
		ring->buf_index = NULL;
		ring->nr_io_ops = ring->nr_buf_index = 0;
	}
}

static void sort_io(struct report *r)
{
	for (size_t i = 0; i < r->nr_rings; i++) {
		struct ring_report *ring = &r->rings[i];

		SORT(ring->io_ops, ring->nr_io_ops, by_opcode);
		SORT(ring->buf_index, ring->nr_buf_index, by_ops_desc);
	}
}

/*
 * A whole array map, nkeys x ncpu values of size (a multiple of 8; ncpu 1
 * for one that is not per CPU):
 * one batch call where the kernel has it, key by key otherwise. NULL when
 * out of memory; keys it cannot read stay zero.
 */
static void *read_array(int fd, __u32 nkeys, size_t size, int ncpu)
{
	char *vals = calloc((size_t)nkeys * ncpu, size);
	__u32 *keys = calloc(nkeys, sizeof(*keys));
	__u32 count = nkeys, out_batch;

	if (!vals || !keys) {
		free(vals);
		free(keys);
		return NULL;
	}
	if (bpf_map_lookup_batch(fd, NULL, &out_batch, keys, vals, &count, NULL) &&
	    errno != ENOENT)
		for (__u32 k = 0; k < nkeys; k++)
			if (bpf_map_lookup_elem(fd, &k, vals + (size_t)k * ncpu * size))
				memset(vals + (size_t)k * ncpu * size, 0, ncpu * size);
	free(keys);
	return vals;
}

/* Counts a key's cache entries that moved into io_stats while it was read. */
struct moved_key {
	struct ps_io_key key;
	struct ps_io_stats sum;
};

static bool same_io_key(const struct ps_io_key *a, const struct ps_io_key *b)
{
	return a->ring == b->ring && a->opcode == b->opcode && a->buf_index == b->buf_index;
}

static void stats_add(struct ps_io_stats *d, const struct ps_io_stats *s)
{
	d->ops += s->ops;
	d->bytes += s->bytes;
	d->errors += s->errors;
}

/*
 * One pass over the IO counts of r's rings: the per-CPU cache, io_stats,
 * the cache again. Entries in both cache reads did not move and count
 * from the cache. One gone from the second moved into io_stats meanwhile,
 * before or after io_stats was read; its key looked up now says which:
 * io_stats grew since the read by what moved after it. False when a key
 * grew by something else (part of its entries moved before, part after,
 * or new IO came): the counts may then be off by that.
 */
static bool collect_io_pass(int stats_fd, int cache_fd, int ncpu, struct report *r, int *err)
{
	struct ps_io_cached *b1 = read_array(cache_fd, PS_IO_CACHE_SLOTS, sizeof(*b1), ncpu), *b2;
	size_t n = (size_t)PS_IO_CACHE_SLOTS * ncpu, nr_moved = 0;
	struct moved_key *moved = NULL;
	struct ps_io_stats st;
	struct ps_io_key key;
	bool settled = true;
	struct dump d = {0};

	if (!b1 || map_dump(stats_fd, sizeof(key), sizeof(st), &d) ||
	    !(b2 = read_array(cache_fd, PS_IO_CACHE_SLOTS, sizeof(*b2), ncpu))) {
		free(b1);
		dump_free(&d);
		*err = -ENOMEM;
		return true;
	}
	for (__u32 i = 0; i < d.n; i++) {
		struct ring_report *ring;

		memcpy(&key, d.keys + (size_t)i * sizeof(key), sizeof(key));
		memcpy(&st, d.vals + (size_t)i * sizeof(st), sizeof(st));
		if ((ring = report_ring(r, key.ring)))
			add_io(ring, &key, &st);
	}
	for (size_t i = 0; i < n; i++) {
		const struct ps_io_cached *e = &b1[i];
		struct ring_report *ring = e->key.ring ? report_ring(r, e->key.ring) : NULL;
		struct moved_key *m = NULL;

		if (!ring)
			continue;
		if (same_io_key(&b2[i].key, &e->key)) {
			add_io(ring, &e->key, &e->st);
			continue;
		}
		for (size_t k = 0; k < nr_moved && !m; k++)
			if (same_io_key(&moved[k].key, &e->key))
				m = &moved[k];
		if (!m) {
			m = PUSH(moved, nr_moved);
			m->key = e->key;
			memset(&m->sum, 0, sizeof(m->sum));
		}
		stats_add(&m->sum, &e->st);
	}
	for (size_t k = 0; k < nr_moved; k++) {
		struct ps_io_stats was = {0}, now = {0};

		for (__u32 i = 0; i < d.n; i++)
			if (same_io_key((const void *)(d.keys + (size_t)i * sizeof(key)), &moved[k].key))
				memcpy(&was, d.vals + (size_t)i * sizeof(st), sizeof(st));
		bpf_map_lookup_elem(stats_fd, &moved[k].key, &now);
		if (now.ops - was.ops == moved[k].sum.ops)	/* all after the read */
			add_io(report_ring(r, moved[k].key.ring), &moved[k].key, &moved[k].sum);
		else if (now.ops != was.ops)
			settled = false;
		/* else all before it: io_stats as read has them */
	}
	free(moved);
	free(b1);
	free(b2);
	dump_free(&d);
	return settled;
}

static void collect_pins(int fd, struct report *r)
{
	struct ps_pin_stats st;
	struct ps_pin_key key;

	FOR_EACH_ENTRY(fd, key, &st, sizeof(st), {
		struct ring_report *ring = report_ring(r, key.ring);
		struct pin_op_report *op;
		if (!ring)
			continue;
		op = PUSH(ring->pinned_ops, ring->nr_pinned_ops);
		op->opcode = key.opcode;
		op->ios = st.ios;
		op->pages = st.pages;
		ring->pinned.ios += op->ios;
		ring->pinned.pages += op->pages;
	});
}

static int by_opcode_err(const void *a, const void *b)
{
	const struct refused_report *x = a, *y = b;

	if (x->opcode != y->opcode)
		return (x->opcode > y->opcode) - (x->opcode < y->opcode);
	return (x->err > y->err) - (x->err < y->err);
}

static void collect_refused(int fd, struct report *r)
{
	struct ps_refused_key key;
	__u64 n;

	FOR_EACH_ENTRY(fd, key, &n, sizeof(n), {
		struct ring_report *ring = report_ring(r, key.ring);
		struct refused_report *rf;
		if (!ring)
			continue;
		rf = PUSH(ring->refused, ring->nr_refused);
		rf->opcode = key.opcode;
		rf->err = key.err;
		rf->requests = n;
	});
	for (size_t i = 0; i < r->nr_rings; i++)
		SORT(r->rings[i].refused, r->rings[i].nr_refused, by_opcode_err);
}

static int by_index(const void *a, const void *b)
{
	const struct import_report *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

static int collect_imports(int fd, int ncpu, struct report *r)
{
	struct ps_import_stats *vals = calloc(ncpu, sizeof(*vals));
	struct ps_import_key key;

	if (!vals)
		return -ENOMEM;
	FOR_EACH_ENTRY(fd, key, vals, ncpu * sizeof(*vals), {
		struct ring_report *ring = report_ring(r, key.ring);
		struct import_report *im = NULL;
		if (!ring)
			continue;
		for (size_t i = 0; i < ring->nr_imports; i++)
			if (ring->imports[i].index == key.buf_index)
				im = &ring->imports[i];
		if (!im) {
			im = PUSH(ring->imports, ring->nr_imports);
			im->index = key.buf_index;
		}
		for (int c = 0; c < ncpu; c++) {
			im->imports += vals[c].imports;
			im->errors += vals[c].errors;
			im->offset_imports += vals[c].offset_imports;
			im->lat_ns += vals[c].lat_ns;
		}
	});
	free(vals);
	for (size_t i = 0; i < r->nr_rings; i++)
		SORT(r->rings[i].imports, r->rings[i].nr_imports, by_index);
	return 0;
}

static void collect_procs(int fd, struct report *r)
{
	__u32 key;
	struct ps_proc_stats st;

	FOR_EACH_ENTRY(fd, key, &st, sizeof(st), {
		struct proc_report *p = PUSH(r->procs, r->nr_procs);
		p->pid = key;
		p->st = st;
		p->st.comm[PS_COMM_LEN - 1] = '\0';
	});
}

static int by_hist_key(const void *a, const void *b)
{
	const struct hist_report *x = a, *y = b;

	if (x->kind != y->kind)
		return (x->kind > y->kind) - (x->kind < y->kind);
	return (x->op > y->op) - (x->op < y->op);
}

/* The hists array (kind x opcode): its rows with a sample. */
static int collect_hists(int fd, struct report *r)
{
	struct ps_hist *rows = read_array(fd, PS_HIST_KINDS * PS_HIST_OPS,
						 sizeof(*rows), 1);

	if (!rows)
		return -ENOMEM;
	for (__u32 i = 0; i < PS_HIST_KINDS * PS_HIST_OPS; i++) {
		__u64 n = 0;

		for (int k = 0; k < PS_HIST_SLOTS; k++)
			n += rows[i].slots[k];
		if (!n)
			continue;
		struct hist_report *hr = PUSH(r->hists, r->nr_hists);
		hr->kind = i / PS_HIST_OPS;
		hr->op = i % PS_HIST_OPS == PS_HIST_OP_OTHER ? PS_OP_UNKNOWN : i % PS_HIST_OPS;
		memcpy(hr->slots, rows[i].slots, sizeof(hr->slots));
	}
	free(rows);
	return 0;
}

/* IO latency: per CPU and opcode (io_lat_hists), summed into PS_HIST_IO_LAT rows. */
static int collect_io_latency(const struct bpf_map *map, int ncpu, struct report *r)
{
	__u32 nops = bpf_map__max_entries(map);	/* 1 unless IO latency is on */
	struct ps_hist *vals = read_array(bpf_map__fd(map), nops, sizeof(*vals), ncpu);

	if (!vals)
		return -ENOMEM;
	for (__u32 op = 0; op < nops; op++) {
		struct ps_hist sum = {};
		__u64 n = 0;

		for (int c = 0; c < ncpu; c++)
			for (int i = 0; i < PS_HIST_SLOTS; i++) {
				sum.slots[i] += vals[(size_t)op * ncpu + c].slots[i];
				n += vals[(size_t)op * ncpu + c].slots[i];
			}
		if (!n)
			continue;
		struct hist_report *hr = PUSH(r->hists, r->nr_hists);
		hr->kind = PS_HIST_IO_LAT;
		hr->op = op;
		memcpy(hr->slots, sum.slots, sizeof(hr->slots));
	}
	free(vals);
	return 0;
}

int collect_rings_where(struct tracer *t, struct report *r, collect_keep_fn keep, void *cookie)
{
	struct pinscope_bpf *s = tracer_skel(t);
	int ncpu = libbpf_num_possible_cpus();
	int e;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	report_free(r);
	collect_rings(bpf_map__fd(s->maps.rings), r, keep, cookie);
	if (!r->nr_rings)
		return 0;	/* nothing to count for */
	collect_reg(bpf_map__fd(s->maps.reg_stats), r);
	collect_errors(bpf_map__fd(s->maps.reg_errors), r);
	/*
	 * A gone ring (keep: a harvest) has no more IO: its counts only move,
	 * and a pass settles them exactly unless a key's entries moved on both
	 * sides of the read; then it is read again.
	 */
	e = 0;
	for (int tries = 0;; tries++) {
		if (collect_io_pass(bpf_map__fd(s->maps.io_stats), bpf_map__fd(s->maps.io_cache),
				    ncpu, r, &e) || e || !keep || tries == COLLECT_IO_TRIES)
			break;
		forget_io(r);
	}
	if (!e)
		sort_io(r);
	collect_pins(bpf_map__fd(s->maps.pin_stats), r);
	collect_refused(bpf_map__fd(s->maps.refused_io), r);
	if (!e)
		e = collect_imports(bpf_map__fd(s->maps.imports), ncpu, r);
	return e;
}

void collect_procs_only(struct tracer *t, struct report *r)
{
	collect_procs(bpf_map__fd(tracer_skel(t)->maps.proc_stats), r);
}

int collect_report(struct tracer *t, struct report *r)
{
	struct pinscope_bpf *s = tracer_skel(t);
	int ncpu = libbpf_num_possible_cpus();
	int e = collect_rings_where(t, r, NULL, NULL);

	collect_procs(bpf_map__fd(s->maps.proc_stats), r);
	if (!e)
		e = collect_hists(bpf_map__fd(s->maps.hists), r);
	if (!e)
		e = collect_io_latency(s->maps.io_lat_hists, ncpu, r);
	SORT(r->hists, r->nr_hists, by_hist_key);
	for (__u32 i = 0; i < PS_CNT_MAX; i++) {
		__u64 v = 0;

		bpf_map_lookup_elem(bpf_map__fd(s->maps.counters), &i, &v);
		r->counters[i] = v;
	}
	r->backend = tracer_backend(t);
	r->refused[0] = tracer_refused(t, 0);
	r->refused[1] = tracer_refused(t, 1);
	r->measures = (struct measures){
		.register_fn = tracer_measures(t, "register_fn"),
		.register_buffer = tracer_measures(t, "register_buffer"),
		.pin = tracer_measures(t, "pin"),
		.io_pin = tracer_measures(t, "io_pin"),
		.charge = tracer_measures(t, "charge"),
		.import = tracer_measures(t, "import"),
		.fixed_io = tracer_measures(t, "fixed_io"),
		.pinned_io = tracer_measures(t, "pinned_io"),
	};
	r->nr_hooks = tracer_hooks(t, &r->hooks);
	r->acct_pages_known = tracer_acct_pages_known(t);
	/* events lost to busy task storage are missed runs of another kind */
	r->missed_runs = tracer_missed_runs(t) + r->counters[PS_CNT_STATE_BUSY];
	r->nr_progs = tracer_prog_stats(t, r->progs, sizeof(r->progs) / sizeof(r->progs[0]));
	return e;
}
