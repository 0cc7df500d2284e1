/*
 * verb-rollout.c — `droverctl rollout SUBCOMMAND SERVICE`:
 *   history   the service's revisions, oldest first, with time and cause;
 *             the current one is marked
 *   undo      make the revision before the current one current again
 *             (--to-revision R: that one; a prefix of R is enough), as a
 *             new revision whose cause is "rollback to R"
 *   status    the last rollout: state, progress, message; --watch: print
 *             each change until it is over, and exit 1 unless the
 *             revision it was rolling out is what runs in the end (a
 *             failure, a rollback or a newer apply)
 *   promote   let a rollout paused at its canary go on
 *   pause, resume
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "droverctl.h"
#include "util.h"

static const char *const history_headers[] = {
	"REVISION", "APPLIED", "CAUSE", ""
};

static int
rollout_history(struct ctl *ctl, const char *svc)
{
	const json_t		*h;
	const char		*cells[nitems(history_headers)], *cur;
	struct table		*t;
	json_t			*answer;
	char			*path, when[32];
	time_t			 secs;
	size_t			 i;
	int			 e;

	path = api_service_path(svc, "revisions");
	e = api_fetch(ctl, svc, "GET", path, NULL, ctl->output == OUTPUT_JSON,
	    &answer);
	free(path);
	if (e != CTL_OK || answer == NULL)
		return e;
	cur = json_string_value(json_object_get(answer, "current"));
	t = table_new(history_headers, nitems(history_headers));
	json_array_foreach(json_object_get(answer, "revisions"), i, h) {
		secs = (time_t)(json_integer_value(json_object_get(h, "time")) /
		    1000);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
		    localtime(&secs));
		cells[0] = json_string_value(json_object_get(h, "revision"));
		cells[1] = when;
		cells[2] = json_string_value(json_object_get(h, "cause"));
		cells[3] = i + 1 == json_array_size(json_object_get(answer,
		    "revisions")) && cur != NULL && cells[0] != NULL &&
		    strcmp(cur, cells[0]) == 0 ? "(current)" : "";
		table_add(t, cells);
	}
	table_print(t, stdout);
	table_free(t);
	json_decref(answer);
	return CTL_OK;
}

static int
rollout_undo(struct ctl *ctl, const char *svc)
{
	json_t	*body = json_object();
	char	*path;
	size_t	 i;
	int	 e;

	for (i = 0; i < ctl->nopts; i++)
		if (ctl->opts[i].ch == 'r')
			json_object_set_new(body, "revision",
			    json_string(ctl->opts[i].arg));
	path = api_service_path(svc, "rollback");
	e = api_action(ctl, svc, "POST", path, body);
	free(path);
	json_decref(body);
	return e;
}

/* One line: "rollout svc: running, 2/4 new healthy (50%), A -> B: msg". */
void
rollout_print_line(const char *svc, const json_t *ro)
{
	const char	*msg = json_string_value(json_object_get(ro, "message"));

	printf("rollout %s: %s%s, %lld/%lld new healthy (%.0f%%), %s -> %s%s%s\n",
	    svc, json_is_true(json_object_get(ro, "rollback")) ?
	    "rollback " : "",
	    json_string_value(json_object_get(ro, "state")),
	    json_integer_value(json_object_get(ro, "new_healthy")),
	    json_integer_value(json_object_get(ro, "desired")),
	    100 * json_number_value(json_object_get(ro, "progress")),
	    json_string_value(json_object_get(ro, "from")),
	    json_string_value(json_object_get(ro, "to")),
	    msg ? ": " : "", msg ? msg : "");
	fflush(stdout);
}

/* GET the rollout: parsed in *ro, or printed as received when `raw`. */
static int
rollout_get(struct ctl *ctl, const char *svc, bool raw, json_t **ro)
{
	char	*path = api_service_path(svc, "rollout");
	int	 e;

	e = api_fetch(ctl, svc, "GET", path, NULL, raw, ro);
	free(path);
	return e;
}

/* The same rollout, seen again: nothing worth a new line. */
static bool
rollout_same(const json_t *a, const json_t *b)
{
	static const char *const keys[] = { "state", "to", "new_healthy",
	    "new", "message", "rollback" };
	size_t	i;

	if (a == NULL)
		return false;
	for (i = 0; i < nitems(keys); i++)
		if (!json_equal(json_object_get(a, keys[i]),
		    json_object_get(b, keys[i])))
			return false;
	return true;
}

static int
rollout_status(struct ctl *ctl, const char *svc, bool watch)
{
	volatile sig_atomic_t	*stop;
	json_t			*ro, *last = NULL;
	char			*want;
	const char		*st;
	int			 e;

	if (!watch) {
		e = rollout_get(ctl, svc, ctl->output == OUTPUT_JSON, &ro);
		if (e == CTL_OK && ro != NULL)
			rollout_print_line(svc, ro);
		json_decref(ro);
		return e;
	}
	stop = api_stop_on_signals();
	if ((e = rollout_get(ctl, svc, false, &ro)) != CTL_OK)
		return e;
	want = xstrdup(json_string_value(json_object_get(ro, "to")));
	for (;;) {
		if (!rollout_same(last, ro)) {
			if (ctl->output == OUTPUT_JSON) {
				json_dumpf(ro, stdout, JSON_COMPACT);
				putchar('\n');
				fflush(stdout);
			} else
				rollout_print_line(svc, ro);
		}
		json_decref(last);
		last = ro;
		if (!json_is_true(json_object_get(ro, "active")) || *stop)
			break;
		usleep(200 * 1000);
		if ((e = rollout_get(ctl, svc, false, &ro)) != CTL_OK) {
			json_decref(last);
			free(want);
			return e;
		}
	}
	st = json_string_value(json_object_get(last, "state"));
	e = *stop || st == NULL || strcmp(st, "complete") != 0 ||
	    json_is_true(json_object_get(last, "rollback")) ||
	    strcmp(want, json_string_value(json_object_get(last, "to"))) != 0 ?
	    CTL_FAILED : CTL_OK;
	if (e != CTL_OK && !*stop)
		fprintf(stderr, "droverctl: the rollout of %s to %s did not "
		    "complete\n", svc, want);
	json_decref(last);
	free(want);
	return e;
}

static int
rollout_control(struct ctl *ctl, const char *svc, const char *action)
{
	char	*path, *sub;
	int	 e;

	xasprintf(&sub, "rollout/%s", action);
	path = api_service_path(svc, sub);
	e = api_action(ctl, svc, "POST", path, NULL);
	free(path);
	free(sub);
	return e;
}

int
verb_rollout(struct ctl *ctl)
{
	const char	*sub = ctl->args[0], *svc = ctl->args[1];

	if (strcmp(sub, "history") == 0)
		return rollout_history(ctl, svc);
	if (strcmp(sub, "undo") == 0)
		return rollout_undo(ctl, svc);
	if (strcmp(sub, "status") == 0) {
		bool watch = false;

		for (size_t i = 0; i < ctl->nopts; i++)
			watch |= ctl->opts[i].ch == 'w';
		return rollout_status(ctl, svc, watch);
	}
	if (strcmp(sub, "promote") == 0 || strcmp(sub, "pause") == 0 ||
	    strcmp(sub, "resume") == 0)
		return rollout_control(ctl, svc, sub);
	return ctl_usage_error(ctl, "rollout: unknown subcommand '%s' "
	    "(expected history, undo, status, promote, pause or resume)",
	    sub);
}
