/*
 * supervise.c — the instance state machine.
 *
 *   pending -> starting -> running -> ready      (exec succeeded)
 *   starting -> failed                           (the spawn failed)
 *   any live state -> stopping -> exited         (stop signal, SIGKILL later)
 *   exit -> starting                             (restart without delay)
 *   exit -> backoff -> starting                  (restart after a delay)
 *   exit -> crashloop -> starting                (limit hit, action slow)
 *   exit -> failed                               (limit hit, action fail)
 *   exit -> exited                               (policy says no restart)
 *
 * A spawn that fails because of what it asks (missing binary, bad
 * workdir, unknown user, a limit this host cannot enforce) goes straight
 * to failed with the child's reason in last_error, and stays there until
 * `start`, `restart` or a new revision: retrying cannot help. Only a
 * failure to create any process (fork: EAGAIN) is retried, as a crash,
 * with the backoff and within the limit. A crash loop that went slow
 * stays slow until a start stays up for reset_after.
 *
 * One function per event: supervise_converge (the assignment changed),
 * inst_exit_cb (the process ended: its pidfd became readable),
 * inst_timer_cb (backoff over, or stop timeout), and from the probes
 * (probe.c) supervise_set_ready (readiness passing or failing) and
 * supervise_unhealthy (liveness failing, startup never passed). Every
 * state change goes through inst_set_state, which logs one line in one
 * shape and reports the instance to every connected droverd.
 *
 * Readiness: an instance is ready once its exec succeeded, unless its
 * spec has a startup or readiness probe, or readiness.notify: then it
 * stays running until it is ready, and moves between running and ready
 * as the probes and its notifications say. With both, both must agree:
 * ready once READY=1 was received and the probes pass (startup passed,
 * readiness passing); either one failing (a probe failing, RELOADING=1
 * until the next READY=1) makes it running again. STOPPING=1 makes it
 * running until its next exec, notify or not. Notifications come from
 * notify.c (supervise_notify), only from the instance's own processes;
 * STATUS= is kept as status_text until the next exec.
 *
 * An instance stopped because a probe said so, or because its watchdog
 * (readiness.watchdog: a WATCHDOG=1 at least that often from the exec
 * on) expired or it sent WATCHDOG=trigger, counts as a crash when it
 * has exited: the restart policy (never: it stays exited), the backoff
 * and the limit apply.
 *
 * MAINPID= is checked (the pid must be one of the instance's processes)
 * and recorded, but the agent goes on watching the process it started:
 * when that one exits, the instance has exited (and whatever is left of
 * it is killed), whatever MAINPID said.
 *
 * An instance of a service with `listen` gets the service's sockets
 * (listen.c) as fds 3... with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID;
 * a socket that cannot be bound fails the instance, like a missing
 * binary.
 *
 * Invariants: pid != 0 exactly while a process of ours is unreaped, and
 * then pidfd is open and exit_ev armed on it; a timer is armed only in
 * backoff, crashloop or stopping; probes run, and the watchdog is armed
 * (only with readiness.watchdog), only in running and ready; nothing
 * here polls. A crash restart
 * with no delay happens inside the exit callback: that is the restart
 * latency path, so logging and reporting come after the spawn.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "link.h"
#include "log.h"
#include "util.h"

static const char *const inst_state_names[] = {
	[INST_WAITING] = "waiting",
	[INST_PENDING] = "pending",
	[INST_STARTING] = "starting",
	[INST_RUNNING] = "running",
	[INST_READY] = "ready",
	[INST_STOPPING] = "stopping",
	[INST_EXITED] = "exited",
	[INST_BACKOFF] = "backoff",
	[INST_FAILED] = "failed",
	[INST_CRASHLOOP] = "crashloop",
};

/* What the assignment wants of one instance. */
enum inst_want { WANT_RUN, WANT_STOPPED, WANT_GONE };

static void	inst_start(struct inst *, const char *why);

/* Instances held in `waiting`, and the deferred wake-up of them. */
static unsigned		 nwaiting;
static struct event	*wake_ev;

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	assign_wake_waiting();
}
static void	inst_schedule_restart(struct inst *, uint64_t ran_ms,
		    uint64_t min_delay, const char *what);
static void	inst_timer_cb(evutil_socket_t, short, void *);
static void	inst_exit_cb(evutil_socket_t, short, void *);

