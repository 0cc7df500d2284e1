/*
 * notify.c — the agent's NOTIFY_SOCKET server (sd_notify(3)) and each
 * instance's watchdog deadline.
 *
 * One unix datagram socket, <run dir>/notify.sock, bound by path (not
 * in the abstract namespace, so that a restarted agent binds the same
 * path again: a stale file is unlinked first), close-on-exec and
 * non-blocking, with SO_PASSCRED so that every datagram carries the
 * sender's pid. Instances whose spec has readiness.notify or a
 * readiness.watchdog get its path as NOTIFY_SOCKET; no other does. The
 * keeper holds the socket (key "notify"): while no worker runs,
 * datagrams wait in it for the next worker, which takes it back.
 *
 * A datagram counts only when its sender belongs to an instance: with
 * cgroups, a process in that instance's cgroup (/proc/PID/cgroup);
 * without, the instance's main process or a process of its process
 * group (getpgid). Anything else is ignored (logged at debug). Each
 * wakeup reads at most NOTIFY_DRAIN_MAX datagrams, so a flood cannot
 * starve the rest of the loop; what is left wakes it again. Every fd a
 * datagram carries (SCM_RIGHTS: BARRIER=1, FDSTORE=1) is received
 * close-on-exec and closed at once: closing a barrier's fd is the whole
 * answer to it. What a message means for the instance is supervise.c's
 * (supervise_notify).
 *
 * The watchdog: an instance with readiness.watchdog > 0 has a timer
 * from its exec, re-armed by each WATCHDOG=1; its expiry is handled as a
 * failing liveness probe (supervise_unhealthy). Instances without a
 * watchdog have no timer: an idle agent has no wakeups.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "duration.h"
#include "log.h"
#include "notify-msg.h"
#include "util.h"

/* Datagrams read per wakeup, at most. */
#define NOTIFY_DRAIN_MAX	64
/* fds one datagram may carry and that are received (and closed). */
#define NOTIFY_FDS_MAX		768

static struct {
	int		 fd;
	char		*path;
	struct event	*ev;
} ns = { .fd = -1 };

static void	notify_read_cb(evutil_socket_t, short, void *);

int
notify_open(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, on = 1, r;
	struct stat		st;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	/* bound by a former worker, with what came meanwhile queued */
	if (hold_take("notify", &fd, 1) == 1)
		goto bound;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		r = -errno;
		close(fd);
		return r;
	}
	/* Any local user may be an instance's (user:). */
	chmod(path, 0666);
	hold_put("notify", &fd, 1);
bound:
	ns.fd = fd;
	ns.path = xstrdup(path);
	ns.ev = event_new(agent.base, fd, EV_READ | EV_PERSIST, notify_read_cb,
	    NULL);
	event_add(ns.ev, NULL);
	return 0;
}

void
notify_close(void)
{
	if (ns.ev != NULL)
		event_free(ns.ev);
	if (ns.fd != -1) {
		close(ns.fd);
		/* handing off: the keeper keeps it for the next worker */
		if (!agent.handing_off) {
			hold_drop("notify");
			unlink(ns.path);
		}
	}
	free(ns.path);
	ns.ev = NULL;
	ns.fd = -1;
	ns.path = NULL;
}

const char *
notify_socket_path(void)
{
	return ns.path;
}

/* The instance process `pid` belongs to, or NULL. */
struct inst *
notify_sender(pid_t pid)
{
	char		 name[MANIFEST_NAME_MAX + 1];
	unsigned	 index;
	struct svc	*svc;
	struct inst	*inst;
	pid_t		 pgid;

	if (pid <= 0)
		return NULL;
	if (cgroup_enabled()) {
		if (cgroup_pid_instance(pid, name, sizeof(name), &index) != 0 ||
		    (svc = assign_find(name)) == NULL || index >= svc->ninst)
			return NULL;
		inst = svc->inst[index];
		return inst != NULL && inst->pid != 0 ? inst : NULL;
	}
	if ((inst = assign_find_pid(pid)) != NULL)
		return inst;
	if ((pgid = getpgid(pid)) <= 0)
		return NULL;
	return assign_find_pid(pgid);
}

