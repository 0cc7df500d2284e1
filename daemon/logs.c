/*
 * logs.c — GET /api/v1/services/{name}/logs: what instances wrote.
 *
 * droverd and the local agent share the state dir on one host, so droverd
 * reads the files the agent writes, <state dir>/logs/<service>.<index>.log
 * and the rotated .log.1, .log.2 ..., directly. (Reading the logs of an
 * agent on another host, through the agent link, is later work.)
 *
 * An answer is chunked text/plain. First the backlog: the last n lines
 * (default LOGS_DEFAULT_N) of each instance, going back into rotated
 * files when the current one has fewer, but never more than
 * LOGS_BACKLOG_MAX bytes of it; the instances one after the other in index
 * order. Each instance's backlog is one chunk, read only once the one
 * before has gone out to the socket, so a reader holds at most one
 * instance's backlog. With ?index=I that instance only, as written;
 * without, every instance that has a log file, each line prefixed
 * "<service>/<index> | ".
 *
 * With follow=1 the answer then stays open. An inotify watch on the logs
 * dir, held only while someone follows, says when a file was written
 * (IN_MODIFY), created (IN_CREATE) or renamed (IN_MOVED_FROM/TO); the
 * follower reads what is new from the fd it holds, and when the path now
 * names another file (the agent rotated: renamed the old one, then
 * created a new one on its next output) it reads the old one to its end
 * and continues in the new one from 0. Nothing polls. A follower can miss
 * a whole file only when several rotations happen before it reads. With a
 * prefix only whole lines are sent (an unfinished line waits for its end,
 * up to LOGS_LINE_MAX), so lines of two instances never mix; new
 * instances join as their files appear.
 *
 * Bounds: the files are the buffer. A follower whose unsent output
 * passes LOGS_OUT_MAX stops reading until its connection has written
 * everything, then catches up from where it stopped: a slow client gets
 * the output at its own pace and costs droverd at most LOGS_OUT_MAX (and
 * it skips whole files when it falls more than a rotation behind). One
 * that makes no progress for LOGS_WRITE_TIMEOUT seconds is dropped, and so
 * is one whose unfinished lines alone pass LOGS_OUT_MAX. One that
 * disconnects is noticed by the connection's close callback. Either way
 * everything it held is freed, and the watch goes with the last follower.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define LOGS_DEFAULT_N		10
#define LOGS_MAX_N		100000
#define LOGS_MAX_INDEX		9999		/* instances are at most 10000 */
#define LOGS_BACKLOG_MAX	(1024 * 1024)	/* bytes of file per instance */
#define LOGS_LINE_MAX		(64 * 1024)	/* unfinished line kept */
#define LOGS_OUT_MAX		(1024 * 1024)	/* unsent, per follower */
#define LOGS_CHUNK		(64 * 1024)
#define LOGS_WRITE_TIMEOUT	60		/* seconds stuck writing */

/* One instance as one reader sees it. */
struct logs_tail {
	unsigned	 index;
	int		 fd;		/* the .log followed; -1: none */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 off;		/* next byte of fd to send */
	char		*part;		/* an unfinished line (prefixed) */
	size_t		 npart;
};

struct logs_reader {
	LIST_ENTRY(logs_reader)	  entry;
	struct evhttp_request	 *req;
	struct evhttp_connection *con;
	struct event		 *kick;		/* catch up, after the backlog */
	char			 *service;
	unsigned		  n;
	unsigned		  keep;		/* files, the .log included */
	bool			  prefix;	/* every instance, prefixed */
	bool			  follow;
	bool			  following;	/* the backlog is out */
	bool			  blocked;	/* waits for its output to drain */
	struct logs_tail	**tails;	/* by index, ascending */
	size_t			  ntails;
	size_t			  next;		/* next backlog to send */
	size_t			  cursor;	/* next tail to catch up */
	size_t			  parts;	/* bytes in tails' part */
};

static struct {
	char				*dir;
	int				 ifd;	/* inotify, -1: none */
	struct event			*ev;
	bool				 in_cb;	/* in logs_inotify_cb */
	size_t				 nfollowers;
	LIST_HEAD(, logs_reader)	 readers;
} logs = { .ifd = -1 };

static char	logs_buf[LOGS_CHUNK];

