/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The case functions, by theme; main.c names and describes them. */
#ifndef PINSCOPE_CASES_H
#define PINSCOPE_CASES_H

#include "workload.h"

/* cases_rw.c: fixed-buffer reads and writes on a regular file */
enum case_result case_read_fixed_direct(struct wctx *c);
enum case_result case_read_fixed_buffered(struct wctx *c);
enum case_result case_sub_range(struct wctx *c);
enum case_result case_rw_vec_fixed(struct wctx *c);
enum case_result case_odirect_no_fixed(struct wctx *c);
enum case_result case_odirect_syscall_mix(struct wctx *c);

/* cases_table.c: how the buffer table changes */
enum case_result case_unregister_reregister(struct wctx *c);
enum case_result case_buffers2_update(struct wctx *c);
enum case_result case_sparse(struct wctx *c);
enum case_result case_reg_latency(struct wctx *c);

/* cases_clone.c: IORING_REGISTER_CLONE_BUFFERS */
enum case_result case_clone_whole(struct wctx *c);
enum case_result case_clone_partial(struct wctx *c);
enum case_result case_clone_replace(struct wctx *c);
enum case_result case_clone_busy(struct wctx *c);
/* ...and two rings on one memory: registered again, or cloned */
enum case_result case_pinned_twice(struct wctx *c);
enum case_result case_pinned_twice_clone(struct wctx *c);
enum case_result case_pinned_twice_mixed(struct wctx *c);
enum case_result case_pinned_twice_many(struct wctx *c);

/* cases_mem.c: rings on user memory, hugetlb buffers */
enum case_result case_no_mmap(struct wctx *c);
enum case_result case_no_mmap_huge(struct wctx *c);
enum case_result case_hugetlb_buffers(struct wctx *c);
enum case_result case_hugetlb_shared_folio(struct wctx *c);

/* cases_err.c: registrations the kernel refuses */
enum case_result case_err_file_backed(struct wctx *c);
enum case_result case_err_too_big(struct wctx *c);
enum case_result case_err_too_many(struct wctx *c);
enum case_result case_err_register_busy(struct wctx *c);
enum case_result case_err_repeated(struct wctx *c);
enum case_result case_err_memlock(struct wctx *c);

/* cases_doctor.c: refusals the doctor must explain exactly */
enum case_result case_err_unmapped_second(struct wctx *c);
enum case_result case_err_clone_args(struct wctx *c);
enum case_result case_err_huge_count(struct wctx *c);

/* cases_net.c: registered buffers outside files */
enum case_result case_send_zc_fixed(struct wctx *c);
enum case_result case_send_zc_refused(struct wctx *c);

/* cases_pin.c: what O_DIRECT on plain memory pins, and who issues it */
enum case_result case_odirect_past_eof(struct wctx *c);
enum case_result case_odirect_short_read(struct wctx *c);
enum case_result case_worker_threads_comm(struct wctx *c);

/* cases_nvme.c: URING_CMD passthrough on an NVMe generic char device */
enum case_result case_nvme_cmd_fixed(struct wctx *c);

/* cases_live.c: tables older than the tracer, rings and processes by the thousand */
enum case_result case_live_attach(struct wctx *c);
enum case_result case_live_attach_huge(struct wctx *c);
enum case_result case_live_attach_clone(struct wctx *c);
enum case_result case_live_attach_calls(struct wctx *c);
enum case_result case_live_ring_index(struct wctx *c);
enum case_result case_ring_churn(struct wctx *c);
enum case_result case_pool_churn(struct wctx *c);
enum case_result case_many_procs(struct wctx *c);
enum case_result case_live_pinned_twice(struct wctx *c);
enum case_result case_ring_sequence(struct wctx *c);
enum case_result case_burst(struct wctx *c);

#endif /* PINSCOPE_CASES_H */
