/*
 * probe-tcp.c — the tcp check: a non-blocking connect to tcp.host (a
 * numeric IPv4 or IPv6 address, or "localhost" for 127.0.0.1: resolving
 * a name would block the loop) at the instance's port. It passes once
 * the connection is made, and is closed at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

struct tcp_run {
	int		 fd;
	struct event	*ev;
};

static int
tcp_addr(const struct check *c, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	const char		*host = c->host;

	memset(ss, 0, sizeof(*ss));
	if (host == NULL || strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)c->port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)c->port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

static void
tcp_run_free(struct tcp_run *r)
{
	if (r->ev != NULL)
		event_free(r->ev);
	close(r->fd);
	free(r);
}

static void
tcp_connected_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check	*c = arg;
	struct tcp_run	*r = c->run;
	socklen_t	 len = sizeof(int);
	int		 err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	c->run = NULL;
	tcp_run_free(r);
	if (err != 0)
		probe_done(c, false, "tcp connect: %s", strerror(err));
	else
		probe_done(c, true, "tcp connected");
}

static void
tcp_start(struct check *c)
{
	struct sockaddr_storage	 ss;
	struct tcp_run		*r;
	socklen_t		 len;
	int			 fd, err;

	if (tcp_addr(c, &ss, &len) != 0) {
		probe_done(c, false, "tcp host \"%.32s\" is not a numeric "
		    "address", c->host);
		return;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		probe_done(c, false, "tcp socket: %s", strerror(errno));
		return;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
		close(fd);
		probe_done(c, true, "tcp connected");
		return;
	}
	if (errno != EINPROGRESS) {
		err = errno;
		close(fd);
		probe_done(c, false, "tcp connect: %s", strerror(err));
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->fd = fd;
	r->ev = event_new(agent.base, fd, EV_WRITE, tcp_connected_cb, c);
	event_add(r->ev, NULL);
	c->run = r;
}

static void
tcp_cancel(struct check *c)
{
	struct tcp_run	*r = c->run;

	c->run = NULL;
	tcp_run_free(r);
}

static void
tcp_release(struct check *c)
{
}

const struct probe_ops probe_tcp_ops = {
	.type = PROBE_TCP,
	.start = tcp_start,
	.cancel = tcp_cancel,
	.release = tcp_release,
};