struct inst *
supervise_new(struct svc *svc, unsigned index)
{
	struct inst		*inst = xcalloc(1, sizeof(*inst));
	const struct want	*w = assign_want(svc, index);

	inst->svc = svc;
	inst->index = index;
	inst->state = INST_PENDING;
	inst->pidfd = -1;
	inst->cgfd = -1;
	inst->spec = spec_ref(w != NULL ? w->spec : svc->spec);
	inst->restart_gen = w != NULL ? w->gen : 0;
	inst->start_gen = svc->start_gen;
	inst->since = wall_ms();
	adopt_restore(inst);
	return inst;
}

static void
inst_timer_clear(struct inst *inst)
{
	if (inst->timer != NULL) {
		event_free(inst->timer);
		inst->timer = NULL;
	}
	inst->next_start = 0;
}

static void
inst_timer_set(struct inst *inst, uint64_t ms)
{
	struct timeval	tv;

	if (inst->timer == NULL)
		inst->timer = evtimer_new(agent.base, inst_timer_cb, inst);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(inst->timer, &tv);
}

void
supervise_cleanup(void)
{
	if (wake_ev != NULL)
		event_free(wake_ev);
	wake_ev = NULL;
}

/* Frees the instance; its process, if any, is no longer ours to track. */
void
supervise_free(struct inst *inst)
{
	if (inst == NULL)
		return;
	adopt_touch();
	if (inst->state == INST_WAITING)
		nwaiting--;
	if (inst->exit_ev != NULL)
		event_free(inst->exit_ev);
	if (inst->pidfd != -1) {
		close(inst->pidfd);
		agent.nprocs--;
	}
	inst_timer_clear(inst);
	notify_watchdog_stop(inst);
	probe_free(inst->health);
	cgroup_release(inst->svc->name, inst->index, inst->cgfd);
	logs_free(inst->logs);
	spec_unref(inst->spec);
	free(inst->last_error);
	free(inst->status_text);
	free(inst);
}

json_t *
supervise_json(const struct inst *inst)
{
	uint64_t	now, next = 0;
	json_t		*o;

	if (inst->state == INST_BACKOFF || inst->state == INST_CRASHLOOP) {
		now = now_ms();
		next = inst->next_start > now ? inst->next_start - now : 0;
	}
	o = json_object();
	json_object_set_new(o, "service", json_string(inst->svc->name));
	json_object_set_new(o, "index", json_integer(inst->index));
	json_object_set_new(o, "pid", json_integer(inst->pid));
	json_object_set_new(o, "state",
	    json_string(inst_state_names[inst->state]));
	probe_json(inst, o);
	json_object_set_new(o, "restarts", json_integer(inst->restarts));
	json_object_set_new(o, "revision", json_string(inst->spec->revision));
	json_object_set_new(o, "gen", json_integer(inst->restart_gen));
	json_object_set_new(o, "last_error", inst->last_error ?
	    json_string(inst->last_error) : json_null());
	json_object_set_new(o, "status_text", inst->status_text ?
	    json_string(inst->status_text) : json_null());
	json_object_set_new(o, "next_start_ms", json_integer((json_int_t)next));
	json_object_set_new(o, "next_start", json_integer(next > 0 ?
	    (json_int_t)(wall_ms() + next) : 0));
	json_object_set_new(o, "since", json_integer((json_int_t)inst->since));
	return o;
}

void
supervise_report(const struct inst *inst)
{
	json_t	*msg;

	if (!server_has_peers())
		return;
	msg = link_msg_new("instance");
	json_object_update_new(msg, supervise_json(inst));
	server_broadcast(msg);
}

/* The one place a state changes: log it, then tell droverd. */
static void __attribute__((format(printf, 3, 4)))
inst_set_state(struct inst *inst, enum inst_state to, const char *fmt, ...)
{
	enum inst_state	 from = inst->state;
	char		 detail[256] = "";
	va_list		 ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	inst->state = to;
	inst->since = wall_ms();
	adopt_touch();
	nwaiting += (to == INST_WAITING) - (from == INST_WAITING);
	/* a service became ready or stopped being: dependents may move */
	if (nwaiting > 0 && (to == INST_READY) != (from == INST_READY)) {
		if (wake_ev == NULL)
			wake_ev = event_new(agent.base, -1, 0, wake_cb, NULL);
		event_active(wake_ev, EV_TIMEOUT, 0);
	}
	if (to != INST_RUNNING && to != INST_READY) {
		probe_stop(inst);
		notify_watchdog_stop(inst);
	}
	log_msg(to == INST_FAILED || to == INST_CRASHLOOP ? LOG_LEVEL_WARN :
	    LOG_LEVEL_INFO, "service %s/%u: %s -> %s%s%s%s", inst->svc->name,
	    inst->index, inst_state_names[from], inst_state_names[to],
	    *detail ? " (" : "", detail, *detail ? ")" : "");
	/* Nothing runs and nothing will soon: the cgroup goes. */
	if ((to == INST_EXITED || to == INST_FAILED) && inst->pid == 0) {
		cgroup_release(inst->svc->name, inst->index, inst->cgfd);
		inst->cgfd = -1;
	}
	supervise_report(inst);
}

