/*
 * client.c — one HTTP/1.1 request to droverd over its unix control socket.
 *
 * Each request opens its own connection and says "Connection: close"; the
 * answer ends at its Content-Length, at its last chunk, or at the close.
 * Every wait is bounded by CLIENT_TIMEOUT_MS and every answer by the size
 * limits below, so a hung or broken droverd cannot hang droverctl.
 *
 * The client is this small file and not libcurl: droverctl runs in scripts
 * and loops, and loading libcurl with the ~30 shared libraries it pulls in
 * (TLS, LDAP, Kerberos, SSH, ...) costs about 4 ms per run, nearly the
 * whole start-up budget of `droverctl status`, for features a local unix
 * socket never needs.
 *
 * Failures are returned, not printed: CLIENT_UNREACHABLE when droverd
 * could not be connected to or did not answer in time, -EIO otherwise;
 * *cause then says why (malloc'd).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "droverctl.h"
#include "util.h"

#ifndef CLIENT_TIMEOUT_MS
#define CLIENT_TIMEOUT_MS	30000
#endif
#define CLIENT_MAX_HEADER	(64 * 1024)
#define CLIENT_MAX_BODY		(256 * 1024 * 1024)

struct conn {
	int		 fd;
	uint64_t	 deadline;	/* now_ms() */
	char		*buf;		/* everything read so far */
	size_t		 len;
	size_t		 cap;
	bool		 eof;
};

/* Wait until the socket is ready for `events`; 0, or -ETIMEDOUT. */
static int
conn_wait(struct conn *c, short events)
{
	struct pollfd	pfd = { .fd = c->fd, .events = events };
	uint64_t	now;
	int		n;

	for (;;) {
		now = now_ms();
		if (now >= c->deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(c->deadline - now));
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return -errno;
	}
}

static int
conn_open(struct conn *c, const char *path, char **cause)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	struct timespec		pause = { 0, 2 * 1000 * 1000 };

	if (strlen(path) >= sizeof(sun.sun_path)) {
		*cause = xstrdup("socket path too long");
		return CLIENT_UNREACHABLE;
	}
	strcpy(sun.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd == -1) {
		*cause = xstrdup(strerror(errno));
		return CLIENT_UNREACHABLE;
	}
	/* A full listen backlog answers EAGAIN: retry until the deadline. */
	while (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if ((errno == EAGAIN && now_ms() < c->deadline) ||
		    errno == EINTR) {
			nanosleep(&pause, NULL);
			continue;
		}
		*cause = xstrdup(errno == EAGAIN ? "no answer in time" :
		    strerror(errno));
		return CLIENT_UNREACHABLE;
	}
	return 0;
}

/* Send it all; 0 or a negative errno. */
static int
conn_send(struct conn *c, const char *p, size_t n)
{
	ssize_t	w;
	int	r;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w >= 0) {
			p += w;
			n -= (size_t)w;
		} else if (errno == EAGAIN) {
			if ((r = conn_wait(c, POLLOUT)) != 0)
				return r;
		} else if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/* Read what is there (waiting for some); 0, or a negative errno. */
static int
conn_read(struct conn *c)
{
	ssize_t	n;
	int	r;

	if (c->cap - c->len < 16384) {
		c->cap *= 2;
		c->buf = xrealloc(c->buf, c->cap);
	}
	for (;;) {
		n = read(c->fd, c->buf + c->len, c->cap - c->len - 1);
		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
			return 0;
		}
		if (n == 0) {
			c->eof = true;
			return 0;
		}
		if (errno == EAGAIN) {
			if ((r = conn_wait(c, POLLIN)) != 0)
				return r;
		} else if (errno != EINTR)
			return -errno;
	}
}

struct head {
	int		status;
	size_t		size;		/* of the head, blank line included */
	long long	content_length;	/* -1: none */
	bool		chunked;
};

/* The value of header `name` in the head's lines, or NULL. */
static const char *
head_value(const char *head, const char *end, const char *name, size_t *vlen)
{
	const char	*line, *eol, *v;
	size_t		 nlen = strlen(name);

	for (line = strstr(head, "\r\n") + 2; line < end; line = eol + 2) {
		eol = strstr(line, "\r\n");
		if (eol == NULL || eol == line)
			break;
		if ((size_t)(eol - line) <= nlen || line[nlen] != ':' ||
		    strncasecmp(line, name, nlen) != 0)
			continue;
		for (v = line + nlen + 1; *v == ' ' || *v == '\t'; v++)
			;
		*vlen = (size_t)(eol - v);
		return v;
	}
	return NULL;
}

/* Parse the status line and headers; 1 done, 0 need more, -EPROTO. */
static int
head_parse(const struct conn *c, struct head *h)
{
	const char	*end, *v;
	char		*num_end;
	size_t		 vlen;
	int		 minor;

	if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
		return c->len > CLIENT_MAX_HEADER ? -EPROTO : 0;
	h->size = (size_t)(end - c->buf) + 4;
	if (sscanf(c->buf, "HTTP/1.%d %3d ", &minor, &h->status) != 2 ||
	    h->status < 100 || h->status > 999)
		return -EPROTO;
	h->content_length = -1;
	if ((v = head_value(c->buf, end, "Content-Length", &vlen)) != NULL) {
		errno = 0;
		h->content_length = strtoll(v, &num_end, 10);
		if (errno != 0 || num_end == v || h->content_length < 0 ||
		    h->content_length > CLIENT_MAX_BODY)
			return -EPROTO;
	}
	v = head_value(c->buf, end, "Transfer-Encoding", &vlen);
	h->chunked = v != NULL && vlen >= 7 &&
	    strncasecmp(v + vlen - 7, "chunked", 7) == 0;
	return 1;
}

