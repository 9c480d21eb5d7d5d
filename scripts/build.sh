#!/usr/bin/env bash
# Configures and builds vigil into build/ (Release; pass e.g. -DVIGIL_SANITIZE=ON to change).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build "$@" >/dev/null
cmake --build build -j "$(nproc)"
