#!/usr/bin/env bash
# Installs a software Vulkan device so the WebGPU backend (Dawn, from the `webgpu` npm package)
# can run on machines without a GPU: Mesa's lavapipe from Debian's bookworm-backports (bookworm's
# own Mesa is too old for this Dawn). The tests use it to prove the WebGPU path gives the same
# numbers as WASM. Safe to run again.
set -euo pipefail
source "$(dirname "$0")/lib/apt.sh"
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^25\.'; then
  exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "Adding Debian's bookworm-backports to apt's sources"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi
echo "Installing Mesa's software Vulkan driver from bookworm-backports"
apt_get update
apt_get install -y --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
