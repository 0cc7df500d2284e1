#!/bin/bash
# The event stream: apply, state transitions and delete become events
# with the documented fields and ids that count up by one; droverctl
# events prints them (lines, or JSON with -o json) and -f follows; a
# client that reconnects with Last-Event-ID (or ?since=) gets exactly
# the events it missed, in order; an id from before the ring, or from
# another life of droverd, replays all that is held; the number of
# streams is bounded (503 beyond), and droverd lets go of streams that
# end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"
export PYTHONPATH=$DROVER_SRC/tests/e2e

write_manifest ev 'instances: 1' 'restart: {policy: always, backoff: {initial: 0s}}'
start_droverd
wait_for "ev ready" all_ready ev 1

events_list() { curl -sf --unix-socket "$DROVER_SOCKET" "http://drover/api/v1/events?follow=0${1:-}"; }

# The fields, the kinds, the ids; apply and the way to ready are there.
events_list | python3 -c '
import json, sys
evs = json.load(sys.stdin)["events"]
keys = {"id", "time", "service", "instance", "kind", "from", "to", "message"}
for e in evs:
    assert keys <= set(e), e
    assert e["kind"] in ("state", "health", "rollout", "apply"), e
ids = [e["id"] for e in evs]
assert ids == list(range(ids[0], ids[0] + len(ids))), ids
assert any(e["kind"] == "apply" and e["service"] == "ev" and e["from"] is None
           and e["to"] and e["instance"] is None for e in evs), evs
assert any(e["kind"] == "state" and e["service"] == "ev" and e["instance"] == 0
           and e["to"] == "ready" for e in evs), evs
' || fail "the event list lacks fields or events: $(events_list)"

table=$(ctl events) || fail "droverctl events failed"
echo "$table" | grep -Eq '^[0-9T:.-]+Z +ev +apply +- -> [0-9a-f]+' ||
	fail "droverctl events shows no apply line: $table"
echo "$table" | grep -Eq ' ev/0 +state +[a-z]+ -> ready +pid [0-9]+' ||
	fail "droverctl events shows no line of ev/0 getting ready: $table"
ctl -o json events | python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert lines and all(json.loads(l)["id"] for l in lines)
' || fail "droverctl -o json events is not one JSON event a line"

# droverctl events -f: the held events, then new ones; SIGINT ends it.
"$DROVER_BIN/droverctl" events -f > "$TMP/follow" 2> "$TMP/follow.err" &
follower=$!
wait_for "the follower's backlog" grep -Eq ' ev +apply ' "$TMP/follow"

# A stream from now on: a kill shows as ready -> starting (no backoff).
pid0=$(inst pid ev 0)
python3 - "$DROVER_SOCKET" "$pid0" "$TMP/first" <<'PY' || fail "the live stream did not carry the restart"
import json, os, signal, sys
from sse import Stream
sock, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = Stream(unix=sock)
assert s.status == 200 and s.content_type.startswith("text/event-stream"), s.content_type
os.kill(pid, signal.SIGKILL)
seen = []
for e in s.events(until=lambda e: e["service"] == "ev" and e["to"] == "ready"):
    seen.append(e)
assert seen[0]["from"] == "ready", seen
assert [e["id"] for e in seen] == list(range(seen[0]["id"], seen[0]["id"] + len(seen)))
json.dump(seen, open(out, "w"))
PY
wait_for "the restart in droverctl events -f" grep -Eq ' ev/0 +state +ready -> ' "$TMP/follow"
kill -INT "$follower"
wait_exit "$follower" 10 || fail "events -f did not end on SIGINT"
wait "$follower"; rc=$?
[ "$rc" = 0 ] || fail "events -f exited $rc on SIGINT: $(cat "$TMP/follow.err")"

# Disconnected: more happens (a kill, a restart through the API).
last=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[-1]["id"])' "$TMP/first")
wait_for "ev ready again" all_ready ev 1
pid1=$(inst pid ev 0)
kill -9 "$pid1"
wait_for "ev restarted" bash -c "p=\$(\"$DROVER_BIN/droverctl\" -o json status ev | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"pid\"])'); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid1 ]"
wait_for "ev ready after the second kill" all_ready ev 1
pid2=$(inst pid ev 0)
ctl restart ev >/dev/null || fail "restart ev failed"
wait_for "ev restarted through the API" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status ev | python3 -c 'import json,sys; i=json.load(sys.stdin)[\"services\"][0][\"instances\"][0]; print(i[\"state\"], i[\"pid\"] not in ($pid2, 0))')\" = 'ready True' ]"

