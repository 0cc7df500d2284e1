/*
 * test_notify_msg.c — parsing sd_notify datagrams (agent/notify-msg.c):
 * the variables the agent acts on, the last of a variable winning,
 * unknown variables and values ignored, STATUS made printable UTF-8 and
 * bounded, MAINPID checked, and the datagrams refused whole.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "notify-msg.h"

static struct notify_msg	m;

static int
parse(const char *s)
{
	return notify_msg_parse(s, strlen(s), &m);
}

static void
test_flags(void **state)
{
	assert_int_equal(parse("READY=1"), 0);
	assert_true(m.ready);
	assert_false(m.reloading || m.stopping || m.watchdog ||
	    m.watchdog_trigger || m.barrier || m.has_status);
	assert_int_equal(m.mainpid, 0);

	assert_int_equal(parse("RELOADING=1\nSTOPPING=1\nWATCHDOG=1\n"
	    "BARRIER=1\n"), 0);
	assert_false(m.ready);
	assert_true(m.reloading && m.stopping && m.watchdog && m.barrier);
	assert_false(m.watchdog_trigger);

	assert_int_equal(parse("WATCHDOG=trigger"), 0);
	assert_true(m.watchdog_trigger);
	assert_false(m.watchdog);
}

static void
test_values_other_than_1(void **state)
{
	assert_int_equal(parse("READY=0\nSTOPPING=yes\nWATCHDOG=\nBARRIER=11"),
	    0);
	assert_false(m.ready || m.stopping || m.watchdog || m.barrier);
	/* the last assignment wins */
	assert_int_equal(parse("READY=1\nREADY=0"), 0);
	assert_false(m.ready);
	assert_int_equal(parse("READY=0\nREADY=1"), 0);
	assert_true(m.ready);
}

static void
test_unknown_ignored(void **state)
{
	assert_int_equal(parse("FDSTORE=1\nERRNO=2\nEXTEND_TIMEOUT_USEC=5\n"
	    "garbage\n\n=1\nready=1\nREADY=1"), 0);
	assert_true(m.ready);
	assert_false(m.has_status);
	assert_int_equal(parse(""), 0);
	assert_false(m.ready);
}

static void
test_status(void **state)
{
	char	long_status[NOTIFY_STATUS_MAX * 2 + 16];

	assert_int_equal(parse("STATUS=warmed up\nREADY=1"), 0);
	assert_true(m.has_status);
	assert_string_equal(m.status, "warmed up");
	assert_int_equal(parse("STATUS="), 0);
	assert_true(m.has_status);
	assert_string_equal(m.status, "");
	assert_int_equal(parse("STATUS=a\nSTATUS=b=c"), 0);
	assert_string_equal(m.status, "b=c");
	/* control characters and bytes that are not UTF-8 */
	assert_int_equal(parse("STATUS=a\tb\x1b[0m\x7f"), 0);
	assert_string_equal(m.status, "a?b?[0m?");
	assert_int_equal(parse("STATUS=caf\xc3\xa9 \xff\xc3 \xe2\x82"), 0);
	assert_string_equal(m.status, "caf\xc3\xa9 ?? ??");
	/* overlong, surrogate */
	assert_int_equal(parse("STATUS=\xc0\xaf\xed\xa0\x80"), 0);
	assert_string_equal(m.status, "?????");
	/* bounded, cut before a character that does not fit */
	strcpy(long_status, "STATUS=");
	memset(long_status + 7, 'x', NOTIFY_STATUS_MAX - 1);
	strcpy(long_status + 7 + NOTIFY_STATUS_MAX - 1, "\xc3\xa9yyy");
	assert_int_equal(parse(long_status), 0);
	assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 1);
}

static void
test_mainpid(void **state)
{
	assert_int_equal(parse("MAINPID=4242"), 0);
	assert_int_equal(m.mainpid, 4242);
	assert_int_equal(parse("MAINPID=0"), 0);
	assert_int_equal(m.mainpid, -1);
	assert_int_equal(parse("MAINPID=-5"), 0);
	assert_int_equal(m.mainpid, -1);
	assert_int_equal(parse("MAINPID=12x"), 0);
	assert_int_equal(m.mainpid, -1);
	assert_int_equal(parse("MAINPID=99999999999"), 0);
	assert_int_equal(m.mainpid, -1);
	assert_int_equal(parse("MAINPID="), 0);
	assert_int_equal(m.mainpid, -1);
}

static void
test_refused(void **state)
{
	static const char	nul[] = "READY=1\0STATUS=x";
	char			big[NOTIFY_MSG_MAX + 2];

	assert_int_equal(notify_msg_parse(nul, sizeof(nul) - 1, &m),
	    -EBADMSG);
	assert_false(m.ready);
	memset(big, '\n', sizeof(big));
	memcpy(big, "READY=1", 7);
	assert_int_equal(notify_msg_parse(big, NOTIFY_MSG_MAX + 1, &m),
	    -EBADMSG);
	assert_false(m.ready);
	assert_int_equal(notify_msg_parse(big, NOTIFY_MSG_MAX, &m), 0);
	assert_true(m.ready);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_values_other_than_1),
		cmocka_unit_test(test_unknown_ignored),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_mainpid),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
