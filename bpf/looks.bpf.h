/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Looks at the rings that exist: BPF iterators that user space runs at the
 * start of a session, at every harvest and at the end. They find rings
 * created before tracing began, take each ring's registered-buffer table as
 * it is now, and stamp every ring they see alive, so that user space can
 * harvest and forget the rings the kernel has freed.
 */
#ifndef PS_LOOKS_BPF_H
#define PS_LOOKS_BPF_H

#include "rings.bpf.h"
#include "table.bpf.h"

/* Set by user space: io_uring's file release function (from kallsyms). */
__u64 io_uring_release_addr = 0;
/* Set by user space before each look; the look stamps rings with it. */
__u32 look_gen = 0;

static __always_inline bool is_ring_file(struct file *file)
{
	return io_uring_release_addr &&
	       (__u64)BPF_CORE_READ(file, f_op, release) == io_uring_release_addr;
}

/*
 * One ring seen alive in task's process through fd (-1: a registered index);
 * in_setup: task is in io_uring_setup(2).
 */
static __always_inline void look_ring(struct task_struct *task, int fd, struct file *file,
				      bool in_setup)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	void *ctx = BPF_CORE_READ(file, private_data);
	__u64 key = (__u64)ctx;
	struct walk_ctx w = {};
	struct ps_ring *r;
	__u32 *idp, id;
	__u64 mods;

	if (!ctx || (filter_tgid && !bpf_map_lookup_elem(&traced, &tgid)))
		return;
	idp = bpf_map_lookup_elem(&ring_ids, &key);
	if (idp) {
		id = *idp;
	} else {
		__u32 *gen = bpf_map_lookup_elem(&setup_seen, &tgid);

		/* in io_uring_setup(2): io_uring_create will name this ring */
		if (in_setup || (gen && *gen == look_gen))
			return;
		id = ring_new(ctx, fd, PS_RING_FOUND, BPF_NOEXIST, 0, 0, task);
	}
	r = id ? bpf_map_lookup_elem(&rings, &id) : NULL;
	if (!r || r->seen_gen == look_gen)
		return;		/* dropped, or already seen through another fd */
	if (r->fd < 0 && fd >= 0) {
		/* first met at an IO: now we know its fd */
		r->fd = fd;
		r->pid = tgid;
	}
	w.ring = id;
	w.pid = r->pid;
	/* check learns a found table's buffers once, as if registered now */
	w.emit = emit_buffers && r->origin == PS_RING_FOUND && !r->registered_known;
	w.look = true;
	mods = table_mods;
	table_walk(&w, ctx, 0, 0, PS_REG_BUFFERS, false);
	table_sum_seed(ctx, &w, mods);
	r->registered = w.sum;
	r->registered_known = 1;
	r->seen_gen = look_gen;
}

SEC("iter/task_file")
int ps_look_files(struct bpf_iter__task_file *it)
{
	struct file *file = it->file;
	struct task_struct *task = it->task;

	if (file && task && is_ring_file(file))
		look_ring(task, it->fd, file, ps_task_in_setup(task));
	return 0;
}

struct ring_index_look {
	struct task_struct *task;
	struct io_uring_task *tctx;
};

/* Registered ring index i of a thread (bpf_loop: verified once, not 16 times). */
static long look_ring_index(__u32 i, struct ring_index_look *l)
{
	struct file *file = NULL;

	if (i >= 16)
		return 1;
	bpf_probe_read_kernel(&file, sizeof(file), &l->tctx->registered_rings[i]);
	if (file && is_ring_file(file))
		look_ring(l->task, -1, file, false);
	return 0;
}

/*
 * A ring can live on with no fd, as a registered ring index of a thread;
 * and a thread still in io_uring_setup(2) may not have installed its new
 * ring's fd yet. This look runs before the one over files: a thread that
 * leaves the call meanwhile has installed the fd that look then finds.
 */
SEC("iter/task")
int ps_look_tasks(struct bpf_iter__task *it)
{
	struct task_struct *task = it->task;
	struct ring_index_look l;
	__u32 *id;

	if (!task)
		return 0;
	/* the look over files meets only a process's first thread */
	if (ps_task_in_setup(task)) {
		__u32 tgid = BPF_CORE_READ(task, tgid);

		bpf_map_update_elem(&setup_seen, &tgid, &look_gen, BPF_ANY);
	}
	id = bpf_task_storage_get(&rings_in_setup, task, NULL, 0);
	if (id && *id) {
		struct ps_ring *r = bpf_map_lookup_elem(&rings, id);

		if (r && ps_task_in_setup(task))
			r->seen_gen = look_gen;
		else
			*id = 0;
	}
	l.task = task;
	l.tctx = BPF_CORE_READ(task, io_uring);
	if (l.tctx)
		bpf_loop(16, look_ring_index, &l, 0);	/* IO_RINGFD_REG_MAX */
	return 0;
}

#endif /* PS_LOOKS_BPF_H */
