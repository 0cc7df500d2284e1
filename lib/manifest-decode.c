/*
 * manifest-decode.c — decoding a document tree into a struct manifest,
 * driven by the field tables: one walker for mappings (unknown keys,
 * duplicate keys, required fields), the health section and its probes,
 * and the defaults, decoded from the table's text by the same decoders
 * (manifest-value.c) as the user's values.
 *
 * Checks that involve several fields are in manifest.c, ${VAR} checks in
 * manifest-expand.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "manifest-int.h"
#include "util.h"

#define FIELD(base, off, T)	((T *)(void *)((char *)(base) + (off)))

static void	decode_field(struct mdec *, const struct manifest_field *,
		    void *, const struct mnode *, const char *);
static void	apply_default(const struct manifest_field *, void *);

/* Mapping walker. */

/* Whether some entry of `tab` lies under section `tpath`. */
static bool
has_children(const struct manifest_field *tab, size_t ntab, const char *tpath)
{
	size_t	i, len = strlen(tpath);

	for (i = 0; i < ntab; i++)
		if (strncmp(tab[i].path, tpath, len) == 0 &&
		    tab[i].path[len] == '.')
			return true;
	return false;
}

/* The names directly under section `tpfx` ("" for the top), in table
 * order, for "unknown field" messages. */
static char *
children_list(const struct manifest_field *tab, size_t ntab, const char *tpfx)
{
	const char	**names = xcalloc(ntab, sizeof(*names)), *rest;
	size_t		 *lens = xcalloc(ntab, sizeof(*lens));
	size_t		  i, j, n = 0, len = strlen(tpfx), l;
	char		 *out = xstrdup(""), *t;

	for (i = 0; i < ntab; i++) {
		if (len > 0 && (strncmp(tab[i].path, tpfx, len) != 0 ||
		    tab[i].path[len] != '.'))
			continue;
		rest = tab[i].path + (len > 0 ? len + 1 : 0);
		l = strcspn(rest, ".");
		for (j = 0; j < n; j++)
			if (lens[j] == l && strncmp(names[j], rest, l) == 0)
				break;
		if (j < n)
			continue;
		names[n] = rest;
		lens[n++] = l;
		xasprintf(&t, "%s%s%.*s", out, *out ? ", " : "", (int)l, rest);
		free(out);
		out = t;
	}
	free(names);
	free(lens);
	return out;
}

static const struct manifest_field *
table_exact(const struct manifest_field *tab, size_t ntab, const char *tpath)
{
	size_t	i;

	for (i = 0; i < ntab; i++)
		if (strcmp(tab[i].path, tpath) == 0)
			return &tab[i];
	return NULL;
}

/* Whether entry `f` sits directly in section `tpfx`. */
static bool
in_section(const struct manifest_field *f, const char *tpfx)
{
	size_t	len = strlen(tpfx);

	if (len == 0)
		return strchr(f->path, '.') == NULL;
	return strncmp(f->path, tpfx, len) == 0 && f->path[len] == '.' &&
	    strchr(f->path + len + 1, '.') == NULL;
}

static void	decode_map(struct mdec *, const struct manifest_field *,
		    size_t, void *, const char *, const char *,
		    const struct mnode *);

/* Key `i` of mapping `n` in section `tpfx`: a field, a section, or an
 * unknown key. */
static void
decode_entry(struct mdec *dec, const struct manifest_field *tab, size_t ntab,
    void *base, const char *tpfx, const char *dpfx, const struct mnode *n,
    size_t i)
{
	const struct mkey		*k = &n->keys[i];
	const struct manifest_field	*f = NULL;
	char				*tpath, *dpath, *list;
	bool				 dotted = strchr(k->text, '.') != NULL;

	/* A dotted key ("restart.policy: x") is not a nested one. */
	tpath = path_join(tpfx, k->text);
	dpath = path_join(dpfx, tpath);
	if (!dotted && (f = table_exact(tab, ntab, tpath)) != NULL)
		decode_field(dec, f, base, n->items[i], dpath);
	else if (!dotted && has_children(tab, ntab, tpath))
		decode_map(dec, tab, ntab, base, tpath, dpfx, n->items[i]);
	else {
		list = children_list(tab, ntab, tpfx);
		mdec_error(dec, k->line, k->col, dpath, "unknown field "
		    "(expected one of: %s)", list);
		free(list);
	}
	free(tpath);
	free(dpath);
}

/* Reports the required fields of section `tpfx` that `n` lacks, at the
 * mapping's position. */
