// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kernel_info.h"
#include "mounts.h"

#define TRACEFS "/sys/kernel/tracing"
#define SECURITYFS "/sys/kernel/security"

void lockdown_mode(const char *line, char *out, size_t len)
{
	const char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;

	if (close)
		snprintf(out, len, "%.*s", (int)(close - open - 1), open + 1);
	else
		snprintf(out, len, "unknown");
}

static void read_lockdown(char *out, size_t len)
{
	char line[128];
	FILE *f = fopen(SECURITYFS "/lockdown", "r");

	if (!f && errno == ENOENT && ps_mount("securityfs", SECURITYFS) == 0)
		f = fopen(SECURITYFS "/lockdown", "r");
	snprintf(out, len, "unknown");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f))
		lockdown_mode(line, out, len);
	fclose(f);
}

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/*
 * libbpf's vmlinux loader says ESRCH for every failure: ask the file
 * itself (absent, unreadable), then parse it once more for the real errno.
 */
int kbtf_load_errno(void)
{
	struct btf *btf;
	int fd, e;

	fd = open(VMLINUX_BTF, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	btf = btf__parse(VMLINUX_BTF, NULL);
	e = (int)libbpf_get_error(btf);
	if (!e)
		btf__free(btf);
	return e;
}

const char *memory_limit_note(char *buf, size_t len)
{
	struct rlimit as;

	buf[0] = '\0';
	if (!getrlimit(RLIMIT_AS, &as) && as.rlim_cur != RLIM_INFINITY)
		snprintf(buf, len, " (address-space limit, ulimit -v: %llu KiB)",
			 (unsigned long long)as.rlim_cur / 1024);
	return buf;
}

const char *kbtf_why_not(const struct kernel_info *ki, char *buf, size_t len)
{
	char note[96];

	switch (ki->btf_err) {
	case -ENOENT:
		snprintf(buf, len, "this kernel has no BTF (" VMLINUX_BTF "); "
			 "pinscope's CO-RE programs need it");
		break;
	case -ENOMEM:
		snprintf(buf, len, "out of memory reading the kernel's BTF%s",
			 memory_limit_note(note, sizeof(note)));
		break;
	case -EACCES:
	case -EPERM:
		snprintf(buf, len, VMLINUX_BTF " is unreadable: %s", strerror(-ki->btf_err));
		break;
	default:
		snprintf(buf, len, "cannot read the kernel's BTF (" VMLINUX_BTF "): %s",
			 strerror(-ki->btf_err));
	}
	return buf;
}

int kernel_info_load(struct kernel_info *ki)
{
	struct utsname u;

	memset(ki, 0, sizeof(*ki));
	if (uname(&u) == 0)
		snprintf(ki->release, sizeof(ki->release), "%s", u.release);
	read_lockdown(ki->lockdown, sizeof(ki->lockdown));
	ki->vmlinux = btf__load_vmlinux_btf();
	if (libbpf_get_error(ki->vmlinux)) {
		ki->btf_err = kbtf_load_errno() ?: -ENOENT;
		ki->vmlinux = NULL;
	}
	ki->btf = ki->vmlinux != NULL;
	ki->has_clone_op = kbtf_enum_value(ki, "IORING_REGISTER_CLONE_BUFFERS", &ki->clone_op);
	return ki->btf ? 0 : -ENOENT;
}

void kernel_info_free(struct kernel_info *ki)
{
	btf__free(ki->vmlinux);
	ki->vmlinux = NULL;
}

void kernel_info_release_btf(const struct kernel_info *ki)
{
	struct kernel_info *w = (struct kernel_info *)ki;	/* a cache, not state */

	btf__free(w->vmlinux);
	w->vmlinux = NULL;
}

/* The parsed BTF, reloaded after kernel_info_release_btf(). */
const struct btf *kbtf_vmlinux(const struct kernel_info *ki)
{
	struct kernel_info *w = (struct kernel_info *)ki;

	if (!w->vmlinux && w->btf) {
		w->vmlinux = btf__load_vmlinux_btf();
		if (libbpf_get_error(w->vmlinux))
			w->vmlinux = NULL;
	}
	return w->vmlinux;
}

bool kbtf_enum_value(const struct kernel_info *ki, const char *name, int64_t *value)
{
	const struct btf *btf = kbtf_vmlinux(ki);
	__u32 n;

	if (!btf)
		return false;
	n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t);

			for (int i = 0; i < btf_vlen(t); i++)
				if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name)) {
					*value = e[i].val;
					return true;
				}
		} else if (btf_is_enum64(t)) {
			const struct btf_enum64 *e = btf_enum64(t);

			for (int i = 0; i < btf_vlen(t); i++)
				if (!strcmp(btf__name_by_offset(btf, e[i].name_off), name)) {
					*value = (int64_t)btf_enum64_value(&e[i]);
					return true;
				}
		}
	}
	return false;
}

