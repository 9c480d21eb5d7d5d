"""Stand-in for hosts on the physical network behind an 802.1Q trunk.

The kernel here has no 8021q module, so VLAN subinterfaces cannot be made; this answers ARP and
ICMP echo for one address per VLAN on a raw socket instead, and logs every frame it sees
(VLAN, source MAC) so a test can check what crossed the trunk.
Usage: vlan_host.py IFACE LOG VLAN:IP:MAC [VLAN:IP:MAC ...]   (runs until killed)
"""
import json
import sys

from scapy.all import ARP, ICMP, IP, Dot1Q, Ether, conf  # noqa: E402


def main():
    iface, log_path = sys.argv[1], sys.argv[2]
    hosts = {}
    for spec in sys.argv[3:]:
        vlan, ip, mac = spec.split(":", 2)
        hosts[(int(vlan), ip)] = mac
    sock = conf.L2socket(iface=iface)
    log = open(log_path, "a", buffering=1)
    print("ready", flush=True)
    while True:
        pkt = sock.recv()
        if pkt is None or Ether not in pkt:
            continue
        vlan = pkt[Dot1Q].vlan if Dot1Q in pkt else None
        log.write(json.dumps({"vlan": vlan, "src": pkt[Ether].src, "dst": pkt[Ether].dst}) + "\n")
        if vlan is None:
            continue
        if ARP in pkt and pkt[ARP].op == 1 and (vlan, pkt[ARP].pdst) in hosts:
            mac = hosts[(vlan, pkt[ARP].pdst)]
            sock.send(Ether(src=mac, dst=pkt[Ether].src) / Dot1Q(vlan=vlan) /
                      ARP(op=2, hwsrc=mac, psrc=pkt[ARP].pdst, hwdst=pkt[ARP].hwsrc,
                          pdst=pkt[ARP].psrc))
        elif ICMP in pkt and pkt[ICMP].type == 8 and (vlan, pkt[IP].dst) in hosts:
            mac = hosts[(vlan, pkt[IP].dst)]
            sock.send(Ether(src=mac, dst=pkt[Ether].src) / Dot1Q(vlan=vlan) /
                      IP(src=pkt[IP].dst, dst=pkt[IP].src) /
                      ICMP(type=0, id=pkt[ICMP].id, seq=pkt[ICMP].seq) / pkt[ICMP].payload)


if __name__ == "__main__":
    main()
