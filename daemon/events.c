/*
 * events.c — the event ring and GET /api/v1/events.
 *
 * Every instance transition the agent reports (state, health), every
 * change of a service's desired state (apply, delete) and, later, every
 * rollout step becomes an event {"id", "time", "service", "instance",
 * "kind", "from", "to", "message"}. The last EVENTS_RING events are kept
 * as compact JSON text in a ring; nothing else keeps them.
 *
 * Ids increase by one per event. The first id of a droverd's life is its
 * start time in unix ms times 1000, so ids also increase across restarts
 * and a client that reconnects after one asks for events "after" an id
 * older than the whole ring: it gets every buffered event. An id newer
 * than the newest (a clock set back) gets the same.
 *
 * GET /api/v1/events answers text/event-stream: first the buffered events
 * after Last-Event-ID (the header, else ?since=), none without either,
 * then each new one as it happens; ?follow=0 answers the buffered ones as
 * {"events": [...]} instead. A client is only a position in the ring: it
 * is sent events while its connection holds less than EVENTS_CLIENT_MAX
 * unsent bytes, and the rest once that has gone out. So droverd holds at
 * most the ring plus EVENTS_CLIENT_MAX per client, for at most
 * EVENTS_MAX_CLIENTS clients. A client that falls out of the ring (more
 * than EVENTS_RING events behind), or writes nothing for
 * EVENTS_WRITE_TIMEOUT seconds while output waits, is dropped; an
 * EventSource then reconnects with its Last-Event-ID by itself. A
 * comment line every EVENTS_HEARTBEAT_SECS keeps idle streams open
 * through proxies and finds peers that are gone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "droverd.h"
#include "log.h"
#include "util.h"

#ifndef LIST_FOREACH_SAFE	/* glibc's sys/queue.h lacks it */
#define LIST_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = LIST_FIRST(head);					\
	    (var) != NULL && ((tvar) = LIST_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define EVENTS_MAX_CLIENTS	128
#define EVENTS_CLIENT_MAX	(256 * 1024)	/* unsent bytes per client */
#define EVENTS_MESSAGE_MAX	512		/* bytes of an event's message */
#define EVENTS_WRITE_TIMEOUT	60		/* seconds stuck writing */
#define EVENTS_HEARTBEAT_SECS	25
#define EVENTS_RETRY_MS		1000		/* EventSource's reconnect delay */

struct events_entry {
	char		*text;		/* compact JSON */
	size_t		 len;
};

struct events_client {
	LIST_ENTRY(events_client)	 entry;
	struct evhttp_request		*req;
	struct evhttp_connection	*con;
	uint64_t			 next;	/* id of the next event to send */
};

static struct {
	struct events_entry		 ring[EVENTS_RING];	/* by id % EVENTS_RING */
	uint64_t			 first;	/* this life's first id */
	uint64_t			 next;	/* the next event's id */
	uint64_t			 dropped;	/* clients dropped */
	size_t				 nclients;
	struct event			*heartbeat;
	json_t				*before;	/* views before an inventory */
	LIST_HEAD(, events_client)	 clients;
} ev;

static void
events_start(void)
{
	if (ev.first == 0)
		ev.first = ev.next = wall_ms() * 1000;
}

/* The oldest id still in the ring (== ev.next when it is empty). */
static uint64_t
events_oldest(void)
{
	return ev.next - ev.first > EVENTS_RING ? ev.next - EVENTS_RING :
	    ev.first;
}

static const struct events_entry *
events_get(uint64_t id)
{
	return &ev.ring[id % EVENTS_RING];
}

/* At most EVENTS_MESSAGE_MAX bytes, cut at a UTF-8 character boundary;
 * text that is not UTF-8 becomes null. */
static json_t *
events_message(const char *msg)
{
	size_t	len;
	json_t	*j;

	if (msg == NULL)
		return json_null();
	len = strlen(msg);
	if (len > EVENTS_MESSAGE_MAX) {
		len = EVENTS_MESSAGE_MAX;
		while (len > 0 && ((unsigned char)msg[len] & 0xc0) == 0x80)
			len--;
	}
	j = json_stringn(msg, len);
	return j != NULL ? j : json_null();
}

static void	events_pump(struct events_client *);

void
events_add(const char *service, int64_t index, const char *kind,
    const char *from, const char *to, const char *message)
{
	struct events_entry	*e;
	struct events_client	*c, *next;
	json_t			*j;

	events_start();
	j = json_pack("{s:I, s:I, s:s, s:o, s:s, s:s?, s:s?, s:o}",
	    "id", (json_int_t)ev.next, "time", (json_int_t)wall_ms(),
	    "service", service,
	    "instance", index >= 0 ? json_integer(index) : json_null(),
	    "kind", kind, "from", from, "to", to,
	    "message", events_message(message));
	if (j == NULL) {
		log_warn("event of %s not recorded: not valid UTF-8", service);
		return;
	}
	e = &ev.ring[ev.next % EVENTS_RING];
	free(e->text);
	e->text = json_dumps(j, JSON_COMPACT);
	e->len = strlen(e->text);
	json_decref(j);
	ev.next++;
	LIST_FOREACH_SAFE(c, &ev.clients, entry, next)
		events_pump(c);
}

static const char *
events_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* What an event says besides from and to: the agent's detail when it
 * gives one, else the error of a failure and the time to the next start,
 * else the pid. */
static char *
events_instance_message(const json_t *report, const char *to)
{
	const char	*detail = events_str(report, "detail");
	const char	*error = events_str(report, "last_error");
	bool		 waits = strcmp(to, "backoff") == 0 ||
			    strcmp(to, "crashloop") == 0;
	json_int_t	 pid, next;
	char		*msg = NULL;

	pid = json_integer_value(json_object_get(report, "pid"));
	next = json_integer_value(json_object_get(report, "next_start_ms"));
	if (detail != NULL && *detail != '\0')
		return xstrdup(detail);
	if (error == NULL || *error == '\0' ||
	    (!waits && strcmp(to, "failed") != 0))
		error = NULL;
	if (waits && next > 0)
		xasprintf(&msg, "%s%snext start in %" JSON_INTEGER_FORMAT "ms",
		    error ? error : "", error ? "; " : "", next);
	else if (error != NULL)
		msg = xstrdup(error);
	else if (pid > 0)
		xasprintf(&msg, "pid %" JSON_INTEGER_FORMAT, pid);
	return msg;
}

/* The view of an instance before the inventory replaced it, if any. */
static const json_t *
events_before(const char *service, int64_t index)
{
	json_t	*v;

	if (ev.before == NULL)
		return NULL;
	v = json_array_get(json_object_get(ev.before, service), (size_t)index);
	return json_is_object(v) ? v : NULL;
}

/*
 * A state event when the state changed, or when the instance is another
 * process in the same state (an inventory after the agent restarted
 * it while droverd was not linked); a health event when health changed.
 */
void
events_instance(const char *service, int64_t index, const json_t *old,
    const json_t *report)
{
	const char	*from = NULL, *to, *hfrom = NULL, *hto;
	json_int_t	 opid = 0, npid;
	char		*msg;

	if (old == NULL)
		old = events_before(service, index);
	if (old != NULL) {
		from = events_str(old, "state");
		hfrom = events_str(old, "health");
		opid = json_integer_value(json_object_get(old, "pid"));
	}
	to = events_str(report, "state");
	hto = events_str(report, "health");
	npid = json_integer_value(json_object_get(report, "pid"));
	if (to != NULL && (from == NULL || strcmp(from, to) != 0)) {
		msg = events_instance_message(report, to);
		events_add(service, index, "state", from, to, msg);
		free(msg);
	} else if (to != NULL && opid > 0 && npid > 0 && opid != npid) {
		xasprintf(&msg, "pid %" JSON_INTEGER_FORMAT " (was %"
		    JSON_INTEGER_FORMAT ")", npid, opid);
		events_add(service, index, "state", from, to, msg);
		free(msg);
	}
	if (hfrom != NULL && hto != NULL && strcmp(hfrom, hto) != 0)
		events_add(service, index, "health", hfrom, hto, events_str(
		    json_object_get(report, "health_last"), "message"));
}

void
events_instance_removed(const char *service, int64_t index,
    const json_t *old)
{
	if (old != NULL)
		events_add(service, index, "state", events_str(old, "state"),
		    "removed", NULL);
}

/* The inventory is in: instances it no longer has are gone. */
static void
events_before_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct service	*s;
	const char		*name;
	json_t			*list, *v, *before = ev.before;
	size_t			 k;

	ev.before = NULL;
	json_object_foreach(before, name, list) {
		if ((s = service_find(name)) == NULL)
			continue;
		json_array_foreach(list, k, v) {
			if (json_is_object(v) &&
			    (k >= s->nviews || s->views[k] == NULL))
				events_add(name, (int64_t)k, "state",
				    events_str(v, "state"), "removed", NULL);
		}
	}
	json_decref(before);
}

