/*
 * adopt.c — the worker's record of its instances, and adopting the
 * processes a former worker left running.
 *
 * <state dir>/agent/instances.json lists every instance: service, index,
 * pid, the process's start time (field 22 of /proc/PID/stat), state,
 * restarts, revision, generations and last error, with the boot it was
 * written in. It is rewritten (atomically: temporary file and rename) at
 * most once per loop pass in which an instance changed, after the work
 * of that pass: a restart spawns first and writes after. It is written
 * through stdio a record at a time, so that it costs no memory. No fsync: the
 * record matters only while the processes it names run, and a crash of
 * the machine ends them; a record of another boot adopts nothing.
 *
 * A new worker reads it before applying the persisted assignment; each
 * instance the assignment creates takes its record (adopt_restore): the
 * restarts count and last error, and the process if it is still the
 * one recorded: a pidfd for the pid, and the same start time (a pid
 * reused by another process is never adopted). A process that ended
 * while no worker ran is restarted, with how it ended (the keeper reaped
 * it and kept the status) in last_error, unless the restart policy says
 * otherwise. Then (adopt_finish) whatever no record explains is killed:
 * cgroups of no adopted instance, and process-group leaders among the
 * keeper's children that no instance adopted; output pipes no instance
 * took are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define ADOPT_VERSION	1

struct rec {
	char		*service;
	unsigned	 index;
	pid_t		 pid;
	uint64_t	 start_time;
	int		 state;
	unsigned	 restarts;
	char		*revision;
	int64_t		 gen;
	int64_t		 start_gen;
	char		*last_error;
};

static struct rec	*recs;
static size_t		 nrecs;
static char		*adopt_path;
static char		 adopt_boot[64];
static struct event	*adopt_ev;

/* The start time and parent of a process, from /proc/PID/stat. */
static int
adopt_proc_stat(pid_t pid, uint64_t *start, pid_t *ppid)
{
	char		 path[64], buf[1024], *p;
	unsigned long long st;
	ssize_t		 n;
	long		 pp;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* after the name, which may hold anything: state ppid ... (22) */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
	    "%*u %*d %*d %*d %*d %*d %*d %llu", &pp, &st) != 2)
		return -EIO;
	*start = st;
	*ppid = (pid_t)pp;
	return 0;
}

static void
adopt_boot_id(void)
{
	char	*buf;
	size_t	 len;

	if (read_file("/proc/sys/kernel/random/boot_id", &buf, &len) != 0)
		return;
	snprintf(adopt_boot, sizeof(adopt_boot), "%.*s", (int)strcspn(buf,
	    "\n"), buf);
	free(buf);
}

static void
adopt_write_cb(evutil_socket_t fd, short what, void *arg)
{
	adopt_flush();
}

void
adopt_init(void)
{
	xasprintf(&adopt_path, "%s/agent/instances.json", agent.state_dir);
	adopt_boot_id();
	adopt_ev = event_new(agent.base, -1, 0, adopt_write_cb, NULL);
}

void
adopt_touch(void)
{
	if (adopt_ev != NULL && !agent.handing_off)
		event_active(adopt_ev, EV_TIMEOUT, 0);
}

struct rec_out {
	FILE	*f;
	bool	 more;		/* a record is written: a comma first */
};

/* One instance's record, a line of the array. */
static void
adopt_rec_write(struct inst *inst, void *arg)
{
	struct rec_out	*o = arg;
	char		*err = NULL;
	json_t		*j;
	pid_t		 ppid;

	if (inst->pid != 0 && inst->start_pid != inst->pid) {
		inst->start_pid = inst->pid;
		if (adopt_proc_stat(inst->pid, &inst->start_time, &ppid) != 0)
			inst->start_time = 0;
	}
	if (inst->last_error != NULL) {
		j = json_string(inst->last_error);
		err = json_dumps(j, JSON_ENCODE_ANY);
		json_decref(j);
	}
	/* names are [a-z0-9-] and revisions hex: nothing else to quote */
	fprintf(o->f, "%s\n{\"service\":\"%s\",\"index\":%u,\"pid\":%ld,"
	    "\"start_time\":%" PRIu64 ",\"state\":\"%s\",\"restarts\":%u,"
	    "\"revision\":\"%s\",\"gen\":%" PRId64 ",\"start_gen\":%" PRId64
	    ",\"last_error\":%s}", o->more ? "," : "", inst->svc->name,
	    inst->index, (long)inst->pid, inst->pid ? inst->start_time : 0,
	    supervise_state_name(inst->state), inst->restarts,
	    inst->spec->revision, inst->restart_gen, inst->start_gen,
	    err != NULL ? err : "null");
	free(err);
	o->more = true;
}

