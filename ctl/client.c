/*
 * client.c — one HTTP request to droverd over its unix control socket,
 * made with libcurl's easy interface (URL http://drover/api/v1/...).
 *
 * Each request has its own easy handle and connection. Every wait is
 * bounded by CLIENT_TIMEOUT_MS (a build may define a shorter one, e.g. for
 * tests of a hung droverd) and every answer by CLIENT_MAX_BODY, so a hung
 * or broken droverd cannot hang droverctl. Requests never go through a
 * proxy, never follow redirects and never raise signals.
 *
 * libcurl's global state is set up and torn down around each request with
 * CURL_GLOBAL_NOTHING: a local unix socket needs none of its optional
 * subsystems. (libcurl still initialises its TLS backend there, as it does
 * for any flags; where it can, the build links libcurl statically to keep
 * start-up short, see CMakeLists.txt.)
 *
 * client_stream is the same GET for answers that stay open (logs -f): the
 * body goes to the caller piece by piece as it arrives, connecting and
 * the answer's headers are bounded by CLIENT_TIMEOUT_MS but the body is
 * not, and a flag (set by a signal handler) ends it between two pieces.
 *
 * Failures are returned, not printed: CLIENT_UNREACHABLE when droverd
 * could not be connected to or did not answer in time, -EIO otherwise;
 * *cause then says why (malloc'd).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include <curl/curl.h>

#include "droverctl.h"
#include "util.h"

#ifndef CLIENT_TIMEOUT_MS
#define CLIENT_TIMEOUT_MS	30000
#endif
#define CLIENT_MAX_BODY		(256 * 1024 * 1024)
#define CLIENT_URL_PREFIX	"http://drover"

/* The answer's body as it arrives. */
struct sink {
	char	*buf;		/* NUL-terminated */
	size_t	 len;
	size_t	 cap;
	bool	 too_big;
};

static size_t
client_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;

	n *= size;
	if (n > CLIENT_MAX_BODY - s->len) {
		s->too_big = true;
		return 0;	/* CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		while (s->len + n + 1 > s->cap)
			s->cap *= 2;
		s->buf = xrealloc(s->buf, s->cap);
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* The request's headers; NULL if libcurl is out of memory. */
static struct curl_slist *
client_headers(const char *method, size_t len)
{
	struct curl_slist	*h = NULL, *next;
	const char		*lines[] = {
		"Accept: application/json",
		/* no 100-continue round trip before a large body */
		"Expect:",
		/* a body is JSON; with none, no libcurl default type */
		len > 0 ? "Content-Type: application/json" : "Content-Type:",
	};
	size_t			 i, n = sizeof(lines) / sizeof(lines[0]);

	if (strcmp(method, "GET") == 0)
		n--;
	for (i = 0; i < n; i++) {
		if ((next = curl_slist_append(h, lines[i])) == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = next;
	}
	return h;
}

/*
 * Set up `curl` for the request; a CURLcode. A body is sent with any
 * method but GET; POST and PUT always carry a Content-Length.
 */
static CURLcode
client_setup(CURL *curl, const char *socket_path, const char *method,
    const char *url, const char *body, size_t len, struct sink *sink,
    struct curl_slist *headers, char *errbuf)
{
	CURLcode	e = CURLE_OK;

#define SET(opt, val) do {						\
	if (e == CURLE_OK)						\
		e = curl_easy_setopt(curl, opt, val);			\
} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_UNIX_SOCKET_PATH, socket_path);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http");
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "droverctl/" DROVER_VERSION);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, client_write_cb);
	SET(CURLOPT_WRITEDATA, sink);
	if (strcmp(method, "GET") != 0) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		SET(CURLOPT_POSTFIELDS, len > 0 ? body : "");
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	return e;
}

/* Did connecting fail on a full listen backlog (and not for good)? */
static bool
client_backlog_full(CURL *curl, CURLcode e)
{
	long	oserr = 0;

	if (e != CURLE_COULDNT_CONNECT)
		return false;
	curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &oserr);
	return oserr == 0 || oserr == EAGAIN;
}

/*
 * Run the transfer within CLIENT_TIMEOUT_MS. A full listen backlog is
 * droverd being busy, not gone: connect again until the deadline.
 */