void
events_views_reset(void)
{
	struct service	*s;
	json_t		*list;
	size_t		 i, k;

	if (ev.before == NULL && event_base_once(D->base, -1, EV_TIMEOUT,
	    events_before_cb, NULL, NULL) != 0)
		return;
	json_decref(ev.before);
	ev.before = json_object();
	for (i = 0; i < D->nservices; i++) {
		s = D->services[i];
		if (s->nviews == 0)
			continue;
		list = json_array();
		for (k = 0; k < s->nviews; k++)
			json_array_append(list, s->views[k] != NULL ?
			    s->views[k] : json_null());
		json_object_set_new(ev.before, s->name, list);
	}
}

void
events_apply(const char *service, const char *from, const char *to,
    const char *message)
{
	events_add(service, -1, "apply", from, to, message);
}

uint64_t
events_total(void)
{
	return ev.first == 0 ? 0 : ev.next - ev.first;
}

size_t
events_clients(void)
{
	return ev.nclients;
}

uint64_t
events_dropped(void)
{
	return ev.dropped;
}

/* --- the stream --- */

static size_t
events_unsent(const struct events_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(
	    evhttp_connection_get_bufferevent(c->con)));
}

/* Forget the client; its request is the caller's (or evhttp's) affair. */
static void
events_client_free(struct events_client *c)
{
	evhttp_connection_set_closecb(c->con, NULL, NULL);
	LIST_REMOVE(c, entry);
	if (--ev.nclients == 0 && ev.heartbeat != NULL)
		evtimer_del(ev.heartbeat);
	free(c);
}

