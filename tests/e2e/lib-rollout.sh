# Helpers for rollout tests: sourced after lib.sh.

# rollout_field FIELD SERVICE: one field of the service's last rollout.
rollout_field() {
	curl -s --unix-socket "$DROVER_SOCKET" \
		"http://drover/api/v1/services/$2/rollout" |
		python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else str(v).lower() if isinstance(v,bool) else v)' "$1"
}

rollout_state_is() { [ "$(rollout_field state "$1")" = "$2" ]; }
rollout_done() { [ "$(rollout_field active "$1")" = false ]; }

# sampler_start SERVICE: sample its instances in the background.
sampler_start() {
	SAMPLES="$TMP/samples-$1.jsonl"
	python3 "$(dirname "$0")/sampler.py" "$DROVER_SOCKET" "$1" "$SAMPLES" &
	SAMPLER_PID=$!
}

sampler_stop() {
	kill "$SAMPLER_PID" 2>/dev/null
	wait "$SAMPLER_PID" 2>/dev/null || true
}

# revision_pids SERVICE REV: pids of its instances on that revision.
revision_pids() {
	status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print(" ".join(str(i["pid"]) for i in s["instances"] if i["revision"] == sys.argv[2] and i["pid"]))' "$1" "$2"
}

# own_sleeps ARG: how many live `/bin/sleep ARG` processes this test
# started (other tests may run the same command at the same time).
own_sleeps() {
	pgrep -f "^/bin/sleep $1\$" | while read -r p; do
		grep -qzx "DROVER_TEST_TMP=$TMP" "/proc/$p/environ" 2>/dev/null &&
			alive "$p" && echo "$p"
	done | wc -l
}
