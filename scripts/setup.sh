#!/usr/bin/env bash
# Installs what imagewarden's tests and demo need on a fresh Debian machine with Node 20:
# the Debian packages in scripts/debian-packages.txt (when missing) and the npm dependencies.
# Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_debian=${IMAGEWARDEN_SETUP_DEBIAN:-1}
if [ "$want_debian" = 1 ]; then
  mapfile -t packages < <(grep -Ev '^\s*(#|$)' scripts/debian-packages.txt)
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup: missing Debian packages: ${missing[*]} (run as root or install them: apt-get install ${missing[*]})" >&2
      exit 1
    fi
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
