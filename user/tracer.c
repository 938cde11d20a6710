// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "event_widen.h"
#include "internals.h"
#include "probes.h"
#include "pinscope.skel.h"
#include "tracer.h"

#define MAX_HOOKS 48

struct tracer {
	struct pinscope_bpf *skel;
	struct ring_buffer *rb;
	tracer_event_fn on_event;
	void *cookie;
	bool acct_pages_known;
	int stats_fd;		/* BPF_ENABLE_STATS: stats on while open */
	struct tracer_hook hooks[MAX_HOOKS];
	size_t nr_hooks;
	enum flavour flavour;
	char refused[FLAVOUR_NONE][160];	/* why fentry / kprobe were not used */
	/* io_complete_rw, _iopoll, iomap_dio_bio_end_io, io_uring_release */
	uint64_t ksyms[4];
	bool looks;		/* the look iterators are loaded */
	uint32_t look_gen;
	pthread_t kallsyms_thread;
	bool kallsyms_running;
};

/* What each program measures, for the report's "which hook produced it". */
static const struct { const char *prog, *measure; } prog_measures[] = {
	{ "ps_ring_create",  "ring_create" },
	{ "ps_reg_enter",    "register" },
	{ "ps_reg_enter_read", "register" },
	{ "ps_reg_enter_tp", "register" },
	{ "ps_reg_done",     "register" },
	{ "ps_reg_done_read", "register" },
	{ "ps_reg_exit",     "register" },
	{ "ps_complete",     "fixed_io" },
	{ "ps_complete_old", "fixed_io" },
	{ "ps_complete_read", "fixed_io" },
	{ "ps_submit",       "io_latency" },
	{ "ps_submit_old",   "io_latency" },
	{ "ps_req_failed",   "fixed_io" },
	{ "ps_dio_begin",    "pinned_io" },
	{ "ps_bio_queue",    "pinned_io" },
	{ "ps_fork",         "process_tree" },
	{ "ps_close",        "ring_lifetime" },
	{ "ps_exit",         "process_exit" },
	{ "ps_look_files",   "look" },
	{ "ps_look_tasks",   "look" },
	{ "ps_setup_enter",  "setup" },
	{ "ps_setup_exit",   "setup" },
	{ "ps_enter_enter",  "import_ring" },
	{ "ps_enter_exit",   "import_ring" },
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

	/* the io_uring_register tracepoint ends every call that reached a ring */
	bpf_program__set_autoload(s->progs.ps_reg_exit, false);
	bpf_program__set_autoload(s->progs.ps_reg_done, cast);
	bpf_program__set_autoload(s->progs.ps_reg_done_read, !cast);
	bpf_program__set_autoload(s->progs.ps_reg_enter_read, false);	/* try_flavour decides */
	bpf_program__set_autoload(s->progs.ps_reg_enter_tp, false);
	bpf_program__set_autoload(s->progs.ps_complete, cqe_proto && cast);
	bpf_program__set_autoload(s->progs.ps_complete_read, cqe_proto && !cast);
	bpf_program__set_autoload(s->progs.ps_complete_old, !cqe_proto);
	bpf_program__set_autoload(s->progs.ps_submit, o->io_latency && submit_req);
	bpf_program__set_autoload(s->progs.ps_submit_old, o->io_latency && !submit_req &&
				  kbtf_tp_nargs(ki, "io_uring_submit_sqe") >= 0);
	bpf_program__set_autoload(s->progs.ps_req_failed,
				  kbtf_tp_nargs(ki, "io_uring_req_failed") >= 0);
	/* what direct IO pinned: iomap's bios (iomap_dio_rw_begin has only the request) */
	bool dio = kbtf_has_type(ki, "iomap_dio", BTF_KIND_STRUCT);
	bool dio_marks = dio && kbtf_tp_nargs(ki, "iomap_dio_rw_begin") >= 0 &&
			 !o->registration_only;

	bpf_program__set_autoload(s->progs.ps_bio_queue,
				  dio || kbtf_enum_value(ki, "BIO_PAGE_PINNED", &v));
	/* where it exists, it tells which bio is the first of an IO outside io_uring */
	bpf_program__set_autoload(s->progs.ps_dio_begin, dio_marks);
	s->rodata->dio_begin_marks = dio_marks;
	bpf_program__set_autoload(s->progs.ps_fork, o->filter_pids);
	bpf_program__set_autoload(s->progs.ps_close, o->buffers);
	bpf_program__set_autoload(s->progs.ps_exit, o->buffers || o->filter_pids);
	/* task iterators: 5.8+; without them rings are found through fdinfo */
	bool looks = kbtf_has_type(ki, "bpf_iter__task_file", BTF_KIND_STRUCT) &&
		     kbtf_has_type(ki, "bpf_iter__task", BTF_KIND_STRUCT) && !o->no_looks;

	bpf_program__set_autoload(s->progs.ps_look_files, looks);
	bpf_program__set_autoload(s->progs.ps_look_tasks, looks);
	s->rodata->emit_buffers = o->buffers;
	/* a registration can fill 16,384 slots: room for a few at once */
	if (o->buffers)
		bpf_map__set_max_entries(s->maps.events, 8 << 20);
	/*
	 * trace: ~620 bytes per ring creation or failed call, ~200 per call
	 * that succeeded; 1 MiB holds ~1,700 to ~5,000 between two reads.
	 * Its pages are mapped into pinscope twice (wrap-around) and count in
	 * its RSS; a churn of short-lived rings on a busy machine wants more
	 * (--buffer-size; losses are counted).
	 */
	if (o->all_events)
		bpf_map__set_max_entries(s->maps.events, 1 << 20);
	if (o->buffer_size)
		bpf_map__set_max_entries(s->maps.events, o->buffer_size);
	s->rodata->events_size = bpf_map__max_entries(s->maps.events);
	/* arrays are allocated whole at load: latency's only when measured */
	if (!o->io_latency) {
		bpf_map__set_max_entries(s->maps.io_start, 1);
		bpf_map__set_max_entries(s->maps.io_lat_hists, 1);
	}
	if (o->registration_only) {
		/* users who cannot pay any per-IO cost keep registrations only */
		bpf_program__set_autoload(s->progs.ps_complete, false);
		bpf_program__set_autoload(s->progs.ps_complete_read, false);
		bpf_program__set_autoload(s->progs.ps_complete_old, false);
		bpf_program__set_autoload(s->progs.ps_submit, false);
		bpf_program__set_autoload(s->progs.ps_submit_old, false);
		bpf_program__set_autoload(s->progs.ps_req_failed, false);
		bpf_program__set_autoload(s->progs.ps_dio_begin, false);
		bpf_program__set_autoload(s->progs.ps_bio_queue, false);
	}

	if (o->table_size) {
		/* the same proportions as the defaults in maps.bpf.h */
		bpf_map__set_max_entries(s->maps.traced, o->table_size);
		bpf_map__set_max_entries(s->maps.proc_stats, o->table_size);
		/*
		 * An LRU map evicts before it is full (its free lists are per
		 * CPU): small tables get room to spare, so no lost ring's id 0
		 * is evicted and the loss counted twice.
		 */
		bpf_map__set_max_entries(s->maps.ring_ids, 2 * o->table_size + 4096);
		bpf_map__set_max_entries(s->maps.rings, o->table_size);
		bpf_map__set_max_entries(s->maps.pin_stats, o->table_size);
		bpf_map__set_max_entries(s->maps.io_stats, 4 * o->table_size);
		bpf_map__set_max_entries(s->maps.reg_stats, 4 * o->table_size);
		bpf_map__set_max_entries(s->maps.reg_errors, 4 * o->table_size);
	}
	s->rodata->nr_io_uring_register = __NR_io_uring_register;
	s->rodata->nr_close = __NR_close;
	s->rodata->filter_tgid = o->filter_pids;
	s->rodata->emit_events = o->events || o->all_events;
	s->rodata->emit_all_events = o->all_events;
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
		const char *name = bpf_program__name(prog), *measure = NULL;

		for (size_t i = 0; i < sizeof(prog_measures) / sizeof(prog_measures[0]); i++)
			if (!strcmp(prog_measures[i].prog, name))
				measure = prog_measures[i].measure;
		if (!measure)
			measure = internals_measure(t->skel, prog);
		if (!measure)
			continue;
		t->hooks[t->nr_hooks].measure = measure;
		t->hooks[t->nr_hooks].attach = bpf_program__section_name(prog);
		t->nr_hooks++;
		/* ps_close's work, done by this program */
		if (t->skel->rodata->close_in_reg_enter && t->nr_hooks < MAX_HOOKS &&
		    (!strcmp(name, "ps_reg_enter") || !strcmp(name, "ps_reg_enter_read"))) {
			t->hooks[t->nr_hooks] = t->hooks[t->nr_hooks - 1];
			t->hooks[t->nr_hooks].measure = "ring_lifetime";
			t->nr_hooks++;
		}
	}
}

