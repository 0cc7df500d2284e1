/*
 * manifest-value.c — one decoder per field type (integers, durations,
 * sizes, enums, strings, lists, env, listen, probe ports and statuses),
 * chosen through a table indexed by type, and what each type owns (free,
 * copy).
 *
 * Invariants: a decoder either stores a fully valid value (freeing the
 * one it replaces) or reports a diagnostic and leaves the field as it
 * was, so the struct can always be freed. A node that already caused a
 * diagnostic (MNODE_BAD) is never reported again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "manifest-int.h"
#include "util.h"

#define FIELD(base, off, T)	((T *)(void *)((char *)(base) + (off)))


static const struct {
	const char	*name;
	int		 number;
} signals[] = {
	{ "SIGHUP", SIGHUP },
	{ "SIGINT", SIGINT },
	{ "SIGQUIT", SIGQUIT },
	{ "SIGKILL", SIGKILL },
	{ "SIGUSR1", SIGUSR1 },
	{ "SIGUSR2", SIGUSR2 },
	{ "SIGTERM", SIGTERM },
	{ "SIGWINCH", SIGWINCH },
};

const char *
manifest_signal_list(void)
{
	return "SIGHUP, SIGINT, SIGQUIT, SIGKILL, SIGUSR1, SIGUSR2, SIGTERM, "
	    "SIGWINCH";
}

/* "SIGTERM" or "TERM" to its number; -1 when not a stop signal. */
int
manifest_signal_number(const char *s)
{
	size_t	i;

	for (i = 0; i < nitems(signals); i++)
		if (strcmp(s, signals[i].name) == 0 ||
		    strcmp(s, signals[i].name + 3) == 0)
			return signals[i].number;
	return -1;
}

const char *
manifest_signal_name(int number)
{
	size_t	i;

	for (i = 0; i < nitems(signals); i++)
		if (signals[i].number == number)
			return signals[i].name;
	return NULL;
}

char *
path_join(const char *prefix, const char *key)
{
	char	*s;

	if (prefix == NULL || *prefix == '\0')
		return xstrdup(key);
	xasprintf(&s, "%s.%s", prefix, key);
	return s;
}

static char *
path_index(const char *prefix, size_t i)
{
	char	*s;

	xasprintf(&s, "%s[%zu]", prefix, i);
	return s;
}

