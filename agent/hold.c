/*
 * hold.c — the worker's side of the keeper (keeper.c): what the worker
 * has the keeper hold, and what the keeper tells it.
 *
 * At start the keeper hands over every fd it holds, by key, and the
 * exits it recorded while no worker ran (hold_init reads that before the
 * loop starts). An fd handed over belongs to hold.c until someone takes
 * it (hold_take); what no one takes once the instances are adopted is
 * closed and dropped (hold_drop_untaken). The worker gives the keeper an
 * fd to keep before relying on it (hold_put: the keeper gets dups), and
 * takes it back with hold_drop. A copy of what the keeper holds is kept
 * here by key (the numbers of the worker's own fds), so that a worker
 * whose keeper died can become the keeper itself (hold_save).
 *
 * While running, the keeper tells the exit of each process it reaps:
 * an adopted instance (supervise_adopted_exit). "handoff" asks the
 * worker to leave without stopping anything (an upgrade).
 *
 * The socket is blocking for sends: the keeper reads every message as
 * it comes, and its loop does nothing slow while a worker runs. Reads
 * never block.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util.h"

struct hkey {
	char		*key;
	int		 fds[FDMSG_FDS_MAX];
	size_t		 nfds;
	bool		 ours;		/* handed over, not taken yet */
	struct hkey	*next;
};

struct hexit {
	pid_t		 pid;
	int		 status;
	struct hexit	*next;
};

static int		 hold_sock = -1;
static struct event	*hold_ev;
static struct hkey	*hold_keys;
static struct hexit	*hold_exits;	/* from the hand-over */

