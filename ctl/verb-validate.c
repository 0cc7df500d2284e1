/*
 * verb-validate.c — `droverctl validate FILE|DIR ...`: the manifests
 * checked offline by the same parser droverd uses; every problem is
 * printed as FILE:LINE:COLUMN: field.path: message. No daemon is needed.
 */
#include "droverctl.h"

int
verb_validate(struct ctl *ctl)
{
	struct diags	  d = { 0 };
	struct manifest	**ms;
	size_t		  n;

	if (load_manifests(ctl->args, (size_t)ctl->nargs, &ms, &n, &d) != 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "droverctl: %zu problem%s found\n", d.n,
		    d.n == 1 ? "" : "s");
		diags_clear(&d);
		return CTL_FAILED;
	}
	load_free(ms, n);
	if (n == 0) {
		fprintf(stderr, "droverctl: no manifests found\n");
		return CTL_FAILED;
	}
	printf("%zu manifest%s valid\n", n, n == 1 ? "" : "s");
	return CTL_OK;
}