static const char *
logs_dir(void)
{
	if (logs.dir == NULL)
		xasprintf(&logs.dir, "%s/logs", D->state_dir);
	return logs.dir;
}

static char *
logs_path(const char *service, unsigned index, unsigned n)
{
	char	*path;

	if (n == 0)
		xasprintf(&path, "%s/%s.%u.log", logs_dir(), service, index);
	else
		xasprintf(&path, "%s/%s.%u.log.%u", logs_dir(), service,
		    index, n);
	return path;
}

/*
 * "<service>.<index>.log", or with `rotated` also ".log.<N>": the
 * service's name (copied into svc, which holds NAME_MAX + 1) and index.
 */
static bool
logs_parse_name(const char *name, char *svc, unsigned *index, bool rotated)
{
	const char	*dot = strchr(name, '.'), *p;
	char		*end;
	unsigned long	 i;

	if (dot == NULL || dot == name || dot[1] < '0' || dot[1] > '9')
		return false;
	i = strtoul(dot + 1, &end, 10);
	if (i > LOGS_MAX_INDEX || strncmp(end, ".log", 4) != 0)
		return false;
	p = end + 4;
	if (*p != '\0') {
		if (!rotated || *p != '.' || p[1] < '1' || p[1] > '9')
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
		if (*p != '\0')
			return false;
	}
	memcpy(svc, name, (size_t)(dot - name));
	svc[dot - name] = '\0';
	*index = (unsigned)i;
	return true;
}

/* The connection's unsent output plus unfinished lines. */
static size_t
logs_pending(const struct logs_reader *r)
{
	struct bufferevent	*bev = evhttp_connection_get_bufferevent(r->con);

	return evbuffer_get_length(bufferevent_get_output(bev)) + r->parts;
}

/* Keep an unfinished line; one that grows past LOGS_LINE_MAX is ended. */
static void
logs_keep_part(struct logs_reader *r, struct logs_tail *t, const char *buf,
    size_t len, struct evbuffer *out)
{
	if (t->npart + len > LOGS_LINE_MAX) {
		evbuffer_add_printf(out, "%s/%u | ", r->service, t->index);
		evbuffer_add(out, t->part, t->npart);
		evbuffer_add(out, buf, len);
		evbuffer_add(out, "\n", 1);
		r->parts -= t->npart;
		free(t->part);
		t->part = NULL;
		t->npart = 0;
		return;
	}
	t->part = xrealloc(t->part, t->npart + len);
	memcpy(t->part + t->npart, buf, len);
	t->npart += len;
	r->parts += len;
}

/* Output of one instance: as is, or in whole lines with the prefix. */
static void
logs_emit(struct logs_reader *r, struct logs_tail *t, const char *buf,
    size_t len, struct evbuffer *out)
{
	const char	*nl;
	size_t		 n;

	if (!r->prefix) {
		evbuffer_add(out, buf, len);
		return;
	}
	while (len > 0) {
		if ((nl = memchr(buf, '\n', len)) == NULL) {
			logs_keep_part(r, t, buf, len, out);
			return;
		}
		n = (size_t)(nl - buf) + 1;
		evbuffer_add_printf(out, "%s/%u | ", r->service, t->index);
		if (t->npart > 0) {
			evbuffer_add(out, t->part, t->npart);
			r->parts -= t->npart;
			free(t->part);
			t->part = NULL;
			t->npart = 0;
		}
		evbuffer_add(out, buf, n);
		buf += n;
		len -= n;
	}
}

/* The end of the answer: an unfinished line goes out, ended. */
static void
logs_flush_part(struct logs_reader *r, struct logs_tail *t,
    struct evbuffer *out)
{
	if (t->npart > 0)
		logs_emit(r, t, "\n", 1, out);
}

/* Send [start, end) of fd. */
static void
logs_emit_range(struct logs_reader *r, struct logs_tail *t, int fd,
    off_t start, off_t end, struct evbuffer *out)
{
	ssize_t	n;
	size_t	want;

	while (start < end) {
		want = end - start > LOGS_CHUNK ? LOGS_CHUNK :
		    (size_t)(end - start);
		if ((n = pread(fd, logs_buf, want, start)) <= 0)
			return;
		logs_emit(r, t, logs_buf, (size_t)n, out);
		start += n;
	}
}

/*
 * Where the last *n lines before `end` of fd begin, reading back at most
 * *budget bytes. Counts the lines found off *n (to 0 when the budget ran
 * out first) and the bytes read off *budget.
 */
