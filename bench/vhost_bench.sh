#!/usr/bin/env bash
# VM-to-VM forwarding over vhost-user at 64 B, in one run: vigild (one worker core) beside
# dpdk-testpmd io-forwarding (the practical ceiling) and Open vSwitch with DPDK (NORMAL action,
# both ports in access VLAN 10: learning switch, like vigil), between the same two VMs.
#
# The VMs are bench/vm_pair_gen: two virtio-user ports (02:00:00:00:0a:01 and :02) in one process
# on CPU 0 that own the sockets (server=1, the arrangement OVS recommends); each sends 64 B UDP
# frames to the other as fast as its ring takes them and counts what it receives (testpmd's
# generators either send fixed MACs from both ports, which a learning switch sees as a MAC
# moving, or do not receive). The figure is what the VMs receive, both directions summed: the
# median of the last SECONDS one-second samples; the median over repetitions closes the table.
# CPU 1 runs the switch's forwarding core, CPU 0 the VMs (and the switch's mostly idle main
# thread). Usage: bench/vhost_bench.sh [SECONDS per run, default 10] [REPETITIONS, default 3]
# Needs root, hugepages (scripts/setup.sh reserves them), a built vigild (scripts/build.sh);
# OVS is measured when openvswitch-switch-dpdk is installed (scripts/setup.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
REPS=${2:-3}
VIGILD=$PWD/build/vigild
GEN=$PWD/build/bench/vm_pair_gen
OVS_VSWITCHD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
[ -x "$VIGILD" ] && [ -x "$GEN" ] || { echo "build first: scripts/build.sh"; exit 1; }
T=$(mktemp -d)
export OVS_RUNDIR=$T/ovs OVS_LOGDIR=$T/ovs OVS_DBDIR=$T/ovs
SWITCH_PID=
PEER_PID=
cleanup() {
  for p in $PEER_PID $SWITCH_PID; do kill "$p" 2>/dev/null || true; done
  stop_ovs 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM

if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" -ge 512 ]; then
  MEM_SWITCH="--in-memory"
  MEM_PEER="--in-memory --single-file-segments"  # one fd per segment list for vhost-user
else
  echo "fewer than 512 free hugepages: run scripts/setup.sh first"
  exit 1
fi

cat >"$T/vigil.yaml" <<CFG
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

start_ovs() {
  mkdir -p "$OVS_RUNDIR"
  ovsdb-tool create "$OVS_DBDIR/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server --remote="punix:$OVS_RUNDIR/db.sock" --pidfile --detach \
    --log-file="$OVS_LOGDIR/ovsdb.log" "$OVS_DBDIR/conf.db"
  ovs-vsctl --no-wait init
  ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true \
    other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
    other_config:dpdk-socket-mem=1024 "other_config:dpdk-extra=--no-pci"
  "$OVS_VSWITCHD" --pidfile --detach --log-file="$OVS_LOGDIR/vswitchd.log" \
    "unix:$OVS_RUNDIR/db.sock"
  ovs-vsctl --timeout=20 add-br br0 -- set bridge br0 datapath_type=netdev
  for vm in vm1 vm2; do
    ovs-vsctl --timeout=20 add-port br0 $vm tag=10 -- set Interface $vm type=dpdkvhostuserclient \
      "options:vhost-server-path=$T/$vm.sock"
  done
}

stop_ovs() {
  [ -d "$OVS_RUNDIR" ] || return 0
  local pids
  pids=$(cat "$OVS_RUNDIR"/*.pid 2>/dev/null || true)
  # Bounded: ovs-vsctl waits for ovs-vswitchd to apply a change, forever if it is wedged.
  timeout 15 ovs-vsctl --timeout=10 --if-exists del-br br0 || true  # else taps br0, ovs-netdev stay
  timeout 10 ovs-appctl -t ovs-vswitchd exit 2>/dev/null || true
  timeout 5 ovs-appctl -t ovsdb-server exit 2>/dev/null || true
  # A daemon still alive after asking (ovs-vswitchd can hang in exit) would keep polling CPU 1.
  for pid in $pids; do
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  ip link del br0 2>/dev/null || true
  ip link del ovs-netdev 2>/dev/null || true
  rm -rf "$OVS_RUNDIR"
}

start_switch() {
  case $1 in
    vigild)
      "$VIGILD" --config "$T/vigil.yaml" --eal "--lcores 0@0,1@1 $MEM_SWITCH" \
        >"$T/switch.out" 2>&1 &
      SWITCH_PID=$!
      ;;
    testpmd)
      # shellcheck disable=SC2086
      dpdk-testpmd --lcores 0@0,1@1 --no-pci $MEM_SWITCH --file-prefix bsw$$ \
        --vdev "net_vhost0,iface=$T/vm1.sock,client=1" \
        --vdev "net_vhost1,iface=$T/vm2.sock,client=1" \
        -- --total-num-mbufs=32768 --forward-mode=io --auto-start --stats-period 1000 >"$T/switch.out" 2>&1 &
      SWITCH_PID=$!
      ;;
    ovs)
      start_ovs >"$T/switch.out" 2>&1
      ;;
  esac
}

stop_switch() {
  if [ "$1" = ovs ]; then
    stop_ovs >/dev/null 2>&1
  else
    kill "$SWITCH_PID"
    wait "$SWITCH_PID" 2>/dev/null || true
    SWITCH_PID=
  fi
}

measure() {  # measure SWITCH: prints the median Mpps the VMs received, both directions
  rm -f "$T"/vm*.sock
  # shellcheck disable=SC2086
  "$GEN" "$T/vm1.sock" "$T/vm2.sock" $((SECS + 5)) --lcores 0@0 --no-pci $MEM_PEER \
    --file-prefix bvm$$ >"$T/peer.out" 2>&1 &
  PEER_PID=$!
  for _ in $(seq 100); do [ -S "$T/vm2.sock" ] && break; sleep 0.1; done
  start_switch "$1"
  wait "$PEER_PID" 2>/dev/null || true
  PEER_PID=
  stop_switch "$1"
  # One line per second; the switch connects within the first seconds: keep the last SECS.
  awk '/^rx_pps/ {print $2}' "$T/peer.out" | tail -n "$SECS" | sort -n |
    awk '{v[NR] = $1} END {if (NR == 0) print "0.00"; else printf "%.2f\n", v[int((NR + 1) / 2)] / 1e6}'
}

switches=(testpmd vigild)
[ -x "$OVS_VSWITCHD" ] && switches+=(ovs) || echo "note: OVS-DPDK not installed; not measured"
echo "VM-to-VM 64 B over vhost-user, both directions summed, Mpps (median of ${SECS} 1-s samples)"
printf "%-4s" rep
for sw in "${switches[@]}"; do printf " %9s" "$sw"; done
printf " %14s" "vigild/testpmd"
[ -x "$OVS_VSWITCHD" ] && printf " %10s" "vigild/ovs"
echo
declare -A all=()
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
for rep in $(seq "$REPS"); do
  declare -A got=()
  # Rotate the order each repetition, so drift does not favour one switch.
  n=${#switches[@]}
  for i in $(seq 0 $((n - 1))); do
    sw=${switches[$(((i + rep) % n))]}
    got[$sw]=$(measure "$sw")
    all[$sw]+="${got[$sw]} "
  done
  printf "%-4s" "$rep"
  for sw in "${switches[@]}"; do printf " %9s" "${got[$sw]}"; done
  printf " %14s" "$(ratio "${got[vigild]}" "${got[testpmd]}")"
  [ -n "${got[ovs]:-}" ] && printf " %10s" "$(ratio "${got[vigild]}" "${got[ovs]}")"
  echo
  unset got
done
med() { printf "%s\n" $1 | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
printf "%-4s" med
for sw in "${switches[@]}"; do printf " %9s" "$(med "${all[$sw]}")"; done
printf " %14s" "$(ratio "$(med "${all[vigild]}")" "$(med "${all[testpmd]}")")"
[ -n "${all[ovs]:-}" ] && printf " %10s" "$(ratio "$(med "${all[vigild]}")" "$(med "${all[ovs]}")")"
echo