static void
inst_set_error(struct inst *inst, char *error)
{
	free(inst->last_error);
	inst->last_error = error;
}

static enum inst_want
inst_want(const struct inst *inst)
{
	const struct svc	*svc = inst->svc;

	if (assign_want(svc, inst->index) == NULL)
		return WANT_GONE;
	if (agent.shutting_down || !svc->enabled)
		return WANT_STOPPED;
	return WANT_RUN;
}

/* Ask the process group to stop; SIGKILL follows after stop.timeout. */
static void
inst_stop(struct inst *inst, const char *why)
{
	const struct manifest	*m = inst->spec->m;

	if (kill(-inst->pid, m->stop.signal) == -1 && errno == ESRCH)
		kill(inst->pid, m->stop.signal);
	inst_timer_clear(inst);
	inst_timer_set(inst, m->stop.timeout_ms);
	inst_set_state(inst, INST_STOPPING, "pid %ld, %s, SIG%s",
	    (long)inst->pid, why, sigabbrev_np(m->stop.signal) ?
	    sigabbrev_np(m->stop.signal) : "?");
}

/* The instance is gone for good: tell droverd, unlink, free. */
static void
inst_remove(struct inst *inst)
{
	struct svc	*svc = inst->svc;
	json_t		*msg;

	log_info("service %s/%u: %s -> removed", svc->name, inst->index,
	    inst_state_names[inst->state]);
	if (server_has_peers()) {
		msg = link_msg_new("removed");
		json_object_set_new(msg, "service", json_string(svc->name));
		json_object_set_new(msg, "index", json_integer(inst->index));
		server_broadcast(msg);
	}
	svc->inst[inst->index] = NULL;
	svc->live--;
	supervise_free(inst);
	assign_svc_check(svc);
}

/* A new revision or generation: a fresh start, counters cleared. */
static void
inst_renew(struct inst *inst, const struct want *w)
{
	struct svc	*svc = inst->svc;

	if (inst->spec != w->spec) {
		spec_unref(inst->spec);
		inst->spec = spec_ref(w->spec);
		inst->restarts = 0;
		listen_prune(svc);	/* the old revision's may go */
	} else if (inst->restart_gen != w->gen)
		inst->restarts++;
	inst->restart_gen = w->gen;
	inst->start_gen = svc->start_gen;
	restart_count_clear(&inst->rc);
	inst->done = false;
	inst_set_error(inst, NULL);
}

static void
inst_converge_run(struct inst *inst)
{
	struct svc		*svc = inst->svc;
	const struct want	*w = assign_want(svc, inst->index);
	struct spec		*old;
	bool			 changed;

	if (inst->spec != w->spec && spec_same_run(inst->spec, w->spec)) {
		/* only live settings changed: the process runs on under them */
		log_info("service %s/%u: revision %s -> %s applied live",
		    svc->name, inst->index, inst->spec->revision,
		    w->spec->revision);
		old = inst->spec;
		inst->spec = spec_ref(w->spec);
		probe_respec(inst);	/* its checks still point into old */
		spec_unref(old);
		supervise_report(inst);
	}
	changed = inst->spec != w->spec || inst->restart_gen != w->gen;
	if (inst->pid != 0) {
		if (inst->state == INST_STOPPING)
			return;		/* the exit converges again */
		if (inst->spec != w->spec)
			inst_stop(inst, "new revision");
		else if (inst->restart_gen != w->gen)
			inst_stop(inst, "restart requested");
		else if (inst->start_gen != svc->start_gen) {
			/* `start` of a running instance: a clean slate. */
			inst->start_gen = svc->start_gen;
			restart_count_clear(&inst->rc);
		}
		return;
	}
	if (changed || inst->start_gen != svc->start_gen) {
		inst_timer_clear(inst);
		inst_renew(inst, w);
		inst_start(inst, NULL);
		return;
	}
	switch (inst->state) {
	case INST_PENDING:
	case INST_WAITING:
		inst_start(inst, NULL);
		break;
	case INST_EXITED:
		if (!inst->done)
			inst_start(inst, NULL);
		break;
	default:
		break;		/* backoff, crashloop, failed: left alone */
	}
}

