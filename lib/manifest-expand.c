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

/* What a value may reference: env keys as written in the document (so
 * that a broken env does not make every reference look unknown), and
 * PORT when ports.base is given at all. */
struct known {
	const struct mnode	*env;
	bool			 port;
};

static bool
known_env(const struct known *k, const char *name, size_t len)
{
	size_t	i;

	if (k->env == NULL || k->env->kind != MNODE_MAP)
		return false;
	for (i = 0; i < k->env->n; i++)
		if (k->env->keys[i].text != NULL &&
		    strlen(k->env->keys[i].text) == len &&
		    strncmp(k->env->keys[i].text, name, len) == 0)
			return true;
	return false;
}

static void
check_string(struct mdec *dec, const struct known *known, const char *s,
    const struct mnode *n, const char *path)
{
	const char	*start;
	size_t		 len;
	enum piece	 k;
	char		 q[160], *t;

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
			    known_env(known, start, len) ||
			    (is_var(start, len, "PORT") && known->port))
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

static void
check_scalar(struct mdec *dec, const struct known *known,
    const struct mnode *n, const char *path)
{
	if (n != NULL && n->kind == MNODE_SCALAR)
		check_string(dec, known, n->text, n, path);
}

/* Checks the references in the document node of one field that may
 * hold them (whether or not the field decoded). */
static void
check_field(struct mdec *dec, const struct known *known,
    const struct manifest_field *f, const struct mnode *n, const char *path)
{
	char	*p;
	size_t	 i;

	if (n == NULL)
		return;
	switch (f->type) {
	case MFT_ARGV:
		for (i = 0; n->kind == MNODE_SEQ && i < n->n; i++) {
			xasprintf(&p, "%s[%zu]", path, i);
			check_scalar(dec, known, n->items[i], p);
			free(p);
		}
		break;
	case MFT_ENV:
		for (i = 0; n->kind == MNODE_MAP && i < n->n; i++) {
			if (n->keys[i].text == NULL)
				continue;
			p = path_join(path, n->keys[i].text);
			check_scalar(dec, known, n->items[i], p);
			free(p);
		}
		break;
	default:
		check_scalar(dec, known, n, path);
		break;
	}
}

void
manifest_check_vars(struct mdec *dec)
{
	const struct manifest_field	*tab;
	const struct mnode		*base;
	struct known			 known;
	size_t				 i, j, n;
	char				*path;

	known.env = mnode_get(dec->root, "env");
	base = mnode_path(dec->root, "ports.base");
	known.port = base != NULL && base->kind != MNODE_NULL;
	tab = manifest_fields(&n);
	for (i = 0; i < n; i++)
		if (tab[i].flags & MFF_VARS)
			check_field(dec, &known, &tab[i],
			    mnode_path(dec->root, tab[i].path), tab[i].path);
	tab = manifest_probe_fields(&n);
	for (j = 0; j < 3; j++) {
		if (dec->probe_node[j] == NULL || (j == 2 && dec->shorthand))
			continue;
		for (i = 0; i < n; i++) {
			if (!(tab[i].flags & MFF_VARS))
				continue;
			path = path_join(dec->probe_path[j], tab[i].path);
			check_field(dec, &known, &tab[i],
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
