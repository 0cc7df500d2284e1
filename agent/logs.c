/*
 * logs.c — instances' stdout and stderr.
 *
 * With logs.to: file (the default) an instance's stdout and stderr are one
 * pipe: the child gets the write end as both fd 1 and fd 2, so lines of
 * both land in one file in the order they were written, with no stream
 * marker. The agent creates the pipe at the instance's first spawn and
 * keeps both ends until the instance is removed: every process of the
 * instance writes into the same pipe, so a restart costs no syscall here,
 * nothing has to be drained between two processes, and the fd count of a
 * restart loop stays flat. The read end is non-blocking and watched by
 * the agent's event loop; each wakeup reads at most LOGS_READ_MAX bytes,
 * so an instance that writes without pause gets one bounded turn per loop
 * and cannot starve the supervision of others.
 *
 * What is read goes to <state dir>/logs/<service>.<index>.log, opened
 * with O_APPEND on the first output (not at spawn: creating a thousand
 * empty files would cost the start of a thousand instances more than the
 * rest of it). A file takes output until it reaches logs.max_size (taken
 * from the service's assigned revision, so a change of it is live) and
 * then the rest of the line that reached it; it is full then, and the
 * next output first shifts the files, .log -> .log.1 -> ..., keeping
 * logs.keep files in all, the .log included: so a file is at most one
 * line over max_size, and the newest lines are always in the .log. A line
 * without an end is cut LOGS_LINE_SLACK bytes past the limit. A write that
 * fails drops that output: the loss is counted, reported once when it
 * starts and once when writing works again, and never retried.
 *
 * logs.to: inherit hands the child the agent's own stdout and stderr.
 * logs.to: journal gives it a fresh journal stream (sd_journal_stream_fd)
 * per process where /run/systemd/journal/stdout exists; elsewhere the
 * instance writes to its file, with one warning per agent run.
 *
 * The pipe outlives the agent's worker too: both ends are given to the
 * keeper (hold_put, key "logs/<service>.<index>"), which drains it while
 * no worker runs, and a new worker takes them back (hold_take). So that a
 * worker killed at any instant loses no output, what is read is first
 * copied out of the pipe without consuming it (tee into a scratch pipe),
 * and then moved from the pipe into the file (splice, at the file's
 * size: the keeper appends the same way): the bytes leave the pipe only
 * as they land in the file. Where the kernel cannot splice into the file
 * it is read and written as plainly as before.
 *
 * Invariants: a struct logs exists only with its pipe open and its read
 * event added; fd is -1 or the open .log file whose size is `size`; full
 * only with that file open.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "agent.h"
#include "log.h"
#include "util.h"

#define LOGS_READ_MAX	(64 * 1024)	/* per wakeup of one instance */
#define LOGS_DRAIN_MAX	(16 * LOGS_READ_MAX)	/* read at removal */
#define LOGS_LINE_SLACK	(64 * 1024)	/* of a line past max_size */
#define LOGS_JOURNAL_SOCKET	"/run/systemd/journal/stdout"

struct logs {
	struct inst	*inst;
	struct event	*ev;		/* rfd readable */
	int		 rfd;		/* the pipe, both ends kept */
	int		 wfd;
	int		 fd;		/* the .log file, -1: not open */
	uint64_t	 size;		/* of the open .log file */
	bool		 full;		/* rotate before writing more */
	uint64_t	 lost;		/* bytes dropped since writing failed */
	bool		 failing;	/* a write failure was reported */
	bool		 rotate_failed;	/* reported, never again */
};

static char	logs_buf[LOGS_READ_MAX];
static int	logs_have_journal = -1;	/* unknown yet */
static int	logs_peek[2] = { -1, -1 };	/* the scratch pipe for tee */
static bool	logs_no_splice;		/* copy with read and write */

/* <logs dir>/<service>.<index>.log, with ".N" for N > 0. */
static char *
logs_path(const struct logs *l, unsigned n)
{
	const struct inst	*inst = l->inst;
	char			*path;

	if (n == 0)
		xasprintf(&path, "%s/%s.%u.log", agent.logs_dir,
		    inst->svc->name, inst->index);
	else
		xasprintf(&path, "%s/%s.%u.log.%u", agent.logs_dir,
		    inst->svc->name, inst->index, n);
	return path;
}

/* Writing failed: drop the output, and say so only the first time. */
static void
logs_lose(struct logs *l, size_t len, const char *what, int err)
{
	l->lost += len;
	if (l->failing)
		return;
	l->failing = true;
	log_warn("service %s/%u: %s: %s; dropping its output until this "
	    "works again", l->inst->svc->name, l->inst->index, what,
	    strerror(err));
}

static void
logs_recovered(struct logs *l)
{
	if (!l->failing)
		return;
	log_info("service %s/%u: writing output again, %" PRIu64 " bytes "
	    "lost", l->inst->svc->name, l->inst->index, l->lost);
	l->failing = false;
	l->lost = 0;
}