void
supervise_converge(struct inst *inst)
{
	switch (inst_want(inst)) {
	case WANT_GONE:
		if (inst->pid == 0)
			inst_remove(inst);
		else if (inst->state != INST_STOPPING)
			inst_stop(inst, "unassigned");
		break;
	case WANT_STOPPED:
		if (inst->pid != 0) {
			if (inst->state != INST_STOPPING)
				inst_stop(inst, agent.shutting_down ?
				    "shutdown" : "disabled");
		} else if (inst->state != INST_EXITED) {
			inst_timer_clear(inst);
			inst->done = false;
			inst_set_state(inst, INST_EXITED, NULL);
		}
		break;
	case WANT_RUN:
		inst_converge_run(inst);
		break;
	}
}

static bool
env_same_key(const char *a, const char *b)
{
	size_t	klen = strcspn(a, "=");

	return strncmp(a, b, klen + 1) == 0;
}

/* own + extra (both NULL-terminated, malloc'd), extra's keys winning. */
static char **
env_override(char **own, char **extra)
{
	size_t	i, j, n = 0, no, ne;

	if (extra == NULL)
		return own;
	for (no = 0; own[no] != NULL; no++)
		;
	for (ne = 0; extra[ne] != NULL; ne++)
		;
	own = xreallocarray(own, no + ne + 1, sizeof(*own));
	for (i = 0; i < no; i++) {
		for (j = 0; j < ne && !env_same_key(own[i], extra[j]); j++)
			;
		if (j < ne)
			free(own[i]);
		else
			own[n++] = own[i];
	}
	for (j = 0; j < ne; j++)
		own[n++] = extra[j];
	own[n] = NULL;
	free(extra);
	return own;
}

/*
 * The environment of an instance's processes: the agent's own (less
 * what belongs to the agent) overridden by the instance's variables,
 * themselves overridden by `extra` (taken over).
 */
char **
supervise_env(const struct inst *inst, char **extra, char ***ienv)
{
	char *const	*base = spawn_base_env();
	char		**own, **envp;
	size_t		  i, j, n = 0, nb, ni;

	own = env_override(manifest_instance_env(inst->spec->m, inst->index),
	    extra);
	for (nb = 0; base[nb] != NULL; nb++)
		;
	for (ni = 0; own[ni] != NULL; ni++)
		;
	envp = xcalloc(nb + ni + 1, sizeof(*envp));
	for (i = 0; i < nb; i++) {
		for (j = 0; j < ni && !env_same_key(base[i], own[j]); j++)
			;
		if (j == ni)
			envp[n++] = base[i];
	}
	for (j = 0; j < ni; j++)
		envp[n++] = own[j];
	*ienv = own;
	return envp;
}

/* "NAME=" with room for the pid the child writes into *slot. */
static char *
env_pid_slot(const char *name, char **slot)
{
	size_t	n = strlen(name);
	char	*e = xcalloc(1, n + 1 + SPAWN_PID_LEN);

	memcpy(e, name, n);
	e[n] = '=';
	*slot = e + n + 1;
	return e;
}

/*
 * What the agent tells the process (malloc'd, NULL-terminated):
 * NOTIFY_SOCKET with readiness.notify or a watchdog, WATCHDOG_USEC and
 * WATCHDOG_PID with one, LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID with
 * listen sockets; the pids are filled in by the child (req->pid_slots).
 */
static char **
inst_env_extra(const struct inst *inst, struct spawn_req *req)
{
	const struct manifest	*m = inst->spec->m;
	char			**v = xcalloc(7, sizeof(*v)), *names;
	size_t			  n = 0, i, len = 1;

	if ((m->readiness.notify || m->readiness.watchdog_ms > 0) &&
	    notify_socket_path() != NULL)
		xasprintf(&v[n++], "NOTIFY_SOCKET=%s", notify_socket_path());
	if (m->readiness.watchdog_ms > 0) {
		xasprintf(&v[n++], "WATCHDOG_USEC=%" PRIu64,
		    m->readiness.watchdog_ms * 1000);
		v[n++] = env_pid_slot("WATCHDOG_PID", &req->pid_slots[0]);
	}
	if (m->nlisten == 0)
		return v;
	xasprintf(&v[n++], "LISTEN_FDS=%zu", m->nlisten);
	for (i = 0; i < m->nlisten; i++)
		len += strlen(m->listen[i].name) + 1;
	names = xcalloc(1, len);
	for (i = 0; i < m->nlisten; i++) {
		if (i > 0)
			strcat(names, ":");
		strcat(names, m->listen[i].name);
	}
	xasprintf(&v[n++], "LISTEN_FDNAMES=%s", names);
	free(names);
	v[n++] = env_pid_slot("LISTEN_PID", &req->pid_slots[1]);
	return v;
}

