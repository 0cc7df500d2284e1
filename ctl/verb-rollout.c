/*
 * verb-rollout.c — `droverctl rollout history|undo SERVICE`:
 *   history   the service's revisions, oldest first, with time and cause;
 *             the current one is marked
 *   undo      make the revision before the current one current again
 *             (--to-revision R: that one; a prefix of R is enough), as a
 *             new revision whose cause is "rollback to R"
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int
verb_rollout(struct ctl *ctl)
{
	const char	*sub = ctl->args[0], *svc = ctl->args[1];

	if (strcmp(sub, "history") == 0)
		return rollout_history(ctl, svc);
	if (strcmp(sub, "undo") == 0)
		return rollout_undo(ctl, svc);
	return ctl_usage_error(ctl, "rollout: unknown subcommand '%s' "
	    "(expected history or undo)", sub);
}
