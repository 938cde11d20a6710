// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pinned-twice tracker and the registration doctor, fed by hand. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "doctor.h"
#include "ranges.h"
#include "errors.h"
#include "verdict.h"
#include "unit.h"

static void buffer(struct ranges *r, __u32 pid, __u32 ring, __u32 slot, __u64 addr, __u64 len,
		   bool shared)
{
	struct ps_buf_event e = { .type = PS_EV_BUFFER, .ring = ring, .pid = pid, .slot = slot,
				  .addr = addr, .len = len, .opcode = PS_REG_BUFFERS,
				  .shared = shared };

	ranges_on_event(r, &e, sizeof(e));
}

static void registered(struct ranges *r, __u32 pid, __u32 ring, __u32 opcode, __u64 lat)
{
	struct ps_event e = { .type = PS_EV_REGISTER, .pid = pid, .ring = ring, .opcode = opcode,
			      .lat_ns = lat };

	ranges_on_event(r, &e, sizeof(e));
}

static void lifetime(struct ranges *r, __u32 type, __u32 pid, __u32 ring)
{
	struct ps_buf_event e = { .type = type, .ring = ring, .pid = pid };

	ranges_on_event(r, &e, sizeof(e));
}

void test_ranges(void)
{
	struct ranges *r = ranges_new();
	const struct pinned_twice *v;

	/* ring 1 pins 64 KiB; ring 2 pins the same 64 KiB again: 16 pages, once */
	buffer(r, 100, 1, 0, 0x100000, 65536, false);
	registered(r, 100, 1, PS_REG_BUFFERS, 5000);
	buffer(r, 100, 2, 0, 0x100000, 65536, false);
	registered(r, 100, 2, PS_REG_BUFFERS, 7000);
	ASSERT_EQ(ranges_violations(r, &v), 1, "one pair pinned twice");
	ASSERT_EQ(v[0].ring, 2, "the second ring is named");
	ASSERT_EQ(v[0].other_ring, 1, "the first ring is named");
	ASSERT_EQ(v[0].pages, 16, "16 pages pinned by both");
	ASSERT_EQ(v[0].pin_ns, 7000, "the second registration's time");
	ASSERT_EQ(v[0].start, 0x100000, "overlap start");
	ASSERT_EQ(v[0].end, 0x110000, "overlap end");

	/* a clone shares: no second pin */
	buffer(r, 100, 3, 0, 0x100000, 65536, true);
	registered(r, 100, 3, PS_REG_CLONE_BUFFERS, 900);
	ASSERT_EQ(ranges_violations(r, &v), 1, "a clone adds nothing");

	/* same address in another process is other memory */
	buffer(r, 200, 4, 0, 0x100000, 4096, false);
	ASSERT_EQ(ranges_violations(r, &v), 1, "another address space");

	/* after ring 1 and ring 2 are gone, the memory may be registered again */
	lifetime(r, PS_EV_RING_CLOSE, 100, 1);
	registered(r, 100, 2, PS_UNREG_BUFFERS, 100);
	buffer(r, 100, 5, 0, 0x100000 + 2048, 4096, false);	/* spans 2 pages of ring 3's */
	ranges_violations(r, &v);
	ASSERT_EQ(v[1].pages, 2, "an unaligned buffer overlaps two pages");
	ASSERT_EQ(v[1].other_ring, 3, "only ring 3 still pins them");

	/* a process exit drops everything it had */
	lifetime(r, PS_EV_PROC_EXIT, 100, 0);
	buffer(r, 100, 6, 0, 0x100000, 65536, false);
	ASSERT_EQ(ranges_violations(r, &v), 2, "nothing pinned after exit");
	ranges_free(r);
}

void test_ranges_clone_pins(void)
{
	struct ranges *r = ranges_new();
	const struct pinned_twice *v;

	/* A pins, C clones A, B pins again: one pinner besides B, not two */
	buffer(r, 7, 1, 0, 0x200000, 65536, false);
	buffer(r, 7, 3, 0, 0x200000, 65536, true);
	buffer(r, 7, 2, 0, 0x200000, 65536, false);
	ASSERT_EQ(ranges_violations(r, &v), 1, "B against A only");
	ASSERT_EQ(v[0].pages, 16, "16 pages, not 32");
	/* A goes; C's copy keeps the pages pinned and becomes their pinner */
	lifetime(r, PS_EV_RING_CLOSE, 7, 1);
	lifetime(r, PS_EV_RING_CLOSE, 7, 2);
	buffer(r, 7, 4, 0, 0x200000, 4096, false);
	ASSERT_EQ(ranges_violations(r, &v), 2, "D pins what C still pins");
	ASSERT_EQ(v[1].other_ring, 3, "the clone inherited the pin");
	ranges_free(r);
}

