/*
 * probe.c — health checks: when they run and what their results mean.
 * The check types are probe-http.c, probe-tcp.c and probe-exec.c.
 *
 * Each instance whose spec has probes owns a struct health: up to three
 * checks (startup, liveness, readiness; a liveness probe equal to the
 * readiness probe, which the shorthand gives, is one check serving
 * both), the last HEALTH_RING results and the instance's health. Checks
 * run only while the process is running or ready; probe_stop abandons
 * them when it stops or is gone.
 *
 * Timing: one timer per check. The first check comes at an offset in
 * [0, interval) that hashes the service, the index and the role, so
 * that many instances started together do not check together; then
 * every `interval` after the previous one was due. Due times are
 * rounded up to a tick (interval / 50, at most PROBE_TICK_MS), so that
 * the checks of a thousand instances wake the loop a few dozen times a
 * second rather than a thousand. While a check is in flight the same
 * timer is its `timeout`: one not done by then is abandoned (its
 * connection closed, its process group killed) and counts as a
 * failure.
 *
 * Semantics:
 *  - A result during `start_period` after the process started counts
 *    only if it passed: such a failure is kept in the results and
 *    changes no counter.
 *  - A check is unknown until `healthy_threshold` passes in a row make
 *    it passing, or `unhealthy_threshold` counted failures in a row
 *    make it failing; passing and failing then alternate the same way.
 *  - startup (when given) runs alone: liveness and readiness start once
 *    it is passing, and it then stops. If it is not passing
 *    start_period + unhealthy_threshold * interval after the process
 *    started, it is failing, and with on_unhealthy: restart the
 *    instance is restarted; with none it keeps checking, and the other
 *    probes stay held until it passes.
 *  - liveness failing, with on_unhealthy: restart, restarts the
 *    instance as a crash (supervise_unhealthy).
 *  - The instance is ready when startup (if any) has passed and the
 *    readiness check (if any) is passing; otherwise running.
 *  - Health: unknown while startup has not passed (failing once its
 *    deadline went by); then failing if a liveness or readiness check
 *    is, passing if all are, unknown otherwise. health_failures is the
 *    longest run of counted failures among the checks that run.
 *
 * Every change of health is logged in one shape,
 *   service api/1: health passing -> failing (http 503 after 12 ms)
 * and reported to droverd, as is every change of health_failures short
 * of failing; a steady run of passes sends nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "log.h"
#include "probe.h"
#include "util.h"

#define HEALTH_RING	5
/* The grid that check times are rounded up to, at most (ms). */
#define PROBE_TICK_MS	20
#define HEALTH_CHECKS	3

enum health_value { HEALTH_UNKNOWN, HEALTH_PASSING, HEALTH_FAILING };

static const char *const health_names[] = {
	[HEALTH_UNKNOWN] = "unknown",
	[HEALTH_PASSING] = "passing",
	[HEALTH_FAILING] = "failing",
};

/* A check's "kind", by its roles; "health" serves liveness and readiness. */
static const char *const kind_names[] = {
	[ROLE_STARTUP] = "startup",
	[ROLE_LIVENESS] = "liveness",
	[ROLE_READINESS] = "readiness",
	[ROLE_LIVENESS | ROLE_READINESS] = "health",
};

struct result {
	uint64_t	time;		/* wall ms */
	uint32_t	duration_ms;
	uint8_t		ok;
	uint8_t		roles;
	uint8_t		type;		/* enum probe_type */
	char		message[PROBE_MESSAGE_MAX];
};

struct health {
	struct inst		*inst;
	struct check		 checks[HEALTH_CHECKS];
	unsigned		 nchecks;
	struct event		*deadline;	/* startup's */
	bool			 started;	/* startup passed, or none */
	enum health_value	 value;
	unsigned		 failures;
	struct result		 ring[HEALTH_RING];
	unsigned		 nring;
	unsigned		 next;		/* where the next result goes */
	char			*output;	/* an exec check's, or NULL */
	bool			 output_new;	/* for the result to come */
	bool			 output_last;	/* the last result's output */
};

