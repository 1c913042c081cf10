#!/bin/sh
# Installs the Debian packages Joyride needs to build, run and test; idempotent, quiet when all is there.
# Usage: scripts/deps.sh build|test|bench
set -eu
BUILD="gcc meson ninja-build pkg-config zlib1g-dev libmicrohttpd-dev libjansson-dev liburcu-dev libcurl4-openssl-dev libssl-dev libsystemd-dev"
TEST="$BUILD systemd systemd-container docker-compose dnsmasq-base util-linux binutils clang libclang-rt-14-dev libcmocka-dev python3 python3-pytest python3-dnspython dnsutils knot knot-dnsutils dnsviz bind9 bind9-utils iproute2 nftables serf docker.io busybox-static curl chromium golang-go golang-github-hashicorp-memberlist-dev"
BENCH="$BUILD dnsperf knot dnsmasq-base unbound util-linux python3-dnspython"
case "${1:-build}" in
build) want=$BUILD ;;
test) want=$TEST ;;
bench) want=$BENCH ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends $missing >/dev/null
# Servers installed only as test peers (the tests start their own on loopback): keep the
# packages' system services from running on the machine's real interfaces.
if [ -d /run/systemd/system ]; then
    for pair in bind9:named knot:knot unbound:unbound; do
        case " $missing " in *" ${pair%%:*} "*) $SUDO systemctl disable --now "${pair#*:}" >/dev/null 2>&1 || true ;; esac
    done
fi
