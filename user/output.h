/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where reports go (stdout, or -o FILE) and how: each document or line is
 * built in memory and written whole, so a signal or a slow reader never
 * leaves half a document; write errors are kept for the exit status.
 * JSON leaves here as valid UTF-8 whatever the names in it held.
 */
#ifndef PS_OUTPUT_H
#define PS_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

/* Before anything else: closed fds 0-2 get /dev/null, so no other file lands there. */
void output_guard_std_fds(void);
/*
 * Opens the destination (NULL: stdout). An existing FILE keeps its content
 * until the first document replaces it; a FILE created here and never
 * written is removed by output_close(). 0, or PS_EXIT_FAIL after one error line.
 */
int output_open(const char *path);
/* A memory stream for one document (NULL: out of memory). */
FILE *output_begin(void);
/* Writes the document whole and frees it; 0 or -errno (also remembered). */
int output_end(FILE *doc, bool json);
/* True once the reader went away (EPIPE, or the pipe's reader closed). */
bool output_reader_gone(void);
/* Notes an error that lost a document (ENOMEM while building it). */
void output_fail(int err);
/* The first write error other than EPIPE (0 if none). */
int output_error(void);
/* status, or PS_EXIT_FAIL after one error line when a document was lost. */
int output_status(int status);
/* "standard output" or the -o path, for messages. */
const char *output_name(void);
/* The fd the report goes to, -1 before output_open. */
int output_fd(void);
bool output_stdout_closed(void);
/* Writes all of buf to fd (EINTR and short writes retried): 0 or -errno. */
int write_all(int fd, const char *buf, size_t len);
void output_close(void);

#endif