/* Its cgroup, made at the first start after it had none. */
static int
inst_cgroup(struct inst *inst, char **cause)
{
	const struct manifest	*m = inst->spec->m;
	int			 fd;

	if ((*cause = cgroup_check_limits(m)) != NULL)
		return -ENOTSUP;
	if (!cgroup_enabled() || inst->cgfd != -1)
		return 0;
	if ((fd = cgroup_open(inst->svc->name, inst->index, m, cause)) < 0)
		return fd;
	inst->cgfd = fd;
	return 0;
}

/* Build the request for this instance's spec and start it. */
static pid_t
inst_spawn(struct inst *inst, int *pidfd, char **cause)
{
	const struct manifest	*m = inst->spec->m;
	char			**argv, **ienv, **envp;
	char			*workdir = NULL;
	struct spawn_req	 req;
	size_t			 i;
	pid_t			 pid;
	bool			 owned;
	int			 r, fds[SPAWN_FDS_MAX];

	if ((r = inst_cgroup(inst, cause)) < 0)
		return r;
	if (m->nlisten > 0 && (r = listen_get(inst->svc, m, fds, cause)) < 0)
		return r == -EAGAIN ? -EADDRNOTAVAIL : r;	/* no retry */
	memset(&req, 0, sizeof(req));
	argv = xcalloc(m->ncommand + 1, sizeof(*argv));
	for (i = 0; i < m->ncommand; i++)
		argv[i] = manifest_expand(m, m->command[i], inst->index);
	envp = supervise_env(inst, inst_env_extra(inst, &req), &ienv);
	if (m->workdir != NULL)
		workdir = manifest_expand(m, m->workdir, inst->index);

	req.fds = fds;
	req.nfds = (unsigned)m->nlisten;
	req.argv = argv;
	req.envp = envp;
	req.workdir = workdir;
	req.outfd = logs_output_fd(inst, &owned);
	req.nofile = m->limits.nofile;
	req.user = m->user;
	req.group = m->group;
	req.cgroup_fd = inst->cgfd;
	pid = spawn_start(&req, pidfd, cause);

	if (owned)
		close(req.outfd);
	free(workdir);
	free(envp);
	strv_free(ienv);
	strv_free(argv);
	return pid;
}

/*
 * depends_on: hold the instance in `waiting` while a service it depends on
 * is not ready, rather than start it into a crash loop. True when held.
 */
static bool
inst_held(struct inst *inst)
{
	const struct manifest	*m = inst->spec->m;
	const struct svc	*dep;
	char			 why[MANIFEST_NAME_MAX + 16];
	size_t			 i;

	for (i = 0; i < m->ndepends_on; i++) {
		dep = assign_find(m->depends_on[i]);
		if (dep != NULL && assign_svc_ready(dep))
			continue;
		snprintf(why, sizeof(why), "%s not ready", m->depends_on[i]);
		if (inst->state != INST_WAITING || inst->last_error == NULL ||
		    strcmp(inst->last_error, why) != 0) {
			inst_set_error(inst, xstrdup(why));
			inst_set_state(inst, INST_WAITING, "%s", why);
		}
		return true;
	}
	if (inst->state == INST_WAITING)
		inst_set_error(inst, NULL);
	return false;
}

