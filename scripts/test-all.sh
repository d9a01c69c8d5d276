#!/usr/bin/env bash
# The whole test suite, from a fresh clone: npm packages, type-check, lint, build, unit / CLI /
# grammar / trainer tests (Debian's PyTorch and llama.cpp are the model's references; Mesa's
# software Vulkan device runs the WebGPU backend), then the real-editor
# tests (which install code-server and Chromium themselves).
# The last line totals every test run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "== build";        npm run -s build
echo "== type-check";   npx tsc -p . && npx tsc -p webview
echo "== lint";         npx eslint .
echo "== unit, CLI, grammar and trainer tests"
bash scripts/setup-reference.sh
bash scripts/setup-webgpu.sh
node test/run.mjs test/unit test/cli test/grammar test/trainer 2>&1 | tee -a "$log"
echo "== real-editor tests (code-server + Chromium)"
bash scripts/test-editor.sh 2>&1 | tee -a "$log"
unit_pass=$(grep -oP '^ℹ pass \K\d+' "$log" | tail -1)
unit_fail=$(grep -oP '^ℹ fail \K\d+' "$log" | tail -1)
editor_pass=$(grep -oP '^editor: \K\d+(?= passed)' "$log" | tail -1)
editor_fail=$(grep -oP '^editor: \d+ passed, \K\d+(?= failed)' "$log" | tail -1)
echo "total: $((unit_pass + editor_pass)) passed, $((unit_fail + editor_fail)) failed"
