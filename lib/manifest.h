/*
 * manifest.h — the service manifest model: parse (YAML or JSON), validate,
 * fill defaults, canonical JSON form and revision hash, ${VAR} expansion.
 *
 * Invariants: a struct manifest returned by a parser is complete (every
 * default filled) and valid (every bound checked). Strings keep ${VAR}
 * unexpanded; manifest_expand() expands them for one instance. The
 * canonical form (manifest_to_json) contains every field, so two manifests
 * that mean the same have the same canonical text and the same revision.
 */
#ifndef DROVER_MANIFEST_H
#define DROVER_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "diag.h"

#define MANIFEST_NAME_MAX	63
#define MANIFEST_REVISION_LEN	16	/* hex chars */

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
enum limit_action { LIMIT_FAIL, LIMIT_SLOW };
enum logs_to { LOGS_FILE, LOGS_JOURNAL, LOGS_INHERIT };
enum probe_type { PROBE_NONE, PROBE_HTTP, PROBE_TCP, PROBE_EXEC };

struct kv {
	char	*key;
	char	*value;
};

struct listen_spec {
	char	*name;
	char	*address;	/* "HOST:PORT", "[V6]:PORT" or "unix:/path" */
};

struct probe {
	enum probe_type	  type;		/* PROBE_NONE: no probe of this kind */
	char		 *port;		/* http, tcp: may hold ${PORT} */
	char		 *host;		/* tcp: address to connect; http: Host header */
	char		 *path;		/* http */
	char		 *body;		/* http: expected substring, or NULL */
	int		  status_min;	/* http, default 200 */
	int		  status_max;	/* http, default 399 */
	char		**command;	/* exec: argv, NULL-terminated */
	size_t		  ncommand;
	uint64_t	  interval_ms;
	uint64_t	  timeout_ms;
	uint64_t	  start_period_ms;
	unsigned	  healthy_threshold;
	unsigned	  unhealthy_threshold;
	bool		  on_unhealthy_restart;
};

struct manifest {
	char			 *name;
	char			**command;	/* argv, NULL-terminated */
	size_t			  ncommand;
	char			 *workdir;	/* NULL: the agent's cwd */
	char			 *user;		/* NULL: the agent's user */
	char			 *group;	/* NULL: the user's primary group */
	struct kv		 *env;		/* sorted by key */
	size_t			  nenv;
	unsigned		  instances;
	struct listen_spec	 *listen;
	size_t			  nlisten;
	int			  port_base;	/* -1: no ports */

	struct {
		enum restart_policy	 policy;
		int			*exit_codes;
		size_t			 nexit_codes;
		struct {
			uint64_t	initial_ms;
			uint64_t	max_ms;
			double		multiplier;
			double		jitter;
			uint64_t	reset_after_ms;
		} backoff;
		struct {
			unsigned		burst;
			uint64_t		interval_ms;
			enum limit_action	action;
		} limit;
	} restart;

	struct {
		int		signal;		/* signal number */
		uint64_t	timeout_ms;
	} stop;

	struct {
		bool		notify;
		uint64_t	watchdog_ms;
	} readiness;

	struct {
		struct probe	startup;
		struct probe	liveness;
		struct probe	readiness;
	} health;

	struct {
		unsigned	max_surge;
		unsigned	max_unavailable;
		uint64_t	min_healthy_time_ms;
		uint64_t	healthy_deadline_ms;
		uint64_t	progress_deadline_ms;
		unsigned	canary;
		bool		auto_rollback;
		uint64_t	bake_ms;
		unsigned	history;
	} deploy;

	char			**depends_on;	/* NULL-terminated */
	size_t			  ndepends_on;

	struct {
		enum logs_to	to;
		uint64_t	max_size;	/* bytes */
		unsigned	keep;
	} logs;

	struct {
		uint64_t	nofile;		/* 0: unset */
		uint64_t	memory;		/* bytes, 0: unset */
		uint64_t	pids;		/* 0: unset */
	} limits;
};

/*
 * Parse a YAML manifest. `file` names it in diagnostics; `default_name`
 * (usually the file's base name without .yaml) is used when `name:` is
 * absent. Returns NULL, with every problem added to `d`, when the
 * manifest is invalid.
 */
struct manifest	*manifest_parse_yaml(const char *buf, size_t len,
		    const char *file, const char *default_name,
		    struct diags *d);
/* Read and parse a file; default name from its base name. */
struct manifest	*manifest_parse_file(const char *path, struct diags *d);
/*
 * Parse a manifest given as JSON (API bodies, state files, agent link).
 * Same rules as YAML; positions are 0 (unknown). `source` names it.
 */
struct manifest	*manifest_from_json(const json_t *, const char *source,
		    const char *default_name, struct diags *d);
/*
 * Load every *.yaml / *.yml file of a directory (sorted by name), or one
 * file when `path` is a regular file. Returns 0 when all are valid and
 * sets *out (array of *n manifests, caller frees each and the array);
 * -EINVAL with diagnostics otherwise (nothing is returned), or another
 * negative errno when the directory cannot be read (also in `d`).
 * Two files naming the same service are an error.
 */
int		 manifest_load_path(const char *path, struct manifest ***out,
		    size_t *n, struct diags *d);

/* The canonical form: every field, defaults filled, keys sorted on dump. */
json_t		*manifest_to_json(const struct manifest *);
/* Compact canonical text (JSON_SORT_KEYS|JSON_COMPACT); malloc'd. */
char		*manifest_canonical(const struct manifest *);
/* Revision: hex hash of the canonical text, MANIFEST_REVISION_LEN chars. */
void		 manifest_revision(const struct manifest *,
		    char out[MANIFEST_REVISION_LEN + 1]);
struct manifest	*manifest_dup(const struct manifest *);
void		 manifest_free(struct manifest *);

/*
 * Expand ${VAR} in `s` for instance `index`: VAR is a key of env, or
 * SERVICE, INSTANCE, PORT (PORT only with ports.base). "$$" is a literal
 * '$'. The manifest was validated, so every reference resolves. malloc'd.
 */
char		*manifest_expand(const struct manifest *, const char *s,
		    unsigned index);
/*
 * The environment entries ("KEY=value", NULL-terminated, malloc'd array
 * of malloc'd strings) drover adds for instance `index`: the manifest's
 * env (expanded), SERVICE, INSTANCE, and PORT when ports.base is set.
 */
char		**manifest_instance_env(const struct manifest *, unsigned index);
void		  strv_free(char **);

/* Validate a service name: [a-z0-9][a-z0-9-]{0,62}. */
bool		 manifest_name_valid(const char *);

/* Names of enums, for status output and canonical form. */
const char	*restart_policy_name(enum restart_policy);
const char	*logs_to_name(enum logs_to);

#endif
