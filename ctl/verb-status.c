/*
 * verb-status.c — `droverctl status [SERVICE]`: every service (or one) and
 * its instances, one row per instance, or the API's JSON with -o json.
 *
 * The last column, MESSAGE, is the instance's last_error, or else its
 * status_text (the last STATUS= it sent on NOTIFY_SOCKET).
 *
 * The JSON always has the shape {"services": [service...]}: the list is
 * printed as droverd sent it, and one service is wrapped, without the
 * fields only its detail view has ("spec", "history"), so that scripts
 * read both the same way.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

static const char *const status_headers[] = {
	"SERVICE", "INSTANCE", "PID", "STATE", "HEALTH", "RESTARTS",
	"REVISION", "SINCE", "MESSAGE"
};

static const char *
str(const json_t *obj, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(obj, key));

	return s != NULL && *s != '\0' ? s : dflt;
}

/* How long ago `since` (the state's last change, wall-clock ms) was:
 * "45s ago", "12m ago", "3h ago", "2d ago". */
static void
format_age(const json_t *since, char *buf, size_t len)
{
	static const struct { uint64_t ms; char unit; } units[] = {
		{ 86400000, 'd' }, { 3600000, 'h' }, { 60000, 'm' }, { 1000, 's' },
	};
	uint64_t	now = wall_ms(), t;
	size_t		i;

	if (!json_is_integer(since) || json_integer_value(since) <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	t = (uint64_t)json_integer_value(since);
	t = now > t ? now - t : 0;
	for (i = 0; i + 1 < nitems(units) && t < units[i].ms * 2; i++)
		;
	snprintf(buf, len, "%" PRIu64 "%c ago", t / units[i].ms,
	    units[i].unit);
}

/*
 * The state, with the time left before the next start when waiting:
 * from "next_start" (unix ms) when given, as next_start_ms is as old as
 * the report.
 */
static void
format_state(const json_t *inst, char *buf, size_t len)
{
	const char	*state = str(inst, "state", "-");
	json_int_t	 next, at;

	next = json_integer_value(json_object_get(inst, "next_start_ms"));
	at = json_integer_value(json_object_get(inst, "next_start"));
	if (at > 0)
		next = at - (json_int_t)wall_ms();
	if (next > 0 && (strcmp(state, "backoff") == 0 ||
	    strcmp(state, "crashloop") == 0))
		snprintf(buf, len, "%s (%.1fs)", state, (double)next / 1000);
	else if (strcmp(state, "waiting") == 0 &&
	    json_is_string(json_object_get(inst, "last_error")))
		snprintf(buf, len, "waiting (%s)", str(inst, "last_error", ""));
	else
		snprintf(buf, len, "%s", state);
}

/*
 * The health, with the consecutive failures and, when the last check
 * failed, what it said: "failing (3): http 503".
 */
static void
format_health(const json_t *inst, char *buf, size_t len)
{
	const json_t	*last = json_object_get(inst, "health_last");
	json_int_t	 failures;
	int		 n;

	n = snprintf(buf, len, "%s", str(inst, "health", "-"));
	failures = json_integer_value(json_object_get(inst,
	    "health_failures"));
	if (failures > 0 && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n,
		    " (%" JSON_INTEGER_FORMAT ")", failures);
	if (json_is_false(json_object_get(last, "ok")) && n >= 0 &&
	    (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ": %s",
		    str(last, "message", "?"));
}

static void
add_instance(struct table *t, const char *svc, const json_t *inst)
{
	char		 instance[96], pid[24], restarts[24], rev[13], age[32];
	char		 state[48], health[160];
	const char	*cells[nitems(status_headers)];
	json_int_t	 p;

	p = json_integer_value(json_object_get(inst, "pid"));
	snprintf(instance, sizeof(instance), "%s/%" JSON_INTEGER_FORMAT, svc,
	    json_integer_value(json_object_get(inst, "index")));
	if (p > 0)
		snprintf(pid, sizeof(pid), "%" JSON_INTEGER_FORMAT, p);
	else
		strcpy(pid, "-");
	snprintf(restarts, sizeof(restarts), "%" JSON_INTEGER_FORMAT,
	    json_integer_value(json_object_get(inst, "restarts")));
	snprintf(rev, sizeof(rev), "%s", str(inst, "revision", "-"));
	format_age(json_object_get(inst, "since"), age, sizeof(age));
	format_state(inst, state, sizeof(state));
	format_health(inst, health, sizeof(health));
	cells[0] = svc;
	cells[1] = instance;
	cells[2] = pid;
	cells[3] = state;
	cells[4] = health;
	cells[5] = restarts;
	cells[6] = rev;
	cells[7] = age;
	/* what went wrong, else what the instance says of itself */
	cells[8] = str(inst, "last_error", str(inst, "status_text", ""));
	table_add(t, cells);
}

/* A service without instances still gets a row. */
static void
add_service(struct table *t, const json_t *svc)
{
	const json_t	*insts = json_object_get(svc, "instances"), *inst;
	const char	*name = str(svc, "name", "?");
	const char	*cells[nitems(status_headers)];
	char		 rev[13];
	size_t		 i;

	json_array_foreach(insts, i, inst)
		add_instance(t, name, inst);
	if (json_array_size(insts) > 0)
		return;
	snprintf(rev, sizeof(rev), "%s", str(svc, "revision", "-"));
	cells[0] = name;
	cells[1] = "-";
	cells[2] = "-";
	cells[3] = json_is_false(json_object_get(svc, "enabled")) ?
	    "stopped" : "-";
	cells[4] = "-";
	cells[5] = "-";
	cells[6] = rev;
	cells[7] = "-";
	cells[8] = "";
	table_add(t, cells);
}

static void
print_table(const json_t *services)
{
	struct table	*t;
	const json_t	*svc;
	size_t		 i;

	t = table_new(status_headers, nitems(status_headers));
	json_array_foreach(services, i, svc)
		add_service(t, svc);
	table_print(t, stdout);
	table_free(t);
}

/* Under the table, a line per rollout in progress or failed. */
static void
print_rollouts(const json_t *services)
{
	const json_t	*svc, *ro;
	const char	*st;
	size_t		 i;

	json_array_foreach(services, i, svc) {
		ro = json_object_get(svc, "rollout");
		st = str(ro, "state", "");
		if (json_is_true(json_object_get(ro, "active")) ||
		    strcmp(st, "failed") == 0)
			rollout_print_line(str(svc, "name", "?"), ro);
	}
}

/* The answer as {"services": [...]}: as sent, or wrapping one service. */
static json_t *
services_of(json_t *answer, bool one)
{
	json_t	*list;

	if (!one)
		return json_incref(json_object_get(answer, "services"));
	json_object_del(answer, "spec");
	json_object_del(answer, "history");
	list = json_array();
	json_array_append(list, answer);
	return list;
}

int
verb_status(struct ctl *ctl)
{
	json_t			*answer, *services, *wrapped;
	char			*path;
	bool			 one = ctl->nargs == 1;
	int			 e;

	path = one ? api_service_path(ctl->args[0], NULL) :
	    xstrdup("/services");
	/* the list goes out as droverd sent it: no re-encoding */
	e = api_fetch(ctl, one ? ctl->args[0] : NULL, "GET", path, NULL,
	    ctl->output == OUTPUT_JSON && !one, &answer);
	free(path);
	if (e != CTL_OK || answer == NULL)
		return e;
	services = services_of(answer, one);
	if (ctl->output == OUTPUT_JSON) {
		wrapped = json_pack("{s:O}", "services", services);
		output_json(wrapped);
		json_decref(wrapped);
	} else {
		print_table(services);
		print_rollouts(services);
	}
	json_decref(services);
	json_decref(answer);
	return CTL_OK;
}
