/*
 * manifest-expand.c — ${VAR} references: checking them when a manifest is
 * read, and expanding them for one instance.
 *
 * Syntax: ${NAME} with NAME a key of env, SERVICE, INSTANCE, or PORT (only
 * with ports.base); "$$" is a literal '$'; a '$' before anything else is
 * kept as it is. An env value may reference SERVICE, INSTANCE, PORT and
 * other env keys; a referenced env value is inserted as written, never
 * expanded again (so references cannot loop). Elsewhere (command, workdir,
 * probes) ${KEY} of env gives the value the instance sees in its
 * environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest-int.h"
#include "util.h"

#define FIELD(base, off, T)	((T *)(void *)((char *)(base) + (off)))

enum piece { PIECE_END, PIECE_TEXT, PIECE_VAR, PIECE_OPEN, PIECE_BADNAME };

/* The next piece of `*pp`: literal text, a variable name, or a broken
 * reference; `*start`, `*len` delimit it (the name, for PIECE_VAR). */
static enum piece
next_piece(const char **pp, const char **start, size_t *len)
{
	const char	*p = *pp, *close;
	char		*name;
	bool		 ok;

	if (*p == '\0')
		return PIECE_END;
	if (p[0] == '$' && p[1] == '$') {
		*start = p;
		*len = 1;
		*pp = p + 2;
		return PIECE_TEXT;
	}
	if (p[0] == '$' && p[1] == '{') {
		if ((close = strchr(p + 2, '}')) == NULL) {
			*start = p;
			*len = strlen(p);
			*pp = p + *len;
			return PIECE_OPEN;
		}
		*pp = close + 1;
		name = xstrndup(p + 2, (size_t)(close - p - 2));
		ok = manifest_env_key_valid(name);
		free(name);
		if (!ok) {
			*start = p;
			*len = (size_t)(close + 1 - p);
			return PIECE_BADNAME;
		}
		*start = p + 2;
		*len = (size_t)(close - p - 2);
		return PIECE_VAR;
	}
	*start = p;
	for (p++; *p != '\0' && *p != '$'; p++)
		;
	*len = (size_t)(p - *start);
	*pp = p;
	return PIECE_TEXT;
}

static const struct kv *
env_find(const struct manifest *m, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < m->nenv; i++)
		if (strlen(m->env[i].key) == len &&
		    strncmp(m->env[i].key, name, len) == 0)
			return &m->env[i];
	return NULL;
}

static bool
is_var(const char *name, size_t len, const char *var)
{
	return strlen(var) == len && strncmp(name, var, len) == 0;
}

static void
check_string(struct mdec *dec, const char *s, const struct mnode *n,
    const char *path)
{
	const struct manifest	*m = dec->m;
	const char		*start;
	size_t			 len;
	enum piece		 k;
	char			 q[160], *t;

	while ((k = next_piece(&s, &start, &len)) != PIECE_END) {
		switch (k) {
		case PIECE_OPEN:
			mdec_error_at(dec, n, path, "unterminated ${ (expected "
			    "${NAME}, or $$ for a literal $)");
			break;
		case PIECE_BADNAME:
			t = xstrndup(start, len);
			mdec_error_at(dec, n, path, "invalid reference %s "
			    "(expected ${NAME}, NAME of letters, digits and _)",
			    mquote(t, q, sizeof(q)));
			free(t);
			break;
		case PIECE_VAR:
			if (is_var(start, len, "SERVICE") ||
			    is_var(start, len, "INSTANCE") ||
			    env_find(m, start, len) != NULL ||
			    (is_var(start, len, "PORT") && m->port_base >= 0))
				break;
			if (is_var(start, len, "PORT"))
				mdec_error_at(dec, n, path, "unknown variable "
				    "${PORT} (ports.base is not set; expected "
				    "a key of env, SERVICE or INSTANCE)");
			else
				mdec_error_at(dec, n, path, "unknown variable "
				    "${%.*s} (expected a key of env, SERVICE, "
				    "INSTANCE or PORT)", (int)len, start);
			break;
		default:
			break;
		}
	}
}

/* Checks the references of one field that may hold them; `n` is the
 * field's node (NULL when it came from a default). */
