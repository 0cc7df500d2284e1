/*
 * probe-http.c — the http check: GET the probe's path on 127.0.0.1 at
 * the instance's port with libevent's HTTP client. It passes when the
 * status is within http.status and, when http.body is given, the body
 * contains it. The Host header is http.host. Headers are bounded at
 * 64 KiB and the body at 1 MiB: a larger answer fails the check.
 *
 * The connection is kept for the next check while the server keeps it
 * open (HTTP/1.1 keep-alive), as a load balancer's checker does: a
 * check then costs a request and an answer, not a TCP handshake, which
 * on loopback costs the agent more than all the rest. A server that
 * closes it (Connection: close, HTTP/1.0, an idle timeout) gets a new
 * connection at the next check; a request that finds a kept connection
 * closed under it, with no answer, is sent once more on a new one,
 * within the same timeout.
 *
 * The client's connection object (c->conn) lives as long as the check.
 * It is freed from a deferred event, never from inside one of
 * libevent's callbacks, which may still use it once the callback
 * returns.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "probe.h"
#include "util.h"

#define HTTP_HEADERS_MAX	(64 * 1024)
#define HTTP_BODY_MAX		(1024 * 1024)
#define HTTP_IDLE_SLACK_MS	1000

struct http_conn {
	struct evhttp_connection	*evcon;
	struct evhttp_request		*req;	/* in flight, or NULL */
	int				 error;	/* enum evhttp_request_error,
						   -1: none reported */
	bool				 reused; /* sent on a kept connection */
};

static void	http_send(struct check *, struct http_conn *);

/* Connections to free once the loop is out of libevent's callbacks. */
static struct evhttp_connection	**http_dead;
static size_t			  http_ndead;
static struct event		 *http_reap_ev;

static const char *const http_errors[] = {
	[EVREQ_HTTP_TIMEOUT] = "http timeout",
	[EVREQ_HTTP_EOF] = "http connection closed without an answer",
	[EVREQ_HTTP_INVALID_HEADER] = "http invalid answer",
	[EVREQ_HTTP_BUFFER_ERROR] = "http read or write error",
	[EVREQ_HTTP_REQUEST_CANCEL] = "http cancelled",
	[EVREQ_HTTP_DATA_TOO_LONG] = "http answer too large",
};

static void
http_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t	i;

	for (i = 0; i < http_ndead; i++)
		evhttp_connection_free(http_dead[i]);
	free(http_dead);
	http_dead = NULL;
	http_ndead = 0;
}

static void
http_free_later(struct evhttp_connection *evcon)
{
	if (http_reap_ev == NULL)
		http_reap_ev = event_new(agent.base, -1, 0, http_reap_cb, NULL);
	http_dead = xreallocarray(http_dead, http_ndead + 1,
	    sizeof(*http_dead));
	http_dead[http_ndead++] = evcon;
	event_active(http_reap_ev, EV_TIMEOUT, 0);
}

void
probe_http_cleanup(void)
{
	http_reap_cb(-1, 0, NULL);
	if (http_reap_ev != NULL)
		event_free(http_reap_ev);
	http_reap_ev = NULL;
}

static struct http_conn *
http_conn_new(const struct check *c)
{
	struct http_conn	*hc;
	struct timeval		 tv;
	uint64_t		 ms;

	hc = xcalloc(1, sizeof(*hc));
	hc->evcon = evhttp_connection_base_new(agent.base, NULL, "127.0.0.1",
	    (ev_uint16_t)c->port);
	if (hc->evcon == NULL) {
		free(hc);
		return NULL;
	}
	/*
	 * The check's own timer bounds each check; this one, libevent's
	 * for every read and write, must not close a connection kept idle
	 * between checks.
	 */
	ms = c->p->interval_ms + c->p->timeout_ms + HTTP_IDLE_SLACK_MS;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(hc->evcon, &tv);
	evhttp_connection_set_max_headers_size(hc->evcon, HTTP_HEADERS_MAX);
	evhttp_connection_set_max_body_size(hc->evcon, HTTP_BODY_MAX);
	evhttp_connection_set_retries(hc->evcon, 0);
	evhttp_connection_set_flags(hc->evcon,
	    EVHTTP_CON_REUSE_CONNECTED_ADDR);
	return hc;
}

