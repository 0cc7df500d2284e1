#!/bin/bash
# The example pipeline runs as shipped: records flow collector -> processor
# -> loader, web answers on each instance's port, and api's two instances
# answer on the socket the agent binds for them.
. "$(dirname "$0")/lib.sh"

# Private data dir and ports, so a running example elsewhere is not disturbed.
port=$((20000 + RANDOM % 20000))
for f in "$DROVER_SRC"/manifests/examples/*.yaml; do
	sed -e "s|/tmp/drover-example|$TMP/data|" -e "s|base: 8081|base: $port|" \
		-e "s|127.0.0.1:8090|127.0.0.1:$((port + 2))|" \
		"$f" > "$MAN/$(basename "$f")"
done
"$DROVER_BIN/droverd" --check "$MAN" >/dev/null || fail "examples do not validate"

cd "$DROVER_SRC"	# the examples' commands are relative to the repository root
start_droverd
for svc in collector processor loader web api; do
	n=$(grep -E '^instances:' "$MAN/$svc.yaml" | awk '{print $2}')
	wait_for "$svc ready" all_ready "$svc" "${n:-1}"
done

WAIT_SECS=30 wait_for "3 records in the warehouse" \
	bash -c "[ \$(wc -l < '$TMP/data/warehouse.jsonl' 2>/dev/null || echo 0) -ge 3 ]"
python3 - "$TMP/data/warehouse.jsonl" <<'PY' || fail "warehouse records are not processed records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
seqs = [r.get("seq") for r in recs]
assert all(s is not None for s in seqs), recs[:3]
assert len(seqs) == len(set(seqs)), "a record was loaded twice"
PY
for i in 0 1; do
	WAIT_SECS=10 wait_for "web/$i on port $((port + i))" \
		curl -sf "http://127.0.0.1:$((port + i))/healthz"
	curl -sf "http://127.0.0.1:$((port + i))/" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["instance"] == "web/" + sys.argv[1], d
assert d["loaded"] >= 1, d' "$i" || fail "web/$i does not show the pipeline"
done
# api: both instances answer on the one socket the agent bound, and each
# says so in its status.
seen=
for _ in $(seq 200); do
	seen="$seen $(curl -sf "http://127.0.0.1:$((port + 2))/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["instance"])')"
	case $seen in *api/0*api/1* | *api/1*api/0*) break ;; esac
done
case $seen in *api/0*api/1* | *api/1*api/0*) ;; *) fail "api answered only as:$seen" ;; esac
for i in 0 1; do
	[ "$(inst status_text api "$i")" = "serving api/$i" ] ||
		fail "api/$i status_text: $(inst status_text api "$i")"
done
pass