/* Start a process now; `why` completes the log line. */
static void
inst_start(struct inst *inst, const char *why)
{
	char			*cause = NULL, what[256];
	pid_t			 pid;
	int			 pidfd;

	inst_timer_clear(inst);
	if (inst_held(inst))
		return;
	inst->unhealthy = false;
	inst->notified = NOTIFIED_NOTHING;
	inst->main_pid = 0;
	free(inst->status_text);
	inst->status_text = NULL;
	pid = inst_spawn(inst, &pidfd, &cause);
	if (pid == -EAGAIN) {
		/* No process could be made: retried like a crash, later. */
		snprintf(what, sizeof(what), "%s", cause);
		inst_set_error(inst, cause);
		inst->started = now_ms();
		inst_schedule_restart(inst, 0, 1, what);
		return;
	}
	if (pid < 0) {
		/* It cannot work as it is: no retry until start or apply. */
		inst_set_error(inst, cause);
		inst_set_state(inst, INST_FAILED, "%s", inst->last_error);
		return;
	}
	inst->pid = pid;
	inst->pidfd = pidfd;
	inst->started = now_ms();
	agent.nprocs++;
	if (inst->exit_ev == NULL)
		inst->exit_ev = event_new(agent.base, -1, 0, NULL, NULL);
	event_assign(inst->exit_ev, agent.base, pidfd, EV_READ, inst_exit_cb,
	    inst);
	event_add(inst->exit_ev, NULL);
	inst_set_state(inst, INST_STARTING, "pid %ld%s%s", (long)pid,
	    why ? ", " : "", why ? why : "");
	if (cause != NULL) {
		/* The child is exiting 127; its reaping fails the instance. */
		inst->spawn_failed = true;
		inst_set_error(inst, cause);
		return;
	}
	inst_set_state(inst, INST_RUNNING, "pid %ld", (long)pid);
	if (!probe_gates_ready(inst->spec->m) &&
	    !inst->spec->m->readiness.notify)
		inst_set_state(inst, INST_READY, NULL);
	probe_start(inst);
	notify_watchdog_arm(inst);
}

/* Do its notifications let the instance be ready? */
static bool
inst_notify_ready(const struct inst *inst)
{
	if (inst->notified == NOTIFIED_STOPPING)
		return false;
	return !inst->spec->m->readiness.notify ||
	    inst->notified == NOTIFIED_READY;
}

bool
supervise_set_ready(struct inst *inst, bool ready, const char *why)
{
	if (ready && !inst_notify_ready(inst))
		return false;	/* READY=1 will tell */
	if (inst->state == INST_RUNNING && ready)
		inst_set_state(inst, INST_READY, "%s", why);
	else if (inst->state == INST_READY && !ready)
		inst_set_state(inst, INST_RUNNING, "%s", why);
	else
		return false;
	return true;
}

/* STATUS= text: kept, and reported when it changed. */
static bool
inst_set_status(struct inst *inst, const char *text)
{
	if (inst->status_text != NULL && strcmp(inst->status_text, text) == 0)
		return false;
	free(inst->status_text);
	inst->status_text = xstrdup(text);
	return true;
}

void
supervise_notify(struct inst *inst, const struct notify_msg *m)
{
	bool	report = false;

	if (inst->pid == 0 || inst->state == INST_STOPPING)
		return;
	if (m->has_status)
		report = inst_set_status(inst, m->status);
	if (m->mainpid > 0 && m->mainpid != inst->main_pid) {
		inst->main_pid = m->mainpid;
		log_info("service %s/%u: MAINPID=%ld recorded (pid %ld stays "
		    "the one watched)", inst->svc->name, inst->index,
		    (long)m->mainpid, (long)inst->pid);
	}
	if (m->watchdog && inst->watchdog != NULL)
		notify_watchdog_arm(inst);
	if (m->watchdog_trigger) {
		supervise_unhealthy(inst, "watchdog triggered "
		    "(WATCHDOG=trigger)");
		return;
	}
	if (m->reloading && inst->notified == NOTIFIED_READY &&
	    inst->spec->m->readiness.notify) {
		inst->notified = NOTIFIED_NOTHING;
		report &= !supervise_set_ready(inst, false, "RELOADING=1");
	}
	if (m->ready && inst->notified == NOTIFIED_NOTHING) {
		inst->notified = NOTIFIED_READY;
		if (probe_ready(inst))
			report &= !supervise_set_ready(inst, true, "READY=1");
		else
			log_info("service %s/%u: READY=1; the probes are yet "
			    "to pass", inst->svc->name, inst->index);
	}
	if (m->stopping && inst->notified != NOTIFIED_STOPPING) {
		inst->notified = NOTIFIED_STOPPING;
		report &= !supervise_set_ready(inst, false, "STOPPING=1");
	}
	if (report)
		supervise_report(inst);
}

void
supervise_unhealthy(struct inst *inst, const char *why)
{
	if (inst->pid == 0 || inst->state == INST_STOPPING)
		return;
	inst_set_error(inst, xstrdup(why));
	inst->unhealthy = true;
	inst_stop(inst, why);
}

