// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "pinscope.skel.h"
#include "tracer.h"

#define MAX_HOOKS 16

struct tracer {
	struct pinscope_bpf *skel;
	struct ring_buffer *rb;
	tracer_event_fn on_event;
	void *cookie;
	bool acct_pages_known;
	int stats_fd;		/* BPF_ENABLE_STATS: stats on while open */
	struct tracer_hook hooks[MAX_HOOKS];
	size_t nr_hooks;
};

/* What each program measures, for the report's "which hook produced it". */
static const struct { const char *prog, *measure; } prog_measures[] = {
	{ "ps_ring_create",  "ring_create" },
	{ "ps_reg_enter",    "register" },
	{ "ps_reg_done",     "register" },
	{ "ps_reg_exit",     "register" },
	{ "ps_complete",     "fixed_io" },
	{ "ps_complete_old", "fixed_io" },
	{ "ps_complete_read", "fixed_io" },
	{ "ps_submit",       "io_latency" },
	{ "ps_submit_old",   "io_latency" },
	{ "ps_dio_begin",    "pinned_io" },
	{ "ps_bio_queue",    "pinned_bios" },
	{ "ps_fork",         "process_tree" },
};

static void set_err(char *err, size_t len, const char *fmt, const char *what, int e)
{
	snprintf(err, len, fmt, what, strerror(e));
}

/*
 * Tracepoint flavours differ between kernels: decide each program's
 * autoload from the running kernel's BTF before load.
 */
static void choose_programs(struct pinscope_bpf *s, const struct tracer_opts *o,
			    const struct kernel_info *ki)
{
	bool cqe_proto = kbtf_tp_nargs(ki, "io_uring_complete") == 3;
	bool submit_req = kbtf_tp_nargs(ki, "io_uring_submit_req") >= 0;
	int64_t v;

	bool cast = kbtf_has_func(ki, "bpf_rdonly_cast");

	bpf_program__set_autoload(s->progs.ps_complete, cqe_proto && cast);
	bpf_program__set_autoload(s->progs.ps_complete_read, cqe_proto && !cast);
	bpf_program__set_autoload(s->progs.ps_complete_old, !cqe_proto);
	bpf_program__set_autoload(s->progs.ps_submit, o->io_latency && submit_req);
	bpf_program__set_autoload(s->progs.ps_submit_old, o->io_latency && !submit_req &&
				  kbtf_tp_nargs(ki, "io_uring_submit_sqe") >= 0);
	bpf_program__set_autoload(s->progs.ps_dio_begin,
				  kbtf_tp_nargs(ki, "iomap_dio_rw_begin") >= 0);
	bpf_program__set_autoload(s->progs.ps_bio_queue,
				  kbtf_enum_value(ki, "BIO_PAGE_PINNED", &v));
	bpf_program__set_autoload(s->progs.ps_fork, o->filter_pids);
	if (o->registration_only) {
		/* users who cannot pay any per-IO cost keep registrations only */
		bpf_program__set_autoload(s->progs.ps_complete, false);
		bpf_program__set_autoload(s->progs.ps_complete_read, false);
		bpf_program__set_autoload(s->progs.ps_complete_old, false);
		bpf_program__set_autoload(s->progs.ps_submit, false);
		bpf_program__set_autoload(s->progs.ps_submit_old, false);
		bpf_program__set_autoload(s->progs.ps_dio_begin, false);
		bpf_program__set_autoload(s->progs.ps_bio_queue, false);
	}

	s->rodata->filter_tgid = o->filter_pids;
	s->rodata->emit_events = o->events;
	s->rodata->io_latency = o->io_latency;
	if (kbtf_enum_value(ki, "BIO_PAGE_PINNED", &v))
		s->rodata->bio_pinned_bit = v;
}

static void record_hooks(struct tracer *t)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, t->skel->obj) {
		if (!bpf_program__autoload(prog) || t->nr_hooks == MAX_HOOKS)
			continue;
		for (size_t i = 0; i < sizeof(prog_measures) / sizeof(prog_measures[0]); i++)
			if (!strcmp(prog_measures[i].prog, bpf_program__name(prog))) {
				t->hooks[t->nr_hooks].measure = prog_measures[i].measure;
				t->hooks[t->nr_hooks].attach = bpf_program__section_name(prog);
				t->nr_hooks++;
			}
	}
}