static void
http_error_cb(enum evhttp_request_error error, void *arg)
{
	struct check		*c = arg;
	struct http_conn	*hc = c->conn;

	if (hc != NULL)
		hc->error = (int)error;
}

static bool
http_body_has(struct evhttp_request *req, const char *want)
{
	struct evbuffer	*body = evhttp_request_get_input_buffer(req);

	return evbuffer_search(body, want, strlen(want), NULL).pos != -1;
}

static void
http_done_cb(struct evhttp_request *req, void *arg)
{
	struct check		*c = arg;
	struct http_conn	*hc = c->conn;
	const struct probe	*p = c->p;
	int			 code;

	if (hc == NULL || c->run != hc)
		return;		/* abandoned: cannot happen, cancel is silent */
	hc->req = NULL;
	code = req != NULL ? evhttp_request_get_response_code(req) : 0;
	if (code == 0 && hc->reused) {
		http_send(c, hc);	/* the server closed it meanwhile */
		return;
	}
	if (code == 0) {
		if (hc->error >= 0 && (size_t)hc->error < nitems(http_errors))
			probe_done(c, false, "%s", http_errors[hc->error]);
		else
			probe_done(c, false, "http connect failed");
	} else if (code < p->status_min || code > p->status_max)
		probe_done(c, false, "http %d", code);
	else if (c->body != NULL && !http_body_has(req, c->body))
		probe_done(c, false, "http %d, body without \"%.32s\"", code,
		    c->body);
	else
		probe_done(c, true, "http %d", code);
	/* c may be stopped now; libevent frees req */
}

/* A refused connect completes the check before this returns. */
static void
http_send(struct check *c, struct http_conn *hc)
{
	struct bufferevent	*bev;
	struct evhttp_request	*req;
	struct evkeyvalq	*headers;

	bev = evhttp_connection_get_bufferevent(hc->evcon);
	hc->reused = bufferevent_getfd(bev) != -1;
	req = evhttp_request_new(http_done_cb, c);
	evhttp_request_set_error_cb(req, http_error_cb);
	headers = evhttp_request_get_output_headers(req);
	evhttp_add_header(headers, "Host", c->host);
	evhttp_add_header(headers, "User-Agent",
	    "drover-agent/" DROVER_VERSION);
	hc->req = req;
	hc->error = -1;
	c->run = hc;
	if (evhttp_make_request(hc->evcon, req, EVHTTP_REQ_GET, c->path) != 0 &&
	    c->run == hc) {
		hc->req = NULL;		/* libevent freed it */
		probe_done(c, false, "http cannot send the request");
	}
}

static void
http_start(struct check *c)
{
	struct http_conn	*hc = c->conn;

	if (hc == NULL && (hc = c->conn = http_conn_new(c)) == NULL) {
		probe_done(c, false, "http cannot make a connection");
		return;
	}
	http_send(c, hc);
}

static void
http_cancel(struct check *c)
{
	struct http_conn	*hc = c->run;

	c->run = NULL;
	if (hc->req != NULL)
		evhttp_cancel_request(hc->req);	/* no callback follows */
	hc->req = NULL;
}

static void
http_release(struct check *c)
{
	struct http_conn	*hc = c->conn;

	if (hc == NULL)
		return;
	http_free_later(hc->evcon);
	free(hc);
	c->conn = NULL;
}

const struct probe_ops probe_http_ops = {
	.type = PROBE_HTTP,
	.start = http_start,
	.cancel = http_cancel,
	.release = http_release,
};
