/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef PS_EVENT_WIDEN_H
#define PS_EVENT_WIDEN_H

#include <stddef.h>
#include "pinscope.h"

/*
 * A record as BPF sent it, as its readers take it: a successful
 * registration's short record (PS_EVENT_REG_OK_SIZE) copied into *wide with
 * the rest zeroed, and *size made sizeof(*wide); anything else as it came.
 */
const void *event_widen(const void *data, size_t *size, struct ps_event *wide);

#endif /* PS_EVENT_WIDEN_H */
