/*
 * main.c — droverd's command line, start-up and shutdown.
 *
 * Start-up order: load the persisted state, apply the manifest files that
 * changed since they were last applied, listen on the control socket, then
 * link to (or start) the agent. Without --foreground droverd detaches, and
 * the starting process exits only once the daemon serves its socket, so
 * that `droverd && droverctl status` works.
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

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "droverd.h"
#include "log.h"
#include "util.h"

#define DEFAULT_LISTEN	"127.0.0.1:7780"

struct daemon	*D;
static int	 ready_fd = -1;
static bool	 reexec;		/* exec again once the loop is left */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: droverd [--foreground] [--manifests DIR] [--state-dir DIR]\n"
"               [--run-dir DIR] [--listen ADDR:PORT|none]\n"
"               [--token-file FILE] [--agent PATH|none] [--log-level LEVEL]\n"
"       droverd --check DIR|FILE...\n"
"       droverd --version\n");
}

/* --check: validate offline, print every problem, exit 1 if any. */
static int
check_paths(char **paths, int n)
{
	struct manifest	**ms;
	struct diags	  d = { 0 };
	size_t		  nm, total = 0, i;
	int		  k, bad = 0;

	for (k = 0; k < n; k++) {
		if (manifest_load_path(paths[k], &ms, &nm, &d) < 0) {
			bad = 1;
			continue;
		}
		for (i = 0; i < nm; i++)
			manifest_free(ms[i]);
		free(ms);
		total += nm;
	}
	diags_print(&d, stderr);
	diags_clear(&d);
	if (!bad)
		printf("%zu manifest%s valid\n", total, total == 1 ? "" : "s");
	return bad;
}