static void
check_required(struct mdec *dec, const struct manifest_field *tab,
    size_t ntab, const char *tpfx, const char *dpfx, const struct mnode *n)
{
	const struct manifest_field	*f;
	const char			*last;
	char				*dpath, e[160];
	size_t				 i;

	for (i = 0; i < ntab; i++) {
		f = &tab[i];
		if (!(f->flags & MFF_REQUIRED) || !in_section(f, tpfx))
			continue;
		last = strrchr(f->path, '.');
		if (mnode_get(n, last != NULL ? last + 1 : f->path) != NULL)
			continue;
		dpath = path_join(dpfx, f->path);
		mdec_error_at(dec, n, dpath, "missing required field "
		    "(expected %s)", manifest_value_expect(f, e, sizeof(e)));
		free(dpath);
	}
}

/*
 * Decodes mapping `n` as section `tpfx` of table `tab` into `base`.
 * `dpfx` is prefixed to the table paths in messages (a probe's place).
 * A null section is an empty one.
 */
static void
decode_map(struct mdec *dec, const struct manifest_field *tab, size_t ntab,
    void *base, const char *tpfx, const char *dpfx, const struct mnode *n)
{
	char	*dpath;
	bool	*skip;
	size_t	 i;

	if (n->kind == MNODE_BAD)
		return;
	dpath = path_join(dpfx, tpfx);
	if (n->kind != MNODE_MAP && n->kind != MNODE_NULL) {
		manifest_value_wrong_type(dec, n, dpath, "a mapping");
		free(dpath);
		return;
	}
	skip = mnode_dups(dec, n, dpath);
	free(dpath);
	for (i = 0; i < n->n; i++)
		if (!skip[i])
			decode_entry(dec, tab, ntab, base, tpfx, dpfx, n, i);
	free(skip);
	check_required(dec, tab, ntab, tpfx, dpfx, n);
}

static const char *const probe_types[] = { "http", "tcp", "exec" };

/* The probe type (PROBE_HTTP..PROBE_EXEC) a probe table path belongs
 * to, or PROBE_NONE for the timing keys. */
int
probe_section(const char *path)
{
	size_t	i, len;

	for (i = 0; i < nitems(probe_types); i++) {
		len = strlen(probe_types[i]);
		if (strncmp(path, probe_types[i], len) == 0 && path[len] == '.')
			return (int)i + 1;
	}
	return 0;
}

/* Records where a probe came from, for the ${VAR} checks. */
static void
probe_note(struct mdec *dec, const struct probe *p, const struct mnode *n,
    const char *dpath)
{
	static const char *const paths[] = {
		"health.startup", "health.liveness", "health.readiness"
	};
	const struct probe	*slots[3] = { &dec->m->health.startup,
		&dec->m->health.liveness, &dec->m->health.readiness };
	size_t			 i;

	for (i = 0; i < 3; i++) {
		if (slots[i] != p)
			continue;
		dec->probe_node[i] = n;
		dec->probe_path[i] = strcmp(dpath, "health") == 0 ?
		    "health" : paths[i];
	}
}

static void
probe_checks(struct mdec *dec, const struct probe *p, const struct mnode *n,
    const char *dpath)
{
	char		 a[32], b[32], q[160], *path;
	const struct mnode *at;

	if (p->timeout_ms > p->interval_ms) {
		at = mnode_get(n, "timeout");
		path = path_join(dpath, "timeout");
		duration_format(p->timeout_ms, a, sizeof(a));
		duration_format(p->interval_ms, b, sizeof(b));
		mdec_error_at(dec, at ? at : mnode_get(n, "interval"), path,
		    "timeout %s is above interval %s (expected timeout <= "
		    "interval)", a, b);
		free(path);
	}
	if (p->type == PROBE_HTTP && p->path != NULL &&
	    strchr(p->path, '$') == NULL && p->path[0] != '/') {
		path = path_join(dpath, "http.path");
		mdec_error_at(dec, mnode_path(n, "http.path"), path,
		    "invalid path %s (expected a path starting with /)",
		    mquote(p->path, q, sizeof(q)));
		free(path);
	}
}

static void
decode_probe(struct mdec *dec, struct probe *p, const struct mnode *n,
    const char *dpath)
{
	const struct manifest_field	*tab;
	const struct mnode		*k;
	size_t				 ntab, i, ntypes = 0;
	bool				 present[4] = { true };
	int				 s;

	if (n->kind == MNODE_NULL || n->kind == MNODE_BAD)
		return;
	if (n->kind != MNODE_MAP) {
		manifest_value_wrong_type(dec, n, dpath, "a mapping with one "
		    "of http, tcp, exec");
		return;
	}
	probe_note(dec, p, n, dpath);
	tab = manifest_probe_fields(&ntab);
	probe_clear(p);
	for (i = 0; i < nitems(probe_types); i++) {
		if ((k = mnode_get(n, probe_types[i])) == NULL)
			continue;
		present[i + 1] = true;
		if (ntypes++ == 0)
			p->type = (enum probe_type)(PROBE_HTTP + i);
	}
	if (ntypes != 1)
		mdec_error_at(dec, n, dpath, "%s (expected exactly one of: "
		    "http, tcp, exec)", ntypes ? "more than one probe type" :
		    "no probe type");
	for (i = 0; i < ntab; i++) {
		s = probe_section(tab[i].path);
		if (present[s])
			apply_default(&tab[i], p);
	}
	decode_map(dec, tab, ntab, p, "", dpath, n);
	probe_checks(dec, p, n, dpath);
}

