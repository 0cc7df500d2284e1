#!/bin/sh
# Installs what drover needs to build and to run its tests on Debian 12.
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config ca-certificates \
    libevent-dev libyaml-dev libjansson-dev libcurl4-openssl-dev \
    libsystemd-dev libcmocka-dev \
    curl python3 procps systemd >/dev/null
