/*
 * spec.c — one parsed revision of a service, shared by reference between
 * the service that wants it and the instances that run it, so that a
 * thousand instances of one service hold one manifest.
 */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "util.h"

struct spec *
spec_new(const char *revision, struct manifest *m)
{
	struct spec	*sp = xcalloc(1, sizeof(*sp));

	sp->refs = 1;
	sp->revision = xstrdup(revision);
	sp->m = m;
	return sp;
}

struct spec *
spec_ref(struct spec *sp)
{
	sp->refs++;
	return sp;
}

static const char *
spec_run_hash(struct spec *sp)
{
	if (sp->run_hash[0] == '\0')	/* computed only when compared */
		manifest_run_hash(sp->m, sp->run_hash);
	return sp->run_hash;
}

bool
spec_same_run(struct spec *a, struct spec *b)
{
	return a == b || strcmp(spec_run_hash(a), spec_run_hash(b)) == 0;
}

void
spec_unref(struct spec *sp)
{
	if (sp == NULL || --sp->refs > 0)
		return;
	manifest_free(sp->m);
	free(sp->revision);
	free(sp);
}
