// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pinscope-workload: runs named io_uring registered-buffer cases and prints,
 * for each, the oracle (docs/json.md) a tracer's report is compared with.
 *
 * Exit status: 0 every case ran as expected or was skipped, 1 a case saw a
 * result it did not expect, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"

static const struct wl_case cases[] = {
	{ "read_fixed_direct", case_read_fixed_direct,
	  "WRITE_FIXED then READ_FIXED, O_DIRECT file, 4 buffers, uneven per-index counts" },
	{ "read_fixed_buffered", case_read_fixed_buffered,
	  "the same through the page cache (no O_DIRECT)" },
	{ "sub_range", case_sub_range,
	  "IOs at offsets inside one 1 MiB registered buffer" },
	{ "unregister_reregister", case_unregister_reregister,
	  "register, IO, unregister, register other sizes, IO" },
	{ "buffers2_update", case_buffers2_update,
	  "REGISTER_BUFFERS2 with tags, BUFFERS_UPDATE of two slots, IO on old and new" },
	{ "sparse", case_sparse,
	  "16 sparse slots, updates fill 3, IO on them" },
	{ "clone_whole", case_clone_whole,
	  "ring B clones ring A's whole table of 8 and does IO with it" },
	{ "clone_partial", case_clone_partial,
	  "clone src_off 2, dst_off 1, nr 3 into an empty ring" },
	{ "clone_replace", case_clone_replace,
	  "clone into a ring with buffers, IORING_REGISTER_DST_REPLACE" },
	{ "clone_busy", case_clone_busy,
	  "clone into a ring with buffers without DST_REPLACE: EBUSY" },
	{ "pinned_twice", case_pinned_twice,
	  "rings A and B both REGISTER_BUFFERS the same 4 x 64 KiB: pinned twice" },
	{ "pinned_twice_clone", case_pinned_twice_clone,
	  "the same, B clones A's buffers instead: pinned once" },
	{ "pinned_twice_many", case_pinned_twice_many,
	  "15 rings register one page, then update it: 315 pairs pinned twice" },
	{ "pinned_twice_mixed", case_pinned_twice_mixed,
	  "rings A, B, C pin 576 buffers of mixed sizes and places in one 8 MiB" },
	{ "rw_vec_fixed", case_rw_vec_fixed,
	  "WRITEV_FIXED and READV_FIXED, iovecs inside registered buffers" },
	{ "send_zc_fixed", case_send_zc_fixed,
	  "SEND_ZC from a registered buffer over loopback TCP" },
	{ "no_mmap", case_no_mmap,
	  "IORING_SETUP_NO_MMAP ring on user pages, READ_FIXED through it" },
	{ "no_mmap_huge", case_no_mmap_huge,
	  "the same with the ring on a 2 MiB hugetlb page" },
	{ "hugetlb_buffers", case_hugetlb_buffers,
	  "buffers on 2 MiB hugetlb pages (coalesced bvecs), READ_FIXED" },
	{ "hugetlb_shared_folio", case_hugetlb_shared_folio,
	  "small buffers sharing hugetlb folios: what register and update charge" },
	{ "err_file_backed", case_err_file_backed,
	  "register a MAP_SHARED file mapping: refused" },
	{ "err_too_big", case_err_too_big,
	  "register one 1 TiB buffer: refused" },
	{ "err_too_many", case_err_too_many,
	  "register 16385 iovecs: EINVAL" },
	{ "err_register_busy", case_err_register_busy,
	  "register twice on one ring: EBUSY" },
	{ "err_repeated", case_err_repeated,
	  "then 600 more times: EBUSY each, more than pinscope explains" },
	{ "err_memlock", case_err_memlock,
	  "unprivileged, RLIMIT_MEMLOCK 64 KiB: ENOMEM twice, then a fit" },
	{ "reg_latency", case_reg_latency,
	  "900 x 4 KiB registered 9 times, each timed by the application" },
	{ "err_unmapped_second", case_err_unmapped_second,
	  "register [.bss, unmapped]: the doctor names buffer #1" },
	{ "err_clone_args", case_err_clone_args,
	  "clones refused for nr, src_off, dst_off: explained" },
	{ "err_huge_count", case_err_huge_count,
	  "register 1,000,000 iovecs: EINVAL, pages of all counted" },
	{ "odirect_no_fixed", case_odirect_no_fixed,
	  "negative control: O_DIRECT IORING_OP_READ, pages pinned per IO" },
	{ "odirect_syscall_mix", case_odirect_syscall_mix,
	  "READ_FIXED plus O_DIRECT pread() outside io_uring" },
	{ "send_zc_refused", case_send_zc_refused,
	  "SEND_ZC with zc_flags ~0 on a ring without buffers: refused at prep" },
	{ "odirect_past_eof", case_odirect_past_eof,
	  "16 O_DIRECT READs of 64 KiB past the end of a 4 KiB file: nothing pinned" },
	{ "odirect_short_read", case_odirect_short_read,
	  "16 O_DIRECT READs of 64 KiB of a 4 KiB file: one page pinned each" },
	{ "worker_threads_comm", case_worker_threads_comm,
	  "a named thread's SQPOLL ring, O_DIRECT READs by SQPOLL and io-wq" },
	{ "nvme_cmd_fixed", case_nvme_cmd_fixed,
	  "NVMe writes, reads: URING_CMD, fixed buffers, /dev/ngXnY" },
	{ "live_attach", case_live_attach,
	  "4 x 64 KiB registered, then (-w: after SIGUSR1) uneven writes" },
	{ "live_attach_huge", case_live_attach_huge,
	  "the same on two hugetlb 2 MiB buffers" },
	{ "live_attach_clone", case_live_attach_clone,
	  "a ring and its clone registered, then IO on both" },
	{ "live_attach_calls", case_live_attach_calls,
	  "4 x 16 KiB registered, then a clone, an update, an unregister" },
	{ "live_ring_index", case_live_ring_index,
	  "2 x 16 KiB registered on a ring kept only by its registered index" },
	{ "live_pinned_twice", case_live_pinned_twice,
	  "two rings register the same 32 KiB, then IO on one" },
	{ "ring_sequence", case_ring_sequence,
	  "two short-lived rings 1.5 s apart (for -i)" },
	{ "burst", case_burst,
	  "100 rings open at once, then 100 processes alive at once" },
	{ "ring_churn", case_ring_churn,
	  "20,000 rings created, registered, destroyed by 4 processes" },
	{ "pool_churn", case_pool_churn,
	  "5,000 rings, each cloned from one pool, read into, destroyed" },
	{ "many_procs", case_many_procs,
	  "5,000 short-lived processes, then O_DIRECT pinned per IO" },
};

