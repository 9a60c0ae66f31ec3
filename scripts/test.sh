#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, then runs every test:
# typecheck, lint, unit tests and integration tests against real services.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
