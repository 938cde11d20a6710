// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Registrations the kernel refuses. A refused call must show up in the
 * oracle as a call with its errno and add nothing to the buffer numbers.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "buffers.h"
#include "cases.h"
#include "regs.h"

#define KiB 1024UL

static enum case_result expect_errno(struct wctx *c, const char *what, int ret,
				     int want)
{
	if (ret == -want)
		return CASE_OK;
	return case_fail(c, "%s returned %d (%s), expected %s", what, ret,
			 ret < 0 ? errno_name(-ret) : "success",
			 errno_name(want));
}

enum case_result case_err_file_backed(struct wctx *c)
{
	struct iovec iov;
	struct ws_ring *r;
	char path[512], *map;
	int fd, ret;

	r = ring_new(c, 4, 0);
	if (!r)
		return CASE_FAILED;
	fd = data_file_open(c, 0, path, sizeof(path));
	if (fd < 0)
		return CASE_FAILED;
	if (ftruncate(fd, 64 * KiB))
		return case_fail(c, "ftruncate: %s", strerror(errno));
	map = mmap(NULL, 64 * KiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return case_fail(c, "mmap MAP_SHARED of %s: %s", path,
				 strerror(errno));
	if (!cleanup_munmap(c, map, 64 * KiB))
		return case_fail(c, "too many resources in one case");
	memset(map, 1, 64 * KiB);

	/*
	 * Long-term pins of a regular file's page cache are refused: by
	 * io_uring's own VMA check (EOPNOTSUPP) before 6.5, by GUP's
	 * FOLL_LONGTERM check (EFAULT) since "io_uring: rsrc: delegate VMA
	 * file-backed check to GUP" (6.5). Either is this case's
	 * expected outcome; the oracle records the one the kernel gave.
	 */
	iov.iov_base = map;
	iov.iov_len = 64 * KiB;
	ret = reg_buffers(r->rec, &iov, 1);
	if (ret == -EFAULT)
		return CASE_OK;
	return expect_errno(c, "REGISTER_BUFFERS of a MAP_SHARED file mapping",
			    ret, EOPNOTSUPP);
}

enum case_result case_err_too_big(struct wctx *c)
{
	const size_t len = 1UL << 40;	/* 1 TiB */
	struct iovec iov;
	struct ws_ring *r;
	char *buf;
	int ret;

	r = ring_new(c, 4, 0);
	if (!r)
		return CASE_FAILED;
	/* Never touched (MAP_NORESERVE): refused before anything is pinned. */
	buf = buf_map_untouched(c, len);
	if (!buf)
		return CASE_FAILED;
	iov.iov_base = buf;
	iov.iov_len = len;
	/*
	 * Kernels with io_uring's "arbitrary limit" of 1 GiB per buffer
	 * refuse it with EFAULT. Once that limit went ("No specific buffer
	 * length limit outside of what io_pin_pages() limits us to"; Debian's
	 * 7.2 registers 1 GiB + 4 KiB), 7.2 refuses 1 TiB with EOVERFLOW,
	 * before pinning anything. Either is this case's expected outcome;
	 * the oracle records the one the kernel gave.
	 */
	ret = reg_buffers(r->rec, &iov, 1);
	if (ret == -EOVERFLOW)
		return CASE_OK;
	return expect_errno(c, "REGISTER_BUFFERS of 1 TiB", ret, EFAULT);
}

enum case_result case_err_too_many(struct wctx *c)
{
	const unsigned int nr = (1U << 14) + 1;	/* IORING_MAX_REG_BUFFERS + 1 */
	struct iovec *iov;
	struct ws_ring *r;
	char *buf;

	r = ring_new(c, 4, 0);
	if (!r)
		return CASE_FAILED;
	buf = buf_map(c, 4 * KiB);
	iov = calloc(nr, sizeof(*iov));
	if (!buf || !iov || !cleanup_free(c, iov))
		return case_fail(c, "out of memory");
	for (unsigned int i = 0; i < nr; i++)
		iov[i] = (struct iovec){ buf, 4 * KiB };
	return expect_errno(c, "REGISTER_BUFFERS of 16385 iovecs",
			    reg_buffers(r->rec, iov, nr), EINVAL);
}

enum case_result case_err_register_busy(struct wctx *c)
{
	struct iovec iov[2];
	struct ws_ring *r;
	char *buf;
	int ret;

