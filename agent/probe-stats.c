/*
 * probe-stats.c — how long health checks take, for droverd's histogram
 * drover_health_check_duration_seconds.
 *
 * Instance reports go out on transitions only, so the duration of every
 * check is collected here per service and sent to droverd in one
 * "probe_durations" message at most every PROBE_STATS_MS:
 * {"services": {"api": [12, 15, 3], ...}} (milliseconds). The timer is
 * armed by the first duration after a send: an agent whose services have
 * no probe never wakes up for this. Without a droverd connected the
 * durations are dropped; past PROBE_STATS_MAX per service and period
 * they are counted as dropped.
 */
#include <stdlib.h>

#include "agent.h"
#include "link.h"
#include "log.h"

#define PROBE_STATS_MS	5000
#define PROBE_STATS_MAX	20000

static json_t		*pending;	/* service -> [ms...] */
static struct event	*flush_ev;
static uint64_t		 dropped;

static void
probe_stats_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	json_t	*msg;

	if (pending == NULL)
		return;
	if (server_has_peers()) {
		msg = link_msg_new("probe_durations");
		json_object_set_new(msg, "services", pending);
		server_broadcast(msg);
	} else
		json_decref(pending);
	pending = NULL;
}

void
probe_stats_add(const char *svc, uint32_t ms)
{
	struct timeval	 tv = { PROBE_STATS_MS / 1000,
	    (PROBE_STATS_MS % 1000) * 1000 };
	json_t		*list;

	if (pending == NULL) {
		pending = json_object();
		if (flush_ev == NULL)
			flush_ev = evtimer_new(agent.base,
			    probe_stats_flush_cb, NULL);
		evtimer_add(flush_ev, &tv);
	}
	if ((list = json_object_get(pending, svc)) == NULL) {
		list = json_array();
		json_object_set_new(pending, svc, list);
	}
	if (json_array_size(list) >= PROBE_STATS_MAX) {
		if (dropped++ == 0)
			log_warn("health check durations: more than %d per "
			    "service in %d ms, dropping the rest",
			    PROBE_STATS_MAX, PROBE_STATS_MS);
		return;
	}
	json_array_append_new(list, json_integer(ms));
}

void
probe_stats_cleanup(void)
{
	if (flush_ev != NULL)
		event_free(flush_ev);
	flush_ev = NULL;
	json_decref(pending);
	pending = NULL;
}
