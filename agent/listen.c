/*
 * listen.c — the sockets of a service's `listen:` list, bound once by the
 * agent and handed to every instance (spawn.c puts them at fds 3...,
 * supervise.c sets LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID, as
 * sd_listen_fds(3) expects).
 *
 * A service owns its bound sockets (svc->listen), one per address: they
 * stay open across restarts of its instances and across revisions that
 * keep the address (a renamed entry keeps its socket), so that a client
 * never finds the port closed: while no process accepts, connections
 * wait in the backlog. A socket is closed when neither the service's
 * revision nor any revision its instances run lists its address any more
 * (listen_prune), or when the service is deleted (listen_free_all).
 *
 * All binding is in listen_open and all closing in listen_close: the one
 * place each. The keeper holds each bound socket (hold_put, keyed
 * "listen/<service>/<address>"), so that a new worker takes it back
 * (hold_take) instead of binding again, and connections wait in the
 * backlog while no worker runs.
 *
 * A socket is bound with SO_REUSEADDR, listens with a backlog of
 * SOMAXCONN and is close-on-exec in the agent; it is left blocking (as
 * systemd passes them). For unix:/PATH, the parent directory is made and
 * a stale socket file is unlinked first (any other file is left, and the
 * bind fails); the file is unlinked when the socket is closed. A host
 * name is resolved with getaddrinfo, which may block: use addresses.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define LISTEN_BACKLOG	SOMAXCONN

struct listen_sock {
	char			*address;
	int			 fd;
	struct listen_sock	*next;
};

/* "unix:/path": bind a unix stream socket there. */
static int
listen_bind_unix(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			*dir, *slash;
	int			 fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		r = mkdir_p(dir, 0755);
	} else
		r = 0;
	free(dir);
	if (r != 0)
		return r;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* "HOST:PORT" or "[V6]:PORT": bind a TCP socket there. */
static int
listen_bind_inet(const char *address)
{
	struct addrinfo	 hints, *res = NULL;
	const char	*colon = strrchr(address, ':');
	char		*host;
	int		 fd = -1, on = 1, r;

	if (colon == NULL)
		return -EINVAL;
	if (address[0] == '[')
		host = xstrndup(address + 1, (size_t)(colon - address - 2));
	else
		host = xstrndup(address, (size_t)(colon - address));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(host, colon + 1, &hints, &res);
	free(host);
	if (r != 0)
		return r == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol);
	if (fd == -1)
		r = -errno;
	else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		r = -errno;
		close(fd);
	}
	freeaddrinfo(res);
	return r < 0 ? r : fd;
}

/*
 * The one place a listen socket is made: returns its fd, or a negative
 * errno with *cause ("listen http 127.0.0.1:8080: Address already in
 * use").
 */
static int
listen_open(const struct svc *svc, const struct listen_spec *l, char **cause)
{
	char	*key;
	int	 fd;

	/* bound by a former worker: the keeper kept it */
	xasprintf(&key, "listen/%s/%s", svc->name, l->address);
	if (hold_take(key, &fd, 1) == 1) {
		free(key);
		log_info("service %s: listening on %s (%s), kept across "
		    "workers", svc->name, l->address, l->name);
		return fd;
	}
	if (strncmp(l->address, "unix:", 5) == 0)
		fd = listen_bind_unix(l->address + 5);
	else
		fd = listen_bind_inet(l->address);
	if (fd < 0) {
		xasprintf(cause, "listen %s %s: %s", l->name, l->address,
		    strerror(-fd));
		free(key);
		return fd;
	}
	hold_put(key, &fd, 1);
	free(key);
	log_info("service %s: listening on %s (%s)", svc->name, l->address,
	    l->name);
	return fd;
}

/* The one place a listen socket is closed (and its file removed). */
static void
listen_close(const struct svc *svc, struct listen_sock *s)
{
	char	*key;

	close(s->fd);
	/* handing off: the keeper keeps it for the next worker */
	if (!agent.handing_off) {
		log_info("service %s: closed %s", svc->name, s->address);
		xasprintf(&key, "listen/%s/%s", svc->name, s->address);
		hold_drop(key);
		free(key);
		if (strncmp(s->address, "unix:", 5) == 0)
			unlink(s->address + 5);
	}
	free(s->address);
	free(s);
}

static struct listen_sock *
listen_find(const struct svc *svc, const char *address)
{
	struct listen_sock	*s;

	for (s = svc->listen; s != NULL; s = s->next) {
		if (strcmp(s->address, address) == 0)
			return s;
	}
	return NULL;
}

int
listen_get(struct svc *svc, const struct manifest *m, int *fds, char **cause)
{
	struct listen_sock	*s;
	size_t			 i;
	int			 fd;

	for (i = 0; i < m->nlisten; i++) {
		if ((s = listen_find(svc, m->listen[i].address)) == NULL) {
			if ((fd = listen_open(svc, &m->listen[i], cause)) < 0)
				return fd;
			s = xcalloc(1, sizeof(*s));
			s->address = xstrdup(m->listen[i].address);
			s->fd = fd;
			s->next = svc->listen;
			svc->listen = s;
		}
		fds[i] = s->fd;
	}
	return 0;
}

static bool
listen_in(const struct spec *spec, const char *address)
{
	size_t	i;

	for (i = 0; spec != NULL && i < spec->m->nlisten; i++) {
		if (strcmp(spec->m->listen[i].address, address) == 0)
			return true;
	}
	return false;
}

/*
 * Is the address listed by a revision the service is assigned (during a
 * rollout, two) or one its instances still run?
 */
static bool
listen_wanted(const struct svc *svc, const char *address)
{
	unsigned	i;

	if (svc->assigned && listen_in(svc->spec, address))
		return true;
	for (i = 0; svc->assigned && i < svc->nwant; i++) {
		if (listen_in(svc->want[i].spec, address))
			return true;
	}
	for (i = 0; i < svc->ninst; i++) {
		if (svc->inst[i] != NULL && listen_in(svc->inst[i]->spec,
		    address))
			return true;
	}
	return false;
}

void
listen_prune(struct svc *svc)
{
	struct listen_sock	**sp = &svc->listen, *s;

	while ((s = *sp) != NULL) {
		if (listen_wanted(svc, s->address)) {
			sp = &s->next;
			continue;
		}
		*sp = s->next;
		listen_close(svc, s);
	}
}

void
listen_free_all(struct svc *svc)
{
	struct listen_sock	*s;

	while ((s = svc->listen) != NULL) {
		svc->listen = s->next;
		listen_close(svc, s);
	}
}
