#!/bin/bash
# The Debian package, built from the tree by packaging/build-deb.sh:
# - its control data: name, version (the programs'), architecture, a
#   Depends that names the package of every shared library the binaries
#   need (dpkg-shlibdeps) and adduser, the conffiles, maintainer scripts;
# - its contents: the three binaries, both units, the four man pages
#   gzipped, the bash completion, /etc/drover/manifests/, the defaults
#   files, all owned by root; the extracted binaries run, the packaged
#   pages render, and the packaged completion is the binary's own;
# - installing and removing it in a clean root (dpkg --root with
#   maintainer scripts run chrootless, DPKG_ROOT set): no warning, the
#   drover group is made once (a system group, and again idempotently on
#   reinstall), drover.service is enabled and drover-agent.service is not;
#   remove keeps the conffiles, purge leaves nothing of the package behind
#   but the group (Debian keeps system groups);
# - the same with plain dpkg -i on an overlay of this system (a private
#   mount namespace, chrooted): addgroup, droverd run with the unit's
#   command line, removal stopping droverd, the agent and a service.
. "$(dirname "$0")/lib.sh"

for t in dpkg-deb dpkg-shlibdeps cpack readelf; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done

# One compiler at a low priority: the other tests run beside this one.
JOBS=1 nice -n 10 "$DROVER_SRC/packaging/build-deb.sh" "$TMP/build" "$TMP/out" \
	>"$TMP/deb" ||
	fail "build-deb.sh failed"
DEB=$(cat "$TMP/deb")
[ -f "$DEB" ] || fail "build-deb.sh named no .deb: '$DEB'"
log "built $(basename "$DEB")"

# --- control data ---------------------------------------------------------
field() { dpkg-deb -f "$DEB" "$1"; }
version=$("$DROVER_BIN/droverd" --version | awk '{ print $2 }')
[ "$(field Package)" = drover ] || fail "Package: $(field Package)"
case $(field Version) in
"$version"-*) ;;
*) fail "Version $(field Version), droverd says $version" ;;
esac
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] ||
	fail "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] || fail "no Maintainer"
depends=$(field Depends | tr ',' '\n' | sed 's/(.*//; s/ //g')
grep -qx adduser <<<"$depends" || fail "Depends lacks adduser: $depends"

dpkg-deb -x "$DEB" "$TMP/root"
R=$TMP/root
for b in droverd drover-agent droverctl; do
	f=$R/usr/bin/$b
	[ -x "$f" ] || fail "no executable /usr/bin/$b"
	"$f" --version | grep -qx "$b $version" || fail "$b --version: $("$f" --version)"
	for so in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		pkg=$(dpkg -S "*/$so" 2>/dev/null | grep -m1 "/$so\$" | cut -d: -f1)
		[ -n "$pkg" ] || fail "$b needs $so, which no installed package has"
		grep -qx "$pkg" <<<"$depends" ||
			fail "$b needs $so of $pkg, which Depends lacks: $(field Depends)"
	done
done
for lib in libevent-2.1-7 libyaml-0-2 libjansson4 libsystemd0; do
	grep -qx "$lib" <<<"$depends" || fail "Depends lacks $lib: $(field Depends)"
done
log "Depends: $(field Depends)"

dpkg-deb --ctrl-tarfile "$DEB" | tar -t | sed 's#^\./##' | grep . |
	sort >"$TMP/control-files"
for f in control md5sums conffiles postinst prerm postrm; do
	grep -qx "$f" "$TMP/control-files" || fail "no $f in the control archive"
done
dpkg-deb -I "$DEB" conffiles | sort >"$TMP/conffiles"
printf '/etc/default/drover\n/etc/default/drover-agent\n' |
	cmp -s - "$TMP/conffiles" || fail "conffiles: $(cat "$TMP/conffiles")"
dpkg-deb -I "$DEB" postinst | grep -q 'addgroup --system' ||
	fail "postinst makes no system group"
for s in postinst prerm postrm; do
	dpkg-deb -I "$DEB" "$s" | sh -n || fail "$s is not valid sh"
done