static const struct probe_ops *const probe_types[] = {
	[PROBE_HTTP] = &probe_http_ops,
	[PROBE_TCP] = &probe_tcp_ops,
	[PROBE_EXEC] = &probe_exec_ops,
};

static void	check_timer_cb(evutil_socket_t, short, void *);
static void	health_deadline_cb(evutil_socket_t, short, void *);

/* libevent's own warnings (a refused connect) are the probes' business. */
static void
probe_event_log_cb(int severity, const char *msg)
{
	log_debug("libevent: %s", msg);
}

void
probe_init(void)
{
	event_set_log_callback(probe_event_log_cb);
}

void
probe_cleanup(void)
{
	probe_http_cleanup();
	probe_exec_cleanup();
}

static bool
probe_given(const struct probe *p)
{
	return p->type != PROBE_NONE;
}

static bool
probe_any(const struct manifest *m)
{
	return probe_given(&m->health.startup) ||
	    probe_given(&m->health.liveness) ||
	    probe_given(&m->health.readiness);
}

bool
probe_gates_ready(const struct manifest *m)
{
	return probe_given(&m->health.startup) ||
	    probe_given(&m->health.readiness);
}

struct inst *
probe_inst(const struct check *c)
{
	return c->h->inst;
}

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Would the two probes give the same results at the same times? */
static bool
probe_equal(const struct probe *a, const struct probe *b)
{
	size_t	i;

	if (a->type != b->type || !str_eq(a->port, b->port) ||
	    !str_eq(a->host, b->host) || !str_eq(a->path, b->path) ||
	    !str_eq(a->body, b->body) || a->status_min != b->status_min ||
	    a->status_max != b->status_max || a->ncommand != b->ncommand ||
	    a->interval_ms != b->interval_ms ||
	    a->timeout_ms != b->timeout_ms ||
	    a->start_period_ms != b->start_period_ms ||
	    a->healthy_threshold != b->healthy_threshold ||
	    a->unhealthy_threshold != b->unhealthy_threshold)
		return false;
	for (i = 0; i < a->ncommand; i++)
		if (strcmp(a->command[i], b->command[i]) != 0)
			return false;
	return true;
}

/* ${PORT} and the like, for this instance. */
static void
check_expand(struct check *c, const struct manifest *m, unsigned index)
{
	const struct probe	*p = c->p;
	char			*port, *end;
	long			 n;
	size_t			 i;

	if (p->port != NULL) {
		port = manifest_expand(m, p->port, index);
		errno = 0;
		n = strtol(port, &end, 10);
		if (*port == '\0' || *end != '\0' || errno != 0 || n < 1 ||
		    n > 65535)
			xasprintf(&c->bad, "%s port \"%.32s\" is not a port "
			    "number", probe_type_name(p->type), port);
		else
			c->port = (int)n;
		free(port);
	}
	if (p->host != NULL)
		c->host = manifest_expand(m, p->host, index);
	if (p->path != NULL)
		c->path = manifest_expand(m, p->path, index);
	if (p->body != NULL)
		c->body = manifest_expand(m, p->body, index);
	if (p->command != NULL) {
		c->argv = xcalloc(p->ncommand + 1, sizeof(*c->argv));
		for (i = 0; i < p->ncommand; i++)
			c->argv[i] = manifest_expand(m, p->command[i], index);
	}
}

static void
check_add(struct health *h, const struct probe *p, unsigned roles)
{
	struct check	*c = &h->checks[h->nchecks++];
	const struct inst *inst = h->inst;

	memset(c, 0, sizeof(*c));
	c->h = h;
	c->p = p;
	c->ops = probe_types[p->type];
	c->roles = roles;
	c->timer = evtimer_new(agent.base, check_timer_cb, c);
	check_expand(c, inst->spec->m, inst->index);
}

/* Abandon the check in flight and the next one. */
static void
check_halt(struct check *c)
{
	if (c->run != NULL)
		c->ops->cancel(c);
	c->run = NULL;
	evtimer_del(c->timer);
	c->scheduled = false;
}

static void
check_release(struct check *c)
{
	check_halt(c);
	event_free(c->timer);
	c->ops->release(c);
	free(c->host);
	free(c->path);
	free(c->body);
	strv_free(c->argv);
	free(c->bad);
	memset(c, 0, sizeof(*c));
}

