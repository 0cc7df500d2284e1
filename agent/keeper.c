/*
 * keeper.c — the top process of drover-agent: small, and rarely changed.
 *
 * The agent is two processes of one binary. The keeper is a child
 * subreaper that starts the worker (`--worker=FD`, everything else the
 * agent does: main.c's worker_main) and holds what must outlive it: the
 * fds the worker gives it under a key (each instance's output pipe,
 * "logs/<service>.<index>"; each listen socket,
 * "listen/<service>/<address>"; the instances' NOTIFY_SOCKET, "notify";
 * the agent's lock, "lock"). When the worker
 * dies, its children (the instances) become the keeper's: the keeper
 * reaps them and records how each ended, drains the output pipes into
 * the instances' log files so that no writer blocks or gets SIGPIPE,
 * and starts a new worker (after a backoff that grows while workers die
 * young), handing it every held fd and every recorded exit. While a
 * worker runs, the keeper only holds: the worker reads the pipes, and a
 * process the keeper reaps (an instance a former worker left) is told
 * to the worker ("exit PID STATUS"), and forgotten once the worker says
 * so. The messages are fdmsg.c's.
 *
 * Upgrade (SIGUSR2, or "upgrade" from the worker): the keeper execs its
 * binary again in place, keeping the held fds and the worker's socket
 * open across the exec and its records in a memfd (`--keeper-state=FD`);
 * the new keeper then asks the worker to hand off ("handoff": it exits
 * leaving the instances running) and starts a worker of the new binary.
 * No instance is restarted.
 *
 * Shutdown: SIGTERM or SIGINT is passed to the worker, which stops every
 * instance, says "bye" and exits; the keeper exits with it.
 *
 * Invariants: a held output pipe is drained here only while no worker
 * runs (one reader at a time, so the order of lines is kept); what is
 * read is spliced straight from the pipe into the file, so a kill of the
 * keeper itself loses nothing either; every child is reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define KEEPER_BACKOFF_MIN_MS	100
#define KEEPER_BACKOFF_MAX_MS	5000
#define KEEPER_YOUNG_MS		2000	/* a worker dying sooner backs off */
#define KEEPER_DRAIN_MAX	(64 * 1024)	/* per wakeup of one pipe */

/* fds held under a key. */
struct held {
	char		*key;
	int		 fds[FDMSG_FDS_MAX];
	size_t		 nfds;
	struct event	*ev;		/* draining, while no worker runs */
	int		 logfd;		/* the .log file while draining, or -1 */
	off_t		 off;		/* where the next output goes in it */
	struct held	*next;
};

/* How a process the keeper reaped ended, until the worker forgets it. */
struct kexit {
	pid_t		 pid;
	int		 status;
	bool		 sent;		/* to the running worker */
	struct kexit	*next;
};

static struct {
	struct event_base	*base;
	struct keeper_args	*args;
	struct held		*held;
	struct kexit		*exits;
	pid_t			 worker;	/* 0: none */
	int			 sock;		/* to the worker, or -1 */
	struct event		*sock_ev;
	struct event		*write_ev;	/* exits waiting for room */
	struct event		*start_ev;	/* the next worker, after backoff */
	uint64_t		 started;	/* monotonic ms the worker started */
	uint64_t		 backoff;
	bool			 ever_ready;
	bool			 worker_ready;
	bool			 stopping;	/* SIGTERM: pass it, exit after */
	bool			 bye;		/* the worker shut down for good */
	bool			 handoff;	/* the worker leaves to be replaced */
	int			 status;
} K = { .sock = -1 };

static const struct timeval keeper_retry = { 1, 0 };

static void	keeper_start_worker(void);

static struct held *
held_find(const char *key)
{
	struct held	*h;

	for (h = K.held; h != NULL; h = h->next)
		if (strcmp(h->key, key) == 0)
			return h;
	return NULL;
}

static void
held_stop_drain(struct held *h)
{
	if (h->ev != NULL) {
		event_free(h->ev);
		h->ev = NULL;
	}
	if (h->logfd != -1)
		close(h->logfd);
	h->logfd = -1;
}

