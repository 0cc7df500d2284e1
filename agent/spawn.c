/*
 * spawn.c — creating an instance's process with hygiene.
 *
 * The child is created with clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD) on a
 * private stack, as posix_spawn does: no page tables are copied, the
 * parent resumes once the child has exec'd or died, and it gets a pidfd
 * for the child atomically (the agent waits on pidfds, never scans its
 * children). The child also starts on the parent's fd table
 * (CLONE_FILES) and first unshares it keeping only the low fds that
 * the agent opens early (/dev/null and the output slot): so a spawn
 * costs the same with ten instances or ten thousand (each holding a
 * pidfd and a pipe). The output slot is a low fd number into which the
 * parent dups the request's outfd (the instance's log pipe) just before
 * the clone and which it points back at /dev/null right after, so the
 * child can take stdout/stderr from it without a copy of the whole fd
 * table. The child runs only async-signal-safe code: every string
 * and id it needs is prepared by the parent. It resets the signals the
 * agent handles or ignores, makes its own process group, takes stdin
 * from /dev/null and stdout/stderr from the output slot (or the
 * agent's), sets rlimits, drops privileges, changes directory, unblocks
 * signals and execs. On failure it leaves "<step> <arg>: <reason>" in memory it
 * shares with the parent and exits 127; so the result of a spawn is
 * known when spawn_start returns.
 *
 * Under AddressSanitizer the child is a plain fork, which reports a
 * failure through a close-on-exec pipe instead (the parent reads it
 * until EOF, i.e. until the exec, as vfork would have waited).
 *
 * A child given a cgroup is created in it (clone3 with CLONE_INTO_CGROUP,
 * see spawn-clone3.c); where that is not available (fork mode, older
 * kernels, other architectures) it moves itself there first thing.
 *
 * Every fd the agent holds is close-on-exec, so a child gets 0, 1, 2
 * and nothing else, except the fds a request passes (listen sockets):
 * the child dups those to 3, 4, ... (not close-on-exec) once its
 * stdio is set up. In clone mode its private fd table is then a copy up
 * to the highest passed fd, the gaps below it closed (a spawn with
 * passed fds costs more with many instances; one without does not).
 * Only the child knows its pid before the exec, so it writes it into
 * the request's pid slots (LISTEN_PID=, WATCHDOG_PID= in its envp).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "spawn-clone3.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_USE_FORK	1
#endif

#define SPAWN_STACK_SIZE	(256 * 1024)
#define SPAWN_MSG_MAX		512

/* What the child needs, prepared by the parent. */
struct spawn_child {
	const struct spawn_req	*req;
	bool			 setid;
	uid_t			 uid;
	gid_t			 gid;
	gid_t			*groups;
	int			 ngroups;
	bool			 in_cgroup;	/* created in req->cgroup_fd */
	int			 sorted[SPAWN_FDS_MAX];	/* req->fds, ascending */
	int			 errpipe;	/* fork mode: write end */
	size_t			 errlen;	/* clone mode: shared result */
	char			 err[SPAWN_MSG_MAX];
};

static int		 spawn_devnull = -1;
static int		 spawn_outslot = -1;	/* the child's stdout while it starts */
static int		 spawn_keep;	/* the highest fd a child keeps */
static int		 spawn_sigs[_NSIG];
static int		 spawn_nsigs;
static char		**spawn_env;
static struct rlimit	 spawn_nofile;	/* what children get by default */
#ifndef SPAWN_USE_FORK
static void		*spawn_stack;
static bool		 spawn_no_clone3;	/* the kernel refused it once */
#endif

/* Variables that describe the agent's own service manager context. */
static const char *const spawn_env_drop[] = {
	"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"WATCHDOG_USEC", "WATCHDOG_PID",
};

static bool
spawn_env_dropped(const char *e)
{
	size_t	i, n;

	for (i = 0; i < nitems(spawn_env_drop); i++) {
		n = strlen(spawn_env_drop[i]);
		if (strncmp(e, spawn_env_drop[i], n) == 0 && e[n] == '=')
			return true;
	}
	return false;
}

/* Remember every signal whose disposition an exec would not reset. */
void
spawn_save_signals(void)
{
	struct sigaction	sa;
	int			sig;

	spawn_nsigs = 0;
	for (sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
			spawn_sigs[spawn_nsigs++] = sig;
	}
}

static void
spawn_init_env(void)
{
	extern char	**environ;
	size_t		  i, n = 0;

	for (i = 0; environ[i] != NULL; i++)
		;
	spawn_env = xcalloc(i + 1, sizeof(*spawn_env));
	for (i = 0; environ[i] != NULL; i++) {
		if (!spawn_env_dropped(environ[i]))
			spawn_env[n++] = environ[i];
	}
	spawn_env[n] = NULL;
}