static struct hkey *
hkey_find(const char *key)
{
	struct hkey	*k;

	for (k = hold_keys; k != NULL; k = k->next)
		if (strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

static void
hkey_free(struct hkey *k)
{
	struct hkey	**pp;
	size_t		  i;

	for (pp = &hold_keys; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	if (k->ours)
		for (i = 0; i < k->nfds; i++)
			close(k->fds[i]);
	free(k->key);
	free(k);
}

static struct hkey *
hkey_set(const char *key, const int *fds, size_t nfds, bool ours)
{
	struct hkey	*k;

	if ((k = hkey_find(key)) != NULL)
		hkey_free(k);
	k = xcalloc(1, sizeof(*k));
	k->key = xstrdup(key);
	memcpy(k->fds, fds, nfds * sizeof(int));
	k->nfds = nfds;
	k->ours = ours;
	k->next = hold_keys;
	hold_keys = k;
	return k;
}

static int
hold_send(const char *text, const int *fds, size_t nfds)
{
	if (hold_sock == -1)
		return -ENOTCONN;
	return fdmsg_send(hold_sock, text, fds, nfds, 0);
}

int
hold_init(int sock)
{
	struct hexit	*e;
	char		 buf[512];
	int		 fds[FDMSG_FDS_MAX];
	size_t		 nfds;
	ssize_t		 n;
	long		 pid;
	int		 status;

	hold_sock = sock;
	fd_set_cloexec(sock);
	for (;;) {
		n = fdmsg_recv(sock, buf, sizeof(buf), 0, fds, &nfds);
		if (n <= 0)
			return n == 0 ? -EPIPE : (int)n;
		if (strncmp(buf, "fd ", 3) == 0 && nfds > 0)
			hkey_set(buf + 3, fds, nfds, true);
		else if (sscanf(buf, "exit %ld %d", &pid, &status) == 2) {
			e = xcalloc(1, sizeof(*e));
			e->pid = (pid_t)pid;
			e->status = status;
			e->next = hold_exits;
			hold_exits = e;
		} else if (strcmp(buf, "end") == 0)
			return 0;
	}
}

bool
hold_connected(void)
{
	return hold_sock != -1;
}

void
hold_forget(pid_t pid)
{
	char	msg[32];

	snprintf(msg, sizeof(msg), "forget %ld", (long)pid);
	hold_send(msg, NULL, 0);
}

static void
hold_handle(const char *msg)
{
	struct inst	*inst;
	long		 pid;
	int		 status;

	if (sscanf(msg, "exit %ld %d", &pid, &status) == 2) {
		inst = assign_find_pid((pid_t)pid);
		if (inst != NULL)
			supervise_adopted_exit(inst, status);
		hold_forget((pid_t)pid);
	} else if (strcmp(msg, "handoff") == 0)
		agent_handoff();
}

static void
hold_read_cb(evutil_socket_t fd, short what, void *arg)
{
	char	buf[512];
	int	fds[FDMSG_FDS_MAX];
	size_t	nfds, i;
	ssize_t	n;

	n = fdmsg_recv(fd, buf, sizeof(buf), MSG_DONTWAIT, fds, &nfds);
	if (n == -EAGAIN)
		return;
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (n > 0) {
		hold_handle(buf);
		return;
	}
	log_error("the keeper is gone (%s)", n == 0 ? "closed" :
	    strerror((int)-n));
	event_free(hold_ev);
	hold_ev = NULL;
	close(hold_sock);
	hold_sock = -1;
	agent_keeper_lost();
}

void
hold_start(void)
{
	if (hold_sock == -1)
		return;
	hold_ev = event_new(agent.base, hold_sock, EV_READ | EV_PERSIST,
	    hold_read_cb, NULL);
	event_add(hold_ev, NULL);
}

int
hold_put(const char *key, const int *fds, size_t nfds)
{
	char	*msg;
	int	 r;

	hkey_set(key, fds, nfds, false);
	xasprintf(&msg, "hold %s", key);
	r = hold_send(msg, fds, nfds);
	free(msg);
	return r;
}

size_t
hold_take(const char *key, int *fds, size_t max)
{
	struct hkey	*k = hkey_find(key);
	size_t		 n;

	if (k == NULL || !k->ours || k->nfds > max)
		return 0;
	n = k->nfds;
	memcpy(fds, k->fds, n * sizeof(int));
	k->ours = false;	/* the taker owns them; the keeper still holds */
	return n;
}

void
hold_drop(const char *key)
{
	struct hkey	*k = hkey_find(key);
	char		*msg;

	if (k == NULL)
		return;
	xasprintf(&msg, "drop %s", key);	/* key may be k's */
	hkey_free(k);
	hold_send(msg, NULL, 0);
	free(msg);
}

void
hold_drop_untaken(void)
{
	struct hkey	*k, *next;
	struct hexit	*e;

	for (k = hold_keys; k != NULL; k = next) {
		next = k->next;
		if (k->ours && strcmp(k->key, "lock") != 0) {
			log_info("dropping %s: no instance took it", k->key);
			hold_drop(k->key);
		}
	}
	/* exits of processes no record named (a service's own children) */
	while ((e = hold_exits) != NULL) {
		hold_exits = e->next;
		hold_forget(e->pid);
		free(e);
	}
}

int
hold_exit_status(pid_t pid, int *status)
{
	struct hexit	**pp, *e;

	for (pp = &hold_exits; (e = *pp) != NULL; pp = &e->next) {
		if (e->pid == pid) {
			*status = e->status;
			*pp = e->next;
			free(e);
			return 0;
		}
	}
	return -ENOENT;
}

void
hold_message(const char *what)
{
	hold_send(what, NULL, 0);
}

int
hold_save(void)
{
	struct hkey	*k;
	FILE		*f;
	int		 fd;

	if ((f = fdmsg_state_new(&fd)) == NULL)
		return -errno;
	for (k = hold_keys; k != NULL; k = k->next)
		fdmsg_state_hold(f, k->key, k->fds, k->nfds);
	return fdmsg_state_done(f, fd);
}

void
hold_free(void)
{
	struct hexit	*e;

	while (hold_keys != NULL)
		hkey_free(hold_keys);
	while ((e = hold_exits) != NULL) {
		hold_exits = e->next;
		free(e);
	}
	if (hold_ev != NULL)
		event_free(hold_ev);
	hold_ev = NULL;
	if (hold_sock != -1)
		close(hold_sock);
	hold_sock = -1;
}
