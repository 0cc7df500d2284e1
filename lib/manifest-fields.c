/*
 * manifest-fields.c — the manifest field tables: one entry per field with
 * its path, type, default, bounds, change class and doc line. Decoding,
 * defaults, the canonical form, diff classes and the man page are all
 * driven from here; adding a field means adding a struct member and one
 * line below.
 *
 * Invariants: every default decodes cleanly under its own entry's rules;
 * sections ("restart.backoff") exist only as prefixes of leaf paths.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "manifest.h"
#include "manifest-int.h"
#include "util.h"

#define M(f)		offsetof(struct manifest, f)
#define P(f)		offsetof(struct probe, f)
#define NOMAX		UINT64_MAX
#define MS_1		1

static const char *const restart_policy_names[] = {
	"always", "on-failure", "never", NULL
};
static const char *const limit_action_names[] = { "fail", "slow", NULL };
static const char *const logs_to_names[] = {
	"file", "journal", "inherit", NULL
};
static const char *const on_unhealthy_names[] = { "none", "restart", NULL };

static const char *const probe_type_names[] = {
	"none", "http", "tcp", "exec", NULL
};

static const char *
enum_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "?";
}

const char *
restart_policy_name(enum restart_policy p)
{
	return enum_name(restart_policy_names, 3, (int)p);
}

const char *
limit_action_name(enum limit_action a)
{
	return enum_name(limit_action_names, 2, (int)a);
}

const char *
logs_to_name(enum logs_to t)
{
	return enum_name(logs_to_names, 3, (int)t);
}

const char *
probe_type_name(enum probe_type t)
{
	return enum_name(probe_type_names, 4, (int)t);
}

static const struct manifest_field fields[] = {
	{ .path = "name", .type = MFT_NAME, .offset = M(name),
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "service name; default: the file's name without .yaml" },
	{ .path = "command", .type = MFT_ARGV, .offset = M(command),
	  .offset2 = M(ncommand), .flags = MFF_REQUIRED | MFF_VARS,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "argv of the service, never a shell string" },
	{ .path = "workdir", .type = MFT_STRING, .offset = M(workdir),
	  .def = "null", .flags = MFF_VARS, .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "working directory; default: the agent's" },
	{ .path = "user", .type = MFT_STRING, .offset = M(user),
	  .def = "null", .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "user to run as (needs root); default: the agent's" },
	{ .path = "group", .type = MFT_STRING, .offset = M(group),
	  .def = "null", .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "group to run as; default: the user's primary group" },
	{ .path = "env", .type = MFT_ENV, .offset = M(env),
	  .offset2 = M(nenv), .def = "{}", .flags = MFF_VARS,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "environment NAME: value added to the instances'" },
	{ .path = "instances", .type = MFT_UINT, .offset = M(instances),
	  .def = "1", .min = 0, .max = 10000,
	  .change = MANIFEST_CHANGE_SCALE,
	  .doc = "number of instances" },
	{ .path = "listen", .type = MFT_LISTEN, .offset = M(listen),
	  .offset2 = M(nlisten), .def = "[]", .max = 64,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "sockets bound once, passed to every instance (LISTEN_FDS)" },
	{ .path = "ports.base", .type = MFT_PORT, .offset = M(port_base),
	  .def = "null", .min = 1, .max = 65535,
	  .rule = "base + instances - 1 <= 65535",
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "instance i gets PORT=base+i; default: no PORT" },

	{ .path = "restart.policy", .type = MFT_ENUM,
	  .offset = M(restart.policy), .def = "always",
	  .names = restart_policy_names, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "when an exited instance is started again" },
	{ .path = "restart.exit_codes", .type = MFT_EXIT_CODES,
	  .offset = M(restart.exit_codes), .offset2 = M(restart.nexit_codes),
	  .def = "[0]", .min = 0, .max = 255, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "exit statuses that count as success for on-failure" },
	{ .path = "restart.backoff.initial", .type = MFT_DURATION,
	  .offset = M(restart.backoff.initial_ms), .def = "100ms",
	  .min = 0, .max = NOMAX, .rule = "<= restart.backoff.max",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "delay before the first restart" },
	{ .path = "restart.backoff.max", .type = MFT_DURATION,
	  .offset = M(restart.backoff.max_ms), .def = "30s",
	  .min = MS_1, .max = NOMAX, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "longest delay between restarts" },
	{ .path = "restart.backoff.multiplier", .type = MFT_NUMBER,
	  .offset = M(restart.backoff.multiplier), .def = "2",
	  .dmin = 1, .dmax = 100, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "factor between successive delays" },
	{ .path = "restart.backoff.jitter", .type = MFT_NUMBER,
	  .offset = M(restart.backoff.jitter), .def = "0.1",
	  .dmin = 0, .dmax = 1, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "random fraction added to or taken from each delay" },
	{ .path = "restart.backoff.reset_after", .type = MFT_DURATION,
	  .offset = M(restart.backoff.reset_after_ms), .def = "1m",
	  .min = 0, .max = NOMAX, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "running this long resets the delay to initial" },
	{ .path = "restart.limit.burst", .type = MFT_UINT,
	  .offset = M(restart.limit.burst), .def = "10", .min = 1,
	  .max = 10000, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "restarts allowed within interval" },
	{ .path = "restart.limit.interval", .type = MFT_DURATION,
	  .offset = M(restart.limit.interval_ms), .def = "1m",
	  .min = MS_1, .max = NOMAX, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "window in which burst restarts are counted" },
	{ .path = "restart.limit.action", .type = MFT_ENUM,
	  .offset = M(restart.limit.action), .def = "fail",
	  .names = limit_action_names, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "past the limit: fail (state failed) or slow (crashloop, "
	      "retried at backoff.max)" },

	{ .path = "stop.signal", .type = MFT_SIGNAL, .offset = M(stop.signal),
	  .def = "SIGTERM", .change = MANIFEST_CHANGE_LIVE,
	  .doc = "signal sent to the process group to stop" },
	{ .path = "stop.timeout", .type = MFT_DURATION,
	  .offset = M(stop.timeout_ms), .def = "10s", .min = 0, .max = NOMAX,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "wait this long after the signal, then SIGKILL" },

	{ .path = "readiness.notify", .type = MFT_BOOL,
	  .offset = M(readiness.notify), .def = "false",
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "ready only after READY=1 on NOTIFY_SOCKET" },
	{ .path = "readiness.watchdog", .type = MFT_DURATION,
	  .offset = M(readiness.watchdog_ms), .def = "0s", .min = 0,
	  .max = NOMAX, .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "WATCHDOG=1 ping deadline; 0s: none" },

	{ .path = "health", .type = MFT_HEALTH, .def = "null",
	  .rule = "a probe directly here or startup/liveness/readiness, "
	      "not both",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "a probe used for liveness and readiness (shorthand)" },
	{ .path = "health.startup", .type = MFT_PROBE,
	  .offset = M(health.startup), .def = "null",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "probe that must pass before the others run" },
	{ .path = "health.liveness", .type = MFT_PROBE,
	  .offset = M(health.liveness), .def = "null",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "probe whose failure restarts the instance" },
	{ .path = "health.readiness", .type = MFT_PROBE,
	  .offset = M(health.readiness), .def = "null",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "probe that decides whether the instance is ready" },

	{ .path = "deploy.max_surge", .type = MFT_UINT,
	  .offset = M(deploy.max_surge), .def = "1", .min = 0, .max = 10000,
	  .rule = "not both 0 with max_unavailable",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "instances above `instances` during a rollout" },
	{ .path = "deploy.max_unavailable", .type = MFT_UINT,
	  .offset = M(deploy.max_unavailable), .def = "0", .min = 0,
	  .max = 10000, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "instances below `instances` ready during a rollout" },
	{ .path = "deploy.min_healthy_time", .type = MFT_DURATION,
	  .offset = M(deploy.min_healthy_time_ms), .def = "0s", .min = 0,
	  .max = NOMAX, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "a new instance counts once ready this long" },
	{ .path = "deploy.healthy_deadline", .type = MFT_DURATION,
	  .offset = M(deploy.healthy_deadline_ms), .def = "5m", .min = MS_1,
	  .max = NOMAX, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "a new instance not ready by then fails the rollout" },
	{ .path = "deploy.progress_deadline", .type = MFT_DURATION,
	  .offset = M(deploy.progress_deadline_ms), .def = "10m", .min = MS_1,
	  .max = NOMAX, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "a rollout without progress this long fails" },
	{ .path = "deploy.canary", .type = MFT_UINT,
	  .offset = M(deploy.canary), .def = "0", .min = 0, .max = 10000,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "pause after this many new instances until promoted" },
	{ .path = "deploy.auto_rollback", .type = MFT_BOOL,
	  .offset = M(deploy.auto_rollback), .def = "true",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "roll back a failed rollout" },
	{ .path = "deploy.bake", .type = MFT_DURATION,
	  .offset = M(deploy.bake_ms), .def = "0s", .min = 0, .max = NOMAX,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "roll back if the new revision fails this soon after" },
	{ .path = "deploy.history", .type = MFT_UINT,
	  .offset = M(deploy.history), .def = "10", .min = 1, .max = 1000,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "revisions kept" },

	{ .path = "depends_on", .type = MFT_NAMES, .offset = M(depends_on),
	  .offset2 = M(ndepends_on), .def = "[]",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "services that must be ready before an instance starts" },

	{ .path = "logs.to", .type = MFT_ENUM, .offset = M(logs.to),
	  .def = "file", .names = logs_to_names,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "where stdout and stderr go" },
	{ .path = "logs.max_size", .type = MFT_SIZE, .offset = M(logs.max_size),
	  .def = "10M", .min = 4096, .max = NOMAX,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "rotate a log file at this size" },
	{ .path = "logs.keep", .type = MFT_UINT, .offset = M(logs.keep),
	  .def = "5", .min = 1, .max = 1000, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "rotated log files kept" },

	{ .path = "limits.nofile", .type = MFT_COUNT,
	  .offset = M(limits.nofile),
	  .def = "null", .min = 0, .max = 1ULL << 30, .flags = MFF_ZERO_NULL,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "open files (RLIMIT_NOFILE); default: inherited" },
	{ .path = "limits.memory", .type = MFT_SIZE, .offset = M(limits.memory),
	  .def = "null", .min = 0, .max = NOMAX, .flags = MFF_ZERO_NULL,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "memory (cgroup memory.max); default: unlimited" },
	{ .path = "limits.pids", .type = MFT_COUNT, .offset = M(limits.pids),
	  .def = "null", .min = 0, .max = 4194304, .flags = MFF_ZERO_NULL,
	  .change = MANIFEST_CHANGE_ROLLOUT,
	  .doc = "processes (cgroup pids.max); default: unlimited" },
};

static const struct manifest_field probe_fields[] = {
	{ .path = "http.port", .type = MFT_PROBE_PORT, .offset = P(port),
	  .min = 1, .max = 65535, .flags = MFF_REQUIRED | MFF_VARS,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "HTTP GET to this port of 127.0.0.1" },
	{ .path = "http.path", .type = MFT_STRING, .offset = P(path),
	  .def = "/", .flags = MFF_VARS, .rule = "starts with /",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "request path" },
	{ .path = "http.host", .type = MFT_STRING, .offset = P(host),
	  .def = "127.0.0.1", .flags = MFF_VARS,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "Host header" },
	{ .path = "http.status", .type = MFT_STATUS, .offset = P(status_min),
	  .offset2 = P(status_max), .def = "200-399", .min = 100, .max = 599,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "statuses that count as healthy, MIN-MAX or one" },
	{ .path = "http.body", .type = MFT_STRING, .offset = P(body),
	  .def = "null", .flags = MFF_VARS, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "text the response body must contain; default: any" },
	{ .path = "tcp.port", .type = MFT_PROBE_PORT, .offset = P(port),
	  .min = 1, .max = 65535, .flags = MFF_REQUIRED | MFF_VARS,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "TCP connect to this port" },
	{ .path = "tcp.host", .type = MFT_STRING, .offset = P(host),
	  .def = "127.0.0.1", .flags = MFF_VARS,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "address to connect to" },
	{ .path = "exec.command", .type = MFT_ARGV, .offset = P(command),
	  .offset2 = P(ncommand), .flags = MFF_REQUIRED | MFF_VARS,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "argv run with the instance's environment; exit 0 passes" },
	{ .path = "interval", .type = MFT_DURATION, .offset = P(interval_ms),
	  .def = "5s", .min = MS_1, .max = NOMAX,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "time between checks" },
	{ .path = "timeout", .type = MFT_DURATION, .offset = P(timeout_ms),
	  .def = "1s", .min = MS_1, .max = NOMAX, .rule = "<= interval",
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "a check not done by then fails" },
	{ .path = "start_period", .type = MFT_DURATION,
	  .offset = P(start_period_ms), .def = "0s", .min = 0, .max = NOMAX,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "failures this soon after start do not count" },
	{ .path = "healthy_threshold", .type = MFT_UINT,
	  .offset = P(healthy_threshold), .def = "1", .min = 1, .max = 1000,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "passes in a row to become healthy" },
	{ .path = "unhealthy_threshold", .type = MFT_UINT,
	  .offset = P(unhealthy_threshold), .def = "3", .min = 1, .max = 1000,
	  .change = MANIFEST_CHANGE_LIVE,
	  .doc = "failures in a row to become unhealthy" },
	{ .path = "on_unhealthy", .type = MFT_CHOICE,
	  .offset = P(on_unhealthy_restart), .def = "restart",
	  .names = on_unhealthy_names, .change = MANIFEST_CHANGE_LIVE,
	  .doc = "what an unhealthy liveness probe does" },
};

const struct manifest_field *
manifest_fields(size_t *n)
{
	*n = nitems(fields);
	return fields;
}

const struct manifest_field *
manifest_probe_fields(size_t *n)
{
	*n = nitems(probe_fields);
	return probe_fields;
}

/* The entry of `tab` that is `path` or, with `prefix`, its longest
 * prefix ending before a '.' or '['. */
