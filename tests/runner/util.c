// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Small helpers the other modules share: buffers, JSON access, files. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size);

	if (!p) {
		fprintf(stderr, "pinscope-test: out of memory\n");
		abort();
	}
	return p;
}

void sb_append(struct strbuf *sb, const char *data, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 256;

		while (cap < sb->len + n + 1)
			cap *= 2;
		sb->buf = xrealloc(sb->buf, cap);
		sb->cap = cap;
	}
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

static void sb_vappendf(struct strbuf *sb, const char *fmt, va_list ap)
{
	char small[512];
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_append(sb, small, n);
		return;
	}
	char *big = xrealloc(NULL, n + 1);

	vsnprintf(big, n + 1, fmt, ap);
	sb_append(sb, big, n);
	free(big);
}

void sb_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vappendf(sb, fmt, ap);
	va_end(ap);
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

void sl_addf(struct strlist *sl, const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;

	va_start(ap, fmt);
	sb_vappendf(&sb, fmt, ap);
	va_end(ap);
	sl->items = xrealloc(sl->items, (sl->n + 1) * sizeof(*sl->items));
	sl->items[sl->n++] = sb.buf ? sb.buf : strdup("");
}

void sl_free(struct strlist *sl)
{
	for (size_t i = 0; i < sl->n; i++)
		free(sl->items[i]);
	free(sl->items);
	sl->items = NULL;
	sl->n = 0;
}

json_object *json_parse_strict(const char *text, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);
	json_object *obj;

	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (!obj) {
		enum json_tokener_error jerr = json_tokener_get_error(tok);

		if (jerr == json_tokener_continue)
			snprintf(err, errlen, "truncated JSON (%zu bytes)", len);
		else
			snprintf(err, errlen, "not JSON: %s at byte %zu",
				 json_tokener_error_desc(jerr),
				 json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return NULL;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!strchr(" \t\r\n", text[i])) {
			snprintf(err, errlen, "trailing text after JSON at byte %zu", i);
			json_object_put(obj);
			obj = NULL;
			break;
		}
	}
	json_tokener_free(tok);
	return obj;
}

int read_text_file(const char *path, struct strbuf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		sb_append(out, chunk, n);
	}
	close(fd);
	if (!out->buf)
		sb_append(out, "", 0);
	return 0;
}

json_object *json_load_file(const char *path, char *err, size_t errlen)
{
	struct strbuf text = {0};
	json_object *obj;
	int ret = read_text_file(path, &text);

	if (ret) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		return NULL;
	}
	if (text.len == 0) {
		snprintf(err, errlen, "%s is empty", path);
		sb_free(&text);
		return NULL;
	}
	obj = json_parse_strict(text.buf, err, errlen);
	sb_free(&text);
	return obj;
}

json_object *jpath(json_object *obj, const char *dotted)
{
	char key[256];
	const char *p = dotted;

	while (obj && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n >= sizeof(key) || !json_object_is_type(obj, json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(obj, key, &obj))
			return NULL;
		p += n + (dot ? 1 : 0);
	}
	return obj;
}

bool jis_number(json_object *obj)
{
	return json_object_is_type(obj, json_type_int) ||
	       json_object_is_type(obj, json_type_double);
}

bool jint(json_object *obj, long long *out)
{
	if (json_object_is_type(obj, json_type_int)) {
		*out = json_object_get_int64(obj);
		return true;
	}
	if (json_object_is_type(obj, json_type_double)) {
		*out = (long long)json_object_get_double(obj);
		return true;
	}
	return false;
}

long long jsum(json_object *array, const char *dotted)
{
	long long sum = 0, v;
	size_t n;

	if (!json_object_is_type(array, json_type_array))
		return 0;
	n = json_object_array_length(array);
	for (size_t i = 0; i < n; i++)
		if (jint(jpath(json_object_array_get_idx(array, i), dotted), &v))
			sum += v;
	return sum;
}

const char *jstr(json_object *obj)
{
	if (!obj)
		return "(absent)";
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
}

void av_add(struct argv_buf *a, const char *fmt, ...)
{
	struct strbuf sb = {0};
	va_list ap;

	if (a->n >= (int)(sizeof(a->v) / sizeof(a->v[0])) - 1) {
		fprintf(stderr, "pinscope-test: argv too long\n");
		abort();
	}
	va_start(ap, fmt);
	sb_vappendf(&sb, fmt, ap);
	va_end(ap);
	a->v[a->n++] = sb.buf ? sb.buf : strdup("");
	a->v[a->n] = NULL;
}

void av_free(struct argv_buf *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	if (remove(path) && errno != ENOENT)
		fprintf(stderr, "pinscope-test: cannot remove %s: %s\n",
			path, strerror(errno));
	return 0;
}

int rm_rf(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		return -errno;
	return 0;
}

bool find_in_path(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(out, X_OK) == 0;
	}
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; *p; ) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		if (n > 0 && (int)n < (int)outlen - 2) {
			snprintf(out, outlen, "%.*s/%s", (int)n, p, name);
			if (access(out, X_OK) == 0)
				return true;
		}
		p += n + (colon ? 1 : 0);
	}
	return false;
}
