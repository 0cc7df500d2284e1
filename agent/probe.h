/*
 * probe.h — what the check types (probe-http.c, probe-tcp.c,
 * probe-exec.c) share with probe.c, which schedules checks and decides
 * what their results mean.
 *
 * A check type starts one check on a struct check and ends it by
 * calling probe_done() exactly once, possibly before its start function
 * returns; or probe.c abandons it first (timeout, stop) through cancel,
 * after which the type calls nothing. While a check is in flight,
 * c->run is the type's own state; it is NULL otherwise.
 */
#ifndef DROVER_PROBE_H
#define DROVER_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"

/* Bytes of an exec probe's output kept for the status view. */
#define PROBE_OUTPUT_MAX	4096
/* A result's message, e.g. "http 503" or "exec exit status 1: ...". */
#define PROBE_MESSAGE_MAX	96

enum check_status { CHECK_UNKNOWN, CHECK_PASSING, CHECK_FAILING };

/* What a check's results decide; one check may serve two roles. */
#define ROLE_STARTUP	0x1
#define ROLE_LIVENESS	0x2
#define ROLE_READINESS	0x4

struct check;

struct probe_ops {
	enum probe_type	 type;
	/* Begin a check of c; it ends with probe_done(). */
	void		(*start)(struct check *);
	/* Abandon the check in flight: no probe_done() follows. */
	void		(*cancel)(struct check *);
	/* Free what the type keeps between checks (c->conn). */
	void		(*release)(struct check *);
};

/* What a type still holds once no check is left (the agent exits). */
void		 probe_http_cleanup(void);
void		 probe_exec_cleanup(void);

extern const struct probe_ops	probe_http_ops;
extern const struct probe_ops	probe_tcp_ops;
extern const struct probe_ops	probe_exec_ops;

struct check {
	struct health		*h;
	const struct probe	*p;		/* in the instance's spec */
	const struct probe_ops	*ops;
	unsigned		 roles;		/* ROLE_* */
	enum check_status	 status;
	unsigned		 passes;	/* in a row */
	unsigned		 fails;		/* counted, in a row */
	struct event		*timer;		/* next check, or timeout */
	uint64_t		 due;		/* monotonic ms of the next check */
	uint64_t		 begun;		/* monotonic ms this one began */
	bool			 scheduled;	/* checks are running */
	void			*run;		/* the check in flight */
	void			*conn;		/* kept between checks (http) */
	/* Settings expanded for the instance. */
	int			 port;		/* 0: see bad */
	char			*host;
	char			*path;
	char			*body;
	char			**argv;
	char			*bad;		/* why it cannot run, or NULL */
};

/* The instance a check belongs to. */
struct inst	*probe_inst(const struct check *);
/*
 * The check in flight ended: `ok`, and a message that starts with the
 * type ("http 503"). May stop every check of the instance, this one
 * included, before it returns.
 */
void		 probe_done(struct check *, bool ok, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* An exec check's output, kept with its result (before probe_done). */
void		 probe_set_output(struct check *, const char *buf, size_t len);

#endif
