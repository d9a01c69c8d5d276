#!/usr/bin/env bash
# Installs the independent references the model is tested against, safe to run again:
# - Debian's PyTorch (test/reference/hf_reference.py runs under /usr/bin/python3);
# - llama.cpp through node-llama-cpp 3.21.1 with its prebuilt CPU binary only, into
#   .cache/llama-cpp (kept out of package.json: its GPU variants weigh about 700 MB).
set -euo pipefail
source "$(dirname "$0")/lib/apt.sh"
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
  echo "Installing Debian's python3-torch and python3-numpy"
  apt_get update
  apt_get install -y --no-install-recommends python3-torch python3-numpy
fi
LLAMA_CPP_VERSION=3.21.1
target=.cache/llama-cpp
if ! grep -q "\"version\": \"$LLAMA_CPP_VERSION\"" "$target/node_modules/node-llama-cpp/package.json" 2>/dev/null; then
  echo "Installing node-llama-cpp $LLAMA_CPP_VERSION (CPU binary) into $target"
  mkdir -p "$target"
  [ -f "$target/package.json" ] || echo '{"name": "sft-studio-references", "private": true}' > "$target/package.json"
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --prefix "$target" --omit=optional --no-audit --no-fund --loglevel=error \
    "node-llama-cpp@$LLAMA_CPP_VERSION" "@node-llama-cpp/linux-x64@$LLAMA_CPP_VERSION"
fi