/* Consume n peeked bytes from the pipe without writing them anywhere. */
static void
logs_skip(struct logs *l, size_t n)
{
	char	junk[4096];
	ssize_t	r;

	if (logs_no_splice)
		return;		/* read already consumed them */
	while (n > 0 && (r = read(l->rfd, junk, n < sizeof(junk) ? n :
	    sizeof(junk))) > 0)
		n -= (size_t)r;
}

/* A file found over max is taken as full: rotated on the next output. */
static int
logs_open(struct logs *l, uint64_t max)
{
	struct stat	 st;
	char		*path = logs_path(l, 0);
	int		 fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	err = errno;
	free(path);
	if (fd == -1)
		return -err;
	l->fd = fd;
	l->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	l->full = l->size >= max;
	return 0;
}

static void
logs_rotate_failed(struct logs *l, const char *path, int err)
{
	if (l->rotate_failed)
		return;
	l->rotate_failed = true;
	log_warn("service %s/%u: cannot rotate %s: %s", l->inst->svc->name,
	    l->inst->index, path, strerror(err));
}

/* Close the full file and shift: .log.(keep-2) -> .log.(keep-1), ... */
static void
logs_rotate(struct logs *l, unsigned keep)
{
	char		*from, *to;
	unsigned	 n;

	close(l->fd);
	l->fd = -1;
	l->size = 0;
	l->full = false;
	if (keep <= 1) {
		from = logs_path(l, 0);
		if (unlink(from) == -1 && errno != ENOENT)
			logs_rotate_failed(l, from, errno);
		free(from);
		return;
	}
	for (n = keep - 1; n >= 1; n--) {
		from = logs_path(l, n - 1);
		to = logs_path(l, n);
		if (rename(from, to) == -1 && errno != ENOENT)
			logs_rotate_failed(l, from, errno);
		free(from);
		free(to);
	}
}

/*
 * How much of buf goes into the open file: all of it while the file stays
 * under max, else up to the end of the line that reaches max (or to the
 * slack limit, for a line that does not end).
 */
static size_t
logs_cut(const struct logs *l, const char *buf, size_t len, uint64_t max)
{
	uint64_t	 room = l->size < max ? max - l->size : 0;
	uint64_t	 limit = max + LOGS_LINE_SLACK;
	const char	*nl;
	size_t		 from;

	if (len < room)
		return len;
	from = room > 0 ? (size_t)room - 1 : 0;
	if ((nl = memchr(buf + from, '\n', len - from)) != NULL)
		return (size_t)(nl - buf) + 1;
	if (l->size + len > limit)
		return l->size < limit ? (size_t)(limit - l->size) : 0;
	return len;
}

/* Move n bytes (already peeked) from the pipe to the end of the file. */
static ssize_t
logs_move(struct logs *l, const char *buf, size_t n)
{
	loff_t	off = (loff_t)l->size;
	ssize_t	w;
	int	err;

	if (!logs_no_splice) {
		w = splice(l->rfd, NULL, l->fd, &off, n, SPLICE_F_NONBLOCK);
		if (w >= 0 || errno != EINVAL) {
			/* what did not fit (disk full) is dropped */
			err = errno;
			logs_skip(l, w < 0 ? n : n - (size_t)w);
			errno = err;
			return w;
		}
	}
	/* No splice into this file: written first, then consumed. */
	w = pwrite(l->fd, buf, n, (off_t)l->size);
	err = errno;
	logs_skip(l, n);
	errno = err;
	return w;
}

static void
logs_put(struct logs *l, const char *buf, size_t n, uint64_t max)
{
	ssize_t	w;

	w = logs_move(l, buf, n);
	if (w < 0 || (size_t)w < n)
		logs_lose(l, n - (w < 0 ? 0 : (size_t)w), "write",
		    w < 0 ? errno : ENOSPC);
	else
		logs_recovered(l);
	if (w <= 0)
		return;
	l->size += (uint64_t)w;
	l->full = l->size >= max && (buf[w - 1] == '\n' ||
	    l->size >= max + LOGS_LINE_SLACK);
}

/*
 * Append output to the .log file. A full file is rotated only when more
 * output comes, so the newest lines are always in the .log.
 */
static void
logs_write(struct logs *l, const char *buf, size_t len)
{
	const struct manifest	*m = l->inst->svc->spec->m;
	size_t			 n;
	int			 r;

	while (len > 0) {
		if (l->fd == -1 && (r = logs_open(l, m->logs.max_size)) != 0) {
			logs_skip(l, len);
			logs_lose(l, len, "open", -r);
			return;
		}
		if (l->full) {
			logs_rotate(l, m->logs.keep);
			if ((r = logs_open(l, m->logs.max_size)) != 0) {
				logs_skip(l, len);
				logs_lose(l, len, "open", -r);
				return;
			}
			l->full = false;	/* even if the rotation failed */
		}
		n = logs_cut(l, buf, len, m->logs.max_size);
		logs_put(l, buf, n, m->logs.max_size);
		buf += n;
		len -= n;
	}
}

