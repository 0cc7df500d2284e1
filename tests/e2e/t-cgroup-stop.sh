#!/bin/bash
# Where cgroup v2 is writable, each instance runs in its own cgroup under
# the agent's drover subtree, and whatever is left in it dies with the
# instance: a grandchild that called setsid (out of the process group)
# is killed when the instance crashes and when it is stopped. The cgroup
# is reused by the restart, removed once the instance is stopped, and the
# agent's subtree once the agent exits. Skipped (77) where the agent
# runs without cgroups, with the reason it logged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

script tree "setsid -f sh -c 'echo \$\$ > $TMP/gc.pid; exec sleep 100000'; exec sleep 100000"
service tree "[\"$TMP/tree\"]" 'restart: {backoff: {initial: 0s}}'
start_droverd
mode=$(grep -F 'drover-agent[' "$TMP/droverd.log" | grep -F 'cgroups: ' | head -n 1)
[ -n "$mode" ] || fail "the agent did not log its cgroup mode"
case "$mode" in
*"cgroups: not used"*) skip "${mode#*cgroups: }" ;;
esac

# The cgroup2 mount (hybrid hosts: /sys/fs/cgroup/unified).
mnt=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } } }' /proc/self/mountinfo)
[ -n "$mnt" ] || fail "the agent uses cgroups but there is no cgroup2 mount"
cg_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }
sid_of() { awk '{ print $6 }' "/proc/$1/stat"; }

# start_tree: wait for a ready instance and its fresh grandchild.
start_tree() {
	wait_for "tree ready" all_ready tree 1
	wait_for "the grandchild" bash -c "p=\$(cat $TMP/gc.pid 2>/dev/null) && [ -n \"\$p\" ] && [ -d /proc/\$p ]"
	pid=$(inst pid tree 0); gc=$(cat "$TMP/gc.pid")
	rm -f "$TMP/gc.pid"
}

start_tree
cg=$(cg_of "$pid")
case "$cg" in
*/drover/*/tree.0) ;;
*) fail "instance $pid is in cgroup '$cg', want .../drover/<agent>/tree.0" ;;
esac
[ -d "$mnt$cg" ] || fail "no cgroup directory $mnt$cg"
[ "$(cg_of "$gc")" = "$cg" ] || fail "the grandchild is in $(cg_of "$gc"), not $cg"
[ "$(sid_of "$gc")" != "$(sid_of "$pid")" ] || fail "the grandchild did not leave the session"
grep -qx "$pid" "$mnt$cg/cgroup.procs" || fail "cgroup.procs does not list $pid"

# A crash of the main process takes the grandchild with it; the restart
# runs in the same cgroup.
kill -KILL "$pid"
wait_exit "$gc" 10 || fail "setsid grandchild $gc survived the crash of its instance"
start_tree
[ "$(cg_of "$pid")" = "$cg" ] || fail "the restarted instance is in $(cg_of "$pid"), not $cg"
alive "$gc" || fail "the new grandchild died (killed with the old cgroup members?)"
sleep 0.5
alive "$pid" && alive "$gc" || fail "the restarted instance or its grandchild was killed"

# stop: the same, and the cgroup directory goes.
ctl stop tree >/dev/null || fail "stop failed"
wait_state tree 0 exited
wait_exit "$gc" 10 || fail "setsid grandchild $gc survived the stop"
wait_for "cgroup $cg removed" bash -c "[ ! -d '$mnt$cg' ]"

# start makes a new one; shutdown --all removes the agent's subtree.
ctl start tree >/dev/null || fail "start failed"
start_tree
base=$mnt$(dirname "$(cg_of "$pid")")
ctl shutdown --all >/dev/null || fail "shutdown --all failed"
wait_exit "$DROVERD_PID" 30 || fail "droverd did not exit"
wait_exit "$gc" 10 || fail "setsid grandchild $gc survived shutdown --all"
WAIT_SECS=15 wait_for "the agent's cgroup subtree removed" bash -c "[ ! -d '$base' ]"
pass
