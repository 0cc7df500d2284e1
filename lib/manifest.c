/*
 * manifest.c — reading manifests: YAML text, files, directories and JSON
 * values into a complete, valid struct manifest, plus the checks that
 * involve several fields, and the struct's lifetime (dup, free).
 *
 * Invariants: a manifest is returned only when its input produced no
 * diagnostic at all; every problem of the input is added to the caller's
 * diags (up to MDEC_MAX_ERRORS per input). Decoding itself lives in
 * manifest-decode.c, the field table in manifest-fields.c.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "duration.h"
#include "manifest-int.h"
#include "util.h"

bool
manifest_name_valid(const char *s)
{
	size_t	i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > MANIFEST_NAME_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

void
manifest_free(struct manifest *m)
{
	const struct manifest_field	*tab;
	size_t				 i, n;

	if (m == NULL)
		return;
	tab = manifest_fields(&n);
	for (i = 0; i < n; i++)
		field_free(&tab[i], m);
	free(m);
}

struct manifest *
manifest_dup(const struct manifest *m)
{
	const struct manifest_field	*tab;
	struct manifest			*c;
	size_t				 i, n;

	if (m == NULL)
		return NULL;
	c = xmalloc(sizeof(*c));
	*c = *m;
	tab = manifest_fields(&n);
	for (i = 0; i < n; i++)
		field_copy(&tab[i], c, m);
	return c;
}

void
strv_free(char **v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* The node at `dotted` of the document, or the nearest one above it. */
static const struct mnode *
node_near(const struct mdec *dec, const char *dotted)
{
	const struct mnode	*n = dec->root, *c;
	char			*copy = xstrdup(dotted), *p, *key;

	for (p = copy; (key = strsep(&p, ".")) != NULL; n = c)
		if ((c = mnode_get(n, key)) == NULL)
			break;
	free(copy);
	return n;
}

static void
check_name(struct mdec *dec, const char *default_name)
{
	struct manifest	*m = dec->m;
	char		 q[160];

	if (m->name != NULL)
		return;
	if (default_name == NULL)
		mdec_error_at(dec, dec->root, "name", "missing required field "
		    "(expected a name)");
	else if (!manifest_name_valid(default_name))
		mdec_error_at(dec, dec->root, "name", "invalid name %s taken "
		    "from the file name (expected [a-z0-9][a-z0-9-]{0,62}, or "
		    "a name: field)", mquote(default_name, q, sizeof(q)));
	else
		m->name = xstrdup(default_name);
}

static void
check_ports(struct mdec *dec)
{
	struct manifest	*m = dec->m;
	uint64_t	 last;

	if (m->port_base < 0 || m->instances == 0)
		return;
	last = (uint64_t)m->port_base + m->instances - 1;
	if (last <= 65535)
		return;
	mdec_error_at(dec, node_near(dec, "ports.base"), "ports.base",
	    "ports %d..%" PRIu64 " of %u instances go past 65535 (expected "
	    "base + instances - 1 <= 65535)", m->port_base, last, m->instances);
}

static void
check_deploy(struct mdec *dec)
{
	const struct mnode	*n;
	const char		*path = "deploy.max_unavailable";

	if (dec->m->deploy.max_surge != 0 ||
	    dec->m->deploy.max_unavailable != 0)
		return;
	if ((n = mnode_path(dec->root, path)) == NULL) {
		path = "deploy.max_surge";
		n = node_near(dec, path);
	}
	mdec_error_at(dec, n, path, "max_surge and max_unavailable are both 0 "
	    "(expected at least one above 0)");
}

static void
check_backoff(struct mdec *dec)
{
	struct manifest	*m = dec->m;
	const char	*path = "restart.backoff.initial";
	char		 a[32], b[32];

	if (m->restart.backoff.initial_ms <= m->restart.backoff.max_ms)
		return;
	if (mnode_path(dec->root, path) == NULL)
		path = "restart.backoff.max";
	duration_format(m->restart.backoff.initial_ms, a, sizeof(a));
	duration_format(m->restart.backoff.max_ms, b, sizeof(b));
	mdec_error_at(dec, node_near(dec, path), path, "initial %s is above "
	    "max %s (expected initial <= max)", a, b);
}

