/*
 * cgroup.c — one cgroup v2 per instance, where the hierarchy is writable.
 *
 * At start-up the agent finds the cgroup2 mount (/proc/self/mountinfo:
 * /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid
 * one) and its own cgroup (/proc/self/cgroup), and makes
 * <own>/drover/<key> below it, <key> naming this agent by its state
 * directory (stable across restarts of the agent). Instance i of service
 * S runs in <that>/S.i: spawn.c puts the child there as it is created,
 * the exit of an instance's main process kills whatever is left in it
 * (cgroup.kill, or SIGKILL to every pid of cgroup.procs before 5.14), and
 * the directory is removed once the instance has no process and is not
 * about to restart. A directory still populated by dying processes is
 * removed when cgroup.events says it is empty (inotify; nothing polls).
 *
 * cgroup.kill is not used where the kernel would also kill every child
 * created later in the same cgroup with CLONE_INTO_CGROUP (seen on 6.18:
 * the kill count of the destination is compared with the parent's);
 * there, as before 5.14, the members are killed one by one.
 *
 * The memory and pids controllers are enabled down the drover subtree
 * when the parent offers them; limits.memory and limits.pids need them,
 * and an instance whose limits cannot be enforced is refused.
 *
 * Without a writable cgroup v2 (no mount, not root, read-only), every
 * call here is a no-op and instances are stopped by process group only;
 * the mode is logged once at start-up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "spawn-clone3.h"
#include "util.h"

/* Controllers limits need, as the kernel names them. */
static const char *const cgroup_wanted[] = { "memory", "pids" };

/* A directory waiting for its last process to die. */
struct cgroup_dead {
	char			*path;
	int			 wd;
	struct cgroup_dead	*next;
};

static struct {
	char			*base;		/* <own>/drover/<key>; NULL: off */
	char			*procs_base;	/* the same, as /proc/PID/cgroup says */
	bool			 has_kill;	/* cgroup.kill exists */
	bool			 ctl[nitems(cgroup_wanted)];
	int			 inotify;
	struct event		*inotify_ev;
	struct cgroup_dead	*dead;
} cg = { .inotify = -1 };

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
cgroup_unescape(char *s)
{
	char	*d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0'));
			s += 3;
		} else
			*d++ = *s;
	}
	*d = '\0';
}

/* The cgroup2 mount point and the root of the hierarchy it shows. */
static int
cgroup_find_mount(char **mnt, char **root)
{
	FILE	*f = fopen("/proc/self/mountinfo", "re");
	char	*line = NULL, *sep, r[4096], m[4096], fstype[64];
	size_t	 cap = 0;
	int	 found = -ENOENT;

	if (f == NULL)
		return -errno;
	while (found != 0 && getline(&line, &cap, f) != -1) {
		if ((sep = strstr(line, " - ")) == NULL ||
		    sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup2") != 0 ||
		    sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2)
			continue;
		cgroup_unescape(r);
		cgroup_unescape(m);
		*mnt = xstrdup(m);
		*root = xstrdup(r);
		found = 0;
	}
	free(line);
	fclose(f);
	return found;
}

/* The agent's own cgroup v2 path ("0::/path"), relative to the root. */
static int
cgroup_find_own(char **own)
{
	FILE	*f = fopen("/proc/self/cgroup", "re");
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;
	int	 found = -ENOENT;

	if (f == NULL)
		return -errno;
	while (found != 0 && (n = getline(&line, &cap, f)) != -1) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		*own = xstrdup(line + 3);
		found = 0;
	}
	free(line);
	fclose(f);
	return found;
}

static int
cgroup_write(int dirfd, const char *file, const char *value)
{
	ssize_t	n;
	int	fd, r = 0;

	if ((fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC)) == -1)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n == -1)
		r = -errno;
	close(fd);
	return r;
}

static int
cgroup_write_path(const char *dir, const char *file, const char *value)
{
	int	fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	r = cgroup_write(fd, file, value);
	close(fd);
	return r;
}

/* Is `word` one of the space-separated words of a cgroup file? */
static bool
cgroup_file_has(const char *dir, const char *file, const char *word)
{
	char	*path, *buf, *tok, *save;
	size_t	 len;
	bool	 found = false;

	xasprintf(&path, "%s/%s", dir, file);
	if (read_file(path, &buf, &len) == 0) {
		for (tok = strtok_r(buf, " \n", &save); tok != NULL && !found;
		    tok = strtok_r(NULL, " \n", &save))
			found = strcmp(tok, word) == 0;
		free(buf);
	}
	free(path);
	return found;
}