static void
inst_describe_exit(int status, pid_t pid, char *buf, size_t len)
{
	const char	*name;

	if (WIFEXITED(status)) {
		snprintf(buf, len, "pid %ld exit status %d", (long)pid,
		    WEXITSTATUS(status));
		return;
	}
	name = sigabbrev_np(WTERMSIG(status));
	snprintf(buf, len, "pid %ld killed by SIG%s%s", (long)pid,
	    name ? name : "?", WCOREDUMP(status) ? ", core dumped" : "");
}

/*
 * After a crash, or when no process could be made (`ran_ms` 0): the
 * restart decision (restart.c), and the state it leads to. A restart
 * without delay (at least `min_delay`) happens right away: that is the
 * latency path.
 */
static void
inst_schedule_restart(struct inst *inst, uint64_t ran_ms, uint64_t min_delay,
    const char *what)
{
	const struct manifest	*m = inst->spec->m;
	uint64_t		 now = now_ms(), delay = 0;
	char			*error;

	switch (restart_next(m, &inst->rc, now, ran_ms, drand48(), &delay)) {
	case RESTART_FAIL:
		error = restart_limit_reason(m, &inst->rc);
		inst_set_error(inst, error);
		inst_set_state(inst, INST_FAILED, "%s; %s", what, error);
		return;
	case RESTART_SLOW:
		error = restart_limit_reason(m, &inst->rc);
		inst_set_error(inst, error);
		inst->next_start = now + delay;
		inst_timer_set(inst, delay);
		inst_set_state(inst, INST_CRASHLOOP,
		    "%s; %s, next start in %llums", what, error,
		    (unsigned long long)delay);
		return;
	case RESTART_AFTER:
		break;
	}
	if (delay < min_delay)
		delay = min_delay;
	if (delay == 0) {
		inst->restarts++;
		inst_start(inst, what);		/* the latency path */
		return;
	}
	inst->next_start = now + delay;
	inst_timer_set(inst, delay);
	inst_set_state(inst, INST_BACKOFF, "%s; next start in %llums", what,
	    (unsigned long long)delay);
}

/* The process died on its own: apply the restart policy. */
static void
inst_crashed(struct inst *inst, int status, const char *what)
{
	if (!restart_wanted(inst->spec->m, status)) {
		inst->done = true;
		inst_set_state(inst, INST_EXITED, "%s", what);
		return;
	}
	inst_schedule_restart(inst, now_ms() - inst->started, 0, what);
}

/*
 * Stopped because a probe said so: a crash, unless the assignment has
 * changed meanwhile (then converging decides). True when handled.
 */
static bool
inst_unhealthy_exited(struct inst *inst, const char *what)
{
	const struct svc	*svc = inst->svc;
	const struct want	*w = assign_want(svc, inst->index);

	inst->unhealthy = false;
	if (inst_want(inst) != WANT_RUN || inst->spec != w->spec ||
	    inst->restart_gen != w->gen || inst->start_gen != svc->start_gen)
		return false;
	if (inst->spec->m->restart.policy == RESTART_NEVER) {
		inst->done = true;
		inst_set_state(inst, INST_EXITED, "%s", what);
		return true;
	}
	inst_schedule_restart(inst, now_ms() - inst->started, 0, what);
	return true;
}

/* The process ended, as `what` says. */
static void
inst_ended(struct inst *inst, int status, const char *what)
{
	inst->pid = 0;
	if (inst->state == INST_STOPPING) {
		inst_timer_clear(inst);
		inst->done = false;
		if (inst->unhealthy && inst_unhealthy_exited(inst, what))
			return;
		inst_set_state(inst, INST_EXITED, "%s", what);
		supervise_converge(inst);
		return;
	}
	if (inst->spawn_failed) {
		inst->spawn_failed = false;
		inst_set_state(inst, INST_FAILED, "%s", inst->last_error);
		return;
	}
	if (inst_want(inst) != WANT_RUN) {
		inst_set_state(inst, INST_EXITED, "%s", what);
		supervise_converge(inst);
		return;
	}
	inst_crashed(inst, status, what);
}

/* The process was reaped. */
static void
inst_exited(struct inst *inst, int status)
{
	char	what[128];

	inst_describe_exit(status, inst->pid, what, sizeof(what));
	inst_ended(inst, status, what);
}

/*
 * The pidfd is readable: the process has ended. Its status is read
 * without reaping it, the restart (if any) happens, and only then is it
 * reaped: reaping costs the kernel more than the rest of this path.
 */
