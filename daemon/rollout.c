/*
 * rollout.c — which instances of a service run which revision, and the
 * rolling replacement of one revision by another.
 *
 * A service's slots say what the agent runs: one per instance, each an
 * index, a revision and a restart generation. Outside a rollout they are
 * `instances` slots of the current revision. An apply that changes only
 * live settings relabels the slots (the agent applies it without a
 * restart); a change of `instances` alone adds slots at the lowest free
 * indexes or removes the highest; anything else, and `restart`, starts a
 * rollout towards (revision, generation): the target.
 *
 * A rollout step looks at the slots and at the instances the agent
 * reports, and does what the deploy settings allow, in one pass:
 *   - a target instance is healthy once it has been ready for
 *     min_healthy_time; one that fails (state failed, crashloop or
 *     exited) or is not healthy within healthy_deadline of its slot's
 *     creation fails the rollout, and so does the rollout itself not
 *     being complete within progress_deadline (paused time not counted);
 *   - old slots whose instance is not ready are removed: they serve no
 *     one; ready ones are removed while the ready old ones plus the
 *     healthy new ones stay at least instances - max_unavailable;
 *   - new slots are added while the processes (slots, and instances of
 *     removed slots still stopping) stay at most instances + max_surge,
 *     at the lowest free index: an index whose old instance is still
 *     stopping is reused at no cost (the agent starts the new process
 *     once the old one is gone, so a port per index never clashes);
 *     with every index below `instances` taken, the surge goes above
 *     as a spare, removed (as availability allows) once the indexes
 *     below run healthy new instances: after a rollout, indexes are
 *     0..instances-1 again, so INSTANCE, PORT and `logs svc/0` keep
 *     their meaning;
 *   - no new slot while a service of depends_on is not ready;
 *   - with canary N, no more than N new slots until promoted.
 * Steps run when the agent reports an instance of the service (or of any
 * service while some rollout waits for a dependency) and when a timer
 * fires for the next deadline; nothing runs while no rollout does.
 *
 * A failed rollout with auto_rollback makes the revision it replaced
 * current again (a new history entry) and rolls towards it the same way:
 * the old instances still running count as healthy new ones, so they are
 * kept until enough of the restored revision are healthy. With bake, a
 * complete rollout is watched that long: a restart (liveness failing, a
 * crash) or a failed instance of the new revision rolls it back.
 *
 * Slots and rollout are part of the service's state file, written before
 * the agent hears of a change: a droverd killed at any point resumes the
 * same rollout from the same slots, and the agent, told the same
 * assignment, starts and stops nothing twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "droverd.h"
#include "duration.h"
#include "log.h"
#include "util.h"

enum rollout_state {
	RO_RUNNING,
	RO_WAITING,	/* a service of depends_on is not ready */
	RO_PAUSED,	/* `rollout pause` */
	RO_CANARY,	/* the canary instances are healthy: promote */
	RO_BAKING,	/* complete, and watched for `bake` */
	RO_COMPLETE,
	RO_FAILED,
};

static const char *const ro_state_names[] = {
	[RO_RUNNING] = "running",
	[RO_WAITING] = "waiting",
	[RO_PAUSED] = "paused",
	[RO_CANARY] = "canary",
	[RO_BAKING] = "baking",
	[RO_COMPLETE] = "complete",
	[RO_FAILED] = "failed",
};

struct rollout {
	char			*svc;		/* the service's name */
	enum rollout_state	 state;
	char			 from[MANIFEST_REVISION_LEN + 1];
	char			 to[MANIFEST_REVISION_LEN + 1];
	int64_t			 gen;		/* target restart generation */
	bool			 rollback;	/* it undoes a failed rollout */
	bool			 promoted;
	int64_t			 started;	/* wall ms */
	int64_t			 deadline;	/* progress_deadline, wall ms */
	int64_t			 paused_at;	/* paused or canary: since */
	int64_t			 finished;
	int64_t			 bake_until;
	int64_t			 bake_restarts;
	char			*message;
	struct event		*ev;		/* step now, or at a deadline */
};

/* Rollouts in `waiting`: any instance report may free them. */
static unsigned	nwaiting;

static bool
ro_active(const struct rollout *ro)
{
	return ro != NULL && ro->state != RO_COMPLETE &&
	    ro->state != RO_FAILED;
}

