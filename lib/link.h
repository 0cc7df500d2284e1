/*
 * link.h — the agent link: messages between droverd and drover-agent.
 *
 * Transport: a stream socket (the agent listens on <run dir>/agent.sock;
 * droverd connects). Framing: one JSON object per line, '\n'-terminated
 * (the encoder never emits a raw newline inside a message). Every message
 * carries "v" (LINK_VERSION) and "type". Unknown fields are ignored; a
 * missing required field or a malformed line is an error that drops the
 * peer, never the daemon.
 *
 * The link is level-triggered: droverd always sends its whole assignment,
 * the agent converges to it; on (re)connect the agent first sends "hello"
 * then "inventory" (every instance it has). Any message may be lost or
 * repeated without harm.
 *
 * droverd -> agent
 *   {"type":"assign","services":[{
 *        "name": str, "revision": str, "spec": {canonical manifest},
 *        "instances": int,         (indexes 0..instances-1 run here)
 *        "enabled": bool,          (false: stop every instance)
 *        "restart_gen": int,       (changes: restart every instance)
 *        "start_gen": int }]}      (changes: clear failed/crashloop)
 *      A service absent from "services" is stopped and forgotten.
 *      An instance whose revision differs from the assigned one is
 *      replaced; one that runs the assigned revision is left alone.
 *   {"type":"shutdown"}            stop every instance, then exit
 *
 * agent -> droverd
 *   {"type":"hello","pid":int,"version":str,
 *    "cgroup":bool,             (each instance gets its own cgroup v2)
 *    "controllers":[str...]}    (of "memory", "pids": what limits.memory
 *                               and limits.pids need; an instance whose
 *                               limits cannot be enforced goes to failed
 *                               with last_error saying which is missing)
 *   {"type":"inventory","instances":[instance...]}   whole state
 *   {"type":"instance", instance fields...}          one transition
 *   {"type":"removed","service":str,"index":int}     instance is gone
 *
 *   instance = {"service":str,"index":int,"pid":int,"state":str,
 *               "health":str,       (none|unknown|passing|failing)
 *               "health_failures":int,
 *               "health_last":result|null,  (+ "output" for exec)
 *               "health_results":[result...],  (the last 5)
 *               "restarts":int,"revision":str,
 *               "last_error":str|null,"status_text":str|null,
 *               "next_start_ms":int,  (backoff, crashloop: ms left then)
 *               "next_start":int,     (the same as unix ms; 0: none)
 *               "since":int (unix ms of last change)}
 *   result = {"ok":bool,"kind":str,"type":str,"message":str,
 *             "duration_ms":int,"time":int}   (docs/API.md, Health)
 */
#ifndef DROVER_LINK_H
#define DROVER_LINK_H

#include <stddef.h>
#include <jansson.h>

#define LINK_VERSION	1
#define LINK_LINE_MAX	(64u * 1024 * 1024)	/* one message, bytes */

/* A new message object {"v":LINK_VERSION,"type":type}. */
json_t		*link_msg_new(const char *type);
/* Encode a message as one line, '\n' included; malloc'd, length in *len. */
char		*link_encode(const json_t *msg, size_t *len);
/*
 * Decode one line (without its '\n'). Returns the message, or NULL and a
 * malloc'd reason in *cause when it is not JSON, not an object, has no
 * string "type", or a "v" other than LINK_VERSION.
 */
json_t		*link_decode(const char *line, size_t len, char **cause);
/* The message's type (never NULL for a decoded message). */
const char	*link_type(const json_t *msg);

#endif
