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
 * Input rules, the same for YAML and JSON:
 * - Unknown and duplicate keys are errors; a dotted key ("stop.signal:")
 *   is unknown (write stop: {signal: ...}).
 * - null (YAML ~, null or an empty value) means the field's default.
 * - YAML plain scalars take their field's type (`instances: 3` is an
 *   integer, `user: 1000` a string); quoted ones are strings, so
 *   `instances: "3"` is an error. JSON values keep their JSON type.
 *   Booleans are true/false only. Durations and sizes are strings (a
 *   bare YAML 0 or 4096 is fine).
 * - YAML aliases, tags and several documents per file are refused.
 * - Diagnostics are "file:line:col: field.path: message", ordered by
 *   position; at most 100 per input, then one "too many errors".
 */

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

/* The service name a file gives by default: its base name without
 * .yaml/.yml (malloc'd). */
char		*manifest_default_name(const char *path);
/* Does a directory entry name a manifest (*.yaml, *.yml, not hidden)? */
bool		 manifest_is_file_name(const char *name);

/* The canonical form: every field, defaults filled, keys sorted on dump. */
json_t		*manifest_to_json(const struct manifest *);
/* Compact canonical text (JSON_SORT_KEYS|JSON_COMPACT); malloc'd. */
char		*manifest_canonical(const struct manifest *);
/* Revision: hex hash of the canonical text, MANIFEST_REVISION_LEN chars. */
void		 manifest_revision(const struct manifest *,
		    char out[MANIFEST_REVISION_LEN + 1]);
/*
 * A hash of only what changes the running processes (fields of class
 * rollout or restart): two revisions with the same run hash differ only
 * in live settings (or instances), so instances switch to the new one
 * without a restart.
 */
void		 manifest_run_hash(const struct manifest *,
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

/* Also names of enums and of signals ("SIGTERM"; NULL when unknown). */
const char	*limit_action_name(enum limit_action);
const char	*probe_type_name(enum probe_type);
const char	*manifest_signal_name(int);

/*
 * The field table. Every manifest field is one entry: its path, type,
 * default and bounds, how a change of it is applied, and a one-line doc.
 * Parsing, defaults, the canonical form, the man page and `droverctl
 * diff` all come from it. Probe fields (under health.startup,
 * health.liveness, health.readiness, or directly under health in the
 * shorthand) are a second table, relative to a struct probe.
 */
enum manifest_type {
	MFT_NAME,	/* service name, char * */
	MFT_ARGV,	/* non-empty list of strings, char ** + size_t count */
	MFT_STRING,	/* non-empty string, char *, NULL when unset */
	MFT_ENV,	/* mapping NAME: value, struct kv * + size_t count */
	MFT_UINT,	/* integer, unsigned */
	MFT_COUNT,	/* integer, uint64_t, 0: unset */
	MFT_PORT,	/* integer 1..65535, int, -1: unset */
	MFT_LISTEN,	/* list of {name, address}, listen_spec * + count */
	MFT_ENUM,	/* one of `names`, stored in an enum */
	MFT_CHOICE,	/* one of two `names` in a bool (names[1]: true) */
	MFT_EXIT_CODES,	/* list of integers 0..255, int * + size_t count */
	MFT_DURATION,	/* duration_parse() text, uint64_t milliseconds */
	MFT_NUMBER,	/* number, double */
	MFT_SIGNAL,	/* signal name, int */
	MFT_BOOL,	/* true or false, bool */
	MFT_SIZE,	/* size_parse() text, uint64_t bytes */
	MFT_NAMES,	/* list of service names, char ** + size_t count */
	MFT_HEALTH,	/* a probe (shorthand) or startup/liveness/readiness */
	MFT_PROBE,	/* a struct probe, fields in manifest_probe_fields() */
	MFT_PROBE_PORT,	/* integer 1..65535 or a string with ${VAR}, char * */
	MFT_STATUS,	/* HTTP status range "200-399" or "200", two ints */
};

enum manifest_change {
	MANIFEST_CHANGE_LIVE,		/* applied without touching processes */
	MANIFEST_CHANGE_RESTART,	/* instances restarted (reserved) */
	MANIFEST_CHANGE_ROLLOUT,	/* a new revision is rolled out */
	MANIFEST_CHANGE_SCALE,		/* instances added or removed */
};

#define MFF_REQUIRED	0x1	/* no default: the field must be given */
#define MFF_VARS	0x2	/* may hold ${VAR} references */
#define MFF_ZERO_NULL	0x4	/* 0 means unset; null in the canonical form */

struct manifest_field {
	const char		 *path;		/* e.g. "stop.timeout" */
	enum manifest_type	  type;
	size_t			  offset;	/* in manifest or probe */
	size_t			  offset2;	/* count, or status_max */
	const char		 *def;		/* YAML; NULL: none */
	uint64_t		  min, max;	/* integers, durations, sizes */
	double			  dmin, dmax;	/* numbers */
	const char *const	 *names;	/* NULL-terminated */
	const char		 *rule;		/* extra constraint */
	int			  flags;	/* MFF_* */
	enum manifest_change	  change;
	const char		 *doc;		/* one line */
};

const struct manifest_field	*manifest_fields(size_t *n);
const struct manifest_field	*manifest_probe_fields(size_t *n);
/* The entry of a path ("stop.timeout", "health.liveness.http.port" finds
 * the probe table's "http.port"); NULL when there is none. */
const struct manifest_field	*manifest_field_find(const char *path);
/* How a change of a canonical leaf path is applied ("env.FOO" is env's). */
enum manifest_change		 manifest_field_change(const char *path);
const char			*manifest_change_name(enum manifest_change);
const char			*manifest_type_name(enum manifest_type);
/* The bounds and rule of a field in words, e.g. "0..10000"; "" if none. */
void				 manifest_field_bounds(
				    const struct manifest_field *, char *buf,
				    size_t len);

/*
 * What changed from `old` to `new`: an array of {"path", "old", "new",
 * "class"}, one per canonical leaf that differs (objects are walked,
 * lists and scalars are leaves; a missing leaf is null), sorted by path.
 * "class" is "live", "restart", "rollout" or "scale".
 */
json_t		*manifest_diff(const struct manifest *old,
		    const struct manifest *new);

#endif
