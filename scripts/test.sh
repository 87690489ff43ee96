#!/usr/bin/env bash
# The one test command (`npm test`): on a fresh Debian machine, as root, installs what the tests need
# and runs typecheck, lint, build, vitest, Playwright and the Electronegativity gate.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
bash scripts/install-system-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
echo "== typecheck" && npm run -s typecheck
echo "== lint" && npm run -s lint
echo "== build" && npm run -s build
echo "== unit and integration tests (vitest)" && npx vitest run
echo "== UI tests (Playwright, Debian Chromium)" && npx playwright test
echo "== Electronegativity" && node scripts/electronegativity-gate.mjs
echo "== all checks passed"
