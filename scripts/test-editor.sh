#!/usr/bin/env bash
# The real-editor tests: installs code-server and Chromium if needed, builds the extension and its
# .vsix, then runs the suite in code-server twice (from this folder, then from the installed
# .vsix), and under @vscode/test-electron where VS Code can be downloaded (it says why it skips).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-editor.sh
[ -d node_modules ] || npm ci
npm run --silent package >/dev/null
node --import tsx test/editor/runEditorTests.ts --vsix sft-studio.vsix
node --import tsx test/editor/runElectron.ts
