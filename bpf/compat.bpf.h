/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every kernel-version difference pinscope's BPF code meets lives here, each
 * behind an accessor. Detection is by CO-RE (bpf_core_field_exists /
 * bpf_core_type_exists) against the running kernel's BTF, never by version.
 * The ___old flavours describe layouts that newer kernels changed; libbpf
 * matches them by name without the suffix.
 */
#ifndef PINSCOPE_COMPAT_BPF_H
#define PINSCOPE_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

/*
 * A system call's function, for fentry and kprobes: the arch's wrapper that
 * takes the caller's saved registers (x86-64 and arm64 since 4.17).
 */
#if defined(__TARGET_ARCH_arm64)
#define PS_SYSCALL_FN(name)	__arm64_sys_##name
#else
#define PS_SYSCALL_FN(name)	__x64_sys_##name
#endif

/*
 * Whether task is inside io_uring_setup(2) (425 on every arch): the
 * syscall number its saved registers hold. A thread back in user space
 * keeps its last number until its next system call.
 */
#define PS_NR_IO_URING_SETUP	425
static __always_inline bool ps_task_in_setup(struct task_struct *task)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	if (!regs)
		return false;
#if defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ((struct user_pt_regs *)regs, regs[8]) == PS_NR_IO_URING_SETUP;
#else
	return BPF_CORE_READ(regs, orig_ax) == PS_NR_IO_URING_SETUP;
#endif
}

#define PS_E2BIG	7	/* errno values are not in vmlinux.h */
#define PS_EEXIST	17
#define PS_PAGE_SHIFT	12
#define PS_PAGE_SIZE	(1ULL << PS_PAGE_SHIFT)

/*
 * Up to 6.12 the registered-buffer table was ctx->user_bufs[nr_user_bufs];
 * 6.13 ("io_uring/rsrc: get rid of io_rsrc_node allocation cache" series,
 * buf_table) made it ctx->buf_table.nodes[nr], each node pointing at its
 * io_mapped_ubuf via node->buf.
 */
struct io_ring_ctx___old {
	struct io_mapped_ubuf **user_bufs;
	unsigned int nr_user_bufs;
	unsigned int flags;
} __attribute__((preserve_access_index));

/* 6.1 kept the end address instead of a length (changed in 6.10). */
struct io_mapped_ubuf___old {
	__u64 ubuf;
	__u64 ubuf_end;
} __attribute__((preserve_access_index));

/* Up to 6.12 a request pointed at its buffer directly (req->imu). */
struct io_kiocb___old {
	struct io_mapped_ubuf *imu;
} __attribute__((preserve_access_index));

/*
 * Before 6.13 the send path reuses req->buf_index, so a SEND_ZC request's
 * buffer is known only by its io_mapped_ubuf: NULL where buf_node exists.
 */
static __always_inline struct io_mapped_ubuf *ps_req_old_imu(struct io_kiocb *req)
{
	struct io_kiocb___old *o = (void *)req;

	if (bpf_core_field_exists(req->buf_node) || !bpf_core_field_exists(o->imu))
		return NULL;
	return BPF_CORE_READ(o, imu);
}

/*
 * bpf_rdonly_cast (6.2+) turns an untyped pointer into a read-only BTF
 * pointer: its fields then load inline (probe-mem) instead of through a
 * bpf_probe_read_kernel call, which costs ~90 ns per IO on our VMs. Weak:
 * programs that use it are loaded only where the kernel's BTF has it.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* Empty slots of the old table pointed at a dummy buffer with ubuf = -1. */
#define PS_DUMMY_UBUF	(~0ULL)

struct ps_table_ref {
	void *base;		/* nodes[] (new layout) or user_bufs[] (old) */
	__u32 nr;
};

static __always_inline void ps_table_ref(void *ctx, struct ps_table_ref *t)
{
	struct io_ring_ctx *c = ctx;

	if (bpf_core_field_exists(c->buf_table)) {
		t->base = BPF_CORE_READ(c, buf_table.nodes);
		t->nr = BPF_CORE_READ(c, buf_table.nr);
	} else {
		struct io_ring_ctx___old *o = ctx;

		t->base = BPF_CORE_READ(o, user_bufs);
		t->nr = BPF_CORE_READ(o, nr_user_bufs);
	}
}

