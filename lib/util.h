/*
 * util.h — small helpers shared by the three programs: memory that never
 * returns NULL, atomic file writes, fd flags, paths and clocks.
 */
#ifndef DROVER_UTIL_H
#define DROVER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Write `len` bytes to `path` atomically: temporary file in the same
 * directory, fsync, rename, fsync of the directory. Mode 0644.
 * Returns 0 or a negative errno (the old file is then untouched).
 */
int	 atomic_write_file(const char *path, const void *buf, size_t len);
/*
 * Many atomic writes into one directory with one flush: each add writes a
 * temporary file; commit flushes the file system once (syncfs), renames
 * every file into place and fsyncs the directory. A crash before commit
 * leaves the old files untouched. Used when hundreds of files change at
 * once (start-up), where one fsync per file would dominate.
 */
struct atomic_batch {
	char	**tmp;
	char	**path;
	size_t	  n;
};
int	 atomic_batch_add(struct atomic_batch *, const char *path,
	    const void *buf, size_t len);
int	 atomic_batch_commit(struct atomic_batch *);
/* Read a whole file (NUL-terminated, length in *len). 0 or -errno. */
int	 read_file(const char *path, char **buf, size_t *len);
/* mkdir -p with mode; 0 or -errno. */
int	 mkdir_p(const char *path, mode_t mode);

int	 fd_set_cloexec(int fd);
int	 fd_set_nonblock(int fd);

/* Milliseconds of CLOCK_MONOTONIC / CLOCK_REALTIME. */
uint64_t now_ms(void);
uint64_t wall_ms(void);

/* Default run and state directories for this user (malloc'd). */
char	*default_run_dir(void);
char	*default_state_dir(void);

/* 64-bit FNV-1a. */
uint64_t hash64(const void *, size_t);

#endif
