// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "probe.skel.h"
#include "probes.h"

static const char *const flavour_names[BK_COUNT] = {
	"fentry", "kprobe", "tp_btf", "tracepoint",
};

static struct bpf_program *flavour_prog(struct probe_bpf *s, int f)
{
	switch (f) {
	case BK_FENTRY:		return s->progs.probe_fentry;
	case BK_KPROBE:		return s->progs.probe_kprobe;
	case BK_TP_BTF:		return s->progs.probe_tp_btf;
	default:		return s->progs.probe_tracepoint;
	}
}

void probe_flavour(int f, struct probe_result *r)
{
	struct probe_bpf *s = probe_bpf__open();
	struct bpf_link *link;
	int e;

	r->name = flavour_names[f];
	if (!s) {
		snprintf(r->how, sizeof(r->how), "open: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < BK_COUNT; i++)
		bpf_program__set_autoload(flavour_prog(s, i), i == f);
	e = probe_bpf__load(s);
	if (e) {
		snprintf(r->how, sizeof(r->how), "load: %s%s", strerror(-e),
			 e == -EPERM ? " (kernel lockdown refuses it)" : "");
		goto out;
	}
	link = bpf_program__attach(flavour_prog(s, f));
	if (!link) {
		e = -errno;
		snprintf(r->how, sizeof(r->how), "attach: %s%s", strerror(-e),
			 f == BK_KPROBE && (e == -ENOENT || e == -EOPNOTSUPP) ?
			 " (kprobes not built into this kernel)" : "");
		goto out;
	}
	bpf_link__destroy(link);
	r->yes = true;
	snprintf(r->how, sizeof(r->how), "loaded and attached");
out:
	probe_bpf__destroy(s);
}

void probe_backends(struct probe_result res[BK_COUNT])
{
	for (int f = 0; f < BK_COUNT; f++) {
		memset(&res[f], 0, sizeof(res[f]));
		probe_flavour(f, &res[f]);
	}
}
