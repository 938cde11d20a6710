/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How pinscope takes signals: SIGINT and SIGTERM ask it to stop (a session
 * reports what it saw; before tracing began it is a one-line error), with
 * SA_RESTART so that no read or write is cut short by one. SIGPIPE is
 * ignored: a reader that went away is seen as EPIPE on the next write.
 */
#ifndef PS_SIGNALS_H
#define PS_SIGNALS_H

void ps_signals_install(void);
/* The signal that asked pinscope to stop, or 0. */
int ps_signal_caught(void);

#endif