static void
held_free(struct held *h)
{
	struct held	**pp;
	size_t		  i;

	for (pp = &K.held; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	held_stop_drain(h);
	for (i = 0; i < h->nfds; i++)
		close(h->fds[i]);
	free(h->key);
	free(h);
}

static void
held_put(const char *key, const int *fds, size_t nfds)
{
	struct held	*h;

	if ((h = held_find(key)) != NULL)
		held_free(h);
	h = xcalloc(1, sizeof(*h));
	h->key = xstrdup(key);
	memcpy(h->fds, fds, nfds * sizeof(int));
	h->nfds = nfds;
	h->logfd = -1;
	h->next = K.held;
	K.held = h;
}

/* Open the instance's .log to append by offset (splice refuses O_APPEND). */
static int
held_open_log(struct held *h)
{
	struct stat	 st;
	char		*path;
	int		 fd;

	xasprintf(&path, "%s/%s.log", K.args->logs_dir, h->key + 5);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_warn("keeper: cannot open %s: %s; its output waits in the "
		    "pipe", path, strerror(errno));
		if (fd != -1)
			close(fd);
		free(path);
		return -1;
	}
	free(path);
	h->logfd = fd;
	h->off = st.st_size;
	return 0;
}

static void
keeper_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct held	*h = arg;
	char		 buf[4096];
	ssize_t		 n;

	if (h->logfd == -1 && held_open_log(h) == -1) {
		event_del(h->ev);	/* the worker will read it */
		return;
	}
	n = splice(fd, NULL, h->logfd, &h->off, KEEPER_DRAIN_MAX,
	    SPLICE_F_NONBLOCK);
	if (n >= 0 || errno == EAGAIN)
		return;
	/* A file system without splice: copy, still by offset. */
	if ((n = read(fd, buf, sizeof(buf))) > 0 &&
	    pwrite(h->logfd, buf, (size_t)n, h->off) == n)
		h->off += n;
}

/* No worker: keep the output pipes flowing into the files. */
static void
keeper_drain_all(void)
{
	struct held	*h;

	for (h = K.held; h != NULL; h = h->next) {
		if (strncmp(h->key, "logs/", 5) != 0 || h->ev != NULL)
			continue;
		h->ev = event_new(K.base, h->fds[0], EV_READ | EV_PERSIST,
		    keeper_drain_cb, h);
		event_add(h->ev, NULL);
	}
}

static void
keeper_send_exits(void)
{
	struct kexit	*e;
	char		 msg[64];
	int		 r;

	for (e = K.exits; e != NULL && K.sock != -1; e = e->next) {
		if (e->sent)
			continue;
		snprintf(msg, sizeof(msg), "exit %ld %d", (long)e->pid,
		    e->status);
		r = fdmsg_send(K.sock, msg, NULL, 0, MSG_DONTWAIT);
		if (r == -EAGAIN) {
			event_add(K.write_ev, NULL);
			return;
		}
		e->sent = true;
	}
}

static void
keeper_write_cb(evutil_socket_t fd, short what, void *arg)
{
	keeper_send_exits();
}

static void
keeper_forget(pid_t pid)
{
	struct kexit	**pp, *e;

	for (pp = &K.exits; (e = *pp) != NULL; pp = &e->next) {
		if (e->pid == pid) {
			*pp = e->next;
			free(e);
			return;
		}
	}
}

static void
keeper_close_sock(void)
{
	if (K.sock_ev != NULL)
		event_free(K.sock_ev);
	if (K.write_ev != NULL)
		event_free(K.write_ev);
	K.sock_ev = K.write_ev = NULL;
	if (K.sock != -1)
		close(K.sock);
	K.sock = -1;
}

static void
keeper_ready(void)
{
	K.worker_ready = true;
	if (!K.ever_ready) {
		K.ever_ready = true;
		sd_notify(0, "READY=1\nSTATUS=supervising");
		if (K.args->ready_fd != -1 &&
		    write(K.args->ready_fd, "r", 1) == -1)
			log_warn("keeper: cannot tell the parent we are ready");
	}
	if (K.args->ready_fd != -1) {
		close(K.args->ready_fd);
		K.args->ready_fd = -1;
	}
	if (K.stopping)
		kill(K.worker, SIGTERM);
}

static void	keeper_upgrade(void);