/* A walk's record of nr slots (4 KiB at addr + slot * 4 KiB), cut to `size` bytes. */
static void buffers(struct ranges *r, __u32 ring, __u64 addr, __u32 nr, size_t size)
{
	struct ps_bufs_event e = { .type = PS_EV_BUFFERS, .ring = ring, .pid = 9,
				   .opcode = PS_REG_BUFFERS, .nr = nr };

	for (__u32 i = 0; i < nr && i < PS_BUFS_PER_EVENT; i++)
		e.v[i] = (struct ps_buf_slot){ .addr = addr + i * 4096ULL, .len = 4096, .slot = i };
	ranges_on_event(r, &e, size);
}

#define BUFS_SIZE(nr)	(offsetof(struct ps_bufs_event, v) + (nr) * sizeof(struct ps_buf_slot))

/* check's slot records come PS_BUFS_PER_EVENT to a record; each slot counts. */
void test_ranges_batched(void)
{
	struct ranges *r = ranges_new();
	const struct pinned_twice *v;

	buffers(r, 1, 0x400000, PS_BUFS_PER_EVENT, BUFS_SIZE(PS_BUFS_PER_EVENT));
	buffers(r, 2, 0x400000 + 60 * 4096, 10, BUFS_SIZE(10));
	ASSERT_EQ(ranges_violations(r, &v), 1, "ring 2 against ring 1");
	ASSERT_EQ(v[0].pages, 4, "ring 1's last 4 slots");
	/* a record shorter than its nr says, or claiming more than it can hold: ignored */
	buffers(r, 3, 0x400000, 3, BUFS_SIZE(2));
	{
		struct ps_bufs_event e = { .type = PS_EV_BUFFERS, .ring = 4, .pid = 9,
					   .nr = PS_BUFS_PER_EVENT + 1 };

		e.v[0] = (struct ps_buf_slot){ .addr = 0x400000, .len = 4096 };
		ranges_on_event(r, &e, sizeof(e));
	}
	ASSERT_EQ(ranges_violations(r, &v), 1, "no pair from the refused records");
	/* the negative control: the same record whole is taken */
	buffers(r, 3, 0x400000, 3, BUFS_SIZE(3));
	ASSERT_EQ(ranges_violations(r, &v), 2, "ring 3 against ring 1");
	ranges_free(r);
}

/* A gone record of nr ids that claims `claims` of them. */
static void gone_claiming(struct ranges *r, const __u32 *ids, __u32 nr, __u32 claims)
{
	__u32 rec[2 + 4] = { PS_EV_RINGS_GONE, claims };

	memcpy(((struct ps_gone_event *)rec)->ids, ids, nr * sizeof(*ids));
	ranges_on_event(r, rec, sizeof(struct ps_gone_event) + nr * sizeof(*ids));
}

static void gone(struct ranges *r, const __u32 *ids, __u32 nr)
{
	gone_claiming(r, ids, nr, nr);
}

static bool keep_ring_4(uint32_t ring, void *cookie)
{
	return ring == 4;
}

/*
 * Rings a look found gone leave even when their close record was lost: the
 * next ring to register the same page pins it once, not twice.
 */
