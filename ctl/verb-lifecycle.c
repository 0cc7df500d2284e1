/*
 * verb-lifecycle.c — `droverctl start|stop|restart SERVICE`: one POST to
 * /api/v1/services/{name}/{verb}. stop keeps the service (start brings it
 * back); restart replaces the instances one by one without a spec change.
 */
#include <stdlib.h>

#include "droverctl.h"

static int
lifecycle(struct ctl *ctl, const char *action)
{
	char	*path = api_service_path(ctl->args[0], action);
	int	 e;

	e = api_action(ctl, ctl->args[0], "POST", path, NULL);
	free(path);
	return e;
}

int
verb_start(struct ctl *ctl)
{
	return lifecycle(ctl, "start");
}

int
verb_stop(struct ctl *ctl)
{
	return lifecycle(ctl, "stop");
}

int
verb_restart(struct ctl *ctl)
{
	return lifecycle(ctl, "restart");
}
