#!/bin/bash
# Killing an instance makes the agent start a new one (policy always):
# a new pid, a restart count, and the other instance untouched.
. "$(dirname "$0")/lib.sh"

write_manifest svc 'instances: 2' 'restart: {policy: always, backoff: {initial: 0s}}'
start_droverd
wait_for "2 ready instances" all_ready svc 2

old0=$(inst pid svc 0)
# Spawn hygiene: only stdin, stdout, stderr leak into an instance, and it
# leads its own process group.
fds=$(ls /proc/"$old0"/fd | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] || fail "instance has fds other than 0 1 2: $fds"
pgid=$(awk '{print $5}' /proc/"$old0"/stat)
[ "$pgid" = "$old0" ] || fail "instance is not its own process group leader (pgid $pgid)"

old1=$(inst pid svc 1)
[ "$(inst restarts svc 0)" = 0 ] || fail "fresh instance has restarts"
kill -9 "$old0"
wait_for "a new pid for svc/0" bash -c "p=\$(\"$DROVER_BIN/droverctl\" -o json status | python3 -c 'import json,sys; print([i for s in json.load(sys.stdin)[\"services\"] for i in s[\"instances\"] if s[\"name\"]==\"svc\" and i[\"index\"]==0][0][\"pid\"])'); [ \"\$p\" != 0 ] && [ \"\$p\" != $old0 ]"
wait_for "svc ready again" all_ready svc 2
new0=$(inst pid svc 0)
[ "$new0" != "$old0" ] || fail "pid unchanged after kill"
alive "$new0" || fail "new pid $new0 is not running"
[ "$(inst restarts svc 0)" = 1 ] || fail "restarts is $(inst restarts svc 0), want 1"
[ "$(inst pid svc 1)" = "$old1" ] || fail "the other instance was restarted"
[ "$(inst restarts svc 1)" = 0 ] || fail "the other instance counts restarts"

# The table shows the service, the new pid and the restart count.
table=$(ctl status)
echo "$table" | grep -q "^SERVICE" || fail "status table has no header: $table"
echo "$table" | grep -E "svc/0 +$new0 +ready .* 1 " >/dev/null ||
	echo "$table" | grep -E "svc/0" | grep -w "$new0" | grep -qw ready ||
	fail "status table does not show svc/0 with pid $new0: $table"
pass