static int ring_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	struct ps_event wide;
	const void *rec;

	if (size < sizeof(__u32) || !t->on_event)
		return 0;
	rec = event_widen(data, &size, &wide);
	return t->on_event(t->cookie, rec, size);
}

/* /proc/kallsyms takes ~50 ms to read: do it on the other core meanwhile. */
static void *kallsyms_worker(void *arg)
{
	static const char *const syms[] = { "io_complete_rw", "io_complete_rw_iopoll",
					    "iomap_dio_bio_end_io", "io_uring_release" };
	struct tracer *t = arg;

	kallsyms_find(syms, 4, t->ksyms);
	return NULL;
}

static void join_kallsyms(struct tracer *t)
{
	if (!t->kallsyms_running)
		return;
	pthread_join(t->kallsyms_thread, NULL);
	t->kallsyms_running = false;
}

/* Opens, configures, loads and attaches the object for one flavour. */
static int try_flavour(struct tracer *t, const struct tracer_opts *o,
		       const struct kernel_info *ki, enum flavour f, char *why, size_t len)
{
	int e;

	/* PINSCOPE_DEBUG_VERIFIER with -v: each program's verifier statistics */
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .kernel_log_level = getenv("PINSCOPE_DEBUG_VERIFIER") ? 4 : 0);

	t->skel = pinscope_bpf__open_opts(&open_opts);
	if (!t->skel) {
		e = -errno;
		snprintf(why, len, "opening the BPF object: %s", strerror(-e));
		return e;
	}
	choose_programs(t->skel, o, ki);
	if (f != FLAVOUR_NONE && !internals_choose(t->skel, ki, f, o->registration_only)) {
		snprintf(why, len, "no io_uring function it needs is %s here",
			 f == FLAVOUR_FENTRY ? "in BTF" : "in /proc/kallsyms");
		e = -ENOENT;
		goto fail;
	}
	if (f == FLAVOUR_NONE)
		internals_choose(t->skel, ki, f, o->registration_only);
	/*
	 * After the hooks, where a syscall hook may have taken ps_reg_enter's
	 * place: the flavour without bpf_rdonly_cast, or for --registration-only
	 * the call's own tracepoint, which costs other system calls less.
	 */
	if (bpf_program__autoload(t->skel->progs.ps_reg_enter) &&
	    (o->registration_only || !kbtf_has_func(ki, "bpf_rdonly_cast"))) {
		bpf_program__set_autoload(t->skel->progs.ps_reg_enter, false);
		bpf_program__set_autoload(o->registration_only ? t->skel->progs.ps_reg_enter_tp :
					  t->skel->progs.ps_reg_enter_read, true);
	}
	if (bpf_program__autoload(t->skel->progs.ps_close) &&
	    (bpf_program__autoload(t->skel->progs.ps_reg_enter) ||
	     bpf_program__autoload(t->skel->progs.ps_reg_enter_read))) {
		bpf_program__set_autoload(t->skel->progs.ps_close, false);
		t->skel->rodata->close_in_reg_enter = true;
	}
	kernel_info_release_btf(ki);
	e = pinscope_bpf__load(t->skel);
	if (e) {
		snprintf(why, len, "load: %s%s", strerror(-e),
			 e == -EPERM && f == FLAVOUR_FENTRY ? " (kernel lockdown)" : "");
		goto fail;
	}
	join_kallsyms(t);
	t->skel->bss->io_complete_rw_addr = t->ksyms[0];
	t->skel->bss->io_complete_rw_iopoll_addr = t->ksyms[1];
	t->skel->bss->iomap_dio_end_io_addr = t->ksyms[2];
	t->skel->bss->io_uring_release_addr = t->ksyms[3];
	t->looks = bpf_program__autoload(t->skel->progs.ps_look_files) && t->ksyms[3];
	e = pinscope_bpf__attach(t->skel);
	if (e) {
		snprintf(why, len, "attach: %s%s", strerror(-e),
			 f == FLAVOUR_KPROBE && e == -ENOENT ? " (no kprobes in this kernel)" : "");
		goto fail;
	}
	t->flavour = f;
	return 0;
