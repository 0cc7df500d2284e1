#!/bin/bash
# kill -9 of the agent: droverd starts a new one, which supervises the
# services again, and no instance is left running twice — one copy under
# the new agent, none unsupervised. (Re-adopting the running processes
# instead of replacing them needs their output pipes to outlive the agent:
# not built yet, so today the old processes are killed.)
. "$(dirname "$0")/lib.sh"

printf 'name: svc\ncommand: ["/bin/sleep", "424242"]\ninstances: 2\n' > "$MAN/svc.yaml"
start_droverd
wait_for "svc ready" all_ready svc 2
grep -q 'cgroups: each instance' "$TMP/droverd.log" ||
	skip "the agent does not use cgroups here: $(grep -o 'cgroups: .*' "$TMP/droverd.log" | head -n1)"
old=$(pids svc)
agent=$(curl -s --unix-socket "$DROVER_SOCKET" http://drover/api/v1/agents |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["agents"][0]["pid"])')
kill -9 "$agent"

wait_for "a new agent" bash -c "p=\$(curl -s --unix-socket '$DROVER_SOCKET' http://drover/api/v1/agents | python3 -c 'import json,sys; a=json.load(sys.stdin)[\"agents\"][0]; print(a[\"pid\"] if a[\"connected\"] else 0)'); [ \"\$p\" != 0 ] && [ \"\$p\" != $agent ]"
wait_for "svc ready under the new agent" all_ready svc 2
for pair in $old; do
	wait_for "old instance ${pair#*:} gone" bash -c "! [ -d /proc/${pair#*:} ] || grep -q '^State:.*Z' /proc/${pair#*:}/status"
done
running() { pgrep -f '^/bin/sleep 424242$' | while read -r p; do alive "$p" && echo "$p"; done | wc -l; }
[ "$(running)" = 2 ] || fail "$(running) copies run, want exactly 2"

# The new agent supervises: a crash is restarted.
p=$(inst pid svc 0)
kill -9 "$p"
wait_for "svc/0 restarted" bash -c "q=\$(\"$DROVER_BIN/droverctl\" -o json status svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"pid\"])'); [ \"\$q\" != 0 ] && [ \"\$q\" != $p ]"
wait_for "svc ready" all_ready svc 2
[ "$(running)" = 2 ] || fail "$(running) copies run after a restart, want 2"
pass
