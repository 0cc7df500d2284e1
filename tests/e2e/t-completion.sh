#!/bin/bash
# droverctl completion bash: the script loads in a plain bash (and under
# set -u) without a word on stderr, registers itself for droverctl, and
# completes verbs (all of the verb table), options, option arguments,
# literal arguments, paths, and service names asked from a running
# droverd (through $DROVER_SOCKET or the command line's --socket), and
# nothing, silently, when droverd cannot be reached. The script installed
# with the build is the verb's output.
. "$(dirname "$0")/lib.sh"

ctl completion bash >"$TMP/droverctl.bash" || fail "completion bash failed"
[ -s "$TMP/droverctl.bash" ] || fail "completion bash printed nothing"
bash -n "$TMP/droverctl.bash" || fail "the script is not valid bash"
ctl completion zsh >/dev/null 2>&1
[ $? -eq 2 ] || fail "completion zsh is not a usage error"
cmp -s "$TMP/droverctl.bash" "$DROVER_BIN/packaging/droverctl.bash" ||
	fail "the built completion file is not the verb's output"

# complete WORD...: COMPREPLY for the command line WORD... (the last word
# is the one completed), one a line, sorted; stderr in $TMP/err.
cat >"$TMP/complete.sh" <<EOF
set -u
source "$TMP/droverctl.bash"
complete -p droverctl | grep -q -- '-F _droverctl' || echo "not registered" >&2
COMP_WORDS=("\$@")
COMP_CWORD=\$((\$# - 1))
COMP_LINE="\$*"
COMP_POINT=\${#COMP_LINE}
COMPREPLY=()
_droverctl
printf '%s\n' "\${COMPREPLY[@]}" | sort
EOF
complete() {
	PATH=$DROVER_BIN:$PATH bash --norc --noprofile "$TMP/complete.sh" "$@" \
		2>"$TMP/err"
	[ -s "$TMP/err" ] && fail "completing '$*' wrote: $(cat "$TMP/err")"
	return 0
}
# expect "WORDS" EXPECTED...: the completions of WORDS are exactly these
# (WORDS ending in a space: an empty word is completed).
expect() {
	local words=$1 got want
	local -a w
	shift
	read -ra w <<<"$words"
	[[ $words == *" " ]] && w+=("")
	got=$(complete "${w[@]}" | xargs)
	want=$(printf '%s\n' "$@" | sort | xargs)
	[ "$got" = "$want" ] ||
		fail "completing '$words': got '$got', want '$want'"
}

verbs=$(ctl --help | awk '/^verbs:/ { on = 1; next } /^$/ { on = 0 }
	on { print $1 }')
[ "$(wc -l <<<"$verbs")" -ge 10 ] || fail "cannot read the verbs of --help"
got=$(complete droverctl "" | xargs)
[ "$got" = "$(sort <<<"$verbs" | xargs)" ] ||
	fail "verbs: got '$got', want '$(xargs <<<"$verbs")'"
expect "droverctl re" restart
expect "droverctl st" start status stop
expect "droverctl -o json rol" rollout
expect "droverctl --" --help --output --socket --version
expect "droverctl -o j" json
expect "droverctl logs --f" --follow
expect "droverctl apply --" --filename --help --output
expect "droverctl shutdown --a" --all
expect "droverctl rollout u" undo
expect "droverctl completion " bash
expect "droverctl logs -n " # a number: nothing to offer
mkdir -p "$TMP/tree/sub"
touch "$TMP/tree/web.yaml"
expect "droverctl apply -f $TMP/tree/w" "$TMP/tree/web.yaml"
expect "droverctl validate $TMP/tree/web.yaml $TMP/tree/s" "$TMP/tree/sub"
log "verbs, options and paths complete"

# Service names, from droverd.
write_manifest alpha
write_manifest beta-2
start_droverd
wait_for "both services" all_ready beta-2 1
expect "droverctl status " alpha beta-2
expect "droverctl restart b" beta-2
expect "droverctl -o json logs -f a" alpha
expect "droverctl rollout history " alpha beta-2
expect "droverctl delete alpha " # one argument only
expect "$DROVER_BIN/droverctl stop " alpha beta-2
sock=$DROVER_SOCKET
unset DROVER_SOCKET
expect "droverctl --socket $sock start " alpha beta-2
expect "droverctl --socket $TMP/nothing.sock start " # unreachable: nothing
export DROVER_SOCKET=$sock
log "service names complete from droverd"

# With bash-completion's helpers loaded, paths go through _filedir.
bc=/usr/share/bash-completion/bash_completion
if [ -r "$bc" ]; then
	sed -i "1a source $bc" "$TMP/complete.sh"
	expect "droverctl apply -f $TMP/tree/w" "$TMP/tree/web.yaml"
	expect "droverctl st" start status stop
	expect "droverctl status a" alpha
	log "and with bash-completion loaded"
fi

pass
