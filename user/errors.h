/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Exit codes and error reporting in the output mode the user chose. */
#ifndef PS_ERRORS_H
#define PS_ERRORS_H

#include <stdbool.h>

/* Documented exit codes (README, man page). */
enum ps_exit {
	PS_EXIT_OK = 0,
	PS_EXIT_VIOLATION = 1,	/* `check` found repeated pinning */
	PS_EXIT_FAIL = 2,	/* could not run: usage, privileges, kernel */
};

void ps_errors_json(bool json);
/* One line: `pinscope: …` on stderr, or {"error": "…"} on stdout with -j. */
void ps_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A remark on stderr that never changes the exit status. */
void ps_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
