#!/bin/bash
# delete stops and removes one service; the others keep running.
. "$(dirname "$0")/lib.sh"

write_manifest doomed 'instances: 2'
write_manifest keeper
start_droverd
wait_for "doomed ready" all_ready doomed 2
wait_for "keeper ready" all_ready keeper 1
d0=$(inst pid doomed 0); d1=$(inst pid doomed 1); k=$(inst pid keeper 0)

ctl delete doomed || fail "delete failed"
wait_for "doomed's processes to exit" bash -c "! kill -0 $d0 2>/dev/null && ! kill -0 $d1 2>/dev/null || { s0=\$(awk '/^State:/{print \$2}' /proc/$d0/status 2>/dev/null); s1=\$(awk '/^State:/{print \$2}' /proc/$d1/status 2>/dev/null); [ \"\${s0:-Z}\" = Z ] && [ \"\${s1:-Z}\" = Z ]; }"
ctl status doomed >/dev/null 2>&1; [ $? -eq 1 ] || fail "status of a deleted service did not fail with 1"
ctl -o json status | grep -q '"doomed"' && fail "deleted service still listed"
[ "$(inst pid keeper 0)" = "$k" ] || fail "keeper was restarted"
[ ! -e "$STATE/services/doomed.json" ] || fail "state file of the deleted service remains"

ctl delete doomed 2>/dev/null; [ $? -eq 1 ] || fail "deleting an unknown service did not exit 1"

# A deleted service stays deleted across a droverd restart even though its
# manifest file is still in the manifests directory (it did not change).
kill "$DROVERD_PID"; wait "$DROVERD_PID"
start_droverd
sleep 0.5
ctl -o json status | grep -q '"doomed"' && fail "deleted service came back after a restart"
[ "$(inst pid keeper 0)" = "$k" ] || fail "keeper was restarted by the droverd restart"
pass
