#!/bin/bash
# A record whose pid now belongs to another process is not adopted: the
# worker is killed while the keeper is stopped, and its record of
# instances is edited so that svc/0's pid names an unrelated process (a
# pid reused, as the kernel would after a reboot or a wrap). The new
# worker leaves that process alone, starts svc/0 again (saying why in
# last_error) and stops the unexplained copy; svc/1 is adopted as usual.
. "$(dirname "$0")/lib.sh"

printf 'name: svc\ncommand: ["/bin/sleep", "434343"]\ninstances: 2\n' > "$MAN/svc.yaml"
start_droverd
wait_for "svc ready" all_ready svc 2
rec=$STATE/agent/instances.json
wait_for "the record of instances" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["instances"]
sys.exit(not (len(r) == 2 and all(i["state"] == "ready" for i in r)))' "$rec"

worker=$(agent_pid)
keeper=$(awk '{print $4}' /proc/"$worker"/stat)
old0=$(inst pid svc 0)
old1=$(inst pid svc 1)
sleep 434344 &
other=$!

kill -STOP "$keeper"
kill -9 "$worker"
wait_exit "$worker" 10 || fail "the worker did not die"
python3 - "$rec" "$old0" "$other" <<'PY'
import json, sys
path, old, other = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = json.load(open(path))
for i in r["instances"]:
    if i["pid"] == old:
        i["pid"] = other      # the start time stays svc/0's
json.dump(r, open(path, "w"))
PY
kill -CONT "$keeper"

wait_for "a new worker" other_agent "$worker"
wait_for "svc ready" all_ready svc 2
new0=$(inst pid svc 0)
[ "$new0" != "$other" ] || fail "the other process $other was adopted as svc/0"
[ "$new0" != "$old0" ] || fail "svc/0 kept pid $old0 though its record did not name it"
alive "$other" || fail "the other process $other was killed"
[ "$(inst pid svc 1)" = "$old1" ] || fail "svc/1 was not adopted: $old1 -> $(inst pid svc 1)"
case "$(inst last_error svc 0)" in
*"pid $other is now another process"*) ;;
*) fail "last_error of svc/0: '$(inst last_error svc 0)'" ;;
esac
wait_for "the unexplained copy $old0 gone" bash -c "! [ -d /proc/$old0 ] || grep -q '^State:.*Z' /proc/$old0/status"
n=$(pgrep -f '^/bin/sleep 434343$' | while read -r p; do alive "$p" && echo "$p"; done | wc -l)
[ "$n" = 2 ] || fail "$n copies of svc run, want 2"
kill "$other"
pass
