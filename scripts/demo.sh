#!/usr/bin/env bash
# The main job on the built-in example: installs the npm packages if needed, builds, then checks
# examples/demo/wordnet-demo.sft.jsonl against the Llama 3 chat template and tokenizer named in
# examples/demo/sft-studio.json, and shows one example as training will see it.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli.js ] || node esbuild.mjs
echo "== sft-studio check examples/demo/wordnet-demo.sft.jsonl --stats"
npx sft-studio check examples/demo/wordnet-demo.sft.jsonl --stats
status=$?
echo
echo "== sft-studio render examples/demo/wordnet-demo.sft.jsonl --line 1  (trained tokens between [[ and ]])"
npx sft-studio render examples/demo/wordnet-demo.sft.jsonl --line 1
echo
echo "check exited with $status (1: the demo file has errors on purpose)"
