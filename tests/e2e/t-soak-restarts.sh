#!/bin/bash
# Soak: an instance that exits at once, restarted with no delay (backoff
# initial 0s, a burst high enough never to hit the limit), 10,000 times
# (SOAK_RESTARTS). The agent's fd count and RSS, sampled once it is warm
# (after a tenth of the run) and at the end, stay flat: fds exactly
# (allowing 2 for a connection in flight), RSS within 4 MB (allocator
# noise; a leak of 500 bytes per restart would show). The whole run
# must finish within SOAK_SECS (240 s: generous, as the machine is shared;
# it takes about 7 s optimized and 30 s under ASan here).
#
# Under ASan the freed-memory quarantine would grow the RSS by design, so
# the agent gets a small one for this test.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

N=${SOAK_RESTARTS:-10000}
LIMIT=${SOAK_SECS:-240}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"

service soak '["/bin/true"]' \
	'restart: {policy: always, backoff: {initial: 0s}, limit: {burst: 10000, interval: 1s}}'
start_droverd
agent=$(agent_pid) || fail "no agent process"
fds() { ls "/proc/$agent/fd" | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$agent/status"; }

start=$SECONDS
warm=$((N / 10))
restarts() { inst restarts soak 0; }
until [ "$(restarts)" -ge "$warm" ]; do
	[ $((SECONDS - start)) -le "$LIMIT" ] || fail "only $(restarts) restarts after ${LIMIT}s"
	inst_is soak 0 failed && fail "soak failed: $(inst last_error soak 0)"
	sleep 0.2
done
fd0=$(fds); rss0=$(rss_kb)
log "warm at $(restarts) restarts: $fd0 fds, RSS ${rss0} kB"
until [ "$(restarts)" -ge "$N" ]; do
	[ $((SECONDS - start)) -le "$LIMIT" ] || fail "only $(restarts) of $N restarts after ${LIMIT}s"
	inst_is soak 0 failed && fail "soak failed: $(inst last_error soak 0)"
	sleep 0.5
done
fd1=$(fds); rss1=$(rss_kb)
took=$((SECONDS - start))
log "done at $(restarts) restarts in ${took}s: $fd1 fds, RSS ${rss1} kB"

[ "$fd1" -le $((fd0 + 2)) ] || fail "agent fds grew from $fd0 to $fd1 over $N restarts"
[ "$rss1" -le $((rss0 + 4096)) ] || fail "agent RSS grew from ${rss0} kB to ${rss1} kB over $N restarts"
# Still supervising: the instance keeps cycling, and nothing else leaked
# into the process table (every /bin/true was reaped).
inst_is soak 0 failed && fail "soak ended failed"
zombies=$(for p in $(marked_pids); do awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done | grep -c Z)
[ "$zombies" -le 1 ] || fail "$zombies zombies left"
pass