/* One message from the worker. */
static void
keeper_handle(char *msg, int *fds, size_t nfds)
{
	size_t	i;

	if (strncmp(msg, "hold ", 5) == 0 && nfds > 0) {
		held_put(msg + 5, fds, nfds);
		return;
	}
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	if (strncmp(msg, "drop ", 5) == 0) {
		if (held_find(msg + 5) != NULL)
			held_free(held_find(msg + 5));
	} else if (strncmp(msg, "forget ", 7) == 0)
		keeper_forget((pid_t)strtol(msg + 7, NULL, 10));
	else if (strcmp(msg, "ready") == 0)
		keeper_ready();
	else if (strcmp(msg, "stopping") == 0)
		sd_notify(0, "STOPPING=1\nSTATUS=stopping the instances");
	else if (strcmp(msg, "bye") == 0)
		K.bye = true;
	else if (strcmp(msg, "upgrade") == 0)
		keeper_upgrade();
	else if (*msg != '\0')
		log_warn("keeper: unknown message from the worker: %.40s",
		    msg);
}

/* Read up to max messages; true when max were read (more may wait). */
static bool
keeper_read(int max)
{
	char	buf[512];
	int	fds[FDMSG_FDS_MAX];
	size_t	nfds;
	ssize_t	n;
	int	i;

	for (i = 0; i < max && K.sock != -1; i++) {
		n = fdmsg_recv(K.sock, buf, sizeof(buf), MSG_DONTWAIT, fds,
		    &nfds);
		if (n == -EAGAIN)
			return false;
		if (n <= 0) {
			/* the worker is gone or going: SIGCHLD tells */
			keeper_close_sock();
			return false;
		}
		keeper_handle(buf, fds, nfds);
	}
	return K.sock != -1;
}

static void
keeper_read_cb(evutil_socket_t fd, short what, void *arg)
{
	/* A few per wakeup: a burst of holds should not starve reaping. */
	keeper_read(64);
}

/* Hand a new worker everything held and recorded, then "end". */
static void
keeper_hand_over(void)
{
	struct held	*h;
	struct kexit	*e;
	char		 msg[512];

	for (h = K.held; h != NULL; h = h->next) {
		held_stop_drain(h);
		snprintf(msg, sizeof(msg), "fd %s", h->key);
		if (fdmsg_send(K.sock, msg, h->fds, h->nfds, 0) != 0)
			return;		/* it died: SIGCHLD tells */
	}
	for (e = K.exits; e != NULL; e = e->next)
		e->sent = true;		/* in the hand-over */
	for (e = K.exits; e != NULL; e = e->next) {
		snprintf(msg, sizeof(msg), "exit %ld %d", (long)e->pid,
		    e->status);
		if (fdmsg_send(K.sock, msg, NULL, 0, 0) != 0)
			return;
	}
	fdmsg_send(K.sock, "end", NULL, 0, 0);
}

