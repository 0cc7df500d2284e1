#!/bin/sh
# collector — the pipeline's source. Once a second it writes one record, a
# JSON line with a sequence number and a timestamp, into $DATA/spool as its
# own file. A record is written under a temporary name and renamed, so the
# processor never sees half a file. The sequence number is kept in
# $DATA/collector.seq, so a restarted collector carries on where it stopped.
set -eu

DATA=${DATA:-/tmp/drover-example}
INTERVAL=${INTERVAL:-1}
mkdir -p "$DATA/spool"

seq=0
[ -s "$DATA/collector.seq" ] && seq=$(cat "$DATA/collector.seq")
echo "collector: writing to $DATA/spool from record $((seq + 1))"

while :; do
	seq=$((seq + 1))
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	name=$(printf 'rec-%09d.json' "$seq")
	printf '{"seq": %d, "time": "%s", "source": "%s"}\n' \
	    "$seq" "$now" "${SERVICE:-collector}/${INSTANCE:-0}" \
	    > "$DATA/spool/.$name.tmp"
	mv "$DATA/spool/.$name.tmp" "$DATA/spool/$name"
	echo "$seq" > "$DATA/collector.seq.tmp"
	mv "$DATA/collector.seq.tmp" "$DATA/collector.seq"
	sleep "$INTERVAL"
done
