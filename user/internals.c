// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "internals.h"
#include "pinscope.skel.h"

#define PROG(name) offsetof(struct pinscope_bpf, progs.name)
#define NONE ((size_t)-1)

/* The arch's syscall function prefix (bpf/compat.bpf.h: PS_SYSCALL_FN). */
#if defined(__aarch64__)
#define SYSCALL_PREFIX "__arm64_sys_"
#else
#define SYSCALL_PREFIX "__x64_sys_"
#endif

/*
 * One row per hook: its function and its four programs (entry may be NONE).
 * A syscall row stands in for syscall tracepoint programs (tp_entry,
 * tp_exit): used only where those are wanted, and then instead of them.
 */
static struct hook_row {
	struct internal_hook h;
	size_t fe_entry, fe_exit, kp_entry, kp_exit;
	bool per_io;		/* runs for every IO: off in --registration-only */
	size_t tp_entry, tp_exit;
} rows[] = {
#define ROW(m, fn, name, per_io) \
	{ { .measure = m, .func = #fn }, PROG(name##_fe), PROG(name##_fx), PROG(name##_kp), \
	  PROG(name##_kr), per_io, NONE, NONE }
#define EXIT_ROW(m, fn, name, per_io) \
	{ { .measure = m, .func = #fn }, NONE, PROG(name##_fx), NONE, PROG(name##_kr), per_io, \
	  NONE, NONE }
#define SYSCALL_ROW(m, sc, name, tp_enter, tp_exit) \
	{ { .measure = m, .func = SYSCALL_PREFIX #sc }, PROG(name##_fe), PROG(name##_fx), \
	  PROG(name##_kp), PROG(name##_kr), false, PROG(tp_enter), PROG(tp_exit) }
#define SYSCALL_ENTRY_ROW(m, sc, name, tp_enter) \
	{ { .measure = m, .func = SYSCALL_PREFIX #sc }, PROG(name##_fe), NONE, \
	  PROG(name##_kp), NONE, false, PROG(tp_enter), NONE }
	SYSCALL_ROW("register", io_uring_register, ps_sreg, ps_reg_enter, ps_reg_exit),
	SYSCALL_ENTRY_ROW("ring_lifetime", close, ps_sclose, ps_close),
	SYSCALL_ROW("import_ring", io_uring_enter, ps_senter, ps_enter_enter, ps_enter_exit),
	SYSCALL_ROW("setup", io_uring_setup, ps_ssetup, ps_setup_enter, ps_setup_exit),
	ROW("register_fn", io_sqe_buffers_register, ps_rf_reg, false),
	ROW("register_fn", io_register_clone_buffers, ps_rf_clone, false),
	ROW("register_fn", io_sqe_buffers_unregister, ps_rf_unreg, false),
	ROW("register_fn", io_register_rsrc_update, ps_rf_upd, false),
	EXIT_ROW("register_buffer", io_sqe_buffer_register, ps_bufreg, false),
	ROW("pin", io_pin_pages, ps_pin, false),
	EXIT_ROW("io_pin", pin_user_pages_fast, ps_pup_fast, true),
	EXIT_ROW("io_pin", pin_user_pages, ps_pup, true),
	ROW("charge", __io_account_mem, ps_charge, false),
	ROW("charge", io_account_mem, ps_charge3, false),
	ROW("import", io_import_reg_buf, ps_imp_buf, true),
	ROW("import", io_import_reg_vec, ps_imp_vec, true),
	ROW("import", io_import_fixed, ps_imp_imu, true),
};

#define NR_ROWS (sizeof(rows) / sizeof(rows[0]))

const char *flavour_name(enum flavour f)
{
	return f == FLAVOUR_FENTRY ? "fentry" : f == FLAVOUR_KPROBE ? "kprobe" : "tracepoint";
}

static struct bpf_program *prog_at(struct pinscope_bpf *s, size_t off)
{
	return off == NONE ? NULL : *(struct bpf_program **)((char *)s + off);
}

/* Kernel function param n's pointee struct name, or NULL. */
static const char *param_struct(const struct kernel_info *ki, const char *func, int n)
{
	const struct btf *btf = kbtf_vmlinux(ki);
	const struct btf_type *t;
	int id;

	if (!btf || (id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC)) <= 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* func_proto */
	if (!t || btf_vlen(t) <= n)
		return NULL;
	t = btf__type_by_id(btf, btf_params(t)[n].type);
	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_struct(t) ? btf__name_by_offset(btf, t->name_off) : NULL;
}

static bool returns_ptr(const struct kernel_info *ki, const char *func)
{
	const struct btf *btf = kbtf_vmlinux(ki);
	const struct btf_type *t;
	int id;

	if (!btf || (id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC)) <= 0)
		return false;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_ptr(t);
}

/* Which symbols kprobes could reach: one pass over /proc/kallsyms. */
static void scan_kallsyms(void)
{
	const char *names[NR_ROWS];
	uint64_t addrs[NR_ROWS];

	for (size_t i = 0; i < NR_ROWS; i++)
		names[i] = rows[i].h.func;
	if (kallsyms_find(names, NR_ROWS, addrs))
		return;
	for (size_t i = 0; i < NR_ROWS; i++)
		rows[i].h.in_kallsyms = addrs[i] != 0;
}

/*
 * The accounting function changed its arguments: (user, nr) for
 * __io_account_mem everywhere, (user, mm, nr) for io_account_mem on 7.x
 * (where __io_account_mem is no longer what registration calls), and
 * (ctx, nr) on 6.18. Pick the one whose first argument is the user.
 */
static bool charge3_applies(const struct kernel_info *ki)
{
	const char *p0 = param_struct(ki, "io_account_mem", 0);

	return p0 && !strcmp(p0, "user_struct");
}

size_t internals_probe(const struct kernel_info *ki, struct internal_hook **table,
		       bool want_kallsyms)
{
	static bool scanned;
	bool charge3 = charge3_applies(ki);

	if (want_kallsyms && !scanned) {
		scan_kallsyms();
		scanned = true;
	}
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct internal_hook *h = &rows[i].h;

		h->in_btf = kbtf_has_func(ki, h->func);
		h->applies = true;
		if (!strcmp(h->func, "io_account_mem"))
			h->applies = charge3;
		else if (!strcmp(h->func, "__io_account_mem"))
			h->applies = !charge3;
	}
	/* rows[] holds more than the hook facts: hand out a plain array */
	static struct internal_hook out[NR_ROWS];

	for (size_t i = 0; i < NR_ROWS; i++)
		out[i] = rows[i].h;
	*table = out;
	return NR_ROWS;
}

/* A row's program k: fentry, fexit, kprobe, kretprobe (NULL where none). */
static struct bpf_program *row_prog(struct pinscope_bpf *s, const struct hook_row *r, int k)
{
	size_t offs[4] = { r->fe_entry, r->fe_exit, r->kp_entry, r->kp_exit };

	return prog_at(s, offs[k]);
}

/* Loads a row's programs of flavour f when on, none of them otherwise. */
static void row_autoload(struct pinscope_bpf *s, const struct hook_row *r, enum flavour f,
			 bool on)
{
	for (int k = 0; k < 4; k++) {
		struct bpf_program *p = row_prog(s, r, k);
		bool mine = k < 2 ? f == FLAVOUR_FENTRY : f == FLAVOUR_KPROBE;

		if (p)
			bpf_program__set_autoload(p, on && mine);
	}
}

const char *internals_measure(struct pinscope_bpf *s, const struct bpf_program *p)
{
	for (size_t i = 0; i < NR_ROWS; i++)
		for (int k = 0; k < 4; k++)
			if (row_prog(s, &rows[i], k) == p)
				return rows[i].h.measure;
	return NULL;
}

static bool is_syscall_row(const struct hook_row *r)
{
	return r->tp_entry != NONE;
}

/*
 * A syscall row replaces its tracepoint programs where they are wanted (by
 * now their autoload says so) and the flavour reaches the function.
 */
static void choose_syscall_rows(struct pinscope_bpf *s, enum flavour f)
{
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct hook_row *r = &rows[i];

		if (!is_syscall_row(r))
			continue;
		struct bpf_program *tp_in = prog_at(s, r->tp_entry), *tp_out = prog_at(s, r->tp_exit);
		bool present = f == FLAVOUR_FENTRY ? r->h.in_btf : r->h.in_kallsyms;
		bool on = f != FLAVOUR_NONE && present && bpf_program__autoload(tp_in);

		r->h.chosen = on;
		row_autoload(s, r, f, on);
		if (on) {
			bpf_program__set_autoload(tp_in, false);
			if (tp_out)
				bpf_program__set_autoload(tp_out, false);
		}
	}
}

int internals_choose(struct pinscope_bpf *s, const struct kernel_info *ki, enum flavour f,
		     bool registration_only)
{
	struct internal_hook *table;
	int enabled = 0;

	internals_probe(ki, &table, f == FLAVOUR_KPROBE);
	for (size_t i = 0; i < NR_ROWS; i++) {
		struct hook_row *r = &rows[i];
		bool present = f == FLAVOUR_FENTRY ? r->h.in_btf : r->h.in_kallsyms;
		bool on = f != FLAVOUR_NONE && present && r->h.applies &&
			  !(registration_only && r->per_io);

		if (is_syscall_row(r))
			continue;	/* below, once the tracepoints wanted are known */
		r->h.chosen = on;
		enabled += on;
		row_autoload(s, r, f, on);
	}
	/*
	 * Buffers are known by owner and slot where the import hook sees no
	 * request, and on the old table layout (6.12 and before), where a
	 * SEND_ZC request's buf_index is reused and only req->imu is left.
	 */
	bool imu_import = rows[NR_ROWS - 1].h.chosen;	/* io_import_fixed */

	/* io_import_reg_buf / _vec see the request: count each request once */
	s->rodata->import_per_request = rows[NR_ROWS - 2].h.chosen || rows[NR_ROWS - 3].h.chosen;

	s->rodata->track_imu_owner = !registration_only &&
		(imu_import || !kbtf_has_member(ki, "io_ring_ctx", "buf_table"));
	s->rodata->bufreg_returns_ptr = returns_ptr(ki, "io_sqe_buffer_register");
	bpf_program__set_autoload(s->progs.ps_enter_enter, imu_import);
	bpf_program__set_autoload(s->progs.ps_enter_exit, imu_import);
	bpf_program__set_autoload(s->progs.ps_setup_enter, enabled > 0);
	bpf_program__set_autoload(s->progs.ps_setup_exit, enabled > 0);
	choose_syscall_rows(s, f);
	return enabled;
}
