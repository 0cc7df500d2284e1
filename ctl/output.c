/*
 * output.c — what droverctl prints on stdout: aligned tables for people,
 * the API's JSON for programs, and the one-line result of an action.
 *
 * A table owns copies of its cells; columns are as wide as their widest
 * cell, two spaces apart, and the last one is not padded.
 */
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

struct table {
	size_t	  ncols;
	size_t	  nrows;	/* the header row included */
	size_t	  cap;
	char	**cells;	/* nrows * ncols */
	size_t	 *width;
};

struct table *
table_new(const char *const *headers, size_t ncols)
{
	struct table	*t = xcalloc(1, sizeof(*t));

	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof(*t->width));
	table_add(t, headers);
	return t;
}

void
table_add(struct table *t, const char *const *cells)
{
	size_t	i, w;
	char	**row;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols,
		    sizeof(*t->cells));
	}
	row = t->cells + t->nrows++ * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		row[i] = xstrdup(cells[i] != NULL ? cells[i] : "");
		if ((w = strlen(row[i])) > t->width[i])
			t->width[i] = w;
	}
}

void
table_print(const struct table *t, FILE *f)
{
	size_t	r, i, last;
	char	**row;

	for (r = 0; r < t->nrows; r++) {
		row = t->cells + r * t->ncols;
		/* Trailing empty cells print nothing, not padding. */
		for (last = t->ncols; last > 1 && *row[last - 1] == '\0';
		    last--)
			;
		for (i = 0; i < last; i++) {
			if (i + 1 < last)
				fprintf(f, "%-*s  ", (int)t->width[i], row[i]);
			else
				fprintf(f, "%s\n", row[i]);
		}
	}
}

void
table_free(struct table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

/* JSON text as droverd sent it, newline-terminated. */
void
output_raw_json(const char *s, size_t len)
{
	fwrite(s, 1, len, stdout);
	if (len == 0 || s[len - 1] != '\n')
		fputc('\n', stdout);
}

void
output_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

/* {"service": "api", "result": "stopped"} as "api: stopped". */
void
output_result(const json_t *answer)
{
	const char	*svc, *res;

	svc = json_string_value(json_object_get(answer, "service"));
	res = json_string_value(json_object_get(answer, "result"));
	if (svc != NULL)
		printf("%s: %s\n", svc, res != NULL ? res : "done");
	else
		printf("%s\n", res != NULL ? res : "done");
}
