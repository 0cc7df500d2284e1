#!/bin/bash
# State files that cannot be read are reported (a log line naming the
# file), moved aside as FILE.corrupt, and do not keep the daemons from
# starting and serving everything else: a droverd service state file cut
# short and another full of garbage, the agent's persisted assignment and
# its record of instances full of garbage.
. "$(dirname "$0")/lib.sh"

write_manifest a
write_manifest b
write_manifest c
start_droverd
wait_for "a ready" all_ready a 1
wait_for "b ready" all_ready b 1
wait_for "c ready" all_ready c 1
wait_for "the record of instances" test -s "$STATE/agent/instances.json"
ctl shutdown --all >/dev/null || fail "shutdown failed"
wait_exit "$DROVERD_PID" 30 || fail "droverd did not exit"
DROVERD_PID=

svcs=$STATE/services
size=$(stat -c %s "$svcs/a.json")
truncate -s $((size / 2)) "$svcs/a.json"
printf '\x00\x01garbage{{{' > "$svcs/c.json"
printf 'not an assignment\n' > "$STATE/agent/assignment.json"
printf '{"v": 1, "instances": [' > "$STATE/agent/instances.json"
# Without manifests: what runs comes from the state directory only.
rm -f "$MAN"/*.yaml

start_droverd
wait_for "b ready again" all_ready b 1
for f in "$svcs/a.json" "$svcs/c.json" "$STATE/agent/assignment.json" \
    "$STATE/agent/instances.json"; do
	[ -e "$f.corrupt" ] || fail "$f was not moved aside"
	grep -qF "$f: " "$TMP/droverd.log" || fail "no log line names $f"
done
[ -z "$(svc_field name a)" ] || fail "service a is served from a corrupt file"
[ -z "$(svc_field name c)" ] || fail "service c is served from a corrupt file"
# Both daemons work: a new service, and the agent's assignment persisted.
write_manifest d
ctl apply -f "$MAN/d.yaml" >/dev/null || fail "apply failed"
wait_for "d ready" all_ready d 1
wait_for "a new assignment persisted" grep -q '"name":"d"' "$STATE/agent/assignment.json"
pass
