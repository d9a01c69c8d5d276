#!/usr/bin/env bash
# The real-editor tests: installs code-server and Chromium if needed, builds, then runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-editor.sh
[ -d node_modules ] || npm ci
node esbuild.mjs
node --import tsx test/editor/runEditorTests.ts
