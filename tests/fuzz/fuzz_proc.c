// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The parsers of kernel files pinscope reads under /proc and /sys, other
 * than kallsyms (fuzz_kallsyms.c): the first input byte picks one, the rest
 * is the file's text, NUL-terminated in an allocation of exactly its size.
 * Each parser's result is checked against the text it came from.
 */
#include "fuzz.h"
#include "kernel_info.h"

/* securityfs's lockdown line: the mode is a bracketed word of the line */
static void lockdown(const char *text)
{
	char mode[32];

	lockdown_mode(text, mode, sizeof(mode));
	FUZZ_CHECK(strlen(mode) < sizeof(mode));
	if (strcmp(mode, "unknown")) {
		const char *open = strchr(text, '[');

		FUZZ_CHECK(open && !strncmp(open + 1, mode, strlen(mode)));
	}
}

static void (*const parsers[])(const char *text) = {
	lockdown,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	unsigned which = fuzz_byte(&in) % (sizeof(parsers) / sizeof(parsers[0]));
	size_t len = in.size;
	char *text = malloc(len + 1);

	fuzz_take(&in, text, len);
	text[len] = '\0';
	parsers[which](text);
	free(text);
	return 0;
}
