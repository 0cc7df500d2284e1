/*
 * api.c — the HTTP API (docs/API.md) on the control socket and on TCP.
 *
 * One route table {method, pattern, handler, needs_write}; "{name}" in a
 * pattern matches one path segment. The control socket lets root, the
 * daemon's own user and members of the `drover` group change things and
 * every other local user read (SO_PEERCRED); TCP lets anyone read and
 * needs the bearer token of --token-file to change anything. Bodies are
 * bounded (1 MiB) and so are headers (64 KiB); every error is a JSON
 * {"error": {...}} and never stops the daemon.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "droverd.h"
#include "log.h"
#include "util.h"

#define API_MAX_BODY		(1024 * 1024)
#define API_MAX_HEADERS		(64 * 1024)
#define API_TIMEOUT_SECS	60
#define API_MAX_SEGMENTS	8

enum api_listener { API_UNIX, API_TCP };

struct api_req {
	struct evhttp_request	*req;
	enum api_listener	 via;
	const char		*name;		/* the {name} segment, if any */
};

typedef void	api_handler(struct api_req *);

struct api_route {
	enum evhttp_cmd_type	 method;
	const char		*pattern;
	api_handler		*handler;
	bool			 needs_write;
};

static struct {
	struct evhttp	*unix_http;
	struct evhttp	*tcp_http;
	char		*sock_path;
	char		*token;
	gid_t		 drover_gid;
	bool		 have_drover_gid;
	bool		 bound;		/* we own sock_path: unlink it at exit */
} api;

static enum api_listener	api_via_unix = API_UNIX, api_via_tcp = API_TCP;

static void
api_reply(struct api_req *r, int code, json_t *body)
{
	struct evbuffer	*out = evhttp_request_get_output_buffer(r->req);
	char		*text;

	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Type", "application/json");
	text = json_dumps(body, JSON_COMPACT);
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	free(text);
	json_decref(body);
	evhttp_send_reply(r->req, code, NULL, NULL);
}

static void
api_error(struct api_req *r, int code, const char *ecode, json_t *details,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
api_error(struct api_req *r, int code, const char *ecode, json_t *details,
    const char *fmt, ...)
{
	json_t	*err;
	char	*msg;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	err = json_pack("{s:s, s:s}", "code", ecode, "message", msg);
	if (details != NULL)
		json_object_set_new(err, "details", details);
	free(msg);
	api_reply(r, code, json_pack("{s:o}", "error", err));
}

static struct service *
api_service(struct api_req *r)
{
	struct service	*s = service_find(r->name);

	if (s == NULL)
		api_error(r, 404, "not_found", NULL, "no service named %s",
		    r->name);
	return s;
}

static void
api_healthz(struct api_req *r)
{
	api_reply(r, 200, json_pack("{s:s, s:s}", "status", "ok", "agent",
	    agent_connected() ? "connected" : "disconnected"));
}

/* The list is the cached texts of the services, joined. */
static void
api_services_list(struct api_req *r)
{
	struct evbuffer	*out = evhttp_request_get_output_buffer(r->req);
	const char	*text;
	size_t		 i;

	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Content-Type", "application/json");
	evbuffer_add(out, "{\"services\":[", 13);
	for (i = 0; i < D->nservices; i++) {
		if (i > 0)
			evbuffer_add(out, ",", 1);
		text = service_list_json(D->services[i]);
		evbuffer_add(out, text, strlen(text));
	}
	evbuffer_add(out, "]}\n", 3);
	evhttp_send_reply(r->req, 200, NULL, NULL);
}

static void
api_service_get(struct api_req *r)
{
	struct service	*s;

	if ((s = api_service(r)) != NULL)
		api_reply(r, 200, service_to_json(s, true));
}

static char *
api_body(struct api_req *r, size_t *len)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(r->req);
	char		*buf;

	*len = evbuffer_get_length(in);
	buf = xmalloc(*len + 1);
	evbuffer_remove(in, buf, *len);
	buf[*len] = '\0';
	return buf;
}