static CURLcode
client_perform(CURL *curl)
{
	struct timespec	pause = { 0, 2 * 1000 * 1000 };
	uint64_t	deadline = now_ms() + CLIENT_TIMEOUT_MS, now;
	CURLcode	e;

	for (;;) {
		now = now_ms();
		if (now >= deadline)
			return CURLE_OPERATION_TIMEDOUT;
		e = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
		    (long)(deadline - now));
		if (e == CURLE_OK)
			e = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
			    (long)(deadline - now));
		if (e == CURLE_OK)
			e = curl_easy_perform(curl);
		if (!client_backlog_full(curl, e))
			return e;
		nanosleep(&pause, NULL);
	}
}

/* Turn a failed transfer into CLIENT_UNREACHABLE or -EIO, and a cause. */
static int
client_failure(CURL *curl, CURLcode e, const struct sink *sink,
    const char *errbuf, char **cause)
{
	long	oserr = 0;

	curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &oserr);
	switch (e) {
	case CURLE_COULDNT_CONNECT:
		*cause = xstrdup(oserr != 0 ? strerror((int)oserr) :
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(e));
		return CLIENT_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT:
		xasprintf(cause, "no answer within %g s",
		    CLIENT_TIMEOUT_MS / 1000.0);
		return CLIENT_UNREACHABLE;
	case CURLE_WRITE_ERROR:
		if (sink->too_big) {
			xasprintf(cause, "answer larger than %d MiB",
			    CLIENT_MAX_BODY / (1024 * 1024));
			return -EIO;
		}
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		*cause = xstrdup("connection closed before the answer was "
		    "complete");
		return -EIO;
	default:
		break;
	}
	*cause = xstrdup(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(e));
	return -EIO;
}

/* The transfer itself, once libcurl is initialised. */
static int
client_transfer(CURL *curl, const char *socket_path, const char *method,
    const char *target, const char *body, size_t len,
    struct client_reply *out, char **cause)
{
	struct sink		 sink = { .cap = 16384 };
	struct curl_slist	*headers;
	char			 errbuf[CURL_ERROR_SIZE] = "", *url;
	long			 status = 0;
	CURLcode		 e;
	int			 r = 0;

	if ((headers = client_headers(method, len)) == NULL) {
		*cause = xstrdup(strerror(ENOMEM));
		return -EIO;
	}
	xasprintf(&url, CLIENT_URL_PREFIX "%s", target);
	sink.buf = xmalloc(sink.cap);
	sink.buf[0] = '\0';
	e = client_setup(curl, socket_path, method, url, body, len, &sink,
	    headers, errbuf);
	if (e == CURLE_OK)
		e = client_perform(curl);
	if (e == CURLE_OK)
		e = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (e != CURLE_OK) {
		r = client_failure(curl, e, &sink, errbuf, cause);
		free(sink.buf);
	} else {
		out->status = (int)status;
		out->body = sink.buf;
		out->len = sink.len;
	}
	curl_slist_free_all(headers);
	free(url);
	return r;
}

int
client_request(const char *socket_path, const char *method,
    const char *target, const char *body, size_t len,
    struct client_reply *out, char **cause)
{
	struct sockaddr_un	 sun;
	CURL			*curl;
	int			 r;

	*cause = NULL;
	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		*cause = xstrdup("socket path too long");
		return CLIENT_UNREACHABLE;
	}
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
		*cause = xstrdup("cannot initialise libcurl");
		return -EIO;
	}
	if ((curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		r = -EIO;
	} else {
		r = client_transfer(curl, socket_path, method, target, body,
		    len, out, cause);
		curl_easy_cleanup(curl);
	}
	curl_global_cleanup();
	return r;
}

void
client_reply_free(struct client_reply *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* A streamed answer: a 2xx body goes to the sink, any other is kept. */
struct stream {
	CURL			*curl;
	client_sink		*fn;
	void			*arg;
	volatile sig_atomic_t	*stop;
	struct sink		 other;
	long			 status;
	uint64_t		 deadline;	/* for the headers */
	bool			 no_headers;	/* none by the deadline */
};

static size_t
client_stream_cb(char *data, size_t size, size_t n, void *arg)
{
	struct stream	*s = arg;

	n *= size;
	if (s->status == 0)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status < 200 || s->status > 299)
		return client_write_cb(data, 1, n, &s->other);
	if (*s->stop || s->fn(data, n, s->arg) != 0)
		return 0;	/* CURLE_WRITE_ERROR */
	return n;
}

