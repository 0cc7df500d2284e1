/*
 * main.c — drover-agent: command line, daemonizing, the event loop,
 * signals, start-up and shutdown.
 *
 * Start-up: refuse to start when another agent answers on the socket,
 * open the instances' NOTIFY_SOCKET, load the persisted assignment (so
 * supervision does not wait for droverd), listen, tell systemd
 * (READY=1, STATUS=) and a waiting parent we are ready.
 * The agent's own NOTIFY_SOCKET (systemd's) is never passed to
 * instances: spawn.c drops it from their environment.
 * Shutdown (SIGTERM, SIGINT or a "shutdown" message): stop listening,
 * stop every instance, leave the loop once the last child is reaped,
 * free everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

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
		{ NULL, 0, NULL, 0 }
	};
	int	c;

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
	sd_notify(0, "STOPPING=1\nSTATUS=stopping the instances");
	agent.shutting_down = true;
	server_close_listener();
	assign_converge_all();
	agent_check_done();
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
}

/* Everything before the loop that can refuse to start. */
static int
startup(struct options *o, int *ready_fd)
{
	int	r;

	if ((r = spawn_init()) != 0) {
		fprintf(stderr, "drover-agent: cannot set up spawning: %s\n",
		    strerror(-r));
		return -1;
	}
	if (setup_dirs(o) != 0)
		return -1;	/* the directories are agent's now */
	if ((r = server_probe(agent.sock_path)) != 0) {
		fprintf(stderr, "drover-agent: %s: %s\n", agent.sock_path,
		    r > 0 ? "another agent is running" : strerror(-r));
		return -1;
	}
	if (o->foreground)
		return 0;
	xasprintf(&agent.log_path, "%s/agent.log", agent.state_dir);
	r = log_open_file(agent.log_path);
	if (r != 0 || (*ready_fd = daemonize()) == -1) {
		fprintf(stderr, "drover-agent: cannot daemonize: %s\n",
		    strerror(r ? -r : errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct options		 o = { .level = LOG_LEVEL_INFO };
	struct event		*ev[nitems(sigs)] = { NULL };
	char			*cause = NULL, *path;
	size_t			 i;
	int			 ready_fd = -1, status = 0, r;

	parse_args(argc, argv, &o);
	sanitize_fds();
	log_init("drover-agent", o.level);
	if (startup(&o, &ready_fd) != 0) {
		cleanup(ev, nitems(sigs));
		return 1;
	}
	if (o.connect != NULL)
		log_warn("--connect %s: not supported yet, listening only",
		    o.connect);

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
	cgroup_init();
	probe_init();

	xasprintf(&path, "%s/notify.sock", agent.run_dir);
	if ((r = notify_open(path)) != 0) {
		log_error("cannot listen on %s: %s", path, strerror(-r));
		status = 1;
		agent_shutdown("cannot listen for notifications");
	}
	free(path);
	assign_load();
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
		sd_notify(0, "READY=1\nSTATUS=supervising");
		if (ready_fd != -1 && write(ready_fd, "r", 1) == -1)
			log_warn("cannot tell the parent we are ready");
	}
	if (ready_fd != -1)
		close(ready_fd);

	if (!agent.shutting_down || agent.nprocs > 0)
		event_base_dispatch(agent.base);
	log_info("exiting");
	cleanup(ev, nitems(sigs));
	return status;
}
