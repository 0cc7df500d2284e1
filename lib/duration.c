/*
 * duration.c — strict durations and sizes. See duration.h.
 *
 * Durations are whole milliseconds: one or more NUMBER UNIT parts with
 * units in decreasing order, each at most once ("1h30m", "1s500ms").
 * Decimals are refused ("1.5s" is written "1s500ms"), so that the text
 * and the value map one to one. The canonical text uses the largest
 * units ("90s" is "1m30s"). Sizes are bytes with an optional binary unit;
 * the canonical text uses the largest unit that divides exactly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

static const struct unit {
	const char	*name;
	uint64_t	 mult;
} duration_units[] = {
	{ "h", 3600000 },
	{ "m", 60000 },
	{ "s", 1000 },
	{ "ms", 1 },
};

/* Reads decimal digits at *p into *v; false when none or on overflow. */
static bool
parse_digits(const char **p, uint64_t *v)
{
	const char	*s = *p;
	uint64_t	 n = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = n;
	return true;
}

static int
duration_unit(const char *p, size_t *len)
{
	if (p[0] == 'm' && p[1] == 's') {
		*len = 2;
		return 3;
	}
	*len = 1;
	switch (*p) {
	case 'h':
		return 0;
	case 'm':
		return 1;
	case 's':
		return 2;
	}
	return -1;
}

int
duration_parse(const char *s, uint64_t *ms)
{
	const char	*p = s;
	uint64_t	 total = 0, v;
	size_t		 len;
	int		 u, last = -1;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	while (*p != '\0') {
		if (!parse_digits(&p, &v))
			return -EINVAL;
		if ((u = duration_unit(p, &len)) == -1 || u <= last)
			return -EINVAL;
		p += len;
		last = u;
		if (v > UINT64_MAX / duration_units[u].mult)
			return -EINVAL;
		v *= duration_units[u].mult;
		if (total > UINT64_MAX - v)
			return -EINVAL;
		total += v;
	}
	*ms = total;
	return 0;
}

void
duration_format(uint64_t ms, char *buf, size_t len)
{
	size_t	i, off = 0;
	int	n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < sizeof(duration_units) / sizeof(*duration_units); i++) {
		uint64_t	v = ms / duration_units[i].mult;

		if (v == 0)
			continue;
		ms %= duration_units[i].mult;
		n = snprintf(buf + off, len - off, "%" PRIu64 "%s", v,
		    duration_units[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
	}
}

static const struct unit size_units[] = {
	{ "T", 1ULL << 40 },
	{ "G", 1ULL << 30 },
	{ "M", 1ULL << 20 },
	{ "K", 1ULL << 10 },
};

int
size_parse(const char *s, uint64_t *bytes)
{
	const char	*p = s;
	uint64_t	 v, mult = 1;
	size_t		 i;

	if (s == NULL || !parse_digits(&p, &v))
		return -EINVAL;
	for (i = 0; i < sizeof(size_units) / sizeof(*size_units); i++) {
		if (*p == size_units[i].name[0]) {
			mult = size_units[i].mult;
			p++;
			if (*p == 'i' && p[1] == 'B')
				p++;
			break;
		}
	}
	if (*p == 'B')
		p++;
	if (*p != '\0' || v > UINT64_MAX / mult)
		return -EINVAL;
	*bytes = v * mult;
	return 0;
}

void
size_format(uint64_t bytes, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; bytes != 0 &&
	    i < sizeof(size_units) / sizeof(*size_units); i++) {
		if (bytes % size_units[i].mult == 0) {
			snprintf(buf, len, "%" PRIu64 "%s",
			    bytes / size_units[i].mult, size_units[i].name);
			return;
		}
	}
	snprintf(buf, len, "%" PRIu64, bytes);
}