/*
 * Written through stdio, a line per instance, into a temporary file
 * renamed over the record: no copy of the whole record in memory.
 */
void
adopt_flush(void)
{
	struct rec_out	 o = { NULL, false };
	char		*tmp;
	int		 fd, r = 0;

	if (adopt_path == NULL)
		return;
	xasprintf(&tmp, "%s.tmp", adopt_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || (o.f = fdopen(fd, "w")) == NULL) {
		r = -errno;
		if (fd != -1)
			close(fd);
	} else {
		fprintf(o.f, "{\"v\":%d,\"boot_id\":\"%s\",\"instances\":[",
		    ADOPT_VERSION, adopt_boot);
		assign_foreach(adopt_rec_write, &o);
		fputs("\n]}\n", o.f);
		if (ferror(o.f) | (fclose(o.f) != 0) ||
		    rename(tmp, adopt_path) != 0)
			r = -(errno ? errno : EIO);
	}
	if (r != 0) {
		log_error("cannot write %s: %s", adopt_path, strerror(-r));
		unlink(tmp);
	}
	free(tmp);
}

/* A file that cannot be used is set aside, and said so. */
static void
adopt_corrupt(const char *why)
{
	char	*to;

	xasprintf(&to, "%s.corrupt", adopt_path);
	if (rename(adopt_path, to) == 0)
		log_error("%s: %s; moved to %s: no instance is adopted",
		    adopt_path, why, to);
	else
		log_error("%s: %s; no instance is adopted", adopt_path, why);
	free(to);
}

static int
adopt_parse_rec(json_t *o, struct rec *r)
{
	const char	*svc, *state, *rev;
	json_t		*err = NULL;
	json_int_t	 index, pid, st, restarts, gen, sgen;

	if (json_unpack(o, "{s:s, s:I, s:I, s:I, s:s, s:I, s:s, s:I, s:I, "
	    "s?o}", "service", &svc, "index", &index, "pid", &pid,
	    "start_time", &st, "state", &state, "restarts", &restarts,
	    "revision", &rev, "gen", &gen, "start_gen", &sgen,
	    "last_error", &err) != 0 || index < 0 || pid < 0 || restarts < 0)
		return -EINVAL;
	r->service = xstrdup(svc);
	r->index = (unsigned)index;
	r->pid = (pid_t)pid;
	r->start_time = (uint64_t)st;
	r->state = supervise_state_parse(state);
	r->restarts = (unsigned)restarts;
	r->revision = xstrdup(rev);
	r->gen = gen;
	r->start_gen = sgen;
	r->last_error = json_is_string(err) ?
	    xstrdup(json_string_value(err)) : NULL;
	return 0;
}

void
adopt_load(void)
{
	json_error_t	 jerr;
	json_t		*o, *a;
	const char	*boot = NULL;
	char		 why[256];
	size_t		 i;
	int		 v = 0;

	if ((o = json_load_file(adopt_path, 0, &jerr)) == NULL) {
		if (access(adopt_path, F_OK) == 0)
			adopt_corrupt(jerr.text);
		return;
	}
	a = json_object_get(o, "instances");
	if (json_unpack(o, "{s:i, s?s}", "v", &v, "boot_id", &boot) != 0 ||
	    v != ADOPT_VERSION || !json_is_array(a)) {
		adopt_corrupt("not a record of instances");
		json_decref(o);
		return;
	}
	if (boot == NULL || strcmp(boot, adopt_boot) != 0) {
		log_info("%s: written before this boot: nothing to adopt",
		    adopt_path);
		json_decref(o);
		return;
	}
	recs = xcalloc(json_array_size(a) + 1, sizeof(*recs));
	for (i = 0; i < json_array_size(a); i++) {
		if (adopt_parse_rec(json_array_get(a, i), &recs[nrecs]) != 0) {
			snprintf(why, sizeof(why), "instances[%zu]: not a "
			    "record of an instance", i);
			adopt_corrupt(why);
			break;
		}
		nrecs++;
	}
	json_decref(o);
}

static struct rec *
adopt_find(const char *service, unsigned index)
{
	size_t	i;

	for (i = 0; i < nrecs; i++)
		if (recs[i].index == index && recs[i].service != NULL &&
		    strcmp(recs[i].service, service) == 0)
			return &recs[i];
	return NULL;
}

