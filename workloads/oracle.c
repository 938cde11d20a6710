// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oracle.h"

#define PAGE_4K 4096UL

static const char *const reg_kind_key[REG_NR_KINDS] = {
	[REG_REGISTER] = "register",
	[REG_UPDATE] = "update",
	[REG_UNREGISTER] = "unregister",
	[REG_CLONE] = "clone",
};

unsigned long span_pages(uintptr_t addr, size_t len)
{
	uintptr_t first = addr & ~(PAGE_4K - 1);
	uintptr_t end = (addr + len + PAGE_4K - 1) & ~(PAGE_4K - 1);

	return len ? (end - first) / PAGE_4K : 0;
}

const char *errno_name(int err)
{
	/* glibc >= 2.32; the oracle wants the macro name, not the message. */
	const char *name = strerrorname_np(err);

	return name ? name : "EUNKNOWN";
}

/*
 * The process's name as the kernel keeps it: /proc/self/comm is the
 * thread-group leader's, whichever thread reads it.
 */
static void process_comm(char *comm, size_t len)
{
	FILE *f = fopen("/proc/self/comm", "r");

	comm[0] = '\0';
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

void oracle_init(struct oracle *o, const char *case_name)
{
	memset(o, 0, sizeof(*o));
	o->case_name = case_name;
	o->pid = getpid();
	process_comm(o->comm, sizeof(o->comm));
	o->status = ORACLE_RAN;
}

static void ring_free(struct oracle_ring *r)
{
	for (int k = 0; k < REG_NR_KINDS; k++) {
		json_object_put(r->reg[k].errors);
		json_object_put(r->reg[k].opcodes);
	}
	json_object_put(r->fixed_io);
	json_object_put(r->buf_index_ops);
	json_object_put(r->refused_io);
	free(r->table);
	free(r);
}

void oracle_free(struct oracle *o)
{
	for (int i = 0; i < o->nr_rings; i++)
		ring_free(o->rings[i]);
	json_object_put(o->extra);
	json_object_put(o->replaced);
	o->nr_rings = 0;
	o->extra = NULL;
	o->replaced = NULL;
}

struct oracle_ring *oracle_add_ring(struct oracle *o, int fd,
				    unsigned int setup_flags)
{
	struct oracle_ring *r;

	if (o->nr_rings >= ORACLE_MAX_RINGS)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->owner = o;
	r->pid = getpid();
	r->fd = fd;
	r->setup_flags = setup_flags;
	for (int k = 0; k < REG_NR_KINDS; k++) {
		r->reg[k].errors = json_object_new_object();
		r->reg[k].opcodes = json_object_new_object();
	}
	r->fixed_io = json_object_new_object();
	r->buf_index_ops = json_object_new_object();
	r->refused_io = json_object_new_object();
	process_comm(r->comm, sizeof(r->comm));
	o->rings[o->nr_rings++] = r;
	return r;
}

static void json_add_count(json_object *map, const char *key, int64_t n)
{
	json_object *val;

	if (json_object_object_get_ex(map, key, &val)) {
		json_object_set_int64(val, json_object_get_int64(val) + n);
		return;
	}
	json_object_object_add(map, key, json_object_new_int64(n));
}

static void delta_add(struct reg_delta *sum, const struct reg_delta *d)
{
	sum->slots += d->slots;
	sum->buffers += d->buffers;
	sum->bytes += d->bytes;
	sum->pages += d->pages;
	sum->bvecs += d->bvecs;
	sum->huge_buffers += d->huge_buffers;
	sum->acct_pages += d->acct_pages;
	sum->shared += d->shared;
}

void oracle_reg_call(struct oracle_ring *r, enum reg_kind kind,
		     const char *opcode_name, int err,
		     const struct reg_delta *d)
{
	struct reg_stats *s = &r->reg[kind];

	r->used = true;
	s->calls++;
	json_add_count(s->opcodes, opcode_name, 1);
	if (err)
		json_add_count(s->errors, errno_name(err), 1);
	else if (d)
		delta_add(&s->sum, d);
}

void oracle_clone_source(struct oracle_ring *r, int src_fd,
			 unsigned long buffers)
{
	struct reg_stats *s = &r->reg[REG_CLONE];
	int i;

	for (i = 0; i < s->nr_sources; i++)
		if (s->sources[i].fd == src_fd)
			break;
	if (i == s->nr_sources) {
		if (s->nr_sources >= ORACLE_MAX_SOURCES)
			return;
		s->sources[s->nr_sources++].fd = src_fd;
	}
	s->sources[i].calls++;
	s->sources[i].buffers += buffers;
}

void oracle_fixed_io(struct oracle_ring *r, const char *op_name,
		     unsigned int buf_index, int res)
{
	json_object *op, *val;
	char key[16];

	r->used = true;
	if (!json_object_object_get_ex(r->fixed_io, op_name, &op)) {
		op = json_object_new_object();
		json_object_object_add(op, "ops", json_object_new_int64(0));
		json_object_object_add(op, "bytes", json_object_new_int64(0));
		json_object_object_add(r->fixed_io, op_name, op);
	}
	json_object_object_get_ex(op, "ops", &val);
	json_object_set_int64(val, json_object_get_int64(val) + 1);
	if (res > 0) {
		json_object_object_get_ex(op, "bytes", &val);
		json_object_set_int64(val, json_object_get_int64(val) + res);
	}
	snprintf(key, sizeof(key), "%u", buf_index);
	json_add_count(r->buf_index_ops, key, 1);
}

void oracle_pinned_io(struct oracle_ring *r, unsigned long pages)
{
	r->used = true;
	r->pinned_ios++;
	r->pinned_pages += pages;
}

void oracle_refused_io(struct oracle_ring *r, const char *op_name, int err)
{
	json_object *op;

	r->used = true;
	if (!json_object_object_get_ex(r->refused_io, op_name, &op)) {
		op = json_object_new_object();
		json_object_object_add(r->refused_io, op_name, op);
	}
	json_add_count(op, errno_name(err), 1);
}

void oracle_direct_io(struct oracle *o, unsigned long pages)
{
	o->direct_ios++;
	o->direct_pages += pages;
}

void oracle_pinned_twice(struct oracle *o, int fd, int other_fd,
			 const char *opcode_name, unsigned long pages)
{
	struct twice_rec *t;
	int i;

	for (i = 0; i < o->nr_twice; i++) {
		t = &o->twice[i];
		if (t->fd == fd && t->other_fd == other_fd &&
		    !strcmp(t->opcode, opcode_name))
			break;
	}
	if (i == o->nr_twice) {
		if (o->nr_twice >= ORACLE_MAX_TWICE)
			return;
		o->twice[o->nr_twice++] = (struct twice_rec){ fd, other_fd,
							      opcode_name, 0 };
	}
	o->twice[i].pages += pages;
}

static json_object *twice_to_json(const struct oracle *o)
{
	json_object *arr = json_object_new_array();

	for (int i = 0; i < o->nr_twice; i++) {
		const struct twice_rec *t = &o->twice[i];
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "fd", json_object_new_int(t->fd));
		json_object_object_add(obj, "other_fd",
				       json_object_new_int(t->other_fd));
		json_object_object_add(obj, "opcode",
				       json_object_new_string(t->opcode));
		json_object_object_add(obj, "pages",
				       json_object_new_int64(t->pages));
		json_object_array_add(arr, obj);
	}
	return arr;
}

