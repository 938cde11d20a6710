// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinscope features: every decision the tool makes on this kernel, and why. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "json_safe.h"
#include "commands.h"
#include "internals.h"
#include "mounts.h"
#include "errors.h"
#include "fmt.h"
#include "output.h"
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

/* The same order tracer.c uses: fentry -> kprobe -> tracepoints only. */
static const char *chosen_backend(const struct probe_result *bk)
{
	if (bk[BK_FENTRY].yes)
		return "fentry";
	if (bk[BK_KPROBE].yes)
		return "kprobe";
	return bk[BK_TP_BTF].yes && bk[BK_TRACEPOINT].yes ? "tracepoint" : "none";
}

/* Per internals hook: the flavour it gets here, and why not the others. */
static const char *hook_choice(const struct internal_hook *h, const struct probe_result *bk,
			       char *why, size_t len)
{
	if (!h->applies) {
		snprintf(why, len, "this kernel's signature needs the other variant");
		return "-";
	}
	if (bk[BK_FENTRY].yes && h->in_btf) {
		snprintf(why, len, "in BTF");
		return "fentry";
	}
	if (bk[BK_KPROBE].yes && h->in_kallsyms) {
		snprintf(why, len, "fentry: %s; in kallsyms",
			 !bk[BK_FENTRY].yes ? "refused" : "no BTF FUNC");
		return "kprobe";
	}
	snprintf(why, len, "fentry: %s; kprobe: %s",
		 !bk[BK_FENTRY].yes ? "refused" : h->in_btf ? "?" : "no BTF FUNC",
		 !bk[BK_KPROBE].yes ? "refused" : "not in kallsyms");
	return "none";
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

/* name, yes/no, then why: wrapped under the name when it does not fit */
static void print_results(FILE *out, const struct probe_result *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int col = fprintf(out, "  %-36s %-3s  ", res[i].name, res[i].yes ? "yes" : "no");

		fmt_wrap(out, col, 6, res[i].how);
	}
}

/* tracer.c's decision: the task iterators, and io_uring's file release to know its files */
static const char *rings_found_by(const struct kernel_info *ki)
{
	static const char *const sym[] = { "io_uring_release" };
	uint64_t addr = 0;

	if (kbtf_has_type(ki, "bpf_iter__task_file", BTF_KIND_STRUCT) &&
	    kbtf_has_type(ki, "bpf_iter__task", BTF_KIND_STRUCT) &&
	    !kallsyms_find(sym, 1, &addr) && addr)
		return "bpf_iter";
	return "fdinfo";
}

int cmd_features(struct env *env)
{
	struct probe_result bk[BK_COUNT], feat[MAX_FEATURES];
	struct kernel_info ki;
	bool tracefs_mounted = false;
	FILE *out;
	size_t nfeat;
	int status;

	if (output_open(env->output))
		return PS_EXIT_FAIL;
	if (geteuid() != 0)
		ps_note("not root: attach probes will fail for lack of privileges");
	libbpf_set_print(env->verbose ? libbpf_verbose : libbpf_quiet);
	kernel_info_load(&ki);
	ensure_tracefs(&tracefs_mounted);
	probe_backends(bk);
	nfeat = probe_uring(&ki, feat, MAX_FEATURES);
	struct internal_hook *hooks;
	size_t nhooks = internals_probe(&ki, &hooks, true);
	char why[128];
	const char *found_by = rings_found_by(&ki);

	out = output_begin();
	if (env->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "kernel", json_object_new_string(ki.release));
		json_object_object_add(doc, "btf", json_object_new_boolean(ki.btf));
		json_object_object_add(doc, "lockdown", json_object_new_string(ki.lockdown));
		json_object_object_add(doc, "tracefs_mounted_by_pinscope",
				       json_object_new_boolean(tracefs_mounted));
		json_object_object_add(doc, "mounts_private",
				       json_object_new_boolean(ps_mounts_private()));
		json_object_object_add(doc, "backends", results_json(bk, BK_COUNT, "available"));
		json_object_object_add(doc, "backend", json_object_new_string(chosen_backend(bk)));
		json_object_object_add(doc, "features", results_json(feat, nfeat, "supported"));
		json_object *hl = json_object_new_array();

		for (size_t i = 0; i < nhooks; i++) {
			json_object *h = json_object_new_object();

			json_object_object_add(h, "measure", json_object_new_string(hooks[i].measure));
			json_object_object_add(h, "function", json_object_new_string(hooks[i].func));
			json_object_object_add(h, "in_btf", json_object_new_boolean(hooks[i].in_btf));
			json_object_object_add(h, "in_kallsyms",
					       json_object_new_boolean(hooks[i].in_kallsyms));
			json_object_object_add(h, "flavour", json_object_new_string(
				hook_choice(&hooks[i], bk, why, sizeof(why))));
			json_object_object_add(h, "why", json_object_new_string(why));
			json_object_array_add(hl, h);
		}
		json_object_object_add(doc, "hooks", hl);
		json_object_object_add(doc, "rings_found_by", json_object_new_string(found_by));
		render_json_print(out, doc, true);
		json_object_put(doc);
	} else {
		fprintf(out, "kernel      %s\n", ki.release);
		fprintf(out, "BTF         %s\n", ki.btf ? "yes (/sys/kernel/btf/vmlinux)" : "no");
		fprintf(out, "lockdown    %s\n", ki.lockdown);
		if (tracefs_mounted)
			fprintf(out, "tracefs     mounted at /sys/kernel/tracing %s\n",
				ps_mounts_private() ? "for pinscope only" : "until pinscope exits");
		fprintf(out, "\nattach flavours (a trivial program on io_sqe_buffers_register\n"
			"or io_uring_register):\n");
		print_results(out, bk, BK_COUNT);
		fprintf(out, "backend chosen: %s\n", chosen_backend(bk));
		fmt_wrap(out, 0, 0, "\nhooks on kernel functions: inside io_uring, and system "
			 "calls (without the syscall tracepoints' slow path); tracepoints "
			 "measure the rest (why: under each hook):");
		fprintf(out, "  %-15s %-27s %-3s %-4s %s\n", "measure", "function", "btf",
			"ksym", "flavour");
		for (size_t i = 0; i < nhooks; i++) {
			const char *fl = hook_choice(&hooks[i], bk, why, sizeof(why));

			fprintf(out, "  %-15s %-27s %-3s %-4s %s\n    ", hooks[i].measure,
				hooks[i].func, hooks[i].in_btf ? "yes" : "no",
				hooks[i].in_kallsyms ? "yes" : "no", fl);
			fmt_wrap(out, 4, 6, why);
		}
		fprintf(out, "\nrings that existed before tracing are found by: %s\n  (%s)\n",
			found_by, !strcmp(found_by, "bpf_iter") ?
			"iter/task_file and iter/task walk every table" :
			"/proc/PID/fdinfo: slots, buffers, bytes, pages");
		fprintf(out, "\nio_uring registered-buffer features:\n");
		print_results(out, feat, nfeat);
	}
	kernel_info_free(&ki);
	output_end(out, env->json);
	status = output_status(PS_EXIT_OK);
	output_close();
	return status;
}