static void
check_arm(struct check *c, uint64_t ms)
{
	struct timeval	tv;

	/*
	 * libevent counts from the time its loop last woke; a spawn since
	 * may have taken milliseconds. Count from now.
	 */
	event_base_update_cache_time(agent.base);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

/*
 * Arm for the check due at monotonic `due`, rounded up to a tick of
 * the grid: checks due within one tick fire in one wakeup of the loop.
 */
static void
check_arm_due(struct check *c, uint64_t now)
{
	uint64_t	tick = c->p->interval_ms / 50, at;

	if (tick > PROBE_TICK_MS)
		tick = PROBE_TICK_MS;
	if (tick == 0)
		tick = 1;
	at = (c->due + tick - 1) / tick * tick;
	check_arm(c, at > now ? at - now : 0);
}

/* The first check, at a spread offset into the interval. */
static void
check_schedule(struct check *c)
{
	const struct inst	*inst = c->h->inst;
	char			 key[128];
	uint64_t		 offset;
	int			 n;

	n = snprintf(key, sizeof(key), "%s/%u/%u", inst->svc->name,
	    inst->index, c->roles);
	offset = hash64(key, (size_t)n) % c->p->interval_ms;
	c->scheduled = true;
	c->due = now_ms() + offset;
	check_arm_due(c, c->due - offset);
}

static void
check_begin(struct check *c)
{
	c->begun = now_ms();
	if (c->bad != NULL) {
		probe_done(c, false, "%s", c->bad);
		return;
	}
	check_arm(c, c->p->timeout_ms);
	c->ops->start(c);
}

/* Due: a new check; or the one in flight timed out. */
static void
check_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct check	*c = arg;
	uint64_t	 ran;

	if (c->run == NULL) {
		check_begin(c);
		return;
	}
	/* libevent's coarse clock may wake it a few ms early */
	if ((ran = now_ms() - c->begun) < c->p->timeout_ms) {
		check_arm(c, c->p->timeout_ms - ran);
		return;
	}
	c->ops->cancel(c);
	c->run = NULL;
	probe_done(c, false, "%s timeout", probe_type_name(c->p->type));
}

/* Drop the checks of an older start; keep the results. */
static void
health_clear(struct health *h)
{
	unsigned	i;

	for (i = 0; i < h->nchecks; i++)
		check_release(&h->checks[i]);
	h->nchecks = 0;
	if (h->deadline != NULL)
		event_free(h->deadline);
	h->deadline = NULL;
}

/* The checks a spec asks for: their probes and roles; returns how many. */
static unsigned
health_plan(const struct manifest *m, const struct probe **p,
    unsigned *roles)
{
	const struct probe	*live = &m->health.liveness;
	const struct probe	*ready = &m->health.readiness;
	unsigned		 n = 0;

	if (probe_given(&m->health.startup)) {
		p[n] = &m->health.startup;
		roles[n++] = ROLE_STARTUP;
	}
	if (probe_given(live) && probe_given(ready) &&
	    probe_equal(live, ready)) {
		p[n] = live;
		roles[n++] = ROLE_LIVENESS | ROLE_READINESS;
		return n;
	}
	if (probe_given(live)) {
		p[n] = live;
		roles[n++] = ROLE_LIVENESS;
	}
	if (probe_given(ready)) {
		p[n] = ready;
		roles[n++] = ROLE_READINESS;
	}
	return n;
}

static void
health_setup(struct health *h, const struct manifest *m)
{
	const struct probe	*p[HEALTH_CHECKS];
	unsigned		 roles[HEALTH_CHECKS], i, n;

	health_clear(h);
	n = health_plan(m, p, roles);
	for (i = 0; i < n; i++)
		check_add(h, p[i], roles[i]);
	h->started = !probe_given(&m->health.startup);
	h->value = HEALTH_UNKNOWN;
	h->failures = 0;
}

static void
health_schedule_held(struct health *h)
{
	unsigned	i;

	for (i = 0; i < h->nchecks; i++)
		if (!(h->checks[i].roles & ROLE_STARTUP))
			check_schedule(&h->checks[i]);
}

