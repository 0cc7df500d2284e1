/*
 * spawn.c — creating an instance's process with hygiene.
 *
 * The child is created with clone(CLONE_VM|CLONE_VFORK) on a private
 * stack, as posix_spawn does: no page tables are copied, and the parent
 * resumes once the child has exec'd or died. (Under AddressSanitizer a
 * plain fork is used instead.) The child runs only async-signal-safe
 * code: every string and id it needs is prepared by the parent. It
 * resets the signals the agent handles or ignores, unblocks all, makes
 * its own process group, takes stdin from /dev/null and stdout/stderr
 * from the log file (or the agent's), sets rlimits, drops privileges,
 * changes directory and execs. On any failure it writes
 * "<step> <arg>: <reason>" to a close-on-exec pipe and exits 127; the
 * parent reads that pipe (EOF without data: exec succeeded).
 *
 * Every fd the agent holds is close-on-exec, so a child gets 0, 1, 2
 * and nothing else.
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
#include <unistd.h>

#include "agent.h"
#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_USE_FORK	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_USE_FORK	1
#endif
#endif

#define SPAWN_STACK_SIZE	(256 * 1024)
#define SPAWN_MSG_MAX		512

/* What the child needs, prepared by the parent. */
struct spawn_child {
	const struct spawn_req	*req;
	int			 resfd;		/* write end */
	int			 nsigs;
	const int		*sigs;
	sigset_t		 mask;		/* to set before exec */
	bool			 setid;
	uid_t			 uid;
	gid_t			 gid;
	gid_t			*groups;
	int			 ngroups;
};

static int	 spawn_devnull = -1;
static int	 spawn_sigs[_NSIG];
static int	 spawn_nsigs;
static char	**spawn_env;
#ifndef SPAWN_USE_FORK
static void	*spawn_stack;
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

int
spawn_init(void)
{
	extern char	**environ;
	struct sigaction sa;
	size_t		 n = 0, i;
	int		 sig;

	spawn_devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (spawn_devnull == -1)
		return -errno;
	/* Signals whose disposition an exec would not reset by itself. */
	spawn_nsigs = 0;
	for (sig = 1; sig < _NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, NULL, &sa) == -1)
			continue;
		if (sa.sa_handler != SIG_DFL)
			spawn_sigs[spawn_nsigs++] = sig;
	}
	for (i = 0; environ[i] != NULL; i++)
		;
	spawn_env = xcalloc(i + 1, sizeof(*spawn_env));
	for (i = 0; environ[i] != NULL; i++) {
		if (!spawn_env_dropped(environ[i]))
			spawn_env[n++] = environ[i];
	}
	spawn_env[n] = NULL;
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
	spawn_devnull = -1;
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

/* Child side: append a string into a bounded buffer, no libc state. */
static size_t
spawn_cat(char *buf, size_t at, const char *s)
{
	while (s != NULL && *s != '\0' && at < SPAWN_MSG_MAX - 1)
		buf[at++] = *s++;
	return at;
}

/* Child side: report "<step> <arg>: <reason>" and exit. */
static __attribute__((noreturn)) void
spawn_child_fail(const struct spawn_child *c, const char *step,
    const char *arg, int err)
{
	char	buf[SPAWN_MSG_MAX];
	size_t	n;

	n = spawn_cat(buf, 0, step);
	if (arg != NULL) {
		n = spawn_cat(buf, n, " ");
		n = spawn_cat(buf, n, arg);
	}
	n = spawn_cat(buf, n, ": ");
	n = spawn_cat(buf, n, strerrordesc_np(err));
	if (write(c->resfd, buf, n) == -1) {
		/* the parent then sees a bare exit 127 */
	}
	_exit(127);
}

static int
spawn_child_stdio(const struct spawn_child *c)
{
	const struct spawn_req	*r = c->req;
	int			 fd;

	if (dup2(spawn_devnull, STDIN_FILENO) == -1)
		spawn_child_fail(c, "dup2", "/dev/null", errno);
	if (r->logpath == NULL)
		return 0;
	fd = open(r->logpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644);
	if (fd == -1)
		spawn_child_fail(c, "open", r->logpath, errno);
	if (dup2(fd, STDOUT_FILENO) == -1 || dup2(fd, STDERR_FILENO) == -1)
		spawn_child_fail(c, "dup2", r->logpath, errno);
	close(fd);
	return 0;
}

