#!/usr/bin/env bash
# Installs Debian's PyTorch, which the model parity tests use as an independent reference
# (test/reference/hf_reference.py runs under /usr/bin/python3). Safe to run again.
set -euo pipefail
if /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then exit 0; fi
echo "Installing Debian's python3-torch and python3-numpy (the parity tests' reference)"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-numpy >/dev/null
