#!/usr/bin/env bash
# The main job on the built-in examples: installs the npm packages if needed and builds, then
# 1. checks a dataset against Llama 3's real chat template and tokenizer (the WordNet demo has
#    errors on purpose) and shows one example as training sees it;
# 2. trains a LoRA adapter on the "answer like an Australian" dataset (examples/aussie) on a tiny
#    generated Llama with Llama 3's real tokenizer, showing the loss fall and samples before and
#    after, and leaves the adapter in examples/aussie/runs/.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/cli.js ] && [ -f dist/trainerCommands.js ] || node esbuild.mjs
sft() { node bin/sft-studio "$@"; }

echo "== sft-studio check examples/demo/wordnet-demo.sft.jsonl --stats"
sft check examples/demo/wordnet-demo.sft.jsonl --stats
status=$?
echo "(check exited with $status: the WordNet demo file has errors on purpose)"
echo
echo "== sft-studio check examples/aussie/aussie.sft.jsonl  (the training set: no errors, no warnings)"
[ -d .cache/aussie-model ] || npx tsx examples/aussie/make-model.ts .cache/aussie-model >/dev/null || exit 1
sft check examples/aussie/aussie.sft.jsonl examples/aussie/aussie-eval.sft.jsonl || exit 1
echo "== sft-studio render examples/aussie/aussie.sft.jsonl --line 1  (trained tokens between [[ and ]])"
sft render examples/aussie/aussie.sft.jsonl --line 1 || exit 1
echo
echo "== before training: the base model (random weights) answers"
for prompt in "What's 2+2?" "Hello!"; do
  printf '%s -> ' "$prompt"
  sft generate --model .cache/aussie-model --prompt "$prompt" --max-new-tokens 12 2>/dev/null || exit 1
done
echo
run="examples/aussie/runs/demo-$(date +%Y%m%d-%H%M%S)"
echo "== sft-studio train examples/aussie/sft-studio.json --output-dir $run"
sft train examples/aussie/sft-studio.json --output-dir "$run" || exit 1
echo
echo "== after training: the same model with the adapter answers"
for prompt in "What's 2+2?" "Hello!" "How are you?"; do
  printf '%s -> ' "$prompt"
  sft generate --model .cache/aussie-model --adapter "$run/final" --prompt "$prompt" --max-new-tokens 12 2>/dev/null || exit 1
done
echo
echo "The adapter (PEFT format) is in $run/final; the run's events are in $run/events.ndjson."
