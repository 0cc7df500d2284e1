#!/bin/bash
# kill -9 of droverd in the middle of a rollout: the new droverd resumes
# it from its state file, and no instance is lost or started twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

deploy='deploy: {max_surge: 1, max_unavailable: 0, min_healthy_time: 1500ms}'
cat > "$MAN/svc.yaml" <<EOM
name: svc
command: ["/bin/sleep", "200001"]
instances: 3
$deploy
EOM
start_droverd
wait_for "svc ready" all_ready svc 3
old_rev=$(svc_field revision svc)

# the new revision's processes are told apart by their command line
cat > "$MAN/svc.yaml" <<EOM
name: svc
command: ["/bin/sleep", "200002"]
instances: 3
$deploy
EOM
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply"
new_rev=$(svc_field revision svc)
has_new() { [ "$(own_sleeps 200002)" -ge 1 ]; }
wait_for "the first new instance" has_new
kill -9 "$DROVERD_PID"
wait "$DROVERD_PID" 2>/dev/null
sleep 0.5
before_new=$(own_sleeps 200002)
start_droverd
# at every moment: never more than 4 processes, never two per index
for _ in $(seq 1 100); do
	t=$(( $(own_sleeps 200002) + $(own_sleeps 200001) ))
	[ "$t" -le 4 ] || fail "$t processes during the resumed rollout"
	rollout_done svc && break
	sleep 0.1
done
WAIT_SECS=60 wait_for "the resumed rollout" rollout_done svc
[ "$(rollout_field state svc)" = complete ] || fail "rollout ended $(rollout_field state svc): $(rollout_field message svc)"
grep -q "resuming its rollout" "$TMP/droverd.log" || fail "droverd did not say it resumed"
settled() { [ "$(own_sleeps 200002)" = 3 ] && [ "$(own_sleeps 200001)" = 0 ]; }
wait_for "3 new, 0 old" settled
all_ready svc 3 || fail "svc not ready"
[ "$(revision_pids svc "$new_rev" | wc -w)" = 3 ] || fail "not all on $new_rev"
[ "$before_new" -ge 1 ] || fail "no new instance ran before the kill"
pass
