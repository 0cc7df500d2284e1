/*
 * fdmsg.c — the messages between the keeper and the worker: one short
 * text line per SOCK_SEQPACKET datagram, with up to FDMSG_FDS_MAX file
 * descriptors attached (SCM_RIGHTS). Received fds are close-on-exec.
 *
 * The messages (keeper.c and hold.c are the two ends):
 *   worker -> keeper   hold KEY (+fds)    keep these fds under KEY
 *                      drop KEY           close them
 *                      forget PID         the exit of PID was handled
 *                      ready              listening: the agent is up
 *                      stopping           shutting down (for systemd)
 *                      upgrade            replace the keeper and worker
 *                      bye                shut down: exiting, so do you
 *   keeper -> worker   fd KEY (+fds)      handed over at start
 *                      exit PID STATUS    a process the keeper reaped
 *                      end                the hand-over is complete
 *                      handoff            exit now, leave the instances
 *
 * And the state a keeper exec'd again starts from (--keeper-state=FD):
 * a memfd of lines "worker PID FD", "hold KEY FD...", "exit PID STATUS",
 * every fd named left open across the exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

int
fdmsg_send(int sock, const char *text, const int *fds, size_t nfds,
    int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * FDMSG_FDS_MAX)];
	} u;
	struct iovec	 iov = { (void *)text, strlen(text) };
	struct msghdr	 mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr	*c;
	ssize_t		 n;

	if (nfds > FDMSG_FDS_MAX)
		return -EINVAL;
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
	while (n == -1 && errno == EINTR);
	return n == -1 ? -errno : 0;
}

ssize_t
fdmsg_recv(int sock, char *buf, size_t cap, int flags, int *fds,
    size_t *nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * FDMSG_FDS_MAX)];
	} u;
	struct iovec	 iov = { buf, cap - 1 };
	struct msghdr	 mh = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr	*c;
	ssize_t		 n;
	size_t		 k;

	*nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -errno;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (*nfds + k > FDMSG_FDS_MAX)
			k = FDMSG_FDS_MAX - *nfds;	/* cannot happen */
		memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
		*nfds += k;
	}
	/* A datagram cut short is empty text: ignored by both ends. */
	if (mh.msg_flags & MSG_TRUNC)
		buf[0] = '\0';
	return n == 0 ? 0 : n;
}

FILE *
fdmsg_state_new(int *fd)
{
	FILE	*f;
	int	 dfd;

	if ((*fd = memfd_create("drover-keeper", 0)) == -1)
		return NULL;
	if ((dfd = dup(*fd)) == -1 || (f = fdopen(dfd, "w")) == NULL) {
		if (dfd != -1)
			close(dfd);
		close(*fd);
		return NULL;
	}
	return f;
}

void
fdmsg_state_hold(FILE *f, const char *key, const int *fds, size_t nfds)
{
	size_t	i;

	fprintf(f, "hold %s", key);
	for (i = 0; i < nfds; i++) {
		fprintf(f, " %d", fds[i]);
		fcntl(fds[i], F_SETFD, 0);	/* kept across the exec */
	}
	fputc('\n', f);
}

int
fdmsg_state_done(FILE *f, int fd)
{
	int	r = 0;

	if (fclose(f) != 0 || lseek(fd, 0, SEEK_SET) == -1) {
		r = -errno;
		close(fd);
	}
	return r < 0 ? r : fd;
}