/* startup's deadline: start_period + unhealthy_threshold * interval. */
static uint64_t
startup_deadline_ms(const struct probe *p)
{
	return p->start_period_ms + p->unhealthy_threshold * p->interval_ms;
}

void
probe_start(struct inst *inst)
{
	const struct manifest	*m = inst->spec->m;
	struct health		*h = inst->health;
	struct timeval		 tv;
	uint64_t		 ms;

	if (!probe_any(m)) {
		probe_free(h);
		inst->health = NULL;
		return;
	}
	if (h == NULL) {
		h = xcalloc(1, sizeof(*h));
		h->inst = inst;
		inst->health = h;
	}
	health_setup(h, m);
	if (h->started) {
		health_schedule_held(h);
		return;
	}
	check_schedule(&h->checks[0]);
	ms = startup_deadline_ms(h->checks[0].p);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	h->deadline = evtimer_new(agent.base, health_deadline_cb, h);
	event_base_update_cache_time(agent.base);
	evtimer_add(h->deadline, &tv);
}

/* The same checks under a new spec: point them at its probes. */
static bool
health_repoint(struct health *h, const struct manifest *m)
{
	const struct probe	*p[HEALTH_CHECKS];
	unsigned		 roles[HEALTH_CHECKS], i, n;

	n = health_plan(m, p, roles);
	if (n != h->nchecks)
		return false;
	for (i = 0; i < n; i++)
		if (h->checks[i].roles != roles[i] ||
		    !probe_equal(h->checks[i].p, p[i]))
			return false;
	for (i = 0; i < n; i++)
		h->checks[i].p = p[i];
	return true;
}

void
probe_respec(struct inst *inst)
{
	const struct manifest	*m = inst->spec->m;
	struct health		*h = inst->health;

	unsigned		 i;
	bool			 held = false;

	if (h != NULL && health_repoint(h, m))
		return;
	if (inst->state != INST_RUNNING && inst->state != INST_READY) {
		/* nothing runs: the next start sets up the new probes */
		if (h != NULL)
			health_clear(h);
		return;
	}
	for (i = 0; h != NULL && i < h->nchecks; i++)
		held |= (h->checks[i].roles & (ROLE_STARTUP | ROLE_READINESS))
		    != 0;
	probe_stop(inst);
	probe_start(inst);
	if (held && !probe_gates_ready(m))
		supervise_set_ready(inst, true, "no readiness probe any more");
}

void
probe_stop(struct inst *inst)
{
	struct health	*h = inst->health;
	unsigned	 i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nchecks; i++)
		check_halt(&h->checks[i]);
	if (h->deadline != NULL)
		evtimer_del(h->deadline);
	h->value = HEALTH_UNKNOWN;
	h->failures = 0;
}

void
probe_free(struct health *h)
{
	if (h == NULL)
		return;
	health_clear(h);
	free(h->output);
	free(h);
}

void
probe_set_output(struct check *c, const char *buf, size_t len)
{
	struct health	*h = c->h;

	free(h->output);
	h->output = xstrndup(buf, len);
	h->output_new = true;
}

static struct result *
health_record(struct health *h, const struct check *c, bool ok,
    uint64_t now, const char *message)
{
	struct result	*r = &h->ring[h->next];

	h->next = (h->next + 1) % HEALTH_RING;
	if (h->nring < HEALTH_RING)
		h->nring++;
	r->time = wall_ms();
	r->duration_ms = (uint32_t)(now - c->begun);
	probe_stats_add(h->inst->svc->name, r->duration_ms);
	r->ok = ok;
	r->roles = (uint8_t)c->roles;
	r->type = (uint8_t)c->p->type;
	snprintf(r->message, sizeof(r->message), "%s", message);
	h->output_last = h->output_new;
	h->output_new = false;
	return r;
}