static off_t
logs_back(int fd, off_t end, unsigned *n, size_t *budget)
{
	off_t	 pos = end, lowest = -1;
	size_t	 len, i;
	ssize_t	 got;

	if (end == 0)
		return 0;		/* no line here */
	while (pos > 0 && *budget > 0) {
		len = pos > LOGS_CHUNK ? LOGS_CHUNK : (size_t)pos;
		if (len > *budget)
			len = *budget;
		if ((got = pread(fd, logs_buf, len, pos - (off_t)len)) !=
		    (ssize_t)len)
			break;
		*budget -= len;
		pos -= (off_t)len;
		for (i = len; i-- > 0;) {
			if (logs_buf[i] != '\n' || pos + (off_t)i == end - 1)
				continue;
			lowest = pos + (off_t)i + 1;
			if (--*n == 0)
				return lowest;
		}
	}
	if (pos == 0) {
		(*n)--;		/* the file's first line */
		return 0;
	}
	*n = 0;			/* out of budget: from a line start */
	return lowest != -1 ? lowest : pos;
}

/* Open one of the instance's files (.log.n; n = 0: .log), with its stat. */
static int
logs_open(const struct logs_reader *r, const struct logs_tail *t,
    unsigned n, struct stat *st)
{
	char	*path = logs_path(r->service, t->index, n);
	int	 fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd != -1 && fstat(fd, st) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * One instance's backlog into out. Following, the tail keeps the .log
 * open where the backlog ends.
 */
static void
logs_backlog(struct logs_reader *r, struct logs_tail *t, struct evbuffer *out)
{
	struct { int fd; off_t start, end; } *seg;
	struct stat	 st;
	unsigned	 n = r->n, k, nseg = 0;
	size_t		 budget = LOGS_BACKLOG_MAX;
	int		 fd, cur = -1;

	seg = xcalloc(r->keep, sizeof(*seg));
	for (k = 0; k < r->keep && (k == 0 || (n > 0 && budget > 0)); k++) {
		if ((fd = logs_open(r, t, k, &st)) == -1) {
			if (k == 0)
				continue;	/* none since the rotation */
			break;
		}
		if (k == 0) {
			cur = fd;
			t->dev = st.st_dev;
			t->ino = st.st_ino;
			t->off = st.st_size;
			if (n == 0)
				break;
		} else if (cur != -1 && st.st_dev == t->dev &&
		    st.st_ino == t->ino) {
			close(fd);	/* rotated meanwhile: that was .log */
			continue;
		}
		seg[nseg].fd = fd;
		seg[nseg].end = st.st_size;
		seg[nseg].start = logs_back(fd, st.st_size, &n, &budget);
		nseg++;
	}
	while (nseg-- > 0) {
		logs_emit_range(r, t, seg[nseg].fd, seg[nseg].start,
		    seg[nseg].end, out);
		if (seg[nseg].fd != cur)
			close(seg[nseg].fd);
	}
	free(seg);
	if (r->follow)
		t->fd = cur;
	else {
		if (cur != -1)
			close(cur);
		logs_flush_part(r, t, out);
	}
}

static struct logs_tail *
logs_tail_new(unsigned index)
{
	struct logs_tail	*t = xcalloc(1, sizeof(*t));

	t->index = index;
	t->fd = -1;
	return t;
}

static void
logs_tail_free(struct logs_tail *t)
{
	if (t->fd != -1)
		close(t->fd);
	free(t->part);
	free(t);
}

/* The reader's tail for `index`; with `add`, a new one if none. */
static struct logs_tail *
logs_tail_find(struct logs_reader *r, unsigned index, bool add)
{
	size_t	i;

	for (i = 0; i < r->ntails && r->tails[i]->index < index; i++)
		;
	if (i < r->ntails && r->tails[i]->index == index)
		return r->tails[i];
	if (!add)
		return NULL;
	r->tails = xreallocarray(r->tails, r->ntails + 1, sizeof(*r->tails));
	memmove(&r->tails[i + 1], &r->tails[i],
	    (r->ntails - i) * sizeof(*r->tails));
	r->ntails++;
	return r->tails[i] = logs_tail_new(index);
}

/* A tail for every instance of the service that has a log file. */
static void
logs_scan(struct logs_reader *r)
{
	struct dirent	*de;
	DIR		*dir;
	char		 svc[NAME_MAX + 1];
	unsigned	 index;

	if ((dir = opendir(logs_dir())) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (logs_parse_name(de->d_name, svc, &index, true) &&
		    strcmp(svc, r->service) == 0)
			logs_tail_find(r, index, true);
	}
	closedir(dir);
}

/*
 * Read what is new for one tail: the rest of the file it holds, then,
 * when the path names another file now (rotation), that one from 0.
 */
static void
logs_tail_read(struct logs_reader *r, struct logs_tail *t,
    struct evbuffer *out)
{
	struct stat	 st;
	ssize_t		 n;

	if (fstat(t->fd, &st) == 0 && st.st_size < t->off)
		t->off = 0;		/* truncated */
	while (logs_pending(r) + evbuffer_get_length(out) < LOGS_OUT_MAX &&
	    (n = pread(t->fd, logs_buf, sizeof(logs_buf), t->off)) > 0) {
		logs_emit(r, t, logs_buf, (size_t)n, out);
		t->off += n;
	}
}

static void
logs_tail_follow(struct logs_reader *r, struct logs_tail *t,
    struct evbuffer *out)
{
	struct stat	 st;
	char		*path;
	int		 fd;

	if (t->fd != -1)
		logs_tail_read(r, t, out);
	path = logs_path(r->service, t->index, 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1 || fstat(fd, &st) == -1 ||
	    (t->fd != -1 && st.st_dev == t->dev && st.st_ino == t->ino)) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (t->fd != -1)
		close(t->fd);
	t->fd = fd;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->off = 0;
	logs_tail_read(r, t, out);
}

static void	logs_unwatch(void);

/* Forget the reader; its request is the caller's (or evhttp's) affair. */
static void
logs_reader_free(struct logs_reader *r)
{
	size_t	i;

	evhttp_connection_set_closecb(r->con, NULL, NULL);
	LIST_REMOVE(r, entry);
	if (r->follow && --logs.nfollowers == 0)
		logs_unwatch();
	for (i = 0; i < r->ntails; i++)
		logs_tail_free(r->tails[i]);
	free(r->tails);
	if (r->kick != NULL)
		event_free(r->kick);
	free(r->service);
	free(r);
}

/* The client is gone (or evhttp is being freed). */
static void
logs_close_cb(struct evhttp_connection *con, void *arg)
{
	struct logs_reader	*r = arg;
	struct evhttp_request	*req = r->req;

	logs_reader_free(r);
	/* Detached from the failed connection, the request is ours. */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_send_reply_end(req);
}

static void
logs_reader_end(struct logs_reader *r)
{
	struct evhttp_request	*req = r->req;

	logs_reader_free(r);
	evhttp_send_reply_end(req);
}

/* Unfinished lines alone fill the bound: close the connection. */
static void
logs_reader_drop(struct logs_reader *r)
{
	struct evhttp_connection	*con = r->con;

	log_warn("logs of %s: dropping a follower holding %zu bytes of "
	    "unfinished lines", r->service, r->parts);
	logs_reader_free(r);
	evhttp_connection_free(con);
}

/* The connection has written everything: a blocked follower reads on. */
static void
logs_drained_cb(struct evhttp_connection *con, void *arg)
{
	struct logs_reader	*r = arg;

	if (r->blocked) {
		r->blocked = false;
		event_active(r->kick, EV_TIMEOUT, 1);
	}
}

/*
 * Send what a follower has in out; past LOGS_OUT_MAX unsent, it is
 * blocked until the connection drains. False when it was dropped.
 */
static bool
logs_reader_send(struct logs_reader *r, struct evbuffer *out)
{
	if (evbuffer_get_length(out) > 0)
		evhttp_send_reply_chunk_with_cb(r->req, out, logs_drained_cb,
		    r);
	if (logs_pending(r) < LOGS_OUT_MAX)
		return true;
	if (r->parts >= LOGS_OUT_MAX) {
		logs_reader_drop(r);
		return false;
	}
	r->blocked = true;
	return true;
}

/*
 * Catch up every tail, from where the last catch-up stopped: after the
 * backlog, after the output drained, after lost events.
 */
static void
logs_catch_up(struct logs_reader *r)
{
	struct evbuffer	*out = evbuffer_new();
	size_t		 i, k;

	for (k = 0; k < r->ntails && !r->blocked; k++) {
		i = (r->cursor + k) % r->ntails;
		logs_tail_follow(r, r->tails[i], out);
		if (!logs_reader_send(r, out))
			break;		/* freed */
		r->cursor = (i + 1) % r->ntails;
	}
	evbuffer_free(out);
}

static void
logs_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	logs_catch_up(arg);
}

