/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-IO page pinning: O_DIRECT on user memory (iomap), attributed to the
 * io_uring request that issued it or to the process, and pinned bios.
 */
#ifndef PS_PINNING_BPF_H
#define PS_PINNING_BPF_H

#include "maps.bpf.h"
#include "rings.bpf.h"

struct iov_walk {
	const struct iovec *iov;
	__u64 skip;		/* iov_offset into the first segment */
	__u64 left;		/* bytes of the request still to place */
	__u64 pages;
};

static long iov_seg_pages(__u32 i, struct iov_walk *w)
{
	struct iovec seg = {};
	__u64 base, len;

	if (!w->left)
		return 1;
	bpf_probe_read_kernel(&seg, sizeof(seg), w->iov + i);
	base = (__u64)seg.iov_base + w->skip;
	len = seg.iov_len > w->skip ? seg.iov_len - w->skip : 0;
	w->skip = 0;
	if (len > w->left)
		len = w->left;
	w->pages += span_pages(base, len);
	w->left -= len;
	return 0;
}

/* 4 KiB pages of user memory an iterator covers; 0 if it is not user memory. */
static __always_inline __u64 iter_user_pages(struct iov_iter *it)
{
	__u8 type = BPF_CORE_READ(it, iter_type);
	__u64 off = BPF_CORE_READ(it, iov_offset);
	__u64 cnt = BPF_CORE_READ(it, count);

	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	    type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
		return span_pages((__u64)BPF_CORE_READ(it, ubuf) + off, cnt);
	if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		struct iov_walk w = { .iov = ps_iter_iov(it), .skip = off, .left = cnt };
		__u32 segs = BPF_CORE_READ(it, nr_segs);

		bpf_loop(segs > 1024 ? 1024 : segs, iov_seg_pages, &w, 0);
		return w.pages;
	}
	return 0;
}

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
	bpf_get_current_comm(ps->comm, sizeof(ps->comm));
}

static __always_inline void handle_dio_begin(struct kiocb *iocb, struct iov_iter *iter)
{
	__u64 pages = iter_user_pages(iter);
	struct io_kiocb *req;

	if (!pages)
		return;	/* a registered buffer (bvec) or kernel memory */
	req = uring_req_of(iocb);
	if (req) {
		struct pinned_req p = { .pages = pages };

		record_pinned_req(req, &p);
		return;
	}
	count_proc_dio(1, pages);
}

/*
 * Kernels without the iomap_dio_rw_begin tracepoint (it came with "iomap:
 * Add DIO tracepoints", 6.3) show a direct IO at the block layer only.
 * iomap's bios (bi_end_io = iomap_dio_bio_end_io, found in kallsyms by user
 * space) carry their struct iomap_dio in bi_private: the kiocb and the
 * caller's iterator are one step away. Each bio referenced its own pages
 * (there, per IO, with get_user_pages rather than FOLL_PIN), so a request's
 * pages are summed over its bios. iomap adds a bio's size to dio->size
 * before submitting it: the first bio of a dio is the one that equals it.
 * Not told apart: the zero-page bios of an unaligned write's block padding.
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

static __always_inline void handle_dio_bio(struct bio *bio)
{
	struct bvec_walk w = {};
	struct iomap_dio *dio;
	struct io_kiocb *req;
	__u16 vcnt;

	if (!iomap_dio_end_io_addr ||
	    (__u64)BPF_CORE_READ(bio, bi_end_io) != iomap_dio_end_io_addr)
		return;
	dio = BPF_CORE_READ(bio, bi_private);
	if (!iter_is_user(BPF_CORE_READ(dio, submit.iter)))
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
	/* the first bio of a dio is the one whose size equals the dio's so far */
	count_proc_dio(BPF_CORE_READ(dio, size) == BPF_CORE_READ(bio, bi_iter.bi_size),
		       w.pages);
}

#endif /* PS_PINNING_BPF_H */
