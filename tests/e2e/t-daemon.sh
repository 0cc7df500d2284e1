#!/bin/bash
# Without --foreground droverd detaches and returns once it serves its
# socket, holding none of the caller's output open (a pipe reaches EOF);
# a second droverd on the same run dir is refused.
. "$(dirname "$0")/lib.sh"

write_manifest bg 'instances: 2'
out=$(timeout 20 "$DROVER_BIN/droverd" --manifests "$MAN" --run-dir "$RUN" \
	--state-dir "$STATE" --listen none 2>&1 | cat)
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "droverd exited $rc (124: it held the pipe open): $out"
ctl status >/dev/null || fail "droverd does not answer right after it returned"
wait_for "bg ready" all_ready bg 2
DROVERD_PID=$(pgrep -f "droverd --manifests $MAN" | head -n1)
[ -n "$DROVERD_PID" ] || fail "no detached droverd found"
grep -q "ready" "$STATE/droverd.log" || fail "the detached droverd does not log to $STATE/droverd.log"

out=$("$DROVER_BIN/droverd" --foreground --manifests "$MAN" --run-dir "$RUN" \
	--state-dir "$STATE" --listen none 2>&1) && fail "a second droverd started"
echo "$out" | grep -q "already" || fail "the second droverd did not say why: $out"
ctl status >/dev/null || fail "the first droverd stopped answering"
pass