/*
 * Enable the controllers limits need from the agent's own cgroup down to
 * the agent's subtree, as far as each level offers them. The own cgroup
 * takes them only if it holds no process (or is the root).
 */
static void
cgroup_enable_controllers(const char *own, const char *top)
{
	const char	*levels[] = { own, top, cg.base };
	char		 plus[32];
	size_t		 i, j;

	for (i = 0; i < nitems(cgroup_wanted); i++) {
		snprintf(plus, sizeof(plus), "+%s", cgroup_wanted[i]);
		for (j = 0; j < nitems(levels); j++) {
			if (!cgroup_file_has(levels[j], "cgroup.controllers",
			    cgroup_wanted[i]) ||
			    cgroup_write_path(levels[j],
			    "cgroup.subtree_control", plus) != 0)
				break;
		}
		cg.ctl[i] = cgroup_file_has(cg.base, "cgroup.subtree_control",
		    cgroup_wanted[i]);
	}
}

/*
 * Remove what a previous run of this agent left. The processes of a
 * cgroup that no adopted instance claims are killed, so that the
 * assignment does not start a second, supervised copy beside an
 * unsupervised one (which would, for one, hold its port).
 */
void
cgroup_sweep(bool (*keep)(const char *name))
{
	struct dirent	*de;
	DIR		*d;
	int		 dfd, fd;

	if (cg.base == NULL || (d = opendir(cg.base)) == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    keep(de->d_name) ||
		    unlinkat(dfd, de->d_name, AT_REMOVEDIR) == 0 ||
		    errno != EBUSY)
			continue;
		log_warn("cgroup %s/%s still holds processes of a previous "
		    "agent: killing them", cg.base, de->d_name);
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) != -1) {
			cgroup_kill(fd);
			close(fd);
		}
	}
	closedir(d);
}

