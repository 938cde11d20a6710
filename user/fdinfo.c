// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdinfo.h"

#define PAGE_4K	4096ULL

static uint64_t pages_spanned(uint64_t addr, uint64_t len)
{
	if (!len)
		return 0;
	/* from the offset in the first page: addr + len may pass 2^64 */
	return (addr % PAGE_4K + len + PAGE_4K - 1) / PAGE_4K;
}

/* One line of the UserBufs list: "%5u: 0x%llx/%llu" or "%5u: <none>". */
static void buffer_line(const char *line, const char *end, struct fdinfo_ring *out)
{
	unsigned long long addr, len;
	char buf[96];
	size_t n = (size_t)(end - line) < sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;

	memcpy(buf, line, n);
	buf[n] = '\0';
	/* %llu takes "-5" as 2^64 - 5; the kernel never prints a sign */
	if (sscanf(buf, " %*u: 0x%llx/%llu", &addr, &len) == 2 && !strchr(buf, '-')) {
		out->table.buffers++;
		out->table.bytes += len;
		out->table.pages += pages_spanned(addr, len);
	}
}

int fdinfo_parse(const char *text, size_t len, struct fdinfo_ring *out)
{
	const char *p = text, *end = text + len;
	unsigned long listed = 0, announced = 0;
	bool in_bufs = false, seen = false;

	memset(&out->table, 0, sizeof(out->table));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		if (n >= 9 && !memcmp(p, "UserBufs:", 9)) {
			char num[24] = "";
			size_t k = n - 9 < sizeof(num) - 1 ? n - 9 : sizeof(num) - 1;

			memcpy(num, p + 9, k);
			announced = strtoul(num, NULL, 10);
			seen = in_bufs = true;
		} else if (in_bufs && n && (isspace((unsigned char)p[0]) ||
					    isdigit((unsigned char)p[0]))) {
			buffer_line(p, eol, out);
			listed++;
		} else {
			in_bufs = false;
		}
		p = nl ? nl + 1 : end;
	}
	if (!seen)
		return -EINVAL;
	out->table.slots = announced;
	out->complete = listed == announced;
	return 0;
}

/* The whole small file: /proc files have no size to stat. */
static int read_small(const char *path, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !b) {
		int e = fd < 0 ? -errno : -ENOMEM;

		free(b);
		if (fd >= 0)
			close(fd);
		return e;
	}
	while ((r = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			/* 16,384 slots of ~30 bytes: grow, but not without end */
			char *nb = cap < (8U << 20) ? realloc(b, cap * 2) : NULL;

			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

static void read_comm(pid_t pid, char *comm)
{
	char path[64], *buf = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	comm[0] = '\0';
	if (read_small(path, &buf, &len))
		return;
	while (len && (buf[len - 1] == '\n'))
		len--;
	if (len > PS_COMM_LEN - 1)
		len = PS_COMM_LEN - 1;
	memcpy(comm, buf, len);
	comm[len] = '\0';
	free(buf);
}

int fdinfo_scan_pid(pid_t pid, struct fdinfo_ring **rings, size_t *nr, size_t *cap)
{
	char dirpath[64], link[320], target[64], path[96];
	struct dirent *de;
	DIR *d;

	snprintf(dirpath, sizeof(dirpath), "/proc/%d/fd", (int)pid);
	d = opendir(dirpath);
	if (!d)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((de = readdir(d))) {
		struct fdinfo_ring ring = { .pid = pid };
		char *text = NULL;
		size_t len = 0;
		ssize_t n;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(link, sizeof(link), "%s/%s", dirpath, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:[io_uring]"))
			continue;
		ring.fd = atoi(de->d_name);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, ring.fd);
		if (read_small(path, &text, &len))
			continue;
		if (!fdinfo_parse(text, len, &ring)) {
			if (*nr == *cap) {
				size_t ncap = *cap ? 2 * *cap : 16;
				struct fdinfo_ring *p = realloc(*rings, ncap * sizeof(*p));

				if (!p) {
					free(text);
					closedir(d);
					return -ENOMEM;
				}
				*rings = p;
				*cap = ncap;
			}
			read_comm(pid, ring.comm);
			(*rings)[(*nr)++] = ring;
		}
		free(text);
	}
	closedir(d);
	return 0;
}

int fdinfo_scan_all(bool (*wanted)(pid_t pid, void *cookie), void *cookie,
		    struct fdinfo_ring **rings, size_t *nr, size_t *cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int e = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && e != -ENOMEM) {
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)atoi(de->d_name);
		if (!wanted || wanted(pid, cookie))
			e = fdinfo_scan_pid(pid, rings, nr, cap);
	}
	closedir(d);
	return e == -ENOMEM ? e : 0;
}