/*
 * Walk a chunked body in p[0..n). With `out` set, append the data there.
 * Returns 1 when the last chunk is in, 0 when more is needed, -EPROTO.
 */
static int
dechunk(const char *p, size_t n, char *out, size_t *outlen)
{
	const char	*eol, *end = p + n;
	unsigned long	 size;
	char		*num_end;

	*outlen = 0;
	for (;;) {
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (eol == NULL)
			return 0;
		size = strtoul(p, &num_end, 16);
		if (num_end == p || size > CLIENT_MAX_BODY)
			return -EPROTO;
		p = eol + 2;
		if (size == 0)		/* trailers are not read: we close */
			return 1;
		if ((size_t)(end - p) < size + 2)
			return 0;
		if (out != NULL)
			memcpy(out + *outlen, p, size);
		*outlen += size;
		p += size + 2;
		if (*outlen > CLIENT_MAX_BODY)
			return -EPROTO;
	}
}

/* Has the whole body arrived? 1 yes, 0 not yet, -EPROTO. */
static int
body_complete(const struct conn *c, const struct head *h)
{
	size_t	got = c->len - h->size, ignored;

	if (h->status == 204 || h->status == 304)
		return 1;
	if (h->chunked)
		return dechunk(c->buf + h->size, got, NULL, &ignored);
	if (h->content_length >= 0)
		return got >= (size_t)h->content_length;
	if (got > CLIENT_MAX_BODY)
		return -EPROTO;
	return c->eof;
}

static void
reply_take(struct conn *c, const struct head *h, struct client_reply *out)
{
	size_t	got = c->len - h->size;

	out->status = h->status;
	out->body = xmalloc(got + 1);
	if (h->status == 204 || h->status == 304)
		out->len = 0;
	else if (h->chunked)
		dechunk(c->buf + h->size, got, out->body, &out->len);
	else if (h->content_length >= 0)
		out->len = (size_t)h->content_length;
	else
		out->len = got;
	if (!h->chunked)
		memcpy(out->body, c->buf + h->size, out->len);
	out->body[out->len] = '\0';
}

/* Read one answer, skipping interim 1xx ones. */
static int
conn_receive(struct conn *c, struct client_reply *out)
{
	struct head	h;
	int		r, done = 0;

	for (;;) {
		if ((r = head_parse(c, &h)) < 0)
			return r;
		if (r == 1 && h.status < 200) {
			c->len -= h.size;
			memmove(c->buf, c->buf + h.size, c->len + 1);
			continue;
		}
		if (r == 1 && (done = body_complete(c, &h)) != 0)
			break;
		if (c->eof)
			return -ECONNRESET;
		if ((r = conn_read(c)) != 0)
			return r;
	}
	if (done < 0)
		return done;
	reply_take(c, &h, out);
	return 0;
}

static char *
request_text(const char *method, const char *target, size_t len)
{
	char	*s, length[128] = "";

	if (len > 0 || strcmp(method, "GET") != 0)
		snprintf(length, sizeof(length), "%sContent-Length: %zu\r\n",
		    len > 0 ? "Content-Type: application/json\r\n" : "", len);
	xasprintf(&s, "%s %s HTTP/1.1\r\n"
	    "Host: drover\r\n"
	    "User-Agent: droverctl/%s\r\n"
	    "Accept: application/json\r\n"
	    "Connection: close\r\n"
	    "%s"
	    "\r\n", method, target, DROVER_VERSION, length);
	return s;
}

int
client_request(const char *socket_path, const char *method,
    const char *target, const char *body, size_t len,
    struct client_reply *out, char **cause)
{
	struct conn	 c = { .fd = -1 };
	char		*head = request_text(method, target, len);
	int		 r, sent;

	c.deadline = now_ms() + CLIENT_TIMEOUT_MS;
	c.cap = 65536;
	c.buf = xmalloc(c.cap);
	c.buf[0] = '\0';
	*cause = NULL;
	if ((r = conn_open(&c, socket_path, cause)) != 0)
		goto out;
	/* droverd may answer (e.g. 413) and close before reading it all. */
	sent = conn_send(&c, head, strlen(head));
	if (sent == 0 && len > 0)
		sent = conn_send(&c, body, len);
	r = conn_receive(&c, out);
	if (r == -ECONNRESET && sent != 0)
		r = sent;
	if (r == -ETIMEDOUT) {
		xasprintf(cause, "no answer within %d s",
		    CLIENT_TIMEOUT_MS / 1000);
		r = CLIENT_UNREACHABLE;
	} else if (r == -EPROTO)
		*cause = xstrdup("malformed HTTP answer");
	else if (r == -ECONNRESET)
		*cause = xstrdup("connection closed before the answer was complete");
	else if (r != 0)
		*cause = xstrdup(strerror(-r));
	if (r != 0 && r != CLIENT_UNREACHABLE)
		r = -EIO;
out:
	if (c.fd != -1)
		close(c.fd);
	free(c.buf);
	free(head);
	return r;
}

void
client_reply_free(struct client_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