/*
 * The agent holds a pidfd per instance, so it raises its own soft fd
 * limit; children get the limit the agent was started with.
 */
static void
spawn_init_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &spawn_nofile) == -1)
		return;
	rl = spawn_nofile;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int
spawn_init(void)
{
	spawn_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (spawn_devnull == -1)
		return -errno;
	spawn_outslot = fcntl(spawn_devnull, F_DUPFD_CLOEXEC, 0);
	if (spawn_outslot == -1)
		return -errno;
	spawn_keep = spawn_outslot > spawn_devnull ? spawn_outslot :
	    spawn_devnull;
	spawn_init_env();
	spawn_init_nofile();
#ifndef SPAWN_USE_FORK
	spawn_stack = mmap(NULL, SPAWN_STACK_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (spawn_stack == MAP_FAILED) {
		spawn_stack = NULL;
		return -errno;
	}
#endif
	return 0;
}

void
spawn_cleanup(void)
{
	if (spawn_devnull != -1)
		close(spawn_devnull);
	if (spawn_outslot != -1)
		close(spawn_outslot);
	spawn_devnull = spawn_outslot = -1;
	free(spawn_env);
	spawn_env = NULL;
#ifndef SPAWN_USE_FORK
	if (spawn_stack != NULL)
		munmap(spawn_stack, SPAWN_STACK_SIZE);
	spawn_stack = NULL;
#endif
}

char *const *
spawn_base_env(void)
{
	return spawn_env;
}

/* Child side: append a string into the bounded message, no libc state. */
static size_t
spawn_cat(char *buf, size_t at, const char *s)
{
	while (s != NULL && *s != '\0' && at < SPAWN_MSG_MAX - 1)
		buf[at++] = *s++;
	return at;
}

/* Child side: report "<step> <arg>: <reason>" and exit. */
static __attribute__((noreturn)) void
spawn_child_fail(struct spawn_child *c, const char *step, const char *arg,
    int err)
{
	size_t	n;

	n = spawn_cat(c->err, 0, step);
	if (arg != NULL) {
		n = spawn_cat(c->err, n, " ");
		n = spawn_cat(c->err, n, arg);
	}
	n = spawn_cat(c->err, n, ": ");
	n = spawn_cat(c->err, n, strerrordesc_np(err));
	c->errlen = n;
	if (c->errpipe != -1 && write(c->errpipe, c->err, n) == -1) {
		/* the parent then sees a bare exit 127 */
	}
	_exit(127);
}

static void
spawn_child_stdio(struct spawn_child *c)
{
	if (dup2(spawn_devnull, STDIN_FILENO) == -1)
		spawn_child_fail(c, "dup2", "/dev/null", errno);
	if (c->req->outfd == -1)
		return;
	if (dup2(spawn_outslot, STDOUT_FILENO) == -1 ||
	    dup2(spawn_outslot, STDERR_FILENO) == -1)
		spawn_child_fail(c, "dup2", "stdout", errno);
}

/* Raw system calls: glibc's set*id wrappers synchronise threads. */
static void
spawn_child_ids(struct spawn_child *c)
{
	const char	*who = c->req->user ? c->req->user : c->req->group;

	if (syscall(SYS_setgroups, (size_t)c->ngroups, c->groups) == -1)
		spawn_child_fail(c, "setgroups", who, errno);
	if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) == -1)
		spawn_child_fail(c, "setgid", who, errno);
	if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) == -1)
		spawn_child_fail(c, "setuid", who, errno);
}

/* Move into the instance's cgroup, when not created there. */
static void
spawn_child_cgroup(struct spawn_child *c)
{
	int	fd;

	if (c->req->cgroup_fd <= 0 || c->in_cgroup)
		return;
	fd = openat(c->req->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, "0", 1) != 1)
		spawn_child_fail(c, "cgroup", NULL, errno);
	close(fd);
}

/*
 * Clone mode: take a private fd table holding only the agent's low fds
 * and the passed ones (the table is shared with the parent until then).
 */
#ifndef SPAWN_USE_FORK
static void
spawn_child_unshare(struct spawn_child *c)
{
	unsigned	i, n = c->req->nfds, lo = (unsigned)spawn_keep + 1;

	if (n == 0) {
		if (close_range(lo, ~0U, CLOSE_RANGE_UNSHARE) == -1)
			spawn_child_fail(c, "close_range", NULL, errno);
		return;
	}
	if (close_range((unsigned)c->sorted[n - 1] + 1, ~0U,
	    CLOSE_RANGE_UNSHARE) == -1)
		spawn_child_fail(c, "close_range", NULL, errno);
	for (i = 0; i < n; i++) {
		if ((unsigned)c->sorted[i] > lo)
			close_range(lo, (unsigned)c->sorted[i] - 1, 0);
		lo = (unsigned)c->sorted[i] + 1;
	}
}
#endif

