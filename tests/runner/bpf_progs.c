// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Which pinscope BPF programs are loaded: walk the program ids with bpf(2)
 * (BPF_PROG_GET_NEXT_ID, BPF_PROG_GET_FD_BY_ID, BPF_OBJ_GET_INFO_BY_FD) and
 * keep those named ps_*. Plain syscalls, so the runner needs no libbpf.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

#include "runner.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int prog_name(unsigned int id, char *name, size_t len)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	int fd, ret = 0;

	memset(&attr, 0, sizeof(attr));
	attr.prog_id = id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		ret = -errno;
	else
		snprintf(name, len, "%.*s", (int)sizeof(info.name), info.name);
	close(fd);
	return ret;
}

int bpf_ps_progs(struct id_set *out, struct strbuf *names)
{
	union bpf_attr attr;
	unsigned int id = 0;
	char name[32];
	int ret;

	memset(out, 0, sizeof(*out));
	for (;;) {
		memset(&attr, 0, sizeof(attr));
		attr.start_id = id;
		if (sys_bpf(BPF_PROG_GET_NEXT_ID, &attr)) {
			if (errno == ENOENT)
				return 0;
			ret = -errno;
			id_set_free(out);
			return ret;
		}
		id = attr.next_id;
		ret = prog_name(id, name, sizeof(name));
		if (ret == -ENOENT)	/* unloaded while we walked */
			continue;
		if (ret) {
			id_set_free(out);
			return ret;
		}
		if (strncmp(name, "ps_", 3))
			continue;
		out->ids = realloc(out->ids, (out->n + 1) * sizeof(*out->ids));
		if (!out->ids)
			abort();
		out->ids[out->n++] = id;
		if (names)
			sb_appendf(names, "%s%s (id %u)", names->len ? ", " : "",
				   name, id);
	}
}

void id_set_free(struct id_set *s)
{
	free(s->ids);
	s->ids = NULL;
	s->n = 0;
}

static bool id_set_has(const struct id_set *s, unsigned int id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

bool ps_progs_snapshot(struct test *t, struct id_set *out)
{
	int ret;

	if (!env.privileged) {
		memset(out, 0, sizeof(*out));
		test_note(t, "not privileged: cannot list BPF programs, leak check skipped");
		return false;
	}
	ret = bpf_ps_progs(out, NULL);
	if (ret) {
		test_note(t, "cannot list BPF programs: %s; leak check skipped",
			  strerror(-ret));
		return false;
	}
	if (out->n)
		test_note(t, "%zu ps_* BPF programs were already loaded before this test",
			  out->n);
	return true;
}

/*
 * Freeing a program can lag its last fd a little (links are released from
 * a workqueue, trampolines wait for RCU), so poll rather than look once.
 */
void expect_no_new_ps_progs(struct test *t, const struct id_set *before,
			    int timeout_ms)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	int waited = 0;

	for (;;) {
		struct strbuf names = {0}, left = {0};
		struct id_set now;
		size_t fresh = 0;
		int ret = bpf_ps_progs(&now, &names);

		if (ret) {
			test_fail(t, "listing BPF programs: %s", strerror(-ret));
			sb_free(&names);
			return;
		}
		for (size_t i = 0; i < now.n; i++) {
			if (id_set_has(before, now.ids[i]))
				continue;
			fresh++;
			sb_appendf(&left, "%s%u", left.len ? ", " : "", now.ids[i]);
		}
		id_set_free(&now);
		if (!fresh || waited >= timeout_ms || pt_interrupted) {
			if (fresh)
				test_fail(t, "ps_* BPF programs still loaded %d ms after pinscope exited: ids %s (all ps_*: %s)",
					  waited, sb_str(&left), sb_str(&names));
			sb_free(&names);
			sb_free(&left);
			return;
		}
		sb_free(&names);
		sb_free(&left);
		nanosleep(&pause, NULL);
		waited += 50;
	}
}