static const struct manifest_field *
find_in(const struct manifest_field *tab, size_t n, const char *path,
    bool prefix)
{
	const struct manifest_field	*best = NULL;
	size_t				 i, len, bestlen = 0;

	for (i = 0; i < n; i++) {
		len = strlen(tab[i].path);
		if (strncmp(path, tab[i].path, len) != 0)
			continue;
		if (path[len] != '\0' && (!prefix ||
		    (path[len] != '.' && path[len] != '[')))
			continue;
		if (best == NULL || len > bestlen) {
			best = &tab[i];
			bestlen = len;
		}
	}
	return best;
}

static const struct manifest_field *
lookup(const char *path, bool prefix)
{
	const struct manifest_field	*f;
	size_t				 len;

	f = find_in(fields, nitems(fields), path, true);
	if (f == NULL)
		return NULL;
	len = strlen(f->path);
	if (f->type == MFT_PROBE && path[len] == '.')
		return find_in(probe_fields, nitems(probe_fields),
		    path + len + 1, prefix);
	if (!prefix && path[len] != '\0')
		return NULL;
	return f;
}

const struct manifest_field *
manifest_field_find(const char *path)
{
	return lookup(path, false);
}

enum manifest_change
manifest_field_change(const char *path)
{
	const struct manifest_field	*f = lookup(path, true);

	return f != NULL ? f->change : MANIFEST_CHANGE_ROLLOUT;
}

