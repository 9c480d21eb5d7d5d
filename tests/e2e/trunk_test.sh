#!/usr/bin/env bash
# Trunk over a real Linux link: vigild's trunk is an af_packet port on a veth whose peer sits in
# a network namespace where vlan_host.py answers for one host on VLAN 10 and one on VLAN 20 (this
# kernel has no 8021q module for VLAN subinterfaces); the VMs are tap ports moved into
# namespaces of their own, with real kernel stacks. Checks that both tenants reach the
# physical side on their own VLAN, and nothing crosses tenants (even with overlapping subnets).
# Needs root (namespaces). Usage: trunk_test.sh VIGILD
set -uo pipefail
VIGILD=${1:?usage: trunk_test.sh VIGILD}
[ "$(id -u)" = 0 ] || { echo "skipped: needs root for network namespaces"; exit 77; }

id=$$
T=$(mktemp -d)
NS_UP=vgl-up-$id NS_B=vgl-blue-$id NS_R=vgl-red-$id NS_R2=vgl-red2-$id
UP=vgu$id          # vigil's side of the veth (the "NIC")
UPP=vgp$id         # the physical network's side, inside NS_UP
TB=vtb$id TR=vtr$id TR2=vts$id
VIGILD_PID=
failures=0

cleanup() {
  [ -n "$VIGILD_PID" ] && kill "$VIGILD_PID" 2>/dev/null && wait "$VIGILD_PID" 2>/dev/null
  [ -n "${HOST_PID:-}" ] && kill "$HOST_PID" 2>/dev/null
  for ns in $NS_UP $NS_B $NS_R $NS_R2; do ip netns del "$ns" 2>/dev/null; done
  ip link del "$UP" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT

check() {  # check NAME EXPECT(pass|fail) COMMAND...
  local name=$1 expect=$2
  shift 2
  if "$@" >"$T/cmd.log" 2>&1; then got=pass; else got=fail; fi
  if [ "$got" = "$expect" ]; then
    echo "ok   $name (ping ${got}ed as expected)"
  else
    echo "FAIL $name: expected ping to ${expect}, it ${got}ed"
    sed 's/^/     /' "$T/cmd.log"
    failures=$((failures + 1))
  fi
}

ip netns add $NS_UP && ip netns add $NS_B && ip netns add $NS_R && ip netns add $NS_R2
ip link add $UP type veth peer name $UPP
ip link set $UPP netns $NS_UP
ip link set $UP up
ip netns exec $NS_UP sh -e -c "ip link set lo up; ip link set $UPP up"
HOST_PID=
ip netns exec $NS_UP /usr/bin/python3 "$(dirname "$0")/vlan_host.py" $UPP "$T/trunk.log" \
  10:10.0.10.100:02:00:00:00:0a:64 20:10.0.20.100:02:00:00:00:14:64 >"$T/host.out" 2>&1 &
HOST_PID=$!
for _ in $(seq 100); do grep -q ready "$T/host.out" 2>/dev/null && break; sleep 0.1; done

cat >"$T/config.yaml" <<CFG
switch: {workers: 1}
ports:
  - {name: uplink, kind: af_packet, iface: $UP}
  - {name: blue1, kind: tap, iface: $TB}
  - {name: red1, kind: tap, iface: $TR}
  - {name: red2, kind: tap, iface: $TR2}
tenants:
  - name: blue
    vlan: 10
    vms: [{port: blue1, mac: "02:00:00:00:0a:01", ipv4: [10.0.10.1]}]
  - name: red
    vlan: 20
    vms:
      - {port: red1, mac: "02:00:00:00:14:01", ipv4: [10.0.10.2]}
      - {port: red2, mac: "02:00:00:00:14:02", ipv4: [10.0.20.1]}
trunks:
  - {port: uplink}
CFG
"$VIGILD" --config "$T/config.yaml" --stats-json "$T/stats.json" >"$T/vigild.out" 2>"$T/vigild.err" &
VIGILD_PID=$!
for _ in $(seq 100); do ip link show $TR2 >/dev/null 2>&1 && break; sleep 0.1; done
if ! ip link show $TR2 >/dev/null 2>&1; then
  echo "FAIL vigild did not create its tap ports"; cat "$T/vigild.err"; exit 1
fi

vm() {  # vm NS TAP MAC ADDR: move a tap port into its namespace as a VM's NIC
  ip link set "$2" netns "$1"
  ip netns exec "$1" sh -e -c "ip link set lo up; ip link set $2 address $3
    ip addr add $4 dev $2; ip link set $2 up"
}
vm $NS_B $TB 02:00:00:00:0a:01 10.0.10.1/24
vm $NS_R $TR 02:00:00:00:14:01 10.0.10.2/24   # same subnet as blue1, other tenant
vm $NS_R2 $TR2 02:00:00:00:14:02 10.0.20.1/24

ping_from() { ip netns exec "$1" ping -c 3 -i 0.2 -W 1 "$2"; }
check "blue1 -> physical network on VLAN 10" pass ping_from $NS_B 10.0.10.100
check "red2 -> physical network on VLAN 20" pass ping_from $NS_R2 10.0.20.100
check "blue1 -> red1 (same subnet, other tenant)" fail ping_from $NS_B 10.0.10.2
check "red1 -> physical VLAN 10 address (other tenant's VLAN)" fail ping_from $NS_R 10.0.10.100

kill "$VIGILD_PID"
wait "$VIGILD_PID"
rc=$?
VIGILD_PID=
if [ $rc -ne 0 ]; then echo "FAIL vigild exited with $rc"; cat "$T/vigild.err"; failures=$((failures + 1)); fi
/usr/bin/python3 - "$T/stats.json" "$T/trunk.log" <<'PY' || failures=$((failures + 1))
import json, sys
s = json.load(open(sys.argv[1]))
seen = [json.loads(line) for line in open(sys.argv[2])]
t = s["totals"]
ports = s["ports"]
problems = []
if t["received"] != t["forwarded"] + t["dropped"]:
    problems.append(f"received {t['received']} != forwarded + dropped")
for name in ("uplink", "blue1", "red2"):
    if ports[name]["rx_packets"] == 0 or ports[name]["tx_packets"] == 0:
        problems.append(f"port {name} carried no traffic both ways: {ports[name]}")
# On the wire: every VM's frame carries its own tenant's tag, and each VM was seen.
tenant_vlan = {"02:00:00:00:0a:01": 10, "02:00:00:00:14:01": 20, "02:00:00:00:14:02": 20}
for f in seen:
    if f["src"] in tenant_vlan and f["vlan"] != tenant_vlan[f["src"]]:
        problems.append(f"frame from {f['src']} on the trunk with VLAN {f['vlan']}")
for mac in tenant_vlan:
    if not any(f["src"] == mac for f in seen):
        problems.append(f"no frame from {mac} reached the trunk")
print("FAIL stats: " + "; ".join(problems) if problems else
      f"ok   stats add up: {t['received']} received, {t['forwarded']} forwarded, "
      f"{t['dropped']} dropped {dict((k, v) for k, v in s['drops'].items() if v)}")
sys.exit(1 if problems else 0)
PY
if [ $failures -eq 0 ]; then echo "PASS trunk"; else echo "FAIL trunk: $failures check(s) failed"; fi
exit $((failures > 0))