# --- contents ---------------------------------------------------------------
dpkg-deb -c "$DEB" >"$TMP/contents"
awk '$2 != "root/root" { print }' "$TMP/contents" | grep . &&
	fail "files not owned by root/root"
awk '{ print $NF }' "$TMP/contents" | sed 's#^\./#/#' >"$TMP/paths"
for p in /usr/bin/droverd /usr/bin/drover-agent /usr/bin/droverctl \
    /lib/systemd/system/drover.service /lib/systemd/system/drover-agent.service \
    /usr/share/man/man8/droverd.8.gz /usr/share/man/man8/drover-agent.8.gz \
    /usr/share/man/man1/droverctl.1.gz /usr/share/man/man5/drover.yaml.5.gz \
    /usr/share/bash-completion/completions/droverctl \
    /etc/drover/manifests/ /etc/default/drover /etc/default/drover-agent \
    /usr/share/doc/drover/README.md; do
	grep -qx "$p" "$TMP/paths" || fail "the package lacks $p"
done
grep -E '^/usr/local|/build|/tmp' "$TMP/paths" && fail "stray paths in the package"
for u in drover.service drover-agent.service; do
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$R/lib/systemd/system/$u")
	[ -x "$R$exe" ] || fail "$u runs $exe, which the package lacks"
done
grep -q -- '--manifests /etc/drover/manifests' "$R/lib/systemd/system/drover.service" ||
	fail "drover.service does not run /etc/drover/manifests"
