// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinscope features: every decision the tool makes on this kernel, and why. */
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>
#include "commands.h"
#include "errors.h"
#include "probes.h"
#include "render.h"

#define MAX_FEATURES 32

static int libbpf_quiet(enum libbpf_print_level l, const char *f, va_list a)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level l, const char *f, va_list a)
{
	return vfprintf(stderr, f, a);
}

/* The same order tracer.c would use: fentry -> kprobe -> tracepoints. */
static const char *chosen_backend(const struct probe_result *bk)
{
	return bk[BK_TP_BTF].yes && bk[BK_TRACEPOINT].yes ? "tracepoint" : "none";
}

static json_object *results_json(const struct probe_result *res, size_t n, const char *key)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, key, json_object_new_boolean(res[i].yes));
		json_object_object_add(e, "how", json_object_new_string(res[i].how));
		json_object_object_add(o, res[i].name, e);
	}
	return o;
}

static void print_results(FILE *out, const struct probe_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-36s %-3s  %s\n", res[i].name, res[i].yes ? "yes" : "no",
			res[i].how);
}

int cmd_features(struct env *env)
{
	struct probe_result bk[BK_COUNT], feat[MAX_FEATURES];
	struct kernel_info ki;
	bool tracefs_mounted = false;
	FILE *out = stdout;
	size_t nfeat;

	if (geteuid() != 0)
		ps_note("not root: attach probes will fail for lack of privileges");
	if (env->output && !(out = fopen(env->output, "w"))) {
		ps_error("-o %s: cannot open", env->output);
		return PS_EXIT_FAIL;
	}
	libbpf_set_print(env->verbose ? libbpf_verbose : libbpf_quiet);
	kernel_info_load(&ki);
	ensure_tracefs(&tracefs_mounted);
	probe_backends(bk);
	nfeat = probe_uring(&ki, feat, MAX_FEATURES);

	if (env->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "kernel", json_object_new_string(ki.release));
		json_object_object_add(doc, "btf", json_object_new_boolean(ki.btf));
		json_object_object_add(doc, "lockdown", json_object_new_string(ki.lockdown));
		json_object_object_add(doc, "tracefs_mounted_by_pinscope",
				       json_object_new_boolean(tracefs_mounted));
		json_object_object_add(doc, "backends", results_json(bk, BK_COUNT, "available"));
		json_object_object_add(doc, "backend", json_object_new_string(chosen_backend(bk)));
		json_object_object_add(doc, "features", results_json(feat, nfeat, "supported"));
		render_json_print(out, doc, true);
		json_object_put(doc);
	} else {
		fprintf(out, "kernel      %s\n", ki.release);
		fprintf(out, "BTF         %s\n", ki.btf ? "yes (/sys/kernel/btf/vmlinux)" : "no");
		fprintf(out, "lockdown    %s\n", ki.lockdown);
		if (tracefs_mounted)
			fprintf(out, "tracefs     mounted now at /sys/kernel/tracing\n");
		fprintf(out, "\nattach flavours (a trivial program on io_sqe_buffers_register"
			" / io_uring_register):\n");
		print_results(out, bk, BK_COUNT);
		fprintf(out, "backend chosen: %s\n", chosen_backend(bk));
		fprintf(out, "\nio_uring registered-buffer features:\n");
		print_results(out, feat, nfeat);
	}
	kernel_info_free(&ki);
	if (out != stdout)
		fclose(out);
	return PS_EXIT_OK;
}
