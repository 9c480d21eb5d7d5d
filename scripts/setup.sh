#!/usr/bin/env bash
# Installs the Debian packages vigil needs (apt-get only when one is missing) and reserves
# hugepages where the machine allows. Safe to run again. Needs root for both.
# Usage: scripts/setup.sh [--bench]   (--bench: also Open vSwitch with DPDK, for bench/)
set -euo pipefail

PACKAGES=(
  cmake g++ make pkg-config            # build
  dpdk dpdk-dev libdpdk-dev            # DPDK 22.11 libraries, PMDs, dpdk-testpmd
  libpcap-dev                          # DPDK's pcap PMD reads and writes captures through it
  libyaml-cpp-dev                      # the config file
  libhyperscan-dev libpcre2-dev        # the IDS: Hyperscan prefilters, pcre2 confirmation
  nlohmann-json3-dev                   # the control API (vigild <-> vigilctl)
  libssl-dev                           # SHA-256 of the config file (tamper check)
  libgtest-dev                         # unit tests
  python3-scapy python3-yaml           # capture generator, replay and e2e test runners
  iproute2 iputils-ping                # e2e tests: network namespaces, veth, ping
  qemu-system-x86 xz-utils             # e2e tests: real guests over vhost-user (TCG)
)

# The benchmark's peer switch (bench/vhost_bench.sh); large, so only on request.
[ "${1:-}" = --bench ] && PACKAGES+=(openvswitch-switch-dpdk)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

# Hugepages: vigild uses them when 256 x 2 MiB are free, and falls back to --no-huge otherwise.
want=1024
if [ -w /proc/sys/vm/nr_hugepages ]; then
  grep -q ' /dev/hugepages hugetlbfs' /proc/mounts ||
    { mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true; }
  [ "$(cat /proc/sys/vm/nr_hugepages)" -ge "$want" ] || echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
fi
echo "setup: hugepages free: $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" \
  "(vigild runs with --no-huge when fewer than 256 are free)"
