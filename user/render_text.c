// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The stat report as fixed-width text (under 80 columns). */
#include <stdio.h>
#include <string.h>
#include "fmt.h"
#include "doctor.h"
#include "names.h"
#include "render.h"

static void print_header(FILE *out, const struct report *r)
{
	fmt_wrapf(out, 2, "pinscope stat: kernel %s, backend %s, %.2f s traced",
		  r->kernel, r->backend, r->duration_s);
	render_targets_text(out, r);
}

static void print_reg_table(FILE *out, const struct report *r, const struct ring_report *ring)
{
	bool any = false;
	char b1[32], b2[32], b3[32], b4[32];

	for (int k = 0; k < REG_KINDS; k++) {
		const struct reg_report *g = &ring->reg[k];

		if (!g->calls)
			continue;
		if (!any)
			fprintf(out, "  %-10s %5s %4s %5s %5s %10s %7s %7s %8s %8s\n",
				"buffers", "calls", "fail", "slots", "bufs", "bytes", "pages",
				"acct", "avg-lat", "max-lat");
		any = true;
		if (r->acct_pages_known)
			snprintf(b3, sizeof(b3), "%llu", (unsigned long long)g->sum.acct_pages);
		else
			snprintf(b3, sizeof(b3), "n/a");
		fprintf(out, "  %-10s %5llu %4llu %5u %5u %10s %7llu %7s %8s %8s\n",
			reg_kind_name(k), (unsigned long long)g->calls,
			(unsigned long long)g->failures, g->sum.slots, g->sum.buffers,
			fmt_bytes(g->sum.bytes, b1, sizeof(b1)), (unsigned long long)g->sum.pages,
			b3, fmt_ns(g->lat_total_ns / g->calls, b2, sizeof(b2)),
			fmt_ns(g->lat_max_ns, b4, sizeof(b4)));
	}
	for (int k = 0; k < REG_KINDS; k++) {
		const struct reg_report *g = &ring->reg[k];
		const struct ps_inside *in = &g->inside;

		if (g->calls && (r->measures.pin || r->measures.charge))
			fmt_wrapf(out, 6, "    %s inside: %s in the kernel function, pinned %llu "
				  "pages in %s, charged %llu to memlock%s", reg_kind_name(k),
				fmt_ns(in->fn_ns / g->calls, b1, sizeof(b1)),
				(unsigned long long)in->pinned_pages,
				fmt_ns(in->pin_ns, b2, sizeof(b2)),
				(unsigned long long)in->charged_pages,
				in->charge_failures ? " (a charge failed)" : "");
		if (g->sum.huge_buffers)
			fmt_wrapf(out, 6, "    %s: %llu buffers on huge pages (%llu segments for "
				  "%llu pages)",
				reg_kind_name(k), (unsigned long long)g->sum.huge_buffers,
				(unsigned long long)g->sum.bvecs, (unsigned long long)g->sum.pages);
		for (size_t i = 0; i < g->nr_errors; i++)
			fprintf(out, "    %s failed %llu x %s\n", reg_kind_name(k),
				(unsigned long long)g->errors[i].count,
				errno_name(g->errors[i].err, b1, sizeof(b1)));
		for (size_t i = 0; k == REG_CLONE && i < g->nr_sources; i++) {
			const struct clone_source *cs = &g->sources[i];

			fprintf(out, "    cloned from ring %u: %llu calls, %llu buffers",
				cs->ring, (unsigned long long)cs->calls,
				(unsigned long long)cs->buffers);
			fprintf(out, g->sum.shared == g->sum.buffers ?
				" (all shared, nothing pinned again)\n" : "\n");
		}
	}
}

