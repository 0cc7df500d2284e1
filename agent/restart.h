/*
 * restart.h — whether and when an instance starts again after its
 * process ended: the restart policy, the backoff delay, the restart
 * limit. Pure (restart.c): the clock and the random draw are arguments.
 */
#ifndef DROVER_RESTART_H
#define DROVER_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"

/* What an instance remembers of its past crashes. */
struct restart_count {
	unsigned	crashes;	/* consecutive: drives the backoff */
	unsigned	window_count;	/* restarts in the limit's window */
	uint64_t	window_start;	/* monotonic ms */
	bool		slow;		/* in a crash loop (action slow) */
};

enum restart_verdict {
	RESTART_AFTER,		/* start again after the delay (0: now) */
	RESTART_FAIL,		/* limit hit, action fail: state failed */
	RESTART_SLOW,		/* limit hit, action slow: crashloop, the
				   delay is backoff.max */
};

/* Does the policy restart a process that ended with wait `status`? */
bool		 restart_wanted(const struct manifest *, int status);
/*
 * The delay before the restart that follows `crashes` consecutive
 * crashes (1: the first): initial * multiplier^(crashes - 1), spread by
 * jitter using `draw` (uniform in [0, 1)), never above max.
 */
uint64_t	 restart_backoff_ms(const struct manifest *, unsigned crashes,
		    double draw);
/*
 * One more crash at `now` of a process that had run `ran_ms`: counts it
 * and decides. A run of reset_after or more forgets the earlier crashes
 * (the delay starts over at initial, a crash loop ends). Past `burst`
 * restarts within `interval` of the first one, the limit decides: once
 * slow, slow until a run of reset_after. *delay_ms is set for
 * RESTART_AFTER and RESTART_SLOW.
 */
enum restart_verdict restart_next(const struct manifest *,
		    struct restart_count *, uint64_t now, uint64_t ran_ms,
		    double draw, uint64_t *delay_ms);
/* Forget every crash (a new revision, start, restart). */
void		 restart_count_clear(struct restart_count *);
/* "restart limit hit: N restarts within 60s" (malloc'd). */
char		*restart_limit_reason(const struct manifest *,
		    const struct restart_count *);

#endif
