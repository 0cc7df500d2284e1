/*
 * droverd.h — what the control plane's files share: the daemon context,
 * the service registry, the agent link and the API.
 *
 * droverd owns the desired state (services, their revisions, whether they
 * run) and persists it under the state dir before acknowledging a change.
 * It never forks a service: it sends the agent its whole assignment and
 * keeps a view of the instances from what the agent reports.
 */
#ifndef DROVERD_H
#define DROVERD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>

#include "manifest.h"

/* metrics.c: a histogram with drover's fixed buckets (METRICS_BUCKETS
 * upper bounds, then +Inf); counts per bucket, not cumulative. */
#define METRICS_BUCKETS	11
struct metrics_histogram {
	uint64_t	 bucket[METRICS_BUCKETS + 1];
	uint64_t	 count;
	double		 sum;
};

/* One applied revision. Specs are kept as canonical text, not as JSON
 * trees: a tree costs ten times the memory, and the text is what the
 * state file and the agent link carry anyway. */
struct revision {
	char		 id[MANIFEST_REVISION_LEN + 1];
	char		 run[MANIFEST_REVISION_LEN + 1];	/* "" until asked */
	int64_t		 time;		/* unix ms */
	char		*cause;
	char		*canon;		/* canonical manifest JSON */
};

/* One instance the agent should run: see rollout.c. */
struct slot {
	unsigned	 index;
	char		 rev[MANIFEST_REVISION_LEN + 1];
	int64_t		 gen;		/* restart generation */
	int64_t		 created;	/* wall ms */
};

struct rollout;

struct service {
	char		*name;
	struct manifest	*m;
	char		 revision[MANIFEST_REVISION_LEN + 1];
	bool		 enabled;
	int64_t		 restart_gen;
	int64_t		 start_gen;
	struct revision	*history;	/* oldest first; the last is current */
	size_t		 nhistory;
	struct slot	*slots;		/* sorted by index */
	size_t		 nslots;
	struct rollout	*ro;		/* the last rollout; NULL: none yet */
	json_t		**views;	/* instance views reported by the agent, by index */
	size_t		 nviews;
	char		*list_json;	/* cached service_to_json(s, false) text */
	bool		 dirty;		/* applied at start-up, not yet persisted */
	struct metrics_histogram health_durations;	/* probes, seconds */
};

/* The canonical text of the service's current revision. */
#define service_canon(s)	((s)->history[(s)->nhistory - 1].canon)

struct daemon {
	struct event_base	*base;
	char			*run_dir;
	char			*state_dir;
	char			*manifests_dir;	/* NULL: none */
	char			*listen;	/* "ADDR:PORT", NULL: none */
	char			*agent_path;	/* NULL: none (do not start one) */
	bool			 foreground;
	bool			 shutting_down;

	struct service		**services;	/* sorted by name */
	size_t			 nservices;
	json_t			*file_hashes;	/* manifests dir: file -> hash applied */
};

extern struct daemon	*D;

/* service.c: the registry and its persistence. */
struct service	*service_find(const char *name);
/*
 * Apply a manifest: creates, updates or leaves the service unchanged.
 * Persists before returning. *result is "created", "updated" or
 * "unchanged". Returns 0 or a negative errno (nothing changed then).
 */
int		 service_apply(struct manifest *, const char *cause,
		    const char **result);
int		 service_delete(struct service *);
/*
 * Make an earlier revision current again, as a new history entry (cause
 * "rollback to R"). `revision` NULL: the newest one before the current
 * that differs from it. -ENOENT when there is none such.
 */
int		 service_rollback(struct service *, const char *revision,
		    const char **result);
/* Make revision `id` (of the history) current again, with that cause. */
int		 service_restore(struct service *, const char *id,
		    const char *cause, const char **result);
/* Persist the service as it is now (slots, rollout); logs a failure. */
int		 service_save(struct service *);
/* The canonical text / run hash of a revision of the history, or NULL. */
const char	*service_revision_canon(const struct service *, const char *id);
const char	*service_run_hash(const struct service *, const char *id);
/* The revision history, newest last: {"service","current","revisions"}. */
json_t		*service_revisions_json(const struct service *);
int		 service_set_enabled(struct service *, bool enabled);
int		 service_restart(struct service *);
int		 service_load_all(void);
void		 service_free_all(void);
/*
 * Apply every manifest file that changed since droverd last applied it.
 * With `defer`, the new state is written later by service_flush(): at
 * start-up the files themselves are the durable copy (a droverd killed
 * before the flush applies them again, to the same revisions), and the
 * agent starts the services before the state files are written.
 */
void		 service_apply_dir(const char *dir, bool defer);
/* Persist what service_apply_dir(dir, true) left unwritten. */
void		 service_flush(void);
/* The API's view of a service: with_spec adds the canonical manifest. */
json_t		*service_to_json(const struct service *, bool with_spec);
/* The compact JSON text of service_to_json(s, false), cached until the
 * service or one of its instances changes. */