fail:
	pinscope_bpf__destroy(t->skel);
	t->skel = NULL;
	return e;
}

/*
 * Refusals that cost a few milliseconds instead of a full load: no kprobe
 * PMU, or a trivial fentry program the kernel will not load (lockdown).
 */
static int precheck_flavour(const struct kernel_info *ki, enum flavour f,
			    char *why, size_t len)
{
	struct probe_result r = {};

	if (f == FLAVOUR_KPROBE && !kernel_has_kprobes()) {
		snprintf(why, len, "kprobes are not built into this kernel (no kprobe PMU)");
		return -EOPNOTSUPP;
	}
	if (f != FLAVOUR_FENTRY)
		return 0;
	probe_fentry_load(ki, "io_sqe_buffers_register", &r);
	if (r.yes)
		return 0;
	snprintf(why, len, "%s", r.how);
	return -EPERM;
}

/* auto: fentry, then kprobe, then tracepoints only; a named backend: just it. */
static int flavours_for(const char *backend, enum flavour *list)
{
	if (!backend || !strcmp(backend, "auto")) {
		list[0] = FLAVOUR_FENTRY;
		list[1] = FLAVOUR_KPROBE;
		list[2] = FLAVOUR_NONE;
		return 3;
	}
	for (int f = FLAVOUR_FENTRY; f <= FLAVOUR_NONE; f++)
		if (!strcmp(backend, flavour_name(f))) {
			list[0] = f;
			return 1;
		}
	return 0;
}