static bool
api_is_yaml(struct api_req *r)
{
	const char	*ct;

	ct = evhttp_find_header(evhttp_request_get_input_headers(r->req),
	    "Content-Type");
	return ct != NULL && (strncmp(ct, "application/yaml", 16) == 0 ||
	    strncmp(ct, "application/x-yaml", 18) == 0 ||
	    strncmp(ct, "text/yaml", 9) == 0);
}

static json_t *
api_diags_json(const struct diags *d)
{
	json_t	*list = json_array();
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		char *s = diag_format(&d->v[i]);
		json_array_append_new(list, json_string(s));
		free(s);
	}
	return list;
}

static void
api_service_put(struct api_req *r)
{
	struct manifest	*m = NULL;
	struct diags	 d = { 0 };
	struct service	*s;
	json_error_t	 err;
	json_t		*j, *jn;
	const char	*result;
	char		*body, rev[MANIFEST_REVISION_LEN + 1];
	size_t		 len;
	int		 rc;

	if (!manifest_name_valid(r->name)) {
		api_error(r, 400, "bad_request", NULL,
		    "invalid service name (expected [a-z0-9][a-z0-9-]{0,62})");
		return;
	}
	body = api_body(r, &len);
	if (api_is_yaml(r)) {
		m = manifest_parse_yaml(body, len, "<request>", r->name, &d);
	} else if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		api_error(r, 400, "bad_request", NULL,
		    "body is not valid JSON (line %d, column %d: %s)",
		    err.line, err.column, err.text);
		free(body);
		return;
	} else {
		jn = json_object_get(j, "name");
		if (json_is_string(jn) &&
		    strcmp(json_string_value(jn), r->name) != 0) {
			api_error(r, 409, "conflict", NULL,
			    "manifest names %s but the URL names %s",
			    json_string_value(jn), r->name);
			json_decref(j);
			free(body);
			return;
		}
		m = manifest_from_json(j, "<request>", r->name, &d);
		json_decref(j);
	}
	free(body);
	if (m == NULL) {
		api_error(r, 400, "invalid_manifest", api_diags_json(&d),
		    "invalid manifest (%zu problem%s)", d.n,
		    d.n == 1 ? "" : "s");
		diags_clear(&d);
		return;
	}
	if (strcmp(m->name, r->name) != 0) {
		api_error(r, 409, "conflict", NULL,
		    "manifest names %s but the URL names %s", m->name,
		    r->name);
		manifest_free(m);
		return;
	}
	if ((rc = service_apply(m, "api", &result)) < 0) {
		api_error(r, 500, "internal", NULL,
		    "cannot persist the service: %s", strerror(-rc));
		return;
	}
	s = service_find(r->name);
	memcpy(rev, s->revision, sizeof(rev));
	api_reply(r, strcmp(result, "created") == 0 ? 201 : 200,
	    json_pack("{s:s, s:s, s:s}", "service", r->name, "revision", rev,
	    "result", result));
}

static void
api_result(struct api_req *r, int rc, const char *result)
{
	if (rc < 0)
		api_error(r, 500, "internal", NULL,
		    "cannot persist the change: %s", strerror(-rc));
	else
		api_reply(r, 200, json_pack("{s:s, s:s}", "service", r->name,
		    "result", result));
}

static void
api_service_delete(struct api_req *r)
{
	struct service	*s;

	if ((s = api_service(r)) != NULL)
		api_result(r, service_delete(s), "deleted");
}

static void
api_service_start(struct api_req *r)
{
	struct service	*s;

	if ((s = api_service(r)) != NULL)
		api_result(r, service_set_enabled(s, true), "started");
}

static void
api_service_stop(struct api_req *r)
{
	struct service	*s;

	if ((s = api_service(r)) != NULL)
		api_result(r, service_set_enabled(s, false), "stopped");
}

static void
api_service_restart(struct api_req *r)
{
	struct service	*s;

	if ((s = api_service(r)) != NULL)
		api_result(r, service_restart(s), "restarted");
}

static void
api_service_logs(struct api_req *r)
{
	struct service	*s;
	char		*cause;
	int		 rc;

	if ((s = api_service(r)) == NULL)
		return;
	if ((rc = logs_serve(r->req, s, &cause)) == 0)
		return;
	if (rc == -EINVAL)
		api_error(r, 400, "bad_request", NULL, "%s", cause);
	else if (rc == -ENOENT)
		api_error(r, 404, "not_found", NULL, "%s", cause);
	else
		api_error(r, 500, "internal", NULL, "%s", cause);
	free(cause);
}

