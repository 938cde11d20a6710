// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "buffers.h"
#include "workload.h"

enum case_result case_fail(struct wctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->o->reason, sizeof(c->o->reason), fmt, ap);
	va_end(ap);
	c->o->status = ORACLE_FAILED;
	fprintf(stderr, "pinscope-workload: %s: %s\n", c->case_name,
		c->o->reason);
	return CASE_FAILED;
}

enum case_result case_skip(struct wctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->o->reason, sizeof(c->o->reason), fmt, ap);
	va_end(ap);
	c->o->status = ORACLE_SKIPPED;
	return CASE_SKIPPED;
}

enum case_result case_gave_up(const struct wctx *c)
{
	return c->o->status == ORACLE_SKIPPED ? CASE_SKIPPED : CASE_FAILED;
}

static struct cleanup *cleanup_push(struct wctx *c, enum cleanup_kind kind)
{
	struct cleanup *cl;

	if (c->nr_cleanups >= WL_MAX_CLEANUPS)
		return NULL;
	cl = &c->cleanups[c->nr_cleanups++];
	memset(cl, 0, sizeof(*cl));
	cl->kind = kind;
	return cl;
}

bool cleanup_fd(struct wctx *c, int fd)
{
	struct cleanup *cl = cleanup_push(c, CL_FD);

	if (!cl) {
		close(fd);
		return false;
	}
	cl->fd = fd;
	return true;
}

bool cleanup_unlink(struct wctx *c, const char *path)
{
	struct cleanup *cl = cleanup_push(c, CL_UNLINK);

	if (!cl) {
		unlink(path);
		return false;
	}
	cl->path = strdup(path);
	return true;
}

bool cleanup_munmap(struct wctx *c, void *addr, size_t len)
{
	struct cleanup *cl = cleanup_push(c, CL_MUNMAP);

	if (!cl) {
		buf_forget(addr);
		munmap(addr, len);
		return false;
	}
	cl->ptr = addr;
	cl->len = len;
	return true;
}

bool cleanup_hugepages(struct wctx *c, long previous)
{
	struct cleanup *cl = cleanup_push(c, CL_HUGEPAGES);

	if (!cl) {
		huge_restore(previous);
		return false;
	}
	cl->value = previous;
	return true;
}

bool cleanup_free(struct wctx *c, void *ptr)
{
	struct cleanup *cl = cleanup_push(c, CL_FREE);

	if (!cl) {
		free(ptr);
		return false;
	}
	cl->ptr = ptr;
	return true;
}

static bool cleanup_ring(struct wctx *c, struct ws_ring *r)
{
	struct cleanup *cl = cleanup_push(c, CL_RING);

	if (!cl)
		return false;
	cl->ptr = r;
	return true;
}

void ring_close(struct wctx *c, struct ws_ring *r)
{
	for (int i = 0; i < c->nr_cleanups; i++)
		if (c->cleanups[i].kind == CL_RING && c->cleanups[i].ptr == r)
			c->cleanups[i].kind = CL_FREE;
	io_uring_queue_exit(&r->uring);
	/* the fd stays taken: the oracle tells rings apart by it */
	cleanup_fd(c, open("/dev/null", O_RDONLY | O_CLOEXEC));
}

void cleanup_run(struct wctx *c)
{
	while (c->nr_cleanups > 0) {
		struct cleanup *cl = &c->cleanups[--c->nr_cleanups];

		switch (cl->kind) {
		case CL_FD:
			close(cl->fd);
			break;
		case CL_UNLINK:
			if (cl->path)
				unlink(cl->path);
			free(cl->path);
			break;
		case CL_MUNMAP:
			buf_forget(cl->ptr);
			munmap(cl->ptr, cl->len);
			break;
		case CL_RING:
			io_uring_queue_exit(&((struct ws_ring *)cl->ptr)->uring);
			free(cl->ptr);
			break;
		case CL_HUGEPAGES:
			huge_restore(cl->value);
			break;
		case CL_FREE:
			free(cl->ptr);
			break;
		}
	}
}

struct ws_ring *ring_new(struct wctx *c, unsigned int entries,
			 unsigned int flags)
{
	struct ws_ring *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		case_fail(c, "out of memory for a ring");
		return NULL;
	}
	r->params.flags = flags;
	ret = io_uring_queue_init_params(entries, &r->uring, &r->params);
	if (ret < 0) {
		free(r);
		if (ret == -EINVAL && flags)
			case_skip(c, "io_uring_setup(%u, flags 0x%x): EINVAL: this kernel lacks a setup flag",
				  entries, flags);
		else
			case_fail(c, "io_uring_setup(%u, flags 0x%x): %s",
				  entries, flags, strerror(-ret));
		return NULL;
	}
	if (!cleanup_ring(c, r)) {
		io_uring_queue_exit(&r->uring);
		free(r);
		case_fail(c, "too many resources in one case");
		return NULL;
	}
	r->fd = r->uring.ring_fd;
	r->rec = oracle_add_ring(c->o, r->fd, flags);
	if (!r->rec) {
		case_fail(c, "too many rings in one case");
		return NULL;
	}
	return r;
}

int ring_supports_op(struct ws_ring *r, int opcode)
{
	/*
	 * Probe through this ring: io_uring_get_probe() would create and close
	 * a ring of its own, which a tracer sees as one more ring.
	 */
	struct io_uring_probe *probe = io_uring_get_probe_ring(&r->uring);
	int ok;

	if (!probe)
		return -EINVAL;
	ok = io_uring_opcode_supported(probe, opcode);
	io_uring_free_probe(probe);
	return ok ? 1 : 0;
}

bool ring_and_direct_file(struct wctx *c, struct ws_ring **r, int *fd)
{
	char path[512];

	*r = ring_new(c, 8, 0);
	if (!*r)
		return false;
	*fd = data_file_open(c, O_DIRECT, path, sizeof(path));
	return *fd >= 0;
}

int data_file_open(struct wctx *c, int flags, char *path_out, size_t path_len)
{
	int fd;

	snprintf(path_out, path_len, "%s/pinscope-%s-%d-%d.dat", c->dir,
		 c->case_name, (int)getpid(), c->file_seq++);
	fd = open(path_out, O_RDWR | O_CREAT | O_TRUNC | flags, 0600);
	if (fd < 0) {
		int err = errno;

		case_fail(c, "open %s: %s", path_out, strerror(err));
		return -err;
	}
	if (!cleanup_unlink(c, path_out) || !cleanup_fd(c, fd)) {
		case_fail(c, "too many resources in one case");
		return -ENOMEM;
	}
	return fd;
}
