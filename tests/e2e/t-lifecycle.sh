#!/bin/bash
# stop, start and restart do what they say, to one service only.
. "$(dirname "$0")/lib.sh"

write_manifest app 'instances: 2'
write_manifest other
start_droverd
wait_for "app ready" all_ready app 2
wait_for "other ready" all_ready other 1
a0=$(inst pid app 0); o=$(inst pid other 0)

ctl stop app >/dev/null || fail "stop failed"
wait_for "app stopped" bash -c "[ \"\$(\"$DROVER_BIN/droverctl\" -o json status app | python3 -c 'import json,sys; print(\" \".join(\"%s/%d\" % (i[\"state\"], i[\"pid\"]) for i in json.load(sys.stdin)[\"services\"][0][\"instances\"]))')\" = 'exited/0 exited/0' ]"
alive "$a0" && fail "stopped instance $a0 still runs"
[ "$(svc_field enabled app)" = False ] || fail "stopped service still enabled"

ctl start app >/dev/null || fail "start failed"
wait_for "app ready again" all_ready app 2
[ "$(inst pid app 0)" != "$a0" ] || fail "start reused the old pid?"

b0=$(inst pid app 0); b1=$(inst pid app 1)
ctl restart app >/dev/null || fail "restart failed"
wait_for "app restarted" bash -c "p0=\$(\"$DROVER_BIN/droverctl\" -o json status app | python3 -c 'import json,sys; print(\" \".join(str(i[\"pid\"]) for i in json.load(sys.stdin)[\"services\"][0][\"instances\"] if i[\"state\"]==\"ready\"))'); set -- \$p0; [ \$# -eq 2 ] && [ \$1 != $b0 ] && [ \$2 != $b1 ]"
[ "$(inst pid other 0)" = "$o" ] || fail "other was touched"
alive "$o" || fail "other died"

ctl start nosuch 2>/dev/null; [ $? -eq 1 ] || fail "start of an unknown service did not exit 1"
ctl frobnicate 2>/dev/null; [ $? -eq 2 ] || fail "unknown verb did not exit 2"
DROVER_SOCKET=$TMP/none.sock ctl status 2>/dev/null; [ $? -eq 3 ] || fail "unreachable daemon did not exit 3"
pass
