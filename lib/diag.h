/*
 * diag.h — collected diagnostics ("file:line:col: field.path: message").
 *
 * Parsers never stop at the first problem: they add every one to a
 * struct diags and the caller refuses the whole input when any is there.
 * line/col are 1-based; 0 means "no position" (e.g. a JSON request body),
 * and diag_format() then prints "file: field.path: message".
 */
#ifndef DROVER_DIAG_H
#define DROVER_DIAG_H

#include <stddef.h>

struct diag {
	char	*file;
	int	 line;
	int	 col;
	char	*path;		/* field path, e.g. "restart.backoff.initial"; may be "" */
	char	*msg;
};

struct diags {
	struct diag	*v;
	size_t		 n;
	size_t		 cap;
};

void	 diags_add(struct diags *, const char *file, int line, int col,
	    const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
/* Returns a malloc'd "file:line:col: path: msg". */
char	*diag_format(const struct diag *);
/* Writes every diagnostic, one per line, to the stream. */
void	 diags_print(const struct diags *, void *FILE_stream);
/* Joins every diagnostic into one malloc'd string, '\n' separated. */
char	*diags_join(const struct diags *);
void	 diags_clear(struct diags *);

#endif