static void
check_depends_on(struct mdec *dec)
{
	const struct mnode	*n = mnode_get(dec->root, "depends_on");
	char			*path;
	size_t			 i;

	if (n == NULL || n->kind != MNODE_SEQ || dec->m->name == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		if (n->items[i]->kind != MNODE_SCALAR ||
		    strcmp(n->items[i]->text, dec->m->name) != 0)
			continue;
		xasprintf(&path, "depends_on[%zu]", i);
		mdec_error_at(dec, n->items[i], path, "a service cannot depend "
		    "on itself (expected another service's name)");
		free(path);
	}
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Orders this input's diagnostics by position (those without one last),
 * keeping the order of equal positions. */
static void
sort_diags(struct mdec *dec)
{
	struct diags	*d = dec->d;
	struct diag	 t;
	size_t		 i, j;

	for (i = dec->first + 1; i < d->n; i++) {
		t = d->v[i];
		for (j = i; j > dec->first; j--) {
			const struct diag *p = &d->v[j - 1];
			int pl = p->line > 0 ? p->line : INT_MAX;
			int tl = t.line > 0 ? t.line : INT_MAX;

			if (pl < tl || (pl == tl && p->col <= t.col))
				break;
			d->v[j] = d->v[j - 1];
		}
		d->v[j] = t;
	}
}

/* Decodes and checks a document; NULL when anything was reported. */
static struct manifest *
manifest_build(struct mdec *dec, const struct mnode *root,
    const char *default_name)
{
	struct manifest	*m = xcalloc(1, sizeof(*m));
	char		 got[160];

	manifest_defaults(m);
	dec->m = m;
	dec->root = root;
	if (root == NULL || root->kind == MNODE_BAD)
		;
	else if (root->kind == MNODE_NULL)
		mdec_error_at(dec, root, "", "empty manifest (expected a "
		    "mapping with at least command)");
	else if (root->kind != MNODE_MAP) {
		mnode_what(root, got, sizeof(got));
		mdec_error_at(dec, root, "", "wrong type: %s (expected a "
		    "mapping)", got);
	} else {
		manifest_decode(dec, root);
		check_name(dec, default_name);
		check_ports(dec);
		check_deploy(dec);
		check_backoff(dec);
		check_depends_on(dec);
		manifest_check_vars(dec);
	}
	if (dec->nerr > 0 || root == NULL || root->kind == MNODE_BAD) {
		if (dec->nerr == 0)
			mdec_error(dec, 0, 0, "", "not a manifest");
		sort_diags(dec);
		manifest_free(m);
		return NULL;
	}
	qsort(m->depends_on, m->ndepends_on, sizeof(*m->depends_on), str_cmp);
	return m;
}

struct manifest *
manifest_parse_yaml(const char *buf, size_t len, const char *file,
    const char *default_name, struct diags *d)
{
	struct mdec	 dec = { .file = file, .d = d, .first = d->n };
	struct mnode	*root;
	struct manifest	*m;

	root = mnode_from_yaml(&dec, buf, len);
	m = manifest_build(&dec, root, default_name);
	mnode_free(root);
	return m;
}

struct manifest *
manifest_from_json(const json_t *j, const char *source,
    const char *default_name, struct diags *d)
{
	struct mdec	 dec = { .file = source, .d = d, .first = d->n };
	struct mnode	*root;
	struct manifest	*m;

	root = mnode_from_json(&dec, j);
	m = manifest_build(&dec, root, default_name);
	mnode_free(root);
	return m;
}

/* "dir/api.yaml" -> "api"; NULL when the name has another suffix. */
char *
manifest_default_name(const char *path)
{
	const char	*base = strrchr(path, '/');
	size_t		 len;

	base = base != NULL ? base + 1 : path;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		return xstrndup(base, len - 5);
	if (len > 4 && strcmp(base + len - 4, ".yml") == 0)
		return xstrndup(base, len - 4);
	return xstrdup(base);
}

struct manifest *
manifest_parse_file(const char *path, struct diags *d)
{
	struct manifest	*m;
	char		*buf, *name;
	size_t		 len;
	int		 r;

	if ((r = read_file(path, &buf, &len)) != 0) {
		diags_add(d, path, 0, 0, "", "cannot read: %s", strerror(-r));
		return NULL;
	}
	name = manifest_default_name(path);
	m = manifest_parse_yaml(buf, len, path, name, d);
	free(name);
	free(buf);
	return m;
}

bool
manifest_is_file_name(const char *name)
{
	size_t	len = strlen(name);

	if (name[0] == '.')
		return false;
	return (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
	    (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

static void
manifests_free(struct manifest **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		manifest_free(v[i]);
	free(v);
}

/* The sorted manifest file names of a directory; 0 or -errno. */
static int
list_dir(const char *dir, char ***names, size_t *n)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		**v = NULL, *path;
	size_t		  k = 0, cap = 0;
	int		  r = 0;

	if ((d = opendir(dir)) == NULL)
		return -errno;
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (!manifest_is_file_name(e->d_name))
			continue;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (k + 1 >= cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[k++] = path;
	}
	if (errno != 0)
		r = -errno;
	closedir(d);
	if (v != NULL)
		qsort(v, k, sizeof(*v), str_cmp);
	*names = v;
	*n = k;
	return r;
}

int
manifest_load_path(const char *path, struct manifest ***out, size_t *n,
    struct diags *d)
{
	struct manifest	**v;
	struct stat	  st;
	char		**files = NULL, q[160];
	size_t		  nfiles = 0, k = 0, i, j, before = d->n;
	int		  r;

	if (stat(path, &st) == -1) {
		r = -errno;
		diags_add(d, path, 0, 0, "", "cannot read: %s", strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode)) {
		files = xcalloc(1, sizeof(*files));
		files[nfiles++] = xstrdup(path);
	} else if ((r = list_dir(path, &files, &nfiles)) != 0) {
		diags_add(d, path, 0, 0, "", "cannot read directory: %s",
		    strerror(-r));
		for (i = 0; i < nfiles; i++)
			free(files[i]);
		free(files);
		return r;
	}
	v = xcalloc(nfiles + 1, sizeof(*v));
	for (i = 0; i < nfiles; i++) {
		if ((v[k] = manifest_parse_file(files[i], d)) == NULL)
			continue;
		for (j = 0; j < k && strcmp(v[j]->name, v[k]->name) != 0; j++)
			;
		if (j < k) {
			diags_add(d, files[i], 0, 0, "name", "service %s is "
			    "also defined in %s",
			    mquote(v[k]->name, q, sizeof(q)), files[j]);
			manifest_free(v[k]);
			continue;
		}
		if (k != i) {
			free(files[k]);
			files[k] = files[i];
			files[i] = NULL;
		}
		k++;
	}
	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	if (d->n > before) {
		manifests_free(v, k);
		return -EINVAL;
	}
	*out = v;
	*n = k;
	return 0;
}
