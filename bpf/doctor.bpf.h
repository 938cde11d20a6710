/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The doctor's numbers for a failed registration. Only the state before the
 * call is read at entry (a few loads); the buffers themselves are read at
 * exit and only when the call failed: the caller's iovec array is still
 * there, and a call that succeeds pays nothing for the diagnosis.
 */
#ifndef PS_DOCTOR_BPF_H
#define PS_DOCTOR_BPF_H

#include "maps.bpf.h"

/* uapi argument layouts (stable ABI; pad fields of older kernels read as 0) */
struct ps_rsrc_update2 { __u32 offset, resv; __u64 data, tags; __u32 nr, resv2; };
struct ps_clone_args { __u32 src_fd, flags, src_off, dst_off, nr, pad[3]; };
struct ps_rsrc_register { __u32 nr, flags; __u64 resv2, data, tags; };
#define PS_CLONE_SRC_REGISTERED	1
#define PS_CLONE_DST_REPLACE	2

#define PS_ONE_GIB		(1ULL << 30)
#define PS_TMPFS_MAGIC		0x01021994	/* shmem: pinnable long-term */
#define PS_HUGETLBFS_MAGIC	0x958458f6
/* vm_flags bits (include/linux/mm.h, unchanged since 2.6) */
#define PS_VM_WRITE		0x2UL
#define PS_VM_SHARED		0x8UL
#define PS_VM_PFNMAP		0x400UL
#define PS_VM_IO		0x4000UL

/*
 * At entry, clones only: their arguments, and the owner's locked memory
 * (through the source ring, whose fd is resolved anyway) for what the clone
 * charges. Everything else the doctor wants is read when a call fails.
 */
static __always_inline void diagnose_enter(struct reg_call *call, const struct ps_clone_args *ca,
					  bool direct)
{
	call->diag.locked_pages = -1;
	if (!ca)
		return;
	call->diag.flags = ca->flags;
	call->diag.src_fd = ca->src_fd;
	call->diag.src_off = ca->src_off;
	call->diag.dst_off = ca->dst_off;
	call->diag.nr = ca->nr;
	call->diag.clone_has_range = ps_clone_has_range();
	call->diag.clone_known = ps_clone_known();
	call->diag.clone_pad_set = ca->pad[0] || ca->pad[1] || ca->pad[2] ||
		(!call->diag.clone_has_range && (ca->src_off || ca->dst_off || ca->nr));
	if (call->src_ctx)
		call->diag.locked_pages = ps_ctx_user_locked_as(call->src_ctx, direct);
}

/*
 * On failure, the state before the call: a refused call leaves the tables
 * and the owner's locked memory as they were (what a registration charged
 * before failing it gives back before returning).
 */
static __always_inline void diagnose_state(struct reg_call *call, void *ctx)
{
	struct ps_table_ref t = {};

	call->diag.memlock_limit = ps_task_memlock_limit();
	if (call->opcode != PS_REG_CLONE_BUFFERS)
		call->diag.locked_pages = ctx ? ps_ctx_user_locked(ctx) : -1;
	if (ctx) {
		ps_table_ref(ctx, &t);
		call->diag.table_nr = t.nr;
	}
	if (call->src_ctx) {
		ps_table_ref(call->src_ctx, &t);
		call->diag.src_table_nr = t.nr;
	}
}

/* ---- at exit, on failure: the buffers ------------------------------------ */

static __always_inline void sum_one(struct ps_diag *d, const struct iovec *v, __u32 i)
{
	__u64 base = (__u64)v->iov_base, len = v->iov_len, span;

	if (!base)
		return;	/* a sparse slot */
	span = span_pages(base, len);
	d->req_pages += span;
	/* an unaligned buffer spans one page more than its length needs */
	d->unaligned_extra += span - ((len + PS_PAGE_SIZE - 1) >> PS_PAGE_SHIFT);
	if (len > d->max_len) {
		d->max_len = len;
		d->max_len_index = i;
	}
}

struct vma_facts {
	__u64 start, end, flags;
	bool file, pinnable_file, flags_known;
};

static long vma_facts_cb(struct task_struct *task, struct vm_area_struct *vma,
			 struct vma_facts *f)
{
	struct file *file = vma->vm_file;

	f->start = vma->vm_start;
	f->end = vma->vm_end;
	f->flags_known = ps_vma_flags(vma, &f->flags);
	f->file = file != NULL;
	if (file) {
		__u64 magic = BPF_CORE_READ(file, f_inode, i_sb, s_magic);

		f->pinnable_file = magic == PS_TMPFS_MAGIC || magic == PS_HUGETLBFS_MAGIC;
	}
	return 0;
}