const char *
manifest_change_name(enum manifest_change c)
{
	switch (c) {
	case MANIFEST_CHANGE_LIVE:
		return "live";
	case MANIFEST_CHANGE_RESTART:
		return "restart";
	case MANIFEST_CHANGE_ROLLOUT:
		return "rollout";
	case MANIFEST_CHANGE_SCALE:
		return "scale";
	}
	return "rollout";
}

const char *
manifest_type_name(enum manifest_type t)
{
	static const char *const names[] = {
		[MFT_NAME] = "name",
		[MFT_ARGV] = "list of strings",
		[MFT_STRING] = "string",
		[MFT_ENV] = "mapping",
		[MFT_UINT] = "integer",
		[MFT_COUNT] = "integer",
		[MFT_PORT] = "port",
		[MFT_LISTEN] = "list of {name, address}",
		[MFT_ENUM] = "enum",
		[MFT_CHOICE] = "enum",
		[MFT_EXIT_CODES] = "list of integers",
		[MFT_DURATION] = "duration",
		[MFT_NUMBER] = "number",
		[MFT_SIGNAL] = "signal",
		[MFT_BOOL] = "boolean",
		[MFT_SIZE] = "size",
		[MFT_NAMES] = "list of service names",
		[MFT_HEALTH] = "probe",
		[MFT_PROBE] = "probe",
		[MFT_PROBE_PORT] = "port",
		[MFT_STATUS] = "status range",
	};

	if ((size_t)t >= nitems(names) || names[t] == NULL)
		return "?";
	return names[t];
}

