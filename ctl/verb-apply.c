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
	struct manifest	**ms;
	size_t		  n;
	int		  r;

	if ((r = load_from_opts(ctl, "nothing applied", &ms, &n)) != CTL_OK)
		return r;
	r = apply_all(ctl, ms, n);
	load_free(ms, n);
	return r;
}
