/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Text for fixed-width columns: short human-readable numbers, and names from
 * the traced processes made safe for a terminal.
 */
#ifndef PS_FMT_H
#define PS_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Every line of text output fits in this many columns. */
#define FMT_COLUMNS	80

/* "512 B", "64 KiB", "1.5 GiB" */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* "850ns", "51.2us", "1.30ms", "2.10s" */
const char *fmt_ns(uint64_t ns, char *buf, size_t len);

/* Length of the valid UTF-8 sequence at s (n bytes there), 0 if none. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/*
 * s as ps shows names: control characters (C0, DEL, C1) and bytes that are
 * not UTF-8 as \xNN, so no escape sequence or newline reaches the terminal;
 * cut to max_cols characters (0: no limit), with "..." when cut.
 */
const char *fmt_printable(const char *s, char *buf, size_t len, int max_cols);
/*
 * Printable text (fmt_printable's) cut to max_cols characters by taking out
 * its middle ("..."): the start and the end of a message both survive.
 */
const char *fmt_elide(const char *s, char *buf, size_t len, int max_cols);
/*
 * Prints text (ASCII) starting at column col, wrapped at spaces to fit
 * FMT_COLUMNS; continuation lines start with indent spaces. Ends the line.
 */
void fmt_wrap(FILE *out, int col, int indent, const char *text);
/* fmt_wrap of a formatted text, from column 0 */
void fmt_wrapf(FILE *out, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
