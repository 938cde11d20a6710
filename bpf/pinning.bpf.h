/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-IO page pinning: the bios of O_DIRECT on user memory (iomap),
 * attributed to the io_uring request that issued them or to the process,
 * and pinned bios.
 */
#ifndef PS_PINNING_BPF_H
#define PS_PINNING_BPF_H

#include "maps.bpf.h"
#include "rings.bpf.h"

/* io_uring's request when it issued this kiocb (a read/write request), else NULL. */
static __always_inline struct io_kiocb *uring_req_of(struct kiocb *iocb)
{
	void *done = BPF_CORE_READ(iocb, ki_complete);

	if (!done || ((__u64)done != io_complete_rw_addr &&
		      (__u64)done != io_complete_rw_iopoll_addr))
		return NULL;
	/* the kiocb is the first member of the request's command data */
	return (void *)iocb - bpf_core_field_offset(struct io_kiocb, cmd);
}

/*
 * A request of a traced ring pinned p->pages itself; its completion counts
 * it (count_pinned_io). A retried request overwrites its entry: it counts
 * once.
 */
static __always_inline void record_pinned_req(struct io_kiocb *req, struct pinned_req *p)
{
	__u64 key = (__u64)req;

	p->ring = ring_id(BPF_CORE_READ(req, ctx));
	if (!p->ring)
		return;
	p->opcode = BPF_CORE_READ(req, opcode);
	if (bpf_map_update_elem(&pinned_reqs, &key, p, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&pinned_reqs_pending, 1);
	else
		bpf_map_update_elem(&pinned_reqs, &key, p, BPF_EXIST);
}

/* O_DIRECT on user memory outside io_uring, per traced process. */
static __always_inline void count_proc_dio(__u64 ios, __u64 pages)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ps_proc_stats *ps;

	if (!tgid_traced())
		return;
	ps = lookup_or_init(&proc_stats, &tgid, &zero_proc);
	if (!ps)
		return;
	__sync_fetch_and_add(&ps->dio_ios, ios);
	__sync_fetch_and_add(&ps->dio_pages, pages);
	ps_process_comm(ps->comm);
}

/*
 * What an IO pinned is what its bios carry, not what it asked for: a read
 * past the end of a file queues no bio and pins nothing, a read across it
 * pins the pages before the end only. Direct IO through iomap (ext4, xfs)
 * marks its bios with bi_end_io = iomap_dio_bio_end_io (found in kallsyms
 * by user space) and keeps its struct iomap_dio in bi_private: the kiocb,
 * hence the io_uring request, is one step away, from whichever thread
 * (io-wq, SQPOLL) queues the bio. Each bio is counted when queued
 * (block_bio_queue), and so is an IO outside io_uring at its first bio.
 */
struct bvec_walk {
	struct bio_vec *vec;
	__u64 pages;
};

static long bvec_seg_pages(__u32 i, struct bvec_walk *w)
{
	struct bio_vec bv = {};

	bpf_probe_read_kernel(&bv, sizeof(bv), w->vec + i);
	w->pages += span_pages(bv.bv_offset, bv.bv_len);
	return 0;
}

static __always_inline bool iter_is_user(struct iov_iter *it)
{
	__u8 type = BPF_CORE_READ(it, iter_type);

	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	    type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
		return true;
	return type == bpf_core_enum_value(enum iter_type, ITER_IOVEC);
}

/*
 * ---- the first bio of a direct IO outside io_uring (this file's own map) --
 * Where iomap_dio_rw_begin exists (6.3+), it marks, per thread, the kiocb
 * of a direct IO on user memory just begun; the thread queues that IO's
 * bios itself, and the first pinned one counts the IO. Before 6.3, iomap
 * adds a bio's size to dio->size before submitting it, so the first bio of
 * a dio is the one that equals it (later kernels no longer keep that order).
 */
