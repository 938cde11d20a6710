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

const char *fmt_printable(const char *s, char *buf, size_t len, int max_cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, n = strlen(s);
	int cols = 0;

	buf[0] = '\0';
	while (*p) {
		size_t seq = utf8_seq_len(p, n - (p - (const unsigned char *)s));
		/* C1 controls (U+0080-U+009F) are CSI and friends on some terminals */
		bool control = !seq || *p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0);
		char cell[16];
		size_t w = control ? (size_t)snprintf(cell, sizeof(cell), "\\x%02x", *p) : seq;
		int cell_cols = control ? 4 : 1;

		if (!control)
			memcpy(cell, p, seq);
		if ((max_cols && cols + cell_cols > max_cols) || o + w >= len) {
			/* cut: end on "..." within the width asked for */
			while (o && max_cols && cols + 3 > max_cols) {
				do
					o--;
				while (o && ((unsigned char)buf[o] & 0xc0) == 0x80);
				cols--;
			}
			if (o + 4 <= len)
				memcpy(buf + o, "...", 3), o += 3;
			break;
		}
		memcpy(buf + o, cell, w);
		o += w;
		cols += cell_cols;
		p += control ? 1 : seq;
	}
	buf[o] = '\0';
	return buf;
}

void fmt_wrap(FILE *out, int col, int indent, const char *text)
{
	const char *p = text;

	while (*p == ' ')
		p++;
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
