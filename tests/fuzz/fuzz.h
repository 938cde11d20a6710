/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the libFuzzer targets share: reading structured values off the
 * input, a sink for output nobody reads, and a check that aborts (libFuzzer
 * saves the input that made it fail).
 */
#ifndef PS_FUZZ_H
#define PS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_input {
	const uint8_t *data;
	size_t size;
};

/* Copies up to len bytes into out, zero-filling what the input lacks. */
static inline size_t fuzz_take(struct fuzz_input *in, void *out, size_t len)
{
	size_t n = in->size < len ? in->size : len;

	memcpy(out, in->data, n);
	memset((char *)out + n, 0, len - n);
	in->data += n;
	in->size -= n;
	return n;
}

static inline uint8_t fuzz_byte(struct fuzz_input *in)
{
	uint8_t b = 0;

	fuzz_take(in, &b, 1);
	return b;
}

/* An invariant the code under test promises; a violation is a finding. */
#define FUZZ_CHECK(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: check failed: %s\n",		\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

/*
 * pinscope's own messages (ps_error, ps_note) go to stderr and stdout;
 * thousands of inputs a second would drown libFuzzer's lines. Sanitizer
 * reports and libFuzzer write to fd 2 directly and stay visible.
 */
static inline FILE *fuzz_quiet(void)
{
	static FILE *devnull;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		if (!devnull)
			abort();
		stderr = devnull;
		stdout = devnull;
	}
	return devnull;
}

#endif