void oracle_set_extra(struct oracle *o, const char *key, json_object *val)
{
	if (!o->extra)
		o->extra = json_object_new_object();
	json_object_object_add(o->extra, key, val);
}

static json_object *json_copy(json_object *src)
{
	json_object *dst = NULL;

	if (json_object_deep_copy(src, &dst, NULL))
		return json_object_new_object();
	return dst;
}

static int key_cmp(const void *a, const void *b)
{
	const char *ka = *(const char *const *)a, *kb = *(const char *const *)b;
	char *enda, *endb;
	long na = strtol(ka, &enda, 10), nb = strtol(kb, &endb, 10);

	/* Buffer indexes in numeric order, names in alphabetical order. */
	if (!*enda && !*endb && na != nb)
		return na < nb ? -1 : 1;
	return strcmp(ka, kb);
}

/* A deep copy with keys sorted: output that does not vary run to run. */
static json_object *json_sorted_copy(json_object *src)
{
	int n = json_object_object_length(src), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	json_object *dst = json_object_new_object();

	if (!keys)
		return dst;
	json_object_object_foreach(src, key, val) {
		(void)val;
		keys[i++] = key;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++) {
		json_object *val = json_object_object_get(src, keys[i]);

		json_object_object_add(dst, keys[i], json_copy(val));
	}
	free(keys);
	return dst;
}

static json_object *io_pair(unsigned long ios, unsigned long pages)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "ios", json_object_new_int64(ios));
	json_object_object_add(obj, "pages", json_object_new_int64(pages));
	return obj;
}

