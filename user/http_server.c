// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include "http_server.h"

/* The Prometheus text exposition format this server speaks. */
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct http_server {
	struct event_base *base;
	struct evhttp *http;
	int fd;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;	/* guards doc, doc_len, scrapes */
	char *doc;
	size_t doc_len;
	unsigned long long scrapes;
	char address[INET6_ADDRSTRLEN + 8];	/* as bound: port 0 resolved */
};

/* "ADDR:PORT", "[ADDR]:PORT" or ":PORT" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;
	size_t hlen;

	if (!colon)
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return -EINVAL;
	hlen = colon - listen;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	if (!hlen)
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return -EINVAL;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	*len = sizeof(*s4);
	return 0;
}

/* "127.0.0.1:9477" or "[::1]:9477" of the socket (port 0 asks the kernel for one). */
static void bound_address(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		snprintf(buf, len, "?");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	}
}

static void reply_text(struct evhttp_request *req, int code, const char *reason,
		       const char *type, const char *text, size_t len)
{
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(body, text, len);
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

static void on_metrics(struct evhttp_request *req, void *arg)
{
	struct http_server *srv = arg;
	struct evbuffer *body;

	body = evbuffer_new();
	if (!body) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  PROM_CONTENT_TYPE);
	pthread_mutex_lock(&srv->lock);
	srv->scrapes++;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(body, srv->doc ? srv->doc : "", srv->doc_len);
	pthread_mutex_unlock(&srv->lock);
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
}

/* Everything but /metrics: a pointer to it, or 404. */
static void on_other(struct evhttp_request *req, void *arg)
{
	static const char index[] =
		"pinscope exporter: io_uring registered buffers\n"
		"metrics: /metrics (Prometheus text format 0.0.4)\n";
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (path && !strcmp(path, "/"))
		reply_text(req, 200, "OK", "text/plain; charset=utf-8", index, sizeof(index) - 1);
	else
		evhttp_send_error(req, 404, "not found (try /metrics)");
}

static void *serve(void *arg)
{
	struct http_server *srv = arg;
	sigset_t all;

	/* Signals are the tracing thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	event_base_dispatch(srv->base);
	return NULL;
}

int http_server_start(const char *addr, struct http_server **out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http_server *srv;
	socklen_t len;
	int one = 1, e;

	*out = NULL;
	if (parse_listen(addr, &ss, &len)) {
		snprintf(err, errlen, "--listen %s: expected ADDR:PORT, [ADDR]:PORT or :PORT "
			 "with a numeric address", addr);
		return -EINVAL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	srv->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0 ||
	    setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(srv->fd, (struct sockaddr *)&ss, len) || listen(srv->fd, 64)) {
		e = -errno;
		snprintf(err, errlen, "--listen %s: %s", addr, strerror(errno));
		goto fail;
	}
	bound_address(srv->fd, srv->address, sizeof(srv->address));
	e = -ENOMEM;
	snprintf(err, errlen, "cannot start the HTTP server: out of memory");
	if (evthread_use_pthreads() || !(srv->base = event_base_new()) ||
	    !(srv->http = evhttp_new(srv->base)))
		goto fail;
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(srv->http, 10);
	if (evhttp_set_cb(srv->http, "/metrics", on_metrics, srv))
		goto fail;
	evhttp_set_gencb(srv->http, on_other, srv);
	if (!evhttp_accept_socket_with_handle(srv->http, srv->fd))
		goto fail;
	srv->fd = -1;	/* evhttp owns it now */
	if ((e = -pthread_create(&srv->thread, NULL, serve, srv))) {
		snprintf(err, errlen, "cannot start the HTTP thread: %s", strerror(-e));
		goto fail;
	}
	srv->thread_started = true;
	*out = srv;
	return 0;
fail:
	http_server_stop(srv);
	return e;
}

int http_server_publish(struct http_server *srv, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&srv->lock);
	free(srv->doc);
	srv->doc = copy;
	srv->doc_len = len;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

const char *http_server_address(const struct http_server *srv)
{
	return srv->address;
}

unsigned long long http_server_scrapes(struct http_server *srv)
{
	unsigned long long n;

	pthread_mutex_lock(&srv->lock);
	n = srv->scrapes;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->thread_started) {
		event_base_loopbreak(srv->base);
		pthread_join(srv->thread, NULL);
	}
	if (srv->http)
		evhttp_free(srv->http);
	if (srv->base)
		event_base_free(srv->base);
	if (srv->fd >= 0)
		close(srv->fd);
	pthread_mutex_destroy(&srv->lock);
	free(srv->doc);
	free(srv);
}
