#!/usr/bin/env bash
# Installs the system packages the tests use, once; a no-op when they are already there.
# Tests start their own servers on 127.0.0.1 from these packages.
set -euo pipefail

# command to look for -> Debian package providing it
declare -A NEED=(
  [clickhouse-server]=clickhouse-server
  [nats-server]=nats-server
  [openssl]=openssl
  [tshark]=tshark
  [nfcapd]=nfdump
  [chromium]=chromium
  [tcpdump]=tcpdump
  [nft]=nftables
  [ping]=iputils-ping
  [ip]=iproute2
  [curl]=curl
)

missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-test-deps: missing ${missing[*]}; run as root or install them: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "setup-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
