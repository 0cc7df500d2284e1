#!/bin/bash
# depends_on: a service is held in `waiting (db not ready)` while a service
# it depends on is not ready — at start and when it must start again — and
# starts once the dependency is ready. Services without it never wait.
. "$(dirname "$0")/lib.sh"

# db becomes ready only once $TMP/db-ok exists (a readiness probe).
cat > "$TMP/ready.sh" <<'SH'
#!/bin/sh
[ -e "$1" ]
SH
chmod +x "$TMP/ready.sh"
cat > "$MAN/db.yaml" <<YAML
name: db
command: ["/bin/sleep", "100000"]
health:
  readiness: {exec: {command: ["$TMP/ready.sh", "$TMP/db-ok"]}, interval: 1s, timeout: 1s}
YAML
write_manifest api 'instances: 2' 'depends_on: [db]' 'restart: {backoff: {initial: 0s}}'
write_manifest free
start_droverd
wait_for "free ready" all_ready free 1
state_of() { inst state "$1" "$2"; }
wait_for "api/0 waiting" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status api | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"state\"])')\" = waiting ]"
[ "$(state_of api 1)" = waiting ] || fail "api/1 is $(state_of api 1), want waiting"
[ "$(inst pid api 0)" = 0 ] || fail "a waiting instance has a process"
[ "$(inst last_error api 0)" = "db not ready" ] || fail "waiting reason: $(inst last_error api 0)"
ctl status api | grep -q "waiting (db not ready)" || fail "the table does not say why: $(ctl status api)"
sleep 1
[ "$(state_of api 0)" = waiting ] || fail "api started before db was ready"

touch "$TMP/db-ok"
wait_for "db ready" all_ready db 1
wait_for "api ready once db is" all_ready api 2
[ -z "$(inst last_error api 0)" ] || fail "the waiting reason stayed: $(inst last_error api 0)"

# At runtime: db not ready, an api crash waits instead of restarting.
rm "$TMP/db-ok"
wait_for "db not ready" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status db | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"state\"])')\" = running ]"
p1=$(inst pid api 1)
kill -9 "$(inst pid api 0)"
wait_for "api/0 waiting again" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status api | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"services\"][0][\"instances\"][0][\"state\"])')\" = waiting ]"
[ "$(inst pid api 1)" = "$p1" ] || fail "a running api instance was stopped because db is not ready"
touch "$TMP/db-ok"
wait_for "api ready again" all_ready api 2
pass