	r = ring_new(c, 4, 0);
	if (!r)
		return CASE_FAILED;
	buf = buf_map(c, 32 * KiB);
	if (!buf)
		return CASE_FAILED;
	iov[0] = (struct iovec){ buf, 16 * KiB };
	iov[1] = (struct iovec){ buf + 16 * KiB, 16 * KiB };
	ret = reg_buffers(r->rec, iov, 2);
	if (ret)
		return case_fail(c, "first REGISTER_BUFFERS: %s", strerror(-ret));
	return expect_errno(c, "second REGISTER_BUFFERS", reg_buffers(r->rec, iov, 2),
			    EBUSY);
}

/*
 * A service that retries a refused call: 600 EBUSY registrations on one
 * ring, more than pinscope explains one by one (it counts the rest).
 */
enum case_result case_err_repeated(struct wctx *c)
{
	struct iovec iov = { NULL, 16 * KiB };
	struct ws_ring *r;
	int ret;

	r = ring_new(c, 4, 0);
	if (!r)
		return CASE_FAILED;
	iov.iov_base = buf_map(c, 16 * KiB);
	if (!iov.iov_base)
		return CASE_FAILED;
	ret = reg_buffers(r->rec, &iov, 1);
	if (ret)
		return case_fail(c, "first REGISTER_BUFFERS: %s", strerror(-ret));
	for (int i = 0; i < 600; i++)
		if (expect_errno(c, "a repeated REGISTER_BUFFERS", reg_buffers(r->rec, &iov, 1),
				 EBUSY) != CASE_OK)
			return CASE_FAILED;
	return CASE_OK;
}

/*
 * err_memlock. Root's rings charge nothing (CAP_IPC_LOCK), so a child drops
 * to an unprivileged uid and lowers RLIMIT_MEMLOCK before it creates its
 * ring; the parent
 * stays root for the cases after this one and prints the child's oracle.
 *
 * Kernels whose rings are io_uring memory regions (6.18 here) charge the
 * ring's own SQ/CQ pages to the same locked_vm (io_create_region): 2 pages
 * for this ring, so 2 x 32 KiB no longer fits under 64 KiB. The fitting
 * registration is 2 x 24 KiB, which fits with or without that charge.
 *
 * locked_vm is per user, and a ring's charges are returned by a kernel
 * worker some milliseconds after its process exits. With one shared uid
 * (nobody) a run started right after another finds the last run's pages
 * still charged, so each run takes a uid of its own that no one else uses.
 */
#define MEMLOCK_LIMIT	(64 * KiB)
#define UID_BASE	0x50530000U	/* "PS": far above any real account */

static enum case_result drop_privileges(struct wctx *c, unsigned int id)
{
	struct rlimit rl = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };
	char line[128];
	bool caps_clear = false;
	FILE *f;

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return case_fail(c, "setrlimit(RLIMIT_MEMLOCK): %s", strerror(errno));
	if (setgroups(0, NULL) || setresgid(id, id, id) ||
	    setresuid(id, id, id))
		return case_fail(c, "dropping to uid/gid %u: %s", id,
				 strerror(errno));
	/* Without CAP_IPC_LOCK gone the kernel would charge nothing. */
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			caps_clear = strtoull(line + 7, NULL, 16) == 0;
	if (f)
		fclose(f);
	if (!caps_clear)
		return case_fail(c, "capabilities survived setresuid(%u)", id);
	return CASE_OK;
}

static json_object *memlock_request(const struct iovec *iov, unsigned int nr,
				    int ret)
{
	json_object *req = json_object_new_object();
	unsigned long pages = 0, unaligned_extra = 0;

	/*
	 * unaligned_extra_pages: pages spanned beyond what the length alone
	 * needs, because a buffer starts inside a page.
	 */
	for (unsigned int i = 0; i < nr; i++) {
		unsigned long span = span_pages((uintptr_t)iov[i].iov_base,
						iov[i].iov_len);

		pages += span;
		unaligned_extra += span - (iov[i].iov_len + PAGE_4K - 1) / PAGE_4K;
	}
	json_object_object_add(req, "pages", json_object_new_int64(pages));
	json_object_object_add(req, "unaligned_extra_pages",
			       json_object_new_int64(unaligned_extra));
	json_object_object_add(req, "errno", ret < 0 ?
			       json_object_new_string(errno_name(-ret)) : NULL);
	return req;
}