void
rollout_free(struct rollout *ro)
{
	if (ro == NULL)
		return;
	if (ro->state == RO_WAITING)
		nwaiting--;
	if (ro->ev != NULL)
		event_free(ro->ev);
	free(ro->message);
	free(ro->svc);
	free(ro);
}

static struct rollout *
ro_new(const char *svc)
{
	struct rollout	*ro = xcalloc(1, sizeof(*ro));

	ro->svc = xstrdup(svc);
	return ro;
}

/* A copy of `src` with its own strings and no event. */
static struct rollout *
ro_copy(const struct rollout *src)
{
	struct rollout	*ro = xmalloc(sizeof(*ro));

	*ro = *src;
	ro->svc = xstrdup(src->svc);
	ro->message = src->message != NULL ? xstrdup(src->message) : NULL;
	ro->ev = NULL;
	return ro;
}

static void
ro_set_message(struct rollout *ro, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ro_set_message(struct rollout *ro, const char *fmt, ...)
{
	va_list	ap;

	free(ro->message);
	ro->message = NULL;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&ro->message, fmt, ap) == -1)
		abort();
	va_end(ap);
}

/* Every state change: counted, logged, and an event. */
static void
ro_set_state(struct rollout *ro, enum rollout_state to)
{
	enum rollout_state	from = ro->state;

	if (from == to)
		return;
	nwaiting += (to == RO_WAITING) - (from == RO_WAITING);
	ro->state = to;
	log_msg(to == RO_FAILED ? LOG_LEVEL_WARN : LOG_LEVEL_INFO,
	    "service %s: rollout %s -> %s%s%s%s", ro->svc,
	    ro_state_names[from], ro_state_names[to],
	    ro->message ? " (" : "", ro->message ? ro->message : "",
	    ro->message ? ")" : "");
	events_add(ro->svc, -1, "rollout", ro_state_names[from],
	    ro_state_names[to], ro->message);
}

