// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ring-buffer records (struct ps_event and struct ps_buf_event,
 * include/pinscope.h) through everything in user space that decodes them:
 * trace's printer (text or JSON), the failed-registration keeping and the
 * doctor (its line, its JSON, the report's failure section), and check's
 * address-range tracker (ranges.c). Records reach them as tracer.c hands
 * them out (event_widen first): any size of at least the 4-byte type, each
 * in an allocation of exactly its size, so reading past a record is an
 * ASan report.
 *
 * Input: one byte of options (bit 0: JSON, bit 1: charges measured), then
 * records: a header byte (type in bits 0-2, plus 8 with bit 5; size class
 * in bits 3-4, or bit 6 or 7) and the record's bytes after its type. Size
 * classes: a ps_event, a ps_buf_event, 4 + the next byte (short or odd), a
 * ps_event + the next byte (longer than any record); bit 6: a
 * ps_bufs_event's head and (next byte mod PS_BUFS_PER_EVENT + 2) slots,
 * whatever its nr says; bit 7: a successful registration's short record
 * (PS_EVENT_REG_OK_SIZE), whatever its ret says.
 */
#include "cmd_trace.h"
#include "doctor.h"
#include "event_widen.h"
#include "fuzz.h"
#include "ranges.h"
#include "render.h"

#define MAX_RECORDS	256
#define MAX_FAILURES	32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static size_t record_size(struct fuzz_input *in, uint8_t hdr)
{
	if (hdr & 0x80)
		return PS_EVENT_REG_OK_SIZE;
	if (hdr & 0x40)
		return offsetof(struct ps_bufs_event, v) +
		       fuzz_byte(in) % (PS_BUFS_PER_EVENT + 2) * sizeof(struct ps_buf_slot);
	switch ((hdr >> 3) & 3) {
	case 0: return sizeof(struct ps_event);
	case 1: return sizeof(struct ps_buf_event);
	case 2: return 4 + fuzz_byte(in);
	default: return sizeof(struct ps_event) + fuzz_byte(in);
	}
}

static void check_failures(FILE *out, const struct reg_failure *fails, size_t n)
{
	struct report r = { .failures = fails, .nr_failures = n };
	char why[512];

	for (size_t i = 0; i < n; i++) {
		json_object *o = doctor_json(&fails[i]);

		FUZZ_CHECK(strlen(doctor_explain(&fails[i], why, sizeof(why))) < sizeof(why));
		FUZZ_CHECK(o && json_object_to_json_string(o));
		json_object_put(o);
	}
	render_failures_text(out, &r);
}

static void check_ranges(const struct ranges *rg)
{
	const struct pinned_twice *v = NULL;
	size_t n = ranges_violations(rg, &v);

	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(v[i].ring != v[i].other_ring);
		FUZZ_CHECK(v[i].start < v[i].end);
		FUZZ_CHECK(v[i].pages > 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t opts = fuzz_byte(&in);
	FILE *out = fuzz_quiet();
	struct reg_failure fails[MAX_FAILURES];
	struct ranges *rg = ranges_new();
	size_t nr_fails = 0;

	FUZZ_CHECK(rg);
	for (int i = 0; i < MAX_RECORDS && in.size; i++) {
		uint8_t hdr = fuzz_byte(&in);
		size_t len = record_size(&in, hdr);
		uint32_t *rec = malloc(len);
		struct ps_event wide;
		const struct ps_event *e;
		const void *got;

		rec[0] = (hdr & 7) + (hdr & 0x20 ? 8 : 0);
		fuzz_take(&in, rec + 1, len - 4);
		got = event_widen(rec, &len, &wide);
		e = got;
		trace_print_record(out, opts & 1, 1000, got, len);
		if (len >= sizeof(*e) && e->type == PS_EV_REGISTER && e->ret < 0 &&
		    nr_fails < MAX_FAILURES)
			failure_from_event(&fails[nr_fails++], e, opts & 2);
		ranges_on_event(rg, got, len);
		free(rec);
	}
	check_failures(out, fails, nr_fails);
	check_ranges(rg);
	ranges_free(rg);
	return 0;
}
