/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* trace's record printer, on its own for the fuzz target (tests/fuzz/). */
#ifndef PS_CMD_TRACE_H
#define PS_CMD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One ring-buffer record as trace prints it (text or a JSON line), times
 * relative to start_ns; false, printing nothing, for records trace does
 * not show (other types, short records).
 */
bool trace_print_record(FILE *out, bool json, uint64_t start_ns, const void *data, size_t size);

#endif
