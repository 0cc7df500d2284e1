/*
 * restart.c — the restart decision: policy, backoff, limit. See
 * restart.h. Pure: no clock, no randomness, no I/O of its own, so that
 * tests/unit/test_restart.c covers every rule.
 *
 * The limit counts restarts in a fixed window that opens at the first
 * restart after the previous window ended (not a sliding one: an
 * instance keeps a few bytes and no history).
 */
#include <stdio.h>
#include <sys/wait.h>

#include "restart.h"
#include "util.h"

static bool
restart_exit_ok(const struct manifest *m, int status)
{
	size_t	i;

	if (!WIFEXITED(status))
		return false;
	for (i = 0; i < m->restart.nexit_codes; i++) {
		if (m->restart.exit_codes[i] == WEXITSTATUS(status))
			return true;
	}
	return false;
}

bool
restart_wanted(const struct manifest *m, int status)
{
	switch (m->restart.policy) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return !restart_exit_ok(m, status);
	default:
		return false;
	}
}

uint64_t
restart_backoff_ms(const struct manifest *m, unsigned crashes, double draw)
{
	double		d = (double)m->restart.backoff.initial_ms;
	double		max = (double)m->restart.backoff.max_ms;
	unsigned	i;

	/* Bounded by max: a multiplier of 1 never grows, so no loop. */
	for (i = 1; m->restart.backoff.multiplier > 1 && i < crashes &&
	    d < max; i++)
		d *= m->restart.backoff.multiplier;
	if (d > 0 && m->restart.backoff.jitter > 0)
		d *= 1.0 + m->restart.backoff.jitter * (2.0 * draw - 1.0);
	if (d > max)
		d = max;
	return d > 0 ? (uint64_t)d : 0;
}

void
restart_count_clear(struct restart_count *rc)
{
	rc->crashes = 0;
	rc->window_count = 0;
	rc->window_start = 0;
	rc->slow = false;
}

/* True when this restart would be one more than `burst` in the window. */
static bool
restart_limit_hit(const struct manifest *m, struct restart_count *rc,
    uint64_t now)
{
	if (rc->slow)
		return true;
	if (rc->window_count == 0 ||
	    now - rc->window_start > m->restart.limit.interval_ms) {
		rc->window_start = now;
		rc->window_count = 0;
	}
	return rc->window_count >= m->restart.limit.burst;
}

enum restart_verdict
restart_next(const struct manifest *m, struct restart_count *rc,
    uint64_t now, uint64_t ran_ms, double draw, uint64_t *delay_ms)
{
	if (ran_ms >= m->restart.backoff.reset_after_ms) {
		rc->crashes = 0;	/* it stayed up: delays start over */
		rc->slow = false;
	}
	rc->crashes++;
	if (restart_limit_hit(m, rc, now)) {
		if (m->restart.limit.action == LIMIT_FAIL)
			return RESTART_FAIL;
		rc->slow = true;
		*delay_ms = m->restart.backoff.max_ms;
		return RESTART_SLOW;
	}
	rc->window_count++;
	*delay_ms = restart_backoff_ms(m, rc->crashes, draw);
	return RESTART_AFTER;
}

char *
restart_limit_reason(const struct manifest *m, const struct restart_count *rc)
{
	uint64_t	 ms = m->restart.limit.interval_ms;
	char		 iv[32], *s;

	if (ms % 1000 == 0)
		snprintf(iv, sizeof(iv), "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(iv, sizeof(iv), "%.3gs", (double)ms / 1000.0);
	xasprintf(&s, "restart limit hit: %u restarts within %s",
	    rc->window_count, iv);
	return s;
}
