#!/bin/bash
# The systemd units, as the build configures them:
# - `systemd-analyze verify` accepts drover.service and
#   drover-agent.service without a word (ExecStart pointed at the built
#   binaries, Documentation= at the built man pages); a unit with a typo
#   does make it speak, so silence means something;
# - drover.service is Type=notify with KillMode=process (the agent and the
#   services outlive a restart of droverd), runs droverd in the foreground
#   on the packaged manifests directory; drover-agent.service is
#   Type=notify and runs the agent in the foreground;
# - Type=notify holds: droverd and drover-agent each send READY=1 on
#   NOTIFY_SOCKET from their own pid once they serve, and the agent
#   STOPPING=1 when told to stop.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"

UNITS=$TMP/units
mkdir -p "$UNITS" "$TMP/man/man1" "$TMP/man/man5" "$TMP/man/man8"
for p in "$DROVER_BIN"/packaging/man/*.[158].gz; do
	s=${p%.gz}
	cp "$p" "$TMP/man/man${s##*.}/"
done
for u in drover.service drover-agent.service; do
	[ -s "$DROVER_BIN/packaging/$u" ] || fail "$u was not built"
	sed -E "s#^ExecStart=[^ ]*/(droverd|drover-agent) #ExecStart=$DROVER_BIN/\\1 #" \
		"$DROVER_BIN/packaging/$u" >"$UNITS/$u"
	grep -q "^ExecStart=$DROVER_BIN/" "$UNITS/$u" ||
		fail "$u: no ExecStart of a drover binary"
done

# verify UNIT...: systemd-analyze verify, which must say nothing.
verify() {
	(cd "$UNITS" && MANPATH=$TMP/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify "$@") >"$TMP/verify" 2>&1
}
verify drover.service drover-agent.service ||
	fail "systemd-analyze verify: $(cat "$TMP/verify")"
[ -s "$TMP/verify" ] && fail "systemd-analyze verify: $(cat "$TMP/verify")"
sed 's/^KillMode=/KilMode=/' "$UNITS/drover.service" >"$UNITS/typo.service"
verify typo.service
grep -q KilMode "$TMP/verify" || fail "verify does not notice a typo"
rm "$UNITS/typo.service"
log "systemd-analyze verify accepts both units"

# key UNIT KEY: the values of KEY in the unit's [Service] section.
key() {
	awk -F= -v k="$2" '/^\[/ { s = ($0 == "[Service]") }
		s && $1 == k { sub(/^[^=]*=/, ""); print }' "$UNITS/$1"
}
[ "$(key drover.service Type)" = notify ] || fail "drover.service: not Type=notify"
[ "$(key drover.service KillMode)" = process ] ||
	fail "drover.service: not KillMode=process"
[ "$(key drover.service Delegate)" = yes ] || fail "drover.service: not Delegate=yes"
key drover.service ExecStart | grep -q -- "droverd --foreground --manifests .*/drover/manifests" ||
	fail "drover.service: ExecStart $(key drover.service ExecStart)"
[ "$(key drover-agent.service Type)" = notify ] ||
	fail "drover-agent.service: not Type=notify"
key drover-agent.service ExecStart | grep -q -- "drover-agent --foreground" ||
	fail "drover-agent.service: ExecStart $(key drover-agent.service ExecStart)"
grep -q '^WantedBy=multi-user.target' "$UNITS/drover.service" ||
	fail "drover.service: not wanted by multi-user.target"

# A NOTIFY_SOCKET server: every message, one line each, as "PID LINE".
cat >"$TMP/notify.py" <<'EOF'
import socket, struct, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.settimeout(1)
deadline = time.time() + 240
with open(out, "a", buffering=1) as f:
    while time.time() < deadline:
        try:
            msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        pid = 0
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        for line in msg.decode(errors="replace").split("\n"):
            if line:
                f.write("%d %s\n" % (pid, line))
EOF
NOTIFY=$TMP/notify.sock
python3 "$TMP/notify.py" "$NOTIFY" "$TMP/notified" &
disown
wait_for "the notify socket" test -S "$NOTIFY"
touch "$TMP/notified"

# drover-agent on its own, as drover-agent.service runs it.
NOTIFY_SOCKET=$NOTIFY "$DROVER_BIN/drover-agent" --foreground \
	--run-dir "$TMP/agent-run" --state-dir "$TMP/agent-state" \
	>>"$TMP/agent.log" 2>&1 &
apid=$!
wait_for "READY=1 from drover-agent" grep -qx "$apid READY=1" "$TMP/notified"
kill -TERM "$apid"
wait_for "STOPPING=1 from drover-agent" grep -qx "$apid STOPPING=1" "$TMP/notified"
wait_exit "$apid" 20 || fail "drover-agent did not exit on SIGTERM"
wait "$apid" || fail "drover-agent exited $? on SIGTERM"
log "drover-agent: READY=1, then STOPPING=1 on SIGTERM"

# droverd, as drover.service runs it.
write_manifest one
export NOTIFY_SOCKET=$NOTIFY
start_droverd
unset NOTIFY_SOCKET
wait_for "READY=1 from droverd" grep -qx "$DROVERD_PID READY=1" "$TMP/notified"
wait_for "the service" all_ready one 1
others=$(grep -v "^$DROVERD_PID \|^$apid " "$TMP/notified" | xargs)
[ -z "$others" ] || log "note: other processes notified too: $others"
log "droverd: READY=1 from its main pid"

pass
