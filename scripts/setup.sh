#!/usr/bin/env bash
# Installs everything estiba needs on a fresh Debian machine (as root), then builds it.
# Idempotent: packages already present are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(busybox-static runc crun conmon tini golang-github-containers-common python3 openssl docker.io python3-docker skopeo hyperfine netavark aardvark-dns iptables iproute2 util-linux xz-utils bzip2 tar docker-compose docker-registry zstd apache2-utils libcap2-bin)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# docker.io's package scripts may start a daemon on the default socket; estiba never uses it.

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
