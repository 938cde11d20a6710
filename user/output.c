// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "errors.h"
#include "fmt.h"
#include "output.h"

static struct {
	int fd;
	const char *path;	/* NULL: stdout */
	bool created;		/* we created path: remove it if nothing came */
	bool written;
	bool stdout_closed;	/* fd 1 was closed at start: writing there fails */
	bool gone;
	int error;
	char *doc;		/* the memory stream's buffer */
	size_t doc_len;
	FILE *sink;		/* /dev/null: renderers' target when memory ran out */
} out = { .fd = -1 };

void output_guard_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			continue;
		if (fd == 1)
			out.stdout_closed = true;
	}
}

int output_open(const char *path)
{
	out.path = path;
	out.sink = fopen("/dev/null", "we");
	if (!path) {
		if (out.stdout_closed) {
			ps_error("standard output is closed: nowhere to write the report "
				 "(use -o FILE)");
			return PS_EXIT_FAIL;
		}
		out.fd = STDOUT_FILENO;
		return 0;
	}
	/* "e": the traced command must not inherit the report */
	out.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	out.created = out.fd >= 0;
	if (out.fd < 0 && errno == EEXIST)
		out.fd = open(path, O_WRONLY | O_CLOEXEC);
	if (out.fd < 0) {
		ps_error("-o %s: %s", path, strerror(errno));
		return PS_EXIT_FAIL;
	}
	return 0;
}

FILE *output_begin(void)
{
	FILE *doc;

	out.doc = NULL;
	out.doc_len = 0;
	doc = open_memstream(&out.doc, &out.doc_len);
	return doc ? doc : out.sink;
}

int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* An existing regular file is replaced by the first document, not before. */
static int first_write(void)
{
	struct stat st;

	out.written = true;
	if (out.path && !fstat(out.fd, &st) && S_ISREG(st.st_mode) && ftruncate(out.fd, 0))
		return -errno;
	return 0;
}

/*
 * Invalid UTF-8 can only sit inside JSON strings (json-c copies names
 * byte for byte): each such byte becomes U+FFFD.
 */
static int write_json_utf8(const char *s, size_t len)
{
	size_t start = 0, i = 0;
	int e = 0;

	while (i < len && !e) {
		size_t n = utf8_seq_len((const unsigned char *)s + i, len - i);

		if (n) {
			i += n;
			continue;
		}
		e = write_all(out.fd, s + start, i - start);
		if (!e)
			e = write_all(out.fd, "\\ufffd", 6);
		start = ++i;
	}
	return e ? e : write_all(out.fd, s + start, len - start);
}

int output_end(FILE *doc, bool json)
{
	int e = 0;

	if (!doc || doc == out.sink)
		e = -ENOMEM;
	else if (fclose(doc))
		e = -errno;
	if (!e && out.gone)
		e = -EPIPE;
	if (!e && out.stdout_closed && out.fd == STDOUT_FILENO)
		e = -EBADF;
	if (!e && !out.written)
		e = first_write();
	if (!e)
		e = json ? write_json_utf8(out.doc, out.doc_len)
			 : write_all(out.fd, out.doc, out.doc_len);
	free(out.doc);
	out.doc = NULL;
	if (e == -EPIPE)
		out.gone = true;
	else if (e)
		output_fail(-e);
	return e;
}

bool output_reader_gone(void)
{
	struct pollfd pfd = { .fd = out.fd };

	/* a pipe whose reader closed polls POLLERR; a file never does */
	if (!out.gone && out.fd >= 0 && poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLERR))
		out.gone = true;
	return out.gone;
}

void output_fail(int err)
{
	if (!out.error)
		out.error = err;
}

int output_error(void)
{
	return out.error;
}

int output_status(int status)
{
	if (!out.error)
		return status;
	if (out.error == ENOMEM)
		ps_error("out of memory: the report could not be built");
	else
		ps_error("writing the report to %s: %s", output_name(), strerror(out.error));
	return PS_EXIT_FAIL;
}

const char *output_name(void)
{
	return out.path ? out.path : "standard output";
}

bool output_stdout_closed(void)
{
	return out.stdout_closed;
}

int output_fd(void)
{
	return out.fd;
}

void output_close(void)
{
	if (out.sink)
		fclose(out.sink);
	out.sink = NULL;
	if (out.fd >= 0 && out.path) {
		if (close(out.fd) && !out.error)
			out.error = errno;
		if (out.created && !out.written)
			unlink(out.path);
	}
	out.fd = -1;
}