int tracer_new(const struct tracer_opts *o, const struct kernel_info *ki,
	       struct tracer **out, char *err, size_t errlen)
{
	enum flavour list[3];
	char why[160] = "";
	struct tracer *t;
	int n, e = -EINVAL;
	bool mounted;

	*out = NULL;
	n = flavours_for(o->backend, list);
	if (!n) {
		snprintf(err, errlen, "unknown backend '%s' (fentry, kprobe, tracepoint, auto)",
			 o->backend);
		return -EINVAL;
	}
	if (!ki->btf) {
		kbtf_why_not(ki, err, errlen);
		return ki->btf_err;
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
	t->acct_pages_known = kbtf_has_member(ki, "io_mapped_ubuf", "acct_pages");
	t->kallsyms_running = !pthread_create(&t->kallsyms_thread, NULL, kallsyms_worker, t);
	for (int i = 0; i < n; i++) {
		e = precheck_flavour(ki, list[i], why, sizeof(why));
		if (!e)
			e = try_flavour(t, o, ki, list[i], why, sizeof(why));
		if (!e)
			break;
		if (list[i] != FLAVOUR_NONE)
			snprintf(t->refused[list[i]], sizeof(t->refused[0]), "%s", why);
	}
	/*
	 * libbpf turns ENOMEM while reading the BTF into ESRCH: ask again; under
	 * an address-space limit (ulimit -v) the second read may fit where the
	 * load did not, and the limit is the likelier cause all the same.
	 */
	if (e && (e == -ENOMEM || e == -ESRCH) &&
	    (kbtf_load_errno() == -ENOMEM || memory_limit_note(why, sizeof(why))[0])) {
		snprintf(err, errlen, "out of memory loading the BPF programs%s",
			 memory_limit_note(why, sizeof(why)));
		goto fail;
	}
	if (e) {
		snprintf(err, errlen, "backend %s unusable here: %s (-v: libbpf's log)",
			 flavour_name(list[n - 1]), why);
		goto fail;
	}
	if (o->events || o->all_events) {
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
	join_kallsyms(t);
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

bool tracer_traces_pid(const struct tracer *t, pid_t pid)
{
	__u32 key = pid;
	__u8 v;

	return !t->skel->rodata->filter_tgid ||
	       !bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.traced), &key, &v);
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
	int n;

	if (!t->rb)
		return 0;
	n = ring_buffer__poll(t->rb, timeout_ms);
	/*
	 * Records wake the reader only once the buffer is a quarter full
	 * (ps_rb_wakeup): whatever came in meanwhile is read here.
	 */
	if (n >= 0) {
		int more = ring_buffer__consume(t->rb);

		n = more < 0 ? more : n + more;
	}
	return n;
}

const char *tracer_backend(const struct tracer *t)
{
	return flavour_name(t->flavour);
}

const char *tracer_refused(const struct tracer *t, int flavour)
{
	return flavour < FLAVOUR_NONE && t->refused[flavour][0] ? t->refused[flavour] : NULL;
}

bool tracer_measures(const struct tracer *t, const char *measure)
{
	for (size_t i = 0; i < t->nr_hooks; i++)
		if (!strcmp(t->hooks[i].measure, measure))
			return true;
	return false;
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

/* What the kernel says of a loaded program; false when it is not loaded. */
static bool prog_info(const struct bpf_program *prog, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_program__fd(prog) >= 0 &&
	       !bpf_obj_get_info_by_fd(bpf_program__fd(prog), info, &len);
}

size_t tracer_prog_stats(const struct tracer *t, struct prog_stat *out, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	if (t->stats_fd < 0)
		return 0;
	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;

		if (n == max || !prog_info(prog, &info))
			continue;
		out[n].name = bpf_program__name(prog);
		out[n].attach = bpf_program__section_name(prog);
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		out[n].misses = info.recursion_misses;
		n++;
	}
	return n;
}

/*
 * The kernel skips a program when the same program is already running on
 * the CPU (a preempted or interrupted run); the skip is an event pinscope
 * never saw, so it is counted whether or not run-time statistics are on.
 */
unsigned long long tracer_missed_runs(const struct tracer *t)
{
	struct bpf_program *prog;
	unsigned long long missed = 0;

	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info;

		if (prog_info(prog, &info))
			missed += info.recursion_misses;
	}
	return missed;
}

struct pinscope_bpf *tracer_skel(struct tracer *t)
{
	return t->skel;
}

bool tracer_has_looks(const struct tracer *t)
{
	return t->looks;
}

unsigned int tracer_table_size(const struct tracer *t)
{
	return bpf_map__max_entries(t->skel->maps.rings);
}

/* Runs one iterator to its end; what it prints is nothing, its work is in the maps. */
static int run_iter(struct bpf_link *link)
{
	char buf[64];
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

int tracer_look(struct tracer *t, uint32_t *gen)
{
	int e;

	if (!t->looks)
		return -EOPNOTSUPP;
	t->skel->bss->look_gen = ++t->look_gen;
	*gen = t->look_gen;
	/* tasks first: see looks.bpf.h */
	e = run_iter(t->skel->links.ps_look_tasks);
	if (!e)
		e = run_iter(t->skel->links.ps_look_files);
	return e;
}
