#!/bin/bash
# A rolling redeploy of 4 instances with max_surge 1, max_unavailable 0 and
# min_healthy_time 1s: sampled throughout, never more than 5 processes,
# never fewer than 4 ready; each replacement waits for min_healthy_time;
# the other service is untouched; the indexes end as 0..3 again. Then a
# `restart` is a rolling restart within the same bounds.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-rollout.sh"

write_manifest web 'instances: 4' 'env: {V: "1"}' \
	'deploy: {max_surge: 1, max_unavailable: 0, min_healthy_time: 1s}'
write_manifest other 'instances: 1'
start_droverd
wait_for "web ready" all_ready web 4
wait_for "other ready" all_ready other 1
other_pids=$(pids other)
old_rev=$(svc_field revision web)

check_bounds() {	# check_bounds FILE MAX_ALIVE MIN_READY
	python3 - "$@" <<'PY' || fail "bounds violated"
import json, sys
path, max_alive, min_ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = 0
for line in open(path):
    s = json.loads(line)
    alive = [i for i in s["instances"] if i["pid"]]
    ready = [i for i in s["instances"] if i["state"] == "ready"]
    if len(alive) > max_alive or len(ready) < min_ready:
        print("at %.3f: %d alive, %d ready: %s" % (s["t"], len(alive), len(ready), s["instances"]))
        sys.exit(1)
    n += 1
if n < 20:
    print("only %d samples" % n)
    sys.exit(1)
print("%d samples within bounds" % n)
PY
}

sampler_start web
sleep 0.3
t0=$(date +%s.%N)
write_manifest web 'instances: 4' 'env: {V: "2"}' \
	'deploy: {max_surge: 1, max_unavailable: 0, min_healthy_time: 1s}'
ctl apply -f "$MAN/web.yaml" >/dev/null || fail "apply failed"
new_rev=$(svc_field revision web)
[ "$new_rev" != "$old_rev" ] || fail "no new revision"
WAIT_SECS=60 wait_for "the rollout to complete" rollout_done web
t1=$(date +%s.%N)
sampler_stop
[ "$(rollout_field state web)" = complete ] || fail "rollout ended $(rollout_field state web): $(rollout_field message web)"
check_bounds "$SAMPLES" 5 4
# four replacements, each after its new instance was ready 1s: >= 4s
python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= 4 else 1)" ||
	fail "rollout took $(python3 -c "print($t1 - $t0)") s: min_healthy_time not honoured"
[ "$(revision_pids web "$old_rev")" = "" ] || fail "old instances left: $(revision_pids web "$old_rev")"
idx=$(status_json | python3 -c 'import json,sys; print(" ".join(str(i["index"]) for s in json.load(sys.stdin)["services"] if s["name"]=="web" for i in s["instances"]))')
[ "$idx" = "0 1 2 3" ] || fail "indexes after the rollout: $idx"
all_ready web 4 || fail "web not all ready after the rollout"
[ "$(pids other)" = "$other_pids" ] || fail "the rollout of web restarted other"
p=$(inst pid web 0)
tr '\0' '\n' < "/proc/$p/environ" | grep -qx V=2 || fail "web/0 does not run the new spec"

# A rolling restart: same revision, new processes, same bounds.
before=$(pids web)
sampler_start web
sleep 0.3
ctl restart web >/dev/null || fail "restart failed"
WAIT_SECS=60 wait_for "the restart to complete" bash -c "[ \"\$(curl -s --unix-socket '$DROVER_SOCKET' http://drover/api/v1/services/web/rollout | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[\"active\"], r[\"gen\"])')\" = 'False 1' ]"
sampler_stop
check_bounds "$SAMPLES" 5 4
for pair in $before; do
	echo " $(pids web) " | grep -q ":${pair#*:} " && fail "instance $pair not restarted"
done
[ "$(svc_field revision web)" = "$new_rev" ] || fail "restart changed the revision"
[ "$(pids other)" = "$other_pids" ] || fail "restarting web restarted other"
pass
