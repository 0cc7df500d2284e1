/*
 * verb-delete.c — `droverctl delete SERVICE`: droverd stops the service's
 * instances and forgets it (DELETE /api/v1/services/{name}).
 */
#include <stdlib.h>

#include "droverctl.h"

int
verb_delete(struct ctl *ctl)
{
	char	*path = api_service_path(ctl->args[0], NULL);
	int	 e;

	e = api_action(ctl, ctl->args[0], "DELETE", path, NULL);
	free(path);
	return e;
}
