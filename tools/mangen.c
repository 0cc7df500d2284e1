/*
 * mangen.c — drover-mangen: drover.yaml(5) from the manifest field table,
 * so that the manual documents exactly the fields the parser reads.
 *
 *   drover-mangen TEMPLATE     the page: TEMPLATE (roff) with the line
 *                              `.\" <<FIELDS>>` replaced by the manifest's
 *                              fields and `.\" <<PROBE_FIELDS>>` by a
 *                              probe's; both markers must be there
 *   drover-mangen --fields     every field, one a line:
 *                              TABLE<TAB>PATH<TAB>TYPE<TAB>DEFAULT
 *                              (TABLE manifest or probe; DEFAULT "-" for
 *                              a required field)
 *
 * Each entry gives the path, the type, the default (or "required"), the
 * bounds and rule in words, how a change is applied, and the doc line.
 * Exits 1 when the template cannot be read or lacks a marker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "util.h"

#define MARK_FIELDS		".\\\" <<FIELDS>>"
#define MARK_PROBE_FIELDS	".\\\" <<PROBE_FIELDS>>"

/* Text for roff: backslashes escaped, '-' as a minus (copyable), and a
 * leading '.' or '\'' made literal. */
static void
roff_text(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/* The first component of a path ("restart" of "restart.limit.burst"). */
static size_t
section_len(const char *path)
{
	const char	*dot = strchr(path, '.');

	return dot != NULL ? (size_t)(dot - path) : strlen(path);
}

/* The doc line as a sentence: first letter capitalized, a final '.'. */
static void
doc_sentence(FILE *f, const char *doc)
{
	char	*s = xstrdup(doc);

	if (*s >= 'a' && *s <= 'z')
		*s = (char)(*s - 'a' + 'A');
	roff_text(f, s);
	fputs(".\n", f);
	free(s);
}

/* One field: the tag line, the doc line, then the facts in one line. */
static void
field_entry(FILE *f, const struct manifest_field *fd)
{
	char	bounds[512];

	fputs(".TP\n.BR ", f);
	roff_text(f, fd->path);
	fputs(" \" (", f);
	roff_text(f, manifest_type_name(fd->type));
	fputs(")\"\n", f);
	doc_sentence(f, fd->doc);
	fputs(".br\n", f);
	if (fd->flags & MFF_REQUIRED)
		fputs("Required. ", f);
	else if (fd->def != NULL) {
		fputs("Default: \\fB", f);
		roff_text(f, fd->def);
		fputs("\\fR. ", f);
	}
	manifest_field_bounds(fd, bounds, sizeof(bounds));
	if (bounds[0] != '\0') {
		fputs("Bounds: ", f);
		roff_text(f, bounds);
		fputs(". ", f);
	}
	if (fd->flags & MFF_VARS)
		fputs("May hold ${\\fIVAR\\fR}. ", f);
	if (fd->flags & MFF_ZERO_NULL)
		fputs("0 means unset. ", f);
	fprintf(f, "Change: %s.\n", manifest_change_name(fd->change));
}

/*
 * The subsection a field of the manifest table is listed under: its first
 * component when it has a dot or the next field is below it ("restart" of
 * "restart.limit.burst", "health" of "health"), else "" (top-level).
 */
static size_t
group_len(const struct manifest_field *tab, size_t i, size_t n)
{
	size_t	len = section_len(tab[i].path);

	if (tab[i].path[len] == '.')
		return len;
	if (i + 1 < n && strncmp(tab[i + 1].path, tab[i].path, len) == 0 &&
	    tab[i + 1].path[len] == '.')
		return len;
	return 0;
}

/* Entries of one table; with `sections`, a .SS before each group (the
 * first top-level run is "Service", a later one is named by its field). */
static void
table_entries(FILE *f, const struct manifest_field *tab, size_t n,
    bool sections)
{
	size_t	i, len, prev_len = 0;

	for (i = 0; i < n; i++) {
		len = group_len(tab, i, n);
		if (sections && (i == 0 || len != prev_len ||
		    strncmp(tab[i].path, tab[i - 1].path, len) != 0)) {
			fputs(".SS ", f);
			if (len > 0)
				fprintf(f, "%.*s\n", (int)len, tab[i].path);
			else if (i == 0)
				fputs("Service\n", f);
			else
				fprintf(f, "%s\n", tab[i].path);
		}
		field_entry(f, &tab[i]);
		prev_len = len;
	}
}

static int
print_fields(void)
{
	const struct manifest_field	*tab;
	size_t				 n, i, k;
	static const char *const	 names[] = { "manifest", "probe" };

	for (k = 0; k < nitems(names); k++) {
		tab = k == 0 ? manifest_fields(&n) : manifest_probe_fields(&n);
		for (i = 0; i < n; i++)
			printf("%s\t%s\t%s\t%s\n", names[k], tab[i].path,
			    manifest_type_name(tab[i].type),
			    (tab[i].flags & MFF_REQUIRED) || tab[i].def == NULL ?
			    "-" : tab[i].def);
	}
	return 0;
}

/* Copy the template, expanding the two markers (each exactly once). */
static int
print_page(const char *template)
{
	const struct manifest_field	*tab;
	FILE				*in;
	char				*line = NULL;
	size_t				 cap = 0, n;
	ssize_t				 len;
	int				 seen_fields = 0, seen_probe = 0;

	if ((in = fopen(template, "r")) == NULL) {
		perror(template);
		return 1;
	}
	while ((len = getline(&line, &cap, in)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (strcmp(line, MARK_FIELDS) == 0) {
			tab = manifest_fields(&n);
			table_entries(stdout, tab, n, true);
			seen_fields++;
		} else if (strcmp(line, MARK_PROBE_FIELDS) == 0) {
			tab = manifest_probe_fields(&n);
			table_entries(stdout, tab, n, false);
			seen_probe++;
		} else
			puts(line);
	}
	free(line);
	fclose(in);
	if (seen_fields != 1 || seen_probe != 1) {
		fprintf(stderr, "drover-mangen: %s: needs the lines '%s' and "
		    "'%s' once each\n", template, MARK_FIELDS,
		    MARK_PROBE_FIELDS);
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	int	r;

	if (argc == 2 && strcmp(argv[1], "--fields") == 0)
		r = print_fields();
	else if (argc == 2 && argv[1][0] != '-')
		r = print_page(argv[1]);
	else {
		fputs("usage: drover-mangen TEMPLATE | --fields\n", stderr);
		return 2;
	}
	if (fflush(stdout) != 0) {
		perror("drover-mangen: stdout");
		return 1;
	}
	return r;
}
