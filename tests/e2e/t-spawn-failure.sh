#!/bin/bash
# A process that cannot be spawned (missing binary, bad workdir, unknown
# user) is reported with the reason from the child, goes to `failed`, and
# is not retried: not in a loop, not at all until start or a new
# revision. The other services do not notice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

mkdir "$TMP/app"
quick='restart: {backoff: {initial: 0s}, limit: {burst: 1000}}'
service nobin '["./api", "--port", "1"]' "workdir: $TMP/app" "$quick"
service abs '["/nonexistent/bin/api"]' "$quick"
service noexec "[\"$TMP/app/data\"]" "$quick"
service baddir '["/bin/sleep", "100000"]' 'workdir: /nonexistent/dir' "$quick"
service baduser '["/bin/sleep", "100000"]' 'user: drover-no-such-user' "$quick"
service fine '["/bin/sleep", "100000"]'
echo 'not a program' > "$TMP/app/data"
chmod 644 "$TMP/app/data"
start_droverd
wait_for "fine ready" all_ready fine 1
fine=$(inst pid fine 0)

expect() {	# SERVICE LAST_ERROR
	wait_state "$1" 0 failed
	[ "$(inst last_error "$1" 0)" = "$2" ] ||
		fail "$1: last_error '$(inst last_error "$1" 0)', want '$2'"
}
expect nobin 'exec ./api: No such file or directory'
expect abs 'exec /nonexistent/bin/api: No such file or directory'
expect noexec "exec $TMP/app/data: Permission denied"
expect baddir 'chdir /nonexistent/dir: No such file or directory'
expect baduser 'user drover-no-such-user: no such user'

# The table shows the reason.
ctl status nobin | grep -E 'nobin/0 +- +failed .*exec \./api: No such file or directory' >/dev/null ||
	fail "status table: $(ctl status nobin)"

# Not retried: one start each, one failed line each, even after a while.
sleep 1.5
for s in nobin abs noexec baddir baduser; do
	inst_is "$s" 0 failed || fail "$s: left failed, now $(inst state "$s" 0)"
	[ "$(inst restarts "$s" 0)" = 0 ] || fail "$s: restarts $(inst restarts "$s" 0)"
	[ "$(inst pid "$s" 0)" = 0 ] || fail "$s: failed with a pid"
	[ "$(count_to "$s/0" failed)" = 1 ] || fail "$s: failed $(count_to "$s/0" failed) times: $(state_seq "$s/0")"
done
[ "$(count_to baduser/0 starting)" = 0 ] || fail "baduser: a process was started for an unknown user"
transitions nobin/0 | grep -q 'starting -> failed (exec ./api: No such file or directory)' ||
	fail "nobin: no failed line with the reason: $(transitions nobin/0)"

# start tries again (once); fixed, it runs.
printf '#!/bin/sh\nexec sleep 100000\n' > "$TMP/app/api"
chmod +x "$TMP/app/api"
ctl start nobin >/dev/null || fail "start nobin failed"
wait_for "nobin ready once its binary exists" all_ready nobin 1
[ -z "$(inst last_error nobin 0)" ] || fail "nobin: last_error kept: $(inst last_error nobin 0)"
[ "$(inst pid fine 0)" = "$fine" ] || fail "fine was restarted"
pass
