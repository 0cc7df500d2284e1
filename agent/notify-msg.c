/*
 * notify-msg.c — parsing one sd_notify datagram. See notify-msg.h.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "notify-msg.h"

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		 len, i;
	unsigned	 cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* STATUS text: printable UTF-8, at most NOTIFY_STATUS_MAX bytes. */
static void
status_copy(char *dst, const char *src, size_t n)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = 0, o = 0, k;
	bool			 ok;

	while (i < n) {
		k = utf8_len(s + i, n - i);
		ok = k > 1 || (k == 1 && s[i] >= 0x20 && s[i] != 0x7f);
		if (!ok)
			k = 1;
		if (o + k > NOTIFY_STATUS_MAX)
			break;
		if (ok)
			memcpy(dst + o, s + i, k);
		else
			dst[o] = '?';
		o += k;
		i += k;
	}
	dst[o] = '\0';
}

/* A positive pid in decimal, or -1. */
static pid_t
parse_pid(const char *s, size_t n)
{
	long long	v = 0;
	size_t		i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > 0 && v <= INT_MAX ? (pid_t)v : -1;
}

static bool
value_is(const char *v, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(v, want, n) == 0;
}

/* One "VAR=VALUE" line into *m. */
static void
parse_line(const char *line, size_t n, struct notify_msg *m)
{
	const char	*eq = memchr(line, '=', n), *v;
	size_t		 klen, vlen;

	if (eq == NULL)
		return;
	klen = (size_t)(eq - line);
	v = eq + 1;
	vlen = n - klen - 1;
#define KEY(k)	(klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
	if (KEY("READY"))
		m->ready = value_is(v, vlen, "1");
	else if (KEY("RELOADING"))
		m->reloading = value_is(v, vlen, "1");
	else if (KEY("STOPPING"))
		m->stopping = value_is(v, vlen, "1");
	else if (KEY("BARRIER"))
		m->barrier = value_is(v, vlen, "1");
	else if (KEY("WATCHDOG")) {
		m->watchdog = value_is(v, vlen, "1");
		m->watchdog_trigger = value_is(v, vlen, "trigger");
	} else if (KEY("STATUS")) {
		m->has_status = true;
		status_copy(m->status, v, vlen);
	} else if (KEY("MAINPID"))
		m->mainpid = parse_pid(v, vlen);
#undef KEY
}

int
notify_msg_parse(const char *buf, size_t len, struct notify_msg *out)
{
	const char	*p = buf, *end = buf + len, *nl;

	memset(out, 0, sizeof(*out));
	if (len > NOTIFY_MSG_MAX || memchr(buf, '\0', len) != NULL)
		return -EBADMSG;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		parse_line(p, (size_t)(nl - p), out);
		p = nl + 1;
	}
	return 0;
}
