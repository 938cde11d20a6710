/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Human names for io_uring opcodes, setup flags and errnos. */
#ifndef PS_NAMES_H
#define PS_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "REGISTER_BUFFERS", …; NULL for opcodes pinscope does not follow. */
const char *reg_opcode_name(uint32_t opcode);
/* "READ_FIXED", …; "OP_<n>" in buf for unknown ones. */
const char *sqe_opcode_name(uint32_t opcode, char *buf, size_t len);
/* "ENOMEM", …; "E<n>" in buf when libc has no name. */
const char *errno_name(int err, char *buf, size_t len);
/* "SQPOLL|NO_MMAP" into buf ("" for 0). */
const char *setup_flag_names(uint32_t flags, char *buf, size_t len);

#endif
