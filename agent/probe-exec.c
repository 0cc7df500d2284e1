/*
 * probe-exec.c — the exec check: exec.command run through spawn.c like
 * the instance itself (its environment, workdir, user, nofile; its own
 * process group), stdout and stderr through a pipe of which the last
 * PROBE_OUTPUT_MAX bytes are kept. It passes when the command exits 0.
 *
 * Its end comes through a pidfd, as an instance's does: nothing waits.
 * A check abandoned (timeout, the instance stopping) has its process
 * group killed with SIGKILL; the run then lives on, detached from the
 * check, until its process is reaped. agent.nprocs counts the
 * processes, so that the agent does not exit before they are reaped.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

/* Of the output's last line, what a result's message shows. */
#define EXEC_LINE_MAX	60

struct exec_run {
	struct check	*c;		/* NULL once abandoned */
	pid_t		 pid;
	int		 pidfd;
	int		 outfd;		/* -1 once closed */
	struct event	*exit_ev;
	struct event	*out_ev;
	char		*why;		/* the child failed before its exec */
	struct exec_run	*next;		/* every run not yet reaped */
	size_t		 outlen;
	char		 out[PROBE_OUTPUT_MAX];
};

static struct exec_run	*exec_runs;

static void
exec_close_output(struct exec_run *r)
{
	if (r->out_ev != NULL)
		event_free(r->out_ev);
	r->out_ev = NULL;
	if (r->outfd != -1)
		close(r->outfd);
	r->outfd = -1;
}

static void
exec_run_free(struct exec_run *r)
{
	struct exec_run	**pp;

	for (pp = &exec_runs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	exec_close_output(r);
	if (r->exit_ev != NULL)
		event_free(r->exit_ev);
	if (r->pidfd != -1)
		close(r->pidfd);
	free(r->why);
	free(r);
}

/* Keep the last PROBE_OUTPUT_MAX bytes. */
static void
exec_keep(struct exec_run *r, const char *buf, size_t n)
{
	size_t	drop;

	if (n >= PROBE_OUTPUT_MAX) {
		memcpy(r->out, buf + n - PROBE_OUTPUT_MAX, PROBE_OUTPUT_MAX);
		r->outlen = PROBE_OUTPUT_MAX;
		return;
	}
	if (r->outlen + n > PROBE_OUTPUT_MAX) {
		drop = r->outlen + n - PROBE_OUTPUT_MAX;
		memmove(r->out, r->out + drop, r->outlen - drop);
		r->outlen -= drop;
	}
	memcpy(r->out + r->outlen, buf, n);
	r->outlen += n;
}

/* Read what the pipe holds; close it at its end. */
static void
exec_read(struct exec_run *r)
{
	char	buf[PROBE_OUTPUT_MAX];
	ssize_t	n;

	while (r->outfd != -1) {
		n = read(r->outfd, buf, sizeof(buf));
		if (n > 0) {
			exec_keep(r, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			exec_close_output(r);
		return;
	}
}

static void
exec_out_cb(evutil_socket_t fd, short what, void *arg)
{
	exec_read(arg);
}

/* The output's last non-empty line, printable, at most `len` - 1. */
static void
exec_last_line(const struct exec_run *r, char *buf, size_t len)
{
	size_t	end = r->outlen, start, i, n = 0;

	while (end > 0 && (r->out[end - 1] == '\n' || r->out[end - 1] == '\r' ||
	    r->out[end - 1] == ' ' || r->out[end - 1] == '\t'))
		end--;
	for (start = end; start > 0 && r->out[start - 1] != '\n'; start--)
		;
	for (i = start; i < end && n + 1 < len; i++)
		buf[n++] = (unsigned char)r->out[i] < ' ' ? ' ' : r->out[i];
	buf[n] = '\0';
}

static void
exec_done(struct check *c, const struct exec_run *r, int status)
{
	char		 line[EXEC_LINE_MAX + 1];
	const char	*sig;

	probe_set_output(c, r->out, r->outlen);
	exec_last_line(r, line, sizeof(line));
	if (r->why != NULL)
		probe_done(c, false, "%s", r->why);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		probe_done(c, true, "exec exit status 0");
	else if (WIFEXITED(status))
		probe_done(c, false, "exec exit status %d%s%s%s",
		    WEXITSTATUS(status), *line ? " (\"" : "", line,
		    *line ? "\")" : "");
	else {
		sig = sigabbrev_np(WTERMSIG(status));
		probe_done(c, false, "exec killed by SIG%s%s%s%s",
		    sig ? sig : "?", *line ? " (\"" : "", line,
		    *line ? "\")" : "");
	}
}

/* The command ended; its status is read before it is reaped. */
static void
exec_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct exec_run	*r = arg;
	struct check	*c = r->c;
	siginfo_t	 si;
	int		 status;

	memset(&si, 0, sizeof(si));
	if ((status = waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG |
	    WNOWAIT)) == 0 && si.si_pid == 0) {
		event_add(r->exit_ev, NULL);		/* not yet */
		return;
	}
	if (status == -1 && r->why == NULL)
		xasprintf(&r->why, "exec: no exit status: %s",
		    strerror(errno));
	/* What it left behind in its group goes with it. */
	kill(-r->pid, SIGKILL);
	if (si.si_code == CLD_EXITED)
		status = W_EXITCODE(si.si_status, 0);
	else
		status = W_EXITCODE(0, si.si_status);
	waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG);
	agent.nprocs--;
	exec_read(r);
	if (c != NULL) {
		c->run = NULL;
		exec_done(c, r, status);	/* may abandon other checks */
	}
	exec_run_free(r);
	agent_check_done();
}