void test_ranges_gone(void)
{
	struct ranges *r = ranges_new();
	const struct pinned_twice *v;
	const __u32 gone_1_2[] = { 1, 2 };

	buffer(r, 8, 1, 0, 0x300000, 4096, false);
	buffer(r, 8, 2, 0, 0x304000, 4096, false);
	buffer(r, 8, 3, 0, 0x300000, 4096, true);	/* a clone of ring 1's slot */
	gone(r, gone_1_2, 2);
	buffer(r, 8, 4, 0, 0x304000, 4096, false);
	ASSERT_EQ(ranges_violations(r, &v), 0, "ring 2 went without its close");
	/* ring 1's pin passed to its clone (ring 3), which is not gone */
	buffer(r, 8, 5, 0, 0x300000, 4096, false);
	ASSERT_EQ(ranges_violations(r, &v), 1, "the clone still holds ring 1's page");
	ASSERT_EQ(v[0].other_ring, 3, "against the clone");
	/* the negative control: without the gone record, ring 4 pins ring 2's page again */
	ranges_free(r);
	r = ranges_new();
	buffer(r, 8, 2, 0, 0x304000, 4096, false);
	gone_claiming(r, gone_1_2, 2, 3);	/* shorter than it claims: refused */
	buffer(r, 8, 4, 0, 0x304000, 4096, false);
	buffer(r, 8, 5, 0, 0x304000, 4096, false);
	ASSERT_EQ(ranges_violations(r, &v), 3, "4 against 2, 5 against 2 and 4");
	/* pairs of rings no longer shown go (the exporter) */
	ranges_keep_pairs(r, keep_ring_4, NULL);
	ASSERT_EQ(ranges_violations(r, &v), 1, "ring 4's pair kept");
	ASSERT_EQ(v[0].ring, 4, "ring 4");
	ranges_free(r);
}

static void cloned(struct ranges *r, __u32 pid, __u32 ring, __u32 src_ring, __u32 src_first,
		   __u32 first, __u32 nr)
{
	struct ps_clone_event e = { .type = PS_EV_CLONE, .ring = ring, .pid = pid,
				    .src_ring = src_ring, .src_first = src_first, .first = first,
				    .nr = nr };

	ranges_on_event(r, &e, sizeof(e));
}

/* One clone record stands for the slots it filled: they are the source's. */
void test_ranges_clone_record(void)
{
	struct ranges *r = ranges_new();
	const struct pinned_twice *v;

	/* ring 1 pins slots 0-3 (4 pages at 0x400000, 0x401000, …) */
	for (__u32 i = 0; i < 4; i++)
		buffer(r, 9, 1, i, 0x400000 + i * 4096ULL, 4096, false);
	/* ring 3 clones slots 1-2 of ring 1 into its slots 5-6 */
	cloned(r, 9, 3, 1, 1, 5, 2);
	ASSERT_EQ(ranges_violations(r, &v), 0, "a clone pins nothing");
	/* ring 1 goes: ring 3 holds 0x401000-0x403000 alone, ring 1's other pages are free */
	lifetime(r, PS_EV_RING_CLOSE, 9, 1);
	buffer(r, 9, 2, 0, 0x400000, 4 * 4096, false);
	ASSERT_EQ(ranges_violations(r, &v), 1, "ring 2 pins what the clone holds");
	ASSERT_EQ(v[0].other_ring, 3, "the clone is the pinner now");
	ASSERT_EQ(v[0].pages, 2, "only the 2 cloned pages");
	ASSERT_EQ(v[0].start, 0x401000, "from the first cloned slot");
	ASSERT_EQ(v[0].end, 0x403000, "to the end of the second");
	/* a clone into ring 3's slot 5 again replaces what slot 5 held */
	cloned(r, 9, 3, 2, 0, 5, 1);
	lifetime(r, PS_EV_RING_CLOSE, 9, 2);
	buffer(r, 9, 4, 0, 0x400000, 4 * 4096, false);
	ranges_violations(r, &v);
	ASSERT_EQ(v[1].other_ring, 3, "ring 3 still pins");
	ASSERT_EQ(v[1].start, 0x400000, "slot 5 now holds ring 2's buffer, from 0x400000");
	/* slot 5's 4 pages and slot 6's one: page 0x402000 is pinned by both buffers */
	ASSERT_EQ(v[1].pages, 5, "ring 2's whole buffer and slot 6's page");
	ranges_free(r);
}

