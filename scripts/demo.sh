#!/usr/bin/env bash
# The main job, locally: one full scheduled cycle (inventory -> policy -> scan -> notify) on the
# SAMPLE demo fleet in examples/ (examples/demo/imagewarden.yaml), then the same cycle again to
# show that nothing is sent twice, then the HTML report. Everything lands in .imagewarden/demo/
# (wiped at the start, so every demo tells the whole story); nothing keeps running afterwards.
# Arguments are passed to both `imagewarden run` calls (e.g. --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "imagewarden demo: two scheduled cycles (inventory -> policy -> scan -> notify) on SAMPLE data from examples/demo, then an HTML report; the first time it installs and builds (about a minute), then takes a few seconds."

IMAGEWARDEN_SETUP_DEBIAN=0 bash scripts/setup.sh
npm run -s build

demo=.imagewarden/demo
rm -rf "$demo"
mkdir -p "$demo"
# the key that signs the ack links in the demo's mail; generated once per machine, kept private
key=.imagewarden/demo-ack.key
if [ ! -s "$key" ]; then
  (umask 077 && head -c 32 /dev/urandom | base64 >"$key")
fi
export IMAGEWARDEN_CONFIG=examples/demo/imagewarden.yaml
export IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY="file:$PWD/$key"
iw() { node bin/imagewarden.mjs "$@"; }

echo
echo "== cycle 1: inventory, policy, scan (SAMPLE Clair reports, synthetic SAMPLE-* ids), notify"
status=0
iw run "$@" || status=$?

echo
echo "== cycle 2: the same fleet again; nothing has changed, so nothing is sent"
iw run "$@" || status=$?

echo
report_status=0
iw report --out "$demo/report" || report_status=$?

echo
echo "== where to look"
echo "  mail (one .eml per recipient):  $demo/outbox/"
for eml in "$demo"/outbox/*.eml; do
  [ -e "$eml" ] || continue
  to=$(grep -m1 -i '^To:' "$eml" | cut -d' ' -f2-)
  subject=$(grep -m1 -i '^Subject:' "$eml" | cut -d' ' -f2-)
  printf '    %s  %s\n      %s\n' "$(basename "$eml")" "$to" "$subject"
done
if [ "$report_status" = 0 ]; then
  echo "  report:                         $demo/report/index.html"
fi
echo "  findings:                       node bin/imagewarden.mjs findings list   (IMAGEWARDEN_CONFIG=$IMAGEWARDEN_CONFIG)"
echo "  try an ack link:                IMAGEWARDEN_CONFIG=$IMAGEWARDEN_CONFIG IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY=$IMAGEWARDEN_NOTIFY__ACK__HMAC_KEY node bin/imagewarden.mjs serve-ack"
echo "                                  then open an 'Acknowledge' link from one of the .eml files (http://127.0.0.1:8787/...)"
exit "$status"
