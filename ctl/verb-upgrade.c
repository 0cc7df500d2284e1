/*
 * verb-upgrade.c — `droverctl upgrade agent|droverd`: the program execs
 * its binary again in place (after the package manager replaced it); no
 * service is restarted.
 */
#include <string.h>

#include "droverctl.h"

int
verb_upgrade(struct ctl *ctl)
{
	const char	*what = ctl->args[0];
	json_t		*body;
	int		 e;

	if (strcmp(what, "agent") != 0 && strcmp(what, "droverd") != 0)
		return ctl_usage_error(ctl, "upgrade: expected agent or "
		    "droverd, not '%s'", what);
	body = json_pack("{s:s}", "what", what);
	e = api_action(ctl, NULL, "POST", "/upgrade", body);
	json_decref(body);
	return e;
}