/* The client is gone (or evhttp is being freed). */
static void
events_close_cb(struct evhttp_connection *con, void *arg)
{
	struct events_client	*c = arg;
	struct evhttp_request	*req = c->req;

	events_client_free(c);
	/* Detached from the failed connection, the request is ours. */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_send_reply_end(req);
}

static void
events_client_drop(struct events_client *c)
{
	struct evhttp_connection	*con = c->con;

	log_warn("events: dropping a client %" PRIu64 " events behind",
	    ev.next - c->next);
	ev.dropped++;
	events_client_free(c);
	evhttp_connection_free(con);
}

static void
events_drained_cb(struct evhttp_connection *con, void *arg)
{
	events_pump(arg);
}

/* Send what the client has not had, as far as its bound allows. */
static void
events_pump(struct events_client *c)
{
	const struct events_entry	*e;
	struct evbuffer			*out;
	size_t				 unsent = events_unsent(c);

	if (c->next < events_oldest()) {
		events_client_drop(c);
		return;
	}
	if (c->next == ev.next || unsent >= EVENTS_CLIENT_MAX)
		return;
	out = evbuffer_new();
	while (c->next < ev.next &&
	    unsent + evbuffer_get_length(out) < EVENTS_CLIENT_MAX) {
		e = events_get(c->next);
		evbuffer_add_printf(out, "id: %" PRIu64 "\ndata: ", c->next);
		evbuffer_add(out, e->text, e->len);
		evbuffer_add(out, "\n\n", 2);
		c->next++;
	}
	evhttp_send_reply_chunk_with_cb(c->req, out, events_drained_cb, c);
	evbuffer_free(out);
}

static void
events_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events_client	*c, *next;
	struct evbuffer		*out = evbuffer_new();

	LIST_FOREACH_SAFE(c, &ev.clients, entry, next) {
		if (events_unsent(c) > 0)
			continue;	/* the write timeout watches it */
		evbuffer_add(out, ":\n\n", 3);
		evhttp_send_reply_chunk_with_cb(c->req, out,
		    events_drained_cb, c);
	}
	evbuffer_free(out);
}

/* A decimal uint64, the whole string. */
static bool
events_parse_id(const char *v, uint64_t *id)
{
	char			*end;
	unsigned long long	 n;

	if (v == NULL || *v < '0' || *v > '9')
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end != '\0' || errno != 0)
		return false;
	*id = n;
	return true;
}

struct events_query {
	bool		follow;
	bool		has_since;
	uint64_t	since;
};