static void
api_service_revisions(struct api_req *r)
{
	struct service	*s;

	if ((s = api_service(r)) != NULL)
		api_reply(r, 200, service_revisions_json(s));
}

/* Body {"revision": R} (a prefix of 4+ hex chars is enough), optional. */
static void
api_service_rollback(struct api_req *r)
{
	struct service	*s;
	const char	*rev = NULL, *result;
	json_t		*j = NULL;
	char		*body;
	size_t		 len;
	int		 rc;

	if ((s = api_service(r)) == NULL)
		return;
	body = api_body(r, &len);
	if (len > 0 && ((j = json_loadb(body, len, 0, NULL)) == NULL ||
	    json_unpack(j, "{s?s}", "revision", &rev) != 0)) {
		free(body);
		json_decref(j);
		api_error(r, 400, "bad_request", NULL,
		    "expected {\"revision\": \"R\"}");
		return;
	}
	free(body);
	rc = service_rollback(s, rev, &result);
	if (rc == -ENOENT)
		api_error(r, 404, "not_found", NULL, rev != NULL ?
		    "%s has no revision %s in its history" :
		    "%s has no earlier revision in its history%s", s->name,
		    rev != NULL ? rev : "");
	else if (rc < 0)
		api_error(r, 500, "internal", NULL, "cannot roll back: %s",
		    strerror(-rc));
	else {
		s = service_find(r->name);
		api_reply(r, 200, json_pack("{s:s, s:s, s:s}", "service",
		    s->name, "revision", s->revision, "result", result));
	}
	json_decref(j);
}

static void
api_service_rollout(struct api_req *r)
{
	struct service	*s;
	json_t		*j;

	if ((s = api_service(r)) == NULL)
		return;
	j = rollout_to_json(s);
	if (json_is_null(j)) {
		json_decref(j);
		api_error(r, 404, "not_found", NULL, "%s has had no rollout",
		    s->name);
		return;
	}
	json_object_set_new(j, "service", json_string(s->name));
	api_reply(r, 200, j);
}

/* POST .../rollout/promote|pause|resume: the last path segment says. */
static void
api_service_rollout_control(struct api_req *r)
{
	struct service	*s;
	const char	*uri, *action;
	char		*cause;
	int		 rc;

	if ((s = api_service(r)) == NULL)
		return;
	uri = evhttp_request_get_uri(r->req);
	action = strrchr(uri, '/') + 1;
	if ((rc = rollout_control(s, action, &cause)) == 0) {
		api_reply(r, 200, json_pack("{s:s, s:s, s:o}", "service",
		    s->name, "result", action, "rollout",
		    rollout_to_json(s)));
		return;
	}
	api_error(r, rc == -ENOENT || rc == -EBUSY ? 409 : 400,
	    rc == -ENOENT || rc == -EBUSY ? "conflict" : "bad_request", NULL,
	    "%s", cause);
	free(cause);
}

static void
api_instances(struct api_req *r)
{
	json_t	*list = json_array(), *svc, *inst;
	size_t	 i, k;

	for (i = 0; i < D->nservices; i++) {
		svc = service_to_json(D->services[i], false);
		json_array_foreach(json_object_get(svc, "instances"), k, inst) {
			json_object_set_new(inst, "service",
			    json_string(D->services[i]->name));
			json_array_append(list, inst);
		}
		json_decref(svc);
	}
	api_reply(r, 200, json_pack("{s:o}", "instances", list));
}

static void
api_agents(struct api_req *r)
{
	api_reply(r, 200, agent_to_json());
}

static void
api_events(struct api_req *r)
{
	char	*cause;
	int	 rc;

	if ((rc = events_serve(r->req, &cause)) == 0)
		return;
	if (rc == -EINVAL)
		api_error(r, 400, "bad_request", NULL, "%s", cause);
	else
		api_error(r, 503, "unavailable", NULL, "%s", cause);
	free(cause);
}

