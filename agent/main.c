/*
 * main.c — drover-agent: command line, daemonizing, start-up of the
 * keeper and of the worker, the worker's event loop, signals and
 * shutdown.
 *
 * The command starts the keeper (keeper.c): it refuses to start when
 * another agent holds the run dir's lock or answers on the socket,
 * daemonizes unless --foreground, and starts the worker: this binary
 * again with --worker=FD, FD its socket to the keeper. The worker reads
 * the keeper's hand-over, the record of instances a former worker left
 * (adopt.c) and the persisted assignment (so supervision does not wait
 * for droverd), opens the instances' NOTIFY_SOCKET, adopts what still
 * runs, listens, and tells the keeper (which tells systemd, READY=1 and
 * STATUS=, and a waiting parent) that it is ready. The agent's own
 * NOTIFY_SOCKET (systemd's) is never passed to instances: spawn.c drops
 * it from their environment.
 *
 * Shutdown (SIGTERM or SIGINT to either process, or a "shutdown"
 * message): stop listening, stop every instance, leave the loop once the
 * last child is reaped, say "bye" to the keeper, free everything; the
 * keeper exits with the worker. Upgrade (SIGUSR2 to either process, or
 * an "upgrade" message): the keeper execs the binary again, then has the
 * worker hand off: it leaves the loop without stopping anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define AGENT_CGROUP_WAIT_SECS	10

struct agent	agent;

struct options {
	bool		 foreground;
	char		*run_dir;
	char		*state_dir;
	const char	*connect;
	enum log_level	 level;
	int		 worker_fd;	/* --worker=FD: the worker, and its keeper */
	int		 state_fd;	/* --keeper-state=FD: a keeper exec'd again */
};

static __attribute__((noreturn)) void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: drover-agent [--foreground] [--run-dir DIR] "
	    "[--state-dir DIR]\n"
	    "                    [--connect ADDR] [--log-level LEVEL] "
	    "[--version]\n");
	exit(code);
}

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		/* internal: how the keeper starts the worker, and itself */
		{ "worker", required_argument, NULL, 'W' },
		{ "keeper-state", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	int	c, i, n = 0;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->foreground = true;
			break;
		case 'r':
			free(o->run_dir);
			o->run_dir = xstrdup(optarg);
			break;
		case 's':
			free(o->state_dir);
			o->state_dir = xstrdup(optarg);
			break;
		case 'c':
			o->connect = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &o->level) != 0) {
				fprintf(stderr, "drover-agent: bad log level "
				    "%s\n", optarg);
				usage(2);
			}
			break;
		case 'W':
			o->worker_fd = atoi(optarg);
			break;
		case 'K':
			o->state_fd = atoi(optarg);
			break;
		case 'V':
			printf("drover-agent %s\n", DROVER_VERSION);
			exit(0);
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	/* The options, to start the worker or exec again with the same. */
	agent.argv = xcalloc((size_t)argc, sizeof(*agent.argv));
	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], "--worker=", 9) != 0 &&
		    strncmp(argv[i], "--keeper-state=", 15) != 0)
			agent.argv[n++] = argv[i];
	if (o->run_dir == NULL)
		o->run_dir = default_run_dir();
	if (o->state_dir == NULL)
		o->state_dir = default_state_dir();
}

/* Make sure 0, 1, 2 are open and nothing inherited leaks to children. */
static void
sanitize_fds(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}

/* An absolute path, made once the directory exists. */
static int
make_dir(char **path, mode_t mode)
{
	char	buf[PATH_MAX];
	int	r;

	if ((r = mkdir_p(*path, mode)) != 0)
		return r;
	if (realpath(*path, buf) == NULL)
		return -errno;
	free(*path);
	*path = xstrdup(buf);
	return 0;
}

/*
 * Fork into the background. The parent waits until the child is
 * listening (a byte on the pipe) or has failed (EOF), and exits
 * accordingly. Returns the write end of that pipe in the child.
 */
static int
daemonize(void)
{
	int	p[2], fd;
	ssize_t	n;
	char	c;
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n == -1 && errno == EINTR);
		_exit(n == 1 && c == 'r' ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	return p[1];
}

static void
agent_cgroup_wait_cb(evutil_socket_t fd, short what, void *arg)
{
	log_warn("exiting while cgroups still hold dying processes");
	event_base_loopexit(agent.base, NULL);
}

/*
 * Done once no child is left and the instances' cgroups are gone; their
 * last members (already sent SIGKILL) get AGENT_CGROUP_WAIT_SECS to die.
 */
void
agent_check_done(void)
{
	static const struct timeval	wait = { AGENT_CGROUP_WAIT_SECS, 0 };
	static bool			waiting;

	if (!agent.shutting_down || agent.nprocs > 0)
		return;
	if (!cgroup_busy())
		event_base_loopexit(agent.base, NULL);
	else if (!waiting) {
		waiting = true;
		event_base_once(agent.base, -1, EV_TIMEOUT,
		    agent_cgroup_wait_cb, NULL, &wait);
	}
}

