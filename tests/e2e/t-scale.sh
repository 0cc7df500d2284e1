#!/bin/bash
# A change of `instances` alone is a scale: instances are added at the
# next indexes or the highest removed, and none is replaced — also with a
# live change beside it. `diff` classes it as scale.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

write_manifest svc 'instances: 2'
start_droverd
wait_for "svc ready" all_ready svc 2
two=$(pids svc)

write_manifest svc 'instances: 4'
ctl diff -f "$MAN/svc.yaml" | grep -q "scale" || fail "diff: $(ctl diff -f "$MAN/svc.yaml")"
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply 4"
wait_for "4 ready" all_ready svc 4
now=$(pids svc)
[ "${now%% 2:*}" = "$two" ] || fail "scaling up replaced instances: $two -> $now"
idx=$(pids svc | tr ' ' '\n' | cut -d: -f1 | tr '\n' ' ')
[ "$idx" = "0 1 2 3 " ] || fail "indexes after scaling up: $idx"

# down to 1, with a live change (restart policy) beside it
write_manifest svc 'instances: 1' 'restart: {policy: on-failure}'
ctl apply -f "$MAN/svc.yaml" >/dev/null || fail "apply 1"
wait_for "1 instance" all_ready svc 1
[ "$(pids svc)" = "${two%% *}" ] || fail "scaling down did not keep instance 0: $(pids svc), want ${two%% *}"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DROVER_SOCKET" http://drover/api/v1/services/svc/rollout)
[ "$code" = 404 ] || fail "a scale made a rollout: $(rollout_field state svc)"
pass