static void
keeper_start_worker(void)
{
	char	**argv, opt[32];
	pid_t	  pid;
	int	  sv[2], fd;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("keeper: socketpair: %s", strerror(errno));
		evtimer_add(K.start_ev, &keeper_retry);
		return;
	}
	if ((pid = fork()) == -1) {
		log_error("keeper: cannot start the worker: fork: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		evtimer_add(K.start_ev, &keeper_retry);
		return;
	}
	if (pid == 0) {
		sigset_t	none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if ((fd = dup(sv[1])) == -1)	/* without close-on-exec */
			_exit(127);
		snprintf(opt, sizeof(opt), "--worker=%d", fd);
		argv = agent_exec_argv(opt);
		execv(agent.self, argv);
		dprintf(STDERR_FILENO, "drover-agent: exec %s: %s\n",
		    agent.self, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	K.sock = sv[0];
	K.worker = pid;
	K.worker_ready = false;
	K.handoff = false;
	K.started = now_ms();
	K.sock_ev = event_new(K.base, K.sock, EV_READ | EV_PERSIST,
	    keeper_read_cb, NULL);
	K.write_ev = event_new(K.base, K.sock, EV_WRITE, keeper_write_cb,
	    NULL);
	event_add(K.sock_ev, NULL);
	log_info("keeper: started the worker (pid %ld)", (long)pid);
	keeper_hand_over();
}

static void
keeper_start_cb(evutil_socket_t fd, short what, void *arg)
{
	if (K.worker == 0)
		keeper_start_worker();
}

/* The worker ended: done, replaced at once, or restarted after backoff. */
static void
keeper_worker_exited(int status)
{
	struct timeval	tv;
	uint64_t	ran = now_ms() - K.started;

	/* What it said before it exited ("bye"): SIGCHLD may come first. */
	while (keeper_read(1024))
		;
	K.worker = 0;
	keeper_close_sock();
	keeper_drain_all();
	if (K.bye) {
		event_base_loopexit(K.base, NULL);
		return;
	}
	if (!K.ever_ready) {
		/* it could not start at all: neither can the agent */
		log_error("keeper: the worker failed to start");
		K.status = 1;
		event_base_loopexit(K.base, NULL);
		return;
	}
	if (K.handoff) {
		keeper_start_worker();
		return;
	}
	if (WIFSIGNALED(status))
		log_warn("keeper: the worker was killed by SIG%s",
		    sigabbrev_np(WTERMSIG(status)) ?
		    sigabbrev_np(WTERMSIG(status)) : "?");
	else
		log_warn("keeper: the worker exited with status %d",
		    WEXITSTATUS(status));
	if (ran >= KEEPER_YOUNG_MS || K.backoff == 0)
		K.backoff = KEEPER_BACKOFF_MIN_MS;
	else if ((K.backoff *= 2) > KEEPER_BACKOFF_MAX_MS)
		K.backoff = KEEPER_BACKOFF_MAX_MS;
	log_info("keeper: starting a new worker in %" PRIu64 "ms; the "
	    "instances run on", K.backoff);
	tv.tv_sec = (time_t)(K.backoff / 1000);
	tv.tv_usec = (suseconds_t)(K.backoff % 1000) * 1000;
	evtimer_add(K.start_ev, &tv);
}

static void
keeper_reap(void)
{
	struct kexit	*e;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == K.worker) {
			keeper_worker_exited(status);
			continue;
		}
		/* an instance (or a process it left) that a worker left */
		e = xcalloc(1, sizeof(*e));
		e->pid = pid;
		e->status = status;
		e->next = K.exits;
		K.exits = e;
	}
	keeper_send_exits();
}

/*
 * The state a re-exec'd keeper starts from, in a memfd: "worker PID FD",
 * "hold KEY FD...", "exit PID STATUS" lines. Every fd named stays open
 * across the exec.
 */
static int
keeper_save(void)
{
	struct held	*h;
	struct kexit	*e;
	FILE		*f;
	int		 fd;

	if ((f = fdmsg_state_new(&fd)) == NULL)
		return -errno;
	if (K.worker != 0 && K.sock != -1) {
		fprintf(f, "worker %ld %d\n", (long)K.worker, K.sock);
		fcntl(K.sock, F_SETFD, 0);
	}
	for (h = K.held; h != NULL; h = h->next) {
		held_stop_drain(h);
		fdmsg_state_hold(f, h->key, h->fds, h->nfds);
	}
	for (e = K.exits; e != NULL; e = e->next)
		fprintf(f, "exit %ld %d\n", (long)e->pid, e->status);
	return fdmsg_state_done(f, fd);
}

/* Exec the binary again, in place; returns only if that failed. */
static void
keeper_upgrade(void)
{
	struct held	*h;
	char		**argv, opt[40];
	size_t		  i;
	int		  fd;

	if (K.stopping || K.handoff)
		return;
	log_info("keeper: upgrading: exec %s", agent.self);
	if ((fd = keeper_save()) < 0) {
		log_error("keeper: cannot save its state: %s",
		    strerror(-fd));
		return;
	}
	snprintf(opt, sizeof(opt), "--keeper-state=%d", fd);
	argv = agent_exec_argv(opt);
	execv(agent.self, argv);
	log_error("keeper: exec %s: %s", agent.self, strerror(errno));
	free(argv);
	close(fd);
	if (K.sock != -1)
		fcntl(K.sock, F_SETFD, FD_CLOEXEC);
	for (h = K.held; h != NULL; h = h->next)
		for (i = 0; i < h->nfds; i++)
			fcntl(h->fds[i], F_SETFD, FD_CLOEXEC);
	if (K.worker == 0)
		keeper_drain_all();
}

