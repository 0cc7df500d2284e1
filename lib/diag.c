/*
 * diag.c — collected diagnostics. See diag.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "util.h"

void
diags_add(struct diags *d, const char *file, int line, int col,
    const char *path, const char *fmt, ...)
{
	struct diag	*g;
	va_list		 ap;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	g->file = xstrdup(file ? file : "");
	g->line = line;
	g->col = col;
	g->path = xstrdup(path ? path : "");
	va_start(ap, fmt);
	if (vasprintf(&g->msg, fmt, ap) == -1)
		abort();
	va_end(ap);
}

char *
diag_format(const struct diag *g)
{
	char	*s, pos[64] = "";

	if (g->line > 0)
		snprintf(pos, sizeof(pos), ":%d:%d", g->line, g->col);
	xasprintf(&s, "%s%s: %s%s%s", g->file, pos, g->path,
	    *g->path ? ": " : "", g->msg);
	return s;
}

void
diags_print(const struct diags *d, void *stream)
{
	size_t	 i;
	char	*s;

	for (i = 0; i < d->n; i++) {
		s = diag_format(&d->v[i]);
		fprintf(stream, "%s\n", s);
		free(s);
	}
}

char *
diags_join(const struct diags *d)
{
	char	*out = xstrdup(""), *s, *t;
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		s = diag_format(&d->v[i]);
		xasprintf(&t, "%s%s%s", out, i ? "\n" : "", s);
		free(out);
		free(s);
		out = t;
	}
	return out;
}

void
diags_clear(struct diags *d)
{
	size_t	i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].path);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