static void
api_metrics(struct api_req *r)
{
	metrics_serve(r->req);
}

static void
api_dashboard(struct api_req *r)
{
	dashboard_serve(r->req);
}

static void
api_shutdown_done_cb(struct evhttp_request *req, void *arg)
{
	if (arg != NULL)
		agent_shutdown(droverd_exit);
	else
		droverd_exit();
}

static void
api_shutdown(struct api_req *r)
{
	json_t	*j;
	char	*body;
	size_t	 len;
	int	 all = 0;

	body = api_body(r, &len);
	if (len > 0) {
		j = json_loadb(body, len, 0, NULL);
		if (j == NULL || json_unpack(j, "{s?b}", "all", &all) != 0) {
			json_decref(j);
			free(body);
			api_error(r, 400, "bad_request", NULL,
			    "expected {\"all\": true|false}");
			return;
		}
		json_decref(j);
	}
	free(body);
	log_info("shutdown requested%s", all ? " (with the agent and "
	    "every service)" : "");
	D->shutting_down = true;
	evhttp_request_set_on_complete_cb(r->req, api_shutdown_done_cb,
	    all ? (void *)1 : NULL);
	api_reply(r, 200, json_pack("{s:s, s:b}", "result", "shutting down",
	    "all", all));
}

static void
api_upgrade_done_cb(struct evhttp_request *req, void *arg)
{
	droverd_reexec();
}

/* {"what": "agent"|"droverd"}: replace a binary in place, no service
 * restarted. */
static void
api_upgrade(struct api_req *r)
{
	const char	*what = NULL;
	json_t		*j;
	char		*body;
	size_t		 len;

	body = api_body(r, &len);
	j = json_loadb(body, len, 0, NULL);
	free(body);
	if (j == NULL || json_unpack(j, "{s:s}", "what", &what) != 0 ||
	    (strcmp(what, "agent") != 0 && strcmp(what, "droverd") != 0)) {
		json_decref(j);
		api_error(r, 400, "bad_request", NULL,
		    "expected {\"what\": \"agent\"|\"droverd\"}");
		return;
	}
	if (strcmp(what, "agent") == 0) {
		json_decref(j);
		if (agent_upgrade() != 0) {
			api_error(r, 503, "agent_unavailable", NULL,
			    "no agent is linked");
			return;
		}
		api_reply(r, 202, json_pack("{s:s, s:s}", "result",
		    "upgrading", "what", "agent"));
		return;
	}
	json_decref(j);
	log_info("upgrade requested: droverd execs itself again");
	evhttp_request_set_on_complete_cb(r->req, api_upgrade_done_cb, NULL);
	api_reply(r, 202, json_pack("{s:s, s:s}", "result", "upgrading",
	    "what", "droverd"));
}

static const struct api_route api_routes[] = {
	{ EVHTTP_REQ_GET,    "/",                               api_dashboard, false },
	{ EVHTTP_REQ_GET,    "/healthz",                        api_healthz, false },
	{ EVHTTP_REQ_GET,    "/metrics",                        api_metrics, false },
	{ EVHTTP_REQ_GET,    "/api/v1/events",                  api_events, false },
	{ EVHTTP_REQ_GET,    "/api/v1/services",                api_services_list, false },
	{ EVHTTP_REQ_GET,    "/api/v1/services/{name}",         api_service_get, false },
	{ EVHTTP_REQ_PUT,    "/api/v1/services/{name}",         api_service_put, true },
	{ EVHTTP_REQ_DELETE, "/api/v1/services/{name}",         api_service_delete, true },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/start",   api_service_start, true },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/stop",    api_service_stop, true },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/restart", api_service_restart, true },
	{ EVHTTP_REQ_GET,    "/api/v1/services/{name}/logs",    api_service_logs, false },
	{ EVHTTP_REQ_GET,    "/api/v1/services/{name}/revisions", api_service_revisions, false },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/rollback", api_service_rollback, true },
	{ EVHTTP_REQ_GET,    "/api/v1/services/{name}/rollout", api_service_rollout, false },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/rollout/promote", api_service_rollout_control, true },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/rollout/pause", api_service_rollout_control, true },
	{ EVHTTP_REQ_POST,   "/api/v1/services/{name}/rollout/resume", api_service_rollout_control, true },
	{ EVHTTP_REQ_GET,    "/api/v1/instances",               api_instances, false },
	{ EVHTTP_REQ_GET,    "/api/v1/agents",                  api_agents, false },
	{ EVHTTP_REQ_POST,   "/api/v1/shutdown",                api_shutdown, true },
	{ EVHTTP_REQ_POST,   "/api/v1/upgrade",                 api_upgrade, true },
};

