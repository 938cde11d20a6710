// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kallsyms_find_in: text symbols only, found across read-chunk boundaries. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "kernel_info.h"
#include "unit.h"

void test_kallsyms(void)
{
	static const char *const names[] = {
		"first_fn", "mid_fn", "hidden_fn", "data_sym", "last_fn", "absent_fn",
		"tail_fn",
	};
	char path[] = "/tmp/pinscope-unit-kallsyms.XXXXXX";
	uint64_t addrs[7];
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	ASSERT_TRUE(f != NULL, "temporary file");
	if (!f)
		return;
	fprintf(f, "ffffffff81000010 T first_fn\n");
	/* ~300 KB of filler: several 64 KiB reads, lines split between them */
	for (int i = 0; i < 6000; i++) {
		fprintf(f, "ffffffff8%07x t filler_%d\t[some_module]\n", i * 16, i);
		if (i == 3000)
			fprintf(f, "ffffffff81234560 t mid_fn\n");
	}
	/* over 64 KiB: the reader drops it whole, never parses its tail */
	for (int i = 0; i < 70000; i++)
		fputc('x', f);
	fprintf(f, " t tail_fn\n");
	fprintf(f, "0000000000000000 t hidden_fn\n");
	fprintf(f, "ffffffff82000000 d data_sym\n");
	fprintf(f, "ffffffff81fffff0 T last_fn");	/* no newline at the end */
	fclose(f);

	ASSERT_EQ(kallsyms_find_in(path, names, 7, addrs), 0, "reads the file");
	ASSERT_EQ(addrs[0], 0xffffffff81000010ULL, "the first line's symbol");
	ASSERT_EQ(addrs[1], 0xffffffff81234560ULL, "a symbol deep in the file");
	ASSERT_EQ(addrs[2], 1, "a hidden address (kptr_restrict) is 1, not absent");
	ASSERT_EQ(addrs[3], 0, "data symbols are not functions");
	ASSERT_EQ(addrs[4], 0xffffffff81fffff0ULL, "a last line without a newline");
	ASSERT_EQ(addrs[5], 0, "an absent symbol stays 0");
	ASSERT_EQ(addrs[6], 0, "the tail of an overlong line is no symbol");
	ASSERT_TRUE(kallsyms_find_in("/nonexistent/kallsyms", names, 7, addrs) < 0,
		    "a missing file is an error");
	unlink(path);
}