static int
events_query(struct evhttp_request *req, struct events_query *q,
    char **cause)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*qs = uri ? evhttp_uri_get_query(uri) : NULL;
	const char		*last;
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	int			 r = 0;

	q->follow = true;
	if (qs != NULL && *qs != '\0') {
		if (evhttp_parse_query_str(qs, &kv) != 0) {
			*cause = xstrdup("malformed query string");
			return -EINVAL;
		}
		TAILQ_FOREACH(e, &kv, next) {
			if (strcmp(e->key, "since") == 0) {
				q->has_since = events_parse_id(e->value,
				    &q->since);
				if (!q->has_since) {
					*cause = xstrdup("since must be an "
					    "event id");
					r = -EINVAL;
				}
			} else if (strcmp(e->key, "follow") == 0) {
				if (strcmp(e->value, "0") == 0 ||
				    strcmp(e->value, "false") == 0)
					q->follow = false;
				else if (strcmp(e->value, "1") != 0 &&
				    strcmp(e->value, "true") != 0) {
					*cause = xstrdup("follow must be 0 "
					    "or 1");
					r = -EINVAL;
				}
			} else {
				xasprintf(cause, "unknown query parameter %s "
				    "(expected follow, since)", e->key);
				r = -EINVAL;
			}
			if (r != 0)
				break;
		}
		evhttp_clear_headers(&kv);
		if (r != 0)
			return r;
	}
	/* An EventSource that reconnects says where it was in the header. */
	last = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Last-Event-ID");
	if (last != NULL && events_parse_id(last, &q->since))
		q->has_since = true;
	return 0;
}

/* The first id to send after `since`: all that is buffered when since
 * is from another life or older than the ring. */
static uint64_t
events_after(const struct events_query *q)
{
	if (!q->has_since)
		return q->follow ? ev.next : events_oldest();
	if (q->since >= ev.next || q->since < events_oldest())
		return events_oldest();
	return q->since + 1;
}

static void
events_serve_list(struct evhttp_request *req, uint64_t from)
{
	struct evbuffer		*out = evhttp_request_get_output_buffer(req);
	const struct events_entry *e;
	uint64_t		 id;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add(out, "{\"events\":[", 11);
	for (id = from; id < ev.next; id++) {
		e = events_get(id);
		if (id > from)
			evbuffer_add(out, ",", 1);
		evbuffer_add(out, e->text, e->len);
	}
	evbuffer_add(out, "]}\n", 3);
	evhttp_send_reply(req, 200, NULL, NULL);
}

/* A stream's connection: no read timeout, a bounded input. */
static void
events_stream_connection(struct evhttp_connection *con)
{
	struct bufferevent	*bev = evhttp_connection_get_bufferevent(con);
	struct timeval		 wtv = { EVENTS_WRITE_TIMEOUT, 0 };

	bufferevent_set_timeouts(bev, NULL, &wtv);
	bufferevent_setwatermark(bev, EV_READ, 0, 4096);
}

int
events_serve(struct evhttp_request *req, char **cause)
{
	struct events_query	 q = { 0 };
	struct events_client	*c;
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evbuffer		*out;
	struct timeval		 tv = { EVENTS_HEARTBEAT_SECS, 0 };
	int			 rc;

	*cause = NULL;
	events_start();
	if ((rc = events_query(req, &q, cause)) != 0)
		return rc;
	if (!q.follow) {
		events_serve_list(req, events_after(&q));
		return 0;
	}
	if (ev.nclients >= EVENTS_MAX_CLIENTS) {
		xasprintf(cause, "too many event streams (%d); try again "
		    "later", EVENTS_MAX_CLIENTS);
		return -EBUSY;
	}
	c = xcalloc(1, sizeof(*c));
	c->req = req;
	c->con = evhttp_request_get_connection(req);
	c->next = events_after(&q);
	LIST_INSERT_HEAD(&ev.clients, c, entry);
	if (ev.nclients++ == 0) {
		if (ev.heartbeat == NULL)
			ev.heartbeat = event_new(D->base, -1, EV_PERSIST,
			    events_heartbeat_cb, NULL);
		evtimer_add(ev.heartbeat, &tv);
	}
	events_stream_connection(c->con);
	evhttp_connection_set_closecb(c->con, events_close_cb, c);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	evhttp_send_reply_start(req, 200, NULL);
	out = evbuffer_new();
	evbuffer_add_printf(out, "retry: %d\n\n", EVENTS_RETRY_MS);
	evhttp_send_reply_chunk(req, out);
	evbuffer_free(out);
	events_pump(c);
	return 0;
}

void
events_free_all(void)
{
	struct events_client	*c;
	size_t			 i;

	while ((c = LIST_FIRST(&ev.clients)) != NULL)
		events_client_free(c);	/* evhttp frees the requests */
	if (ev.heartbeat != NULL)
		event_free(ev.heartbeat);
	for (i = 0; i < EVENTS_RING; i++)
		free(ev.ring[i].text);
	json_decref(ev.before);
	memset(&ev, 0, sizeof(ev));
}
