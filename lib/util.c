/*
 * util.c — memory, files, fds, clocks and default paths. See util.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		abort();
	return xrealloc(p, n * size);
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	if (p == NULL)
		abort();
	return p;
}

int
xasprintf(char **out, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n == -1)
		abort();
	return n;
}

static int
fsync_dir_of(const char *path)
{
	char	*copy = xstrdup(path);
	int	 fd, r = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd == -1)
		return -errno;
	if (fsync(fd) == -1)
		r = -errno;
	close(fd);
	return r;
}

/* Write a temporary file for path, fsync'd when `sync`; *tmpp malloc'd. */
static int
write_tmp(const char *path, const void *buf, size_t len, bool sync,
    char **tmpp)
{
	char		*tmp;
	const char	*p = buf;
	ssize_t		 w;
	int		 fd, r = 0;

	xasprintf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		r = -errno;
		free(tmp);
		return r;
	}
	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (r == 0 && sync && fsync(fd) == -1)
		r = -errno;
	if (close(fd) == -1 && r == 0)
		r = -errno;
	if (r != 0) {
		unlink(tmp);
		free(tmp);
		return r;
	}
	*tmpp = tmp;
	return 0;
}

int
atomic_write_file(const char *path, const void *buf, size_t len)
{
	char	*tmp;
	int	 r;

	if ((r = write_tmp(path, buf, len, true, &tmp)) < 0)
		return r;
	if (rename(tmp, path) == -1) {
		r = -errno;
		unlink(tmp);
	} else
		r = fsync_dir_of(path);
	free(tmp);
	return r;
}

int
atomic_batch_add(struct atomic_batch *b, const char *path, const void *buf,
    size_t len)
{
	char	*tmp;
	int	 r;

	if ((r = write_tmp(path, buf, len, false, &tmp)) < 0)
		return r;
	b->tmp = xreallocarray(b->tmp, b->n + 1, sizeof(*b->tmp));
	b->path = xreallocarray(b->path, b->n + 1, sizeof(*b->path));
	b->tmp[b->n] = tmp;
	b->path[b->n++] = xstrdup(path);
	return 0;
}

static bool
same_dir(const char *a, const char *b)
{
	const char	*sa = strrchr(a, '/'), *sb = strrchr(b, '/');

	if (sa == NULL || sb == NULL)
		return sa == sb;
	return sa - a == sb - b && strncmp(a, b, (size_t)(sa - a)) == 0;
}

int
atomic_batch_commit(struct atomic_batch *b)
{
	size_t	i;
	int	fd, r = 0;

	if (b->n > 0) {
		fd = open(b->tmp[0], O_RDONLY | O_CLOEXEC);
		if (fd == -1 || syncfs(fd) == -1)
			r = -errno;
		if (fd != -1)
			close(fd);
	}
	for (i = 0; i < b->n; i++) {
		if (r == 0 && rename(b->tmp[i], b->path[i]) == -1)
			r = -errno;
		if (r != 0)
			unlink(b->tmp[i]);
	}
	for (i = 0; i < b->n && r == 0; i++) {
		/* one fsync per distinct directory (usually one) */
		if (i == 0 || !same_dir(b->path[i - 1], b->path[i]))
			r = fsync_dir_of(b->path[i]);
	}
	for (i = 0; i < b->n; i++) {
		free(b->tmp[i]);
		free(b->path[i]);
	}
	free(b->tmp);
	free(b->path);
	memset(b, 0, sizeof(*b));
	return r;
}

int
read_file(const char *path, char **out, size_t *outlen)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r != 0) {
		free(buf);
		return r;
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = len;
	return 0;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char	*copy = xstrdup(path), *p;
	int	 r = 0;

	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			r = -errno;
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return r;
}

int
fd_set_cloexec(int fd)
{
	int	flags = fcntl(fd, F_GETFD);

	if (flags == -1 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		return -errno;
	return 0;
}

int
fd_set_nonblock(int fd)
{
	int	flags = fcntl(fd, F_GETFL);

	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -errno;
	return 0;
}

static uint64_t
clock_ms(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t
wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

char *
default_run_dir(void)
{
	const char	*x;
	char		*s;

	if (geteuid() == 0)
		return xstrdup("/run/drover");
	if ((x = getenv("XDG_RUNTIME_DIR")) != NULL && *x == '/')
		xasprintf(&s, "%s/drover", x);
	else
		xasprintf(&s, "/tmp/drover-%ld", (long)geteuid());
	return s;
}

char *
default_state_dir(void)
{
	const char	*x;
	char		*s;

	if (geteuid() == 0)
		return xstrdup("/var/lib/drover");
	if ((x = getenv("XDG_STATE_HOME")) != NULL && *x == '/')
		xasprintf(&s, "%s/drover", x);
	else if ((x = getenv("HOME")) != NULL && *x == '/')
		xasprintf(&s, "%s/.local/state/drover", x);
	else
		xasprintf(&s, "/tmp/drover-state-%ld", (long)geteuid());
	return s;
}

uint64_t
hash64(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	uint64_t		 h = 0xcbf29ce484222325ULL;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
