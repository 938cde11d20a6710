// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
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

void probe_fentry_load(const struct kernel_info *ki, const char *func,
		       struct probe_result *r)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const struct btf *btf = kbtf_vmlinux(ki);
	int id = btf ? btf__find_by_name_kind(btf, func, BTF_KIND_FUNC) : -ENOENT;
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FENTRY);
	int fd;

	r->name = flavour_names[BK_FENTRY];
	r->yes = false;
	if (id < 0) {
		snprintf(r->how, sizeof(r->how), "%s is not a function in this kernel's BTF", func);
		return;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "ps_probe_fentry", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &opts);
	if (fd < 0) {
		snprintf(r->how, sizeof(r->how), "load: %s%s", strerror(errno),
			 errno == EPERM ? " (kernel lockdown refuses it)" : "");
		return;
	}
	close(fd);
	r->yes = true;
	snprintf(r->how, sizeof(r->how), "loaded");
}

void probe_backends(struct probe_result res[BK_COUNT])
{
	for (int f = 0; f < BK_COUNT; f++) {
		memset(&res[f], 0, sizeof(res[f]));
		probe_flavour(f, &res[f]);
	}
}
