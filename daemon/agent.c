/*
 * agent.c — droverd's side of the agent link, and the local agent.
 *
 * droverd connects to <run dir>/agent.sock. When nothing answers and an
 * agent path is configured, it starts drover-agent itself (in its own
 * session, so that the agent and the services outlive droverd) and starts
 * it again if it dies. Every change of desired state schedules one send of
 * the whole assignment (changes made in the same loop pass coalesce).
 * Reports from the agent update the instance views in service.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "droverd.h"
#include "link.h"
#include "log.h"
#include "util.h"

#define AGENT_RETRY_MIN_MS	5
#define AGENT_RETRY_MAX_MS	1000

static struct {
	struct bufferevent	*bev;
	bool			 connected;
	bool			 synced;	/* its inventory came */
	struct event		*retry;
	uint64_t		 retry_ms;
	struct event		*assign_ev;	/* deferred whole-assignment send */
	pid_t			 pid;		/* local agent we started, or 0 */
	uint64_t		 spawned_at;
	json_t			*hello;
	void			(*shutdown_cb)(void);
	struct event		*shutdown_timer;
} A;

static void	agent_connect(void);

static void
agent_schedule_retry(void)
{
	struct timeval	tv;

	if (D->shutting_down && A.shutdown_cb == NULL)
		return;
	if (A.retry_ms == 0)
		A.retry_ms = AGENT_RETRY_MIN_MS;
	tv.tv_sec = A.retry_ms / 1000;
	tv.tv_usec = (A.retry_ms % 1000) * 1000;
	evtimer_add(A.retry, &tv);
	A.retry_ms = A.retry_ms * 2 > AGENT_RETRY_MAX_MS ? AGENT_RETRY_MAX_MS :
	    A.retry_ms * 2;
}

/* Start drover-agent in its own session, with the same dirs. */
static void
agent_spawn(void)
{
	pid_t	pid;
	int	fd;

	if (D->agent_path == NULL || A.pid > 0 || D->shutting_down)
		return;
	pid = fork();
	if (pid == -1) {
		log_error("cannot start the agent: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigset_t	set;

		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		/* systemd's notifications are droverd's, not the agent's */
		unsetenv("NOTIFY_SOCKET");
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, STDIN_FILENO);
			if (fd > STDERR_FILENO)
				close(fd);
		}
		execlp(D->agent_path, "drover-agent", "--foreground",
		    "--run-dir", D->run_dir, "--state-dir", D->state_dir,
		    (char *)NULL);
		dprintf(STDERR_FILENO, "droverd: exec %s: %s\n", D->agent_path,
		    strerror(errno));
		_exit(127);
	}
	A.pid = pid;
	A.spawned_at = now_ms();
	log_info("started drover-agent (pid %ld)", (long)pid);
}

void
agent_reap(void)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != A.pid)
			continue;
		A.pid = 0;
		if (WIFEXITED(status))
			log_warn("drover-agent (pid %ld) exited with status %d",
			    (long)pid, WEXITSTATUS(status));
		else
			log_warn("drover-agent (pid %ld) killed by signal %d",
			    (long)pid, WTERMSIG(status));
		if (A.shutdown_cb != NULL) {
			A.shutdown_cb();
			return;
		}
		/* A crash-looping agent is started again at most once a second. */
		if (now_ms() - A.spawned_at < 1000)
			A.retry_ms = AGENT_RETRY_MAX_MS;
		if (!A.connected)
			agent_schedule_retry();
	}
}

static void
agent_disconnect(const char *why)
{
	if (A.bev != NULL) {
		bufferevent_free(A.bev);
		A.bev = NULL;
	}
	if (A.connected)
		log_warn("agent link lost: %s", why);
	A.connected = false;
	A.synced = false;
	if (A.shutdown_cb != NULL && A.pid == 0) {
		/* the agent is gone (and was not our child, or is reaped) */
		A.shutdown_cb();
		return;
	}
	if (A.shutdown_cb == NULL)
		agent_schedule_retry();
}

