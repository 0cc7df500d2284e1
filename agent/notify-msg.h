/*
 * notify-msg.h — one sd_notify(3) datagram, parsed into what the agent
 * acts on. Pure (notify-msg.c): no sockets, no instances, so that
 * tests/unit/test_notify_msg.c covers every rule.
 */
#ifndef DROVER_NOTIFY_MSG_H
#define DROVER_NOTIFY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The largest datagram read whole (systemd's own bound); longer: refused. */
#define NOTIFY_MSG_MAX		4096
/* STATUS= text kept, in bytes (cut at a character boundary). */
#define NOTIFY_STATUS_MAX	256

struct notify_msg {
	bool	ready;			/* READY=1 */
	bool	reloading;		/* RELOADING=1 */
	bool	stopping;		/* STOPPING=1 */
	bool	watchdog;		/* WATCHDOG=1 */
	bool	watchdog_trigger;	/* WATCHDOG=trigger */
	bool	barrier;		/* BARRIER=1 */
	bool	has_status;		/* STATUS= given (maybe empty) */
	char	status[NOTIFY_STATUS_MAX + 1];	/* printable UTF-8 */
	pid_t	mainpid;		/* MAINPID=; 0: not given, -1: invalid */
};

/*
 * Parse a datagram of `len` bytes: newline-separated VAR=VALUE
 * assignments, the last of a variable winning; unknown variables and
 * values other than the ones above are ignored, as systemd does. In
 * STATUS, control characters and bytes that are not UTF-8 become '?'.
 * Returns 0, or -EBADMSG (and *out cleared) for a datagram with a NUL
 * byte or longer than NOTIFY_MSG_MAX.
 */
int	notify_msg_parse(const char *buf, size_t len, struct notify_msg *out);

#endif