static enum case_result memlock_child(struct wctx *c)
{
	json_object *memlock, *requests;
	struct iovec big, unaligned[2], fit[2];
	struct ws_ring *r;
	char *mb, *odd, *ok;
	enum case_result res;
	int ret;

	res = drop_privileges(c, UID_BASE + ((unsigned int)getpid() & 0xffff));
	if (res != CASE_OK)
		return res;
	r = ring_new(c, 4, 0);
	mb = r ? buf_map(c, 1024 * KiB) : NULL;
	odd = mb ? buf_map(c, 80 * KiB) : NULL;
	ok = odd ? buf_map(c, 48 * KiB) : NULL;
	if (!ok)
		return CASE_FAILED;

	memlock = json_object_new_object();
	requests = json_object_new_array();
	json_object_object_add(memlock, "uid", json_object_new_int64(getuid()));
	json_object_object_add(memlock, "limit_bytes",
			       json_object_new_int64(MEMLOCK_LIMIT));
	json_object_object_add(memlock, "requests", requests);
	oracle_set_extra(c->o, "memlock", memlock);

	big = (struct iovec){ mb, 1024 * KiB };
	ret = reg_buffers(r->rec, &big, 1);
	json_object_array_add(requests, memlock_request(&big, 1, ret));
	res = expect_errno(c, "REGISTER_BUFFERS of 1 MiB", ret, ENOMEM);
	if (res != CASE_OK)
		return res;

	/* 512 bytes into a page: each 32 KiB spans 9 pages, 18 in all. */
	unaligned[0] = (struct iovec){ odd + 512, 32 * KiB };
	unaligned[1] = (struct iovec){ odd + 40 * KiB + 512, 32 * KiB };
	ret = reg_buffers(r->rec, unaligned, 2);
	json_object_array_add(requests, memlock_request(unaligned, 2, ret));
	res = expect_errno(c, "REGISTER_BUFFERS of 2 x 32 KiB unaligned", ret,
			   ENOMEM);
	if (res != CASE_OK)
		return res;

	fit[0] = (struct iovec){ ok, 24 * KiB };
	fit[1] = (struct iovec){ ok + 24 * KiB, 24 * KiB };
	ret = reg_buffers(r->rec, fit, 2);
	json_object_array_add(requests, memlock_request(fit, 2, ret));
	if (ret)
		return case_fail(c, "REGISTER_BUFFERS of 2 x 24 KiB under the limit: %s",
				 errno_name(-ret));
	return CASE_OK;
}

static enum case_result finish_child(struct wctx *c, int wfd)
{
	enum case_result res = memlock_child(c);
	json_object *obj;
	const char *text;
	size_t len, done = 0;

	cleanup_run(c);
	if (res == CASE_FAILED)
		c->o->status = ORACLE_FAILED;
	obj = oracle_to_json(c->o);
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	while (done < len) {
		ssize_t n = write(wfd, text + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	json_object_put(obj);
	return res;
}

enum case_result case_err_memlock(struct wctx *c)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	json_object *child_oracle, *status;
	int pipefd[2], wstatus;
	pid_t pid;

	if (pipe(pipefd))
		return case_fail(c, "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return case_fail(c, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(pipefd[0]);
		c->o->pid = getpid();
		_exit(finish_child(c, pipefd[1]) == CASE_FAILED ? 1 : 0);
	}

	close(pipefd[1]);
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap) {
			char *grown = realloc(text, cap + 65536);

			if (!grown)
				break;
			text = grown;
			cap += 65536;
		}
		n = read(pipefd[0], text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pipefd[0]);
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (text)
		text[len] = '\0';
	child_oracle = text ? json_tokener_parse(text) : NULL;
	free(text);
	if (!child_oracle || !WIFEXITED(wstatus))
		return case_fail(c, "the unprivileged child (pid %d) died without an oracle",
				 (int)pid);
	c->o->replaced = child_oracle;
	if (WEXITSTATUS(wstatus)) {
		c->o->status = ORACLE_FAILED;
		return CASE_FAILED;
	}
	if (json_object_object_get_ex(child_oracle, "status", &status) &&
	    !strcmp(json_object_get_string(status), "skipped"))
		return CASE_SKIPPED;
	return CASE_OK;
}