const volatile bool dio_begin_marks = false;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);	/* thread */
	__type(value, __u64);	/* its direct IO's kiocb */
} dio_starts SEC(".maps");

static __always_inline void handle_dio_begin(struct kiocb *iocb, struct iov_iter *iter)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 k = (__u64)iocb;

	/* io_uring's requests are counted by request (pinned_reqs) */
	if (uring_req_of(iocb) || !iter_is_user(iter) || !tgid_traced())
		return;
	bpf_map_update_elem(&dio_starts, &tid, &k, BPF_ANY);
}

static __always_inline __u64 dio_first_bio(struct bio *bio, struct iomap_dio *dio)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *iocb;

	if (!dio_begin_marks)
		return BPF_CORE_READ(dio, size) == BPF_CORE_READ(bio, bi_iter.bi_size);
	iocb = bpf_map_lookup_elem(&dio_starts, &tid);
	if (!iocb || *iocb != (__u64)BPF_CORE_READ(dio, iocb))
		return 0;
	bpf_map_delete_elem(&dio_starts, &tid);
	return 1;
}

static __always_inline void handle_dio_bio(struct bio *bio, struct iomap_dio *dio)
{
	struct bvec_walk w = {};
	struct io_kiocb *req;
	__u16 vcnt;

	/*
	 * Only pages pinned for this IO alone count. Since 6.5 ("block: Add
	 * BIO_PAGE_PINNED and associated infrastructure") the caller saw the
	 * flag: bios of registered buffers (bvec) and of zero-page padding
	 * lack it. Before, direct IO took get_user_pages references on user
	 * memory: a bio of a user-memory iterator is such a bio (zero padding
	 * not told apart).
	 */
	if (bio_pinned_bit >= 16 && !iter_is_user(BPF_CORE_READ(dio, submit.iter)))
		return;	/* a registered buffer (bvec) or kernel memory */
	w.vec = BPF_CORE_READ(bio, bi_io_vec);
	vcnt = BPF_CORE_READ(bio, bi_vcnt);
	bpf_loop(vcnt > 256 ? 256 : vcnt, bvec_seg_pages, &w, 0);	/* BIO_MAX_VECS */
	if (!w.pages)
		return;
	req = uring_req_of(BPF_CORE_READ(dio, iocb));
	if (req) {
		__u64 key = (__u64)req;
		struct pinned_req *p = bpf_map_lookup_elem(&pinned_reqs, &key);
		struct pinned_req np = { .pages = w.pages, .dio = (__u64)dio };

		/* a later bio of the same dio adds its pages; another dio is a retry */
		if (p && p->dio == (__u64)dio)
			__sync_fetch_and_add(&p->pages, w.pages);
		else
			record_pinned_req(req, &np);
		return;
	}
	count_proc_dio(dio_first_bio(bio, dio), w.pages);
}

/* Block-layer evidence, per process: a bio that carries pinned user pages. */
static __always_inline void count_pinned_bio(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ps_proc_stats *ps;

	if (!tgid_traced())
		return;
	ps = lookup_or_init(&proc_stats, &tgid, &zero_proc);
	if (!ps)
		return;
	__sync_fetch_and_add(&ps->pinned_bios, 1);
	ps_process_comm(ps->comm);
}

/* Every bio queued: pinned ones per process, iomap's direct IO per IO. */
static __always_inline void handle_bio_queue(struct bio *bio)
{
	bool pin_flag = bio_pinned_bit < 16;

	/* the flag first: a bio of a registered buffer costs one read */
	if (pin_flag) {
		if (!(BPF_CORE_READ(bio, bi_flags) & (1U << bio_pinned_bit)))
			return;
		count_pinned_bio();
	}
	if (iomap_dio_end_io_addr &&
	    (__u64)BPF_CORE_READ(bio, bi_end_io) == iomap_dio_end_io_addr)
		handle_dio_bio(bio, BPF_CORE_READ(bio, bi_private));
}

#endif /* PS_PINNING_BPF_H */
