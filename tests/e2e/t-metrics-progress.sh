#!/bin/bash
# /metrics fills as things happen: the durations of every health check
# reach the histogram (not only on transitions), and a rollout in
# progress has a drover_rollout_progress sample, gone once it is over.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
write_manifest p 'instances: 2' 'health: {exec: {command: ["/bin/true"]}, interval: 100ms, timeout: 100ms}'
write_manifest r 'instances: 2' 'env: {V: "1"}' 'deploy: {min_healthy_time: 2s}'
start_droverd
wait_for "p ready" all_ready p 2
wait_for "r ready" all_ready r 2

metrics() { curl -sf --unix-socket "$DROVER_SOCKET" http://drover/metrics; }
sample() {	# sample NAME LABELS: the value, or nothing
	metrics | awk -v k="$1{$2}" '$1 == k { print $2 }'
}
counted() { v=$(sample drover_health_check_duration_seconds_count 'service="p"'); [ -n "$v" ] && [ "${v%.*}" -ge 10 ]; }
WAIT_SECS=30 wait_for "health check durations in the histogram" counted
metrics > "$TMP/m1"
promtool check metrics < "$TMP/m1" >/dev/null 2>&1 || fail "promtool: $(promtool check metrics < "$TMP/m1" 2>&1)"
count=$(sample drover_health_check_duration_seconds_count 'service="p"')
inf=$(sample drover_health_check_duration_seconds_bucket 'service="p",le="+Inf"')
[ "$count" = "$inf" ] || fail "count $count but +Inf bucket $inf"
[ "$(sample drover_health_check_duration_seconds_count 'service="r"')" = 0 ] || fail "r has no probe but has durations"
[ -z "$(sample drover_rollout_progress 'service="r"')" ] || fail "a progress sample without a rollout"

write_manifest r 'instances: 2' 'env: {V: "2"}' 'deploy: {min_healthy_time: 2s}'
ctl apply -f "$MAN/r.yaml" >/dev/null
has_progress() { [ -n "$(sample drover_rollout_progress 'service="r"')" ]; }
wait_for "a progress sample" has_progress
v=$(sample drover_rollout_progress 'service="r"')
python3 -c "import sys; sys.exit(0 if 0 <= float('$v') < 1 else 1)" || fail "progress $v"
WAIT_SECS=30 wait_for "the rollout" rollout_done r
[ -z "$(sample drover_rollout_progress 'service="r"')" ] || fail "a progress sample after the rollout"
pass