static const char *const long_form[] = { "startup", "liveness", "readiness" };

/* 1: a long-form key, 2: a key of a probe (the shorthand), 0: neither. */
static int
health_key_kind(const char *key)
{
	const struct manifest_field	*tab;
	size_t				 i, ntab, len = strlen(key);

	for (i = 0; i < nitems(long_form); i++)
		if (strcmp(key, long_form[i]) == 0)
			return 1;
	tab = manifest_probe_fields(&ntab);
	for (i = 0; i < ntab; i++)
		if (strncmp(tab[i].path, key, len) == 0 &&
		    (tab[i].path[len] == '\0' || tab[i].path[len] == '.'))
			return 2;
	return 0;
}

/*
 * health: a probe directly (the shorthand: liveness and readiness are
 * that probe) or startup/liveness/readiness; mixing both is an error,
 * reported at the first key of the form that came second.
 */
static void
decode_health(struct mdec *dec, const struct mnode *n, const char *path)
{
	const struct manifest_field	*tab;
	struct manifest			*m = dec->m;
	size_t				 i, ntab;
	int				 kind, first = 0;
	char				*p;

	if (n->kind == MNODE_NULL || n->kind == MNODE_BAD)
		return;
	if (n->kind != MNODE_MAP) {
		manifest_value_wrong_type(dec, n, path, "a mapping");
		return;
	}
	for (i = 0; i < n->n; i++) {
		if (n->keys[i].text == NULL ||
		    (kind = health_key_kind(n->keys[i].text)) == 0)
			continue;
		if (first == 0)
			first = kind;
		else if (kind != first) {
			p = path_join(path, n->keys[i].text);
			mdec_error(dec, n->keys[i].line, n->keys[i].col, p,
			    "a probe directly under health cannot be mixed "
			    "with startup, liveness, readiness (expected "
			    "one form)");
			free(p);
			return;
		}
	}
	if (first == 1 || (first == 0 && n->n > 0)) {
		tab = manifest_fields(&ntab);
		decode_map(dec, tab, ntab, m, "health", "", n);
		return;
	}
	if (first == 0)
		return;
	dec->shorthand = true;
	decode_probe(dec, &m->health.liveness, n, path);
	probe_clear(&m->health.readiness);
	probe_copy(&m->health.readiness, &m->health.liveness);
	dec->probe_node[2] = dec->probe_node[1];
	dec->probe_path[2] = dec->probe_path[1];
}

/* A field: a section (health, a probe) or a value. */
static void
decode_field(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	if (f->type == MFT_HEALTH)
		decode_health(dec, n, path);
	else if (f->type == MFT_PROBE)
		decode_probe(dec, FIELD(base, f->offset, struct probe), n,
		    path);
	else
		manifest_value_decode(dec, f, base, n, path);
}

/* Defaults. */

/* Decodes a table default into `base`; defaults are valid by
 * construction, so a diagnostic here is a bug in the table. */
static void
apply_default(const struct manifest_field *f, void *base)
{
	struct diags	 d = { 0 };
	struct mdec	 dec = { .file = "defaults", .d = &d };
	struct mnode	 scalar = { 0 }, *n = &scalar;

	if (f->def == NULL || strcmp(f->def, "null") == 0 ||
	    strcmp(f->def, "[]") == 0 || strcmp(f->def, "{}") == 0)
		return;
	if (f->def[0] == '[' || f->def[0] == '{')
		n = mnode_from_yaml(&dec, f->def, strlen(f->def));
	else {
		scalar.text = (char *)f->def;
		mnode_scalar(&scalar, f->def);
	}
	if (n != NULL)
		decode_field(&dec, f, base, n, f->path);
	if (n != &scalar)
		mnode_free(n);
	if (d.n > 0 || n == NULL)
		abort();
}

void
manifest_defaults(struct manifest *m)
{
	const struct manifest_field	*tab;
	size_t				 i, n;

	tab = manifest_fields(&n);
	for (i = 0; i < n; i++) {
		if (tab[i].type == MFT_PORT)
			*FIELD(m, tab[i].offset, int) = -1;
		if (tab[i].type == MFT_NAMES)
			*FIELD(m, tab[i].offset, char **) =
			    xcalloc(1, sizeof(char *));
		apply_default(&tab[i], m);
	}
}

void
manifest_decode(struct mdec *dec, const struct mnode *root)
{
	const struct manifest_field	*tab;
	size_t				 n;

	tab = manifest_fields(&n);
	decode_map(dec, tab, n, dec->m, "", "", root);
}