static void
inst_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst	*inst = arg;
	siginfo_t	 si;
	int		 status;

	/*
	 * The zombie still holds the group id: nothing else can have it.
	 * What is left of the instance dies with it, even in another
	 * session (its cgroup).
	 */
	kill(-inst->pid, SIGKILL);
	cgroup_kill(inst->cgfd);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == 0) {
		event_add(inst->exit_ev, NULL);		/* not yet */
		return;
	}
	if (si.si_code == CLD_EXITED)
		status = W_EXITCODE(si.si_status, 0);
	else
		status = W_EXITCODE(0, si.si_status) |
		    (si.si_code == CLD_DUMPED ? WCOREFLAG : 0);
	inst->pidfd = -1;
	inst_exited(inst, status);	/* may free inst */
	waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
	close(fd);
	agent.nprocs--;
	agent_check_done();
}

static void
inst_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct inst	*inst = arg;

	switch (inst->state) {
	case INST_STOPPING:
		log_warn("service %s/%u: pid %ld did not stop in time, "
		    "sending SIGKILL", inst->svc->name, inst->index,
		    (long)inst->pid);
		if (kill(-inst->pid, SIGKILL) == -1 && errno == ESRCH)
			kill(inst->pid, SIGKILL);
		cgroup_kill(inst->cgfd);
		break;
	case INST_BACKOFF:
	case INST_CRASHLOOP:
		inst->restarts++;
		inst_start(inst, "backoff over");
		break;
	default:
		break;
	}
}

const char *
supervise_state_name(enum inst_state state)
{
	return inst_state_names[state];
}

/* The state of that name; running for a name it does not know. */
enum inst_state
supervise_state_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(inst_state_names); i++)
		if (strcmp(inst_state_names[i], name) == 0)
			return (enum inst_state)i;
	return INST_RUNNING;
}

/* An adopted process that is not the keeper's child ended. */
static void
inst_adopted_gone_cb(evutil_socket_t fd, short what, void *arg)
{
	supervise_adopted_exit(arg, -1);
}

void
supervise_adopt(struct inst *inst, pid_t pid, int pidfd,
    enum inst_state state, bool keepers)
{
	const struct manifest	*m = inst->spec->m;
	char			*cause = NULL;
	bool			 owned;
	int			 fd, fds[SPAWN_FDS_MAX];

	inst->pid = pid;
	inst->pidfd = pidfd;
	inst->started = now_ms();
	inst->adopted = true;
	agent.nprocs++;
	/* its cgroup, and its listen sockets (taken from the keeper) */
	if (inst_cgroup(inst, &cause) < 0 || (m->nlisten > 0 &&
	    listen_get(inst->svc, m, fds, &cause) < 0)) {
		log_warn("service %s/%u: %s", inst->svc->name, inst->index,
		    cause);
		free(cause);
	}
	if (inst->spec->m->logs.to == LOGS_FILE &&
	    (fd = logs_output_fd(inst, &owned)) != -1 && owned)
		close(fd);
	if (!keepers) {
		inst->exit_ev = event_new(agent.base, pidfd, EV_READ,
		    inst_adopted_gone_cb, inst);
		event_add(inst->exit_ev, NULL);
	}
	if (state != INST_RUNNING && state != INST_READY)
		state = INST_RUNNING;
	inst->state = state;
	/* ready with readiness.notify: it said READY=1 to a former worker */
	if (state == INST_READY)
		inst->notified = NOTIFIED_READY;
	log_info("service %s/%u: adopted pid %ld (%s)", inst->svc->name,
	    inst->index, (long)pid, inst_state_names[state]);
	probe_start(inst);
	notify_watchdog_arm(inst);
}

void
supervise_adopted_exit(struct inst *inst, int status)
{
	char	what[160];

	if (inst->pid == 0 || !inst->adopted)
		return;
	if (status == -1) {
		snprintf(what, sizeof(what), "pid %ld ended (status unknown: "
		    "not the keeper's child)", (long)inst->pid);
		inst_set_error(inst, xstrdup(what));
		status = W_EXITCODE(1, 0);	/* taken as a failure */
	} else
		inst_describe_exit(status, inst->pid, what, sizeof(what));
	cgroup_kill(inst->cgfd);
	if (inst->exit_ev != NULL)
		event_del(inst->exit_ev);
	close(inst->pidfd);
	inst->pidfd = -1;
	inst->adopted = false;
	agent.nprocs--;
	inst_ended(inst, status, what);		/* may free inst */
	agent_check_done();
}
