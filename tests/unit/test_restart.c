/*
 * test_restart.c — the agent's restart decision (agent/restart.c): the
 * policy with exit_codes, the backoff delay with every knob, and the
 * restart limit with both actions.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "manifest.h"
#include "restart.h"

#define EXITED(code)	W_EXITCODE(code, 0)
#define SIGNALED(sig)	W_EXITCODE(0, sig)

/* A manifest with `restart:` given as YAML flow text. */
static struct manifest *
with_restart(const char *restart)
{
	struct manifest	*m;
	struct diags	 d = { 0 };
	char		 buf[512];

	snprintf(buf, sizeof(buf), "name: t\ncommand: [/bin/true]\n"
	    "restart: %s\n", restart);
	m = manifest_parse_yaml(buf, strlen(buf), "t.yaml", "t", &d);
	assert_non_null(m);
	diags_clear(&d);
	return m;
}

static void
test_policy(void **state)
{
	struct manifest	*m;

	(void)state;
	m = with_restart("{policy: always}");
	assert_true(restart_wanted(m, EXITED(0)));
	assert_true(restart_wanted(m, EXITED(1)));
	assert_true(restart_wanted(m, SIGNALED(SIGKILL)));
	manifest_free(m);

	m = with_restart("{policy: on-failure}");
	assert_false(restart_wanted(m, EXITED(0)));
	assert_true(restart_wanted(m, EXITED(3)));
	assert_true(restart_wanted(m, SIGNALED(SIGTERM)));
	manifest_free(m);

	m = with_restart("{policy: on-failure, exit_codes: [0, 3]}");
	assert_false(restart_wanted(m, EXITED(0)));
	assert_false(restart_wanted(m, EXITED(3)));
	assert_true(restart_wanted(m, EXITED(4)));
	/* A signal is a failure even when its number is listed. */
	assert_true(restart_wanted(m, SIGNALED(3)));
	manifest_free(m);

	m = with_restart("{policy: never}");
	assert_false(restart_wanted(m, EXITED(0)));
	assert_false(restart_wanted(m, EXITED(1)));
	assert_false(restart_wanted(m, SIGNALED(SIGKILL)));
	manifest_free(m);
}

static void
test_backoff_grows_and_caps(void **state)
{
	static const uint64_t	 want[] = { 200, 600, 1000, 1000, 1000 };
	struct manifest		*m;
	unsigned		 i;

	(void)state;
	m = with_restart("{backoff: {initial: 200ms, multiplier: 3, max: 1s, "
	    "jitter: 0}}");
	for (i = 0; i < 5; i++)
		assert_int_equal(restart_backoff_ms(m, i + 1, 0.7), want[i]);
	/* Far past the cap: no overflow, no long loop. */
	assert_int_equal(restart_backoff_ms(m, 4000000000u, 0.7), 1000);
	manifest_free(m);

	m = with_restart("{backoff: {initial: 0s, max: 1s}}");
	assert_int_equal(restart_backoff_ms(m, 1, 0.9), 0);
	assert_int_equal(restart_backoff_ms(m, 50, 0.9), 0);
	manifest_free(m);

	/* The defaults: 100ms, x2, 30s. */
	m = with_restart("{backoff: {jitter: 0}}");
	assert_int_equal(restart_backoff_ms(m, 1, 0), 100);
	assert_int_equal(restart_backoff_ms(m, 2, 0), 200);
	assert_int_equal(restart_backoff_ms(m, 10, 0), 30000);
	manifest_free(m);
}

static void
test_backoff_jitter(void **state)
{
	struct manifest	*m;

	(void)state;
	m = with_restart("{backoff: {initial: 100ms, multiplier: 1, max: 10s, "
	    "jitter: 0.5}}");
	assert_int_equal(restart_backoff_ms(m, 1, 0.0), 50);
	assert_int_equal(restart_backoff_ms(m, 1, 0.5), 100);
	assert_in_range(restart_backoff_ms(m, 1, 0.999), 140, 150);
	/* A multiplier of 1 stays put, however many crashes. */
	assert_int_equal(restart_backoff_ms(m, 4000000000u, 0.5), 100);
	manifest_free(m);

	/* Jitter never takes a delay past max. */
	m = with_restart("{backoff: {initial: 1s, max: 1s, jitter: 0.5}}");
	assert_int_equal(restart_backoff_ms(m, 1, 0.999), 1000);
	assert_int_equal(restart_backoff_ms(m, 1, 0.0), 500);
	manifest_free(m);
}

