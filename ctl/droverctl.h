/*
 * droverctl.h — what droverctl's files share: the invocation (struct ctl),
 * the verb table's entry shape, the API client and the output helpers.
 *
 * Every verb handler returns an exit code (enum ctl_exit) and has already
 * printed whatever explains a failure to stderr. Results go to stdout:
 * human tables, or with -o json the API's own JSON.
 */
#ifndef DROVERCTL_H
#define DROVERCTL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <getopt.h>
#include <signal.h>
#include <jansson.h>

#include "diag.h"
#include "manifest.h"

enum ctl_exit {
	CTL_OK = 0,		/* done */
	CTL_FAILED = 1,		/* the operation failed */
	CTL_USAGE = 2,		/* bad command line */
	CTL_UNREACHABLE = 3,	/* droverd cannot be reached */
};

enum ctl_output { OUTPUT_TABLE, OUTPUT_JSON };

/* Verb flags. */
#define VERB_DAEMON	0x1	/* talks to droverd (else offline) */

struct ctl;

struct verb {
	const char		 *name;
	int			  min_args;	/* positional arguments */
	int			  max_args;	/* -1: no limit */
	int			  flags;	/* VERB_* */
	int			(*handler)(struct ctl *);
	const char		 *shortopts;	/* the verb's own options */
	const struct option	 *longopts;	/* or NULL */
	const char		 *usage;	/* "status [SERVICE]" */
	const char		 *help;		/* one line */
};

/* One option given after the verb, in command-line order. */
struct verb_opt {
	int		 ch;		/* short option, or a long one's val */
	const char	*arg;		/* NULL when it takes none */
};

struct ctl {
	const char		*socket_path;	/* resolved only for VERB_DAEMON */
	char			*socket_alloc;	/* owned when defaulted */
	enum ctl_output		 output;
	const struct verb	*verb;
	struct verb_opt		*opts;
	size_t			 nopts;
	char			**args;		/* positional, after options */
	int			 nargs;
};

/* verbs.c */
extern const struct verb verbs[];
const struct verb	*verb_find(const char *);

/* verb-*.c: the handlers. */
int		 verb_status(struct ctl *);
int		 verb_apply(struct ctl *);
int		 verb_delete(struct ctl *);
int		 verb_start(struct ctl *);
int		 verb_stop(struct ctl *);
int		 verb_restart(struct ctl *);
int		 verb_validate(struct ctl *);
int		 verb_shutdown(struct ctl *);
int		 verb_upgrade(struct ctl *);
int		 verb_logs(struct ctl *);
int		 verb_events(struct ctl *);
int		 verb_diff(struct ctl *);
int		 verb_rollout(struct ctl *);
/* verb-rollout.c: one line about a service's rollout object. */
void		 rollout_print_line(const char *svc, const json_t *rollout);
int		 verb_completion(struct ctl *);

/* main.c: print "droverctl: MSG" and the verb's usage; returns CTL_USAGE. */
int		 ctl_usage_error(const struct ctl *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
bool		 ctl_has_opt(const struct ctl *, int ch);

/* client.c: one HTTP request (libcurl) over droverd's unix control socket. */
struct client_reply {
	int	 status;	/* HTTP status code */
	char	*body;		/* NUL-terminated */
	size_t	 len;
};
#define CLIENT_UNREACHABLE	(-ENOTCONN)	/* could not connect, or no answer in time */
int		 client_request(const char *socket_path, const char *method,
		    const char *target, const char *body, size_t len,
		    struct client_reply *, char **cause);
void		 client_reply_free(struct client_reply *);
/* Takes each piece of a streamed answer; non-zero ends the transfer. */
typedef int	 client_sink(const char *data, size_t len, void *arg);
/*
 * A GET whose 2xx answer goes to `sink` as it arrives, with no time limit
 * once the headers are in: for answers that stay open. Setting *stop
 * (from a signal handler) ends it within a second, returning 0. Returns
 * like client_request; *out has the status, and the body of an answer
 * outside 2xx (empty otherwise).
 */
int		 client_stream(const char *socket_path, const char *target,
		    client_sink *sink, void *arg, volatile sig_atomic_t *stop,
		    struct client_reply *out, char **cause);

/* api.c: droverd's API on top of the client. */
int		 api_call(const struct ctl *, const char *subject,
		    const char *method, const char *path, const json_t *body,
		    struct client_reply *);
/*
 * One API call whose answer goes to stdout as received when `raw` (-o
 * json; *answer is then NULL), or comes back parsed in *answer.
 */
int		 api_fetch(const struct ctl *, const char *subject,
		    const char *method, const char *path, const json_t *body,
		    bool raw, json_t **answer);
int		 api_action(const struct ctl *, const char *subject,
		    const char *method, const char *path, const json_t *body);
/* SIGINT, SIGTERM and SIGHUP set the returned flag (for api_stream). */
volatile sig_atomic_t	*api_stop_on_signals(void);
int		 api_stream(const struct ctl *, const char *subject,
		    const char *path, client_sink *, void *arg,
		    volatile sig_atomic_t *stop);
json_t		*api_parse(const struct client_reply *);
int		 api_get_optional(const struct ctl *, const char *subject,
		    const char *path, json_t **out);
char		*api_service_path(const char *name, const char *action);

/* output.c */
struct table;
struct table	*table_new(const char *const *headers, size_t ncols);
void		 table_add(struct table *, const char *const *cells);
void		 table_print(const struct table *, FILE *);
void		 table_free(struct table *);
void		 output_raw_json(const char *, size_t);
void		 output_json(const json_t *);
void		 output_result(const json_t *answer);

/* load.c: parse every path, collecting every problem across them. */
int		 load_manifests(char *const *paths, size_t npaths,
		    struct manifest ***out, size_t *n, struct diags *);
void		 load_free(struct manifest **, size_t);
int		 load_from_opts(const struct ctl *, const char *nothing,
		    struct manifest ***out, size_t *n);

#endif
