/*
 * manifest-node.c — the positioned document tree that manifests are
 * decoded from, built from YAML (libyaml events, with marks) or from a
 * jansson value (no positions).
 *
 * The YAML side refuses what a manifest never needs and what would make
 * positions lie: aliases, tags, several documents, NUL bytes in strings,
 * nesting deeper than MNODE_MAX_DEPTH. A syntax error stops the build and
 * is reported at libyaml's problem mark.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "manifest-int.h"
#include "util.h"

void
mdec_error(struct mdec *dec, int line, int col, const char *path,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (dec->nerr++ == MDEC_MAX_ERRORS) {
		diags_add(dec->d, dec->file, 0, 0, "", "too many errors; "
		    "only the first %d are shown", MDEC_MAX_ERRORS);
		return;
	}
	if (dec->nerr > MDEC_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		abort();
	va_end(ap);
	diags_add(dec->d, dec->file, line, col, path, "%s", msg);
	free(msg);
}

static struct mnode *
node_new(enum mnode_kind kind, int line, int col)
{
	struct mnode	*n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = line;
	n->col = col;
	return n;
}

/* Sets a stack node to the scalar (or null) that YAML plain `text` is. */
void
mnode_scalar(struct mnode *n, const char *text)
{
	n->kind = MNODE_SCALAR;
	n->style = MSTYLE_PLAIN;
	if (*text == '\0' || strcmp(text, "~") == 0 ||
	    strcmp(text, "null") == 0 || strcmp(text, "Null") == 0 ||
	    strcmp(text, "NULL") == 0)
		n->kind = MNODE_NULL;
}

void
mnode_free(struct mnode *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		mnode_free(n->items[i]);
	for (i = 0; i < n->nkeys; i++)
		free(n->keys[i].text);
	free(n->items);
	free(n->keys);
	free(n->text);
	free(n);
}

static void
node_grow(struct mnode *n, size_t need)
{
	if (need <= n->cap)
		return;
	n->cap = n->cap ? n->cap * 2 : 8;
	n->items = xreallocarray(n->items, n->cap, sizeof(*n->items));
	if (n->kind == MNODE_MAP)
		n->keys = xreallocarray(n->keys, n->cap, sizeof(*n->keys));
}

/* Adds `child` to a list, or as the next key or value of a mapping. */
static void
node_add(struct mdec *dec, struct mnode *parent, struct mnode *child)
{
	struct mkey	*k;

	if (parent->kind == MNODE_SEQ) {
		node_grow(parent, parent->n + 1);
		parent->items[parent->n++] = child;
		return;
	}
	if (parent->nkeys > parent->n) {
		parent->items[parent->n++] = child;
		return;
	}
	node_grow(parent, parent->nkeys + 1);
	k = &parent->keys[parent->nkeys++];
	k->line = child->line;
	k->col = child->col;
	k->text = NULL;
	if (child->kind == MNODE_SCALAR || child->kind == MNODE_NULL) {
		k->text = child->text;
		child->text = NULL;
	} else if (child->kind != MNODE_BAD)
		mdec_error_at(dec, child, "", "a %s cannot be a key (expected "
		    "a name)", child->kind == MNODE_MAP ? "mapping" : "list");
	mnode_free(child);
}