/* {"svc": [ms...]}: into each service's health check histogram. */
static void
agent_probe_durations(json_t *services)
{
	struct service	*s;
	const char	*name;
	json_t		*list, *ms;
	size_t		 i;

	json_object_foreach(services, name, list) {
		if ((s = service_find(name)) == NULL || !json_is_array(list))
			continue;
		json_array_foreach(list, i, ms)
			if (json_is_integer(ms) && json_integer_value(ms) >= 0)
				metrics_observe(&s->health_durations,
				    (double)json_integer_value(ms) / 1000);
	}
}

static void
agent_handle(json_t *msg)
{
	const char	*type = link_type(msg), *svc;
	json_t		*list, *inst;
	json_int_t	 index;
	size_t		 i;

	if (strcmp(type, "hello") == 0) {
		json_decref(A.hello);
		A.hello = json_incref(msg);
		log_info("agent link up (agent pid %lld)", (long long)
		    json_integer_value(json_object_get(msg, "pid")));
	} else if (strcmp(type, "inventory") == 0) {
		A.synced = true;
		service_views_reset();
		list = json_object_get(msg, "instances");
		json_array_foreach(list, i, inst)
			service_view_update(inst);
	} else if (strcmp(type, "instance") == 0) {
		service_view_update(msg);
	} else if (strcmp(type, "probe_durations") == 0) {
		agent_probe_durations(json_object_get(msg, "services"));
	} else if (strcmp(type, "removed") == 0) {
		if (json_unpack(msg, "{s:s, s:I}", "service", &svc, "index",
		    &index) == 0)
			service_view_remove(svc, index);
	} else
		log_debug("agent link: ignoring message of type %s", type);
}

static void
agent_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	json_t		*msg;
	char		*line, *cause;
	size_t		 len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		msg = link_decode(line, len, &cause);
		free(line);
		if (msg == NULL) {
			log_error("agent link: %s", cause);
			free(cause);
			agent_disconnect("bad message");
			return;
		}
		agent_handle(msg);
		json_decref(msg);
	}
	if (evbuffer_get_length(in) > LINK_LINE_MAX)
		agent_disconnect("message too long");
}

static void
agent_send(json_t *msg)
{
	char	*line;
	size_t	 len;

	if (!A.connected) {
		json_decref(msg);
		return;
	}
	line = link_encode(msg, &len);
	json_decref(msg);
	bufferevent_write(A.bev, line, len);
	free(line);
}

/*
 * Send the whole assignment. The message is composed around each
 * service's canonical text, straight into the link's output buffer: with
 * a thousand services this is one pass over ~1 MB instead of building and
 * encoding a thousand JSON trees. Names are [a-z0-9-] and revisions hex,
 * so nothing needs quoting.
 */
static void
agent_assign_cb(evutil_socket_t fd, short what, void *arg)
{
	struct evbuffer	*out;
	struct service	*s;
	size_t		 i;

	if (!A.connected || D->shutting_down)
		return;
	out = bufferevent_get_output(A.bev);
	evbuffer_add_printf(out, "{\"v\":%d,\"type\":\"assign\","
	    "\"services\":[", LINK_VERSION);
	for (i = 0; i < D->nservices; i++) {
		s = D->services[i];
		evbuffer_add_printf(out, "%s{\"name\":\"%s\",\"revision\":"
		    "\"%s\",\"instances\":%u,\"enabled\":%s,"
		    "\"restart_gen\":%lld,\"start_gen\":%lld,\"spec\":",
		    i ? "," : "", s->name, s->revision, s->m->instances,
		    s->enabled ? "true" : "false", (long long)s->restart_gen,
		    (long long)s->start_gen);
		evbuffer_add(out, service_canon(s), strlen(service_canon(s)));
		rollout_assign_print(out, s);
		evbuffer_add(out, "}", 1);
	}
	evbuffer_add(out, "]}\n", 3);
}

