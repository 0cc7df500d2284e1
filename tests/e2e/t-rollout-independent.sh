#!/bin/bash
# Two services rolled out at the same time progress independently (one
# slow, one fast); a third is untouched; a service whose dependency is
# not ready holds its rollout in `waiting` and goes on once it is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

write_manifest slow 'instances: 2' 'env: {V: "1"}' 'deploy: {min_healthy_time: 3s}'
write_manifest fast 'instances: 2' 'env: {V: "1"}'
write_manifest db 'instances: 1'
write_manifest app 'instances: 1' 'depends_on: [db]' 'env: {V: "1"}'
write_manifest calm 'instances: 1'
start_droverd
for s in slow fast app calm; do wait_for "$s ready" all_ready "$s" "$([ $s = app ] || [ $s = calm ] && echo 1 || echo 2)"; done
calm_pids=$(pids calm)

write_manifest slow 'instances: 2' 'env: {V: "2"}' 'deploy: {min_healthy_time: 3s}'
write_manifest fast 'instances: 2' 'env: {V: "2"}'
ctl apply -f "$MAN/slow.yaml" -f "$MAN/fast.yaml" >/dev/null 2>&1 ||
	{ ctl apply -f "$MAN/slow.yaml" >/dev/null && ctl apply -f "$MAN/fast.yaml" >/dev/null; } || fail "apply"
WAIT_SECS=30 wait_for "fast to complete" rollout_done fast
[ "$(rollout_field state fast)" = complete ] || fail "fast: $(rollout_field state fast)"
rollout_done slow && fail "slow completed as fast as fast: they are not independent"
WAIT_SECS=60 wait_for "slow to complete" rollout_done slow
[ "$(rollout_field state slow)" = complete ] || fail "slow: $(rollout_field state slow)"
[ "$(pids calm)" = "$calm_pids" ] || fail "calm was restarted"

# dependency hold
app_pids=$(pids app)
ctl stop db >/dev/null
write_manifest app 'instances: 1' 'depends_on: [db]' 'env: {V: "2"}'
ctl apply -f "$MAN/app.yaml" >/dev/null
WAIT_SECS=30 wait_for "app's rollout to wait" rollout_state_is app waiting
rollout_field message app | grep -q "db not ready" || fail "message: $(rollout_field message app)"
sleep 1
rollout_state_is app waiting || fail "the rollout went on without db"
[ "$(pids app)" = "$app_pids" ] || fail "app's instance was replaced while db is down"
ctl start db >/dev/null
WAIT_SECS=30 wait_for "app's rollout" rollout_done app
[ "$(rollout_field state app)" = complete ] || fail "app: $(rollout_field state app)"
wait_for "app ready" all_ready app 1
pass
