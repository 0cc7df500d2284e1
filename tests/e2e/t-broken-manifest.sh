#!/bin/bash
# A broken manifest is refused whole, every problem reported as
# file:line:col: field: message, and nothing that runs changes.
. "$(dirname "$0")/lib.sh"

write_manifest good
start_droverd
wait_for "good ready" all_ready good 1
rev=$(svc_field revision good)
pid=$(inst pid good 0)

cat > "$TMP/good.yaml" <<'YAML'
name: good
command: ["/bin/sleep", "1"]
instances: twelve
restart:
  policy: sometimes
  backoff: {initial: 10x}
bogus: 1
YAML
out=$(ctl apply -f "$TMP/good.yaml" 2>&1) && fail "broken manifest accepted"
echo "$out" | grep -q "^$TMP/good.yaml:3:12: instances: " || fail "no instances error: $out"
echo "$out" | grep -q "^$TMP/good.yaml:5:11: restart.policy: " || fail "no policy error: $out"
echo "$out" | grep -q "^$TMP/good.yaml:6:22: restart.backoff.initial: " || fail "no duration error: $out"
echo "$out" | grep -q "^$TMP/good.yaml:7:1: bogus: " || fail "no unknown-key error: $out"
[ "$(svc_field revision good)" = "$rev" ] || fail "revision changed"
[ "$(inst pid good 0)" = "$pid" ] || fail "instance restarted"

# A directory with one bad file applies nothing at all.
mkdir "$TMP/dir"
cp "$TMP/good.yaml" "$TMP/dir/bad.yaml"
printf 'name: fresh\ncommand: ["/bin/sleep", "100000"]\n' > "$TMP/dir/fresh.yaml"
ctl apply -f "$TMP/dir" >/dev/null 2>&1 && fail "directory with a broken file accepted"
ctl status fresh >/dev/null 2>&1 && fail "the valid file of a refused directory was applied"

# The API refuses a bad JSON manifest with 400 and every problem listed.
code=$(curl -s -o "$TMP/body" -w '%{http_code}' --unix-socket "$DROVER_SOCKET" \
	-X PUT -H 'Content-Type: application/json' \
	-d '{"command": [], "instances": -1}' http://drover/api/v1/services/good)
[ "$code" = 400 ] || fail "API answered $code to an invalid manifest"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert e["code"]=="invalid_manifest" and len(e["details"])>=2, e' "$TMP/body" ||
	fail "bad error body: $(cat "$TMP/body")"
[ "$(inst pid good 0)" = "$pid" ] || fail "instance restarted"

# droverd --check and droverctl validate say the same, offline.
out=$("$DROVER_BIN/droverd" --check "$TMP/good.yaml" 2>&1) && fail "--check accepted it"
echo "$out" | grep -q "^$TMP/good.yaml:7:1: bogus: " || fail "--check output: $out"
out=$(ctl --socket /nonexistent validate "$TMP/good.yaml" 2>&1) && fail "validate accepted it"
echo "$out" | grep -q "^$TMP/good.yaml:3:12: instances: " || fail "validate output: $out"
"$DROVER_BIN/droverd" --check "$MAN" >/dev/null || fail "--check refused a good directory"
pass
