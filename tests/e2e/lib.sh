# lib.sh — helpers for drover's end-to-end tests (sourced by t-*.sh).
#
# Every test runs the real binaries on a private run dir and state dir
# under a temporary directory, drives them with droverctl, and cleans up
# every process it caused, whatever happens: processes are found by the
# DROVER_TEST_TMP variable that droverd, the agent and every instance
# inherit.
set -u
: "${DROVER_BIN:?set DROVER_BIN to the build directory}"
: "${DROVER_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

TMP=$(mktemp -d /tmp/drover-e2e.XXXXXX)
RUN=$TMP/run
STATE=$TMP/state
MAN=$TMP/manifests
mkdir -p "$RUN" "$STATE" "$MAN"
export DROVER_TEST_TMP=$TMP
export DROVER_SOCKET=$RUN/droverd.sock
DROVERD_PID=
TEST_NAME=$(basename "$0" .sh)

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }

# Every process that carries our marker, except this shell and its parents.
marked_pids() {
	grep -lzx "DROVER_TEST_TMP=$TMP" /proc/[0-9]*/environ 2>/dev/null |
		cut -d/ -f3 | grep -vx "$$"
}

# wait_exit PID SECS: until PID is gone or a zombie (tail --pid and kill -0
# count a zombie as alive), at most SECS seconds. 0 if it went.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}

cleanup() {
	local rc=$? p
	if [ -S "$DROVER_SOCKET" ]; then
		timeout 20 "$DROVER_BIN/droverctl" shutdown --all >/dev/null 2>&1
	fi
	[ -n "$DROVERD_PID" ] && wait_exit "$DROVERD_PID" 10
	for p in $(marked_pids); do kill -9 "$p" 2>/dev/null; done
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		log "FAILED (exit $rc); droverd log:"
		tail -n "${LOG_LINES:-60}" "$TMP/droverd.log" >&2 2>/dev/null
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }
pass() { log "PASS"; exit 0; }

ctl() { "$DROVER_BIN/droverctl" "$@"; }

# start_droverd [extra args]: start droverd in the foreground (background
# job) on the private dirs, and wait until its API answers and, unless
# started with --agent none, its agent is linked (and so done starting).
start_droverd() {
	"$DROVER_BIN/droverd" --foreground --manifests "$MAN" \
		--run-dir "$RUN" --state-dir "$STATE" --listen none "$@" \
		>>"$TMP/droverd.log" 2>&1 &
	DROVERD_PID=$!
	wait_for "droverd to answer" ctl status
	case " $* " in
	*" --agent none "*) ;;
	*) wait_for "the agent link" bash -c "curl -sf --unix-socket \
		'$DROVER_SOCKET' http://drover/healthz | grep -q '\"connected\"'" ;;
	esac
}

# wait_for DESCRIPTION COMMAND...: retry COMMAND for up to WAIT_SECS (20 s).
wait_for() {
	local what=$1 deadline=$((SECONDS + ${WAIT_SECS:-20}))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && fail "timed out waiting for $what"
		sleep 0.05
	done
}

# status_json: the API's status JSON.
status_json() { ctl -o json status; }

# inst FIELD SERVICE INDEX: one field of one instance ("" if absent).
inst() {
	status_json | python3 -c '
import json, sys
field, svc, idx = sys.argv[1], sys.argv[2], int(sys.argv[3])
for s in json.load(sys.stdin)["services"]:
    if s["name"] == svc:
        for i in s["instances"]:
            if i["index"] == idx:
                v = i.get(field)
                print("" if v is None else v)' "$@"
}

# svc_field FIELD SERVICE
svc_field() {
	status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[2]:
        print(s.get(sys.argv[1], ""))' "$@"
}

# pids SERVICE: "index:pid" of every instance, sorted.
pids() {
	status_json | python3 -c '
import json, sys
for s in json.load(sys.stdin)["services"]:
    if s["name"] == sys.argv[1]:
        print(" ".join("%d:%d" % (i["index"], i["pid"]) for i in s["instances"]))' "$1"
}

# all_ready SERVICE N: exactly N instances, each ready with a live pid.
all_ready() {
	status_json | python3 -c '
import json, os, sys
svc, n = sys.argv[1], int(sys.argv[2])
for s in json.load(sys.stdin)["services"]:
    if s["name"] == svc:
        ok = len(s["instances"]) == n and all(
            i["state"] == "ready" and i["pid"] > 0 and os.path.exists("/proc/%d" % i["pid"])
            for i in s["instances"])
        sys.exit(0 if ok else 1)
sys.exit(1)' "$1" "$2"
}

# agent_pid: the agent droverd is linked to (the agent's worker; its
# parent is the agent's keeper). Fails while none is linked.
agent_pid() {
	local p
	p=$(curl -s --unix-socket "$DROVER_SOCKET" http://drover/api/v1/agents |
		python3 -c 'import json,sys; a=json.load(sys.stdin)["agents"][0]; print(a.get("pid") or 0 if a["connected"] else 0)' 2>/dev/null)
	[ -n "$p" ] && [ "$p" != 0 ] && echo "$p"
}

# other_agent PID: droverd is linked to an agent other than PID.
other_agent() { local p; p=$(agent_pid) && [ "$p" != "$1" ]; }

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# write_manifest NAME [extra YAML lines...]: a sleeping service.
write_manifest() {
	local name=$1
	shift
	{
		echo "name: $name"
		echo 'command: ["/bin/sleep", "100000"]'
		for l in "$@"; do echo "$l"; done
	} > "$MAN/$name.yaml"
}
