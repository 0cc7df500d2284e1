/*
 * verb-events.c — `droverctl events [-f]`: what happened, one event a
 * line, through GET /api/v1/events.
 *
 * Without -f: the events droverd still holds (?follow=0, one JSON list).
 * With -f: the same, then each new one as it happens, read from the
 * Server-Sent Events stream (?since=0 replays everything held first).
 * A line reads
 *   2026-11-25T10:00:00.123Z  api/0  state  ready -> backoff  next start in 200ms
 * and with -o json it is the event's own JSON object, one per line, in
 * both modes. SIGINT, SIGTERM and SIGHUP end a follow cleanly (exit 0);
 * a closed stdout ends it with exit 1.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "droverctl.h"
#include "util.h"

#define EVENTS_LINE_MAX	(1024 * 1024)	/* one SSE line, bytes */

static const char *
str(const json_t *obj, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(obj, key));

	return s != NULL && *s != '\0' ? s : dflt;
}

/* Unix ms as 2026-11-25T10:00:00.123Z, the time format of drover's logs. */
static void
format_time(json_int_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	char		sec[32];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", sec, (int)(ms % 1000));
}

/* One event, as a line for people or as its JSON. */
static int
events_print(const json_t *e, enum ctl_output output)
{
	const json_t	*inst = json_object_get(e, "instance");
	char		 when[48], who[96], change[160], *text;

	if (output == OUTPUT_JSON) {
		if ((text = json_dumps(e, JSON_COMPACT)) == NULL)
			return -1;
		printf("%s\n", text);
		free(text);
	} else {
		format_time(json_integer_value(json_object_get(e, "time")),
		    when, sizeof(when));
		if (json_is_integer(inst))
			snprintf(who, sizeof(who), "%s/%" JSON_INTEGER_FORMAT,
			    str(e, "service", "?"), json_integer_value(inst));
		else
			snprintf(who, sizeof(who), "%s",
			    str(e, "service", "?"));
		snprintf(change, sizeof(change), "%s -> %s",
		    str(e, "from", "-"), str(e, "to", "-"));
		printf("%-24s  %-20s  %-6s  %-22s  %s\n", when, who,
		    str(e, "kind", "?"), change, str(e, "message", ""));
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

static int
events_list(struct ctl *ctl)
{
	struct client_reply	 r;
	json_t			*answer, *e;
	size_t			 i;
	int			 rc;

	if ((rc = api_call(ctl, NULL, "GET", "/events?follow=0", NULL,
	    &r)) != CTL_OK)
		return rc;
	answer = api_parse(&r);
	client_reply_free(&r);
	if (answer == NULL)
		return CTL_FAILED;
	rc = CTL_OK;
	json_array_foreach(json_object_get(answer, "events"), i, e) {
		if (events_print(e, ctl->output) != 0) {
			rc = CTL_FAILED;
			break;
		}
	}
	json_decref(answer);
	return rc;
}

/* The stream as it arrives: lines, and "data:" lines joined into events
 * that a blank line ends. Comments and the other fields are skipped. */
struct events_parser {
	enum ctl_output	 output;
	char		*line;		/* an unfinished line */
	size_t		 nline;
	char		*data;		/* the event's data so far */
	size_t		 ndata;
};

static int
events_dispatch(struct events_parser *p)
{
	json_t	*e;
	int	 rc = 0;

	if (p->ndata == 0)
		return 0;
	if ((e = json_loadb(p->data, p->ndata, 0, NULL)) != NULL) {
		rc = events_print(e, p->output);
		json_decref(e);
	}
	p->ndata = 0;
	return rc;
}

static int
events_line(struct events_parser *p, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return events_dispatch(p);
	if (len < 5 || strncmp(line, "data:", 5) != 0)
		return 0;
	line += 5;
	len -= 5;
	if (len > 0 && *line == ' ') {
		line++;
		len--;
	}
	p->data = xrealloc(p->data, p->ndata + len + 1);
	if (p->ndata > 0)
		p->data[p->ndata++] = '\n';
	memcpy(p->data + p->ndata, line, len);
	p->ndata += len;
	return 0;
}

static int
events_feed(const char *data, size_t len, void *arg)
{
	struct events_parser	*p = arg;
	const char		*nl;
	size_t			 n;

	while (len > 0) {
		if ((nl = memchr(data, '\n', len)) == NULL) {
			if (p->nline + len > EVENTS_LINE_MAX)
				return -1;
			p->line = xrealloc(p->line, p->nline + len);
			memcpy(p->line + p->nline, data, len);
			p->nline += len;
			return 0;
		}
		n = (size_t)(nl - data);
		if (p->nline > 0) {
			p->line = xrealloc(p->line, p->nline + n);
			memcpy(p->line + p->nline, data, n);
			if (events_line(p, p->line, p->nline + n) != 0)
				return -1;
			p->nline = 0;
		} else if (events_line(p, data, n) != 0)
			return -1;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

int
verb_events(struct ctl *ctl)
{
	struct events_parser	 p = { .output = ctl->output };
	int			 rc;

	if (!ctl_has_opt(ctl, 'f'))
		return events_list(ctl);
	rc = api_stream(ctl, NULL, "/events?since=0", events_feed, &p,
	    api_stop_on_signals());
	free(p.line);
	free(p.data);
	return rc;
}