# Reconnecting with Last-Event-ID (and with ?since=) misses nothing.
python3 - "$DROVER_SOCKET" "$last" <<'PY' || fail "a reconnect with Last-Event-ID missed or repeated events"
import sys
from sse import Stream, get_json
sock, last = sys.argv[1], int(sys.argv[2])
status, held = get_json("/api/v1/events?follow=0", unix=sock)
want = [e for e in held["events"] if e["id"] > last]
assert want and want[0]["id"] == last + 1, (last, held["events"][:3])
newest = want[-1]["id"]
for how in ("header", "query"):
    if how == "header":
        s = Stream(unix=sock, last_event_id=last)
    else:
        s = Stream(unix=sock, path="/api/v1/events?since=%d" % last)
    got = list(s.events(until=lambda e: e["id"] >= newest))
    s.close()
    assert got == want, (how, [e["id"] for e in got], [e["id"] for e in want])
# the missed events include both restarts
assert sum(1 for e in want if e["from"] == "ready" and e["instance"] == 0) >= 2, want
status, since = get_json("/api/v1/events?follow=0&since=%d" % last, unix=sock)
assert since["events"] == want
# An id from another life of droverd (beyond the newest): all that is held.
s = Stream(unix=sock, last_event_id=newest + 10**9)
got = list(s.events(until=lambda e: e["id"] >= newest))
assert [e["id"] for e in got] == [e["id"] for e in held["events"]], "replay after a restart"
PY

# Bad queries are refused.
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DROVER_SOCKET" 'http://drover/api/v1/events?since=x')
[ "$code" = 400 ] || fail "?since=x answered $code, want 400"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DROVER_SOCKET" 'http://drover/api/v1/events?bogus=1')
[ "$code" = 400 ] || fail "?bogus=1 answered $code, want 400"

# At most 128 streams; the next is refused, and a freed place is reused.
fds() { ls "/proc/$DROVERD_PID/fd" | wc -l; }
base=$(fds)
python3 - "$DROVER_SOCKET" <<'PY' || fail "the number of event streams is not bounded"
import sys
from sse import Stream
sock = sys.argv[1]
streams = [Stream(unix=sock) for _ in range(128)]
assert all(s.status == 200 for s in streams)
extra = Stream(unix=sock)
assert extra.status == 503, extra.status
extra.close()
streams.pop().close()
import time
for _ in range(200):      # droverd notices the close, then has a place
    s = Stream(unix=sock)
    if s.status == 200:
        break
    s.close()
    time.sleep(0.05)
assert s.status == 200, s.status
PY
wait_for "droverd's fds back to $base after the streams closed" bash -c "[ \$(ls /proc/$DROVERD_PID/fd | wc -l) -le $base ]"

# The agent dies and comes back: its inventory makes no event for an
# instance it kept, and one for an instance it started again (another
# pid, whatever the state), so that watchers learn of the new process.
mark=$(events_list | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][-1]["id"])')
oldpid=$(inst pid ev 0)
oldagent=$(agent_pid) || fail "no agent process"
kill -9 "$oldagent"
linked() {
	curl -sf --unix-socket "$DROVER_SOCKET" http://drover/api/v1/agents | python3 -c '
import json, sys
a = json.load(sys.stdin)["agents"][0]
sys.exit(0 if a["connected"] and a.get("pid") not in (None, int(sys.argv[1])) else 1)' "$oldagent"
}
wait_for "a new agent linked" linked
wait_for "ev ready with the new agent" all_ready ev 1
newpid=$(inst pid ev 0)
events_list "&since=$mark" | python3 -c '
import json, sys
old, new = sys.argv[1], sys.argv[2]
evs = [e for e in json.load(sys.stdin)["events"]
       if e["service"] == "ev" and e["instance"] == 0 and e["kind"] == "state"]
if old == new:
    assert not evs, evs
else:
    assert any("pid " + new in (e["message"] or "") for e in evs), evs
' "$oldpid" "$newpid" || fail "the agent's inventory made wrong events (pid $oldpid -> $newpid)"

# Delete is an apply event towards no revision.
ctl delete ev >/dev/null || fail "delete ev failed"
events_list | python3 -c '
import json, sys
evs = json.load(sys.stdin)["events"]
e = evs[-1]
assert any(e["kind"] == "apply" and e["service"] == "ev" and e["to"] is None and
           e["message"] == "deleted" for e in evs), evs[-3:]
' || fail "delete made no apply event"
pass