static void
test_reset_after(void **state)
{
	struct restart_count	 rc = { 0 };
	struct manifest		*m;
	uint64_t		 delay = 0, now = 1000;

	(void)state;
	m = with_restart("{backoff: {initial: 200ms, multiplier: 3, max: 1s, "
	    "jitter: 0, reset_after: 1s}, limit: {burst: 100}}");
	assert_int_equal(restart_next(m, &rc, now += 10, 5, 0, &delay),
	    RESTART_AFTER);
	assert_int_equal(delay, 200);
	assert_int_equal(restart_next(m, &rc, now += 10, 999, 0, &delay),
	    RESTART_AFTER);
	assert_int_equal(delay, 600);
	/* Up for reset_after: back to initial. */
	assert_int_equal(restart_next(m, &rc, now += 10, 1000, 0, &delay),
	    RESTART_AFTER);
	assert_int_equal(delay, 200);
	assert_int_equal(rc.crashes, 1);
	manifest_free(m);
}

static void
test_limit_fail(void **state)
{
	struct restart_count	 rc = { 0 };
	struct manifest		*m;
	uint64_t		 delay = 0, now = 5000;
	char			*why;
	int			 i;

	(void)state;
	m = with_restart("{backoff: {initial: 0s}, limit: {burst: 3, "
	    "interval: 1m, action: fail}}");
	for (i = 0; i < 3; i++) {
		assert_int_equal(restart_next(m, &rc, now += 100, 10, 0, &delay),
		    RESTART_AFTER);
		assert_int_equal(delay, 0);
	}
	assert_int_equal(restart_next(m, &rc, now += 100, 10, 0, &delay),
	    RESTART_FAIL);
	why = restart_limit_reason(m, &rc);
	assert_string_equal(why, "restart limit hit: 3 restarts within 60s");
	free(why);

	/* After a clear (start), the burst is allowed again. */
	restart_count_clear(&rc);
	assert_int_equal(restart_next(m, &rc, now += 100, 10, 0, &delay),
	    RESTART_AFTER);
	/* Restarts spread wider than the interval never hit the limit. */
	for (i = 0; i < 10; i++)
		assert_int_equal(restart_next(m, &rc, now += 30001, 10, 0,
		    &delay), RESTART_AFTER);
	manifest_free(m);
}

static void
test_limit_slow(void **state)
{
	struct restart_count	 rc = { 0 };
	struct manifest		*m;
	uint64_t		 delay = 0, now = 5000;

	(void)state;
	m = with_restart("{backoff: {initial: 0s, max: 5s, reset_after: 10s}, "
	    "limit: {burst: 2, interval: 1m, action: slow}}");
	assert_int_equal(restart_next(m, &rc, now += 1, 1, 0, &delay),
	    RESTART_AFTER);
	assert_int_equal(restart_next(m, &rc, now += 1, 1, 0, &delay),
	    RESTART_AFTER);
	assert_int_equal(restart_next(m, &rc, now += 1, 1, 0, &delay),
	    RESTART_SLOW);
	assert_int_equal(delay, 5000);
	/* Slow stays slow, even once the window is long over... */
	assert_int_equal(restart_next(m, &rc, now += 120000, 2000, 0, &delay),
	    RESTART_SLOW);
	assert_int_equal(delay, 5000);
	/* ...until a start stays up for reset_after. */
	assert_int_equal(restart_next(m, &rc, now += 20000, 10000, 0, &delay),
	    RESTART_AFTER);
	assert_int_equal(delay, 0);
	assert_false(rc.slow);
	manifest_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_backoff_grows_and_caps),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_reset_after),
		cmocka_unit_test(test_limit_fail),
		cmocka_unit_test(test_limit_slow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
