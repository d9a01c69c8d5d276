#!/usr/bin/env bash
# Installs what the real-editor tests need, on a fresh Debian 12 machine, with nothing by hand:
# Debian's Chromium and build tools, and code-server (the real VS Code workbench, from npm) in
# .cache/code-server. Safe to run again: it skips what is already there.
set -euo pipefail
source "$(dirname "$0")/lib/apt.sh"
cd "$(dirname "$0")/.."

CODE_SERVER_VERSION=4.100.3 # VS Code 1.100.3, the newest code-server that builds with Node 20
APT_PACKAGES=(build-essential python3 pkg-config libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev ripgrep chromium)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  apt_get update
  apt_get install -y --no-install-recommends "${missing[@]}"
fi

target=.cache/code-server
if [ -x "$target/node_modules/.bin/code-server" ] && grep -q "\"version\": \"$CODE_SERVER_VERSION\"" "$target/node_modules/code-server/package.json" 2>/dev/null; then
  exit 0
fi
echo "Installing code-server $CODE_SERVER_VERSION into $target (about a minute)"
# @vscode/ripgrep's install script downloads from GitHub; seed its cache with Debian's rg instead.
cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
mkdir -p "$cache"
if [ ! -f "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
  staging=$(mktemp -d)
  cp "$(command -v rg)" "$staging/rg"
  tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$staging" rg
  rm -rf "$staging"
fi
mkdir -p "$target"
[ -f "$target/package.json" ] || echo '{"name": "sft-studio-editor-tests", "private": true}' > "$target/package.json"
# As root, node-pty's install runs `npx node-gyp` and needs these; Node 20's headers are in /usr.
npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
  npm install --prefix "$target" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
