/*
 * verb-logs.c — `droverctl logs [-f] [-n N] SERVICE[/INDEX]`: what the
 * instances wrote, through GET /api/v1/services/{name}/logs.
 *
 * The answer is printed as it arrives, flushed after every piece, so that
 * with -f (the answer stays open) each line shows when droverd sends it.
 * Without an index droverd prefixes every line with "SERVICE/INDEX | ".
 * SIGINT, SIGTERM and SIGHUP end a follow cleanly (exit 0); a closed
 * stdout ends it with exit 1.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "droverctl.h"
#include "util.h"

static volatile sig_atomic_t	no_stop;

static int
logs_print(const char *data, size_t len, void *arg)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
		return -1;
	return 0;
}

/* "SERVICE" or "SERVICE/INDEX" into the query path; NULL if malformed. */
static char *
logs_path(const char *arg, unsigned lines, bool follow, char **service)
{
	const char	*slash = strchr(arg, '/');
	char		*base, *path, *end, index[24] = "";
	unsigned long	 i;

	if (slash != NULL) {
		i = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    i > 99999)
			return NULL;
		snprintf(index, sizeof(index), "&index=%lu", i);
		*service = xstrndup(arg, (size_t)(slash - arg));
	} else
		*service = xstrdup(arg);
	base = api_service_path(*service, "logs");
	xasprintf(&path, "%s?n=%u%s%s", base, lines, follow ? "&follow=1" :
	    "", index);
	free(base);
	return path;
}

int
verb_logs(struct ctl *ctl)
{
	unsigned long	 lines = 10;
	size_t		 i;
	char		*path, *service, *end;
	bool		 follow = false;
	int		 e;

	for (i = 0; i < ctl->nopts; i++) {
		if (ctl->opts[i].ch == 'f')
			follow = true;
		else if (ctl->opts[i].ch == 'n') {
			lines = strtoul(ctl->opts[i].arg, &end, 10);
			if (*ctl->opts[i].arg < '0' ||
			    *ctl->opts[i].arg > '9' || *end != '\0' ||
			    lines > 100000)
				return ctl_usage_error(ctl, "-n wants a number "
				    "of lines from 0 to 100000");
		}
	}
	if ((path = logs_path(ctl->args[0], (unsigned)lines, follow,
	    &service)) == NULL)
		return ctl_usage_error(ctl, "expected SERVICE or "
		    "SERVICE/INDEX, not '%s'", ctl->args[0]);
	/* only a follower outlives its backlog and needs ^C to end well */
	e = api_stream(ctl, service, path, logs_print, NULL,
	    follow ? api_stop_on_signals() : &no_stop);
	free(path);
	free(service);
	return e;
}
