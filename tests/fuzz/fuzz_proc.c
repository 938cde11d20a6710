// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The parsers of kernel files pinscope reads under /proc and /sys, other
 * than kallsyms (fuzz_kallsyms.c): the first input byte picks one, the rest
 * is the file's text, in an allocation of exactly its size (no NUL after
 * it: a parser given a length must not read past it). Each parser's result
 * is checked against the text it came from.
 */
#include <errno.h>
#include "fdinfo.h"
#include "fuzz.h"
#include "kernel_info.h"

/* securityfs's lockdown line: the mode is a bracketed word of the line */
static void lockdown(const char *text, size_t len)
{
	char *line = strndup(text, len);	/* fgets gives read_lockdown a string */
	char mode[32];

	lockdown_mode(line, mode, sizeof(mode));
	FUZZ_CHECK(strlen(mode) < sizeof(mode));
	if (strcmp(mode, "unknown")) {
		const char *open = strchr(line, '[');

		FUZZ_CHECK(open && !strncmp(open + 1, mode, strlen(mode)));
	}
	free(line);
}

/*
 * /proc/PID/fdinfo/FD of an io_uring fd: buffers are counted from lines,
 * and one buffer of len bytes spans at most len / 4 KiB + 2 pages.
 */
static void fdinfo(const char *text, size_t len)
{
	struct fdinfo_ring ring = {};
	size_t lines = 1;
	int e = fdinfo_parse(text, len, &ring);

	FUZZ_CHECK(e == 0 || e == -EINVAL);
	if (e)
		return;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	FUZZ_CHECK(ring.table.buffers < lines);
	FUZZ_CHECK(!ring.complete || ring.table.buffers <= ring.table.slots);
	if (ring.table.buffers == 1)	/* sums of several may wrap */
		FUZZ_CHECK(ring.table.pages <= ring.table.bytes / 4096 + 2);
}

static void (*const parsers[])(const char *text, size_t len) = {
	lockdown,
	fdinfo,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned which = fuzz_byte(&in) % (sizeof(parsers) / sizeof(parsers[0]));
	size_t len = in.size;
	char *text = malloc(len ? len : 1);

	fuzz_take(&in, text, len);
	parsers[which](text, len);
	free(text);
	return 0;
}