/* Called at least once a second and after a signal: may we go on? */
static int
client_stream_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct stream	*s = arg;
	long		 status = 0;

	if (*s->stop)
		return 1;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 0 && now_ms() >= s->deadline) {
		s->no_headers = true;
		return 1;
	}
	return 0;
}

static CURLcode
client_stream_setup(struct stream *s, const char *socket_path,
    const char *url, struct curl_slist *headers, char *errbuf)
{
	CURLcode	e;

	e = client_setup(s->curl, socket_path, "GET", url, NULL, 0,
	    &s->other, headers, errbuf);
#define SET(opt, val) do {						\
	if (e == CURLE_OK)						\
		e = curl_easy_setopt(s->curl, opt, val);		\
} while (0)
	SET(CURLOPT_WRITEFUNCTION, client_stream_cb);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, client_stream_progress_cb);
	SET(CURLOPT_XFERINFODATA, s);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)CLIENT_TIMEOUT_MS);
#undef SET
	return e;
}

/* Connect (again while the listen backlog is full), then stream. */
static CURLcode
client_stream_perform(struct stream *s)
{
	struct timespec	pause = { 0, 2 * 1000 * 1000 };
	CURLcode	e;

	for (;;) {
		e = curl_easy_perform(s->curl);
		if (!client_backlog_full(s->curl, e) || *s->stop)
			return e;
		if (now_ms() >= s->deadline)
			return CURLE_OPERATION_TIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

static int
client_stream_transfer(struct stream *s, const char *socket_path,
    const char *target, struct client_reply *out, char **cause)
{
	struct curl_slist	*headers;
	char			 errbuf[CURL_ERROR_SIZE] = "", *url;
	CURLcode		 e;
	int			 r = 0;

	if ((headers = client_headers("GET", 0)) == NULL) {
		*cause = xstrdup(strerror(ENOMEM));
		return -EIO;
	}
	xasprintf(&url, CLIENT_URL_PREFIX "%s", target);
	e = client_stream_setup(s, socket_path, url, headers, errbuf);
	if (e == CURLE_OK)
		e = client_stream_perform(s);
	if (s->no_headers)
		e = CURLE_OPERATION_TIMEDOUT;
	else if (*s->stop && (e == CURLE_WRITE_ERROR ||
	    e == CURLE_ABORTED_BY_CALLBACK))
		e = CURLE_OK;		/* ended by the caller */
	if (e == CURLE_OK && s->status == 0)
		e = curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE,
		    &s->status);
	if (e != CURLE_OK)
		r = client_failure(s->curl, e, &s->other, errbuf, cause);
	else {
		out->status = (int)s->status;
		out->body = s->other.buf;
		out->len = s->other.len;
		s->other.buf = NULL;
	}
	free(s->other.buf);
	curl_slist_free_all(headers);
	free(url);
	return r;
}

int
client_stream(const char *socket_path, const char *target, client_sink *fn,
    void *arg, volatile sig_atomic_t *stop, struct client_reply *out,
    char **cause)
{
	struct sockaddr_un	 sun;
	struct stream		 s = { .fn = fn, .arg = arg, .stop = stop };
	int			 r;

	*cause = NULL;
	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		*cause = xstrdup("socket path too long");
		return CLIENT_UNREACHABLE;
	}
	if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
		*cause = xstrdup("cannot initialise libcurl");
		return -EIO;
	}
	if ((s.curl = curl_easy_init()) == NULL) {
		*cause = xstrdup("cannot initialise libcurl");
		r = -EIO;
	} else {
		s.other.cap = 4096;
		s.other.buf = xmalloc(s.other.cap);
		s.other.buf[0] = '\0';
		s.deadline = now_ms() + CLIENT_TIMEOUT_MS;
		r = client_stream_transfer(&s, socket_path, target, out,
		    cause);
		curl_easy_cleanup(s.curl);
	}
	curl_global_cleanup();
	return r;
}
