/*
 * server.c — the agent link, agent side: the listener on
 * <run dir>/agent.sock and the connections from droverd.
 *
 * Framing and envelope are lib/link.c's; this file reads lines, hands
 * "assign" to assign.c and "shutdown" and "upgrade" to main.c, and writes
 * hello, inventory, instance and removed messages. A malformed message,
 * a line over LINK_LINE_MAX or a peer that stops reading drops that connection,
 * never the agent. At most SERVER_PEERS_MAX connections are kept: a new
 * one replaces the oldest (a restarted droverd reconnects before the
 * old connection is noticed as dead).
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "agent.h"
#include "link.h"
#include "log.h"
#include "util.h"

#define SERVER_PEERS_MAX	4
/*
 * Decoding a large assignment leaves megabytes of freed heap behind;
 * after such a message it is returned to the system (the steady state
 * of the agent is a few kB per instance).
 */
#define SERVER_TRIM_MIN		(256u * 1024)
/* Large assignments arrive in few reads. */
#define SERVER_READ_MAX		(256 * 1024)
/* A peer that lets this much output pile up is dropped; it resyncs. */
#define SERVER_OUTPUT_MAX	(64u * 1024 * 1024)

struct peer {
	struct bufferevent	*bev;
	struct peer		*next;
	size_t			 scanned;	/* input searched, no '\n' */
	unsigned		 id;
	bool			 dead;	/* dropped while in use; freed soon */
};

static struct evconnlistener	*server_listener;
static char			*server_path;
static struct peer		*server_peers;	/* oldest first */
static unsigned			 server_npeers;
static unsigned			 server_next_id = 1;

static void
peer_free(struct peer *p)
{
	struct peer	**pp;

	for (pp = &server_peers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			server_npeers--;
			break;
		}
	}
	bufferevent_free(p->bev);
	free(p);
}

static void
peer_drop(struct peer *p, const char *why)
{
	log_warn("droverd connection %u dropped: %s", p->id, why);
	peer_free(p);
}

static void
server_reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer	*p, *next;

	for (p = server_peers; p != NULL; p = next) {
		next = p->next;
		if (p->dead)
			peer_free(p);
	}
}

/* Drop a peer that may be in use further up the stack. */
static void
peer_drop_later(struct peer *p, const char *why)
{
	const struct timeval	now = { 0, 0 };

	if (p->dead)
		return;
	log_warn("droverd connection %u dropped: %s", p->id, why);
	p->dead = true;
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	event_base_once(agent.base, -1, EV_TIMEOUT, server_reap_cb, NULL,
	    &now);
}

static void
peer_send(struct peer *p, const json_t *msg)
{
	char	*line;
	size_t	 len;

	line = link_encode(msg, &len);
	bufferevent_write(p->bev, line, len);
	free(line);
}

static void
peer_hello(struct peer *p)
{
	json_t	*msg;

	msg = link_msg_new("hello");
	json_object_set_new(msg, "pid", json_integer(getpid()));
	json_object_set_new(msg, "version", json_string(DROVER_VERSION));
	json_object_update_new(msg, cgroup_caps());
	peer_send(p, msg);
	json_decref(msg);
	msg = link_msg_new("inventory");
	json_object_set_new(msg, "instances", assign_inventory());
	peer_send(p, msg);
	json_decref(msg);
}

/* Returns -1 when the peer must be dropped (*cause set). */
static int
peer_dispatch(struct peer *p, const char *line, size_t len, char **cause)
{
	const char	*type;
	json_t		*msg;
	int		 r = 0;

	if ((msg = link_decode(line, len, cause)) == NULL)
		return -1;
	type = link_type(msg);
	if (strcmp(type, "assign") == 0)
		r = assign_apply(msg, line, len, cause) == 0 ? 0 : -1;
	else if (strcmp(type, "shutdown") == 0)
		agent_shutdown("droverd asked");
	else if (strcmp(type, "upgrade") == 0)
		agent_upgrade("droverd asked");
	else
		log_debug("droverd connection %u: ignoring a %s message",
		    p->id, type);
	json_decref(msg);
	return r;
}

/*
 * True when a whole line is buffered. The part already searched is
 * remembered, so a message arriving in many reads is scanned once.
 */
