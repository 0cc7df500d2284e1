#!/bin/bash
# apply -f: a changed manifest restarts that service's instances only;
# an identical manifest changes nothing (same revision, same pids).
. "$(dirname "$0")/lib.sh"

write_manifest alpha 'instances: 2' 'env: {COLOR: blue}'
write_manifest beta 'instances: 2'
start_droverd
wait_for "alpha ready" all_ready alpha 2
wait_for "beta ready" all_ready beta 2

rev_a=$(svc_field revision alpha)
rev_b=$(svc_field revision beta)
pids_a=$(pids alpha)
pids_b=$(pids beta)

# Identical apply: a no-op.
out=$(ctl apply -f "$MAN") || fail "identical apply failed: $out"
echo "$out" | grep -q "alpha: unchanged" || fail "alpha not reported unchanged: $out"
echo "$out" | grep -q "beta: unchanged" || fail "beta not reported unchanged: $out"
[ "$(svc_field revision alpha)" = "$rev_a" ] || fail "identical apply changed the revision"
[ "$(pids alpha)" = "$pids_a" ] || fail "identical apply restarted alpha"
[ "$(pids beta)" = "$pids_b" ] || fail "identical apply restarted beta"

# Same content, different key order and formatting: still the same revision.
cat > "$TMP/alpha-reordered.yaml" <<'YAML'
env:
  COLOR: blue
instances: 2
command:
  - /bin/sleep
  - "100000"
name: alpha
YAML
out=$(ctl apply -f "$TMP/alpha-reordered.yaml") || fail "reordered apply failed: $out"
echo "$out" | grep -q "alpha: unchanged" || fail "reordered manifest is a new revision: $out"

# A changed alpha: new revision, new alpha pids, beta untouched.
write_manifest alpha 'instances: 2' 'env: {COLOR: green}'
out=$(ctl apply -f "$MAN/alpha.yaml") || fail "apply failed: $out"
echo "$out" | grep -q "alpha: updated" || fail "alpha not reported updated: $out"
new_rev=$(svc_field revision alpha)
[ "$new_rev" != "$rev_a" ] || fail "changed manifest kept the revision"
wait_for "alpha on the new revision" bash -c "
	\"$DROVER_BIN/droverctl\" -o json status | python3 -c '
import json, sys
s = [s for s in json.load(sys.stdin)[\"services\"] if s[\"name\"] == \"alpha\"][0]
sys.exit(0 if all(i[\"revision\"] == \"$new_rev\" and i[\"state\"] == \"ready\" for i in s[\"instances\"]) and len(s[\"instances\"]) == 2 else 1)'"
for pair in $pids_a; do
	old=${pair#*:}
	echo " $(pids alpha) " | grep -q ":$old " && fail "alpha instance $pair was not restarted"
	alive "$old" && fail "old alpha process $old still runs"
done
[ "$(pids beta)" = "$pids_b" ] || fail "applying alpha restarted beta: $pids_b -> $(pids beta)"
[ "$(svc_field revision beta)" = "$rev_b" ] || fail "applying alpha changed beta's revision"

# Both revisions are in alpha's history, newest last, and survive a
# droverd restart (the state dir is the truth).
hist() {
	curl -sf --unix-socket "$DROVER_SOCKET" http://drover/api/v1/services/alpha |
		python3 -c 'import json,sys; print(" ".join(h["revision"] for h in json.load(sys.stdin)["history"]))'
}
[ "$(hist)" = "$rev_a $new_rev" ] || fail "history is '$(hist)', want '$rev_a $new_rev'"
kill "$DROVERD_PID"; wait "$DROVERD_PID"
start_droverd
[ "$(hist)" = "$rev_a $new_rev" ] || fail "history after restart is '$(hist)'"
[ "$(svc_field revision alpha)" = "$new_rev" ] || fail "revision lost across a restart"
wait_for "alpha ready" all_ready alpha 2

# The new instance really has the new environment.
p=$(inst pid alpha 0)
tr '\0' '\n' < "/proc/$p/environ" | grep -qx COLOR=green || fail "new instance lacks COLOR=green"
tr '\0' '\n' < "/proc/$p/environ" | grep -qx SERVICE=alpha || fail "instance lacks SERVICE"
tr '\0' '\n' < "/proc/$p/environ" | grep -qx INSTANCE=0 || fail "instance lacks INSTANCE"
pass