/* Slots are kept sorted by index. */
static struct slot *
slot_find(const struct service *s, unsigned index)
{
	size_t	lo = 0, hi = s->nslots, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->slots[mid].index == index)
			return &s->slots[mid];
		if (s->slots[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool
rollout_has_slot(const struct service *s, unsigned index)
{
	return slot_find(s, index) != NULL;
}

/* Insert a slot, keeping the order by index (the index must be free). */
static void
slot_insert(struct service *s, unsigned index, const char *rev, int64_t gen,
    int64_t created)
{
	size_t	pos = 0;

	while (pos < s->nslots && s->slots[pos].index < index)
		pos++;
	s->slots = xreallocarray(s->slots, s->nslots + 1, sizeof(*s->slots));
	memmove(&s->slots[pos + 1], &s->slots[pos],
	    (s->nslots - pos) * sizeof(*s->slots));
	s->slots[pos].index = index;
	memcpy(s->slots[pos].rev, rev, sizeof(s->slots[pos].rev));
	s->slots[pos].gen = gen;
	s->slots[pos].created = created;
	s->nslots++;
}

/* A slot of the service's current revision and generation. */
static void
slot_add(struct service *s, unsigned index, int64_t now)
{
	slot_insert(s, index, s->revision, s->restart_gen, now);
}

static void
slot_remove(struct service *s, size_t pos)
{
	memmove(&s->slots[pos], &s->slots[pos + 1],
	    (s->nslots - pos - 1) * sizeof(*s->slots));
	s->nslots--;
}

static bool
slot_current(const struct service *s, const struct slot *sl)
{
	return strcmp(sl->rev, s->revision) == 0 && sl->gen == s->restart_gen;
}

/* The agent's view of the instance a slot asks for, or NULL. */
static const json_t *
slot_view(const struct service *s, const struct slot *sl)
{
	const json_t	*v;
	const char	*rev;

	if (sl->index >= s->nviews || (v = s->views[sl->index]) == NULL)
		return NULL;
	rev = json_string_value(json_object_get(v, "revision"));
	if (rev == NULL || strcmp(rev, sl->rev) != 0 ||
	    json_integer_value(json_object_get(v, "gen")) != sl->gen)
		return NULL;
	return v;
}

static const char *
view_state(const json_t *v)
{
	const char	*st = json_string_value(json_object_get(v, "state"));

	return st != NULL ? st : "";
}

static bool
view_failed(const json_t *v)
{
	const char	*st = view_state(v);

	return strcmp(st, "failed") == 0 || strcmp(st, "crashloop") == 0 ||
	    strcmp(st, "exited") == 0;
}

/* Is an index taken: by a slot, or by a process still running there? */
static bool
index_occupied(const struct service *s, unsigned index)
{
	const json_t	*v;

	if (slot_find(s, index) != NULL)
		return true;
	if (index >= s->nviews || (v = s->views[index]) == NULL)
		return false;
	return json_integer_value(json_object_get(v, "pid")) != 0;
}

/*
 * The service's slots after an apply, restart or rollback (`next`),
 * given what ran before (`cur`, NULL: a new service): relabel what only
 * changed live, scale, or start a rollout. Leaves `cur` untouched;
 * next->slots and next->ro are new (the caller frees them if the state
 * cannot be written).
 */
void
rollout_plan(struct service *next, const struct service *cur)
{
	const __typeof__(next->m->deploy) *dp = &next->m->deploy;
	struct rollout		*ro = NULL;
	char			 run[MANIFEST_REVISION_LEN + 1];
	const char		*r;
	int64_t			 now = (int64_t)wall_ms();
	size_t			 i;
	unsigned		 n = 0, index;
	bool			 roll = false;

	next->slots = NULL;
	next->nslots = 0;
	next->ro = NULL;
	if (cur == NULL) {
		for (index = 0; index < next->m->instances; index++)
			slot_add(next, index, now);
		return;
	}
	manifest_run_hash(next->m, run);
	next->slots = xcalloc(cur->nslots + 1, sizeof(*next->slots));
	memcpy(next->slots, cur->slots, cur->nslots * sizeof(*cur->slots));
	next->nslots = cur->nslots;
	for (i = 0; i < next->nslots; i++) {
		struct slot *sl = &next->slots[i];

		if (sl->gen == next->restart_gen &&
		    strcmp(sl->rev, next->revision) != 0 &&
		    (r = service_run_hash(cur, sl->rev)) != NULL &&
		    strcmp(r, run) == 0)
			memcpy(sl->rev, next->revision, sizeof(sl->rev));
		if (!slot_current(next, sl))
			roll = true;
	}
	if (roll) {
		ro = ro_new(next->name);
		ro->state = RO_RUNNING;
		/* what to go back to: the last revision that rolled out (a
		 * rollback in progress is going back to it) */
		if (ro_active(cur->ro) && cur->ro->rollback)
			memcpy(ro->from, cur->ro->to, sizeof(ro->from));
		else if (ro_active(cur->ro))
			memcpy(ro->from, cur->ro->from, sizeof(ro->from));
		else
			memcpy(ro->from, cur->revision, sizeof(ro->from));
		memcpy(ro->to, next->revision, sizeof(ro->to));
		ro->gen = next->restart_gen;
		ro->started = now;
		ro->deadline = now + (int64_t)dp->progress_deadline_ms;
		next->ro = ro;
		return;
	}
	/* everything runs the target already: a scale, if anything */
	n = (unsigned)next->nslots;
	for (index = 0; n < next->m->instances; index++) {
		if (slot_find(next, index) == NULL) {
			slot_add(next, index, now);
			n++;
		}
	}
	while (n > next->m->instances) {
		slot_remove(next, next->nslots - 1);
		n--;
	}
	if (cur->ro == NULL)
		return;
	next->ro = ro = ro_copy(cur->ro);
	if (ro_active(cur->ro)) {
		/* what it was replacing is the target now */
		ro_set_message(ro, "superseded: every instance runs the new "
		    "revision");
		ro->state = RO_COMPLETE;
		ro->finished = now;
		memcpy(ro->to, next->revision, sizeof(ro->to));
	}
}

/* Is every instance of the service ready (for depends_on)? */
static bool
service_all_ready(const struct service *s)
{
	const json_t	*v;
	size_t		 i;

	if (!s->enabled || s->nslots == 0)
		return false;
	for (i = 0; i < s->nslots; i++) {
		if (s->slots[i].index >= s->nviews ||
		    (v = s->views[s->slots[i].index]) == NULL ||
		    strcmp(view_state(v), "ready") != 0)
			return false;
	}
	return true;
}

/* The first service of depends_on that is not ready, or NULL. */
static const char *
rollout_blocking_dep(const struct service *s)
{
	const struct service	*dep;
	size_t			 i;

	for (i = 0; i < s->m->ndepends_on; i++) {
		dep = service_find(s->m->depends_on[i]);
		if (dep == NULL || !service_all_ready(dep))
			return s->m->depends_on[i];
	}
	return NULL;
}

static void	rollout_ev_cb(evutil_socket_t, short, void *);

/* A duration as the manifest spells it, in a static buffer. */
static const char *
ro_duration(uint64_t ms)
{
	static char	buf[32];

	duration_format(ms, buf, sizeof(buf));
	return buf;
}

static void
ro_arm(struct rollout *ro, int64_t at, int64_t now)
{
	struct timeval	tv;
	int64_t		ms = at > now ? at - now + 5 : 5;

	if (ro->ev == NULL)
		ro->ev = evtimer_new(D->base, rollout_ev_cb, ro);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(ro->ev, &tv);
}

void
rollout_kick(struct service *s)
{
	struct rollout	*ro = s->ro;

	if (!ro_active(ro) || D->base == NULL)
		return;
	if (ro->ev == NULL)
		ro->ev = evtimer_new(D->base, rollout_ev_cb, ro);
	event_active(ro->ev, EV_TIMEOUT, 0);
}

void
rollout_views_changed(struct service *s)
{
	size_t	i;

	rollout_kick(s);
	if (nwaiting == 0)
		return;
	for (i = 0; i < D->nservices; i++)
		if (D->services[i]->ro != NULL &&
		    D->services[i]->ro->state == RO_WAITING)
			rollout_kick(D->services[i]);
}

/* Write the service's state and tell the agent. */
static void
ro_commit(struct service *s)
{
	service_save(s);
	agent_assign();
}

static void
rollout_fail(struct service *s, const char *why)
{
	struct rollout	*ro = s->ro;
	const char	*result;
	char		*cause, *reason = xstrdup(why);
	bool		 back;
	int		 r;

	back = !ro->rollback && strcmp(ro->from, ro->to) != 0 &&
	    (s->m->deploy.auto_rollback || ro->state == RO_BAKING);
	ro_set_message(ro, "%s", reason);
	ro->finished = (int64_t)wall_ms();
	ro_set_state(ro, RO_FAILED);
	if (!back) {
		service_save(s);
		free(reason);
		return;
	}
	xasprintf(&cause, "rollback to %s (rollout of %s failed: %s)",
	    ro->from, ro->to, reason);
	r = service_restore(s, ro->from, cause, &result);
	free(cause);
	if (r < 0) {
		log_error("service %s: cannot roll back to %s: %s", s->name,
		    ro->from, strerror(-r));
		service_save(s);
	} else if ((ro = s->ro) != NULL) {
		/* the rollout towards the restored revision */
		ro->rollback = true;
		ro_set_message(ro, "rolling back: %s", reason);
		events_add(s->name, -1, "rollout", NULL, "rollback",
		    ro->message);
		service_save(s);
	}
	free(reason);
}

/* Counts of one step. */
struct ro_count {
	unsigned	cur, cur_healthy, old, old_ready;
	unsigned	spare, spare_healthy;
	int64_t		wake;		/* the next deadline, wall ms */
	int64_t		restarts;	/* of the target's instances */
	char		failure[256];
};

static void
ro_wake_at(struct ro_count *c, int64_t at)
{
	if (at < c->wake)
		c->wake = at;
}

static void
ro_count(const struct service *s, const struct rollout *ro, int64_t now,
    struct ro_count *c)
{
	const __typeof__(s->m->deploy) *dp = &s->m->deploy;
	const struct slot	*sl;
	const json_t		*v;
	const char		*err;
	int64_t			 since, healthy_at;
	size_t			 i;
	bool			 ready;

	memset(c, 0, sizeof(*c));
	c->wake = INT64_MAX;
	for (i = 0; i < s->nslots; i++) {
		sl = &s->slots[i];
		v = slot_view(s, sl);
		ready = v != NULL && strcmp(view_state(v), "ready") == 0;
		if (!slot_current(s, sl)) {
			c->old++;
			c->old_ready += ready;
			continue;
		}
		if (sl->index < s->m->instances)
			c->cur++;
		else
			c->spare++;
		if (v != NULL)
			c->restarts += json_integer_value(json_object_get(v,
			    "restarts"));
		if (v != NULL && view_failed(v) && c->failure[0] == '\0') {
			err = json_string_value(json_object_get(v,
			    "last_error"));
			snprintf(c->failure, sizeof(c->failure),
			    "instance %u %s%s%s", sl->index, view_state(v),
			    err ? ": " : "", err ? err : "");
		}
		since = json_integer_value(json_object_get(v, "since"));
		healthy_at = since + (int64_t)dp->min_healthy_time_ms;
		if (ready && now >= healthy_at) {
			if (sl->index < s->m->instances)
				c->cur_healthy++;
			else
				c->spare_healthy++;
			continue;
		}
		if (ready)
			ro_wake_at(c, healthy_at);
		if (ro->state == RO_PAUSED)
			continue;
		if (now >= sl->created + (int64_t)dp->healthy_deadline_ms) {
			if (c->failure[0] == '\0')
				snprintf(c->failure, sizeof(c->failure),
				    "instance %u not healthy within %s",
				    sl->index, ro_duration(
				    dp->healthy_deadline_ms));
		} else
			ro_wake_at(c, sl->created +
			    (int64_t)dp->healthy_deadline_ms);
	}
}

/* How many new instances the rollout may have now. */
static unsigned
ro_limit(const struct service *s, const struct rollout *ro)
{
	unsigned	n = s->m->instances, canary = s->m->deploy.canary;

	if (canary > 0 && canary < n && !ro->promoted && !ro->rollback)
		return canary;
	return n;
}

/*
 * Remove old slots, then spares, as availability allows; true if any
 * was. An old slot whose instance is not ready serves no one: it goes.
 */
static bool
ro_remove_old(struct service *s, const struct ro_count *c, unsigned limit)
{
	const struct slot	*sl;
	const json_t		*v;
	unsigned		 n = s->m->instances, keep_min, left;
	int64_t			 removable;
	size_t			 i;
	int			 pass;
	bool			 changed = false, ready;

	/* with creation capped (canary), keep the total at `instances` */
	keep_min = limit < n ? n - limit : 0;
	left = c->old;
	removable = (int64_t)c->old_ready + c->cur_healthy +
	    c->spare_healthy - ((int64_t)n -
	    (int64_t)(s->m->deploy.max_unavailable < n ?
	    s->m->deploy.max_unavailable : n));
	for (pass = 0; pass < 2; pass++) {
		for (i = s->nslots; i-- > 0 && (pass == 1 || left > keep_min);) {
			sl = &s->slots[i];
			if (slot_current(s, sl) != (pass == 1) ||
			    (pass == 1 && sl->index < n))
				continue;
			v = slot_view(s, sl);
			ready = v != NULL &&
			    strcmp(view_state(v), "ready") == 0;
			if (ready || pass == 1) {
				/* a spare goes once healthy, as availability
				 * allows */
				if (removable <= 0 || (pass == 1 && !ready))
					continue;
				removable--;
			}
			slot_remove(s, i);
			left -= pass == 0;
			changed = true;
		}
	}
	return changed;
}

/*
 * Add new slots as the surge allows, at the lowest free index; true if
 * any was. With every index below `instances` taken, a new instance
 * goes above as a spare: it stands in for an old one until a slot below
 * is free and its replacement healthy, then goes. After a rollout the
 * indexes are 0..instances-1 again.
 */
static bool
ro_add_new(struct service *s, const struct ro_count *c, unsigned limit,
    int64_t now)
{
	unsigned	n = s->m->instances, index, occupied = 0, max;
	unsigned	cur = c->cur, spare = c->spare;
	int64_t		room;
	bool		changed = false;

	max = n + s->m->deploy.max_surge + (unsigned)s->nviews +
	    (unsigned)s->nslots;
	for (index = 0; index < max; index++)
		occupied += index_occupied(s, index);
	room = (int64_t)n + s->m->deploy.max_surge - occupied;
	for (index = 0; cur < limit && index < max; index++) {
		if (slot_find(s, index) != NULL)
			continue;
		if (index >= n && cur + spare >= limit)
			break;
		if (!index_occupied(s, index)) {
			if (room <= 0)
				continue;
			room--;
		}
		slot_add(s, index, now);
		if (index < n)
			cur++;
		else
			spare++;
		changed = true;
	}
	return changed;
}

static void
ro_complete(struct service *s, struct ro_count *c, int64_t now)
{
	struct rollout	*ro = s->ro;

	ro->finished = now;
	if (s->m->deploy.bake_ms > 0 && !ro->rollback &&
	    strcmp(ro->from, ro->to) != 0) {
		ro->bake_until = now + (int64_t)s->m->deploy.bake_ms;
		ro->bake_restarts = c->restarts;
		ro_set_message(ro, "every instance healthy; baking for %s",
		    ro_duration(s->m->deploy.bake_ms));
		ro_set_state(ro, RO_BAKING);
		ro_arm(ro, ro->bake_until, now);
		return;
	}
	if (ro->rollback)
		ro_set_message(ro, "rolled back to %s", ro->to);
	else
		ro_set_message(ro, "%u instances of %s healthy",
		    s->m->instances, ro->to);
	ro_set_state(ro, RO_COMPLETE);
}

/* Baking: any restart or failure of the new revision rolls it back. */
static void
ro_bake(struct service *s, struct ro_count *c, int64_t now)
{
	struct rollout	*ro = s->ro;
	char		 why[320];

	if (c->failure[0] != '\0' || c->restarts > ro->bake_restarts) {
		if (c->failure[0] != '\0')
			snprintf(why, sizeof(why), "within the bake window: "
			    "%s", c->failure);
		else
			snprintf(why, sizeof(why), "within the bake window: "
			    "%" PRId64 " restarts", c->restarts -
			    ro->bake_restarts);
		rollout_fail(s, why);
		return;
	}
	if (now >= ro->bake_until) {
		ro_set_message(ro, "%u instances of %s healthy, baked",
		    s->m->instances, ro->to);
		ro_set_state(ro, RO_COMPLETE);
		service_save(s);
		return;
	}
	ro_arm(ro, ro->bake_until, now);
}

static void
rollout_step(struct service *s)
{
	struct rollout	*ro = s->ro;
	struct ro_count	 c;
	const char	*dep;
	int64_t		 now = (int64_t)wall_ms();
	unsigned	 limit;
	bool		 changed = false;

	/* before the agent's inventory, no view says anything yet */
	if (!ro_active(ro) || !s->enabled || D->shutting_down ||
	    !agent_synced())
		return;
	ro_count(s, ro, now, &c);
	if (ro->state == RO_BAKING) {
		ro_bake(s, &c, now);
		return;
	}
	if (ro->state == RO_PAUSED)
		return;
	if (c.failure[0] != '\0') {
		rollout_fail(s, c.failure);
		return;
	}
	if (ro->state != RO_CANARY && now >= ro->deadline) {
		rollout_fail(s, "not complete within progress_deadline");
		return;
	}
	limit = ro_limit(s, ro);
	changed |= ro_remove_old(s, &c, limit);
	if (c.cur < limit && (dep = rollout_blocking_dep(s)) != NULL) {
		if (ro->state != RO_WAITING) {
			ro_set_message(ro, "%s not ready", dep);
			ro_set_state(ro, RO_WAITING);
		}
	} else {
		if (ro->state == RO_WAITING) {
			ro_set_message(ro, NULL);
			ro_set_state(ro, RO_RUNNING);
		}
		changed |= ro_add_new(s, &c, limit, now);
	}
	if (changed) {
		ro_commit(s);
		ro_count(s, ro, now, &c);
	}
	if (c.old == 0 && c.spare == 0 && c.cur == s->m->instances &&
	    c.cur_healthy == c.cur) {
		ro_complete(s, &c, now);
		service_save(s);
		return;
	}
	if (limit < s->m->instances && c.cur_healthy >= limit && c.old ==
	    s->m->instances - limit && c.spare == 0 &&
	    ro->state == RO_RUNNING) {
		ro->paused_at = now;
		ro_set_message(ro, "%u canary instances healthy; promote to "
		    "go on", limit);
		ro_set_state(ro, RO_CANARY);
		service_save(s);
	}
	if (ro->state != RO_CANARY)
		ro_wake_at(&c, ro->deadline);
	if (c.wake != INT64_MAX)
		ro_arm(ro, c.wake, now);
}

static void
rollout_ev_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rollout	*ro = arg;
	struct service	*s = service_find(ro->svc);

	if (s != NULL && s->ro == ro)
		rollout_step(s);
}

/* Time spent paused does not count against the deadlines. */
static void
ro_unpause(struct service *s, int64_t now)
{
	struct rollout	*ro = s->ro;
	int64_t		 paused = now - ro->paused_at;
	size_t		 i;

	if (ro->paused_at == 0 || paused <= 0)
		return;
	ro->deadline += paused;
	for (i = 0; i < s->nslots; i++)
		if (slot_current(s, &s->slots[i]))
			s->slots[i].created += paused;
	ro->paused_at = 0;
}

int
rollout_control(struct service *s, const char *action, char **cause)
{
	struct rollout	*ro = s->ro;
	int64_t		 now = (int64_t)wall_ms();

	*cause = NULL;
	if (!ro_active(ro)) {
		xasprintf(cause, "service %s has no rollout in progress",
		    s->name);
		return -ENOENT;
	}
	if (strcmp(action, "pause") == 0) {
		if (ro->state == RO_PAUSED)
			return 0;
		if (ro->state == RO_BAKING) {
			xasprintf(cause, "the rollout of %s is complete "
			    "(baking)", s->name);
			return -EBUSY;
		}
		ro->paused_at = ro->paused_at ? ro->paused_at : now;
		ro_set_message(ro, "paused by request");
		ro_set_state(ro, RO_PAUSED);
	} else if (strcmp(action, "resume") == 0) {
		if (ro->state != RO_PAUSED)
			return 0;
		ro_unpause(s, now);
		ro_set_message(ro, NULL);
		ro_set_state(ro, RO_RUNNING);
	} else if (strcmp(action, "promote") == 0) {
		if (ro->promoted)
			return 0;
		ro->promoted = true;
		if (ro->state == RO_CANARY) {
			ro_unpause(s, now);
			ro_set_message(ro, "promoted");
			ro_set_state(ro, RO_RUNNING);
		}
	} else {
		xasprintf(cause, "unknown rollout action %s", action);
		return -EINVAL;
	}
	service_save(s);
	rollout_kick(s);
	return 0;
}

/* A share of the target's healthy instances, 0 to 1, from a count. */
static double
ro_progress(const struct service *s, const struct ro_count *c)
{
	unsigned	n = s->m->instances;

	if (n == 0 || s->ro->state == RO_COMPLETE)
		return 1;
	return (double)(c->cur_healthy < n ? c->cur_healthy : n) / n;
}

json_t *
rollout_to_json(const struct service *s)
{
	const struct rollout	*ro = s->ro;
	struct ro_count		 c;

	if (ro == NULL)
		return json_null();
	ro_count(s, ro, (int64_t)wall_ms(), &c);
	return json_pack("{s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:f, s:i, "
	    "s:i, s:i, s:I, s:I, s:s?}",
	    "state", ro_state_names[ro->state], "from", ro->from,
	    "to", ro->to, "gen", (json_int_t)ro->gen,
	    "active", ro_active(ro), "rollback", ro->rollback,
	    "promoted", ro->promoted, "progress", ro_progress(s, &c),
	    "desired", (int)s->m->instances, "new", (int)c.cur,
	    "new_healthy", (int)c.cur_healthy, "started",
	    (json_int_t)ro->started, "finished", (json_int_t)ro->finished,
	    "message", ro->message);
}

const char *
rollout_from(const struct service *s)
{
	return s->ro != NULL ? s->ro->from : "";
}

bool
rollout_active(const struct service *s)
{
	return ro_active(s->ro);
}

double
rollout_progress(const struct service *s)
{
	struct ro_count	c;

	if (!ro_active(s->ro))
		return 1;
	ro_count(s, s->ro, (int64_t)wall_ms(), &c);
	return ro_progress(s, &c);
}

/* "slots" and "rollout" members of the state file. */
void
rollout_state_print(FILE *f, const struct service *s)
{
	const struct rollout	*ro = s->ro;
	json_t			*msg;
	char			*m;
	size_t			 i;

	fprintf(f, " \"slots\": [");
	for (i = 0; i < s->nslots; i++)
		fprintf(f, "%s[%u, \"%s\", %" PRId64 ", %" PRId64 "]",
		    i ? ", " : "", s->slots[i].index, s->slots[i].rev,
		    s->slots[i].gen, s->slots[i].created);
	fprintf(f, "],\n");
	if (ro == NULL)
		return;
	msg = ro->message ? json_string(ro->message) : json_null();
	m = json_dumps(msg, JSON_ENCODE_ANY);
	json_decref(msg);
	fprintf(f, " \"rollout\": {\"state\": \"%s\", \"from\": \"%s\", "
	    "\"to\": \"%s\", \"gen\": %" PRId64 ", \"rollback\": %s, "
	    "\"promoted\": %s, \"started\": %" PRId64 ", \"deadline\": %"
	    PRId64 ", \"paused_at\": %" PRId64 ", \"finished\": %" PRId64
	    ", \"bake_until\": %" PRId64 ", \"bake_restarts\": %" PRId64
	    ", \"message\": %s},\n", ro_state_names[ro->state], ro->from,
	    ro->to, ro->gen, ro->rollback ? "true" : "false",
	    ro->promoted ? "true" : "false", ro->started, ro->deadline,
	    ro->paused_at, ro->finished, ro->bake_until, ro->bake_restarts,
	    m);
	free(m);
}

static bool
rev_valid(const char *rev)
{
	return rev != NULL && strlen(rev) == MANIFEST_REVISION_LEN;
}

/*
 * Slots and rollout from a state file (either may be missing: an older
 * droverd's file runs `instances` slots of the current revision).
 */
void
rollout_state_load(struct service *s, const json_t *state)
{
	const json_t	*slots = json_object_get(state, "slots");
	json_t		*o;
	struct rollout	*ro;
	const char	*rev, *st, *from, *to, *msg = NULL;
	json_int_t	 index, gen, created;
	json_t		*e;
	size_t		 i;
	int		 rollback = 0, promoted = 0;

	if (!json_is_array(slots)) {
		rollout_plan(s, NULL);
		return;
	}
	json_array_foreach(slots, i, e) {
		if (json_unpack(e, "[I, s, I, I]", &index, &rev, &gen,
		    &created) != 0 || index < 0 || index > 20000 ||
		    !rev_valid(rev) || slot_find(s, (unsigned)index) != NULL)
			continue;
		slot_insert(s, (unsigned)index, rev, gen, created);
	}
	o = json_object_get((json_t *)state, "rollout");
	if (o == NULL || json_unpack(o, "{s:s, s:s, s:s}", "state", &st,
	    "from", &from, "to", &to) != 0 || !rev_valid(from) ||
	    !rev_valid(to))
		return;
	ro = ro_new(s->name);
	for (i = 0; i < nitems(ro_state_names); i++)
		if (strcmp(st, ro_state_names[i]) == 0)
			ro->state = (enum rollout_state)i;
	memcpy(ro->from, from, sizeof(ro->from));
	memcpy(ro->to, to, sizeof(ro->to));
	json_unpack(o, "{s?I, s?b, s?b, s?I, s?I, s?I, s?I, s?I, s?I, s?s}",
	    "gen", &ro->gen, "rollback", &rollback, "promoted", &promoted,
	    "started", &ro->started, "deadline", &ro->deadline,
	    "paused_at", &ro->paused_at, "finished", &ro->finished,
	    "bake_until", &ro->bake_until, "bake_restarts",
	    &ro->bake_restarts, "message", &msg);
	ro->rollback = rollback;
	ro->promoted = promoted;
	ro->message = msg ? xstrdup(msg) : NULL;
	nwaiting += ro->state == RO_WAITING;
	s->ro = ro;
}

/* Are the slots anything but indexes 0..instances-1 of the current? */
static bool
slots_plain(const struct service *s)
{
	size_t	i;

	if (s->nslots != s->m->instances)
		return false;
	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].index != i || !slot_current(s, &s->slots[i]))
			return false;
	return true;
}

