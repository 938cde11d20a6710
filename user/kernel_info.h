/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the running kernel is and has, read from its BTF and /sys: the facts
 * that pick programs and knobs before load. Never a version number.
 */
#ifndef PS_KERNEL_INFO_H
#define PS_KERNEL_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

struct kernel_info {
	char release[65];
	char lockdown[32];	/* "integrity", "none", … or "unknown" */
	bool btf;		/* /sys/kernel/btf/vmlinux loads */
	int btf_err;		/* else why: -ENOENT, -EACCES, -ENOMEM, … */
	struct btf *vmlinux;	/* NULL without BTF */
	/*
	 * IORING_REGISTER_CLONE_BUFFERS's value, read with the BTF: check
	 * needs it after the run, when the BTF has been released.
	 */
	bool has_clone_op;
	int64_t clone_op;
};

int kernel_info_load(struct kernel_info *ki);
/*
 * The active mode in a line of securityfs's lockdown file, the bracketed
 * word ("none [integrity] confidentiality"), or "unknown".
 */
void lockdown_mode(const char *line, char *out, size_t len);
void kernel_info_free(struct kernel_info *ki);
/*
 * Drops the parsed BTF (libbpf parses its own copy at load: holding both
 * doubles peak memory); the kbtf_* queries reload it if asked again.
 */
void kernel_info_release_btf(const struct kernel_info *ki);

/* The parsed vmlinux BTF (reloaded if released), or NULL without BTF. */
const struct btf *kbtf_vmlinux(const struct kernel_info *ki);
/* An enumerator of any (also anonymous) enum, by name. */
bool kbtf_enum_value(const struct kernel_info *ki, const char *name, int64_t *value);
bool kbtf_has_type(const struct kernel_info *ki, const char *name, int kind);
bool kbtf_has_func(const struct kernel_info *ki, const char *name);
bool kbtf_has_member(const struct kernel_info *ki, const char *strct, const char *member);
/* Arguments of a tracepoint's btf_trace_<name> prototype, -1 if absent. */
int kbtf_tp_nargs(const struct kernel_info *ki, const char *tp);

/*
 * One pass over /proc/kallsyms: the address of each text symbol in names
 * (0 when absent or hidden). Returns 0 or -errno.
 */
int kallsyms_find(const char *const *names, size_t n, uint64_t *addrs);
/* The same over a file in /proc/kallsyms's format. */
int kallsyms_find_in(const char *path, const char *const *names, size_t n, uint64_t *addrs);
/* Cheap checks before trying a flavour: kprobes built in, fentry loadable. */
bool kernel_has_kprobes(void);

/* Why the vmlinux BTF does not load now (0: it does): tells memory apart. */
int kbtf_load_errno(void);
/* "one line: why the kernel's BTF is missing", from ki->btf_err */
const char *kbtf_why_not(const struct kernel_info *ki, char *buf, size_t len);
/* " (address-space limit, ulimit -v: N KiB)" when one is set, else "" */
const char *memory_limit_note(char *buf, size_t len);

/* Mounts tracefs at /sys/kernel/tracing when it is not there; says what it did. */
int ensure_tracefs(bool *mounted_now);

#endif