/* Match "/a/{name}/b" against a path; *name points into the path copy. */
static bool
api_match(const char *pattern, char *path, const char **name)
{
	const char	*p = pattern;
	char		*q = path, *seg;
	size_t		 len;

	*name = NULL;
	while (*p != '\0' && *q != '\0') {
		if (strncmp(p, "{name}", 6) == 0) {
			seg = q;
			len = strcspn(q, "/");
			if (len == 0)
				return false;
			q += len;
			p += 6;
			if (*q == '/' && *p == '/') {
				*q++ = '\0';
				p++;
			} else if (*q != '\0' || *p != '\0')
				return false;
			*name = seg;
			continue;
		}
		if (*p++ != *q++)
			return false;
	}
	return *p == '\0' && *q == '\0';
}

/* Supplementary groups are not in ucred: read the peer's Groups: line. */
static bool
api_pid_in_group(pid_t pid, gid_t gid)
{
	char	*path, *buf, *p, *end;
	bool	 found = false;
	long	 g;

	xasprintf(&path, "/proc/%ld/status", (long)pid);
	if (read_file(path, &buf, NULL) < 0) {
		free(path);
		return false;
	}
	free(path);
	if ((p = strstr(buf, "\nGroups:")) != NULL) {
		p += 8;
		while (*p != '\n' && *p != '\0') {
			g = strtol(p, &end, 10);
			if (end == p)
				break;
			if ((gid_t)g == gid)
				found = true;
			p = end;
		}
	}
	free(buf);
	return found;
}

/* Compare in time that does not depend on where they differ. */
static bool
api_token_equal(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), i;
	unsigned char	d = la != lb;

	for (i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0 && lb > 0;
}

static bool
api_may_write(struct api_req *r)
{
	struct evhttp_connection	*con;
	struct ucred			 cred;
	socklen_t			 len = sizeof(cred);
	const char			*auth;
	int				 fd;

	if (r->via == API_TCP) {
		auth = evhttp_find_header(
		    evhttp_request_get_input_headers(r->req), "Authorization");
		return api.token != NULL && auth != NULL &&
		    strncasecmp(auth, "Bearer ", 7) == 0 &&
		    api_token_equal(auth + 7, api.token);
	}
	con = evhttp_request_get_connection(r->req);
	fd = bufferevent_getfd(evhttp_connection_get_bufferevent(con));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (api.have_drover_gid)
		return cred.gid == api.drover_gid ||
		    api_pid_in_group(cred.pid, api.drover_gid);
	return false;
}

static void
api_dispatch_cb(struct evhttp_request *req, void *arg)
{
	struct api_req			 r = { .req = req,
					    .via = *(enum api_listener *)arg };
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	enum evhttp_cmd_type		 method = evhttp_request_get_command(req);
	const struct api_route		*rt;
	char				*path;
	bool				 path_known = false;
	size_t				 i;

	path = xstrdup(uri && evhttp_uri_get_path(uri) ?
	    evhttp_uri_get_path(uri) : "/");
	for (i = 0; i < nitems(api_routes); i++) {
		char *copy = xstrdup(path);

		rt = &api_routes[i];
		if (!api_match(rt->pattern, copy, &r.name)) {
			free(copy);
			continue;
		}
		path_known = true;
		if (rt->method != method) {
			free(copy);
			continue;
		}
		if (rt->needs_write && !api_may_write(&r)) {
			if (r.via == API_TCP) {
				evhttp_add_header(
				    evhttp_request_get_output_headers(req),
				    "WWW-Authenticate", "Bearer realm=\"drover\"");
				api_error(&r, 401, "unauthorized", NULL, "%s",
				    api.token != NULL ? "this request needs "
				    "the bearer token of droverd's "
				    "--token-file" : "droverd has no "
				    "--token-file: over TCP nothing can be "
				    "changed");
			} else
				api_error(&r, 403, "forbidden", NULL,
				    "only root and the drover group may "
				    "change services");
		} else
			rt->handler(&r);
		free(copy);
		free(path);
		return;
	}
	if (path_known)
		api_error(&r, 405, "method_not_allowed", NULL,
		    "method not allowed on %s", path);
	else
		api_error(&r, 404, "not_found", NULL, "no such resource: %s",
		    path);
	free(path);
}