void
agent_shutdown(const char *why)
{
	if (agent.shutting_down)
		return;
	log_info("shutting down: %s", why);
	hold_message("stopping");	/* the keeper tells systemd */
	agent.shutting_down = true;
	server_close_listener();
	assign_converge_all();
	agent_check_done();
}

void
agent_handoff(void)
{
	if (agent.shutting_down || agent.handing_off)
		return;
	log_info("handing off to a new worker: the instances run on");
	agent.handing_off = true;
	server_close_listener();
	event_base_loopexit(agent.base, NULL);
}

void
agent_upgrade(const char *why)
{
	if (agent.shutting_down || agent.handing_off)
		return;
	log_info("upgrade (%s): asking the keeper", why);
	hold_message("upgrade");
}

char **
agent_exec_argv(const char *first)
{
	char	**v;
	size_t	  n, i;

	for (n = 0; agent.argv[n] != NULL; n++)
		;
	v = xcalloc(n + 3, sizeof(*v));
	v[0] = agent.self;
	v[1] = (char *)first;
	for (i = 0; i < n; i++)
		v[i + 2] = agent.argv[i];
	return v;
}

void
agent_keeper_lost(void)
{
	char	**argv, opt[40];
	int	  fd;

	if (agent.shutting_down || agent.handing_off)
		return;		/* finishing alone; nothing runs after */
	log_warn("becoming the keeper: the instances run on, a new worker "
	    "adopts them");
	adopt_flush();
	if ((fd = hold_save()) < 0) {
		log_error("cannot become the keeper: %s; supervising without "
		    "one", strerror(-fd));
		return;
	}
	snprintf(opt, sizeof(opt), "--keeper-state=%d", fd);
	argv = agent_exec_argv(opt);
	execv(agent.self, argv);
	log_error("cannot become the keeper: exec %s: %s; supervising "
	    "without one", agent.self, strerror(errno));
	free(argv);
	close(fd);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	int	r;

	if (sig == SIGHUP) {
		/* Reopen the log file (after a rotation), if there is one. */
		if (agent.log_path != NULL &&
		    (r = log_open_file(agent.log_path)) != 0)
			log_error("cannot reopen %s: %s", agent.log_path,
			    strerror(-r));
		return;
	}
	if (sig == SIGUSR2) {
		agent_upgrade("SIGUSR2");
		return;
	}
	agent_shutdown(sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

static int
setup_dirs(struct options *o)
{
	int	r;

	agent.run_dir = o->run_dir;
	agent.state_dir = o->state_dir;
	if ((r = make_dir(&agent.run_dir, 0755)) != 0) {
		fprintf(stderr, "drover-agent: %s: %s\n", agent.run_dir,
		    strerror(-r));
		return -1;
	}
	if ((r = make_dir(&agent.state_dir, 0755)) != 0) {
		fprintf(stderr, "drover-agent: %s: %s\n", agent.state_dir,
		    strerror(-r));
		return -1;
	}
	xasprintf(&agent.sock_path, "%s/agent.sock", agent.run_dir);
	xasprintf(&agent.logs_dir, "%s/logs", agent.state_dir);
	if ((r = mkdir_p(agent.logs_dir, 0755)) != 0 ||
	    (r = assign_init()) != 0) {
		fprintf(stderr, "drover-agent: %s: %s\n", agent.state_dir,
		    strerror(-r));
		return -1;
	}
	if (!o->foreground)
		xasprintf(&agent.log_path, "%s/agent.log", agent.state_dir);
	return 0;
}

static struct event_base *
setup_base(void)
{
	struct event_config	*cfg;
	struct event_base	*base;

	cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

/* Frees whatever start-up got to; safe at any point of it. */
static void
cleanup(struct event **sigs, size_t nsigs)
{
	size_t	i;

	server_free();
	assign_free_all();
	notify_close();
	supervise_cleanup();
	probe_cleanup();
	probe_stats_cleanup();
	cgroup_cleanup();
	spawn_cleanup();
	logs_cleanup();
	adopt_free();
	hold_free();
	for (i = 0; i < nsigs; i++) {
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	}
	if (agent.base != NULL)
		event_base_free(agent.base);
	libevent_global_shutdown();
	free(agent.sock_path);
	free(agent.logs_dir);
	free(agent.log_path);
	free(agent.run_dir);
	free(agent.state_dir);
	free(agent.self);
	free(agent.argv);
}

/* The agent's lock: one agent per run dir, held by the keeper. */
static int
agent_lock(void)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/agent.lock", agent.run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd == -1)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return errno == EWOULDBLOCK ? 1 : -errno;
	}
	return fd;
}

/* The keeper's start-up: everything that can refuse to start. */
static int
keeper_startup(struct options *o, struct keeper_args *ka)
{
	int	r;

	ka->ready_fd = ka->lock_fd = -1;
	ka->state_fd = o->state_fd;
	if (setup_dirs(o) != 0)
		return -1;	/* the directories are agent's now */
	ka->logs_dir = agent.logs_dir;
	ka->log_path = agent.log_path;
	if (o->state_fd != -1) {	/* exec'd again: all that is done */
		if (agent.log_path != NULL)
			log_open_file(agent.log_path);
		return 0;
	}
	if ((r = agent_lock()) >= 0 && r != 1) {
		ka->lock_fd = r;
		r = server_probe(agent.sock_path);
	}
	if (r < 0 || r == 1) {
		fprintf(stderr, "drover-agent: %s: %s\n", agent.run_dir,
		    r > 0 ? "another agent is running" : strerror(-r));
		return -1;
	}
	if (o->foreground)
		return 0;
	r = log_open_file(agent.log_path);
	if (r != 0 || (ka->ready_fd = daemonize()) == -1) {
		fprintf(stderr, "drover-agent: cannot daemonize: %s\n",
		    strerror(r ? -r : errno));
		return -1;
	}
	return 0;
}

/* The worker's start-up, before its loop. */
static int
worker_startup(struct options *o)
{
	int	r;

	if ((r = spawn_init()) != 0) {
		fprintf(stderr, "drover-agent: cannot set up spawning: %s\n",
		    strerror(-r));
		return -1;
	}
	if (setup_dirs(o) != 0)
		return -1;
	if (agent.log_path != NULL && (r = log_open_file(agent.log_path)) != 0)
		fprintf(stderr, "drover-agent: %s: %s\n", agent.log_path,
		    strerror(-r));
	if ((r = hold_init(o->worker_fd)) != 0) {
		log_error("no hand-over from the keeper: %s", strerror(-r));
		return -1;
	}
	return 0;
}

/* The worker: everything the agent does but holding and keeping. */
static int
worker_main(struct options *o)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2 };
	struct event		*ev[nitems(sigs)] = { NULL };
	char			*cause = NULL, *path;
	size_t			 i;
	int			 status = 0, r;

	if (worker_startup(o) != 0) {
		cleanup(ev, nitems(sigs));
		return 1;
	}
	if (o->connect != NULL)
		log_warn("--connect %s: not supported yet, listening only",
		    o->connect);

	signal(SIGPIPE, SIG_IGN);
	/* Exits come through pidfds; SIGCHLD must only not auto-reap. */
	signal(SIGCHLD, SIG_DFL);
	agent.base = setup_base();
	for (i = 0; i < nitems(sigs); i++) {
		ev[i] = evsignal_new(agent.base, sigs[i], signal_cb, NULL);
		event_add(ev[i], NULL);
	}
	spawn_save_signals();
	srand48((long)getpid() ^ (long)now_ms());
	hold_start();
	cgroup_init();
	probe_init();
	adopt_init();

	xasprintf(&path, "%s/notify.sock", agent.run_dir);
	if ((r = notify_open(path)) != 0) {
		log_error("cannot listen on %s: %s", path, strerror(-r));
		status = 1;
		agent_shutdown("cannot listen for notifications");
	}
	free(path);
	adopt_load();
	assign_load();
	adopt_finish();
	if (status != 0)
		;
	else if (server_listen(agent.sock_path, &cause) != 0) {
		log_error("cannot listen: %s", cause);
		free(cause);
		status = 1;
		agent_shutdown("cannot listen");
	} else {
		log_info("listening on %s (pid %ld)", agent.sock_path,
		    (long)getpid());
		hold_message("ready");
	}

	if (!agent.shutting_down || agent.nprocs > 0)
		event_base_dispatch(agent.base);
	if (agent.handing_off)
		adopt_flush();
	else if (status == 0)
		hold_message("bye");
	log_info("exiting");
	cleanup(ev, nitems(sigs));
	return status;
}

int
main(int argc, char **argv)
{
	struct options		 o = { .level = LOG_LEVEL_INFO, .worker_fd = -1,
				    .state_fd = -1 };
	struct keeper_args	 ka;
	char			 self[PATH_MAX];
	ssize_t			 n;
	int			 status;

	parse_args(argc, argv, &o);
	sanitize_fds();
	log_init("drover-agent", o.level);
	/* The binary, by the path it was started from: an upgrade replaces
	 * the file there and execs it. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		fprintf(stderr, "drover-agent: /proc/self/exe: %s\n",
		    strerror(errno));
		return 1;
	}
	self[n] = '\0';
	if (n > 10 && strcmp(self + n - 10, " (deleted)") == 0)
		self[n - 10] = '\0';
	agent.self = xstrdup(self);
	if (o.worker_fd != -1)
		return worker_main(&o);
	if (keeper_startup(&o, &ka) != 0) {
		cleanup(NULL, 0);
		return 1;
	}
	status = keeper_main(&ka);
	cleanup(NULL, 0);
	return status;
}
