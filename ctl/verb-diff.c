/*
 * verb-diff.c — `droverctl diff -f FILE|DIR ...`: what `apply` would
 * change, field by field, and how each change is applied:
 *   live     the instances switch to it without a restart
 *   restart  the instances are restarted (reserved)
 *   rollout  the instances are replaced by new ones
 *   scale    instances are added or removed, none replaced
 * A service's change is its strongest field's. Nothing is changed.
 * With -o json: [{"service","change","fields":[{"path","old","new","class"}]}].
 */
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

/* Strongest first: the service's change is the first class present. */
static const char *const diff_order[] = { "rollout", "restart", "scale",
    "live" };

static const char *
diff_change(const json_t *fields)
{
	const json_t	*f;
	const char	*c;
	size_t		 i, k;

	if (json_array_size(fields) == 0)
		return "unchanged";
	for (k = 0; k < nitems(diff_order); k++)
		json_array_foreach(fields, i, f) {
			c = json_string_value(json_object_get(f, "class"));
			if (c != NULL && strcmp(c, diff_order[k]) == 0)
				return diff_order[k];
		}
	return "rollout";
}

/* The applied manifest of a service, NULL when it does not exist. */
static int
diff_current(const struct ctl *ctl, const char *name, struct manifest **out)
{
	struct diags	 d = { 0 };
	json_t		*svc;
	char		*path = api_service_path(name, NULL);
	int		 e;

	*out = NULL;
	e = api_get_optional(ctl, name, path, &svc);
	free(path);
	if (e != CTL_OK || svc == NULL)
		return e;
	*out = manifest_from_json(json_object_get(svc, "spec"), name, name,
	    &d);
	json_decref(svc);
	if (*out == NULL) {
		fprintf(stderr, "droverctl: %s: droverd's spec does not parse\n",
		    name);
		diags_print(&d, stderr);
		diags_clear(&d);
		return CTL_FAILED;
	}
	return CTL_OK;
}

static void
diff_print(const char *name, const char *change, const json_t *fields)
{
	const json_t	*f;
	char		*o, *n;
	size_t		 i;

	printf("%s: %s\n", name, change);
	json_array_foreach(fields, i, f) {
		o = json_dumps(json_object_get(f, "old"), JSON_ENCODE_ANY |
		    JSON_COMPACT | JSON_REAL_PRECISION(6));
		n = json_dumps(json_object_get(f, "new"), JSON_ENCODE_ANY |
		    JSON_COMPACT | JSON_REAL_PRECISION(6));
		printf("  %-32s %s -> %s  (%s)\n",
		    json_string_value(json_object_get(f, "path")), o, n,
		    json_string_value(json_object_get(f, "class")));
		free(o);
		free(n);
	}
}

int
verb_diff(struct ctl *ctl)
{
	struct manifest	**ms, *cur;
	json_t		 *all = json_array(), *fields;
	const char	 *change;
	size_t		  n, i;
	int		  r;

	if ((r = load_from_opts(ctl, "nothing compared", &ms, &n)) != CTL_OK) {
		json_decref(all);
		return r;
	}
	for (i = 0; i < n && r == CTL_OK; i++) {
		if ((r = diff_current(ctl, ms[i]->name, &cur)) != CTL_OK)
			break;
		fields = manifest_diff(cur, ms[i]);
		change = cur == NULL ? "new service" : diff_change(fields);
		if (ctl->output == OUTPUT_JSON)
			json_array_append_new(all, json_pack("{s:s, s:s, s:o}",
			    "service", ms[i]->name, "change", change,
			    "fields", cur == NULL ? json_array() :
			    json_incref(fields)));
		else if (cur == NULL)
			printf("%s: new service\n", ms[i]->name);
		else
			diff_print(ms[i]->name, change, fields);
		json_decref(fields);
		manifest_free(cur);
	}
	if (r == CTL_OK && ctl->output == OUTPUT_JSON)
		output_json(all);
	json_decref(all);
	load_free(ms, n);
	return r;
}