struct iov_scan {
	const struct iovec *iov;
	struct ps_diag *diag;
	struct task_struct *task;
	bool refused;		/* the kernel stops at the first buffer it refuses */
};

static __always_inline bool fault_note(struct ps_diag *d, __u32 kind, __u32 i,
				       const struct iovec *v)
{
	if (kind >= PS_BF_NR)
		return false;
	if (d->fault[kind].index < 0) {
		d->fault[kind].index = i;
		d->fault[kind].addr = (__u64)v->iov_base;
		d->fault[kind].len = v->iov_len;
	}
	/* a private file mapping stops only 6.1: look further for the rest */
	return kind != PS_BF_FILE_PRIVATE;
}

static __always_inline int vma_fault(struct task_struct *task, __u64 addr, struct vma_facts *f)
{
	if (bpf_find_vma(task, addr, vma_facts_cb, f, 0))
		return PS_BF_UNMAPPED;
	if (f->flags_known && (f->flags & (PS_VM_IO | PS_VM_PFNMAP)))
		return PS_BF_IO_PFN;
	if (f->flags_known && !(f->flags & PS_VM_WRITE))
		return PS_BF_READONLY;
	if (f->file && !f->pinnable_file)
		return f->flags_known && !(f->flags & PS_VM_SHARED) ?
			PS_BF_FILE_PRIVATE : PS_BF_FILE_SHARED;
	return PS_BF_NR;
}

/* The kernel's per-buffer checks, in its order: does it refuse buffer i? */
static __always_inline bool fault_one(struct iov_scan *s, const struct iovec *v, __u32 i)
{
	__u64 base = (__u64)v->iov_base, len = v->iov_len, last;
	struct vma_facts f = {};
	int kind;

	if (!base)
		return len && fault_note(s->diag, PS_BF_NULL_LEN, i, v);
	if (len > PS_ONE_GIB)
		return fault_note(s->diag, PS_BF_OVER_1G, i, v);
	if (base + len < base)
		return fault_note(s->diag, PS_BF_OVERFLOW, i, v);
	if (!len)
		return false;
	kind = vma_fault(s->task, base, &f);
	last = base + len - 1;
	/* a buffer across mappings: its last byte's mapping too */
	if (kind == PS_BF_NR && last >= f.end)
		kind = vma_fault(s->task, last, &f);
	return kind != PS_BF_NR && fault_note(s->diag, kind, i, v);
}

/*
 * One iovec: its pages into the sums, over every iovec, and the kernel's
 * checks up to the first it refuses. One loop body, one read per iovec:
 * failures are rare, and every loop body costs each load verification.
 */
static long scan_one(__u32 i, struct iov_scan *s)
{
	struct iovec v = {};

	if (bpf_probe_read_user(&v, sizeof(v), s->iov + i))
		return 1;	/* unreadable: the numbers stay partial */
	sum_one(s->diag, &v, i);
	s->diag->iovecs_scanned++;
	if (!s->refused && i < PS_MAX_REG_BUFFERS)
		s->refused = fault_one(s, &v, i);
	return 0;
}

/*
 * A failed call: the state it started from, and the iovecs of a
 * REGISTER_BUFFERS(2) / UPDATE (arg is still the caller's).
 */
static __always_inline void diagnose_failure(struct reg_call *call, void *ctx)
{
	struct iov_scan s = { .diag = &call->diag };
	__u32 n = 0;

	diagnose_state(call, ctx);
	call->diag.max_len_index = -1;
	for (int i = 0; i < PS_BF_NR; i++)
		call->diag.fault[i].index = -1;

	if (call->opcode == PS_REG_BUFFERS) {
		s.iov = (void *)call->arg;
		n = call->nr_args;
	} else if (call->opcode == PS_REG_BUFFERS2) {
		struct ps_rsrc_register rr = {};

		bpf_probe_read_user(&rr, sizeof(rr), (void *)call->arg);
		s.iov = (void *)rr.data;
		n = rr.data ? rr.nr : 0;
	} else if (call->opcode == PS_REG_BUFFERS_UPDATE) {
		struct ps_rsrc_update2 up = {};

		bpf_probe_read_user(&up, sizeof(up), (void *)call->arg);
		s.iov = (void *)up.data;
		n = up.nr;
	}
	call->diag.nr_iovecs = n;
	if (!s.iov || !n)
		return;
	/* past the kernel's limit it refuses the count before any buffer */
	s.refused = n > PS_MAX_REG_BUFFERS;
	s.task = bpf_get_current_task_btf();
	/* bpf_loop's limit is 2^23 calls (8 M iovecs); beyond, partial */
	bpf_loop(n, scan_one, &s, 0);
}

#endif /* PS_DOCTOR_BPF_H */