/* Set up cg.base, or say why not (malloc'd). */
static char *
cgroup_setup(void)
{
	char	*mnt = NULL, *root = NULL, *rel = NULL, *own, *top, *why = NULL;
	size_t	 rlen;
	int	 r;

	if ((r = cgroup_find_mount(&mnt, &root)) != 0 ||
	    (r = cgroup_find_own(&rel)) != 0) {
		xasprintf(&why, "no cgroup v2 hierarchy (%s)", strerror(-r));
		free(mnt);
		free(root);
		return why;
	}
	xasprintf(&cg.procs_base, "%s/drover/%016" PRIx64,
	    strcmp(rel, "/") == 0 ? "" : rel,
	    hash64(agent.state_dir, strlen(agent.state_dir)));
	/* Below a mount of a subtree, paths are relative to its root. */
	rlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
	if (rlen > 0 && strncmp(rel, root, rlen) == 0)
		memmove(rel, rel + rlen, strlen(rel + rlen) + 1);
	xasprintf(&own, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
	xasprintf(&top, "%s/drover", own);
	xasprintf(&cg.base, "%s/%016" PRIx64, top,
	    hash64(agent.state_dir, strlen(agent.state_dir)));
	if ((r = mkdir_p(cg.base, 0755)) != 0) {
		xasprintf(&why, "%s: %s", cg.base, strerror(-r));
		free(cg.base);
		free(cg.procs_base);
		cg.base = cg.procs_base = NULL;
	} else
		cgroup_enable_controllers(own, top);
	free(top);
	free(own);
	free(rel);
	free(root);
	free(mnt);
	return why;
}

/*
 * Does a child created in a cgroup after a cgroup.kill survive? A probe
 * cgroup is killed, then a child that exits at once is created in it.
 */
static bool
cgroup_kill_probe(void)
{
	struct spawn_clone_args	 a;
	char			*path;
	long			 pid = -1;
	int			 fd, err = 0, status = 0;

	xasprintf(&path, "%s/.probe", cg.base);
	if ((mkdir(path, 0755) == -1 && errno != EEXIST) ||
	    (fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		free(path);
		return false;
	}
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.cgroup = (uint64_t)fd;
	if (cgroup_write(fd, "cgroup.kill", "1") == 0) {
		/* The child only exits, without running exit hooks. */
		if ((pid = syscall(SYS_clone3, &a, sizeof(a))) == 0)
			syscall(SYS_exit_group, 0);
		err = errno;
		if (pid > 0)
			waitpid((pid_t)pid, &status, 0);
	}
	close(fd);
	rmdir(path);
	free(path);
	if (pid == -1)	/* without clone3 into a cgroup spawn.c moves children */
		return err == ENOSYS || err == E2BIG || err == EINVAL;
	return !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

void
cgroup_init(void)
{
	char	*why, *path, list[64] = "";
	size_t	 i;

	if ((why = cgroup_setup()) != NULL) {
		log_info("cgroups: not used (%s); instances are stopped by "
		    "process group only", why);
		free(why);
		return;
	}
	xasprintf(&path, "%s/cgroup.kill", cg.base);
	cg.has_kill = access(path, F_OK) == 0 && cgroup_kill_probe();
	for (i = 0; i < nitems(cgroup_wanted); i++) {
		if (cg.ctl[i])
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", *list ? " " : "",
			    cgroup_wanted[i]);
	}
	log_info("cgroups: each instance in its own cgroup under %s "
	    "(stop ends with %s; controllers: %s)", cg.base,
	    cg.has_kill ? "cgroup.kill" : access(path, F_OK) == 0 ?
	    "SIGKILL to every member: cgroup.kill here also kills later "
	    "children of the cgroup" : "SIGKILL to every member",
	    *list ? list : "none");
	free(path);
}

bool
cgroup_enabled(void)
{
	return cg.base != NULL;
}

/* "<svc>.<index>" (maybe followed by "/...") into its parts. */
static int
cgroup_parse_leaf(const char *s, char *svc, size_t len, unsigned *index)
{
	const char	*dot, *end;
	char		*e;
	unsigned long	 v;

	end = s + strcspn(s, "/");
	for (dot = end; dot > s && dot[-1] != '.'; dot--)
		;
	if (dot <= s + 1 || (size_t)(dot - 1 - s) >= len || dot == end)
		return -ENOENT;
	errno = 0;
	v = strtoul(dot, &e, 10);
	if (e != end || errno != 0 || v > UINT_MAX)
		return -ENOENT;
	memcpy(svc, s, (size_t)(dot - 1 - s));
	svc[dot - 1 - s] = '\0';
	*index = (unsigned)v;
	return 0;
}

int
cgroup_pid_instance(pid_t pid, char *svc, size_t len, unsigned *index)
{
	char	 path[64], *line = NULL;
	size_t	 cap = 0, blen;
	ssize_t	 n;
	FILE	*f;
	int	 r = -ENOENT;

	if (cg.procs_base == NULL)
		return -ENOTSUP;
	snprintf(path, sizeof(path), "/proc/%ld/cgroup", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -errno;
	blen = strlen(cg.procs_base);
	while (r == -ENOENT && (n = getline(&line, &cap, f)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (strncmp(line, "0::", 3) != 0)
			continue;
		if (strncmp(line + 3, cg.procs_base, blen) == 0 &&
		    line[3 + blen] == '/')
			r = cgroup_parse_leaf(line + 4 + blen, svc, len, index);
		break;
	}
	free(line);
	fclose(f);
	return r;
}

static bool
cgroup_has(const char *controller)
{
	size_t	i;

	for (i = 0; i < nitems(cgroup_wanted); i++) {
		if (strcmp(cgroup_wanted[i], controller) == 0)
			return cg.ctl[i];
	}
	return false;
}

json_t *
cgroup_caps(void)
{
	json_t	*ctl = json_array();
	size_t	 i;

	for (i = 0; i < nitems(cgroup_wanted); i++) {
		if (cg.ctl[i])
			json_array_append_new(ctl,
			    json_string(cgroup_wanted[i]));
	}
	return json_pack("{s:b, s:o}", "cgroup", cgroup_enabled(),
	    "controllers", ctl);
}

/* Why a limit of `m` cannot be enforced here (malloc'd), or NULL. */
char *
cgroup_check_limits(const struct manifest *m)
{
	const char	*name = NULL;
	char		*why;

	if (m->limits.memory != 0 && !cgroup_has("memory"))
		name = "memory";
	else if (m->limits.pids != 0 && !cgroup_has("pids"))
		name = "pids";
	if (name == NULL)
		return NULL;
	if (!cgroup_enabled() && geteuid() != 0)
		xasprintf(&why, "%s limit needs root (cgroup v2 is not "
		    "writable)", name);
	else
		xasprintf(&why, "%s limit needs the cgroup v2 %s controller, "
		    "not available here", name, name);
	return why;
}

static int
cgroup_set_limit(int fd, const char *controller, const char *file,
    uint64_t value)
{
	char	buf[32] = "max";

	if (!cgroup_has(controller))
		return 0;
	if (value != 0)
		snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return cgroup_write(fd, file, buf);
}

int
cgroup_open(const char *svc, unsigned index, const struct manifest *m,
    char **cause)
{
	char	*path;
	int	 fd, r;

	xasprintf(&path, "%s/%s.%u", cg.base, svc, index);
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		r = -errno;
		xasprintf(cause, "cgroup %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		r = -errno;
		xasprintf(cause, "cgroup %s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	free(path);
	if ((r = cgroup_set_limit(fd, "memory", "memory.max",
	    m->limits.memory)) != 0 ||
	    (r = cgroup_set_limit(fd, "pids", "pids.max",
	    m->limits.pids)) != 0) {
		xasprintf(cause, "cgroup limits: %s", strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

/* Without cgroup.kill: SIGKILL every member, until none is left. */
static void
cgroup_kill_members(int dirfd)
{
	char	 buf[4096], *p, *end;
	ssize_t	 n;
	long	 pid;
	int	 fd, round, killed = 1;

	for (round = 0; round < 16 && killed > 0; round++) {
		if ((fd = openat(dirfd, "cgroup.procs",
		    O_RDONLY | O_CLOEXEC)) == -1)
			return;
		killed = 0;
		while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			for (p = buf; (pid = strtol(p, &end, 10)) > 0;
			    p = end)
				killed += kill((pid_t)pid, SIGKILL) == 0;
		}
		close(fd);
	}
}

void
cgroup_kill(int dirfd)
{
	if (dirfd == -1)
		return;
	if (cg.has_kill)
		cgroup_write(dirfd, "cgroup.kill", "1");
	else
		cgroup_kill_members(dirfd);
}

static void
cgroup_dead_free(struct cgroup_dead *d)
{
	struct cgroup_dead	**pp;

	for (pp = &cg.dead; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	if (d->wd != -1 && cg.inotify != -1)
		inotify_rm_watch(cg.inotify, d->wd);
	free(d->path);
	free(d);
}

/* True when the directory is gone (or cannot ever be removed by us). */
static bool
cgroup_rmdir(const char *path)
{
	if (rmdir(path) == 0 || errno == ENOENT)
		return true;
	if (errno == EBUSY)
		return false;
	log_warn("cannot remove cgroup %s: %s", path, strerror(errno));
	return true;
}

static void
cgroup_inotify_cb(evutil_socket_t fd, short what, void *arg)
{
	char			 buf[4096];
	struct cgroup_dead	*d, *next;
	ssize_t			 n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	for (d = cg.dead; d != NULL; d = next) {
		next = d->next;
		if (cgroup_rmdir(d->path))
			cgroup_dead_free(d);
	}
	agent_check_done();
}

/* Watch cgroup.events of a populated directory; removed when empty. */
static void
cgroup_bury(char *path)
{
	struct cgroup_dead	*d;
	char			*events;

	if (cg.inotify == -1) {
		cg.inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (cg.inotify == -1) {
			log_warn("cannot remove cgroup %s: inotify: %s", path,
			    strerror(errno));
			free(path);
			return;
		}
		cg.inotify_ev = event_new(agent.base, cg.inotify,
		    EV_READ | EV_PERSIST, cgroup_inotify_cb, NULL);
		event_add(cg.inotify_ev, NULL);
	}
	d = xcalloc(1, sizeof(*d));
	d->path = path;
	xasprintf(&events, "%s/cgroup.events", path);
	d->wd = inotify_add_watch(cg.inotify, events, IN_MODIFY);
	free(events);
	d->next = cg.dead;
	cg.dead = d;
	if (d->wd == -1)
		log_warn("cannot remove cgroup %s: inotify: %s", path,
		    strerror(errno));
	/* It may have emptied before the watch was added. */
	if (d->wd == -1 || cgroup_rmdir(path))
		cgroup_dead_free(d);
}

void
cgroup_release(const char *svc, unsigned index, int dirfd)
{
	char	*path;

	if (dirfd == -1)
		return;
	close(dirfd);
	xasprintf(&path, "%s/%s.%u", cg.base, svc, index);
	if (cgroup_rmdir(path))
		free(path);
	else
		cgroup_bury(path);
}

bool
cgroup_busy(void)
{
	return cg.dead != NULL;
}

void
cgroup_cleanup(void)
{
	while (cg.dead != NULL) {
		cgroup_rmdir(cg.dead->path);
		cgroup_dead_free(cg.dead);
	}
	if (cg.inotify_ev != NULL)
		event_free(cg.inotify_ev);
	cg.inotify_ev = NULL;
	if (cg.inotify != -1)
		close(cg.inotify);
	cg.inotify = -1;
	if (cg.base != NULL)
		rmdir(cg.base);		/* fails while instances remain */
	free(cg.base);
	free(cg.procs_base);
	cg.base = cg.procs_base = NULL;
}