/* The passed fds to 3, 4, ..., through copies above them. */
static void
spawn_child_fds(struct spawn_child *c)
{
	const struct spawn_req	*r = c->req;
	int			 tmp[SPAWN_FDS_MAX];
	unsigned		 i;

	for (i = 0; i < r->nfds; i++) {
		tmp[i] = fcntl(r->fds[i], F_DUPFD_CLOEXEC, 3 + (int)r->nfds);
		if (tmp[i] == -1)
			spawn_child_fail(c, "dup", "listen socket", errno);
	}
	for (i = 0; i < r->nfds; i++) {
		if (dup2(tmp[i], 3 + (int)i) == -1)
			spawn_child_fail(c, "dup2", "listen socket", errno);
	}
}

/* The child's pid, in decimal, into every pid slot. */
static void
spawn_child_pid(struct spawn_child *c)
{
	char		d[SPAWN_PID_LEN];
	long		pid = syscall(SYS_getpid);
	size_t		n = 0, i, k;

	do
		d[n++] = (char)('0' + pid % 10);
	while ((pid /= 10) > 0 && n < sizeof(d) - 1);
	for (k = 0; k < SPAWN_PID_SLOTS; k++) {
		if (c->req->pid_slots[k] == NULL)
			continue;
		for (i = 0; i < n; i++)
			c->req->pid_slots[k][i] = d[n - 1 - i];
		c->req->pid_slots[k][n] = '\0';
	}
}

static int
spawn_child_main(void *arg)
{
	struct spawn_child	*c = arg;
	const struct spawn_req	*r = c->req;
	struct sigaction	 dfl;
	struct rlimit		 rl = spawn_nofile;
	sigset_t		 none;
	int			 i;

	spawn_child_cgroup(c);
#ifndef SPAWN_USE_FORK
	/* Created sharing the parent's fd table (no copy of a thousand
	 * pidfds): a private one now. */
	spawn_child_unshare(c);
#endif
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (i = 0; i < spawn_nsigs; i++)
		sigaction(spawn_sigs[i], &dfl, NULL);
	if (setpgid(0, 0) == -1)
		spawn_child_fail(c, "setpgid", NULL, errno);
	spawn_child_stdio(c);
	spawn_child_fds(c);
	spawn_child_pid(c);
	if (r->nofile != 0)
		rl.rlim_cur = rl.rlim_max = (rlim_t)r->nofile;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		spawn_child_fail(c, "setrlimit", "nofile", errno);
	if (c->setid)
		spawn_child_ids(c);
	if (r->workdir != NULL && chdir(r->workdir) == -1)
		spawn_child_fail(c, "chdir", r->workdir, errno);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) == -1)
		spawn_child_fail(c, "sigprocmask", NULL, errno);
	execvpe(r->argv[0], r->argv, r->envp);
	spawn_child_fail(c, "exec", r->argv[0], errno);
}

/* Parent side: resolve user and group into ids before the child runs. */
static int
spawn_resolve_ids(const struct spawn_req *r, struct spawn_child *c,
    char **cause)
{
	struct passwd	*pw = NULL;
	struct group	*gr;
	int		 n = 0;

	c->uid = geteuid();
	c->gid = getegid();
	if (r->user != NULL) {
		errno = 0;
		if ((pw = getpwnam(r->user)) == NULL) {
			xasprintf(cause, "user %s: %s", r->user,
			    errno ? strerror(errno) : "no such user");
			return errno ? -errno : -ENOENT;
		}
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	if (r->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(r->group)) == NULL) {
			xasprintf(cause, "group %s: %s", r->group,
			    errno ? strerror(errno) : "no such group");
			return errno ? -errno : -ENOENT;
		}
		c->gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (c->uid == geteuid() && c->gid == getegid())
			return 0;	/* already who it should be */
		xasprintf(cause, "user %s: user switching needs root",
		    r->user ? r->user : r->group);
		return -EPERM;
	}
	if (pw != NULL) {
		getgrouplist(pw->pw_name, c->gid, NULL, &n);
		c->groups = xcalloc((size_t)n + 1, sizeof(gid_t));
		if (getgrouplist(pw->pw_name, c->gid, c->groups, &n) == -1)
			n = 0;
		c->ngroups = n;
	} else {
		c->groups = xcalloc(1, sizeof(gid_t));
		c->groups[0] = c->gid;
		c->ngroups = 1;
	}
	c->setid = true;
	return 0;
}

