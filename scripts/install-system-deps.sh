#!/usr/bin/env bash
# Installs the Debian packages the tests use, only those missing (idempotent). Needs root for apt;
# without root it lists what is missing and carries on (tests that need a package then say so).
# postgresql: the Security Server's integration tests start throwaway clusters of their own
# (test/support/postgres.ts); the default cluster the package may start on 5432 is never used.
set -euo pipefail
packages=(chromium zbar-tools softhsm2 opensc poppler-utils libusb-1.0-0 dosfstools mtools exfatprogs exfat-fuse e2fsprogs util-linux socat xvfb postgresql curl openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system packages missing (run as root to install): ${missing[*]}" >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