void
agent_assign(void)
{
	/* before agent_init, the first connection sends the assignment */
	if (A.assign_ev != NULL)
		event_active(A.assign_ev, EV_TIMEOUT, 0);
}

/* A connection attempt found no agent: start a local one, then retry
 * (or, while shutting down, there is nothing left to stop). */
static void
agent_nobody_home(void)
{
	bufferevent_free(A.bev);
	A.bev = NULL;
	if (A.shutdown_cb != NULL) {
		A.shutdown_cb();
		return;
	}
	agent_spawn();
	agent_schedule_retry();
}

static void
agent_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_CONNECTED) {
		A.connected = true;
		A.retry_ms = 0;
		if (A.shutdown_cb != NULL) {
			agent_send(link_msg_new("shutdown"));
			return;
		}
		agent_assign();
		return;
	}
	if (what & BEV_EVENT_EOF)
		agent_disconnect("agent closed the link");
	else if (what & BEV_EVENT_ERROR) {
		if (!A.connected)
			agent_nobody_home();
		else
			agent_disconnect(strerror(EVUTIL_SOCKET_ERROR()));
	}
}

static void
agent_connect(void)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	int			 fd;

	if (A.bev != NULL)
		return;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/agent.sock",
	    D->run_dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_error("agent link: socket: %s", strerror(errno));
		agent_schedule_retry();
		return;
	}
	A.bev = bufferevent_socket_new(D->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(A.bev, agent_read_cb, NULL, agent_event_cb, NULL);
	bufferevent_enable(A.bev, EV_READ);
	if (bufferevent_socket_connect(A.bev, (struct sockaddr *)&sun,
	    sizeof(sun)) < 0) {
		/* refused at once and no callback will run */
		agent_nobody_home();
	}
}

static void
agent_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	agent_connect();
}

void
agent_init(void)
{
	A.retry = evtimer_new(D->base, agent_retry_cb, NULL);
	A.assign_ev = event_new(D->base, -1, 0, agent_assign_cb, NULL);
	agent_connect();
}

bool
agent_connected(void)
{
	return A.connected;
}

bool
agent_synced(void)
{
	return A.connected && A.synced;
}

pid_t
agent_pid(void)
{
	if (!A.connected || A.hello == NULL)
		return 0;
	return (pid_t)json_integer_value(json_object_get(A.hello, "pid"));
}

json_t *
agent_to_json(void)
{
	json_t	*a;

	a = json_pack("{s:b, s:I}", "connected", A.connected,
	    "started_pid", (json_int_t)A.pid);
	if (A.hello != NULL) {
		json_object_set(a, "pid", json_object_get(A.hello, "pid"));
		json_object_set(a, "version",
		    json_object_get(A.hello, "version"));
	}
	return json_pack("{s:[o]}", "agents", a);
}

int
agent_upgrade(void)
{
	if (!A.connected)
		return -ENOTCONN;
	log_info("asking the agent to upgrade in place");
	agent_send(link_msg_new("upgrade"));
	return 0;
}

static void
agent_shutdown_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	log_warn("agent did not stop in time; leaving it");
	A.shutdown_cb();
}

void
agent_shutdown(void (*cb)(void))
{
	struct timeval	tv = { 120, 0 };

	A.shutdown_cb = cb;
	if (A.shutdown_timer == NULL) {
		A.shutdown_timer = evtimer_new(D->base,
		    agent_shutdown_timeout_cb, NULL);
		evtimer_add(A.shutdown_timer, &tv);
	}
	if (A.connected)
		agent_send(link_msg_new("shutdown"));
	else if (A.bev == NULL)
		agent_connect();
}

void
agent_free(void)
{
	if (A.bev != NULL)
		bufferevent_free(A.bev);
	if (A.retry != NULL)
		event_free(A.retry);
	if (A.assign_ev != NULL)
		event_free(A.assign_ev);
	if (A.shutdown_timer != NULL)
		event_free(A.shutdown_timer);
	json_decref(A.hello);
	memset(&A, 0, sizeof(A));
}
