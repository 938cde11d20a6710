// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include "report.h"

enum reg_kind reg_kind_of(uint32_t opcode)
{
	switch (opcode) {
	case PS_REG_BUFFERS_UPDATE:	return REG_UPDATE;
	case PS_UNREG_BUFFERS:		return REG_UNREGISTER;
	case PS_REG_CLONE_BUFFERS:	return REG_CLONE;
	default:			return REG_REGISTER;
	}
}

const char *reg_kind_name(enum reg_kind kind)
{
	static const char *const names[REG_KINDS] = {
		"register", "update", "unregister", "clone",
	};

	return kind < REG_KINDS ? names[kind] : "?";
}

struct ring_report *report_ring(const struct report *r, uint32_t id)
{
	for (size_t i = 0; i < r->nr_rings; i++)
		if (r->rings[i].info.id == id)
			return &r->rings[i];
	return NULL;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nr_rings; i++) {
		struct ring_report *ring = &r->rings[i];

		for (int k = 0; k < REG_KINDS; k++) {
			free(ring->reg[k].errors);
			free(ring->reg[k].opcodes);
			free(ring->reg[k].sources);
		}
		free(ring->io_ops);
		free(ring->buf_index);
		free(ring->imports);
		free(ring->pinned_ops);
	}
	free(r->rings);
	free(r->procs);
	free(r->hists);
	r->rings = NULL;
	r->procs = NULL;
	r->hists = NULL;
	r->nr_rings = r->nr_procs = r->nr_hists = 0;
}
