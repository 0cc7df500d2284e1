#!/bin/bash
# deploy.bake: a rollout that completed is watched that long; the new
# revision crashing within it rolls back to the previous one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

write_manifest svc 'instances: 2' 'deploy: {bake: 30s}'
start_droverd
wait_for "svc ready" all_ready svc 2
good_rev=$(svc_field revision svc)

# runs fine for 2 s, long enough to complete the rollout, then crashes
cat > "$MAN/svc.yaml" <<'EOM'
name: svc
command: ["/bin/sh", "-c", "sleep 2; exit 1"]
instances: 2
deploy: {bake: 30s}
EOM
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply"
bad_rev=$(svc_field revision svc)
WAIT_SECS=30 wait_for "the bake" rollout_state_is svc baking
[ "$(svc_field revision svc)" = "$bad_rev" ] || fail "not on the new revision while baking"
WAIT_SECS=60 wait_for "the bake rollback" bash -c "[ \"\$(curl -s --unix-socket '$DROVER_SOCKET' http://drover/api/v1/services/svc | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"revision\"])')\" = $good_rev ]"
ctl rollout history svc | tail -n1 | grep -q "rollout of $bad_rev failed: within the bake window" ||
	fail "history: $(ctl rollout history svc | tail -n1)"
WAIT_SECS=30 wait_for "the rollback to complete" rollout_done svc
wait_for "svc ready" all_ready svc 2
[ "$(revision_pids svc "$good_rev" | wc -w)" = 2 ] || fail "not back on $good_rev"

# a healthy revision bakes and completes
write_manifest svc 'instances: 2' 'deploy: {bake: 1s}' 'env: {V: "3"}'
ctl apply -f "$MAN/svc.yaml" >/dev/null
WAIT_SECS=30 ctl rollout status --watch svc >/dev/null || fail "a healthy bake failed"
ctl rollout status svc | grep -q "baked" || fail "status: $(ctl rollout status svc)"
pass
