#!/bin/bash
# A bad revision fails its rollout and is rolled back automatically, the
# old instances kept running all along: one that exits at once (fails
# fast, state failed), one that never becomes ready (healthy_deadline).
# `rollout status --watch` exits 1 for both; without auto_rollback the
# rollout stays failed and the old instances keep serving.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

good() {
	cat > "$MAN/svc.yaml" <<EOM
name: svc
command: ["/bin/sleep", "100000"]
instances: 3
deploy: {max_surge: 1, max_unavailable: 0, healthy_deadline: 3s, auto_rollback: $1}
EOM
}
good true
start_droverd
wait_for "svc ready" all_ready svc 3
good_rev=$(svc_field revision svc)
old=$(pids svc)

check_old_kept() {	# every sample has the 3 old pids alive and ready
	python3 - "$SAMPLES" "$old" <<'PY' || fail "old instances were not kept"
import json, sys
old = {int(p.split(":")[1]) for p in sys.argv[2].split()}
for line in open(sys.argv[1]):
    s = json.loads(line)
    ready = {i["pid"] for i in s["instances"] if i["state"] == "ready"}
    if not old <= ready:
        print("at %.3f old %s not all ready: %s" % (s["t"], old, s["instances"]))
        sys.exit(1)
PY
}

# 1. exits at once
cat > "$MAN/svc.yaml" <<'EOM'
name: svc
command: ["/bin/sh", "-c", "exit 3"]
instances: 3
restart: {limit: {burst: 2, interval: 60s}}
deploy: {max_surge: 1, max_unavailable: 0, min_healthy_time: 1s, healthy_deadline: 30s}
EOM
sampler_start svc
sleep 0.2
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply failed"
bad_rev=$(svc_field revision svc)
out=$(WAIT_SECS=60 ctl rollout status --watch svc) && fail "watch exited 0 for a failed rollout: $out"
echo "$out" | grep -q "rollback" || fail "watch did not show the rollback: $out"
sampler_stop
[ "$(svc_field revision svc)" = "$good_rev" ] || fail "not rolled back to $good_rev"
[ "$(rollout_field rollback svc)" = true ] || fail "the last rollout is not the rollback"
[ "$(rollout_field state svc)" = complete ] || fail "the rollback did not complete"
[ "$(pids svc)" = "$old" ] || fail "old instances replaced: $old -> $(pids svc)"
check_old_kept
ctl rollout history svc | tail -n1 | grep -q "rollback to $good_rev (rollout of $bad_rev failed: instance 3 failed" ||
	fail "history does not say why: $(ctl rollout history svc | tail -n1)"
ctl -o json events | grep -q '"kind":"rollout"' || fail "no rollout events"

# 2. never ready: a readiness probe that never passes
cat > "$MAN/svc.yaml" <<'EOM'
name: svc
command: ["/bin/sleep", "100001"]
instances: 3
health: {readiness: {tcp: {port: 1}, interval: 200ms, timeout: 100ms}}
deploy: {max_surge: 1, max_unavailable: 0, healthy_deadline: 2s}
EOM
sampler_start svc
sleep 0.2
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply failed"
WAIT_SECS=60 ctl rollout status --watch svc >/dev/null && fail "watch exited 0 for a never-ready revision"
sampler_stop
[ "$(svc_field revision svc)" = "$good_rev" ] || fail "not rolled back after the healthy deadline"
ctl rollout history svc | tail -n1 | grep -q "not healthy within 2s" || fail "history: $(ctl rollout history svc | tail -n1)"
[ "$(pids svc)" = "$old" ] || fail "old instances replaced"
check_old_kept
[ "$(own_sleeps 100001)" = 0 ] || fail "a never-ready instance still runs"

# 3. without auto_rollback: failed, and the old instances serve on
good false
ctl apply -f "$MAN/svc.yaml" >/dev/null
WAIT_SECS=60 wait_for "the no-op rollout" rollout_done svc
old=$(pids svc)
cat > "$MAN/svc.yaml" <<'EOM'
name: svc
command: ["/bin/sh", "-c", "exit 3"]
instances: 3
restart: {limit: {burst: 2, interval: 60s}}
deploy: {max_surge: 1, max_unavailable: 0, min_healthy_time: 1s, auto_rollback: false}
EOM
ctl apply -f "$MAN/svc.yaml" >/dev/null
WAIT_SECS=60 wait_for "the rollout to fail" rollout_state_is svc failed
bad_rev=$(svc_field revision svc)
sleep 1
[ "$(svc_field revision svc)" = "$bad_rev" ] || fail "rolled back without auto_rollback"
for pair in $old; do alive "${pair#*:}" || fail "old instance $pair died"; done
pass
