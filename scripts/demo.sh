#!/usr/bin/env bash
# The main job, locally: one full scheduled cycle (inventory -> policy -> scan -> notify) on the
# embedded defaults and the demo fleet in examples/, mail written to .imagewarden/outbox.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGEWARDEN_SETUP_DEBIAN=0 bash scripts/setup.sh
npm run -s build
node bin/imagewarden.mjs run "$@"