static bool
peer_has_line(struct peer *p, struct evbuffer *in)
{
	struct evbuffer_ptr	ptr;
	size_t			len = evbuffer_get_length(in), eol;

	if (p->scanned >= len)
		return false;
	evbuffer_ptr_set(in, &ptr, p->scanned, EVBUFFER_PTR_SET);
	ptr = evbuffer_search_eol(in, &ptr, &eol, EVBUFFER_EOL_LF);
	if (ptr.pos == -1) {
		p->scanned = len;
		return false;
	}
	p->scanned = 0;
	return true;
}

static void
peer_read_cb(struct bufferevent *bev, void *arg)
{
	struct peer	*p = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		*line, *cause = NULL;
	size_t		 len;
	int		 r;

	while (peer_has_line(p, in) &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		r = len > LINK_LINE_MAX ? -1 : 0;
		if (r == -1)
			xasprintf(&cause, "message over %u bytes",
			    LINK_LINE_MAX);
		else
			r = peer_dispatch(p, line, len, &cause);
		free(line);
		if (len >= SERVER_TRIM_MIN)
			malloc_trim(0);
		if (r == -1) {
			peer_drop(p, cause);
			free(cause);
			return;
		}
		if (p->dead)
			return;
	}
	if (evbuffer_get_length(in) > LINK_LINE_MAX)
		peer_drop(p, "message over the size limit");
}

static void
peer_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct peer	*p = arg;

	if (what & BEV_EVENT_EOF) {
		log_info("droverd connection %u closed", p->id);
		peer_free(p);
	} else if (what & BEV_EVENT_ERROR)
		peer_drop(p, strerror(EVUTIL_SOCKET_ERROR()));
}

static void
server_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct peer	*p, **pp;

	if (agent.shutting_down) {
		close(fd);
		return;
	}
	if (server_npeers == SERVER_PEERS_MAX)
		peer_drop(server_peers, "replaced by a newer connection");
	p = xcalloc(1, sizeof(*p));
	p->id = server_next_id++;
	p->bev = bufferevent_socket_new(agent.base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (p->bev == NULL) {
		log_error("cannot set up a droverd connection");
		close(fd);
		free(p);
		return;
	}
	bufferevent_setcb(p->bev, peer_read_cb, NULL, peer_event_cb, p);
	bufferevent_set_max_single_read(p->bev, SERVER_READ_MAX);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	for (pp = &server_peers; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = p;
	server_npeers++;
	log_info("droverd connection %u accepted", p->id);
	peer_hello(p);
}

static int
server_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

/* 1 when an agent answers on `path`, 0 when none does, or -errno. */
int
server_probe(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, r;

	if ((r = server_addr(path, &sun)) != 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	r = r == 0 ? 1 : (errno == ECONNREFUSED || errno == ENOENT) ? 0 :
	    -errno;
	close(fd);
	return r;
}

int
server_listen(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd, r;

	if ((r = server_addr(path, &sun)) != 0) {
		xasprintf(cause, "%s: %s", path, strerror(-r));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("cannot remove stale %s: %s", path, strerror(errno));
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1 || chmod(path, 0600) == -1 || listen(fd, 16) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	server_listener = evconnlistener_new(agent.base, server_accept_cb,
	    NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (server_listener == NULL) {
		xasprintf(cause, "%s: cannot listen", path);
		close(fd);
		unlink(path);
		return -1;
	}
	server_path = xstrdup(path);
	return 0;
}

void
server_close_listener(void)
{
	if (server_listener == NULL)
		return;
	evconnlistener_free(server_listener);
	server_listener = NULL;
	unlink(server_path);
	free(server_path);
	server_path = NULL;
}

bool
server_has_peers(void)
{
	return server_npeers > 0;
}

void
server_broadcast(json_t *msg)
{
	struct peer	*p;
	char		*line;
	size_t		 len;

	line = link_encode(msg, &len);
	json_decref(msg);
	for (p = server_peers; p != NULL; p = p->next) {
		if (p->dead)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(p->bev)) >
		    SERVER_OUTPUT_MAX)
			peer_drop_later(p, "not reading");
		else
			bufferevent_write(p->bev, line, len);
	}
	free(line);
}

void
server_free(void)
{
	server_close_listener();
	while (server_peers != NULL)
		peer_free(server_peers);
}