/* The scratch pipe, as large as one read. */
static int
logs_peek_open(void)
{
	if (logs_peek[0] != -1 || logs_no_splice)
		return 0;
	if (pipe2(logs_peek, O_CLOEXEC | O_NONBLOCK) == -1) {
		logs_no_splice = true;
		return -errno;
	}
	if (fcntl(logs_peek[1], F_SETPIPE_SZ, LOGS_READ_MAX) < LOGS_READ_MAX)
		log_debug("logs: the scratch pipe is smaller than a read");
	return 0;
}

/*
 * Look at what the pipe holds without consuming it: at most one read's
 * worth, into logs_buf. Returns the length, 0 when empty.
 */
static ssize_t
logs_peek_pipe(struct logs *l)
{
	ssize_t	n, r;

	if (!logs_no_splice) {
		n = tee(l->rfd, logs_peek[1], sizeof(logs_buf),
		    SPLICE_F_NONBLOCK);
		if (n > 0) {
			r = read(logs_peek[0], logs_buf, (size_t)n);
			return r == n ? n : -EIO;
		}
		if (n == 0 || errno == EAGAIN)
			return 0;
		if (errno != EINVAL)
			return -errno;
		log_info("logs: cannot tee here; output is copied by read "
		    "and write");
		logs_no_splice = true;
	}
	n = read(l->rfd, logs_buf, sizeof(logs_buf));
	return n >= 0 ? n : errno == EAGAIN ? 0 : -errno;
}

/* One bounded read per wakeup; the event is level-triggered. */
static void
logs_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct logs	*l = arg;
	ssize_t		 n;

	n = logs_peek_pipe(l);
	if (n > 0)
		logs_write(l, logs_buf, (size_t)n);
}

static struct logs *
logs_new(struct inst *inst)
{
	struct logs	*l;
	char		*key;
	int		 p[2];

	logs_peek_open();
	xasprintf(&key, "logs/%s.%u", inst->svc->name, inst->index);
	if (hold_take(key, p, 2) != 2) {
		if (pipe2(p, O_CLOEXEC) == -1) {
			log_warn("service %s/%u: cannot create its output "
			    "pipe: %s; it writes to the agent's output",
			    inst->svc->name, inst->index, strerror(errno));
			free(key);
			return NULL;
		}
		fd_set_nonblock(p[0]);
		hold_put(key, p, 2);
	}
	free(key);
	l = xcalloc(1, sizeof(*l));
	l->inst = inst;
	l->rfd = p[0];
	l->wfd = p[1];
	l->fd = -1;
	l->ev = event_new(agent.base, l->rfd, EV_READ | EV_PERSIST,
	    logs_read_cb, l);
	event_add(l->ev, NULL);
	return l;
}

static bool
logs_journal_ok(void)
{
	if (logs_have_journal == -1) {
		logs_have_journal = access(LOGS_JOURNAL_SOCKET, W_OK) == 0;
		if (!logs_have_journal)
			log_warn("logs.to: journal: no journal here (%s), "
			    "writing to files in %s instead", LOGS_JOURNAL_SOCKET,
			    agent.logs_dir);
	}
	return logs_have_journal;
}

/* A journal stream named after the service; -1 when there is none. */
static int
logs_journal_fd(const struct inst *inst)
{
	int	fd;

	if (!logs_journal_ok())
		return -1;
	fd = sd_journal_stream_fd(inst->svc->name, LOG_INFO, 1);
	if (fd < 0) {
		log_warn("service %s/%u: cannot open a journal stream: %s; "
		    "writing to its file", inst->svc->name, inst->index,
		    strerror(-fd));
		return -1;
	}
	return fd;
}

int
logs_output_fd(struct inst *inst, bool *owned)
{
	int	fd;

	*owned = false;
	switch (inst->spec->m->logs.to) {
	case LOGS_INHERIT:
		return -1;
	case LOGS_JOURNAL:
		if ((fd = logs_journal_fd(inst)) != -1) {
			*owned = true;
			return fd;
		}
		break;
	case LOGS_FILE:
		break;
	}
	if (inst->logs == NULL && (inst->logs = logs_new(inst)) == NULL)
		return -1;
	return inst->logs->wfd;
}

void
logs_free(struct logs *l)
{
	size_t	 total = 0;
	ssize_t	 n;
	char	*key;

	if (l == NULL)
		return;
	/* What the last process wrote before it ended. */
	while (total < LOGS_DRAIN_MAX && (n = logs_peek_pipe(l)) > 0) {
		logs_write(l, logs_buf, (size_t)n);
		total += (size_t)n;
	}
	if (!agent.handing_off) {
		xasprintf(&key, "logs/%s.%u", l->inst->svc->name,
		    l->inst->index);
		hold_drop(key);
		free(key);
	}
	if (l->failing)
		log_warn("service %s/%u: %" PRIu64 " bytes of output lost",
		    l->inst->svc->name, l->inst->index, l->lost);
	event_free(l->ev);
	close(l->rfd);
	close(l->wfd);
	if (l->fd != -1)
		close(l->fd);
	free(l);
}

void
logs_cleanup(void)
{
	if (logs_peek[0] != -1) {
		close(logs_peek[0]);
		close(logs_peek[1]);
	}
	logs_peek[0] = logs_peek[1] = -1;
}