bool kbtf_has_type(const struct kernel_info *ki, const char *name, int kind)
{
	return kbtf_vmlinux(ki) && btf__find_by_name_kind(kbtf_vmlinux(ki), name, kind) > 0;
}

bool kbtf_has_func(const struct kernel_info *ki, const char *name)
{
	return kbtf_has_type(ki, name, BTF_KIND_FUNC);
}

/*
 * Members of anonymous structs and unions count as the struct's own, as in
 * C: 6.13+ keeps io_ring_ctx's buf_table inside such a group.
 */
static bool btf_type_has_member(const struct btf *btf, const struct btf_type *t,
				const char *member, int depth)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, m[i].name_off);
		const struct btf_type *mt;

		if (name && !strcmp(name, member))
			return true;
		if ((name && *name) || depth > 8)
			continue;
		mt = btf__type_by_id(btf, m[i].type);
		while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
			mt = btf__type_by_id(btf, mt->type);
		if (mt && btf_is_composite(mt) && btf_type_has_member(btf, mt, member, depth + 1))
			return true;
	}
	return false;
}

bool kbtf_has_member(const struct kernel_info *ki, const char *strct, const char *member)
{
	const struct btf *btf = kbtf_vmlinux(ki);
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, strct, BTF_KIND_STRUCT);
	if (id <= 0)
		return false;
	return btf_type_has_member(btf, btf__type_by_id(btf, id), member, 0);
}

int kbtf_tp_nargs(const struct kernel_info *ki, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	const struct btf *btf = kbtf_vmlinux(ki);

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	/* typedef -> pointer -> func_proto; the first argument is the cookie */
	t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

/* "ffffffff81b4ca30 t io_complete_rw": address, type, name */
static void kallsyms_line(char *line, char *end, const char *const *names, size_t n,
			  uint64_t *addrs)
{
	char *type = memchr(line, ' ', end - line), *name;

	*end = '\0';
	if (!type || type + 3 >= end || (type[1] != 't' && type[1] != 'T'))
		return;
	name = type + 3;
	for (size_t i = 0; i < n; i++)
		if (!addrs[i] && !strcmp(name, names[i]))
			addrs[i] = strtoull(line, NULL, 16) ?: 1;	/* 0 = hidden */
}

int kallsyms_find(const char *const *names, size_t n, uint64_t *addrs)
{
	return kallsyms_find_in("/proc/kallsyms", names, n, addrs);
}

int kallsyms_find_in(const char *path, const char *const *names, size_t n, uint64_t *addrs)
{
	/* streamed: the whole file is megabytes, a peak RSS we need not pay */
	enum { CHUNK = 64 << 10 };
	char *buf, *line, *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool long_line = false;	/* dropping the rest of a line longer than buf */
	size_t len = 0;
	ssize_t r;

	memset(addrs, 0, n * sizeof(*addrs));
	if (fd < 0)
		return -errno;
	buf = malloc(CHUNK);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((r = read(fd, buf + len, CHUNK - len)) > 0) {
		len += r;
		line = buf;
		if (long_line) {
			if (!(end = memchr(buf, '\n', len))) {
				len = 0;
				continue;
			}
			line = end + 1;
			long_line = false;
		}
		for (; (end = memchr(line, '\n', buf + len - line)); line = end + 1)
			kallsyms_line(line, end, names, n, addrs);
		len = buf + len - line;
		memmove(buf, line, len);
		/* a line longer than the buffer is not a symbol line, its tail neither */
		if (len == CHUNK) {
			len = 0;
			long_line = true;
		}
	}
	if (len)	/* a last line without a newline */
		kallsyms_line(buf, buf + len, names, n, addrs);
	close(fd);
	free(buf);
	return 0;
}

bool kernel_has_kprobes(void)
{
	/* the perf kprobe PMU exists only with CONFIG_KPROBES */
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
}

int ensure_tracefs(bool *mounted_now)
{
	*mounted_now = false;
	if (access(TRACEFS "/events", F_OK) == 0)
		return 0;
	int e = ps_mount("tracefs", TRACEFS);

	if (e)
		return e;
	*mounted_now = true;
	return 0;
}
