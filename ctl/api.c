/*
 * api.c — droverd's API (docs/API.md) as droverctl's verbs use it: paths
 * under /api/v1, JSON bodies, and API errors turned into stderr lines and
 * exit codes.
 *
 * An error answer is {"error": {"code", "message", "details": [...]}}:
 * droverctl prints the message, then every detail on its own line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

static void
print_details(const json_t *details)
{
	const json_t	*d;
	size_t		 i;
	char		*s;

	json_array_foreach(details, i, d) {
		if (json_is_string(d))
			fprintf(stderr, "%s\n", json_string_value(d));
		else if ((s = json_dumps(d, JSON_COMPACT)) != NULL) {
			fprintf(stderr, "%s\n", s);
			free(s);
		}
	}
}

/* An answer outside 2xx, on stderr. */
static void
print_error(const char *subject, const struct client_reply *r)
{
	json_t		*root, *err;
	const char	*msg = NULL;

	root = json_loadb(r->body, r->len, 0, NULL);
	err = json_object_get(root, "error");
	if (json_is_object(err))
		msg = json_string_value(json_object_get(err, "message"));
	if (msg != NULL) {
		fprintf(stderr, "droverctl: %s%s%s\n", subject ? subject : "",
		    subject ? ": " : "", msg);
		print_details(json_object_get(err, "details"));
	} else
		fprintf(stderr, "droverctl: %s%sdroverd answered HTTP %d%s%.200s\n",
		    subject ? subject : "", subject ? ": " : "", r->status,
		    r->len ? ": " : "", r->body);
	json_decref(root);
}

/* A request's result as an exit code, after printing why it failed. */
static int
api_outcome(const char *subject, const char *socket_path, const char *method,
    const char *path, int e, char *cause, struct client_reply *r)
{
	if (e == CLIENT_UNREACHABLE) {
		fprintf(stderr, "droverctl: cannot reach droverd at %s: %s\n",
		    socket_path, cause);
		free(cause);
		return CTL_UNREACHABLE;
	}
	if (e != 0) {
		fprintf(stderr, "droverctl: %s %s: %s\n", method, path, cause);
		free(cause);
		return CTL_FAILED;
	}
	if (r->status < 200 || r->status > 299) {
		print_error(subject, r);
		client_reply_free(r);
		return CTL_FAILED;
	}
	return CTL_OK;
}

/*
 * `path` is below /api/v1. Returns CTL_OK with the answer in *r (caller
 * frees it), or the exit code after printing why, prefixed by `subject`
 * (e.g. the service's name) when given.
 */
int
api_call(const struct ctl *ctl, const char *subject, const char *method,
    const char *path, const json_t *body, struct client_reply *r)
{
	char	*target, *text = NULL, *cause;
	size_t	 len = 0;
	int	 e;

	xasprintf(&target, "/api/v1%s", path);
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		len = strlen(text);
	}
	e = client_request(ctl->socket_path, method, target, text, len, r,
	    &cause);
	free(target);
	free(text);
	return api_outcome(subject, ctl->socket_path, method, path, e, cause,
	    r);
}

/*
 * GET a resource that may not exist: CTL_OK with *out NULL on 404, with
 * the answer's JSON otherwise; the exit code after printing why.
 */
int
api_get_optional(const struct ctl *ctl, const char *subject,
    const char *path, json_t **out)
{
	struct client_reply	 r;
	char			*target, *cause;
	int			 e;

	*out = NULL;
	xasprintf(&target, "/api/v1%s", path);
	e = client_request(ctl->socket_path, "GET", target, NULL, 0, &r,
	    &cause);
	free(target);
	if (e == 0 && r.status == 404) {
		client_reply_free(&r);
		return CTL_OK;
	}
	if ((e = api_outcome(subject, ctl->socket_path, "GET", path, e, cause,
	    &r)) != CTL_OK)
		return e;
	*out = api_parse(&r);
	client_reply_free(&r);
	return *out != NULL ? CTL_OK : CTL_FAILED;
}

static volatile sig_atomic_t	api_stop;

static void
api_stop_signal(int sig)
{
	api_stop = 1;
}

volatile sig_atomic_t *
api_stop_on_signals(void)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction	 sa;
	size_t			 i;

	/* No SA_RESTART: a signal wakes the client up to see the flag. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = api_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < nitems(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	return &api_stop;
}

/*
 * A GET below /api/v1 whose answer goes to `sink` as it arrives, until it
 * ends or *stop is set. Returns the exit code, after printing why when
 * it failed.
 */
int
api_stream(const struct ctl *ctl, const char *subject, const char *path,
    client_sink *sink, void *arg, volatile sig_atomic_t *stop)
{
	struct client_reply	 r = { 0 };
	char			*target, *cause;
	int			 e;

	xasprintf(&target, "/api/v1%s", path);
	e = client_stream(ctl->socket_path, target, sink, arg, stop, &r,
	    &cause);
	free(target);
	e = api_outcome(subject, ctl->socket_path, "GET", path, e, cause, &r);
	if (e == CTL_OK)
		client_reply_free(&r);
	return e;
}

/* The answer's JSON object, or NULL after saying it is not one. */
json_t *
api_parse(const struct client_reply *r)
{
	json_error_t	 jerr;
	json_t		*j;

	j = json_loadb(r->body, r->len, 0, &jerr);
	if (j == NULL || !json_is_object(j)) {
		fprintf(stderr, "droverctl: droverd's answer is not a JSON "
		    "object: %s\n", j == NULL ? jerr.text : "another type");
		json_decref(j);
		return NULL;
	}
	return j;
}

/* "/services/NAME[/ACTION]", NAME percent-encoded; malloc'd. */
char *
api_service_path(const char *name, const char *action)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*enc = xmalloc(strlen(name) * 3 + 1), *p = enc;
	char			*s;
	unsigned char		 ch;

	for (; *name != '\0'; name++) {
		ch = (unsigned char)*name;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL) {
			*p++ = (char)ch;
			continue;
		}
		*p++ = '%';
		*p++ = hex[ch >> 4];
		*p++ = hex[ch & 15];
	}
	*p = '\0';
	xasprintf(&s, "/services/%s%s%s", enc, action ? "/" : "",
	    action ? action : "");
	free(enc);
	return s;
}

/*
 * An action whose answer is {"service"?, "result"}: print it as
 * "SERVICE: RESULT", or as received with -o json. Returns the exit code.
 */
int
api_fetch(const struct ctl *ctl, const char *subject, const char *method,
    const char *path, const json_t *body, bool raw, json_t **answer)
{
	struct client_reply	 r;
	int			 e;

	*answer = NULL;
	if ((e = api_call(ctl, subject, method, path, body, &r)) != CTL_OK)
		return e;
	if (raw) {
		output_raw_json(r.body, r.len);
		client_reply_free(&r);
		return CTL_OK;
	}
	*answer = api_parse(&r);
	client_reply_free(&r);
	return *answer != NULL ? CTL_OK : CTL_FAILED;
}

int
api_action(const struct ctl *ctl, const char *subject, const char *method,
    const char *path, const json_t *body)
{
	json_t	*answer;
	int	 e;

	e = api_fetch(ctl, subject, method, path, body,
	    ctl->output == OUTPUT_JSON, &answer);
	if (e == CTL_OK && answer != NULL) {
		output_result(answer);
		json_decref(answer);
	}
	return e;
}
