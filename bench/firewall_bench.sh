#!/usr/bin/env bash
# The stateful firewall's cost, in one run: VM-to-VM 64 B UDP over vhost-user through vigild
# (one worker core) without a policy, then with a policy of 10, 1,000 and 10,000 rules, and with
# 1,000,000 tracked connections; the rate connections are created at; the table's memory per
# connection (vigild reports what it allocated).
# The VMs are bench/vm_pair_gen (see vhost_bench.sh): with FLOWS > 1 they cycle through that
# many UDP port pairs, VM 2 sending the reverse of VM 1's flows.
# Usage: bench/firewall_bench.sh [SECONDS per run, default 10]. Needs root, hugepages, a build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
VIGILD=$PWD/build/vigild
GEN=$PWD/build/bench/vm_pair_gen
[ -x "$VIGILD" ] && [ -x "$GEN" ] || { echo "build first: scripts/build.sh"; exit 1; }
[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" -ge 768 ] ||
  { echo "fewer than 768 free hugepages: run scripts/setup.sh first"; exit 1; }
T=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM

write_config() {  # write_config RULES: 0 = no policy; else RULES-1 TCP rules that never match
  local rules=$1         # UDP traffic, then one rule allowing UDP; "2t": no policy, but a
                         # second tenant, so cross-tenant checks run on every frame
  cat >"$T/vigil.yaml" <<CFG
switch:
  conntrack: {size: 2097152}
ports:
  - {name: vm1, kind: vhost-user, socket: $T/vm1.sock, mode: client}
  - {name: vm2, kind: vhost-user, socket: $T/vm2.sock, mode: client}
tenants:
  - name: blue
    vlan: 10
    vms:
      - {port: vm1, mac: "02:00:00:00:0a:01", ipv4: [10.0.10.1]}
      - {port: vm2, mac: "02:00:00:00:0a:02", ipv4: [10.0.10.2]}
CFG
  if [ "$rules" = 2t ]; then
    cat >>"$T/vigil.yaml" <<CFG
  - name: red
    vlan: 20
    vms:
      - {port: vr1, mac: "02:00:00:00:14:01", ipv4: [10.0.20.1]}
CFG
    sed -i "s|^tenants:|  - {name: vr1, kind: vhost-user, socket: $T/vr1.sock, mode: client}\ntenants:|" \
      "$T/vigil.yaml"
    return
  fi
  [ "$rules" -eq 0 ] && return
  {
    echo "    policy:"
    echo "      default: deny"
    echo "      rules:"
    for i in $(seq 1 $((rules - 1))); do
      echo "        - {src: \"10.$((i / 250 % 250)).$((i % 250)).0/24\", proto: tcp, dst_port: $((i % 60000 + 1)), action: allow}"
    done
    echo "        - {proto: udp, action: allow}"
  } >>"$T/vigil.yaml"
}

run() {  # run RULES FLOWS: prints "Mpps created_per_s connections memory_line"
  write_config "$1"
  rm -f "$T"/vm*.sock "$T/stats.json"
  # shellcheck disable=SC2086
  "$GEN" "$T/vm1.sock" "$T/vm2.sock" $((SECS + 6)) "$2" --lcores 0@0 --no-pci --in-memory \
    --single-file-segments --file-prefix fwb$$ >"$T/gen.out" 2>&1 &
  local gen=$!
  PIDS=("$gen")
  for _ in $(seq 100); do [ -S "$T/vm2.sock" ] && break; sleep 0.1; done
  "$VIGILD" --config "$T/vigil.yaml" --stats-json "$T/stats.json" --stats-interval 1 \
    --eal "--lcores 0@0,1@1 --in-memory" >"$T/vigild.out" 2>&1 &
  local sw=$!
  PIDS+=("$sw")
  # The most connections created in one second, from vigild's per-second JSON.
  local peak=0 prev=0 now
  for _ in $(seq $((SECS + 5))); do
    sleep 1
    now=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("firewall", {}).get("created", 0))' "$T/stats.json" 2>/dev/null || echo "$prev")
    [ $((now - prev)) -gt "$peak" ] && peak=$((now - prev))
    prev=$now
  done
  wait "$gen" 2>/dev/null || true
  kill "$sw"
  wait "$sw" 2>/dev/null || true
  PIDS=()
  local mpps
  mpps=$(awk '/^rx_pps/ {print $2}' "$T/gen.out" | tail -n "$SECS" | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) print "0.00"; else printf "%.2f", v[int((NR + 1) / 2)] / 1e6}')
  local live
  live=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("firewall", {}).get("connections", "-"))' "$T/stats.json" 2>/dev/null || echo "-")
  printf "%-8s %9s %8s %14s %12s\n" "$1" "$2" "$mpps" "$peak" "$live"
  grep -h "connection table:" "$T/vigild.out" >>"$T/memory.txt" || true
}

echo "VM-to-VM 64 B UDP over vhost-user through vigild (1 worker), both directions summed"
printf "%-8s %9s %8s %14s %12s\n" rules flows Mpps "new conn/s max" connections
run 0 1
run 2t 1
run 10 1
run 1000 1
run 10000 1
run 10 1000000
echo
sort -u "$T/memory.txt"