/* The io_mapped_ubuf in a table slot, or NULL for an empty slot. */
static __always_inline struct io_mapped_ubuf *
ps_table_imu(const struct ps_table_ref *t, __u32 slot)
{
	void *entry = NULL;

	if (!t->base || slot >= t->nr)
		return NULL;
	bpf_probe_read_kernel(&entry, sizeof(entry), (void **)t->base + slot);
	if (!entry)
		return NULL;
	/*
	 * A CO-RE constant, not a runtime flag: the verifier must see the other
	 * layout's relocations (poisoned where the field is missing) as dead code.
	 */
	if (bpf_core_field_exists(struct io_ring_ctx, buf_table)) {
		struct io_rsrc_node *node = entry;

		return BPF_CORE_READ(node, buf);
	}
	if (BPF_CORE_READ((struct io_mapped_ubuf *)entry, ubuf) == PS_DUMMY_UBUF)
		return NULL;
	return entry;
}

/* The buffer a request looked up (6.13+: req->buf_node->buf), else NULL. */
static __always_inline struct io_mapped_ubuf *ps_req_imu(struct io_kiocb *req)
{
	struct io_rsrc_node *node;

	if (!bpf_core_field_exists(req->buf_node))
		return NULL;
	node = BPF_CORE_READ(req, buf_node);
	return node ? BPF_CORE_READ(node, buf) : NULL;
}

static __always_inline __u64 ps_imu_len(struct io_mapped_ubuf *imu)
{
	__u64 len = 0;

	if (bpf_core_field_exists(imu->len)) {
		/* u32 up to 6.18, size_t after: read the field's own size */
		bpf_core_read(&len, bpf_core_field_size(imu->len), &imu->len);
		return len;
	}
	struct io_mapped_ubuf___old *o = (void *)imu;

	return BPF_CORE_READ(o, ubuf_end) - BPF_CORE_READ(o, ubuf);
}

/* Folio size after coalescing (6.10+); before, always the page size. */
static __always_inline __u32 ps_imu_folio_shift(struct io_mapped_ubuf *imu)
{
	if (bpf_core_field_exists(imu->folio_shift))
		return BPF_CORE_READ(imu, folio_shift);
	return PS_PAGE_SHIFT;
}

/* 7.x dropped acct_pages (accounting moved to ctx->hpage_acct). */
static __always_inline __u64 ps_imu_acct_pages(struct io_mapped_ubuf *imu)
{
	if (bpf_core_field_exists(imu->acct_pages))
		return BPF_CORE_READ(imu, acct_pages);
	return 0;
}

/*
 * Tables holding this buffer: a clone takes a reference (6.12+, refcount_t
 * or int, 4 bytes either way); before clones existed, always one.
 */
static __always_inline __u32 ps_imu_refs(struct io_mapped_ubuf *imu)
{
	__u32 refs = 1;

	if (bpf_core_field_exists(imu->refs))
		bpf_probe_read_kernel(&refs, sizeof(refs),
				      (void *)imu + bpf_core_field_offset(imu->refs));
	return refs;
}

/*
 * Table slots read with inline loads (bpf_rdonly_cast, 6.2+): a walk costs a
 * few ns per slot instead of one bpf_probe_read_kernel (~50-90 ns on our
 * VMs) per field. Only programs loaded where the kernel has the kfunc use
 * these. A slot is a bare pointer: read through a one-pointer struct.
 */
static __always_inline void *ps_load_ptr(const void *addr)
{
	struct llist_node *p = bpf_rdonly_cast(addr, bpf_core_type_id_kernel(struct llist_node));

	return p->next;
}

