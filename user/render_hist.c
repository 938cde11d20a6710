// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* log2 histograms in the layout bcc's tools made familiar, and as JSON. */
#include <stdio.h>
#include <string.h>
#include "names.h"
#include "pinscope_hist.h"
#include "fmt.h"
#include "render.h"

#define BAR_WIDTH 40

const char *hist_title(const struct hist_report *h, char *buf, size_t len)
{
	char op[32];

	switch (h->kind) {
	case PS_HIST_REG_LAT:
		if (h->op == PS_REG_CLONE_BUFFERS)
			snprintf(buf, len, "clone latency (REGISTER_CLONE_BUFFERS)");
		else
			snprintf(buf, len, "registration latency (%s)",
				 reg_opcode_label(h->op, op, sizeof(op)));
		break;
	case PS_HIST_BUF_SIZE:
		snprintf(buf, len, "buffer size registered (%s)",
			 reg_opcode_label(h->op, op, sizeof(op)));
		break;
	case PS_HIST_PIN_LAT:
		snprintf(buf, len, "page pinning time per call (%s)",
			 reg_opcode_label(h->op, op, sizeof(op)));
		break;
	case PS_HIST_CHARGE_LAT:
		snprintf(buf, len, "memlock charging time per call (%s)",
			 reg_opcode_label(h->op, op, sizeof(op)));
		break;
	case PS_HIST_IMPORT_LAT:
		snprintf(buf, len, "registered-buffer lookup latency (%s)", h->op == PS_OP_UNKNOWN ?
			 "fixed IO: opcode not visible on this kernel" :
			 sqe_opcode_name(h->op, op, sizeof(op)));
		break;
	case PS_HIST_IO_LAT:
		snprintf(buf, len, "fixed-buffer IO latency, submit to complete (%s)",
			 sqe_opcode_name(h->op, op, sizeof(op)));
		break;
	default:
		snprintf(buf, len, "histogram %u/%u", h->kind, h->op);
	}
	return buf;
}

static const char *hist_unit(const struct hist_report *h)
{
	return h->kind == PS_HIST_BUF_SIZE ? "bytes" : "nsecs";
}

static void bar(FILE *out, uint64_t v, uint64_t max)
{
	int n = max ? (int)(v * BAR_WIDTH / max) : 0;

	fputc('|', out);
	for (int i = 0; i < BAR_WIDTH; i++)
		fputc(i < n ? '*' : ' ', out);
	fputc('|', out);
}

static void print_log2(FILE *out, const struct hist_report *h)
{
	int first = -1, last = -1;
	uint64_t max = 0;

	for (int i = 0; i < PS_HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (first < 0)
		return;
	/* columns as narrow as the largest bound allows, like bcc's tools */
	int w = snprintf(NULL, 0, "%llu", (unsigned long long)ps_slot_high(last));

	if (w < 10)
		w = 10;
	fprintf(out, "%*s%-*s : count    distribution\n", w - 5, "", w + 9, hist_unit(h));
	for (int i = first; i <= last; i++) {
		fprintf(out, "%*llu -> %-*llu : %-8llu ", w, (unsigned long long)ps_slot_low(i),
			w, (unsigned long long)ps_slot_high(i), (unsigned long long)h->slots[i]);
		bar(out, h->slots[i], max);
		fputc('\n', out);
	}
}

void render_hist_text(FILE *out, const struct report *r, bool header)
{
	char title[96];

	if (header)
		fmt_wrapf(out, 2, "pinscope hist: kernel %s, backend %s, %.2f s traced",
			  r->kernel, r->backend, r->duration_s);
	if (!r->nr_hists)
		fprintf(out, "\nno events\n");
	for (size_t i = 0; i < r->nr_hists; i++) {
		fprintf(out, "\n%s\n", hist_title(&r->hists[i], title, sizeof(title)));
		print_log2(out, &r->hists[i]);
	}
	if (r->counters[PS_CNT_IO_LAT_UNMATCHED])
		fprintf(out, "\n%llu fixed-buffer completions had no submit time (submitted "
			"before tracing began, or displaced in the submit-time table)\n",
			(unsigned long long)r->counters[PS_CNT_IO_LAT_UNMATCHED]);
}

void render_hist_json_into(json_object *doc, const struct report *r)
{
	static const char *const kinds[] = {
		[PS_HIST_REG_LAT] = "register_latency",
		[PS_HIST_BUF_SIZE] = "buffer_size",
		[PS_HIST_IO_LAT] = "io_latency",
		[PS_HIST_PIN_LAT] = "pin_latency",
		[PS_HIST_CHARGE_LAT] = "charge_latency",
		[PS_HIST_IMPORT_LAT] = "import_latency",
	};
	json_object *list = json_object_new_array();
	char title[96], op[32];

	for (size_t i = 0; i < r->nr_hists; i++) {
		const struct hist_report *h = &r->hists[i];
		json_object *o = json_object_new_object();
		json_object *buckets = json_object_new_array();
		uint64_t total = 0;

		json_object_object_add(o, "name", json_object_new_string(
			h->kind < sizeof(kinds) / sizeof(kinds[0]) && kinds[h->kind] ?
			kinds[h->kind] : "unknown"));
		json_object_object_add(o, "title", json_object_new_string(
			hist_title(h, title, sizeof(title))));
		/* IO and lookup latency are per SQE opcode, the rest per register opcode */
		json_object_object_add(o, "opcode", json_object_new_string(
			h->kind == PS_HIST_IO_LAT ? sqe_opcode_name(h->op, op, sizeof(op)) :
			h->kind != PS_HIST_IMPORT_LAT ? reg_opcode_name(h->op) ?: "?" :
			h->op == PS_OP_UNKNOWN ? "unknown" : sqe_opcode_name(h->op, op, sizeof(op))));
		json_object_object_add(o, "unit", json_object_new_string(hist_unit(h)));
		for (int s = 0; s < PS_HIST_SLOTS; s++) {
			json_object *b;

			if (!h->slots[s])
				continue;
			b = json_object_new_object();
			json_object_object_add(b, "low", json_object_new_uint64(ps_slot_low(s)));
			json_object_object_add(b, "high", json_object_new_uint64(ps_slot_high(s)));
			json_object_object_add(b, "count", json_object_new_uint64(h->slots[s]));
			json_object_array_add(buckets, b);
			total += h->slots[s];
		}
		json_object_object_add(o, "count", json_object_new_uint64(total));
		json_object_object_add(o, "buckets", buckets);
		json_object_array_add(list, o);
	}
	json_object_object_add(doc, "histograms", list);
	json_object_object_add(doc, "io_latency_unmatched",
			       json_object_new_uint64(r->counters[PS_CNT_IO_LAT_UNMATCHED]));
}

json_object *render_hist_json(const struct report *r)
{
	json_object *doc = render_header_json(r);

	render_hist_json_into(doc, r);
	return doc;
}