static void print_io(FILE *out, const struct ring_report *ring, int top)
{
	char b1[32], b2[32];

	if (ring->nr_io_ops)
		fprintf(out, "  %-14s %10s %10s %7s\n", "fixed-buf IO", "ops", "bytes", "errors");
	for (size_t i = 0; i < ring->nr_io_ops; i++) {
		const struct io_op_report *op = &ring->io_ops[i];

		fprintf(out, "  %-14s %10llu %10s %7llu\n",
			sqe_opcode_name(op->opcode, b1, sizeof(b1)), (unsigned long long)op->ops,
			fmt_bytes(op->bytes, b2, sizeof(b2)), (unsigned long long)op->errors);
	}
	for (size_t i = 0; i < ring->nr_refused; i++) {
		const struct refused_report *rf = &ring->refused[i];

		fprintf(out, "  refused before issue (no buffer used): %s %s x %llu\n",
			sqe_opcode_name(rf->opcode, b1, sizeof(b1)),
			errno_name(rf->err, b2, sizeof(b2)), (unsigned long long)rf->requests);
	}
	if (ring->nr_buf_index && top) {
		size_t n = ring->nr_buf_index < (size_t)top ? ring->nr_buf_index : (size_t)top;
		int col = 0;

		fprintf(out, "  buffer index ops (top %zu of %zu):", n, ring->nr_buf_index);
		for (size_t i = 0; i < n; i++) {
			char cell[40];
			int w = snprintf(cell, sizeof(cell), " [%u] %llu", ring->buf_index[i].index,
					 (unsigned long long)ring->buf_index[i].ops);

			if (col + w > 44) {
				fprintf(out, "\n   ");
				col = 0;
			}
			fputs(cell, out);
			col += w;
		}
		fputc('\n', out);
	}
	if (ring->nr_imports) {
		uint64_t total = 0, lat = 0;

		for (size_t i = 0; i < ring->nr_imports; i++) {
			total += ring->imports[i].imports;
			lat += ring->imports[i].lat_ns;
		}
		fprintf(out, "  buffer lookups (import hook): %llu over %zu indexes, avg %s\n",
			(unsigned long long)total, ring->nr_imports,
			fmt_ns(total ? lat / total : 0, b1, sizeof(b1)));
	}
	fprintf(out, "  pinned per IO: %llu IOs, %llu pages\n",
		(unsigned long long)ring->pinned.ios, (unsigned long long)ring->pinned.pages);
}