static int
keeper_parse_fds(char *s, int *fds, size_t *nfds)
{
	char	*tok, *save;

	*nfds = 0;
	for (tok = strtok_r(s, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (*nfds == FDMSG_FDS_MAX)
			return -EINVAL;
		fds[(*nfds)++] = (int)strtol(tok, NULL, 10);
		fd_set_cloexec(fds[*nfds - 1]);
	}
	return 0;
}

/* Take over what the keeper before this exec held. */
static void
keeper_restore(int fd)
{
	struct kexit	*e;
	FILE		*f = fdopen(fd, "r");
	char		*line = NULL, *key, *sp;
	size_t		 cap = 0, nfds;
	ssize_t		 n;
	long		 pid;
	int		 fds[FDMSG_FDS_MAX], a;

	if (f == NULL) {
		close(fd);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		line[n - 1] = line[n - 1] == '\n' ? '\0' : line[n - 1];
		if (sscanf(line, "worker %ld %d", &pid, &a) == 2) {
			K.worker = (pid_t)pid;
			K.sock = a;
			fd_set_cloexec(a);
		} else if (strncmp(line, "hold ", 5) == 0 &&
		    (sp = strchr(key = line + 5, ' ')) != NULL) {
			*sp = '\0';
			if (keeper_parse_fds(sp + 1, fds, &nfds) == 0)
				held_put(key, fds, nfds);
		} else if (sscanf(line, "exit %ld %d", &pid, &a) == 2) {
			e = xcalloc(1, sizeof(*e));
			e->pid = (pid_t)pid;
			e->status = a;
			e->next = K.exits;
			K.exits = e;
		}
	}
	free(line);
	fclose(f);
}

static void
keeper_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	int	r;

	switch (sig) {
	case SIGCHLD:
		keeper_reap();
		break;
	case SIGHUP:
		if (K.args->log_path != NULL &&
		    (r = log_open_file(K.args->log_path)) != 0)
			log_error("cannot reopen %s: %s", K.args->log_path,
			    strerror(-r));
		if (K.worker != 0)
			kill(K.worker, SIGHUP);
		break;
	case SIGUSR2:
		keeper_upgrade();
		break;
	default:	/* SIGTERM, SIGINT: stop everything */
		if (K.stopping)
			break;
		log_info("keeper: SIG%s: shutting the agent down",
		    sigabbrev_np((int)sig));
		K.stopping = true;
		if (K.worker == 0)
			keeper_start_worker();
		else if (K.worker_ready)
			kill(K.worker, SIGTERM);
		break;
	}
}

static void
keeper_raise_nofile(void)
{
	struct rlimit	rl;

	/* Two fds held per instance, and as many in flight to a worker. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
keeper_main(struct keeper_args *args)
{
	static const int	 sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP,
				    SIGUSR2 };
	struct event		*ev[nitems(sigs)];
	size_t			 i;

	K.args = args;
	K.base = event_base_new();
	if (K.base == NULL)
		return 1;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("keeper: cannot become a subreaper: %s; a worker's "
		    "death would orphan the instances", strerror(errno));
	keeper_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nitems(sigs); i++) {
		ev[i] = evsignal_new(K.base, sigs[i], keeper_signal_cb, NULL);
		event_add(ev[i], NULL);
	}
	K.start_ev = evtimer_new(K.base, keeper_start_cb, NULL);
	if (args->lock_fd != -1)
		held_put("lock", &args->lock_fd, 1);
	if (args->state_fd != -1) {
		keeper_restore(args->state_fd);
		K.ever_ready = true;
		log_info("keeper: %s (pid %ld)", K.worker != 0 ?
		    "upgraded in place" : "taking over from a lost keeper",
		    (long)getpid());
	}
	if (K.worker != 0 && K.sock != -1) {
		K.worker_ready = K.handoff = true;
		K.sock_ev = event_new(K.base, K.sock, EV_READ | EV_PERSIST,
		    keeper_read_cb, NULL);
		K.write_ev = event_new(K.base, K.sock, EV_WRITE,
		    keeper_write_cb, NULL);
		event_add(K.sock_ev, NULL);
		/* now the worker: it hands off, and one of this binary follows */
		fdmsg_send(K.sock, "handoff", NULL, 0, 0);
	} else
		keeper_start_worker();
	keeper_reap();		/* exits that came during the exec */

	event_base_dispatch(K.base);

	keeper_close_sock();
	while (K.held != NULL)
		held_free(K.held);
	while (K.exits != NULL)
		keeper_forget(K.exits->pid);
	for (i = 0; i < nitems(sigs); i++)
		event_free(ev[i]);
	event_free(K.start_ev);
	event_base_free(K.base);
	log_info("keeper: exiting");
	return K.status;
}