bool
manifest_env_key_valid(const char *s)
{
	size_t	i;

	if (!(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') ||
	    (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (i = 1; s[i] != '\0'; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* Strict decimal integer: "0" or [1-9][0-9]*, optionally after '-'.
 * Returns 0, -EINVAL (not an integer) or -ERANGE (too large). */
static int
parse_int(const char *s, bool *neg, uint64_t *v)
{
	uint64_t	n = 0;

	*neg = (*s == '-');
	if (*neg)
		s++;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0')
		return -EINVAL;
	*v = n;
	return 0;
}

/* What a field's value must be, in words, for messages. */
const char *
manifest_value_expect(const struct manifest_field *f, char *buf, size_t len)
{
	size_t	i, o = 0;

	switch (f->type) {
	case MFT_NAME:
	case MFT_NAMES:
		return f->type == MFT_NAME ? "a name" : "a list of names";
	case MFT_ARGV:
		return "a non-empty list of strings";
	case MFT_STRING:
		return "a string";
	case MFT_ENV:
		return "a mapping of NAME: value";
	case MFT_UINT:
	case MFT_COUNT:
	case MFT_PORT:
		return "an integer";
	case MFT_LISTEN:
		return "a list of {name, address}";
	case MFT_EXIT_CODES:
		return "a list of integers";
	case MFT_DURATION:
		return "a duration like 5s";
	case MFT_NUMBER:
		return "a number";
	case MFT_SIGNAL:
		return "a signal name like SIGTERM";
	case MFT_BOOL:
		return "true or false";
	case MFT_SIZE:
		return "a size like 10M";
	case MFT_HEALTH:
	case MFT_PROBE:
		return "a mapping";
	case MFT_PROBE_PORT:
		return "a port number or ${VAR}";
	case MFT_STATUS:
		return "a status range like 200-399";
	case MFT_ENUM:
	case MFT_CHOICE:
		break;
	}
	o = (size_t)snprintf(buf, len, "one of: ");
	for (i = 0; f->names[i] != NULL && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		    f->names[i]);
	return buf;
}

void
manifest_value_wrong_type(struct mdec *dec, const struct mnode *n,
    const char *path, const char *what)
{
	char	got[160];

	if (n->kind == MNODE_BAD)	/* already reported */
		return;
	mnode_what(n, got, sizeof(got));
	mdec_error_at(dec, n, path, "wrong type: %s (expected %s)", got, what);
}

/* The text of a string scalar (or of a number, with `numbers`). */
static const char *
scalar_text(struct mdec *dec, const struct mnode *n, const char *path,
    const char *what, bool numbers)
{
	if (n->kind == MNODE_SCALAR && (n->style == MSTYLE_PLAIN ||
	    n->style == MSTYLE_STRING || (numbers && n->style == MSTYLE_INT)))
		return n->text;
	manifest_value_wrong_type(dec, n, path, what);
	return NULL;
}

static bool
decode_uint(struct mdec *dec, const struct mnode *n, const char *path,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char		q[160];
	bool		neg;
	uint64_t	v = 0;
	int		r;

	if (n->kind != MNODE_SCALAR || (n->style != MSTYLE_PLAIN &&
	    n->style != MSTYLE_INT)) {
		manifest_value_wrong_type(dec, n, path, "an integer");
		return false;
	}
	r = parse_int(n->text, &neg, &v);
	if (r == -EINVAL) {
		mdec_error_at(dec, n, path, "invalid integer %s (expected an "
		    "integer %" PRIu64 "..%" PRIu64 ")",
		    mquote(n->text, q, sizeof(q)), min, max);
		return false;
	}
	if (r != 0 || neg || v < min || v > max) {
		mdec_error_at(dec, n, path, "out of range: %s (expected %"
		    PRIu64 "..%" PRIu64 ")", n->text, min, max);
		return false;
	}
	*out = v;
	return true;
}

static void
decode_integer(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	uint64_t	v;

	if (!decode_uint(dec, n, path, f->min, f->max, &v))
		return;
	if (f->type == MFT_UINT)
		*FIELD(base, f->offset, unsigned) = (unsigned)v;
	else if (f->type == MFT_PORT)
		*FIELD(base, f->offset, int) = (int)v;
	else
		*FIELD(base, f->offset, uint64_t) = v;
}

static void
out_of_range(struct mdec *dec, const struct manifest_field *f,
    const struct mnode *n, const char *path, const char *value)
{
	char	b[256];

	manifest_field_bounds(f, b, sizeof(b));
	mdec_error_at(dec, n, path, "out of range: %s (expected %s)", value, b);
}

static void
decode_duration(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const char	*s;
	char		 q[160];
	uint64_t	 v;

	s = scalar_text(dec, n, path, "a duration like 5s", false);
	if (s == NULL)
		return;
	if (duration_parse(s, &v) != 0) {
		mdec_error_at(dec, n, path, "invalid duration %s (expected a "
		    "number with a unit: ms, s, m, h)",
		    mquote(s, q, sizeof(q)));
		return;
	}
	if (v < f->min || v > f->max) {
		out_of_range(dec, f, n, path, s);
		return;
	}
	*FIELD(base, f->offset, uint64_t) = v;
}

static void
decode_size(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const char	*s;
	char		 q[160];
	uint64_t	 v;

	if ((s = scalar_text(dec, n, path, "a size like 10M", false)) == NULL)
		return;
	if (size_parse(s, &v) != 0) {
		mdec_error_at(dec, n, path, "invalid size %s (expected a "
		    "number with an optional unit: K, M, G, T)",
		    mquote(s, q, sizeof(q)));
		return;
	}
	if ((v < f->min || v > f->max) &&
	    !(v == 0 && (f->flags & MFF_ZERO_NULL))) {
		out_of_range(dec, f, n, path, s);
		return;
	}
	*FIELD(base, f->offset, uint64_t) = v;
}

static void
decode_number(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	char	 q[160], *end;
	double	 v;

	if (n->kind != MNODE_SCALAR || (n->style != MSTYLE_PLAIN &&
	    n->style != MSTYLE_INT && n->style != MSTYLE_REAL)) {
		manifest_value_wrong_type(dec, n, path, "a number");
		return;
	}
	errno = 0;
	v = strtod(n->text, &end);
	if (n->text[strspn(n->text, "0123456789+-.eE")] != '\0' ||
	    *n->text == '\0' || *end != '\0' || errno != 0 || !isfinite(v)) {
		mdec_error_at(dec, n, path, "invalid number %s (expected a "
		    "number %g..%g)", mquote(n->text, q, sizeof(q)), f->dmin,
		    f->dmax);
		return;
	}
	if (v == 0)
		v = 0;		/* -0 is 0 */
	if (v < f->dmin || v > f->dmax) {
		mdec_error_at(dec, n, path, "out of range: %s (expected "
		    "%g..%g)", n->text, f->dmin, f->dmax);
		return;
	}
	*FIELD(base, f->offset, double) = v;
}

static void
decode_bool(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	char	q[160];

	if (n->kind != MNODE_SCALAR || (n->style != MSTYLE_PLAIN &&
	    n->style != MSTYLE_BOOL)) {
		manifest_value_wrong_type(dec, n, path, "true or false");
		return;
	}
	if (strcmp(n->text, "true") == 0)
		*FIELD(base, f->offset, bool) = true;
	else if (strcmp(n->text, "false") == 0)
		*FIELD(base, f->offset, bool) = false;
	else
		mdec_error_at(dec, n, path, "invalid boolean %s (expected true "
		    "or false)", mquote(n->text, q, sizeof(q)));
}

static void
decode_enum(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const char	*s;
	char		 q[160], e[160];
	int		 i;

	s = scalar_text(dec, n, path, manifest_value_expect(f, e, sizeof(e)),
	    false);
	if (s == NULL)
		return;
	for (i = 0; f->names[i] != NULL; i++) {
		if (strcmp(s, f->names[i]) != 0)
			continue;
		if (f->type == MFT_CHOICE)
			*FIELD(base, f->offset, bool) = (i == 1);
		else
			*FIELD(base, f->offset, int) = i;
		return;
	}
	mdec_error_at(dec, n, path, "invalid value %s (expected %s)",
	    mquote(s, q, sizeof(q)), manifest_value_expect(f, e, sizeof(e)));
}

static void
decode_signal(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const char	*s;
	char		 q[160];
	int		 sig;

	if ((s = scalar_text(dec, n, path, "a signal name like SIGTERM",
	    false)) == NULL)
		return;
	if ((sig = manifest_signal_number(s)) == -1) {
		mdec_error_at(dec, n, path, "invalid signal %s (expected one "
		    "of: %s)", mquote(s, q, sizeof(q)), manifest_signal_list());
		return;
	}
	*FIELD(base, f->offset, int) = sig;
}

static void
store_string(char **dst, const char *s)
{
	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

static const char *
name_text(struct mdec *dec, const struct mnode *n, const char *path)
{
	const char	*s;
	char		 q[160];

	if ((s = scalar_text(dec, n, path, "a name", false)) == NULL)
		return NULL;
	if (!manifest_name_valid(s)) {
		mdec_error_at(dec, n, path, "invalid name %s (expected "
		    "[a-z0-9][a-z0-9-]{0,62})", mquote(s, q, sizeof(q)));
		return NULL;
	}
	return s;
}

static void
decode_string(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const char	*s;

	if (f->type == MFT_NAME) {
		if ((s = name_text(dec, n, path)) != NULL)
			store_string(FIELD(base, f->offset, char *), s);
		return;
	}
	if ((s = scalar_text(dec, n, path, "a string", false)) == NULL)
		return;
	if (*s == '\0') {
		mdec_error_at(dec, n, path, "empty string (expected a "
		    "non-empty string)");
		return;
	}
	store_string(FIELD(base, f->offset, char *), s);
}

static void
argv_free(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A list of strings (MFT_ARGV) or of service names (MFT_NAMES). */
static void
decode_list(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	char		**v, *p, q[160];
	const char	 *s;
	size_t		  i, j;
	bool		  ok = true;

	if (n->kind != MNODE_SEQ) {
		manifest_value_wrong_type(dec, n, path, f->type == MFT_ARGV ?
		    "a non-empty list of strings" : "a list of names");
		return;
	}
	if (n->n == 0 && f->type == MFT_ARGV) {
		mdec_error_at(dec, n, path, "empty list (expected a non-empty "
		    "list of strings)");
		return;
	}
	v = xcalloc(n->n + 1, sizeof(*v));
	for (i = 0; i < n->n; i++) {
		p = path_index(path, i);
		if (f->type == MFT_ARGV)
			s = scalar_text(dec, n->items[i], p, "a string", false);
		else
			s = name_text(dec, n->items[i], p);
		for (j = 0; s != NULL && f->type == MFT_NAMES && j < i; j++) {
			if (v[j] != NULL && strcmp(v[j], s) == 0) {
				mdec_error_at(dec, n->items[i], p, "duplicate "
				    "name %s", mquote(s, q, sizeof(q)));
				s = NULL;
			}
		}
		if (s != NULL && i == 0 && *s == '\0') {
			mdec_error_at(dec, n->items[i], p, "empty string "
			    "(expected a program name or path)");
			s = NULL;
		}
		v[i] = xstrdup(s != NULL ? s : "");
		ok = ok && s != NULL;
		free(p);
	}
	if (!ok) {
		argv_free(v);
		return;
	}
	argv_free(*FIELD(base, f->offset, char **));
	*FIELD(base, f->offset, char **) = v;
	*FIELD(base, f->offset2, size_t) = n->n;
}

static int
int_cmp(const void *a, const void *b)
{
	int	x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* Exit codes are a set: kept sorted, without repeats. */
static void
decode_exit_codes(struct mdec *dec, const struct manifest_field *f,
    void *base, const struct mnode *n, const char *path)
{
	int		*v;
	uint64_t	 x;
	size_t		 i, k = 0;
	char		*p;
	bool		 ok = true;

	if (n->kind != MNODE_SEQ) {
		manifest_value_wrong_type(dec, n, path, "a list of integers");
		return;
	}
	v = xcalloc(n->n + 1, sizeof(*v));
	for (i = 0; i < n->n; i++) {
		p = path_index(path, i);
		if (decode_uint(dec, n->items[i], p, f->min, f->max, &x))
			v[i] = (int)x;
		else
			ok = false;
		free(p);
	}
	if (!ok) {
		free(v);
		return;
	}
	qsort(v, n->n, sizeof(*v), int_cmp);
	for (i = 0; i < n->n; i++)
		if (k == 0 || v[k - 1] != v[i])
			v[k++] = v[i];
	free(*FIELD(base, f->offset, int *));
	*FIELD(base, f->offset, int *) = v;
	*FIELD(base, f->offset2, size_t) = k;
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

static void
kv_free(struct kv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* env: kept sorted by key. */
static void
decode_env(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	struct kv	*v;
	const char	*key, *s;
	size_t		 i, k = 0;
	bool		*skip, ok = true;
	char		*p;

	if (n->kind != MNODE_MAP) {
		manifest_value_wrong_type(dec, n, path,
		    "a mapping of NAME: value");
		return;
	}
	skip = mnode_dups(dec, n, path);
	v = xcalloc(n->n + 1, sizeof(*v));
	for (i = 0; i < n->n; i++) {
		if (skip[i]) {
			ok = false;
			continue;
		}
		key = n->keys[i].text;
		p = path_join(path, key);
		if (!manifest_env_key_valid(key)) {
			mdec_error(dec, n->keys[i].line, n->keys[i].col, p,
			    "invalid name (expected [A-Za-z_][A-Za-z0-9_]*)");
			ok = false;
		} else if (strcmp(key, "SERVICE") == 0 ||
		    strcmp(key, "INSTANCE") == 0 || strcmp(key, "PORT") == 0) {
			mdec_error(dec, n->keys[i].line, n->keys[i].col, p,
			    "reserved: set by drover");
			ok = false;
		} else if ((s = scalar_text(dec, n->items[i], p, "a string",
		    false)) == NULL)
			ok = false;
		else {
			v[k].key = xstrdup(key);
			v[k++].value = xstrdup(s);
		}
		free(p);
	}
	free(skip);
	if (!ok) {
		kv_free(v, k);
		return;
	}
	qsort(v, k, sizeof(*v), kv_cmp);
	kv_free(*FIELD(base, f->offset, struct kv *),
	    *FIELD(base, f->offset2, size_t));
	*FIELD(base, f->offset, struct kv *) = v;
	*FIELD(base, f->offset2, size_t) = k;
}

static bool
port_valid(const char *s)
{
	uint64_t	v;
	bool		neg;

	return parse_int(s, &neg, &v) == 0 && !neg && v >= 1 && v <= 65535;
}

/* "HOST:PORT", "[V6]:PORT" or "unix:/ABSOLUTE/PATH". */
static bool
listen_address_valid(const char *a)
{
	const char	*end;
	char		*host, v6[16];
	bool		 ok;

	if (strncmp(a, "unix:", 5) == 0)
		return a[5] == '/' && strlen(a + 5) < 108;
	if (a[0] == '[') {
		if ((end = strchr(a, ']')) == NULL || end[1] != ':')
			return false;
		host = xstrndup(a + 1, (size_t)(end - a - 1));
		ok = inet_pton(AF_INET6, host, v6) == 1;
		free(host);
		return ok && port_valid(end + 2);
	}
	if ((end = strrchr(a, ':')) == NULL || end == a || *a == '-' ||
	    strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-") != (size_t)(end - a))
		return false;
	return port_valid(end + 1);
}

static bool
listen_name_valid(const char *s)
{
	size_t	len = strlen(s);

	return len > 0 && len <= 255 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

static void
listen_free(struct listen_spec *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].address);
	}
	free(v);
}

/* One listen item into *out, which gets each part that is valid by
 * itself; false (reported) when the item is not valid as a whole. */
static bool
decode_listen_item(struct mdec *dec, const struct mnode *n, const char *path,
    struct listen_spec *out)
{
	const char	*s;
	static const char *const keys[2] = { "name", "address" };
	char		*p, q[160], **dst;
	bool		*skip, ok = true;
	size_t		 i, k;

	if (n->kind != MNODE_MAP) {
		manifest_value_wrong_type(dec, n, path,
		    "a mapping {name, address}");
		return false;
	}
	skip = mnode_dups(dec, n, path);
	for (i = 0; i < n->n; i++) {
		if (skip[i]) {
			ok = false;
			continue;
		}
		p = path_join(path, n->keys[i].text);
		for (k = 0; k < 2 && strcmp(n->keys[i].text, keys[k]) != 0; k++)
			;
		dst = k == 0 ? &out->name : &out->address;
		if (k == 2) {
			mdec_error(dec, n->keys[i].line, n->keys[i].col, p,
			    "unknown field (expected one of: name, address)");
			ok = false;
		} else if ((s = scalar_text(dec, n->items[i], p, "a string",
		    false)) == NULL)
			ok = false;
		else if (k == 0 && !listen_name_valid(s)) {
			mdec_error_at(dec, n->items[i], p, "invalid name %s "
			    "(expected [A-Za-z0-9_.-]+)",
			    mquote(s, q, sizeof(q)));
			ok = false;
		} else if (k == 1 && !listen_address_valid(s)) {
			mdec_error_at(dec, n->items[i], p, "invalid address %s "
			    "(expected HOST:PORT, [V6]:PORT or unix:/PATH)",
			    mquote(s, q, sizeof(q)));
			ok = false;
		} else
			store_string(dst, s);
		free(p);
	}
	free(skip);
	for (k = 0; k < 2; k++) {
		if (mnode_get(n, keys[k]) != NULL)
			continue;
		p = path_join(path, keys[k]);
		mdec_error_at(dec, n, p, "missing required field (expected a "
		    "string)");
		free(p);
		ok = false;
	}
	return ok;
}

/* listen: names unique, order kept (it is the order of LISTEN_FDS). */
static void
decode_listen(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	struct listen_spec	*v;
	size_t			 i, j;
	char			*p, q[160];
	bool			 ok = true;

	if (n->kind != MNODE_SEQ) {
		manifest_value_wrong_type(dec, n, path,
		    "a list of {name, address}");
		return;
	}
	if (n->n > f->max) {
		mdec_error_at(dec, n, path, "%zu sockets (expected at most "
		    "%" PRIu64 ")", n->n, f->max);
		return;
	}
	v = xcalloc(n->n + 1, sizeof(*v));
	for (i = 0; i < n->n; i++) {
		p = path_index(path, i);
		if (!decode_listen_item(dec, n->items[i], p, &v[i]))
			ok = false;
		free(p);
		for (j = 0; v[i].name != NULL && j < i; j++) {
			if (v[j].name == NULL ||
			    strcmp(v[j].name, v[i].name) != 0)
				continue;
			xasprintf(&p, "%s[%zu].name", path, i);
			mdec_error_at(dec, mnode_get(n->items[i], "name"), p,
			    "duplicate name %s (first in %s[%zu])",
			    mquote(v[i].name, q, sizeof(q)), path, j);
			free(p);
			ok = false;
			break;
		}
	}
	if (!ok) {
		listen_free(v, n->n);
		return;
	}
	listen_free(*FIELD(base, f->offset, struct listen_spec *),
	    *FIELD(base, f->offset2, size_t));
	*FIELD(base, f->offset, struct listen_spec *) = v;
	*FIELD(base, f->offset2, size_t) = n->n;
}

/* A probe's port: a number, or text with ${VAR} checked later. */
static void
decode_probe_port(struct mdec *dec, const struct manifest_field *f,
    void *base, const struct mnode *n, const char *path)
{
	const char	*s;
	char		*norm, q[160];
	uint64_t	 v;
	bool		 neg;

	if ((s = scalar_text(dec, n, path, "a port number or ${VAR}",
	    true)) == NULL)
		return;
	if (strchr(s, '$') != NULL) {
		store_string(FIELD(base, f->offset, char *), s);
		return;
	}
	if (parse_int(s, &neg, &v) != 0 || neg || v < f->min || v > f->max) {
		mdec_error_at(dec, n, path, "invalid port %s (expected "
		    "%" PRIu64 "..%" PRIu64 " or a ${VAR})",
		    mquote(s, q, sizeof(q)), f->min, f->max);
		return;
	}
	xasprintf(&norm, "%" PRIu64, v);
	free(*FIELD(base, f->offset, char *));
	*FIELD(base, f->offset, char *) = norm;
}

static void
decode_status(struct mdec *dec, const struct manifest_field *f, void *base,
    const struct mnode *n, const char *path)
{
	const char	*s, *dash;
	char		*a, q[160];
	uint64_t	 lo, hi;
	bool		 neg, ok;

	if ((s = scalar_text(dec, n, path, "a status range like 200-399",
	    true)) == NULL)
		return;
	dash = strchr(s, '-');
	a = xstrndup(s, dash != NULL ? (size_t)(dash - s) : strlen(s));
	ok = parse_int(a, &neg, &lo) == 0 && !neg;
	hi = lo;
	if (ok && dash != NULL)
		ok = parse_int(dash + 1, &neg, &hi) == 0 && !neg;
	free(a);
	if (!ok || lo < f->min || hi > f->max || lo > hi) {
		mdec_error_at(dec, n, path, "invalid status range %s (expected "
		    "MIN-MAX or one status, %" PRIu64 "..%" PRIu64 ")",
		    mquote(s, q, sizeof(q)), f->min, f->max);
		return;
	}
	*FIELD(base, f->offset, int) = (int)lo;
	*FIELD(base, f->offset2, int) = (int)hi;
}

typedef void value_fn(struct mdec *, const struct manifest_field *, void *,
    const struct mnode *, const char *);

static value_fn *const decoders[] = {
	[MFT_NAME] = decode_string,
	[MFT_ARGV] = decode_list,
	[MFT_STRING] = decode_string,
	[MFT_ENV] = decode_env,
	[MFT_UINT] = decode_integer,
	[MFT_COUNT] = decode_integer,
	[MFT_PORT] = decode_integer,
	[MFT_LISTEN] = decode_listen,
	[MFT_ENUM] = decode_enum,
	[MFT_CHOICE] = decode_enum,
	[MFT_EXIT_CODES] = decode_exit_codes,
	[MFT_DURATION] = decode_duration,
	[MFT_NUMBER] = decode_number,
	[MFT_SIGNAL] = decode_signal,
	[MFT_BOOL] = decode_bool,
	[MFT_SIZE] = decode_size,
	[MFT_NAMES] = decode_list,
	[MFT_PROBE_PORT] = decode_probe_port,
	[MFT_STATUS] = decode_status,
};

/*
 * Decodes node `n` as the value of field `f` of `base`. Null keeps the
 * default the field holds (and is an error for a required field).
 * MFT_HEALTH and MFT_PROBE are sections, decoded in manifest-decode.c.
 */
void
manifest_value_decode(struct mdec *dec, const struct manifest_field *f,
    void *base, const struct mnode *n, const char *path)
{
	char	e[160];

	if (n->kind == MNODE_BAD)
		return;
	if (n->kind == MNODE_NULL) {
		if (f->flags & MFF_REQUIRED)
			manifest_value_wrong_type(dec, n, path,
			    manifest_value_expect(f, e, sizeof(e)));
		return;
	}
	if ((size_t)f->type < nitems(decoders) && decoders[f->type] != NULL)
		decoders[f->type](dec, f, base, n, path);
}

/* Storage: what each type owns. */

void
probe_clear(struct probe *p)
{
	free(p->port);
	free(p->host);
	free(p->path);
	free(p->body);
	argv_free(p->command);
	memset(p, 0, sizeof(*p));
}

static char **
argv_dup(char **v, size_t n)
{
	char	**c;
	size_t	  i;

	if (v == NULL)
		return NULL;
	c = xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

static char *
str_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* Deep copy into `dst`, whose old contents are not freed. */
void
probe_copy(struct probe *dst, const struct probe *src)
{
	*dst = *src;
	dst->port = str_dup(src->port);
	dst->host = str_dup(src->host);
	dst->path = str_dup(src->path);
	dst->body = str_dup(src->body);
	dst->command = argv_dup(src->command, src->ncommand);
}

/* Frees what field `f` of `base` owns. */
void
field_free(const struct manifest_field *f, void *base)
{
	switch (f->type) {
	case MFT_NAME:
	case MFT_STRING:
	case MFT_PROBE_PORT:
		free(*FIELD(base, f->offset, char *));
		break;
	case MFT_ARGV:
	case MFT_NAMES:
		argv_free(*FIELD(base, f->offset, char **));
		break;
	case MFT_ENV:
		kv_free(*FIELD(base, f->offset, struct kv *),
		    *FIELD(base, f->offset2, size_t));
		break;
	case MFT_LISTEN:
		listen_free(*FIELD(base, f->offset, struct listen_spec *),
		    *FIELD(base, f->offset2, size_t));
		break;
	case MFT_EXIT_CODES:
		free(*FIELD(base, f->offset, int *));
		break;
	case MFT_PROBE:
		probe_clear(FIELD(base, f->offset, struct probe));
		break;
	default:
		break;
	}
}

/* Replaces the pointers that field `f` of `dst` (a shallow copy of
 * `src`) shares with `src` by copies. */
void
field_copy(const struct manifest_field *f, void *dst, const void *src)
{
	size_t			 n = 0, i;
	struct kv		*kv, *skv;
	struct listen_spec	*l, *sl;
	int			*codes;

	if (f->type == MFT_ARGV || f->type == MFT_NAMES || f->type == MFT_ENV ||
	    f->type == MFT_LISTEN || f->type == MFT_EXIT_CODES)
		n = *FIELD((void *)src, f->offset2, size_t);
	switch (f->type) {
	case MFT_NAME:
	case MFT_STRING:
	case MFT_PROBE_PORT:
		*FIELD(dst, f->offset, char *) =
		    str_dup(*FIELD((void *)src, f->offset, char *));
		break;
	case MFT_ARGV:
	case MFT_NAMES:
		*FIELD(dst, f->offset, char **) =
		    argv_dup(*FIELD((void *)src, f->offset, char **), n);
		break;
	case MFT_ENV:
		skv = *FIELD((void *)src, f->offset, struct kv *);
		kv = skv != NULL ? xcalloc(n + 1, sizeof(*kv)) : NULL;
		for (i = 0; i < n; i++) {
			kv[i].key = xstrdup(skv[i].key);
			kv[i].value = xstrdup(skv[i].value);
		}
		*FIELD(dst, f->offset, struct kv *) = kv;
		break;
	case MFT_LISTEN:
		sl = *FIELD((void *)src, f->offset, struct listen_spec *);
		l = sl != NULL ? xcalloc(n + 1, sizeof(*l)) : NULL;
		for (i = 0; i < n; i++) {
			l[i].name = xstrdup(sl[i].name);
			l[i].address = xstrdup(sl[i].address);
		}
		*FIELD(dst, f->offset, struct listen_spec *) = l;
		break;
	case MFT_EXIT_CODES:
		codes = *FIELD((void *)src, f->offset, int *);
		if (codes != NULL) {
			codes = xcalloc(n + 1, sizeof(*codes));
			memcpy(codes, *FIELD((void *)src, f->offset, int *),
			    n * sizeof(*codes));
		}
		*FIELD(dst, f->offset, int *) = codes;
		break;
	case MFT_PROBE:
		probe_copy(FIELD(dst, f->offset, struct probe),
		    FIELD((void *)src, f->offset, struct probe));
		break;
	default:
		break;
	}
}