static __always_inline struct io_mapped_ubuf *
ps_table_imu_direct(const struct ps_table_ref *t, __u32 slot)
{
	void *entry;

	if (!t->base || slot >= t->nr)
		return NULL;
	entry = ps_load_ptr((void **)t->base + slot);
	if (!entry)
		return NULL;
	if (bpf_core_field_exists(struct io_ring_ctx, buf_table)) {
		struct io_rsrc_node *node = bpf_rdonly_cast(entry,
				bpf_core_type_id_kernel(struct io_rsrc_node));

		return node->buf;
	}
	struct io_mapped_ubuf *imu = bpf_rdonly_cast(entry,
			bpf_core_type_id_kernel(struct io_mapped_ubuf));

	return imu->ubuf == PS_DUMMY_UBUF ? NULL : entry;
}

/* What a table walk needs of one io_mapped_ubuf. */
struct ps_imu_facts {
	__u64 ubuf, len, acct_pages;
	__u32 nr_bvecs, folio_shift;
};

static __always_inline void ps_imu_facts_direct(void *p, struct ps_imu_facts *f)
{
	struct io_mapped_ubuf *imu = bpf_rdonly_cast(p, bpf_core_type_id_kernel(struct io_mapped_ubuf));

	f->ubuf = imu->ubuf;
	if (bpf_core_field_exists(imu->len)) {
		/* u32 up to 6.18, size_t after: libbpf sizes the load to the field */
		f->len = imu->len;
	} else {
		f->len = ((struct io_mapped_ubuf___old *)imu)->ubuf_end - f->ubuf;
	}
	f->nr_bvecs = imu->nr_bvecs;
	f->folio_shift = bpf_core_field_exists(imu->folio_shift) ? imu->folio_shift : PS_PAGE_SHIFT;
	f->acct_pages = bpf_core_field_exists(imu->acct_pages) ? imu->acct_pages : 0;
}

static __always_inline void ps_imu_facts_read(struct io_mapped_ubuf *imu, struct ps_imu_facts *f)
{
	f->ubuf = BPF_CORE_READ(imu, ubuf);
	f->len = ps_imu_len(imu);
	f->nr_bvecs = BPF_CORE_READ(imu, nr_bvecs);
	f->folio_shift = ps_imu_folio_shift(imu);
	f->acct_pages = ps_imu_acct_pages(imu);
}

static __always_inline __u32 ps_ctx_setup_flags(void *ctx)
{
	struct io_ring_ctx *c = ctx;

	return BPF_CORE_READ(c, flags);
}

/*
 * 7.x ("mm: rename page->compound_head to compound_info") renamed the tail
 * page's link to its head; bit 0 still marks a tail page.
 */
struct page___new {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

/* Is this page part of a huge (compound) page? */
static __always_inline bool ps_page_compound(struct page *page)
{
	unsigned long flags = 0;

	/* page->flags became a memdesc_flags_t (a struct of one word) in 6.17 */
	bpf_core_read(&flags, sizeof(flags), &page->flags);

	if (flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head)))
		return true;
	/* a tail page points at its head with bit 0 set */
	if (bpf_core_field_exists(struct page___new, compound_info))
		return BPF_CORE_READ((struct page___new *)page, compound_info) & 1;
	return BPF_CORE_READ(page, compound_head) & 1;
}

/* NO_MMAP ring memory on huge pages? (6.13+ regions; else unknown: false) */
static __always_inline bool ps_ctx_region_huge(void *ctx)
{
	struct io_ring_ctx *c = ctx;
	struct page **pages, *first = NULL;

	if (!bpf_core_field_exists(c->ring_region))
		return false;
	pages = BPF_CORE_READ(c, ring_region.pages);
	if (!pages)
		return false;
	bpf_probe_read_kernel(&first, sizeof(first), pages);
	return first && ps_page_compound(first);
}

/* The user's locked memory in pages, or -1 where nothing is charged (CAP_IPC_LOCK). */
static __always_inline __s64 ps_ctx_user_locked(void *ctx)
{
	struct io_ring_ctx *c = ctx;
	struct user_struct *user = BPF_CORE_READ(c, user);

	return user ? BPF_CORE_READ(user, locked_vm.counter) : -1;
}

