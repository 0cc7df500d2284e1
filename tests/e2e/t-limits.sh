#!/bin/bash
# limits and identity: limits.nofile becomes RLIMIT_NOFILE; user and group
# are dropped before exec when the agent is root; limits.memory and
# limits.pids are set in the instance's cgroup where the controllers are
# available, and refused on this host with the reason where they are not.
# An agent that is not root refuses user switching and cgroup limits
# ("needs root"). Parts that need root are skipped without it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

service files '["/bin/sleep", "100000"]' 'limits: {nofile: 1234}'
service mem '["/bin/sleep", "100000"]' 'limits: {memory: 64M}'
service pids '["/bin/sleep", "100000"]' 'limits: {pids: 32}'
if [ "$(id -u)" = 0 ]; then
	service asnobody '["/bin/sleep", "100000"]' 'user: nobody'
	service asdaemon '["/bin/sleep", "100000"]' 'user: nobody' 'group: daemon'
fi
start_droverd

wait_for "files ready" all_ready files 1
p=$(inst pid files 0)
grep -E '^Max open files +1234 +1234 +files' "/proc/$p/limits" >/dev/null ||
	fail "nofile: $(grep 'open files' "/proc/$p/limits")"

if [ "$(id -u)" = 0 ]; then
	wait_for "asnobody ready" all_ready asnobody 1
	p=$(inst pid asnobody 0)
	grep -E '^Uid:\s+65534\s+65534\s+65534\s+65534$' "/proc/$p/status" >/dev/null ||
		fail "user nobody: $(grep Uid "/proc/$p/status")"
	grep -E '^Gid:\s+65534\s+65534\s+65534\s+65534$' "/proc/$p/status" >/dev/null ||
		fail "user nobody, primary group: $(grep Gid "/proc/$p/status")"
	wait_for "asdaemon ready" all_ready asdaemon 1
	p=$(inst pid asdaemon 0)
	grep -E '^Uid:\s+65534\s' "/proc/$p/status" >/dev/null || fail "group daemon: uid $(grep Uid "/proc/$p/status")"
	grep -E '^Gid:\s+1\s+1\s+1\s+1$' "/proc/$p/status" >/dev/null ||
		fail "group daemon: $(grep Gid "/proc/$p/status")"
fi

# memory and pids: enforced through the cgroup, or refused with the reason.
mode=$(grep -F 'drover-agent[' "$TMP/droverd.log" | grep -F 'cgroups: ' | head -n 1)
mnt=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } } }' /proc/self/mountinfo)
check_limit() {	# SERVICE CONTROLLER FILE VALUE
	local p
	case "$mode" in
	*"controllers: "*"$2"*)
		wait_for "$1 ready" all_ready "$1" 1
		p=$(inst pid "$1" 0)
		[ "$(cat "$mnt$(sed -n 's/^0:://p' "/proc/$p/cgroup")/$3")" = "$4" ] ||
			fail "$1: $3 is not $4"
		;;
	*"cgroups: not used"*)
		[ "$(id -u)" = 0 ] || return 0	# checked below as non-root
		wait_state "$1" 0 failed
		[ "$(inst last_error "$1" 0)" = "$2 limit needs the cgroup v2 $2 controller, not available here" ] ||
			fail "$1: last_error '$(inst last_error "$1" 0)'"
		;;
	*)
		wait_state "$1" 0 failed
		[ "$(inst last_error "$1" 0)" = "$2 limit needs the cgroup v2 $2 controller, not available here" ] ||
			fail "$1: last_error '$(inst last_error "$1" 0)'"
		[ "$(count_to "$1/0" starting)" = 0 ] || fail "$1: started without its limit"
		;;
	esac
}
check_limit mem memory memory.max 67108864
check_limit pids pids pids.max 32

# Not root: user switching and cgroup limits are refused as needing root.
[ "$(id -u)" = 0 ] || pass
command -v setpriv >/dev/null || pass
NR=$TMP/nonroot
mkdir -p "$NR/run" "$NR/state" "$NR/man"
chmod 711 "$TMP"
chown -R nobody "$NR"
printf 'name: su\ncommand: ["/bin/sleep", "100000"]\nuser: daemon\n' > "$NR/man/su.yaml"
printf 'name: mem\ncommand: ["/bin/sleep", "100000"]\nlimits: {memory: 64M}\n' > "$NR/man/mem.yaml"
printf 'name: plain\ncommand: ["/bin/sleep", "100000"]\n' > "$NR/man/plain.yaml"
setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$DROVER_BIN/droverd" --foreground --manifests "$NR/man" --run-dir "$NR/run" \
	--state-dir "$NR/state" --listen none >>"$TMP/droverd.log" 2>&1 &
nr_pid=$!
main_socket=$DROVER_SOCKET
export DROVER_SOCKET=$NR/run/droverd.sock
wait_for "the non-root droverd to answer" ctl status
wait_for "plain ready as nobody" all_ready plain 1
grep -E '^Uid:\s+65534\s' "/proc/$(inst pid plain 0)/status" >/dev/null || fail "plain does not run as nobody"
wait_state su 0 failed
[ "$(inst last_error su 0)" = "user daemon: user switching needs root" ] ||
	fail "non-root su: last_error '$(inst last_error su 0)'"
wait_state mem 0 failed
case "$(inst last_error mem 0)" in
"memory limit needs root (cgroup v2 is not writable)") ;;
"memory limit needs the cgroup v2 memory controller, not available here") ;;	# delegated
*) fail "non-root mem: last_error '$(inst last_error mem 0)'" ;;
esac
ctl shutdown --all >/dev/null || fail "non-root shutdown failed"
wait_exit "$nr_pid" 30 || fail "the non-root droverd did not exit"
export DROVER_SOCKET=$main_socket
pass
