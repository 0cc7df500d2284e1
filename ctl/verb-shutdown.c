/*
 * verb-shutdown.c — `droverctl shutdown [--all]`: droverd answers, then
 * exits; with --all it first stops the agent and every service.
 */
#include "droverctl.h"

int
verb_shutdown(struct ctl *ctl)
{
	json_t	*body;
	int	 e;

	body = json_pack("{s:b}", "all", ctl_has_opt(ctl, 'a'));
	e = api_action(ctl, NULL, "POST", "/shutdown", body);
	json_decref(body);
	return e;
}