static void
check_field(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const struct mnode	*item;
	char			*p, **v;
	struct kv		*kv;
	size_t			 i, cnt;

	switch (f->type) {
	case MFT_STRING:
	case MFT_PROBE_PORT:
		if (*FIELD(base, f->offset, char *) != NULL)
			check_string(dec, *FIELD(base, f->offset, char *), n,
			    path);
		break;
	case MFT_ARGV:
		v = *FIELD(base, f->offset, char **);
		cnt = *FIELD(base, f->offset2, size_t);
		for (i = 0; i < cnt; i++) {
			item = n != NULL && n->kind == MNODE_SEQ && i < n->n ?
			    n->items[i] : n;
			xasprintf(&p, "%s[%zu]", path, i);
			check_string(dec, v[i], item, p);
			free(p);
		}
		break;
	case MFT_ENV:
		kv = *FIELD(base, f->offset, struct kv *);
		cnt = *FIELD(base, f->offset2, size_t);
		for (i = 0; i < cnt; i++) {
			item = mnode_get(n, kv[i].key);
			p = path_join(path, kv[i].key);
			check_string(dec, kv[i].value, item ? item : n, p);
			free(p);
		}
		break;
	default:
		break;
	}
}

void
manifest_check_vars(struct mdec *dec)
{
	const struct manifest_field	*tab;
	struct probe			*probes[3] = { &dec->m->health.startup,
		&dec->m->health.liveness, &dec->m->health.readiness };
	size_t				 i, j, n;
	char				*path;

	tab = manifest_fields(&n);
	for (i = 0; i < n; i++)
		if (tab[i].flags & MFF_VARS)
			check_field(dec, &tab[i], dec->m,
			    mnode_path(dec->root, tab[i].path), tab[i].path);
	tab = manifest_probe_fields(&n);
	for (j = 0; j < 3; j++) {
		if (probes[j]->type == PROBE_NONE ||
		    dec->probe_node[j] == NULL || (j == 2 && dec->shorthand))
			continue;
		for (i = 0; i < n; i++) {
			if (!(tab[i].flags & MFF_VARS) ||
			    probe_section(tab[i].path) != (int)probes[j]->type)
				continue;
			path = path_join(dec->probe_path[j], tab[i].path);
			check_field(dec, &tab[i], probes[j],
			    mnode_path(dec->probe_node[j], tab[i].path), path);
			free(path);
		}
	}
}

/* Expansion. */

static void
expand_to(FILE *out, const struct manifest *m, const char *s, unsigned index,
    bool env_as_written)
{
	const struct kv	*kv;
	const char	*start;
	size_t		 len;
	enum piece	 k;

	while ((k = next_piece(&s, &start, &len)) != PIECE_END) {
		if (k != PIECE_VAR) {
			fwrite(start, 1, len, out);
			continue;
		}
		if (is_var(start, len, "SERVICE"))
			fputs(m->name, out);
		else if (is_var(start, len, "INSTANCE"))
			fprintf(out, "%u", index);
		else if (is_var(start, len, "PORT") && m->port_base >= 0)
			fprintf(out, "%ld", (long)m->port_base + index);
		else if ((kv = env_find(m, start, len)) != NULL) {
			if (env_as_written)
				fputs(kv->value, out);
			else
				expand_to(out, m, kv->value, index, true);
		} else
			fprintf(out, "${%.*s}", (int)len, start);
	}
}

static char *
expand(const struct manifest *m, const char *s, unsigned index,
    bool env_as_written)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	expand_to(f, m, s, index, env_as_written);
	if (fclose(f) != 0)
		abort();
	return buf;
}

char *
manifest_expand(const struct manifest *m, const char *s, unsigned index)
{
	return expand(m, s, index, false);
}

char **
manifest_instance_env(const struct manifest *m, unsigned index)
{
	char	**v = xcalloc(m->nenv + 4, sizeof(*v)), *val;
	size_t	  i, k = 0;

	for (i = 0; i < m->nenv; i++) {
		val = expand(m, m->env[i].value, index, true);
		xasprintf(&v[k++], "%s=%s", m->env[i].key, val);
		free(val);
	}
	xasprintf(&v[k++], "SERVICE=%s", m->name);
	xasprintf(&v[k++], "INSTANCE=%u", index);
	if (m->port_base >= 0)
		xasprintf(&v[k++], "PORT=%ld", (long)m->port_base + index);
	return v;
}
