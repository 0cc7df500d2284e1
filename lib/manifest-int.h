/*
 * manifest-int.h — internals shared by the manifest-*.c files, not for
 * the programs: the positioned document tree both YAML and JSON are read
 * into, and the decoder state that collects diagnostics.
 *
 * A YAML plain scalar keeps MSTYLE_PLAIN (its type is decided by the field
 * that reads it); quoted YAML scalars and JSON strings are MSTYLE_STRING;
 * JSON numbers and booleans keep their type. A node that already caused a
 * diagnostic (an alias, a bad key) is MNODE_BAD and is skipped silently.
 */
#ifndef DROVER_MANIFEST_INT_H
#define DROVER_MANIFEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "diag.h"
#include "manifest.h"

#define MNODE_MAX_DEPTH		64
#define MDEC_MAX_ERRORS		100

enum mnode_kind { MNODE_NULL, MNODE_SCALAR, MNODE_MAP, MNODE_SEQ, MNODE_BAD };
enum mnode_style {
	MSTYLE_PLAIN, MSTYLE_STRING, MSTYLE_INT, MSTYLE_REAL, MSTYLE_BOOL
};

struct mkey {
	char	*text;		/* NULL: not a scalar (already reported) */
	int	 line, col;
};

struct mnode {
	enum mnode_kind	  kind;
	enum mnode_style  style;	/* MNODE_SCALAR */
	char		 *text;		/* MNODE_SCALAR, MNODE_NULL */
	int		  line, col;	/* 1-based; 0: unknown (JSON) */
	struct mnode	**items;	/* list items, or mapping values */
	struct mkey	 *keys;		/* keys[i] names items[i] */
	size_t		  n, cap, nkeys;
};

/* Decoder state: where diagnostics go, and the nodes that later checks
 * need positions from. */
struct mdec {
	const char		*file;
	struct diags		*d;
	size_t			 first;		/* d->n when this input began */
	unsigned		 nerr;
	struct manifest		*m;
	const struct mnode	*root;
	const struct mnode	*probe_node[3];	/* where each probe was */
	const char		*probe_path[3];
	bool			 shorthand;	/* readiness copies liveness */
};

void	 mdec_error(struct mdec *, int line, int col, const char *path,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define mdec_error_at(dec, node, path, ...)				\
	mdec_error((dec), (node) ? (node)->line : 0, (node) ? (node)->col : 0, \
	    (path), __VA_ARGS__)

/* manifest-node.c */
struct mnode	*mnode_from_yaml(struct mdec *, const char *buf, size_t len);
struct mnode	*mnode_from_json(struct mdec *, const json_t *);
void		 mnode_scalar(struct mnode *, const char *text);
void		 mnode_free(struct mnode *);
const struct mnode *mnode_get(const struct mnode *, const char *key);
const struct mnode *mnode_path(const struct mnode *, const char *dotted);
const char	*mquote(const char *, char *buf, size_t len);
void		 mnode_what(const struct mnode *, char *buf, size_t len);
bool		*mnode_dups(struct mdec *, const struct mnode *,
		    const char *path);

/* manifest-decode.c */
void		 manifest_defaults(struct manifest *);
void		 manifest_decode(struct mdec *, const struct mnode *root);
int		 probe_section(const char *path);

/* manifest-value.c */
void		 manifest_value_decode(struct mdec *,
		    const struct manifest_field *, void *, const struct mnode *,
		    const char *path);
const char	*manifest_value_expect(const struct manifest_field *,
		    char *buf, size_t len);
void		 manifest_value_wrong_type(struct mdec *, const struct mnode *,
		    const char *path, const char *what);
void		 probe_clear(struct probe *);
void		 probe_copy(struct probe *, const struct probe *);
void		 field_free(const struct manifest_field *, void *);
void		 field_copy(const struct manifest_field *, void *dst,
		    const void *src);
int		 manifest_signal_number(const char *);
const char	*manifest_signal_list(void);
bool		 manifest_env_key_valid(const char *);
char		*path_join(const char *prefix, const char *key);

/* manifest-expand.c */
void		 manifest_check_vars(struct mdec *);

#endif
