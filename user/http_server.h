/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The exporter's HTTP side: one listening socket served by libevent's
 * evhttp on its own thread. It serves the last published document at
 * /metrics; the tracing thread publishes a new one after each collection,
 * so a scrape never touches BPF.
 */
#ifndef PS_HTTP_SERVER_H
#define PS_HTTP_SERVER_H

#include <stddef.h>

#define PS_EXPORTER_PORT	9477
#define PS_EXPORTER_LISTEN	"127.0.0.1:9477"

struct http_server;

/*
 * addr is "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (all IPv4 addresses),
 * numeric only. Returns 0, or a negative errno with a one-line reason.
 */
int http_server_start(const char *addr, struct http_server **out, char *err, size_t errlen);
/* Copies text: what /metrics answers from now on. */
int http_server_publish(struct http_server *srv, const char *text, size_t len);
/* The address as bound, "ADDR:PORT" (port 0 in --listen resolved). */
const char *http_server_address(const struct http_server *srv);
/* Scrapes answered so far (for tests and the log). */
unsigned long long http_server_scrapes(struct http_server *srv);
void http_server_stop(struct http_server *srv);

#endif
