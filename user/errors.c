// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "errors.h"
#include "fmt.h"
#include "output.h"

static bool errors_as_json;

void ps_errors_json(bool json)
{
	errors_as_json = json;
}

/*
 * {"error": "…"} built by hand: no allocation, so an error about memory
 * can still be told, and valid UTF-8 whatever the message quotes.
 */
static size_t json_error_line(const char *msg, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)msg;
	size_t o = snprintf(buf, len, "{\"error\": \""), n = strlen(msg);

	while (*p && o + 8 < len) {
		size_t seq = utf8_seq_len(p, n - (p - (const unsigned char *)msg));

		if (!seq)
			o += snprintf(buf + o, len - o, "\\ufffd");
		else if (*p == '"' || *p == '\\')
			o += snprintf(buf + o, len - o, "\\%c", *p);
		else if (*p < 0x20)
			o += snprintf(buf + o, len - o, "\\u%04x", *p);
		else
			memcpy(buf + o, p, seq), o += seq;
		p += seq ? seq : 1;
	}
	o += snprintf(buf + o, len - o, "\"}\n");
	return o < len ? o : len - 1;
}

/*
 * "pinscope: msg" on stderr: one line within 80 columns (a long path or
 * reason loses its middle), nothing in it a terminal would act on.
 */
static void text_line(const char *msg, char *safe, size_t safe_len, char *line, size_t len)
{
	static const char prefix[] = "pinscope: ";
	size_t n;

	fmt_printable(msg, safe, safe_len, 0);
	n = snprintf(line, len, "%s", prefix);
	fmt_elide(safe, line + n, len - n - 1, FMT_COLUMNS - (int)n);
	n = strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	fputs(line, stderr);	/* unbuffered: written at once, SA_RESTART keeps it whole */
}

void ps_error(const char *fmt, ...)
{
	char msg[512], safe[2048], line[2048 + 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* reports never go through stdout's buffer (output.c): the error is alone there */
	if (errors_as_json && !output_stdout_closed()) {
		json_error_line(msg, line, sizeof(line));
		if (fputs(line, stdout) >= 0 && !fflush(stdout))
			return;
	}
	text_line(msg, safe, sizeof(safe), line, sizeof(line));
}

void ps_note(const char *fmt, ...)
{
	char msg[512], safe[2048], line[2048 + 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text_line(msg, safe, sizeof(safe), line, sizeof(line));
}