/* Raw system calls: glibc's set*id wrappers synchronise threads. */
static void
spawn_child_ids(const struct spawn_child *c)
{
	const char	*who = c->req->user ? c->req->user : c->req->group;

	if (syscall(SYS_setgroups, (size_t)c->ngroups, c->groups) == -1)
		spawn_child_fail(c, "setgroups", who, errno);
	if (syscall(SYS_setresgid, c->gid, c->gid, c->gid) == -1)
		spawn_child_fail(c, "setgid", who, errno);
	if (syscall(SYS_setresuid, c->uid, c->uid, c->uid) == -1)
		spawn_child_fail(c, "setuid", who, errno);
}

static int
spawn_child_main(void *arg)
{
	const struct spawn_child	*c = arg;
	const struct spawn_req		*r = c->req;
	struct sigaction		 dfl;
	struct rlimit			 rl;
	int				 i;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (i = 0; i < c->nsigs; i++)
		sigaction(c->sigs[i], &dfl, NULL);
	if (setpgid(0, 0) == -1)
		spawn_child_fail(c, "setpgid", NULL, errno);
	spawn_child_stdio(c);
	if (r->nofile != 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)r->nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			spawn_child_fail(c, "setrlimit", "nofile", errno);
	}
	if (c->setid)
		spawn_child_ids(c);
	if (r->workdir != NULL && chdir(r->workdir) == -1)
		spawn_child_fail(c, "chdir", r->workdir, errno);
	if (sigprocmask(SIG_SETMASK, &c->mask, NULL) == -1)
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

	if (r->user != NULL) {
		errno = 0;
		if ((pw = getpwnam(r->user)) == NULL) {
			xasprintf(cause, "user %s: %s", r->user,
			    errno ? strerror(errno) : "no such user");
			return -1;
		}
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	} else {
		c->uid = geteuid();
		c->gid = getegid();
	}
	if (r->group != NULL) {
		errno = 0;
		if ((gr = getgrnam(r->group)) == NULL) {
			xasprintf(cause, "group %s: %s", r->group,
			    errno ? strerror(errno) : "no such group");
			return -1;
		}
		c->gid = gr->gr_gid;
	}
	if (c->uid == geteuid() && c->gid == getegid() && geteuid() != 0)
		return 0;	/* already who we should be */
	if (geteuid() != 0) {
		xasprintf(cause, "user %s: user switching needs root",
		    r->user ? r->user : r->group);
		return -1;
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

pid_t
spawn_start(const struct spawn_req *r, int *resfd, char **cause)
{
	struct spawn_child	 c;
	sigset_t		 all, saved;
	pid_t			 pid;
	int			 p[2], err;

	memset(&c, 0, sizeof(c));
	if ((r->user != NULL || r->group != NULL) &&
	    spawn_resolve_ids(r, &c, cause) == -1)
		return -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		free(c.groups);
		return -1;
	}
	c.req = r;
	c.resfd = p[1];
	c.sigs = spawn_sigs;
	c.nsigs = spawn_nsigs;
	sigemptyset(&c.mask);

	/* No handler may run in the child before its dispositions reset. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
#ifdef SPAWN_USE_FORK
	pid = fork();
	if (pid == 0)
		spawn_child_main(&c);
	if (pid > 0)
		setpgid(pid, pid);	/* so that a stop cannot miss the group */
#else
	pid = clone(spawn_child_main, (char *)spawn_stack + SPAWN_STACK_SIZE,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
#endif
	err = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	close(p[1]);
	free(c.groups);
	if (pid == -1) {
		close(p[0]);
		xasprintf(cause, "fork: %s", strerror(err));
		return -1;
	}
	if (fd_set_nonblock(p[0]) != 0) {
		/* a blocking read only waits for the exec */
	}
	*resfd = p[0];
	return pid;
}

int
spawn_result(int fd, char **cause)
{
	char	buf[SPAWN_MSG_MAX];
	ssize_t	n;

	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return 1;
	close(fd);
	if (n == 0)
		return 0;
	if (n == -1)
		xasprintf(cause, "spawn result: %s", strerror(errno));
	else
		*cause = xstrndup(buf, (size_t)n);
	return -1;
}