static int ring_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (size < sizeof(struct ps_event) || !t->on_event)
		return 0;
	return t->on_event(t->cookie, data);
}

int tracer_new(const struct tracer_opts *o, const struct kernel_info *ki,
	       struct tracer **out, char *err, size_t errlen)
{
	struct tracer *t;
	bool mounted;
	int e;

	*out = NULL;
	if (o->backend && strcmp(o->backend, "auto") && strcmp(o->backend, "tracepoint")) {
		if (!strcmp(o->backend, "fentry") || !strcmp(o->backend, "kprobe"))
			snprintf(err, errlen, "backend '%s' is not built into this pinscope "
				 "(available: tracepoint)", o->backend);
		else
			snprintf(err, errlen, "unknown backend '%s' (fentry, kprobe, tracepoint, auto)",
				 o->backend);
		return -EINVAL;
	}
	if (!ki->btf) {
		snprintf(err, errlen, "this kernel has no BTF (/sys/kernel/btf/vmlinux); "
			 "pinscope's CO-RE programs need it");
		return -ENOENT;
	}
	/* classic syscall tracepoints attach through tracefs */
	e = ensure_tracefs(&mounted);
	if (e) {
		set_err(err, errlen, "tracefs is not mounted and mounting it failed (%s: %s); "
			"run: mount -t tracefs nodev /sys/kernel/tracing", "mount", -e);
		return e;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->stats_fd = -1;
	t->skel = pinscope_bpf__open();
	if (!t->skel) {
		e = -errno;
		set_err(err, errlen, "%s: %s", "opening the BPF object", -e);
		goto fail;
	}
	choose_programs(t->skel, o, ki);
	t->acct_pages_known = kbtf_has_member(ki, "io_mapped_ubuf", "acct_pages");
	e = pinscope_bpf__load(t->skel);
	if (e) {
		set_err(err, errlen, "loading BPF programs failed (%s: %s; -v shows libbpf's log)",
			"load", -e);
		goto fail;
	}
	e = pinscope_bpf__attach(t->skel);
	if (e) {
		set_err(err, errlen, "attaching BPF programs failed (%s: %s; -v shows libbpf's log)",
			"attach", -e);
		goto fail;
	}
	if (o->events) {
		t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), ring_event, t, NULL);
		if (!t->rb) {
			e = -errno;
			set_err(err, errlen, "%s: %s", "ring buffer", -e);
			goto fail;
		}
	}
	if (o->bpf_stats) {
		t->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (t->stats_fd < 0) {
			e = -errno;
			set_err(err, errlen, "%s: %s", "enabling BPF run-time statistics", -e);
			goto fail;
		}
	}
	record_hooks(t);
	*out = t;
	return 0;
fail:
	tracer_free(t);
	return e < 0 ? e : -EINVAL;
}

void tracer_free(struct tracer *t)
{
	if (!t)
		return;
	if (t->stats_fd >= 0)
		close(t->stats_fd);
	ring_buffer__free(t->rb);
	pinscope_bpf__destroy(t->skel);
	free(t);
}

int tracer_trace_pid(struct tracer *t, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.traced), &key, &one, BPF_ANY);
}

void tracer_on_event(struct tracer *t, tracer_event_fn fn, void *cookie)
{
	t->on_event = fn;
	t->cookie = cookie;
}

bool tracer_has_events(const struct tracer *t)
{
	return t->rb != NULL;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	if (!t->rb)
		return 0;
	return ring_buffer__poll(t->rb, timeout_ms);
}

const char *tracer_backend(const struct tracer *t)
{
	return "tracepoint";
}

size_t tracer_hooks(const struct tracer *t, const struct tracer_hook **hooks)
{
	*hooks = t->hooks;
	return t->nr_hooks;
}

bool tracer_acct_pages_known(const struct tracer *t)
{
	return t->acct_pages_known;
}

size_t tracer_prog_stats(const struct tracer *t, struct prog_stat *out, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	if (t->stats_fd < 0)
		return 0;
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (n == max || bpf_program__fd(prog) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		out[n].name = bpf_program__name(prog);
		out[n].attach = bpf_program__section_name(prog);
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

struct pinscope_bpf *tracer_skel(struct tracer *t)
{
	return t->skel;
}