/* One counted result; true when the check's status changed. */
static bool
check_count(struct check *c, bool ok)
{
	const struct probe	*p = c->p;

	if (ok) {
		c->fails = 0;
		c->passes++;
		if (c->status != CHECK_PASSING &&
		    c->passes >= p->healthy_threshold) {
			c->status = CHECK_PASSING;
			return true;
		}
		return false;
	}
	c->passes = 0;
	c->fails++;
	/* startup fails by its deadline, not by a count */
	if (c->status != CHECK_FAILING && !(c->roles & ROLE_STARTUP) &&
	    c->fails >= p->unhealthy_threshold) {
		c->status = CHECK_FAILING;
		return true;
	}
	return false;
}

static void
health_eval(struct health *h)
{
	const struct check	*c;
	unsigned		 i, n = 0, passing = 0, failing = 0;

	if (!h->started) {
		c = &h->checks[0];
		h->value = c->status == CHECK_FAILING ? HEALTH_FAILING :
		    HEALTH_UNKNOWN;
		h->failures = c->fails;
		return;
	}
	h->failures = 0;
	for (i = 0; i < h->nchecks; i++) {
		c = &h->checks[i];
		if (c->roles & ROLE_STARTUP)
			continue;
		n++;
		passing += c->status == CHECK_PASSING;
		failing += c->status == CHECK_FAILING;
		if (c->fails > h->failures)
			h->failures = c->fails;
	}
	if (failing > 0)
		h->value = HEALTH_FAILING;
	else if (passing == n)
		h->value = HEALTH_PASSING;	/* also: startup alone passed */
	else
		h->value = HEALTH_UNKNOWN;
}

/* Startup passed: it stops, the held checks begin. */
static void
health_started(struct health *h, struct check *startup)
{
	check_halt(startup);
	evtimer_del(h->deadline);
	h->started = true;
	health_schedule_held(h);
}

static bool
health_ready(const struct health *h)
{
	unsigned	i;

	if (!h->started)
		return false;
	for (i = 0; i < h->nchecks; i++)
		if ((h->checks[i].roles & ROLE_READINESS) &&
		    h->checks[i].status != CHECK_PASSING)
			return false;
	return true;
}

bool
probe_ready(const struct inst *inst)
{
	return !probe_gates_ready(inst->spec->m) ||
	    (inst->health != NULL && health_ready(inst->health));
}

/*
 * "http 503 after 12 ms"; with `kind`, and several checks, the kind
 * first: "readiness: http 503 after 12 ms".
 */
static void
result_detail(const struct health *h, const struct result *r, bool kind,
    char *buf, size_t len)
{
	kind = kind && h->nchecks > 1;
	snprintf(buf, len, "%s%s%s after %u ms", kind ?
	    kind_names[r->roles] : "", kind ? ": " : "", r->message,
	    r->duration_ms);
}

static void
health_log_change(const struct health *h, enum health_value from,
    const char *detail)
{
	log_info("service %s/%u: health %s -> %s (%s)", h->inst->svc->name,
	    h->inst->index, health_names[from], health_names[h->value],
	    detail);
}

/* "readiness failing: http 503 after 12 ms", for a state change. */
static void
result_why(const struct health *h, const struct check *c,
    const struct result *r, char *buf, size_t len)
{
	char	detail[PROBE_MESSAGE_MAX + 64];

	result_detail(h, r, false, detail, sizeof(detail));
	snprintf(buf, len, "%s %s: %s", kind_names[c->roles],
	    c->status == CHECK_FAILING ? "failing" : "passing", detail);
}

/*
 * What one counted result changes: health, readiness, a restart. The
 * strings are made only when something is logged: a steady run of
 * passes formats nothing.
 */
