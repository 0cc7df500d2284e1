/*
 * verb-apply.c — `droverctl apply -f FILE|DIR ...`: parse every manifest
 * locally, and only when all of them are valid PUT each one's canonical
 * form to /api/v1/services/{name}. One line per service:
 *   api: created (rev 1a2b3c4d5e6f)   web: unchanged
 * With -o json, the array of droverd's answers.
 */
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

/* The -f arguments, in order; NULL-terminated, malloc'd (not the strings). */
static char **
file_args(const struct ctl *ctl, size_t *n)
{
	char	**v = xcalloc(ctl->nopts + 1, sizeof(*v));
	size_t	  i;

	*n = 0;
	for (i = 0; i < ctl->nopts; i++)
		if (ctl->opts[i].ch == 'f')
			v[(*n)++] = (char *)ctl->opts[i].arg;
	return v;
}

static void
print_answer(const struct manifest *m, const json_t *answer)
{
	const char	*res, *rev;

	res = json_string_value(json_object_get(answer, "result"));
	rev = json_string_value(json_object_get(answer, "revision"));
	if (res == NULL)
		res = "applied";
	if (rev != NULL && strcmp(res, "unchanged") != 0)
		printf("%s: %s (rev %.12s)\n", m->name, res, rev);
	else
		printf("%s: %s\n", m->name, res);
}

/* PUT one manifest; the answer goes to `answers` or stdout. */
static int
apply_one(const struct ctl *ctl, const struct manifest *m, json_t *answers)
{
	struct client_reply	 r;
	json_t			*body, *answer;
	char			*path = api_service_path(m->name, NULL);
	int			 e;

	body = manifest_to_json(m);
	e = api_call(ctl, m->name, "PUT", path, body, &r);
	json_decref(body);
	free(path);
	if (e != CTL_OK)
		return e;
	answer = api_parse(&r);
	client_reply_free(&r);
	if (answer == NULL)
		return CTL_FAILED;
	if (answers != NULL)
		json_array_append(answers, answer);
	else
		print_answer(m, answer);
	json_decref(answer);
	return CTL_OK;
}

/* Every valid manifest is sent even if one is refused; none after 3. */
static int
apply_all(const struct ctl *ctl, struct manifest **ms, size_t n)
{
	json_t	*answers = NULL;
	size_t	 i;
	int	 e, r = CTL_OK;

	if (ctl->output == OUTPUT_JSON)
		answers = json_array();
	for (i = 0; i < n && r != CTL_UNREACHABLE; i++)
		if ((e = apply_one(ctl, ms[i], answers)) != CTL_OK)
			r = e;
	if (answers != NULL && r != CTL_UNREACHABLE)
		output_json(answers);
	json_decref(answers);
	return r;
}

int
verb_apply(struct ctl *ctl)
{
	struct diags	  d = { 0 };
	struct manifest	**ms;
	char		**files;
	size_t		  nfiles, n;
	int		  r;

	files = file_args(ctl, &nfiles);
	if (nfiles == 0) {
		free(files);
		return ctl_usage_error(ctl, "apply: no -f FILE|DIR given");
	}
	r = load_manifests(files, nfiles, &ms, &n, &d);
	free(files);
	if (r != 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "droverctl: nothing applied: %zu problem%s "
		    "found\n", d.n, d.n == 1 ? "" : "s");
		diags_clear(&d);
		return CTL_FAILED;
	}
	if (n == 0) {
		fprintf(stderr, "droverctl: no manifests found\n");
		return CTL_FAILED;
	}
	r = apply_all(ctl, ms, n);
	load_free(ms, n);
	return r;
}
