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
  echo "setup: installing the locked npm dependencies (about a minute on a fresh machine)"
  # A registry mirror that serves only this platform's optional packages (esbuild, biome and
  # rollup binaries for other systems 404) leaves them out of the lock file, and npm ci then
  # refuses it as out of sync; npm install with the same lock file installs the same versions.
  # npm ci's error wall goes to a log file; one line says why we fall back.
  ci_log=$(mktemp)
  if npm ci --no-audit --no-fund --loglevel=error >"$ci_log" 2>&1; then
    rm -f "$ci_log"
  else
    reason=$(grep -m1 -E 'npm error (`npm ci`|Missing|Invalid|code )' "$ci_log" | sed 's/^npm error //' || true)
    echo "setup: npm ci refused the lock file (${reason:-see $ci_log}); installing the same locked versions with npm install"
    npm install --no-audit --no-fund --no-save --loglevel=error >"$ci_log" 2>&1 || {
      cat "$ci_log" >&2
      echo "setup: npm install failed (log above)" >&2
      exit 1
    }
    rm -f "$ci_log"
  fi
fi
