// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fdinfo_parse: an io_uring fd's registered buffers from its fdinfo text. */
#include <errno.h>
#include <string.h>
#include "fdinfo.h"
#include "unit.h"

void test_fdinfo(void)
{
	static const char three[] =
		"pos:\t0\nflags:\t02000002\nUserFiles:\t0\nUserBufs:\t3\n"
		"    0: 0x7f1c2a400000/65536\n    1: <none>\n    2: 0x7f1c2a411000/4097\n"
		"PollList:\n";
	static const char top[] = "UserBufs:\t2\n    0: 0xfffffffffffff000/8192\n";
	static const char neg[] = "UserBufs:\t1\n    0: 0x7f1c2a400000/-5536\n";
	struct fdinfo_ring ring;

	ASSERT_EQ(fdinfo_parse(three, strlen(three), &ring), 0, "an io_uring fdinfo");
	ASSERT_EQ(ring.table.slots, 3, "slots announced");
	ASSERT_EQ(ring.table.buffers, 2, "an empty slot is no buffer");
	ASSERT_EQ(ring.table.bytes, 65536 + 4097, "bytes");
	ASSERT_EQ(ring.table.pages, 16 + 2, "4097 bytes span 2 pages");
	ASSERT_TRUE(ring.complete, "every slot listed");
	/* addr + len passes 2^64 there: the count must not wrap */
	ASSERT_EQ(fdinfo_parse(top, strlen(top), &ring), 0, "a buffer at the top");
	ASSERT_EQ(ring.table.pages, 2, "8 KiB at the last pages");
	ASSERT_TRUE(!ring.complete, "one of two slots listed");
	ASSERT_EQ(fdinfo_parse("pos:\t0\n", 7, &ring), -EINVAL, "not an io_uring fd");
	ASSERT_EQ(fdinfo_parse(neg, strlen(neg), &ring), 0, "a signed length");
	ASSERT_EQ(ring.table.buffers, 0, "a length with a sign is no buffer");
}
