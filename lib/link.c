/*
 * link.c — encoding and decoding of agent-link messages. See link.h for
 * the protocol; this file only frames and checks the envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "link.h"
#include "util.h"

json_t *
link_msg_new(const char *type)
{
	return json_pack("{s:i, s:s}", "v", LINK_VERSION, "type", type);
}

char *
link_encode(const json_t *msg, size_t *len)
{
	char	*s, *line;
	size_t	 n;

	/* JSON_COMPACT escapes control characters: no raw '\n' inside. */
	s = json_dumps(msg, JSON_COMPACT);
	if (s == NULL)
		abort();
	n = strlen(s);
	line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(s);
	*len = n + 1;
	return line;
}

json_t *
link_decode(const char *line, size_t len, char **cause)
{
	json_error_t	 err;
	json_t		*msg, *v, *type;

	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (msg == NULL) {
		xasprintf(cause, "bad JSON at column %d: %s", err.column,
		    err.text);
		return NULL;
	}
	if (!json_is_object(msg)) {
		xasprintf(cause, "message is not an object");
		goto fail;
	}
	v = json_object_get(msg, "v");
	if (!json_is_integer(v) || json_integer_value(v) != LINK_VERSION) {
		xasprintf(cause, "unsupported link version (want %d)",
		    LINK_VERSION);
		goto fail;
	}
	type = json_object_get(msg, "type");
	if (!json_is_string(type)) {
		xasprintf(cause, "message has no type");
		goto fail;
	}
	return msg;
fail:
	json_decref(msg);
	return NULL;
}

const char *
link_type(const json_t *msg)
{
	const char	*t = json_string_value(json_object_get(msg, "type"));

	return t ? t : "";
}
