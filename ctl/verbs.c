/*
 * verbs.c — the table of droverctl's verbs: name, argument counts, flags,
 * handler, the verb's own options and its usage line. main.c parses the
 * command line from it; each handler lives in its verb-<name>.c.
 */
#include <string.h>

#include "droverctl.h"

static const struct option apply_longopts[] = {
	{ "filename",	required_argument,	NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

static const struct option logs_longopts[] = {
	{ "follow",	no_argument,		NULL, 'f' },
	{ "lines",	required_argument,	NULL, 'n' },
	{ NULL, 0, NULL, 0 }
};

static const struct option events_longopts[] = {
	{ "follow",	no_argument,		NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

static const struct option rollout_longopts[] = {
	{ "to-revision", required_argument,	NULL, 'r' },
	{ "watch",	no_argument,		NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

static const struct option shutdown_longopts[] = {
	{ "all",	no_argument,		NULL, 'a' },
	{ NULL, 0, NULL, 0 }
};

const struct verb verbs[] = {
	{ "status", 0, 1, VERB_DAEMON, verb_status, NULL, NULL,
	  "status [SERVICE]",
	  "services and their instances" },
	{ "apply", 0, 0, VERB_DAEMON, verb_apply, "f:", apply_longopts,
	  "apply -f FILE|DIR ...",
	  "create or update services from manifests" },
	{ "diff", 0, 0, VERB_DAEMON, verb_diff, "f:", apply_longopts,
	  "diff -f FILE|DIR ...",
	  "what apply would change, and how (live, restart, scale, rollout)" },
	{ "delete", 1, 1, VERB_DAEMON, verb_delete, NULL, NULL,
	  "delete SERVICE",
	  "stop a service and forget it" },
	{ "start", 1, 1, VERB_DAEMON, verb_start, NULL, NULL,
	  "start SERVICE",
	  "start a stopped service's instances" },
	{ "stop", 1, 1, VERB_DAEMON, verb_stop, NULL, NULL,
	  "stop SERVICE",
	  "stop a service's instances, keeping the service" },
	{ "restart", 1, 1, VERB_DAEMON, verb_restart, NULL, NULL,
	  "restart SERVICE",
	  "restart a service's instances without a spec change" },
	{ "logs", 1, 1, VERB_DAEMON, verb_logs, "fn:", logs_longopts,
	  "logs [-f] [-n N] SERVICE[/INDEX]",
	  "print what instances wrote (-f: and follow; -n: last lines, 10)" },
	{ "events", 0, 0, VERB_DAEMON, verb_events, "f", events_longopts,
	  "events [-f]",
	  "print what happened, one event a line (-f: and follow)" },
	{ "rollout", 2, 2, VERB_DAEMON, verb_rollout, "w", rollout_longopts,
	  "rollout history|undo [--to-revision R]|status [--watch]|promote|"
	  "pause|resume SERVICE",
	  "revisions and rollouts; undo: back to the previous revision" },
	{ "validate", 1, -1, 0, verb_validate, NULL, NULL,
	  "validate FILE|DIR ...",
	  "check manifests offline, printing every problem" },
	{ "shutdown", 0, 0, VERB_DAEMON, verb_shutdown, NULL,
	  shutdown_longopts,
	  "shutdown [--all]",
	  "stop droverd (--all: also the agent and every service)" },
	{ "upgrade", 1, 1, VERB_DAEMON, verb_upgrade, NULL, NULL,
	  "upgrade agent|droverd",
	  "exec the agent's or droverd's binary again in place; no "
	  "service restarts" },
	{ "completion", 1, 1, 0, verb_completion, NULL, NULL,
	  "completion bash",
	  "print a shell completion script (verbs, options, services)" },
	{ NULL, 0, 0, 0, NULL, NULL, NULL, NULL, NULL }
};

const struct verb *
verb_find(const char *name)
{
	const struct verb	*v;

	for (v = verbs; v->name != NULL; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}