/* Quotes user text for a message: escaped, and cut after 60 bytes. */
const char *
mquote(const char *s, char *buf, size_t len)
{
	size_t	o = 0, i;
	int	n;

	if (len < 8)
		return "";
	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 8 < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (i == 60) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\')
			n = snprintf(buf + o, len - o, "\\%c", c);
		else if (c == '\n')
			n = snprintf(buf + o, len - o, "\\n");
		else if (c < 0x20 || c == 0x7f)
			n = snprintf(buf + o, len - o, "\\x%02x", c);
		else
			n = snprintf(buf + o, len - o, "%c", c);
		o += (size_t)n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

void
mnode_what(const struct mnode *n, char *buf, size_t len)
{
	char	q[128];

	switch (n->kind) {
	case MNODE_NULL:
		snprintf(buf, len, "null");
		return;
	case MNODE_MAP:
		snprintf(buf, len, "a mapping");
		return;
	case MNODE_SEQ:
		snprintf(buf, len, "a list");
		return;
	case MNODE_BAD:
		snprintf(buf, len, "an invalid value");
		return;
	case MNODE_SCALAR:
		break;
	}
	switch (n->style) {
	case MSTYLE_PLAIN:
		snprintf(buf, len, "%s", mquote(n->text, q, sizeof(q)));
		break;
	case MSTYLE_STRING:
		snprintf(buf, len, "the string %s",
		    mquote(n->text, q, sizeof(q)));
		break;
	case MSTYLE_INT:
	case MSTYLE_REAL:
		snprintf(buf, len, "the number %s", n->text);
		break;
	case MSTYLE_BOOL:
		snprintf(buf, len, "%s", n->text);
		break;
	}
}

const struct mnode *
mnode_get(const struct mnode *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->kind != MNODE_MAP)
		return NULL;
	for (i = 0; i < map->n; i++)
		if (map->keys[i].text != NULL &&
		    strcmp(map->keys[i].text, key) == 0)
			return map->items[i];
	return NULL;
}

const struct mnode *
mnode_path(const struct mnode *n, const char *dotted)
{
	char	*copy = xstrdup(dotted), *p, *key;

	for (p = copy; n != NULL && (key = strsep(&p, ".")) != NULL;)
		n = mnode_get(n, key);
	free(copy);
	return n;
}

static int
dups_cmp(const void *a, const void *b, void *arg)
{
	const struct mnode	*map = arg;
	size_t			 i = *(const size_t *)a, j = *(const size_t *)b;
	int			 c;

	c = strcmp(map->keys[i].text, map->keys[j].text);
	if (c != 0)
		return c;
	return i < j ? -1 : i > j;
}

/*
 * Reports every key of a mapping that repeats an earlier one. Returns a
 * malloc'd array telling which entries to skip (repeats, and keys that
 * are not names).
 */
bool *
mnode_dups(struct mdec *dec, const struct mnode *map, const char *path)
{
	bool	*skip = xcalloc(map->n ? map->n : 1, sizeof(*skip));
	size_t	*idx = xcalloc(map->n ? map->n : 1, sizeof(*idx));
	size_t	 i, n = 0, first = 0;
	char	*p;

	for (i = 0; i < map->n; i++) {
		if (map->keys[i].text == NULL)
			skip[i] = true;
		else
			idx[n++] = i;
	}
	qsort_r(idx, n, sizeof(*idx), dups_cmp, (void *)map);
	for (i = 0; i < n; i++) {
		const struct mkey	*k = &map->keys[idx[i]];

		if (i == 0 || strcmp(k->text, map->keys[first].text) != 0) {
			first = idx[i];
			continue;
		}
		skip[idx[i]] = true;
		p = path_join(path, k->text);
		if (map->keys[first].line > 0)
			mdec_error(dec, k->line, k->col, p, "duplicate key "
			    "(first at line %d)", map->keys[first].line);
		else
			mdec_error(dec, k->line, k->col, p, "duplicate key");
		free(p);
	}
	free(idx);
	return skip;
}

/* YAML. */

struct ybuild {
	struct mdec	 *dec;
	struct mnode	**stack;
	bool		 *tagged;
	size_t		  depth;
	struct mnode	 *root;
	int		  ndocs;
	bool		  failed;
	bool		  stop;
};

static void
yb_attach(struct ybuild *b, struct mnode *n)
{
	if (b->depth > 0)
		node_add(b->dec, b->stack[b->depth - 1], n);
	else if (b->root == NULL)
		b->root = n;
	else
		mnode_free(n);
}