static void	logs_sent_cb(struct evhttp_connection *, void *);

/*
 * Send the next instance's backlog; once none is left, end the answer
 * or start following (from the loop, not from evhttp's callback).
 */
static void
logs_reader_next(struct logs_reader *r)
{
	struct evbuffer	*out = evbuffer_new();

	while (r->next < r->ntails) {
		logs_backlog(r, r->tails[r->next++], out);
		if (evbuffer_get_length(out) > 0) {
			evhttp_send_reply_chunk_with_cb(r->req, out,
			    logs_sent_cb, r);
			evbuffer_free(out);
			return;
		}
	}
	evbuffer_free(out);
	if (!r->follow) {
		logs_reader_end(r);
		return;
	}
	r->following = true;
	event_active(r->kick, EV_TIMEOUT, 1);
}

static void
logs_sent_cb(struct evhttp_connection *con, void *arg)
{
	logs_reader_next(arg);
}

/* A file of the logs dir changed: every follower of it reads. */
static void
logs_changed(const char *name)
{
	struct logs_reader	*r, *next;
	struct logs_tail	*t;
	struct evbuffer		*out;
	char			 svc[NAME_MAX + 1];
	unsigned		 index;

	if (!logs_parse_name(name, svc, &index, false))
		return;
	out = evbuffer_new();
	LIST_FOREACH_SAFE(r, &logs.readers, entry, next) {
		if (!r->following || r->blocked ||
		    strcmp(r->service, svc) != 0 ||
		    (t = logs_tail_find(r, index, r->prefix)) == NULL)
			continue;
		logs_tail_follow(r, t, out);
		logs_reader_send(r, out);
	}
	evbuffer_free(out);
}