const char	*service_list_json(struct service *);
/* Agent reports: replace all views, update one, remove one. */
void		 service_views_reset(void);
void		 service_view_update(json_t *instance);
void		 service_view_remove(const char *name, int64_t index);

/* agent.c: the link to drover-agent, and starting a local one. */
void		 agent_init(void);
/* Send the whole assignment (after every change of desired state). */
void		 agent_assign(void);
/* Ask the agent to stop every instance and exit; cb runs once it is gone. */
void		 agent_shutdown(void (*cb)(void));
bool		 agent_connected(void);
/* Connected, and its inventory received: the views are the agent's. */
bool		 agent_synced(void);
/* Ask the agent to replace its binaries in place; -ENOTCONN: no agent. */
int		 agent_upgrade(void);
/* The connected agent's pid as its hello gave it; 0: none. */
pid_t		 agent_pid(void);
json_t		*agent_to_json(void);
void		 agent_free(void);
/* SIGCHLD: reap a local agent we started. */
void		 agent_reap(void);

/*
 * rollout.c: the service's slots (which revision runs at which index)
 * and rolling replacement.
 */
/* Slots and rollout of `next` after an apply/restart, from `cur` (NULL:
 * new service); next->slots and next->ro are fresh. */
void		 rollout_plan(struct service *next, const struct service *cur);
void		 rollout_free(struct rollout *);
bool		 rollout_has_slot(const struct service *, unsigned index);
/* Run a step of the service's rollout soon. */
void		 rollout_kick(struct service *);
/* The agent reported an instance of the service. */
void		 rollout_views_changed(struct service *);
/* promote, pause or resume; -ENOENT: no rollout in progress. */
int		 rollout_control(struct service *, const char *action,
		    char **cause);
json_t		*rollout_to_json(const struct service *);
bool		 rollout_active(const struct service *);
/* The revision the last rollout replaced. */
const char	*rollout_from(const struct service *);
double		 rollout_progress(const struct service *);
void		 rollout_state_print(FILE *, const struct service *);
void		 rollout_state_load(struct service *, const json_t *state);
struct evbuffer;
void		 rollout_assign_print(struct evbuffer *, const struct service *);
void		 rollout_resume_all(void);

/* api.c: the HTTP API on the control socket and TCP. */
int		 api_init(void);
/* Read the bearer token that TCP clients need to change anything. */
int		 api_set_token_file(const char *path);
void		 api_free(void);

/* logs.c: instances' output, read from the files the local agent writes. */
struct evhttp_request;
/*
 * Answer GET /api/v1/services/{name}/logs (query n, follow, index).
 * Returns 0 once the answer is under way, or a negative errno with a
 * malloc'd *cause and nothing sent: -EINVAL for a bad query, -ENOENT for
 * an index the service does not have, another for a failure of droverd.
 */
int		 logs_serve(struct evhttp_request *, const struct service *,
		    char **cause);
/* Forget every reader (droverd is exiting; evhttp frees the requests). */
void		 logs_free_all(void);

/*
 * events.c: the event ring (the last EVENTS_RING transitions) and
 * GET /api/v1/events, as Server-Sent Events or as one JSON list.
 * An event is {"id", "time", "service", "instance", "kind", "from",
 * "to", "message"}; kind is "state", "health", "rollout" or "apply".
 */
#define EVENTS_RING	1000
/* Record an event; index < 0: about the service, not one instance.
 * from, to and message may be NULL. */
void		 events_add(const char *service, int64_t index,
		    const char *kind, const char *from, const char *to,
		    const char *message);
/* An instance report: state and health events for what changed since
 * the view `old` (NULL: none). */
void		 events_instance(const char *service, int64_t index,
		    const json_t *old, const json_t *report);
/* The instance is gone. */
void		 events_instance_removed(const char *service, int64_t index,
		    const json_t *old);
/* The views are about to be replaced by an inventory: what they were
 * stays the "from" of the reports that follow in this loop pass. */
void		 events_views_reset(void);
/* A service's desired state changed: from and to are revisions (from
 * NULL: created; to NULL: deleted). */
void		 events_apply(const char *service, const char *from,
		    const char *to, const char *message);
/*
 * Answer GET /api/v1/events (query follow, since; header Last-Event-ID).
 * Returns 0 once the answer is under way, or a negative errno with a
 * malloc'd *cause and nothing sent: -EINVAL for a bad query, -EBUSY when
 * too many clients follow already.
 */
int		 events_serve(struct evhttp_request *, char **cause);
/* Numbers for /metrics. */
uint64_t	 events_total(void);
size_t		 events_clients(void);
uint64_t	 events_dropped(void);
/* Forget every client and event (droverd is exiting). */
void		 events_free_all(void);

/* metrics.c: GET /metrics, Prometheus text exposition 0.0.4. */
void		 metrics_serve(struct evhttp_request *);
void		 metrics_observe(struct metrics_histogram *, double value);

/* dashboard.c: GET /, one self-contained page. */
void		 dashboard_serve(struct evhttp_request *);

/* main.c */
void		 droverd_exit(void);
/* Leave the loop cleanly, then exec droverd's binary again in place. */
void		 droverd_reexec(void);

#endif