/* Appends to buf at *off, never past len. */
static void
bappend(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
bappend(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len - 1;
}

static void
bounds_numeric(const struct manifest_field *f, char *buf, size_t len,
    size_t *off)
{
	char	a[32], b[32];

	switch (f->type) {
	case MFT_UINT:
	case MFT_COUNT:
	case MFT_PORT:
	case MFT_PROBE_PORT:
	case MFT_EXIT_CODES:
	case MFT_STATUS:
		bappend(buf, len, off, "%" PRIu64 "..%" PRIu64, f->min, f->max);
		break;
	case MFT_DURATION:
	case MFT_SIZE:
		if (f->type == MFT_DURATION) {
			duration_format(f->min, a, sizeof(a));
			duration_format(f->max, b, sizeof(b));
		} else {
			size_format(f->min, a, sizeof(a));
			size_format(f->max, b, sizeof(b));
		}
		if (f->min > 0 && f->max != NOMAX)
			bappend(buf, len, off, "%s..%s", a, b);
		else if (f->min > 0)
			bappend(buf, len, off, ">= %s", a);
		else if (f->max != NOMAX)
			bappend(buf, len, off, "<= %s", b);
		break;
	case MFT_NUMBER:
		bappend(buf, len, off, "%g..%g", f->dmin, f->dmax);
		break;
	default:
		break;
	}
}

void
manifest_field_bounds(const struct manifest_field *f, char *buf, size_t len)
{
	size_t	off = 0, i;

	if (len == 0)
		return;
	buf[0] = '\0';
	bounds_numeric(f, buf, len, &off);
	switch (f->type) {
	case MFT_NAME:
		bappend(buf, len, &off, "[a-z0-9][a-z0-9-]{0,62}");
		break;
	case MFT_ARGV:
		bappend(buf, len, &off, "non-empty, first item non-empty");
		break;
	case MFT_ENV:
		bappend(buf, len, &off, "keys [A-Za-z_][A-Za-z0-9_]*, "
		    "not SERVICE, INSTANCE or PORT");
		break;
	case MFT_LISTEN:
		bappend(buf, len, &off, "at most %" PRIu64 " entries, unique "
		    "names [A-Za-z0-9_.-]+; address HOST:PORT, [V6]:PORT or "
		    "unix:/PATH", f->max);
		break;
	case MFT_ENUM:
	case MFT_CHOICE:
		for (i = 0; f->names[i] != NULL; i++)
			bappend(buf, len, &off, "%s%s", i ? " | " : "",
			    f->names[i]);
		break;
	case MFT_SIGNAL:
		bappend(buf, len, &off, "%s", manifest_signal_list());
		break;
	case MFT_NAMES:
		bappend(buf, len, &off, "service names, not the service "
		    "itself");
		break;
	case MFT_PROBE_PORT:
		bappend(buf, len, &off, " or a ${VAR}");
		break;
	default:
		break;
	}
	if (f->rule != NULL)
		bappend(buf, len, &off, "%s%s", off ? "; " : "", f->rule);
}