/* Close every fd the datagram carried. */
static void
notify_close_fds(struct msghdr *mh, struct ucred **cred)
{
	struct cmsghdr	*c;
	int		*fds;
	size_t		 i, n;

	*cred = NULL;
	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			*cred = (struct ucred *)(void *)CMSG_DATA(c);
		else if (c->cmsg_type == SCM_RIGHTS) {
			fds = (int *)(void *)CMSG_DATA(c);
			n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < n; i++)
				close(fds[i]);
		}
	}
}

/* Act on one datagram from `pid`. */
static void
notify_handle(pid_t pid, const char *buf, size_t len)
{
	struct notify_msg	 m;
	struct inst		*inst;

	if ((inst = notify_sender(pid)) == NULL) {
		log_debug("notify: ignored a message from pid %ld: not an "
		    "instance's process", (long)pid);
		return;
	}
	if (!inst->spec->m->readiness.notify &&
	    inst->spec->m->readiness.watchdog_ms == 0) {
		log_debug("service %s/%u: notify: ignored a message from pid "
		    "%ld: no readiness.notify or watchdog", inst->svc->name,
		    inst->index, (long)pid);
		return;
	}
	if (notify_msg_parse(buf, len, &m) != 0) {
		log_debug("service %s/%u: notify: ignored a malformed message "
		    "from pid %ld", inst->svc->name, inst->index, (long)pid);
		return;
	}
	if (m.mainpid > 0 && notify_sender(m.mainpid) != inst) {
		log_info("service %s/%u: notify: MAINPID=%ld ignored: not a "
		    "process of the instance", inst->svc->name, inst->index,
		    (long)m.mainpid);
		m.mainpid = 0;
	}
	supervise_notify(inst, &m);
}

/* Read one datagram: 0, or -EAGAIN when none is left (or -errno). */
static int
notify_recv(void)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	}		 ctl;
	char		 buf[NOTIFY_MSG_MAX];
	struct iovec	 iov = { buf, sizeof(buf) };
	struct msghdr	 mh;
	struct ucred	*cred;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &ctl;
	mh.msg_controllen = sizeof(ctl);
	do
		n = recvmsg(ns.fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    MSG_TRUNC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	notify_close_fds(&mh, &cred);
	if (cred == NULL || (mh.msg_flags & MSG_TRUNC) ||
	    (size_t)n > sizeof(buf)) {
		log_debug("notify: ignored a message of %zd bytes (%s)", n,
		    cred == NULL ? "no credentials" : "too long");
		return 0;
	}
	notify_handle(cred->pid, buf, (size_t)n);
	return 0;
}

static void
notify_read_cb(evutil_socket_t fd, short what, void *arg)
{
	int	i, r = 0;

	for (i = 0; i < NOTIFY_DRAIN_MAX && r == 0; i++)
		r = notify_recv();
	if (r != 0 && r != -EAGAIN && r != -EWOULDBLOCK)
		log_warn("notify: %s: %s", ns.path, strerror(-r));
}

static void
notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst	*inst = arg;
	char		 why[128], d[32];

	duration_format(inst->spec->m->readiness.watchdog_ms, d, sizeof(d));
	snprintf(why, sizeof(why), "watchdog timeout (no WATCHDOG=1 within "
	    "%s)", d);
	supervise_unhealthy(inst, why);
}

void
notify_watchdog_arm(struct inst *inst)
{
	uint64_t	ms = inst->spec->m->readiness.watchdog_ms;
	struct timeval	tv;

	if (ms == 0) {
		notify_watchdog_stop(inst);
		return;
	}
	if (inst->watchdog == NULL)
		inst->watchdog = evtimer_new(agent.base, notify_watchdog_cb,
		    inst);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(inst->watchdog, &tv);
}

void
notify_watchdog_stop(struct inst *inst)
{
	if (inst->watchdog != NULL)
		event_free(inst->watchdog);
	inst->watchdog = NULL;
}
