/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The registration-failure doctor: for each failed io_uring_register(2)
 * call, why it failed, in numbers (memlock limit and usage, pages asked for,
 * pages lost to unaligned buffers, the buffer or argument at fault).
 */
#ifndef PS_DOCTOR_H
#define PS_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "json_safe.h"
#include "pinscope.h"

struct reg_failure {
	uint32_t ring, pid;
	char comm[PS_COMM_LEN];
	uint32_t opcode;
	int err;		/* positive errno */
	uint32_t nr_args;
	uint64_t ts_ns;
	struct ps_diag diag;
	struct ps_inside inside;
	bool charge_measured;	/* inside.charged_pages comes from a hook */
};

void failure_from_event(struct reg_failure *f, const struct ps_event *e, bool charge_measured);
/* One line (no newline) that explains the failure. */
const char *doctor_explain(const struct reg_failure *f, char *buf, size_t len);
json_object *doctor_json(const struct reg_failure *f);

#endif