/* text at words onto lines of at most width columns, each after indent */
static void print_wrapped(FILE *out, const char *text, const char *indent, size_t width)
{
	size_t room = width - strlen(indent);

	while (*text) {
		size_t len = strlen(text), cut = len;

		if (len > room) {
			for (cut = room; cut > 0 && text[cut] != ' '; cut--)
				;
			if (!cut)	/* one word longer than a line */
				for (cut = room; text[cut] && text[cut] != ' '; cut++)
					;
		}
		fprintf(out, "%s%.*s\n", indent, (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

void render_failures_text(FILE *out, const struct report *r)
{
	char why[512], en[32];

	if (r->nr_failures)
		fprintf(out, "\nfailed registrations, and why:\n");
	for (size_t i = 0; i < r->nr_failures; i++) {
		const struct reg_failure *f = &r->failures[i];

		fprintf(out, "  ring %u (pid %u) %s %s:\n", f->ring, f->pid,
			reg_opcode_name(f->opcode) ?: "?", errno_name(f->err, en, sizeof(en)));
		print_wrapped(out, doctor_explain(f, why, sizeof(why)), "    ", 79);
	}
	/* past the first SESSION_KEEP_FAILURES, each ring's errors count them by errno */
	if (r->failures_more)
		fprintf(out, "  and %llu more failed calls (by errno in each ring's errors)\n",
			(unsigned long long)r->failures_more);
}

/* The table a look saw: what a live service registered, whenever it did. */
static void print_registered(FILE *out, const struct report *r, const struct ring_report *ring)
{
	const struct ps_table_sum *t = &ring->registered;
	char b1[32], acct[32] = "";

	if (!ring->registered_known)
		return;
	if (r->acct_pages_known)
		snprintf(acct, sizeof(acct), ", %llu acct", (unsigned long long)t->acct_pages);
	fprintf(out, "  table %s: %u bufs in %u slots, %s, %llu pages%s\n",
		ring->gone ? "last seen" : "now", t->buffers, t->slots,
		fmt_bytes(t->bytes, b1, sizeof(b1)), (unsigned long long)t->pages, acct);
	if (t->huge_buffers || t->shared)
		fprintf(out, "    %llu on huge pages, %llu shared with another ring\n",
			(unsigned long long)t->huge_buffers, (unsigned long long)t->shared);
}

static void print_ring(FILE *out, const struct report *r, const struct ring_report *ring,
		       int top)
{
	char flags[128], comm[64], head[256];

	snprintf(head, sizeof(head), "ring %u: pid %u (%s) fd %d, setup 0x%x%s%s%s",
		 ring->info.id, ring->info.pid,
		 fmt_printable(ring->info.comm, comm, sizeof(comm), 16), ring->info.fd,
		 ring->info.setup_flags, ring->info.setup_flags ? " [" : "",
		 setup_flag_names(ring->info.setup_flags, flags, sizeof(flags)),
		 ring->info.setup_flags ? "]" : "");
	fputc('\n', out);
	fmt_wrap(out, 0, 2, head);
	if (ring->info.origin == PS_RING_FOUND || ring->gone)
		fprintf(out, "  %s%s%s\n",
			ring->info.origin == PS_RING_FOUND ? "created before tracing" : "",
			ring->info.origin == PS_RING_FOUND && ring->gone ? "; " : "",
			ring->gone ? "gone (freed by the kernel)" : "");
	if (ring->info.region_pages && (ring->info.setup_flags & (1U << 14)))
		fprintf(out, "  ring memory from the application: %u pages\n",
			ring->info.region_pages);
	print_registered(out, r, ring);
	print_reg_table(out, r, ring);
	print_io(out, ring, top);
}

/* Text lists a process's gone rings one by one only up to this many. */
#define TEXT_GONE_RINGS	4

static bool folds(const struct ring_report *ring)
{
	return ring->folded || ring->gone;
}

static uint64_t gone_rings_of(const struct report *r, uint32_t pid)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->nr_rings; i++)
		if (folds(&r->rings[i]) && r->rings[i].info.pid == pid)
			n += r->rings[i].folded ? r->rings[i].folded : 1;
	return n;
}

/* A process's many gone rings as one block, printed where its first one was. */
static void print_folded(FILE *out, const struct report *r, size_t first, int top)
{
	uint32_t pid = r->rings[first].info.pid;
	struct ring_report sum = { .info = r->rings[first].info };
	char comm[64];

	for (size_t i = first; i < r->nr_rings; i++)
		if (folds(&r->rings[i]) && r->rings[i].info.pid == pid)
			ring_report_add(&sum, &r->rings[i]);
	fprintf(out, "\nprocess %u (%s): %llu rings gone, folded together\n", pid,
		fmt_printable(sum.info.comm, comm, sizeof(comm), 16),
		(unsigned long long)sum.folded);
	sum.registered_known = false;	/* tables of different rings do not add up */
	print_reg_table(out, r, &sum);
	print_io(out, &sum, top);
	ring_report_free(&sum);
}

static void print_totals(FILE *out, const struct report *r)
{
	const struct totals *t = &r->totals;
	char b1[32];
	uint64_t ops = 0, bytes = 0;

	for (size_t i = 0; i < t->nr_io_ops; i++) {
		ops += t->io_ops[i].ops;
		bytes += t->io_ops[i].bytes;
	}
	fprintf(out, "\ntotals: %llu rings (%llu gone), %llu processes exited\n",
		(unsigned long long)t->rings, (unsigned long long)t->rings_gone,
		(unsigned long long)r->procs_exited);
	for (int k = 0; k < REG_KINDS; k++)
		if (t->reg[k].calls)
			fprintf(out, "  %-10s %8llu calls %5llu failed %8llu bufs %10s\n",
				reg_kind_name(k), (unsigned long long)t->reg[k].calls,
				(unsigned long long)t->reg[k].failures,
				(unsigned long long)t->reg[k].sum.buffers,
				fmt_bytes(t->reg[k].sum.bytes, b1, sizeof(b1)));
	fprintf(out, "  fixed-buf IO %llu ops, %s; pinned per IO: %llu IOs, %llu pages\n",
		(unsigned long long)ops, fmt_bytes(bytes, b1, sizeof(b1)),
		(unsigned long long)t->pinned.ios, (unsigned long long)t->pinned.pages);
}

void render_stat_text(FILE *out, const struct report *r, int top)
{
	char flags[128], comm[64];

	print_header(out, r);
	for (int f = 0; f < 2; f++)
		if (r->refused[f])
			fmt_wrapf(out, 3, "  (%s not used: %s)", f ? "kprobe" : "fentry",
				  r->refused[f]);
	if (!r->nr_rings)
		fprintf(out, "\nno io_uring rings seen\n");
	for (size_t i = 0; i < r->nr_rings; i++) {
		const struct ring_report *ring = &r->rings[i];
		uint32_t pid = ring->info.pid;

		if (!folds(ring) || gone_rings_of(r, pid) <= TEXT_GONE_RINGS) {
			print_ring(out, r, ring, top);
			continue;
		}
		/* folded once, at the process's first gone ring */
		size_t j;

		for (j = 0; j < i; j++)
			if (folds(&r->rings[j]) && r->rings[j].info.pid == pid)
				break;
		if (j == i)
			print_folded(out, r, i, top);
	}
	for (size_t i = 0; i < r->nr_procs; i++) {
		const struct proc_report *p = &r->procs[i];

		fprintf(out, "\nprocess %u (%s): O_DIRECT outside io_uring %llu IOs / %llu pages\n"
			"  bios with pinned pages: %llu\n", p->pid,
			fmt_printable(p->st.comm, comm, sizeof(comm), 16),
			(unsigned long long)p->st.dio_ios, (unsigned long long)p->st.dio_pages,
			(unsigned long long)p->st.pinned_bios);
		if (r->measures.io_pin)
			fmt_wrapf(out, 4, "  pages pinned outside registration and setup: %llu in "
				  "%llu calls",
				(unsigned long long)p->st.io_pinned_pages,
				(unsigned long long)p->st.io_pin_calls);
	}
	if (r->nr_progs) {
		/* the statistics themselves add ~20 ns to every run they time */
		fprintf(out, "\nBPF program cost (run-time statistics add ~20ns each):\n");
		fprintf(out, "  %-16s %-40s %10s %8s\n", "program", "attach", "runs", "ns/run");
		for (size_t i = 0; i < r->nr_progs; i++) {
			const struct prog_stat *ps = &r->progs[i];
			const char *attach = ps->attach;

			/* the longest sections are syscall tracepoints: 11 columns back */
			if (!strncmp(attach, "tracepoint/", 11)) {
				snprintf(flags, sizeof(flags), "tp/%s", attach + 11);
				attach = flags;
			}
			fprintf(out, "  %-16s %-40s %10llu %8llu\n", ps->name, attach,
				ps->run_cnt, ps->run_cnt ? ps->run_time_ns / ps->run_cnt : 0);
		}
	}
	render_failures_text(out, r);
	if (r->totals.rings > 1 || r->procs_exited)
		print_totals(out, r);
	fprintf(out, "\nlost events: %llu\n", (unsigned long long)r->counters[PS_CNT_LOST_EVENTS]);
	if (r->missed_runs)
		fprintf(out, "missed events: %llu (the kernel skipped pinscope's programs)\n",
			(unsigned long long)r->missed_runs);
	if (r->counters[PS_CNT_RINGS_DROPPED] || r->counters[PS_CNT_IO_KEYS_DROPPED] ||
	    r->counters[PS_CNT_PIDS_DROPPED])
		fprintf(out, "tables full: %llu rings, %llu processes and %llu IO keys "
			"not counted\n", (unsigned long long)r->counters[PS_CNT_RINGS_DROPPED],
			(unsigned long long)r->counters[PS_CNT_PIDS_DROPPED],
			(unsigned long long)r->counters[PS_CNT_IO_KEYS_DROPPED]);
}