/* Its process ended while no worker ran: restart it, or not. */
static void
adopt_gone(struct inst *inst, const struct rec *r, int status,
    const char *how)
{
	char	*what;

	xasprintf(&what, "pid %ld %s while no worker ran", (long)r->pid, how);
	log_warn("service %s/%u: %s", inst->svc->name, inst->index, what);
	free(inst->last_error);
	inst->last_error = what;
	if (status != -1 && !restart_wanted(inst->spec->m, status)) {
		inst->state = INST_EXITED;
		inst->done = true;
		return;
	}
	inst->restarts++;	/* the start that converging makes */
}

static void
adopt_describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(buf, len, "killed by SIG%s", sigabbrev_np(
		    WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
}

void
adopt_restore(struct inst *inst)
{
	struct rec	*r;
	char		 how[64];
	uint64_t	 start;
	pid_t		 ppid;
	int		 status, pidfd;

	if ((r = adopt_find(inst->svc->name, inst->index)) == NULL)
		return;
	inst->restarts = r->restarts;
	inst->start_gen = r->start_gen;
	inst->restart_gen = r->gen;
	if (strcmp(r->revision, inst->spec->revision) != 0)
		inst->restart_gen = INT64_MIN;	/* to be replaced */
	free(inst->last_error);
	inst->last_error = r->last_error;
	r->last_error = NULL;
	free(r->service);
	r->service = NULL;	/* taken */
	if (r->pid == 0) {
		/* ended by policy or failed for good: still so */
		if (r->state == INST_EXITED || r->state == INST_FAILED) {
			inst->state = (enum inst_state)r->state;
			inst->done = r->state == INST_EXITED;
		}
		return;
	}
	if (hold_exit_status(r->pid, &status) == 0) {
		hold_forget(r->pid);
		adopt_describe(status, how, sizeof(how));
		adopt_gone(inst, r, status, how);
		return;
	}
	pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	if (pidfd == -1 || adopt_proc_stat(r->pid, &start, &ppid) != 0 ||
	    start != r->start_time) {
		if (pidfd != -1)
			close(pidfd);
		adopt_gone(inst, r, -1, pidfd == -1 ? "ended (status "
		    "unknown)" : "is now another process: not adopted");
		return;
	}
	/* Its exit: the keeper tells, if it is the keeper's child. */
	supervise_adopt(inst, r->pid, pidfd, (enum inst_state)r->state,
	    ppid == getppid() && hold_connected());
}

/* The cgroup "<service>.<index>" of an adopted instance is kept. */
static bool
adopt_keeps_cgroup(const char *name)
{
	const struct svc	*svc;
	const char		*dot = strrchr(name, '.');
	char			*sname;
	unsigned long		 index;

	if (dot == NULL)
		return false;
	sname = xstrndup(name, (size_t)(dot - name));
	svc = assign_find(sname);
	free(sname);
	index = strtoul(dot + 1, NULL, 10);
	return svc != NULL && index < svc->ninst && svc->inst[index] != NULL &&
	    svc->inst[index]->pid != 0;
}

/* Leaders of a process group among the keeper's children, unadopted. */
static void
adopt_kill_strays(void)
{
	char	 path[64], *buf, *p, *end;
	size_t	 len;
	long	 pid;
	pid_t	 keeper = getppid();
	int	 fd;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)keeper, (long)keeper);
	if (!hold_connected() || read_file(path, &buf, &len) != 0)
		return;
	for (p = buf; (pid = strtol(p, &end, 10)) > 0; p = end) {
		if (pid == getpid() || assign_find_pid((pid_t)pid) != NULL ||
		    getpgid((pid_t)pid) != (pid_t)pid)
			continue;
		if ((fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0)) == -1)
			continue;
		log_warn("pid %ld: left by a former worker and no record "
		    "explains it: killing it", pid);
		/* its group id is its own while the pidfd shows it unreaped */
		kill(-(pid_t)pid, SIGKILL);
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	}
	free(buf);
}

void
adopt_finish(void)
{
	size_t	i;

	cgroup_sweep(adopt_keeps_cgroup);
	adopt_kill_strays();
	hold_drop_untaken();
	for (i = 0; i < nrecs; i++) {
		free(recs[i].service);
		free(recs[i].revision);
		free(recs[i].last_error);
	}
	free(recs);
	recs = NULL;
	nrecs = 0;
	adopt_touch();
}

void
adopt_free(void)
{
	if (adopt_ev != NULL)
		event_free(adopt_ev);
	adopt_ev = NULL;
	free(adopt_path);
	adopt_path = NULL;
}
