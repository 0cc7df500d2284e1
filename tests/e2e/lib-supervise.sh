# lib-supervise.sh — helpers for the supervision tests (sourced after
# lib.sh): the agent's transition lines, which droverd's log holds (the
# agent it starts writes to droverd's stderr), and waiting on states.
#
# A transition line reads
#   2026-11-25T10:00:00.123Z drover-agent[42]: info: service api/0: ready -> backoff (pid 7 exit status 1; next start in 200ms)

# transitions SVC/IDX: the agent's transition lines for one instance.
transitions() {
	grep -F "drover-agent[" "$TMP/droverd.log" | grep -F "service $1: "
}

# state_seq SVC/IDX: "from->to", one per line, in order.
state_seq() {
	transitions "$1" | sed -n 's/.*service [^:]*: \([a-z]*\) -> \([a-z]*\).*/\1->\2/p'
}

# count_to SVC/IDX STATE: how many transitions went into STATE.
count_to() {
	state_seq "$1" | grep -c -- "->$2\$"
}

# delays SVC/IDX: the announced restart delays ("next start in Nms"), ms.
delays() {
	transitions "$1" | sed -n 's/.*next start in \([0-9]*\)ms.*/\1/p'
}

# gaps SVC/IDX: for each wait, "announced_ms measured_ms": the delay a
# backoff or crashloop line announced, and the time from that line to the
# next "-> starting" of the instance, from the log's own timestamps.
gaps() {
	transitions "$1" | python3 -c '
import re, sys
from datetime import datetime
wait = None
for line in sys.stdin:
    t = datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
    m = re.search(r"-> (backoff|crashloop) .*next start in (\d+)ms", line)
    if m:
        wait = (t, int(m.group(2)))
    elif wait and re.search(r": [a-z]+ -> starting", line):
        print(wait[1], int(round(t - wait[0])))
        wait = None'
}

# inst_is SVC IDX STATE: the instance is in STATE now.
inst_is() { [ "$(inst state "$1" "$2")" = "$3" ]; }

# wait_state SVC IDX STATE
wait_state() { wait_for "$1/$2 in state $3" inst_is "$1" "$2" "$3"; }

# script NAME BODY: an executable shell script $TMP/NAME.
script() {
	printf '#!/bin/sh\n%s\n' "$2" > "$TMP/$1"
	chmod +x "$TMP/$1"
}

# service NAME COMMAND-YAML [extra YAML lines...]: a manifest.
service() {
	local name=$1 cmd=$2
	shift 2
	{
		echo "name: $name"
		echo "command: $cmd"
		for l in "$@"; do echo "$l"; done
	} > "$MAN/$name.yaml"
}