static void
logs_changed_all(void)
{
	struct logs_reader	*r, *next;

	LIST_FOREACH_SAFE(r, &logs.readers, entry, next) {
		if (r->following && !r->blocked)
			logs_catch_up(r);
	}
}

/* A bounded number of reads per wakeup; the event is level-triggered. */
static void
logs_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	char			 buf[8192] __attribute__((aligned(
				    __alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t			 n;
	char			*p;
	int			 rounds;

	logs.in_cb = true;
	for (rounds = 0; rounds < 8 && logs.nfollowers > 0; rounds++) {
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			break;
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				logs_changed_all();
			else if (ev->len > 0)
				logs_changed(ev->name);
		}
	}
	logs.in_cb = false;
	if (logs.nfollowers == 0)
		logs_unwatch();
}

/* Watch the logs dir while someone follows. */
static int
logs_watch(void)
{
	int	r;

	if (logs.ifd != -1)
		return 0;
	if ((r = mkdir_p(logs_dir(), 0755)) < 0)
		return r;
	if ((logs.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -errno;
	if (inotify_add_watch(logs.ifd, logs_dir(), IN_MODIFY | IN_CREATE |
	    IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR) == -1) {
		r = -errno;
		close(logs.ifd);
		logs.ifd = -1;
		return r;
	}
	logs.ev = event_new(D->base, logs.ifd, EV_READ | EV_PERSIST,
	    logs_inotify_cb, NULL);
	event_add(logs.ev, NULL);
	return 0;
}

static void
logs_unwatch(void)
{
	if (logs.ifd == -1 || logs.in_cb)
		return;
	event_free(logs.ev);
	logs.ev = NULL;
	close(logs.ifd);
	logs.ifd = -1;
}

/* A query value as an unsigned in [0, max]. */
static int
logs_uint(const char *v, unsigned max, const char *what, unsigned *out,
    char **cause)
{
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v < '0' || *v > '9' || *end != '\0' || errno != 0 || n > max) {
		xasprintf(cause, "%s must be a number from 0 to %u", what, max);
		return -EINVAL;
	}
	*out = (unsigned)n;
	return 0;
}

struct logs_query {
	unsigned	n;
	bool		follow;
	bool		has_index;
	unsigned	index;
};

static int
logs_query(struct evhttp_request *req, struct logs_query *q, char **cause)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*qs = uri ? evhttp_uri_get_query(uri) : NULL;
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	int			 r = 0;

	q->n = LOGS_DEFAULT_N;
	if (qs == NULL || *qs == '\0')
		return 0;
	if (evhttp_parse_query_str(qs, &kv) != 0) {
		*cause = xstrdup("malformed query string");
		return -EINVAL;
	}
	TAILQ_FOREACH(e, &kv, next) {
		if (strcmp(e->key, "n") == 0)
			r = logs_uint(e->value, LOGS_MAX_N, "n", &q->n, cause);
		else if (strcmp(e->key, "index") == 0) {
			r = logs_uint(e->value, LOGS_MAX_INDEX, "index",
			    &q->index, cause);
			q->has_index = true;
		} else if (strcmp(e->key, "follow") == 0) {
			if (strcmp(e->value, "1") == 0 ||
			    strcmp(e->value, "true") == 0)
				q->follow = true;
			else if (strcmp(e->value, "0") != 0 &&
			    strcmp(e->value, "false") != 0) {
				*cause = xstrdup("follow must be 0 or 1");
				r = -EINVAL;
			}
		} else {
			xasprintf(cause, "unknown query parameter %s (expected "
			    "n, follow, index)", e->key);
			r = -EINVAL;
		}
		if (r != 0)
			break;
	}
	evhttp_clear_headers(&kv);
	return r;
}

/* An index with no log file must at least be one the service has. */
static bool
logs_index_known(const struct service *s, unsigned index)
{
	struct stat	 st;
	char		*path;
	bool		 ok;

	if (index < s->m->instances ||
	    (index < s->nviews && s->views[index] != NULL))
		return true;
	path = logs_path(s->name, index, 0);
	ok = stat(path, &st) == 0;
	free(path);
	if (!ok) {
		path = logs_path(s->name, index, 1);
		ok = stat(path, &st) == 0;
		free(path);
	}
	return ok;
}

/* A follower's connection: no read timeout, a bounded input. */
static void
logs_follow_connection(struct evhttp_connection *con)
{
	struct bufferevent	*bev = evhttp_connection_get_bufferevent(con);
	struct timeval		 wtv = { LOGS_WRITE_TIMEOUT, 0 };

	bufferevent_set_timeouts(bev, NULL, &wtv);
	bufferevent_setwatermark(bev, EV_READ, 0, LOGS_CHUNK);
}

int
logs_serve(struct evhttp_request *req, const struct service *s,
    char **cause)
{
	struct logs_query	 q = { 0 };
	struct logs_reader	*r;
	int			 rc;

	*cause = NULL;
	if ((rc = logs_query(req, &q, cause)) != 0)
		return rc;
	if (q.has_index && !logs_index_known(s, q.index)) {
		xasprintf(cause, "%s has no instance %u", s->name, q.index);
		return -ENOENT;
	}
	if (q.follow && (rc = logs_watch()) != 0) {
		xasprintf(cause, "cannot watch %s: %s", logs_dir(),
		    strerror(-rc));
		return rc;
	}
	r = xcalloc(1, sizeof(*r));
	r->req = req;
	r->con = evhttp_request_get_connection(req);
	r->service = xstrdup(s->name);
	r->n = q.n;
	r->keep = s->m->logs.keep > 0 ? s->m->logs.keep : 1;
	r->follow = q.follow;
	r->prefix = !q.has_index;
	if (q.has_index)
		logs_tail_find(r, q.index, true);
	else
		logs_scan(r);
	LIST_INSERT_HEAD(&logs.readers, r, entry);
	if (r->follow) {
		logs.nfollowers++;
		r->kick = evtimer_new(D->base, logs_kick_cb, r);
		logs_follow_connection(r->con);
	}
	evhttp_connection_set_closecb(r->con, logs_close_cb, r);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "X-Content-Type-Options", "nosniff");
	evhttp_send_reply_start(req, 200, NULL);
	logs_reader_next(r);
	return 0;
}

void
logs_free_all(void)
{
	struct logs_reader	*r;

	while ((r = LIST_FIRST(&logs.readers)) != NULL)
		logs_reader_free(r);	/* evhttp frees the requests */
	logs_unwatch();
	free(logs.dir);
	logs.dir = NULL;
}
