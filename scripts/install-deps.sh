#!/bin/sh
# Installs what drover needs to build and to run its tests on Debian 12.
# The second group of -dev packages lets droverctl link libcurl statically
# (its start-up drops from ~4 ms to ~2 ms; see ctl/CMakeLists.txt).
# The last group is for the end-to-end tests of the dashboard and the
# metrics: headless Chromium (and a font for its screenshots), promtool
# (in the prometheus package), and useradd/runuser/setpriv for the
# authorization test. Then what the packaging tests use: dpkg-dev (the
# .deb's library dependencies, dpkg-shlibdeps), man-db and groff (the man
# pages: man -l, lexgrog) and bash-completion (the completion script with
# its helpers loaded).
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config ca-certificates \
    libevent-dev libyaml-dev libjansson-dev libcurl4-openssl-dev \
    libsystemd-dev libcmocka-dev \
    curl python3 procps systemd \
    libnghttp2-dev libidn2-dev libunistring-dev librtmp-dev libssh2-1-dev \
    libpsl-dev libkrb5-dev libldap-dev libsasl2-dev libzstd-dev \
    libbrotli-dev \
    chromium fonts-dejavu-core prometheus passwd util-linux \
    dpkg-dev man-db groff-base bash-completion wrk >/dev/null