/* The agent link's "slots" and "specs" members, when they are needed. */
void
rollout_assign_print(struct evbuffer *out, const struct service *s)
{
	const char	*canon;
	size_t		 i, k;

	if (slots_plain(s))
		return;
	evbuffer_add_printf(out, ",\"slots\":[");
	for (i = 0; i < s->nslots; i++)
		evbuffer_add_printf(out, "%s[%u,\"%s\",%" PRId64 "]",
		    i ? "," : "", s->slots[i].index, s->slots[i].rev,
		    s->slots[i].gen);
	evbuffer_add_printf(out, "],\"specs\":{");
	for (i = 0, k = 0; i < s->nslots; i++) {
		const char *rev = s->slots[i].rev;
		size_t j;

		if (strcmp(rev, s->revision) == 0)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(s->slots[j].rev, rev) == 0)
				break;
		if (j < i || (canon = service_revision_canon(s, rev)) == NULL)
			continue;
		evbuffer_add_printf(out, "%s\"%s\":", k++ ? "," : "", rev);
		evbuffer_add(out, canon, strlen(canon));
	}
	evbuffer_add(out, "}", 1);
}

/* Kick every rollout loaded from the state files. */
void
rollout_resume_all(void)
{
	size_t	i;

	for (i = 0; i < D->nservices; i++)
		if (ro_active(D->services[i]->ro)) {
			log_info("service %s: resuming its rollout (%s)",
			    D->services[i]->name,
			    ro_state_names[D->services[i]->ro->state]);
			rollout_kick(D->services[i]);
		}
}
