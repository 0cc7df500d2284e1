#!/bin/bash
# deploy.canary: the rollout stops after N healthy new instances (the
# others still old) until `rollout promote`; `rollout pause` holds it
# anywhere and `resume` lets it go on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

deploy='deploy: {max_surge: 1, max_unavailable: 0, canary: 1, min_healthy_time: 500ms}'
write_manifest svc 'instances: 3' 'env: {V: "1"}' "$deploy"
start_droverd
wait_for "svc ready" all_ready svc 3
old_rev=$(svc_field revision svc)

write_manifest svc 'instances: 3' 'env: {V: "2"}' "$deploy"
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply"
new_rev=$(svc_field revision svc)
WAIT_SECS=30 wait_for "the canary pause" rollout_state_is svc canary
sleep 1.5	# it stays paused
rollout_state_is svc canary || fail "canary did not hold: $(rollout_field state svc)"
n_new=$(revision_pids svc "$new_rev" | wc -w)
n_old=$(revision_pids svc "$old_rev" | wc -w)
[ "$n_new" = 1 ] && [ "$n_old" = 2 ] || fail "at the canary: $n_new new, $n_old old (want 1 and 2)"
ctl rollout status svc | grep -q "canary" || fail "status does not show the canary: $(ctl rollout status svc)"

# pause before promoting: promote lets it go on only after resume
ctl rollout pause svc >/dev/null || fail "pause"
rollout_state_is svc paused || fail "not paused: $(rollout_field state svc)"
ctl rollout promote svc >/dev/null || fail "promote"
sleep 1
rollout_state_is svc paused || fail "promote ended a pause"
[ "$(revision_pids svc "$new_rev" | wc -w)" = 1 ] || fail "a paused rollout went on"
ctl rollout resume svc >/dev/null || fail "resume"
WAIT_SECS=30 ctl rollout status --watch svc >/dev/null || fail "the promoted rollout did not complete"
[ "$(revision_pids svc "$new_rev" | wc -w)" = 3 ] || fail "not every instance is new"
[ "$(revision_pids svc "$old_rev")" = "" ] || fail "old instances left"

# nothing to promote now
ctl rollout promote svc 2>/dev/null && fail "promote without a rollout succeeded"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DROVER_SOCKET" -X POST http://drover/api/v1/services/svc/rollout/promote)
[ "$code" = 409 ] || fail "promote without a rollout: HTTP $code, want 409"
pass
