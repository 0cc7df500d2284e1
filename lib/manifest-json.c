/*
 * manifest-json.c — the canonical form of a manifest, its revision, and
 * the difference between two manifests, all from the field tables.
 *
 * The canonical form has every field: defaults filled, health in its
 * long form (a missing probe is null), durations and sizes as canonical
 * text, the stop signal by name, unset optional values null. Decoding it
 * with manifest_from_json() gives the same canonical text back, which is
 * what makes a revision (a hash of that text) stable.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "manifest-int.h"
#include "util.h"

#define CFIELD(base, off, T)						\
	((const T *)(const void *)((const char *)(base) + (off)))

/* Stores `v` (a new reference) at dotted `path` of object `root`. */
static void
json_set_path(json_t *root, const char *path, json_t *v)
{
	char	*copy = xstrdup(path), *p = copy, *key;
	json_t	*o = root, *c;

	while ((key = strsep(&p, ".")) != NULL) {
		if (p == NULL) {
			json_object_set_new(o, key, v);
			break;
		}
		if ((c = json_object_get(o, key)) == NULL) {
			c = json_object();
			json_object_set_new(o, key, c);
		}
		o = c;
	}
	free(copy);
}

static json_t *
strings_json(const char *const *v, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t	*probe_json(const struct probe *);

static json_t *
enum_json(const struct manifest_field *f, int v)
{
	int	i;

	for (i = 0; f->names[i] != NULL; i++)
		if (i == v)
			return json_string(f->names[i]);
	return json_null();
}

static json_t *
text_json(const struct manifest_field *f, uint64_t v)
{
	char	buf[64];

	if (v == 0 && (f->flags & MFF_ZERO_NULL))
		return json_null();
	if (f->type == MFT_DURATION)
		duration_format(v, buf, sizeof(buf));
	else
		size_format(v, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *
list_json(const struct manifest_field *f, const void *base, size_t n)
{
	const struct kv			*kv;
	const struct listen_spec	*l;
	const int			*codes;
	json_t				*j;
	size_t				 i;

	switch (f->type) {
	case MFT_ENV:
		j = json_object();
		kv = *CFIELD(base, f->offset, struct kv *);
		for (i = 0; i < n; i++)
			json_object_set_new(j, kv[i].key,
			    json_string(kv[i].value));
		return j;
	case MFT_LISTEN:
		j = json_array();
		l = *CFIELD(base, f->offset, struct listen_spec *);
		for (i = 0; i < n; i++)
			json_array_append_new(j, json_pack("{s:s,s:s}",
			    "name", l[i].name, "address", l[i].address));
		return j;
	case MFT_EXIT_CODES:
		j = json_array();
		codes = *CFIELD(base, f->offset, int *);
		for (i = 0; i < n; i++)
			json_array_append_new(j, json_integer(codes[i]));
		return j;
	default:
		return strings_json(*CFIELD(base, f->offset, char **), n);
	}
}

/* The canonical JSON of one field; NULL for entries without a value. */
static json_t *
field_json(const struct manifest_field *f, const void *base)
{
	const char	*s;
	char		 buf[32];
	uint64_t	 u;
	int		 lo, hi;
	size_t		 n = 0;

	switch (f->type) {
	case MFT_NAME:
	case MFT_STRING:
	case MFT_PROBE_PORT:
		s = *CFIELD(base, f->offset, char *);
		return s != NULL ? json_string(s) : json_null();
	case MFT_ARGV:
	case MFT_NAMES:
	case MFT_ENV:
	case MFT_LISTEN:
	case MFT_EXIT_CODES:
		n = *CFIELD(base, f->offset2, size_t);
		return list_json(f, base, n);
	case MFT_UINT:
		return json_integer(*CFIELD(base, f->offset, unsigned));
	case MFT_COUNT:
		u = *CFIELD(base, f->offset, uint64_t);
		if (u == 0 && (f->flags & MFF_ZERO_NULL))
			return json_null();
		return json_integer((json_int_t)u);
	case MFT_PORT:
		lo = *CFIELD(base, f->offset, int);
		return lo < 0 ? json_null() : json_integer(lo);
	case MFT_ENUM:
		return enum_json(f, *CFIELD(base, f->offset, int));
	case MFT_CHOICE:
		return enum_json(f, *CFIELD(base, f->offset, bool) ? 1 : 0);
	case MFT_DURATION:
	case MFT_SIZE:
		return text_json(f, *CFIELD(base, f->offset, uint64_t));
	case MFT_NUMBER:
		return json_real(*CFIELD(base, f->offset, double));
	case MFT_SIGNAL:
		s = manifest_signal_name(*CFIELD(base, f->offset, int));
		return s != NULL ? json_string(s) : json_null();
	case MFT_BOOL:
		return json_boolean(*CFIELD(base, f->offset, bool));
	case MFT_PROBE:
		return probe_json(CFIELD(base, f->offset, struct probe));
	case MFT_STATUS:
		lo = *CFIELD(base, f->offset, int);
		hi = *CFIELD(base, f->offset2, int);
		if (lo == hi)
			snprintf(buf, sizeof(buf), "%d", lo);
		else
			snprintf(buf, sizeof(buf), "%d-%d", lo, hi);
		return json_string(buf);
	case MFT_HEALTH:
		break;
	}
	return NULL;
}

static void
table_json(json_t *root, const struct manifest_field *tab, size_t n,
    const void *base, int probe_type)
{
	json_t	*v;
	size_t	 i;
	int	 sec;

	for (i = 0; i < n; i++) {
		sec = probe_type >= 0 ? probe_section(tab[i].path) : 0;
		if (sec != PROBE_NONE && sec != probe_type)
			continue;
		if ((v = field_json(&tab[i], base)) != NULL)
			json_set_path(root, tab[i].path, v);
	}
}

/* Only the fields of the probe's own type, and the timing keys. */
static json_t *
probe_json(const struct probe *p)
{
	const struct manifest_field	*tab;
	json_t				*j;
	size_t				 n;

	if (p->type == PROBE_NONE)
		return json_null();
	j = json_object();
	tab = manifest_probe_fields(&n);
	table_json(j, tab, n, p, (int)p->type);
	return j;
}

json_t *
manifest_to_json(const struct manifest *m)
{
	const struct manifest_field	*tab;
	json_t				*j = json_object();
	size_t				 n;

	tab = manifest_fields(&n);
	table_json(j, tab, n, m, -1);
	return j;
}

char *
manifest_canonical(const struct manifest *m)
{
	json_t	*j = manifest_to_json(m);
	char	*s;

	s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	if (s == NULL)
		abort();
	return s;
}

void
manifest_revision(const struct manifest *m, char out[MANIFEST_REVISION_LEN + 1])
{
	char	*s = manifest_canonical(m);

	snprintf(out, MANIFEST_REVISION_LEN + 1, "%016" PRIx64,
	    hash64(s, strlen(s)));
	free(s);
}

/* Diff. */

/* Every leaf of `v` into `out`, keyed by dotted path; objects are
 * walked, lists and scalars (and null) are leaves. */
static void
flatten(const json_t *v, const char *prefix, json_t *out)
{
	const char	*key;
	json_t		*c;
	char		*p;

	if (!json_is_object(v)) {
		json_object_set(out, prefix, (json_t *)v);
		return;
	}
	json_object_foreach((json_t *)v, key, c) {
		p = path_join(prefix, key);
		flatten(c, p, out);
		free(p);
	}
}

static int
cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *
leaves(const struct manifest *m)
{
	json_t	*j, *out = json_object();

	if (m == NULL)
		return out;
	j = manifest_to_json(m);
	flatten(j, "", out);
	json_decref(j);
	return out;
}

json_t *
manifest_diff(const struct manifest *old, const struct manifest *new)
{
	json_t		*a = leaves(old), *b = leaves(new), *out = json_array();
	json_t		*va, *vb, *v;
	const char	**keys, *key;
	size_t		 n = 0, i;

	keys = xcalloc(json_object_size(a) + json_object_size(b) + 1,
	    sizeof(*keys));
	json_object_foreach(a, key, v)
		keys[n++] = key;
	json_object_foreach(b, key, v)
		if (json_object_get(a, key) == NULL)
			keys[n++] = key;
	qsort(keys, n, sizeof(*keys), cstr_cmp);
	for (i = 0; i < n; i++) {
		va = json_object_get(a, keys[i]);
		vb = json_object_get(b, keys[i]);
		if (va == NULL)
			va = json_null();
		if (vb == NULL)
			vb = json_null();
		if (json_equal(va, vb))
			continue;
		json_array_append_new(out, json_pack("{s:s,s:O,s:O,s:s}",
		    "path", keys[i], "old", va, "new", vb, "class",
		    manifest_change_name(manifest_field_change(keys[i]))));
	}
	free(keys);
	json_decref(a);
	json_decref(b);
	return out;
}

void
manifest_run_hash(const struct manifest *m, char out[MANIFEST_REVISION_LEN + 1])
{
	json_t		*all = leaves(m), *run = json_object(), *v;
	const char	*key;
	char		*s;

	json_object_foreach(all, key, v) {
		switch (manifest_field_change(key)) {
		case MANIFEST_CHANGE_LIVE:
		case MANIFEST_CHANGE_SCALE:
			break;
		default:
			json_object_set(run, key, v);
		}
	}
	s = json_dumps(run, JSON_SORT_KEYS | JSON_COMPACT);
	snprintf(out, MANIFEST_REVISION_LEN + 1, "%016" PRIx64,
	    hash64(s, strlen(s)));
	free(s);
	json_decref(run);
	json_decref(all);
}
