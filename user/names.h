/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Human names for io_uring opcodes, setup flags and errnos. */
#ifndef PS_NAMES_H
#define PS_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "REGISTER_BUFFERS", …; NULL for opcodes pinscope does not follow. */
const char *reg_opcode_name(uint32_t opcode);
/* The same, or "REGISTER_OP_<n>" in buf: never NULL. */
const char *reg_opcode_label(uint32_t opcode, char *buf, size_t len);
/* "READ_FIXED", …; "OP_<n>" in buf for unknown ones. */
const char *sqe_opcode_name(uint32_t opcode, char *buf, size_t len);
/*
 * The errno in a negative return value, positive; 0 for ret >= 0, INT_MAX
 * for values no errno reaches (-ret of INT64_MIN cannot even be computed).
 */
int errno_of(int64_t ret);
/* "ENOMEM", …; "E<n>" in buf when libc has no name. */
const char *errno_name(int err, char *buf, size_t len);
/* "SQPOLL|NO_MMAP" into buf ("" for 0). */
const char *setup_flag_names(uint32_t flags, char *buf, size_t len);

#endif