/* The agent binary next to ours, else drover-agent from PATH. */
static char *
default_agent_path(void)
{
	char	self[PATH_MAX], *slash, *p;
	ssize_t	n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			xasprintf(&p, "%s/drover-agent", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("drover-agent");
}

/* Detach; the parent waits for one byte meaning "serving". */
static void
daemonize(void)
{
	int	p[2];
	char	c;
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		perror("droverd: pipe");
		exit(1);
	}
	if ((pid = fork()) == -1) {
		perror("droverd: fork");
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if ((pid = fork()) == -1)
		_exit(1);
	if (pid > 0)
		_exit(0);
	ready_fd = p[1];
}

/* A detached droverd (and the agent it starts) writes to droverd.log. */
static void
detach_stdio(void)
{
	char	*path;
	int	 fd;

	if ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	xasprintf(&path, "%s/droverd.log", D->state_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd != -1) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	free(path);
}

void
droverd_exit(void)
{
	D->shutting_down = true;
	event_base_loopexit(D->base, NULL);
}

void
droverd_reexec(void)
{
	if (D->shutting_down)
		return;
	log_info("upgrade: closing, then exec droverd again (the agent and "
	    "the services keep running)");
	reexec = true;
	droverd_exit();
}

/*
 * Exec the binary at the path droverd was started from (an upgrade
 * replaced it there), with the same options, in the foreground: a
 * detached droverd is detached already, and keeps its pid.
 */
static void
droverd_exec_again(char **argv, int argc, const char *self)
{
	char	**v = xcalloc((size_t)argc + 2, sizeof(*v));
	int	  i, n = 0;
	bool	  fg = false;

	for (i = 0; i < argc; i++) {
		v[n++] = argv[i];
		fg = fg || strcmp(argv[i], "--foreground") == 0;
	}
	if (!fg)
		v[n++] = "--foreground";
	execv(self, v);
	log_error("cannot exec %s: %s", self, strerror(errno));
	free(v);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	service_flush();
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: stopping droverd (the agent and the "
		    "services keep running)", (int)sig);
		droverd_exit();
		break;
	case SIGUSR2:
		droverd_reexec();
		break;
	case SIGHUP:
		if (D->manifests_dir != NULL) {
			log_info("SIGHUP: applying %s", D->manifests_dir);
			service_apply_dir(D->manifests_dir, false);
		}
		break;
	case SIGCHLD:
		agent_reap();
		break;
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground",	no_argument,		NULL, 'f' },
		{ "manifests",	required_argument,	NULL, 'm' },
		{ "state-dir",	required_argument,	NULL, 's' },
		{ "run-dir",	required_argument,	NULL, 'r' },
		{ "listen",	required_argument,	NULL, 'l' },
		{ "token-file",	required_argument,	NULL, 't' },
		{ "agent",	required_argument,	NULL, 'a' },
		{ "log-level",	required_argument,	NULL, 'L' },
		{ "check",	required_argument,	NULL, 'c' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD,
	    SIGUSR2 };
	struct event	*sigev[nitems(sigs)], *flush_ev = NULL;
	struct timeval	 flush_after = { 2, 0 };
	struct daemon	 d = { 0 };
	enum log_level	 level = LOG_LEVEL_INFO;
	const char	*check = NULL, *token_file = NULL;
	const char	*listen = DEFAULT_LISTEN;
	const char	*agent = NULL;
	char		 self[PATH_MAX];
	ssize_t		 n;
	size_t		 i;
	int		 c, rc = 0;

	D = &d;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': d.foreground = true; break;
		case 'm': d.manifests_dir = xstrdup(optarg); break;
		case 's': d.state_dir = xstrdup(optarg); break;
		case 'r': d.run_dir = xstrdup(optarg); break;
		case 'l': listen = optarg; break;
		case 't': token_file = optarg; break;
		case 'a': agent = optarg; break;
		case 'L':
			if (log_level_parse(optarg, &level) < 0) {
				fprintf(stderr, "droverd: --log-level %s: "
				    "expected debug, info, warn or error\n",
				    optarg);
				return 2;
			}
			break;
		case 'c': check = optarg; break;
		case 'V': printf("droverd %s\n", DROVER_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (check != NULL) {
		argv[optind - 1] = (char *)check;
		return check_paths(argv + optind - 1, argc - optind + 1);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* For an upgrade: the binary, by the path it was started from. */
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if (n > 10 && strcmp(self + n - 10, " (deleted)") == 0)
			self[n - 10] = '\0';
	} else
		snprintf(self, sizeof(self), "%s", argv[0]);
	log_init("droverd", level);
	if (strcmp(listen, "none") != 0)
		d.listen = xstrdup(listen);
	if (d.run_dir == NULL)
		d.run_dir = default_run_dir();
	if (d.state_dir == NULL)
		d.state_dir = default_state_dir();
	if (agent == NULL)
		d.agent_path = default_agent_path();
	else if (strcmp(agent, "none") != 0)
		d.agent_path = xstrdup(agent);
	if (mkdir_p(d.run_dir, 0755) < 0 || mkdir_p(d.state_dir, 0755) < 0) {
		fprintf(stderr, "droverd: cannot create %s or %s: %s\n",
		    d.run_dir, d.state_dir, strerror(errno));
		return 1;
	}
	if (token_file != NULL && api_set_token_file(token_file) < 0) {
		fprintf(stderr, "droverd: cannot read a token from %s\n",
		    token_file);
		return 1;
	}
	if (!d.foreground)
		daemonize();
	signal(SIGPIPE, SIG_IGN);

	d.base = event_base_new();
	if (d.base == NULL) {
		log_error("cannot create the event loop");
		return 1;
	}
	for (i = 0; i < nitems(sigs); i++) {
		sigev[i] = evsignal_new(d.base, sigs[i], signal_cb, NULL);
		evsignal_add(sigev[i], NULL);
	}
	if (service_load_all() < 0 || api_init() < 0) {
		rc = 1;
		goto out;
	}
	rollout_resume_all();
	/* Problems with the manifests still reach the starting terminal. */
	if (d.manifests_dir != NULL)
		service_apply_dir(d.manifests_dir, true);
	/* Detach before the agent is started: it inherits stdout/stderr. */
	if (ready_fd != -1)
		detach_stdio();
	agent_init();
	/* the state files of the start-up manifests, once the agent has had
	 * time to start the services (writing a thousand files competes with
	 * a thousand spawns for this host's disk and cores) */
	flush_ev = evtimer_new(d.base, flush_cb, NULL);
	evtimer_add(flush_ev, &flush_after);
	log_info("droverd %s ready: %zu services, socket %s/droverd.sock",
	    DROVER_VERSION, d.nservices, d.run_dir);
	sd_notify(0, "READY=1\nSTATUS=serving");
	if (ready_fd != -1) {
		if (write(ready_fd, "", 1) != 1)
			log_warn("cannot tell the starting process we are up");
		close(ready_fd);
		ready_fd = -1;
	}
	event_base_dispatch(d.base);
	sd_notify(0, "STOPPING=1");
	log_info("droverd stopped");
out:
	service_flush();
	if (flush_ev != NULL)
		event_free(flush_ev);
	agent_free();
	api_free();
	service_free_all();
	json_decref(d.file_hashes);
	for (i = 0; i < nitems(sigs); i++)
		event_free(sigev[i]);
	event_base_free(d.base);
	free(d.run_dir);
	free(d.state_dir);
	free(d.manifests_dir);
	free(d.listen);
	free(d.agent_path);
	libevent_global_shutdown();
	/* argv as given: getopt moved nothing, there are no operands */
	if (reexec && rc == 0)
		droverd_exec_again(argv, argc, self);
	return rc;
}
