// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "fmt.h"

const char *fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
	else if (v == (uint64_t)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

const char *fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
	return buf;
}

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Appends the cells of s (a character, or \xNN for a byte that must not
 * reach a terminal) while they fit in max_cols (0: no limit) and len.
 * Returns whether all of s fit.
 */
static bool printable_cells(const char *s, char *buf, size_t len, int max_cols)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t o = 0;
	int cols = 0;

	buf[0] = '\0';
	while (p < end) {
		size_t seq = utf8_seq_len(p, end - p);
		/* C1 controls (U+0080-U+009F) are CSI and friends on some terminals */
		bool control = !seq || *p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0);
		size_t w = control ? 4 : seq;
		int cell_cols = control ? 4 : 1;

		if ((max_cols && cols + cell_cols > max_cols) || o + w >= len)
			return false;
		if (control)
			snprintf(buf + o, len - o, "\\x%02x", *p);
		else
			memcpy(buf + o, p, seq);
		o += w;
		buf[o] = '\0';
		cols += cell_cols;
		p += control ? 1 : seq;
	}
	return true;
}

const char *fmt_printable(const char *s, char *buf, size_t len, int max_cols)
{
	if (printable_cells(s, buf, len, max_cols))
		return buf;
	/* cut on a whole cell, then "..." within the width asked for */
	if (len > 4 && (!max_cols || max_cols > 3)) {
		printable_cells(s, buf, len - 3, max_cols ? max_cols - 3 : 0);
		strcat(buf, "...");
	}
	return buf;
}

/* Byte offset of the n-th character (UTF-8) of s, or its length. */
static size_t char_offset(const char *s, size_t n)
{
	size_t i = 0;

	for (; s[i] && n; n--)
		for (i++; ((unsigned char)s[i] & 0xc0) == 0x80; i++)
			;
	return i;
}

const char *fmt_elide(const char *s, char *buf, size_t len, int max_cols)
{
	size_t chars = 0, head, tail_at;

	for (const char *p = s; *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (chars <= (size_t)max_cols || max_cols < 5) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	head = (max_cols - 3) / 2;
	tail_at = char_offset(s, chars - (max_cols - 3 - head));
	snprintf(buf, len, "%.*s...%s", (int)char_offset(s, head), s, s + tail_at);
	return buf;
}

void fmt_wrap(FILE *out, int col, int indent, const char *text)
{
	const char *p = text;

	/* leading spaces are the caller's indent: kept */
	while (*p == ' ') {
		fputc(' ', out);
		p++;
		col++;
	}
	while (*p) {
		int room = FMT_COLUMNS - col, len = (int)strlen(p), cut = len;

		if (len > room) {
			/* the last space that leaves the line within the width */
			for (cut = room; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0 && col > indent) {
				fprintf(out, "\n%*s", indent, "");	/* a long word: start afresh */
				col = indent;
				continue;
			}
			if (cut == 0)
				cut = room;	/* longer than any line: break it */
		}
		fprintf(out, "%.*s", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
	}
	fputc('\n', out);
}

void fmt_wrapf(FILE *out, int indent, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	fmt_wrap(out, 0, indent, text);
}