for p in "$R"/usr/share/man/man*/*.gz; do
	gzip -t "$p" || fail "$p is not gzip"
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$p" 2>"$TMP/warn" >/dev/null ||
		fail "man -l $p failed"
	[ -s "$TMP/warn" ] && fail "$(basename "$p"): $(cat "$TMP/warn")"
done
"$R/usr/bin/droverctl" completion bash |
	cmp -s - "$R/usr/share/bash-completion/completions/droverctl" ||
	fail "the packaged completion is not droverctl's own"
log "contents: binaries, units, man pages, completion, /etc"

# --- install and remove in a clean root -------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	log "not root: installing into a root is left out"
	pass
fi
C=$TMP/clean
mkdir -p "$C/etc" "$C/var/lib/dpkg/info" "$C/var/lib/dpkg/updates"
touch "$C/var/lib/dpkg/available"
echo 'root:x:0:' >"$C/etc/group"
echo 'root:*::' >"$C/etc/gshadow"
echo 'root:x:0:0:root:/root:/bin/sh' >"$C/etc/passwd"
# The packages drover depends on, as this host has them (no files: only
# their being installed counts), and one standing in for the packages
# that own the shared directories (/etc, /usr/bin, /lib/systemd/system...).
for p in $depends; do
	dpkg-query -s "$p" >>"$C/var/lib/dpkg/status" ||
		fail "Depends names $p, which is not installed here"
	echo >>"$C/var/lib/dpkg/status"
	touch "$C/var/lib/dpkg/info/$(dpkg-query -W -f '${binary:Package}' "$p").list"
done
cat >>"$C/var/lib/dpkg/status" <<EOF
Package: base-dirs
Status: install ok installed
Priority: required
Section: admin
Maintainer: drover tests <tests@localhost>
Architecture: all
Version: 1
Description: the directories other packages own

EOF
grep '/$' "$TMP/paths" | sed 's#/$##' | grep . |
	grep -v -e '^/etc/drover' -e '^/usr/share/doc/drover' |
	tee "$C/var/lib/dpkg/info/base-dirs.list" | sed "s#^#$C#" | xargs mkdir -p
# a file of its own, or dpkg takes it for replaced by drover
echo /usr/share/base-dirs >>"$C/var/lib/dpkg/info/base-dirs.list"
touch "$C/usr/share/base-dirs"
(cd "$C" && find . | sort) >"$TMP/before"

# pkg ACTION...: dpkg on the clean root; its output in $TMP/dpkg.out.
pkg() {
	DPKG_ROOT= dpkg --root="$C" --force-script-chrootless \
		--log="$TMP/dpkg.log" "$@" >"$TMP/dpkg.out" 2>&1
}
# quiet: dpkg said nothing beyond its progress lines.
quiet() {
	! grep -v -e '^Selecting previously unselected' -e '^(Reading database' \
		-e '^Preparing to unpack' -e '^Unpacking ' -e '^Setting up ' \
		-e '^Removing ' -e '^Purging configuration' "$TMP/dpkg.out"
}
groups() { grep -c '^drover:' "$C/etc/group"; }

pkg -i "$DEB" || fail "dpkg -i: $(cat "$TMP/dpkg.out")"
quiet || fail "dpkg -i said more than it should"
pkg -s drover && grep -q '^Status: install ok installed' "$TMP/dpkg.out" ||
	fail "drover is not installed: $(cat "$TMP/dpkg.out")"
[ "$(groups)" = 1 ] || fail "postinst made $(groups) drover groups"
gid=$(awk -F: '$1 == "drover" { print $3 }' "$C/etc/group")
[ "$gid" -lt 1000 ] || fail "the drover group is not a system group (gid $gid)"
grep -q '^drover:' "$C/etc/gshadow" || fail "no drover group in gshadow"
[ -x "$C/usr/bin/droverd" ] || fail "droverd not installed"
[ -d "$C/etc/drover/manifests" ] || fail "/etc/drover/manifests not installed"
wants=$C/etc/systemd/system/multi-user.target.wants
[ "$(readlink "$wants/drover.service")" = /lib/systemd/system/drover.service ] ||
	fail "drover.service is not enabled"
[ -e "$wants/drover-agent.service" ] && fail "drover-agent.service is enabled"
log "installed: group $gid, drover.service enabled"

pkg -i "$DEB" || fail "reinstalling: $(cat "$TMP/dpkg.out")"
quiet || fail "reinstalling said more than it should"
[ "$(groups)" = 1 ] || fail "reinstalling made $(groups) drover groups"

echo 'DROVERD_OPTS="--listen none"' >>"$C/etc/default/drover"
mkdir -p "$C/var/lib/drover/services"	# what droverd would have kept
pkg -r drover || fail "dpkg -r: $(cat "$TMP/dpkg.out")"
quiet || fail "dpkg -r said more than it should"
[ -e "$C/usr/bin/droverd" ] && fail "droverd left after remove"
grep -q 'listen none' "$C/etc/default/drover" || fail "remove lost a conffile"

pkg -P drover || fail "dpkg -P: $(cat "$TMP/dpkg.out")"
quiet || fail "dpkg -P said more than it should"
pkg -s drover
grep -q '^Status: install ok installed' "$TMP/dpkg.out" && fail "drover still installed"
[ "$(groups)" = 1 ] || fail "the drover group went with purge"
(cd "$C" && find . | sort) >"$TMP/after"
left=$(comm -13 "$TMP/before" "$TMP/after" | grep -v \
	-e '^\./var/lib/dpkg' -e '^\./etc/g\(roup\|shadow\)-$' \
	-e '^\./var/lib/systemd$' -e '^\./var/lib/systemd/deb-systemd-helper-[a-z]*$' \
	-e '^\./etc/systemd$' -e '^\./etc/systemd/system$')
[ -z "$left" ] || fail "left after purge: $left"
gone=$(comm -23 "$TMP/before" "$TMP/after")
[ -z "$gone" ] || fail "purge removed what was there before: $gone"
log "removed and purged: conffiles kept by remove, nothing left by purge"

# --- and in a throwaway copy of this system -------------------------------
# An overlay of / in a private mount namespace, chrooted into: dpkg with
# its maintainer scripts run as on a real host (addgroup, the man-db
# trigger), droverd started with the unit's own command line, removal
# stopping droverd, the agent and the services, and purge removing the
# state but not the manifests the admin wrote. Nothing reaches the host.
if ! command -v unshare >/dev/null; then
	log "no unshare: the system install is left out"
	pass
fi
O=$TMP/overlay
mkdir -p "$O/upper" "$O/work" "$O/root"
cat >"$O/inside.sh" <<'INSIDE'
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
# run_dpkg ARGS...: quiet unless it fails or warns (but for $expected)
expected=
run_dpkg() {
	dpkg "$@" >/tmp/dpkg.out 2>&1 || { cat /tmp/dpkg.out >&2; fail "dpkg $*"; }
	! grep -i -e warning -e error /tmp/dpkg.out | grep -vxF "$expected" >&2 ||
		fail "dpkg $* warned"
}
gone() { ! grep -qs '^State:[[:space:]]*[^ZX]' "/proc/$1/status"; }
export DEBIAN_FRONTEND=noninteractive
run_dpkg -i /tmp/drover.deb
getent group drover >/dev/null || fail "postinst made no drover group"
run_dpkg -i /tmp/drover.deb
[ "$(grep -c '^drover:' /etc/group)" = 1 ] || fail "two drover groups"
[ -L /etc/systemd/system/multi-user.target.wants/drover.service ] ||
	fail "drover.service not enabled"
man -w drover.yaml >/dev/null || fail "man cannot find drover.yaml(5)"
echo 'DROVERD_OPTS="--listen none"' >>/etc/default/drover
echo 'command: ["/bin/sleep", "100000"]' >/etc/drover/manifests/sleeper.yaml
# droverd as drover.service runs it
. /etc/default/drover
eval "set -- $(sed -n 's/^ExecStart=//p' /lib/systemd/system/drover.service)"
"$@" >/tmp/droverd.log 2>&1 &
droverd=$!
i=0
until droverctl -o json status 2>/dev/null | grep -q '"state":"ready"'; do
	i=$((i + 1))
	[ $i -lt 300 ] || { cat /tmp/droverd.log >&2; fail "sleeper not ready"; }
	sleep 0.1
done
sleeper=$(droverctl -o json status | grep -o '"pid":[0-9]*' | head -n1 | cut -d: -f2)
agent=$(curl -s --unix-socket /run/drover/droverd.sock http://drover/api/v1/agents |
	grep -o '"pid":[0-9]*' | head -n1 | cut -d: -f2)
[ -n "$sleeper" ] && [ -n "$agent" ] || fail "no pids: '$sleeper' '$agent'"
run_dpkg -r drover
i=0
until gone "$droverd" && gone "$agent" && gone "$sleeper"; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "droverd, the agent or the service outlived the removal"
	sleep 0.1
done
wait "$droverd" || true
[ ! -e /usr/bin/droverd ] || fail "droverd left after remove"
[ -e /etc/default/drover ] || fail "remove took a conffile"
[ -d /var/lib/drover ] || fail "remove took the state"
# The manifest the admin wrote stays, and dpkg says so.
expected="dpkg: warning: while removing drover, directory '/etc/drover/manifests' not empty so not removed"
run_dpkg -P drover
grep -qxF "$expected" /tmp/dpkg.out || fail "purge: $(cat /tmp/dpkg.out)"
[ -f /etc/drover/manifests/sleeper.yaml ] || fail "purge took the admin's manifest"
for p in /etc/default/drover /etc/default/drover-agent /var/lib/drover \
    /etc/systemd/system/multi-user.target.wants/drover.service; do
	[ ! -e "$p" ] || fail "$p left after purge"
done
getent group drover >/dev/null || fail "purge took the group"
echo ok
INSIDE
cp "$DEB" "$O/drover.deb"
# shellcheck disable=SC2016
unshare --mount --propagation private sh -eu -c '
	O=$1
	mount -t overlay overlay \
		-o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" "$O/root" ||
		{ echo "no overlay"; exit 0; }
	for d in proc dev sys; do mount --rbind "/$d" "$O/root/$d"; done
	mount -t tmpfs tmpfs "$O/root/run"
	mount -t tmpfs tmpfs "$O/root/tmp"
	cp "$O/drover.deb" "$O/inside.sh" "$O/root/tmp/"
	exec chroot "$O/root" env -u DROVER_SOCKET sh /tmp/inside.sh
' sh "$O" >"$TMP/inside.out" 2>&1 || fail "system install: $(cat "$TMP/inside.out")"
if grep -qx "no overlay" "$TMP/inside.out"; then
	log "no overlay file system here: the system install is left out"
else
	grep -qx ok "$TMP/inside.out" || fail "system install: $(cat "$TMP/inside.out")"
	log "system install: group, the unit's command line, removal stops all, purge"
fi

pass