/* Aliases and tags are refused (anchors alone are harmless). */
static bool
yb_refuse(struct ybuild *b, const yaml_event_t *ev, const yaml_char_t *tag)
{
	int	line = (int)ev->start_mark.line + 1;
	int	col = (int)ev->start_mark.column + 1;

	if (ev->type == YAML_ALIAS_EVENT) {
		mdec_error(b->dec, line, col, "", "YAML aliases are not "
		    "supported (write the value out)");
		return true;
	}
	if (tag != NULL) {
		mdec_error(b->dec, line, col, "", "YAML tags are not "
		    "supported (quote a value to make it a string)");
		return true;
	}
	return false;
}

static void
yb_scalar(struct ybuild *b, const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;
	size_t		 len = ev->data.scalar.length;
	struct mnode	*n;

	n = node_new(MNODE_SCALAR, (int)ev->start_mark.line + 1,
	    (int)ev->start_mark.column + 1);
	if (yb_refuse(b, ev, ev->data.scalar.tag))
		n->kind = MNODE_BAD;
	else if (strlen(v) != len) {
		mdec_error_at(b->dec, n, "", "a NUL byte in a string "
		    "(expected text)");
		n->kind = MNODE_BAD;
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		mnode_scalar(n, v);
	else
		n->style = MSTYLE_STRING;
	n->text = xstrndup(v, len);
	yb_attach(b, n);
}

static void
yb_start(struct ybuild *b, const yaml_event_t *ev, enum mnode_kind kind,
    const yaml_char_t *tag)
{
	struct mnode	*n;

	if (b->depth == MNODE_MAX_DEPTH) {
		mdec_error(b->dec, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1, "", "nesting deeper than "
		    "%d levels", MNODE_MAX_DEPTH);
		b->failed = b->stop = true;
		return;
	}
	n = node_new(kind, (int)ev->start_mark.line + 1,
	    (int)ev->start_mark.column + 1);
	b->tagged[b->depth] = yb_refuse(b, ev, tag);
	b->stack[b->depth++] = n;
}

static void
yb_end(struct ybuild *b)
{
	struct mnode	*n = b->stack[--b->depth];
	size_t		 i;

	if (n->kind == MNODE_MAP && n->nkeys > n->n) {
		/* Cannot happen with libyaml; keep keys and values paired. */
		free(n->keys[--n->nkeys].text);
	}
	if (b->tagged[b->depth]) {
		for (i = 0; i < n->n; i++)
			mnode_free(n->items[i]);
		for (i = 0; i < n->nkeys; i++)
			free(n->keys[i].text);
		n->n = n->nkeys = 0;
		n->kind = MNODE_BAD;
	}
	yb_attach(b, n);
}

static void
yb_event(struct ybuild *b, const yaml_event_t *ev)
{
	struct mnode	*n;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->ndocs++ > 0) {
			mdec_error(b->dec, (int)ev->start_mark.line + 1,
			    (int)ev->start_mark.column + 1, "", "a second YAML "
			    "document (expected one manifest per file)");
			b->stop = true;
		}
		break;
	case YAML_SCALAR_EVENT:
		yb_scalar(b, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		yb_start(b, ev, MNODE_SEQ, ev->data.sequence_start.tag);
		break;
	case YAML_MAPPING_START_EVENT:
		yb_start(b, ev, MNODE_MAP, ev->data.mapping_start.tag);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		yb_end(b);
		break;
	case YAML_ALIAS_EVENT:
		yb_refuse(b, ev, NULL);
		n = node_new(MNODE_BAD, (int)ev->start_mark.line + 1,
		    (int)ev->start_mark.column + 1);
		yb_attach(b, n);
		break;
	case YAML_STREAM_END_EVENT:
		b->stop = true;
		break;
	default:
		break;
	}
}

/* Line and column of a byte offset (libyaml gives only the offset for
 * encoding errors). */