#define NR_CASES (sizeof(cases) / sizeof(cases[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pinscope-workload [-o FILE] [-d DIR] [-w] [-k] CASE\n"
		"       pinscope-workload [-o FILE] [-d DIR] -a\n"
		"       pinscope-workload -l\n"
		"  -l       list the cases\n"
		"  -a       run every case, one oracle per line\n"
		"  -o FILE  write the oracle to FILE instead of stdout\n"
		"  -d DIR   directory for data files (default $PINSCOPE_TMPDIR, else /var/tmp)\n"
		"  -w       live_* cases: after registering, print \"ready\" on stderr and\n"
		"           wait for SIGUSR1 (a tracer attached) before the IO\n"
		"  -k       print the oracle with the rings still open, close them after\n"
		"           a line (or end of file) on stdin\n"
		"sizes: PINSCOPE_CHURN_RINGS, PINSCOPE_CHURN_PROCS, PINSCOPE_SHORT_PROCS\n");
}

static const struct wl_case *find_case(const char *name)
{
	for (size_t i = 0; i < NR_CASES; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

static bool wait_attach;
static bool keep_open;

/*
 * -k: the case's rings stay open, buffers registered, until a line (or
 * end of file) arrives on stdin, so that a scraper can read them live.
 */
static void wait_for_stdin(void)
{
	char line[64];

	if (!fgets(line, sizeof(line), stdin))
		clearerr(stdin);
}

/* 0 ran or skipped, 1 failed. */
static int run_case(const struct wl_case *wc, const char *dir, FILE *out)
{
	struct oracle o;
	struct wctx c;
	enum case_result res;
	json_object *obj;

	oracle_init(&o, wc->name);
	memset(&c, 0, sizeof(c));
	c.case_name = wc->name;
	c.dir = dir;
	c.o = &o;
	c.wait_attach = wait_attach;

	/* A child process may run the case and hand its oracle back. */
	fflush(out);
	fflush(stderr);
	res = wc->fn(&c);
	if (!keep_open)
		cleanup_run(&c);
	if (res == CASE_FAILED && o.status != ORACLE_FAILED)
		o.status = ORACLE_FAILED;

	obj = oracle_to_json(&o);
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
				       JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(out);
	json_object_put(obj);
	if (keep_open) {
		wait_for_stdin();
		cleanup_run(&c);
	}
	oracle_free(&o);
	return res == CASE_FAILED ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("PINSCOPE_TMPDIR");
	const char *out_path = NULL;
	bool list = false, all = false;
	FILE *out = stdout;
	int opt, status = 0;

	opterr = 0;	/* one error line, ours */
	while ((opt = getopt(argc, argv, "lao:d:wkh")) != -1) {
		switch (opt) {
		case 'l': list = true; break;
		case 'a': all = true; break;
		case 'o': out_path = optarg; break;
		case 'd': dir = optarg; break;
		case 'w': wait_attach = true; break;
		case 'k': keep_open = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "pinscope-workload: bad option '-%c' (see -h)\n",
				optopt);
			return 2;
		}
	}
	if (!dir || !*dir)
		dir = "/var/tmp";

	if (list) {
		for (size_t i = 0; i < NR_CASES; i++)
			printf("%-24s %s\n", cases[i].name, cases[i].desc);
		return 0;
	}
	if (all == (optind < argc) || argc - optind > 1) {
		fprintf(stderr, "pinscope-workload: give one CASE or -a (see -h)\n");
		return 2;
	}
	if (!all && !find_case(argv[optind])) {
		fprintf(stderr, "pinscope-workload: unknown case '%s' (see -l)\n",
			argv[optind]);
		return 2;
	}

	/* Open before any case drops privileges (err_memlock). */
	if (out_path) {
		out = fopen(out_path, "w");
		if (!out) {
			fprintf(stderr, "pinscope-workload: %s: %s\n", out_path,
				strerror(errno));
			return 2;
		}
	}

	if (all) {
		for (size_t i = 0; i < NR_CASES; i++)
			status |= run_case(&cases[i], dir, out);
	} else {
		status = run_case(find_case(argv[optind]), dir, out);
	}
	if (out != stdout && fclose(out)) {
		fprintf(stderr, "pinscope-workload: %s: %s\n", out_path,
			strerror(errno));
		status = 1;
	}
	return status;
}
