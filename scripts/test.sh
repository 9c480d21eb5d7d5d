#!/usr/bin/env bash
# Set-up, build, then every test (unit, golden pcap replay, corpus replay); ctest's summary ends it.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
scripts/setup.sh
t1=$SECONDS
scripts/build.sh
t2=$SECONDS
echo "test: setup took $((t1 - t0)) s, build $((t2 - t1)) s"
cd build
ctest --output-on-failure -j "$(nproc)"
echo "test: tests took $((SECONDS - t2)) s"