#ifdef SPAWN_USE_FORK
static pid_t
spawn_clone(struct spawn_child *c, int *pidfd)
{
	ssize_t	n;
	pid_t	pid;
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	c->errpipe = p[1];
	if ((pid = fork()) == 0)
		spawn_child_main(c);
	close(p[1]);
	c->errpipe = -1;
	if (pid > 0) {
		setpgid(pid, pid);	/* a stop cannot miss the group */
		/* Until the exec (EOF) or the reason of a failure. */
		do
			n = read(p[0], c->err, sizeof(c->err) - 1);
		while (n == -1 && errno == EINTR);
		c->errlen = n > 0 ? (size_t)n : 0;
		*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	}
	close(p[0]);
	if (pid > 0 && *pidfd == -1) {
		n = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = (int)n;
		return -1;
	}
	return pid;
}
#else
/* Born in its cgroup; -1 with errno ENOSYS when that cannot be done. */
static pid_t
spawn_clone_into(struct spawn_child *c, int *pidfd)
{
	struct spawn_clone_args	a;
	long			pid;

	memset(&a, 0, sizeof(a));
	a.flags = CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD |
	    CLONE_INTO_CGROUP;
	a.pidfd = (uint64_t)(uintptr_t)pidfd;
	a.exit_signal = SIGCHLD;
	a.stack = (uint64_t)(uintptr_t)spawn_stack;
	a.stack_size = SPAWN_STACK_SIZE;
	a.cgroup = (uint64_t)c->req->cgroup_fd;
	c->in_cgroup = true;
	pid = spawn_clone3(&a, spawn_child_main, c);
	if (pid == -ENOSYS || pid == -E2BIG || pid == -EINVAL) {
		spawn_no_clone3 = true;		/* clone() from now on */
		c->in_cgroup = false;
		errno = ENOSYS;
		return -1;
	}
	if (pid < 0) {
		errno = (int)-pid;
		return -1;
	}
	return (pid_t)pid;
}

static pid_t
spawn_clone(struct spawn_child *c, int *pidfd)
{
	pid_t	pid;

	if (c->req->cgroup_fd > 0 && !spawn_no_clone3 &&
	    ((pid = spawn_clone_into(c, pidfd)) != -1 || errno != ENOSYS))
		return pid;
	return clone(spawn_child_main, (char *)spawn_stack + SPAWN_STACK_SIZE,
	    CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | SIGCHLD, c,
	    pidfd);
}
#endif

/* The passed fds, ascending, checked: above the child's low fds. */
static int
spawn_sort_fds(const struct spawn_req *r, int *sorted, char **cause)
{
	unsigned	i, j;
	int		fd;

	if (r->nfds > SPAWN_FDS_MAX) {
		xasprintf(cause, "%u fds to pass (at most %d)", r->nfds,
		    SPAWN_FDS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < r->nfds; i++) {
		if ((fd = r->fds[i]) <= spawn_keep) {
			xasprintf(cause, "fd %d cannot be passed", fd);
			return -EINVAL;
		}
		for (j = i; j > 0 && sorted[j - 1] > fd; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = fd;
	}
	return 0;
}

pid_t
spawn_start(const struct spawn_req *r, int *pidfd, char **cause)
{
	struct spawn_child	 c;
	sigset_t		 all, saved;
	pid_t			 pid;
	int			 err;

	memset(&c, 0, sizeof(c));
	c.errpipe = -1;
	*pidfd = -1;
	*cause = NULL;
	if ((err = spawn_sort_fds(r, c.sorted, cause)) < 0)
		return err;
	if ((r->user != NULL || r->group != NULL) &&
	    (err = spawn_resolve_ids(r, &c, cause)) < 0)
		return err;
	c.req = r;
	if (r->outfd != -1 &&
	    dup3(r->outfd, spawn_outslot, O_CLOEXEC) == -1) {
		xasprintf(cause, "dup3 stdout: %s", strerror(errno));
		free(c.groups);
		return -1;
	}

	/* No handler may run in the child before its dispositions reset. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = spawn_clone(&c, pidfd);
	err = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	free(c.groups);
	/* The slot must not keep the output open once the child has it. */
	if (r->outfd != -1)
		dup3(spawn_devnull, spawn_outslot, O_CLOEXEC);
	if (pid == -1) {
		xasprintf(cause, "fork: %s", strerror(err));
		return -EAGAIN;
	}
	if (c.errlen > 0)
		*cause = xstrndup(c.err, c.errlen);
	return pid;
}