static void
offset_position(const char *buf, size_t len, size_t off, int *line, int *col)
{
	size_t	i;

	*line = *col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

static void
yaml_syntax_error(struct mdec *dec, const yaml_parser_t *p, const char *buf,
    size_t len)
{
	int	line, col;

	if (p->error == YAML_MEMORY_ERROR)
		abort();
	if (p->error == YAML_READER_ERROR)
		offset_position(buf, len, p->problem_offset, &line, &col);
	else {
		line = (int)p->problem_mark.line + 1;
		col = (int)p->problem_mark.column + 1;
	}
	if (p->context != NULL)
		mdec_error(dec, line, col, "", "%s (%s)", p->problem ?
		    p->problem : "syntax error", p->context);
	else
		mdec_error(dec, line, col, "", "%s", p->problem ?
		    p->problem : "syntax error");
}

/*
 * Builds the tree of a YAML document. Returns NULL after a syntax error
 * (reported); an empty document is a null node at 1:1.
 */
struct mnode *
mnode_from_yaml(struct mdec *dec, const char *buf, size_t len)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	struct ybuild	 b = { .dec = dec };
	size_t		 i;

	b.stack = xcalloc(MNODE_MAX_DEPTH, sizeof(*b.stack));
	b.tagged = xcalloc(MNODE_MAX_DEPTH, sizeof(*b.tagged));
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!b.stop) {
		if (!yaml_parser_parse(&p, &ev)) {
			yaml_syntax_error(dec, &p, buf, len);
			b.failed = true;
			break;
		}
		yb_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	for (i = 0; i < b.depth; i++)
		mnode_free(b.stack[i]);
	free(b.stack);
	free(b.tagged);
	if (b.failed) {
		mnode_free(b.root);
		return NULL;
	}
	if (b.root == NULL)
		b.root = node_new(MNODE_NULL, 1, 1);
	return b.root;
}

/* JSON. */

static struct mnode *
from_json(struct mdec *dec, const json_t *j, int depth)
{
	struct mnode	*n = node_new(MNODE_SCALAR, 0, 0);
	const char	*key;
	json_t		*v;
	size_t		 i;

	if (depth > MNODE_MAX_DEPTH) {
		if (depth == MNODE_MAX_DEPTH + 1)
			mdec_error(dec, 0, 0, "", "nesting deeper than %d "
			    "levels", MNODE_MAX_DEPTH);
		n->kind = MNODE_BAD;
		return n;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		n->kind = MNODE_MAP;
		json_object_foreach((json_t *)j, key, v) {
			struct mnode	*k = node_new(MNODE_SCALAR, 0, 0);

			k->text = xstrdup(key);
			node_add(dec, n, k);
			node_add(dec, n, from_json(dec, v, depth + 1));
		}
		break;
	case JSON_ARRAY:
		n->kind = MNODE_SEQ;
		json_array_foreach(j, i, v)
			node_add(dec, n, from_json(dec, v, depth + 1));
		break;
	case JSON_STRING:
		n->style = MSTYLE_STRING;
		n->text = xstrdup(json_string_value(j));
		if (strlen(n->text) != json_string_length(j)) {
			mdec_error(dec, 0, 0, "", "a NUL byte in a string "
			    "(expected text)");
			n->kind = MNODE_BAD;
		}
		break;
	case JSON_INTEGER:
		n->style = MSTYLE_INT;
		xasprintf(&n->text, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(j));
		break;
	case JSON_REAL:
		n->style = MSTYLE_REAL;
		xasprintf(&n->text, "%.17g", json_real_value(j));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		n->style = MSTYLE_BOOL;
		n->text = xstrdup(json_is_true(j) ? "true" : "false");
		break;
	case JSON_NULL:
		n->kind = MNODE_NULL;
		n->text = xstrdup("null");
		break;
	}
	return n;
}

struct mnode *
mnode_from_json(struct mdec *dec, const json_t *j)
{
	if (j == NULL)
		return node_new(MNODE_NULL, 0, 0);
	return from_json(dec, j, 0);
}