static void
health_update(struct health *h, struct check *c, const struct result *r,
    bool changed)
{
	struct inst		*inst = h->inst;
	enum health_value	 from = h->value;
	unsigned		 failures = h->failures;
	char			 detail[PROBE_MESSAGE_MAX + 64], why[256];
	bool			 ready;

	if (changed && (c->roles & ROLE_STARTUP) &&
	    c->status == CHECK_PASSING) {
		result_detail(h, r, false, detail, sizeof(detail));
		log_info("service %s/%u: startup check passed: %s",
		    inst->svc->name, inst->index, detail);
		health_started(h, c);
	}
	health_eval(h);
	if (h->value != from) {
		result_detail(h, r, true, detail, sizeof(detail));
		health_log_change(h, from, detail);
	} else if (!r->ok && c->status != CHECK_FAILING) {
		result_detail(h, r, false, detail, sizeof(detail));
		log_info("service %s/%u: %s check failed (%u in a row): %s",
		    inst->svc->name, inst->index, kind_names[c->roles],
		    c->fails, detail);
	}
	if (h->value != from || (h->failures != failures &&
	    !(h->value == HEALTH_FAILING && h->failures > failures)))
		supervise_report(inst);

	ready = health_ready(h);
	if ((c->roles & (ROLE_STARTUP | ROLE_READINESS)) &&
	    ((inst->state == INST_RUNNING && ready) ||
	    (inst->state == INST_READY && !ready))) {
		result_why(h, c, r, why, sizeof(why));
		supervise_set_ready(inst, ready, why);
	}
	if (changed && (c->roles & ROLE_LIVENESS) &&
	    c->status == CHECK_FAILING && c->p->on_unhealthy_restart) {
		result_why(h, c, r, why, sizeof(why));
		supervise_unhealthy(inst, why);	/* stops every check */
	}
}

void
probe_done(struct check *c, bool ok, const char *fmt, ...)
{
	struct health		*h = c->h;
	const struct inst	*inst = h->inst;
	const struct result	*r;
	char			 msg[PROBE_MESSAGE_MAX];
	uint64_t		 now = now_ms();
	va_list			 ap;

	c->run = NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = health_record(h, c, ok, now, msg);

	c->due += c->p->interval_ms;
	if (c->due < now)
		c->due = now;
	check_arm_due(c, now);

	if (!ok && now - inst->started < c->p->start_period_ms) {
		log_debug("service %s/%u: %s check failed within the start "
		    "period: %s", inst->svc->name, inst->index,
		    kind_names[c->roles], msg);
		return;
	}
	health_update(h, c, r, check_count(c, ok));
}

/* startup did not pass in time. */
static void
health_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health		*h = arg;
	struct check		*c = &h->checks[0];
	enum health_value	 from = h->value;
	char			 why[128], d[32];

	duration_format(startup_deadline_ms(c->p), d, sizeof(d));
	snprintf(why, sizeof(why), "startup did not pass within %s", d);
	c->status = CHECK_FAILING;
	health_eval(h);
	if (h->value != from)
		health_log_change(h, from, why);
	supervise_report(h->inst);
	if (c->p->on_unhealthy_restart)
		supervise_unhealthy(h->inst, why);
}

/* Output is whatever a command wrote: not always UTF-8. */
static json_t *
json_string_lossy(const char *s)
{
	json_t	*j;
	char	*copy, *p;

	if ((j = json_string(s)) != NULL)
		return j;
	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *
result_json(const struct result *r)
{
	return json_pack("{s:b, s:s, s:s, s:o, s:I, s:I}", "ok", r->ok,
	    "kind", kind_names[r->roles], "type", probe_type_name(r->type),
	    "message", json_string_lossy(r->message), "duration_ms", (json_int_t)r->duration_ms,
	    "time", (json_int_t)r->time);
}

void
probe_json(const struct inst *inst, json_t *o)
{
	const struct health	*h = inst->health;
	const struct result	*r;
	const char		*value = "none";
	json_t			*a = json_array(), *last = json_null();
	unsigned		 i;

	if (probe_any(inst->spec->m))
		value = h != NULL ? health_names[h->value] : "unknown";
	for (i = 0; h != NULL && i < h->nring; i++) {
		r = &h->ring[(h->next + HEALTH_RING - h->nring + i) %
		    HEALTH_RING];
		json_array_append_new(a, result_json(r));
	}
	if (h != NULL && h->nring > 0) {
		json_decref(last);
		last = json_deep_copy(json_array_get(a, h->nring - 1));
		if (h->output_last)
			json_object_set_new(last, "output",
			    json_string_lossy(h->output));
	}
	json_object_set_new(o, "health", json_string(value));
	json_object_set_new(o, "health_failures",
	    json_integer(h != NULL ? h->failures : 0));
	json_object_set_new(o, "health_last", last);
	json_object_set_new(o, "health_results", a);
}