static struct evhttp *
api_http_new(enum api_listener *via)
{
	struct evhttp	*http = evhttp_new(D->base);

	evhttp_set_max_body_size(http, API_MAX_BODY);
	evhttp_set_max_headers_size(http, API_MAX_HEADERS);
	evhttp_set_timeout(http, API_TIMEOUT_SECS);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(http, api_dispatch_cb, via);
	return http;
}

/* Is a droverd already answering on this socket? */
static bool
api_socket_alive(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd, r;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return false;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return r == 0;
}

static int
api_listen_unix(void)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd;

	xasprintf(&api.sock_path, "%s/droverd.sock", D->run_dir);
	if (strlen(api.sock_path) >= sizeof(sun.sun_path)) {
		log_error("%s: path too long for a unix socket", api.sock_path);
		return -ENAMETOOLONG;
	}
	if (api_socket_alive(api.sock_path)) {
		log_error("another droverd is already serving %s",
		    api.sock_path);
		return -EADDRINUSE;
	}
	unlink(api.sock_path);
	api.bound = true;
	strcpy(sun.sun_path, api.sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(api.sock_path, 0666) == -1 || listen(fd, 128) == -1) {
		int e = errno;

		log_error("cannot listen on %s: %s", api.sock_path,
		    strerror(e));
		if (fd != -1)
			close(fd);
		return -e;
	}
	api.unix_http = api_http_new(&api_via_unix);
	if (evhttp_accept_socket_with_handle(api.unix_http, fd) == NULL) {
		close(fd);
		return -EIO;
	}
	return 0;
}

static int
api_listen_tcp(const char *addr)
{
	char		*host, *colon;
	long		 port;

	host = xstrdup(addr);
	colon = strrchr(host, ':');
	if (colon == NULL || (port = strtol(colon + 1, NULL, 10)) < 0 ||
	    port > 65535) {
		log_error("--listen %s: expected ADDR:PORT", addr);
		free(host);
		return -EINVAL;
	}
	*colon = '\0';
	if (host[0] == '[' && colon > host + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	api.tcp_http = api_http_new(&api_via_tcp);
	if (evhttp_bind_socket_with_handle(api.tcp_http, host,
	    (ev_uint16_t)port) == NULL) {
		log_error("cannot listen on %s: %s", addr, strerror(errno));
		free(host);
		return -EADDRINUSE;
	}
	log_info("serving the API on http://%s", addr);
	free(host);
	return 0;
}

int
api_set_token_file(const char *path)
{
	char	*buf;
	size_t	 len;
	int	 r;

	if ((r = read_file(path, &buf, &len)) < 0)
		return r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' '))
		buf[--len] = '\0';
	free(api.token);
	api.token = buf;
	return len > 0 ? 0 : -EINVAL;
}

int
api_init(void)
{
	struct group	*gr;
	int		 r;

	if ((gr = getgrnam("drover")) != NULL) {
		api.drover_gid = gr->gr_gid;
		api.have_drover_gid = true;
	}
	if ((r = api_listen_unix()) < 0)
		return r;
	if (D->listen != NULL && (r = api_listen_tcp(D->listen)) < 0)
		return r;
	return 0;
}

void
api_free(void)
{
	logs_free_all();	/* before evhttp frees its connections */
	events_free_all();
	if (api.unix_http != NULL)
		evhttp_free(api.unix_http);
	if (api.tcp_http != NULL)
		evhttp_free(api.tcp_http);
	if (api.bound)
		unlink(api.sock_path);
	free(api.sock_path);
	free(api.token);
	memset(&api, 0, sizeof(api));
}