/* Build the request as the instance's own and start the command. */
static pid_t
exec_spawn(const struct check *c, int outfd, int *pidfd, char **cause)
{
	const struct inst	*inst = probe_inst(c);
	const struct manifest	*m = inst->spec->m;
	struct spawn_req	 req;
	char			**envp, **own, *workdir = NULL;
	pid_t			 pid;

	envp = supervise_env(inst, NULL, &own);
	if (m->workdir != NULL)
		workdir = manifest_expand(m, m->workdir, inst->index);
	memset(&req, 0, sizeof(req));
	req.argv = c->argv;
	req.envp = envp;
	req.workdir = workdir;
	req.outfd = outfd;
	req.nofile = m->limits.nofile;
	req.user = m->user;
	req.group = m->group;
	req.cgroup_fd = -1;
	pid = spawn_start(&req, pidfd, cause);
	free(workdir);
	free(envp);
	strv_free(own);
	return pid;
}

static void
exec_start(struct check *c)
{
	struct exec_run	*r;
	char		*cause = NULL;
	pid_t		 pid;
	int		 p[2], pidfd;

	if (pipe2(p, O_CLOEXEC) == -1) {
		probe_done(c, false, "exec pipe: %s", strerror(errno));
		return;
	}
	fd_set_nonblock(p[0]);
	pid = exec_spawn(c, p[1], &pidfd, &cause);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		probe_done(c, false, "exec: %s", cause);
		free(cause);
		return;
	}
	r = xcalloc(1, sizeof(*r));
	r->c = c;
	r->pid = pid;
	r->pidfd = pidfd;
	r->outfd = p[0];
	r->why = cause;		/* the child exits 127 */
	r->next = exec_runs;
	exec_runs = r;
	agent.nprocs++;
	r->exit_ev = event_new(agent.base, pidfd, EV_READ, exec_exit_cb, r);
	event_add(r->exit_ev, NULL);
	r->out_ev = event_new(agent.base, r->outfd, EV_READ | EV_PERSIST,
	    exec_out_cb, r);
	event_add(r->out_ev, NULL);
	c->run = r;
}

/* Kill the group; the run stays until its process is reaped. */
static void
exec_cancel(struct check *c)
{
	struct exec_run	*r = c->run;

	c->run = NULL;
	r->c = NULL;
	if (kill(-r->pid, SIGKILL) == -1 && errno == ESRCH)
		kill(r->pid, SIGKILL);
	exec_close_output(r);
}

static void
exec_release(struct check *c)
{
}

void
probe_exec_cleanup(void)
{
	while (exec_runs != NULL) {
		kill(-exec_runs->pid, SIGKILL);
		exec_run_free(exec_runs);
	}
}

const struct probe_ops probe_exec_ops = {
	.type = PROBE_EXEC,
	.start = exec_start,
	.cancel = exec_cancel,
	.release = exec_release,
};