void test_doctor(void)
{
	struct reg_failure f = { .opcode = PS_REG_BUFFERS, .err = ENOMEM };
	char buf[512];

	f.diag = (struct ps_diag){ .memlock_limit = 65536, .locked_pages = 2, .req_pages = 18,
				   .unaligned_extra = 2, .nr_iovecs = 2,
				   .iovecs_scanned = 2 };
	for (int k = 0; k < PS_BF_NR; k++)
		f.diag.fault[k].index = -1;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "RLIMIT_MEMLOCK is 64 KiB (16 pages)"), "limit in KiB and pages");
	ASSERT_TRUE(strstr(buf, "2 of them only because buffers are not page aligned"), "unaligned");
	ASSERT_TRUE(strstr(buf, "2 + 18 > 16"), "the sum that failed");

	f.diag.locked_pages = -1;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "CAP_IPC_LOCK"), "nothing charged for CAP_IPC_LOCK holders");

	f.err = EINVAL;
	f.diag.nr_iovecs = 16385;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_STREQ(buf, "16385 buffers, over the 16384 a ring can register", "too many");

	f.err = EFAULT;
	f.diag.fault[PS_BF_FILE_PRIVATE] = (struct ps_buf_fault_at){ 0, 0, 0x1000, 16 };
	f.diag.fault[PS_BF_UNMAPPED] = (struct ps_buf_fault_at){ 1, 0, 0x1, 1 };
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "buffer #1 (1 bytes at 0x1) is not (entirely) mapped"),
		    "EFAULT: the unmapped buffer, not the private file mapping before it");
	f.err = EOPNOTSUPP;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "buffer #0 (16 bytes at 0x1000) is a private mapping"),
		    "EOPNOTSUPP (6.1): the file-backed buffer");

	f.err = EINVAL;
	f.opcode = PS_REG_CLONE_BUFFERS;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "has no IORING_REGISTER_CLONE_BUFFERS"), "a kernel without clone");
	f.diag.clone_known = 1;
	f.diag.clone_has_range = 1;
	f.diag.src_table_nr = 4;
	f.diag.nr = 8;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_STREQ(buf, "nr 8 is larger than the source table (4 slots)", "clone nr");
	f.diag.nr = 2;
	f.diag.src_off = 3;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_STREQ(buf, "src_off 3 + nr 2 = 5 runs past the source table (4 slots)",
		     "clone range");
	f.diag.clone_has_range = 0;
	f.diag.clone_pad_set = 1;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "has no src_off/dst_off/nr"), "a kernel without ranges");
	f.diag.clone_pad_set = 0;

	f.err = EBUSY;
	f.opcode = PS_REG_CLONE_BUFFERS;
	f.diag.table_nr = 2;
	doctor_explain(&f, buf, sizeof(buf));
	ASSERT_TRUE(strstr(buf, "IORING_REGISTER_DST_REPLACE"), "clone into a full ring");
}

/* Runs the kernel skipped leave check unable to say PASS: exit 2, said why. */
void test_verdict_missed_runs(void)
{
	struct report r = { .missed_runs = 3 };
	struct ranges *rg = ranges_new();
	struct verdict v;

	verdict_evaluate(&v, &r, rg, true, NULL);
	ASSERT_EQ(v.exit_status, PS_EXIT_FAIL, "skipped runs: uncertain, exit 2");
	ASSERT_EQ(v.nr_problems, 1, "one problem");
	ASSERT_TRUE(strstr(v.problems[0], "skipped 3 runs"), "the problem names the skips");
	verdict_free(&v);
	r.missed_runs = 0;
	verdict_evaluate(&v, &r, rg, true, NULL);
	ASSERT_EQ(v.exit_status, PS_EXIT_OK, "nothing skipped, nothing seen: PASS");
	verdict_free(&v);

	/* memory pinned twice: proven only when no run was skipped */
	buffer(rg, 100, 1, 0, 0x100000, 65536, false);
	registered(rg, 100, 1, PS_REG_BUFFERS, 5000);
	buffer(rg, 100, 2, 0, 0x100000, 65536, false);
	registered(rg, 100, 2, PS_REG_BUFFERS, 7000);
	verdict_evaluate(&v, &r, rg, true, NULL);
	ASSERT_EQ(v.exit_status, PS_EXIT_VIOLATION, "pinned twice, nothing skipped: FAIL");
	verdict_free(&v);
	r.missed_runs = 1;
	verdict_evaluate(&v, &r, rg, true, NULL);
	ASSERT_EQ(v.exit_status, PS_EXIT_FAIL, "pinned twice with a skipped run: unproven");
	ASSERT_EQ(v.nr_twice, 1, "the pair is still listed");
	ASSERT_TRUE(v.nr_problems == 2 && strstr(v.problems[1], "memory pinned twice (1 pairs) is not "
						 "proven"), "and said to be unproven");
	verdict_free(&v);
	ranges_free(rg);
}