/* vm_flags: a plain word, a union member since 6.3 (read where it exists) */
static __always_inline bool ps_vma_flags(struct vm_area_struct *vma, __u64 *flags)
{
	if (!bpf_core_field_exists(vma->vm_flags))
		return false;
	*flags = BPF_CORE_READ(vma, vm_flags);
	return true;
}

/*
 * Does this kernel's clone read src_off/dst_off/nr? They came after 6.12,
 * whose struct io_uring_clone_buffers has only src_fd, flags and padding
 * (which must be zero).
 */
static __always_inline bool ps_clone_has_range(void)
{
	return bpf_core_field_exists(struct io_uring_clone_buffers, nr);
}

/* Does this kernel clone at all (6.12+)? */
static __always_inline bool ps_clone_known(void)
{
	return bpf_core_type_exists(struct io_uring_clone_buffers);
}

static __always_inline __u64 ps_task_memlock_limit(void)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/* RLIMIT_MEMLOCK is 8 on every architecture Linux has */
	return BPF_CORE_READ(task, signal, rlim[8].rlim_cur);
}

/* Pages of ring memory a NO_MMAP application handed in (6.13+ regions). */
static __always_inline __u32 ps_ctx_region_pages(void *ctx)
{
	struct io_ring_ctx *c = ctx;

	if (!bpf_core_field_exists(c->ring_region))
		return 0;
	return BPF_CORE_READ(c, ring_region.nr_pages) +
	       BPF_CORE_READ(c, sq_region.nr_pages);
}

/*
 * Does a SEND_ZC / SENDMSG_ZC / URING_CMD request use a registered buffer?
 * The choice is a flag the request keeps in its command area from prep on:
 * IORING_RECVSEND_FIXED_BUF in io_sr_msg.flags, IORING_URING_CMD_FIXED in
 * io_uring_cmd.flags (uapi values; both fields exist since 6.0).
 */
#define PS_RECVSEND_FIXED_BUF	(1U << 2)
#define PS_URING_CMD_FIXED	(1U << 0)

static __always_inline bool ps_req_fixed_buf(struct io_kiocb *req, bool uring_cmd)
{
	void *cmd = (void *)req + bpf_core_field_offset(struct io_kiocb, cmd);

	if (uring_cmd)
		return BPF_CORE_READ((struct io_uring_cmd *)cmd, flags) & PS_URING_CMD_FIXED;
	return BPF_CORE_READ((struct io_sr_msg *)cmd, flags) & PS_RECVSEND_FIXED_BUF;
}

/*
 * Up to 6.12, SEND_ZC prep read the buffer index from the SQE into a local
 * and kept only req->imu: req->buf_index stayed whatever the recycled
 * request held (6.12 reported index 1 for IO on buffer 0). The tracepoints
 * see no lookup, so the index is where req->imu sits in ctx->user_bufs.
 */
struct imu_slot_find {
	void **slots;
	void *imu;
	__u32 slot;
};

static long imu_slot_cb(__u32 i, struct imu_slot_find *f)
{
	void *entry = NULL;

	bpf_probe_read_kernel(&entry, sizeof(entry), f->slots + i);
	if (entry != f->imu)
		return 0;
	f->slot = i;
	return 1;
}

static __always_inline __u16 ps_net_zc_buf_index(struct io_kiocb *req, void *ctx,
						 __u16 buf_index)
{
	struct imu_slot_find f = { .slot = buf_index };
	struct ps_table_ref t = {};

	if (bpf_core_field_exists(struct io_ring_ctx, buf_table))
		return buf_index;
	f.imu = ps_req_old_imu(req);
	ps_table_ref(ctx, &t);
	if (!f.imu || !t.base)
		return buf_index;
	f.slots = t.base;
	/* IORING_MAX_REG_BUFFERS slots at most */
	bpf_loop(t.nr < (1U << 14) ? t.nr : (1U << 14), imu_slot_cb, &f, 0);
	return f.slot;
}

/*
 * The process's name, as ps shows it: the thread-group leader's comm. An
 * io-wq or SQPOLL thread that issues a process's IO is named iou-wrk-N or
 * iou-sqp-N, and any thread may have renamed itself.
 */
