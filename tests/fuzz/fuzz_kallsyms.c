// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The kallsyms reader (kallsyms_find_in, user/kernel_info.c) over a file
 * made from the input, checked against a reference that reads the whole
 * file at once: the streamed reader must find the same addresses whatever
 * way its 64 KiB reads cut the lines. The first input byte picks how often
 * the rest repeats (up to ~260 KiB, so lines straddle reads and overlong
 * lines occur); the names searched for include ones the tracer asks for.
 */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "kernel_info.h"

#define CHUNK		(64 << 10)	/* kallsyms_find_in's read size */
#define MAX_FILE	(260 << 10)

static const char *const names[] = {
	"io_complete_rw", "io_complete_rw_iopoll", "iomap_dio_bio_end_io",
	"io_pin_pages", "a",
};
#define NR_NAMES (sizeof(names) / sizeof(names[0]))

/* "ADDR t NAME": a text symbol; NAME is all that follows "ADDR t ". */
static void ref_line(char *line, char *end, uint64_t *addrs)
{
	char *type = memchr(line, ' ', end - line);

	*end = '\0';
	if (!type || end - type <= 3 || (type[1] != 't' && type[1] != 'T'))
		return;
	for (size_t i = 0; i < NR_NAMES; i++)
		if (!addrs[i] && !strcmp(type + 3, names[i]))
			addrs[i] = strtoull(line, NULL, 16) ?: 1;
}

/* Lines of CHUNK bytes or more are not symbol lines, whole. */
static void reference(char *file, size_t len, uint64_t *addrs)
{
	char *line = file, *end, *stop = file + len;

	memset(addrs, 0, NR_NAMES * sizeof(*addrs));
	while (line < stop) {
		end = memchr(line, '\n', stop - line);
		if (!end)
			end = stop;
		if (end - line < CHUNK)
			ref_line(line, end, addrs);
		line = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	uint64_t got[NR_NAMES], want[NR_NAMES];
	char path[64], *file;
	size_t copies, len = 0;

	if (!size)
		return 0;
	if (fd < 0 && (fd = memfd_create("kallsyms", MFD_CLOEXEC)) < 0)
		abort();
	copies = 1 + data[0] * (MAX_FILE / 255) / size;
	data++, size--;
	file = malloc(copies * size + 1);
	for (size_t i = 0; i < copies && len + size <= MAX_FILE; i++, len += size)
		memcpy(file + len, data, size);
	if (ftruncate(fd, 0) || pwrite(fd, file, len, 0) != (ssize_t)len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	FUZZ_CHECK(kallsyms_find_in(path, names, NR_NAMES, got) == 0);
	reference(file, len, want);
	for (size_t i = 0; i < NR_NAMES; i++)
		FUZZ_CHECK(got[i] == want[i]);
	free(file);
	return 0;
}