static json_object *reg_to_json(const struct reg_stats *s, bool clone)
{
	json_object *obj = json_object_new_object();
	const struct reg_delta *d = &s->sum;

#define ADD(key, v) json_object_object_add(obj, key, json_object_new_int64(v))
	ADD("calls", s->calls);
	ADD("slots", d->slots);
	ADD("buffers", d->buffers);
	ADD("bytes", d->bytes);
	ADD("pages", d->pages);
	ADD("bvecs", d->bvecs);
	ADD("huge_buffers", d->huge_buffers);
	ADD("acct_pages", d->acct_pages);
	ADD("shared", d->shared);
#undef ADD
	json_object_object_add(obj, "errors", json_sorted_copy(s->errors));
	json_object_object_add(obj, "opcodes", json_sorted_copy(s->opcodes));
	if (clone) {
		json_object *arr = json_object_new_array();

		for (int i = 0; i < s->nr_sources; i++) {
			json_object *src = json_object_new_object();

			json_object_object_add(src, "fd",
				json_object_new_int(s->sources[i].fd));
			json_object_object_add(src, "calls",
				json_object_new_int64(s->sources[i].calls));
			json_object_object_add(src, "buffers",
				json_object_new_int64(s->sources[i].buffers));
			json_object_array_add(arr, src);
		}
		json_object_object_add(obj, "sources", arr);
	}
	return obj;
}

static json_object *ring_to_json(const struct oracle_ring *r)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "pid", json_object_new_int(r->pid));
	json_object_object_add(obj, "fd", json_object_new_int(r->fd));
	json_object_object_add(obj, "comm", json_object_new_string(r->comm));
	json_object_object_add(obj, "setup_flags",
			       json_object_new_int64(r->setup_flags));
	if (r->found) {
		json_object *t = json_object_new_object();
		const struct reg_delta *d = &r->registered;

		json_object_object_add(t, "slots", json_object_new_int64(d->slots));
		json_object_object_add(t, "buffers", json_object_new_int64(d->buffers));
		json_object_object_add(t, "bytes", json_object_new_int64(d->bytes));
		json_object_object_add(t, "pages", json_object_new_int64(d->pages));
		json_object_object_add(t, "huge_buffers", json_object_new_int64(d->huge_buffers));
		json_object_object_add(t, "acct_pages", json_object_new_int64(d->acct_pages));
		json_object_object_add(t, "shared", json_object_new_int64(d->shared));
		json_object_object_add(obj, "origin", json_object_new_string("found"));
		json_object_object_add(obj, "registered", t);
	}
	for (int k = 0; k < REG_NR_KINDS; k++) {
		if (!r->reg[k].calls)
			continue;
		json_object_object_add(obj, reg_kind_key[k],
				       reg_to_json(&r->reg[k], k == REG_CLONE));
	}
	/* An idle ring is only pid, fd and flags (docs/json.md). */
	if (r->used) {
		json_object_object_add(obj, "fixed_io",
				       json_sorted_copy(r->fixed_io));
		json_object_object_add(obj, "buf_index_ops",
				       json_sorted_copy(r->buf_index_ops));
		json_object_object_add(obj, "refused_io",
				       json_sorted_copy(r->refused_io));
		json_object_object_add(obj, "pinned_io",
				       io_pair(r->pinned_ios, r->pinned_pages));
	}
	return obj;
}

json_object *oracle_to_json(const struct oracle *o)
{
	static const char *const status_name[] = {
		[ORACLE_RAN] = "ran",
		[ORACLE_SKIPPED] = "skipped",
		[ORACLE_FAILED] = "failed",
	};
	json_object *obj, *rings;

	if (o->replaced)
		return json_copy(o->replaced);

	obj = json_object_new_object();
	json_object_object_add(obj, "case", json_object_new_string(o->case_name));
	json_object_object_add(obj, "status",
			       json_object_new_string(status_name[o->status]));
	if (o->status != ORACLE_RAN)
		json_object_object_add(obj, "reason",
				       json_object_new_string(o->reason));
	json_object_object_add(obj, "pid", json_object_new_int(o->pid));
	json_object_object_add(obj, "comm", json_object_new_string(o->comm));
	if (o->status == ORACLE_SKIPPED)
		return obj;

	rings = json_object_new_array();
	for (int i = 0; i < o->nr_rings; i++)
		json_object_array_add(rings, ring_to_json(o->rings[i]));
	json_object_object_add(obj, "rings", rings);
	json_object_object_add(obj, "direct_io",
			       io_pair(o->direct_ios, o->direct_pages));
	json_object_object_add(obj, "pinned_twice", twice_to_json(o));
	if (o->extra) {
		json_object_object_foreach(o->extra, key, val)
			json_object_object_add(obj, key, json_copy(val));
	}
	return obj;
}