static __always_inline void ps_process_comm(char *comm)
{
	struct task_struct *leader = BPF_CORE_READ(bpf_get_current_task_btf(), group_leader);

	bpf_core_read_str(comm, 16, &leader->comm);	/* TASK_COMM_LEN */
}

/*
 * The file behind an fd of the current task, or behind a registered ring
 * index (IORING_REGISTER_USE_REGISTERED_RING / IORING_REGISTER_SRC_REGISTERED).
 * Read only for identification; the kernel validates the fd itself and the
 * caller cross-checks the result with the io_uring_register tracepoint.
 */
static __always_inline struct file *ps_task_file(int fd, bool registered)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file = NULL;

	if (fd < 0)
		return NULL;
	if (registered) {
		struct io_uring_task *tctx = BPF_CORE_READ(task, io_uring);

		if (!tctx || fd >= 16)	/* IO_RINGFD_REG_MAX */
			return NULL;
		bpf_probe_read_kernel(&file, sizeof(file), &tctx->registered_rings[fd & 15]);
		return file;
	}
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), fds + fd);
	return file;
}

static __always_inline void *ps_fd_ring_ctx(int fd, bool registered)
{
	struct file *file = ps_task_file(fd, registered);

	return file ? BPF_CORE_READ(file, private_data) : NULL;
}

/*
 * The same three with inline loads (bpf_rdonly_cast): what a registration
 * call pays for them drops from ~35 ns per field to a few. Each pointer
 * indexed by a runtime value is still read with ps_load_ptr.
 */
static __always_inline void *ps_fd_ring_ctx_direct(int fd, bool registered)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file;
	void *slot;

	if (fd < 0)
		return NULL;
	if (registered) {
		struct io_uring_task *tctx = task->io_uring;

		if (!tctx || fd >= 16)	/* IO_RINGFD_REG_MAX */
			return NULL;
		slot = (void *)tctx + bpf_core_field_offset(tctx->registered_rings) +
		       (fd & 15) * sizeof(void *);
	} else {
		struct fdtable *fdt = task->files->fdt;

		if (!fdt || fd >= fdt->max_fds)
			return NULL;
		slot = (void *)((__u64)fdt->fd + (__u64)fd * sizeof(void *));
	}
	file = ps_load_ptr(slot);
	if (!file)
		return NULL;
	file = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	return file->private_data;
}

static __always_inline struct io_ring_ctx *ps_ctx_cast(void *ctx)
{
	return bpf_rdonly_cast(ctx, bpf_core_type_id_kernel(struct io_ring_ctx));
}

static __always_inline void ps_table_ref_direct(void *ctx, struct ps_table_ref *t)
{
	struct io_ring_ctx *c = ps_ctx_cast(ctx);

	if (bpf_core_field_exists(c->buf_table)) {
		t->base = c->buf_table.nodes;
		t->nr = c->buf_table.nr;
	} else {
		struct io_ring_ctx___old *o = (void *)c;

		t->base = o->user_bufs;
		t->nr = o->nr_user_bufs;
	}
}

static __always_inline __s64 ps_ctx_user_locked_direct(void *ctx)
{
	struct user_struct *user = ps_ctx_cast(ctx)->user;

	return user ? user->locked_vm.counter : -1;
}

/* direct: a constant of the calling program, so the other branch is not loaded */
static __always_inline void *ps_fd_ring_ctx_as(int fd, bool registered, bool direct)
{
	return direct ? ps_fd_ring_ctx_direct(fd, registered) : ps_fd_ring_ctx(fd, registered);
}

static __always_inline void ps_table_ref_as(void *ctx, struct ps_table_ref *t, bool direct)
{
	if (direct)
		ps_table_ref_direct(ctx, t);
	else
		ps_table_ref(ctx, t);
}

static __always_inline __s64 ps_ctx_user_locked_as(void *ctx, bool direct)
{
	return direct ? ps_ctx_user_locked_direct(ctx) : ps_ctx_user_locked(ctx);
}

#endif /* PINSCOPE_COMPAT_BPF_H */
