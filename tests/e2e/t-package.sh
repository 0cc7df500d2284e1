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
#   but the group (Debian keeps system groups).
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

pass
