/*
 * load.c — manifests named on droverctl's command line (files or
 * directories), parsed locally. Every problem of every path is collected
 * before anything is used, so `apply` sends all of them or none, and two
 * paths defining the same service are an error like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

/* Returns 0 with *out set (free with load_free), or -EINVAL and `d`. */
int
load_manifests(char *const *paths, size_t npaths, struct manifest ***out,
    size_t *n, struct diags *d)
{
	struct manifest	**all = NULL, **ms;
	const char	**from = NULL;
	size_t		  nall = 0, nms, i, j, k;

	for (i = 0; i < npaths; i++) {
		if (manifest_load_path(paths[i], &ms, &nms, d) != 0)
			continue;
		all = xreallocarray(all, nall + nms, sizeof(*all));
		from = xreallocarray(from, nall + nms, sizeof(*from));
		for (j = 0; j < nms; j++) {
			for (k = 0; k < nall; k++)
				if (strcmp(all[k]->name, ms[j]->name) == 0)
					diags_add(d, paths[i], 0, 0, "name",
					    "service '%s' is also defined in %s",
					    ms[j]->name, from[k]);
			from[nall] = paths[i];
			all[nall++] = ms[j];
		}
		free(ms);
	}
	free(from);
	if (d->n > 0) {
		load_free(all, nall);
		return -EINVAL;
	}
	*out = all;
	*n = nall;
	return 0;
}

void
load_free(struct manifest **ms, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		manifest_free(ms[i]);
	free(ms);
}

/*
 * The manifests of every -f of the verb's options, all valid: returns
 * CTL_OK with *out set (free with load_free), or the exit code after
 * printing every problem ("nothing VERBED" says what did not happen).
 */
int
load_from_opts(const struct ctl *ctl, const char *nothing,
    struct manifest ***out, size_t *n)
{
	struct diags	  d = { 0 };
	char		**files;
	size_t		  nfiles = 0, i;
	int		  r;

	files = xcalloc(ctl->nopts + 1, sizeof(*files));
	for (i = 0; i < ctl->nopts; i++)
		if (ctl->opts[i].ch == 'f')
			files[nfiles++] = (char *)ctl->opts[i].arg;
	if (nfiles == 0) {
		free(files);
		return ctl_usage_error(ctl, "%s: no -f FILE|DIR given",
		    ctl->verb->name);
	}
	r = load_manifests(files, nfiles, out, n, &d);
	free(files);
	if (r != 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "droverctl: %s: %zu problem%s found\n", nothing,
		    d.n, d.n == 1 ? "" : "s");
		diags_clear(&d);
		return CTL_FAILED;
	}
	if (*n == 0) {
		load_free(*out, 0);
		fprintf(stderr, "droverctl: no manifests found\n");
		return CTL_FAILED;
	}
	return CTL_OK;
}
