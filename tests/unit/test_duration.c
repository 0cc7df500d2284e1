/*
 * test_duration.c — durations and sizes: strict parsing, canonical text,
 * round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "duration.h"

static void
test_duration_valid(void **state)
{
	static const struct {
		const char	*text;
		uint64_t	 ms;
	} cases[] = {
		{ "0", 0 },
		{ "0s", 0 },
		{ "0ms", 0 },
		{ "1ms", 1 },
		{ "100ms", 100 },
		{ "1s", 1000 },
		{ "90s", 90000 },
		{ "1m30s", 90000 },
		{ "2m", 120000 },
		{ "1h30m", 5400000 },
		{ "1s500ms", 1500 },
		{ "1h1m1s1ms", 3661001 },
		{ "007s", 7000 },
		{ "18446744073709551615ms", UINT64_MAX },
	};
	uint64_t	ms;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ms = 42;
		assert_int_equal(duration_parse(cases[i].text, &ms), 0);
		assert_int_equal(ms, cases[i].ms);
	}
}

static void
test_duration_invalid(void **state)
{
	static const char *const cases[] = {
		"",
		"-1s",
		"+1s",
		"1.5s",		/* decimals are refused: write 1s500ms */
		"10",		/* a bare number other than 0 */
		"00",
		"s",
		"ms",
		"1m1h",		/* units out of order */
		"1s1s",
		"1ms1s",
		"1 s",
		" 1s",
		"1s ",
		"1S",
		"1d",
		"1x",
		"10x",
		"18446744073709551616ms",	/* digits overflow */
		"5124095576030432h",		/* unit overflow */
		"5124095576030431h59m59s999ms",	/* sum overflow */
	};
	uint64_t	ms;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		ms = 42;
		assert_int_equal(duration_parse(cases[i], &ms), -EINVAL);
		assert_int_equal(ms, 42);	/* untouched */
	}
	assert_int_equal(duration_parse(NULL, &ms), -EINVAL);
}

static void
test_duration_format(void **state)
{
	static const struct {
		uint64_t	 ms;
		const char	*text;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1ms" },
		{ 100, "100ms" },
		{ 1000, "1s" },
		{ 1500, "1s500ms" },
		{ 60000, "1m" },
		{ 90000, "1m30s" },
		{ 3600000, "1h" },
		{ 5400000, "1h30m" },
		{ 86400000, "24h" },
		{ 3661001, "1h1m1s1ms" },
	};
	char	buf[64];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		duration_format(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
	/* A short buffer is cut, never overrun. */
	memset(buf, 'x', sizeof(buf));
	duration_format(3661001, buf, 4);
	assert_true(strlen(buf) < 4);
	assert_int_equal(buf[4], 'x');
}

static void
test_duration_round_trip(void **state)
{
	static const uint64_t	values[] = {
		0, 1, 999, 1000, 1001, 59999, 60000, 3599999, 3600000,
		123456789, UINT64_MAX - 1, UINT64_MAX,
	};
	char			buf[64];
	uint64_t		ms;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(*values); i++) {
		duration_format(values[i], buf, sizeof(buf));
		assert_int_equal(duration_parse(buf, &ms), 0);
		assert_int_equal(ms, values[i]);
	}
}

static void
test_size_valid(void **state)
{
	static const struct {
		const char	*text;
		uint64_t	 bytes;
	} cases[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "4096B", 4096 },
		{ "512K", 512 * 1024 },
		{ "10M", 10 * 1024 * 1024 },
		{ "10MB", 10 * 1024 * 1024 },
		{ "10MiB", 10 * 1024 * 1024 },
		{ "1G", 1ULL << 30 },
		{ "1GiB", 1ULL << 30 },
		{ "2T", 2ULL << 40 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215T", 16777215ULL << 40 },
	};
	uint64_t	bytes;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bytes = 42;
		assert_int_equal(size_parse(cases[i].text, &bytes), 0);
		assert_int_equal(bytes, cases[i].bytes);
	}
}

static void
test_size_invalid(void **state)
{
	static const char *const cases[] = {
		"",
		"M",
		"1X",
		"-1M",
		"+1M",
		"1.5M",
		"1 M",
		"10m",		/* lower case is a minute elsewhere: refused */
		"1iB",
		"1MiBB",
		"1MM",
		"18446744073709551616",		/* digits overflow */
		"16777216T",			/* unit overflow */
	};
	uint64_t	bytes;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bytes = 42;
		assert_int_equal(size_parse(cases[i], &bytes), -EINVAL);
		assert_int_equal(bytes, 42);
	}
	assert_int_equal(size_parse(NULL, &bytes), -EINVAL);
}

static void
test_size_format(void **state)
{
	static const struct {
		uint64_t	 bytes;
		const char	*text;
	} cases[] = {
		{ 0, "0" },
		{ 1000, "1000" },
		{ 1536, "1536" },
		{ 4096, "4K" },
		{ 10 * 1024 * 1024, "10M" },
		{ 1ULL << 30, "1G" },
		{ 1ULL << 40, "1T" },
		{ 1025ULL << 30, "1025G" },
	};
	static const uint64_t	round[] = {
		0, 1, 1023, 1024, 1025, 4096, 10485760, UINT64_MAX,
		16777215ULL << 40,
	};
	char			buf[64];
	uint64_t		bytes;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		size_format(cases[i].bytes, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
	for (i = 0; i < sizeof(round) / sizeof(*round); i++) {
		size_format(round[i], buf, sizeof(buf));
		assert_int_equal(size_parse(buf, &bytes), 0);
		assert_int_equal(bytes, round[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_duration_round_trip),
		cmocka_unit_test(test_size_valid),
		cmocka_unit_test(test_size_invalid),
		cmocka_unit_test(test_size_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
