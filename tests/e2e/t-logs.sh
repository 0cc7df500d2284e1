#!/bin/bash
# Log capture: an instance's stdout and stderr both land in its log file
# and come back through `droverctl logs` (one instance as written, or
# every instance with a "service/index | " prefix); -n picks the last
# lines; unknown services and instances are errors. logs.to: inherit
# writes to the agent's own output (droverd's log file here, as droverd
# passes its stderr on); logs.to: journal without a journal falls back to
# the file with one warning.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-supervise.sh"

script cap.sh 'echo "out $INSTANCE"; echo "err $INSTANCE" >&2; exec sleep 100000'
service cap "[\"$TMP/cap.sh\"]" 'instances: 2'
script count.sh 'i=1; while [ $i -le 50 ]; do echo "count $i"; i=$((i+1)); done; exec sleep 100000'
service count "[\"$TMP/count.sh\"]"
script inh.sh 'echo "inherited-out-$INSTANCE"; echo "inherited-err-$INSTANCE" >&2; exec sleep 100000'
service inh "[\"$TMP/inh.sh\"]" 'logs: {to: inherit}'
script jrn.sh 'echo "journal-or-file $INSTANCE"; exec sleep 100000'
service jrn "[\"$TMP/jrn.sh\"]" 'instances: 2' 'logs: {to: journal}'
start_droverd
wait_for "cap ready" all_ready cap 2

# One instance: both streams, as written, in order.
want=$'out 0\nerr 0'
wait_for "cap/0's two lines" test "$(ctl logs cap/0)" = "$want"
# Every instance: each line prefixed, instances in index order.
want=$'cap/0 | out 0\ncap/0 | err 0\ncap/1 | out 1\ncap/1 | err 1'
wait_for "cap/1's two lines" test "$(ctl logs cap/1)" = $'out 1\nerr 1'
got=$(ctl logs cap) || fail "logs cap failed"
[ "$got" = "$want" ] || fail "logs cap printed:
$got"
[ -f "$STATE/logs/cap.0.log" ] || fail "no $STATE/logs/cap.0.log"

# -n: the last N lines (default 10); 0 prints nothing.
wait_for "count's 50 lines" bash -c "\"$DROVER_BIN/droverctl\" logs -n 1 count/0 | grep -qx 'count 50'"
got=$(ctl logs -n 5 count/0 | tr '\n' ' ')
[ "$got" = "count 46 count 47 count 48 count 49 count 50 " ] || fail "logs -n 5 printed: $got"
got=$(ctl logs count/0 | wc -l)
[ "$got" = 10 ] || fail "logs printed $got lines by default, want 10"
got=$(ctl logs --lines 100 count/0 | wc -l)
[ "$got" = 50 ] || fail "logs -n 100 printed $got lines, want all 50"
[ -z "$(ctl logs -n 0 count/0)" ] || fail "logs -n 0 printed something"

# Errors: exit 1 with a message for an unknown service or instance,
# 2 for a malformed argument.
ctl logs nosuch >/dev/null 2>"$TMP/err"; rc=$?
[ "$rc" = 1 ] || fail "logs of an unknown service exited $rc, want 1"
grep -q nosuch "$TMP/err" || fail "no message naming the service: $(cat "$TMP/err")"
ctl logs cap/7 >/dev/null 2>"$TMP/err"; rc=$?
[ "$rc" = 1 ] || fail "logs of an unknown instance exited $rc, want 1"
ctl logs cap/x >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "logs cap/x exited $rc, want 2"
ctl logs -n -3 cap >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "logs -n -3 exited $rc, want 2"
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$DROVER_SOCKET" \
	"http://drover/api/v1/services/cap/logs?n=abc")
[ "$code" = 400 ] || fail "n=abc answered $code, want 400"

# inherit: the agent's own stdout and stderr, no file.
wait_for "inherited output in droverd's log" grep -q inherited-err-0 "$TMP/droverd.log"
grep -q inherited-out-0 "$TMP/droverd.log" || fail "inherited stdout missing from droverd's log"
[ ! -e "$STATE/logs/inh.0.log" ] || fail "inherit wrote $STATE/logs/inh.0.log"

# journal: to the journal where there is one, else to the file.
if [ -e /run/systemd/journal/stdout ]; then
	log "a journal is running here: not checking the file fallback"
else
	wait_for "jrn/1 in its file" bash -c "\"$DROVER_BIN/droverctl\" logs jrn/1 | grep -qx 'journal-or-file 1'"
	ctl logs jrn/0 | grep -qx 'journal-or-file 0' || fail "jrn/0 not in its file"
	n=$(grep -c "no journal here" "$TMP/droverd.log")
	[ "$n" = 1 ] || fail "$n warnings about the missing journal, want 1"
fi
pass
