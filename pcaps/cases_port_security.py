"""Case `port_security`: anti-spoofing and host protection on VM ports (CONTRACT.md, Port security).

Called by pcaps/generate.py (CASES). Every frame names its intended drop reason (`expect=`) or the
ports it must reach (`to=`); switch_model.py checks both. Each port-security reason appears a
different number of times (see COUNTS), so mixed-up counters show; near-misses that must pass are
interleaved, and later unicasts prove that dropped frames taught the bridge nothing.
"""
import struct

from caselib import Case, make_config, set_vm
from frames import (BCAST, Host, arp, arp_probe, arp_reply, arp_request, dad_solicit,
                    dhcp6_advertise, dhcp_discover, dhcp_offer, ext_h, ipv4, ipv6, l2,
                    link_local, mld_report, neighbor_solicit, ping, ping6, router_advert,
                    router_solicit, tag, tcp, udp, udp6, udp_h)

HOST_V4, HOST_V4_LOCAL, HOST_V6 = "192.168.100.1", "10.0.10.254", "fd00:ffff::1"
BLUE = ["vb1", "vb2", "vb3", "vb4", "vb5", "uplink"]
RED = ["vr1", "vr2", "uplink"]
# drops the case must end with: every port-security reason, each count different from the others
COUNTS = {"spoofed_src_mac": 7, "spoofed_src_ip": 14, "spoofed_arp": 6, "dhcp_server_from_vm": 8,
          "router_advert_from_vm": 5, "host_access": 11, "truncated_ipv4": 1, "same_port": 2}


def _as(h, port=None, mac=None, ip4=None, ip6=None):
    """A copy of host h sending from `port` with some of its identity replaced."""
    x = Host(h.vlan, h.n, port or h.port)
    x.mac, x.ip4, x.ip6 = mac or h.mac, ip4 or h.ip4, ip6 or h.ip6
    return x


def _but(ports, *excluded):
    return [p for p in ports if p not in excluded]


def _arp_raw(smac, htype, ptype, plen, sender_ip, target_ip):
    """ARP request with an arbitrary hardware/protocol type (addresses as bytes)."""
    body = struct.pack("!HHBBH", htype, ptype, 6, plen, 1) + bytes.fromhex(smac.replace(":", "")) + \
        sender_ip + bytes(6) + target_ip
    return l2(smac, BCAST, 0x0806, body + bytes(max(0, 46 - len(body))))


def _ip4b(a):
    return bytes(int(x) for x in a.split("."))


def port_security():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3", "vb4", "vb5"]), ("red", 20, ["vr1", "vr2"])],
                         trunks=[{"port": "uplink"}])
    set_vm(cfg, "vb3", port_security=False)               # a router VM: forwards others' frames
    set_vm(cfg, "vb4", allow_dhcp_server=True)            # the tenant's DHCP server
    set_vm(cfg, "vb5", allow_router_advertisement=True)   # the tenant's IPv6 router
    set_vm(cfg, "vr1", ipv4=["10.0.20.1", "10.0.20.11"], ipv6=["fd00:20::1", "fd00:20::11"])
    cfg["host"] = {"addresses": [HOST_V4, HOST_V4_LOCAL, HOST_V6]}
    c = Case("port_security", cfg, 8)
    b1, b2, b3, b4, b5, r1, r2 = (H[p] for p in ("vb1", "vb2", "vb3", "vb4", "vb5", "vr1", "vr2"))
    bh, bh2, rh = Host(10, 0x64, "uplink"), Host(10, 0x65, "uplink"), Host(20, 0x64, "uplink")
    hv = _as(bh, ip4=HOST_V4, ip6=HOST_V6)               # the host's addresses, via the gateway MAC
    hv_local = _as(bh, ip4=HOST_V4_LOCAL)
    s, send = c.sendh, c.send

    # everyone but vr2 announces itself (gratuitous ARP, or a reply)
    for h in (b1, b3, b4, b5):
        s(h, arp_request(h, h.ip4), to=_but(BLUE, h.port))
    s(b2, arp_reply(b2, b1), to=["vb1"])
    s(bh, arp_request(bh, bh.ip4), to=_but(BLUE, "uplink"))
    s(r1, arp_request(r1, r1.ip4), to=["vr2", "uplink"])
    s(rh, arp_request(rh, rh.ip4), to=["vr1", "vr2"])

    # 1. source MAC: not the VM's -> spoofed_src_mac, and the bridge learns nothing from it
    send("vb1", ping(_as(b2, "vb1"), bh, 1), expect="spoofed_src_mac")       # b2's MAC and IP
    s(bh, ping(bh, b2, 1), to=["vb2"])                                       # b2 still on vb2
    a0 = Host(10, 0xA0, "vb1")                                               # a made-up MAC
    send("vb1", arp_request(a0, a0.ip4), expect="spoofed_src_mac")
    s(b2, udp(b2, a0, 1000, 2000, b"to a0"), to=_but(BLUE, "vb2"))           # a0 unknown: floods
    send("vr2", l2(r1.mac, BCAST, 0x88B5, bytes(46)), expect="spoofed_src_mac")  # r1's MAC, non-IP
    s(rh, ping(rh, r1, 2), to=["vr1"])                                       # r1 still on vr1
    send("vb2", tag(ping(_as(bh, "vb2"), b1, 3), 0, 5), expect="spoofed_src_mac")  # priority-tagged
    s(b1, ping(b1, bh, 3, reply=True), to=["uplink"])                        # bh still behind uplink
    send("vb1", ping(_as(b2, "vb1"), hv, 4), expect="spoofed_src_mac")      # MAC checked first
    send("vb5", dhcp_offer(_as(b4, "vb5"), b1), expect="spoofed_src_mac")   # the DHCP server's MAC
    send("vb4", dhcp_offer(_as(b4, mac=a0.mac), b1), expect="spoofed_src_mac")  # allowed server, other MAC
    # ... a malformed frame keeps its parse reason even with a spoofed MAC
    send("vb1", l2(b2.mac, bh.mac, 0x0800, ipv4(b2, bh, 17, udp_h(1, 2, b"x"))[:12]),
         expect="truncated_ipv4")

    # 2. IPv4/IPv6 sources: bound addresses only (0.0.0.0 for a DHCP client, :: for DAD/MLDv2,
    #    the EUI-64 link-local of the VM's MAC)
    send("vb1", ping(_as(b1, ip4=b2.ip4), bh, 5), expect="spoofed_src_ip")   # b2's IP, own MAC
    s(b1, dhcp_discover(b1), to=_but(BLUE, "vb1"))                           # 0.0.0.0, 68 -> 67
    send("vb1", ping(_as(b1, ip4="0.0.0.0"), bh, 6), expect="spoofed_src_ip")  # 0.0.0.0, not DHCP
    send("vb1", udp(_as(b1, ip4="0.0.0.0"), bh, 68, 68, b"not 68->67"), expect="spoofed_src_ip")
    # a non-first fragment has no L4 header: its bytes that look like UDP 68 -> 67 are not ports
    send("vb1", l2(b1.mac, BCAST, 0x0800, ipv4(_as(b1, ip4="0.0.0.0"), _as(bh, ip4="255.255.255.255"),
                                               17, udp_h(68, 67, b"frag"), frag=185)),
         expect="spoofed_src_ip")
    s(b1, l2(b1.mac, bh.mac, 0x0800, ipv4(b1, bh, 17, udp_h(67, 68, b"frag"), frag=185)),
      to=["uplink"])                                                         # not a DHCP offer
    s(b1, udp(b1, bh, 68, 67, b"dhcp renew"), to=["uplink"])                 # own IP, 68 -> 67
    s(b1, udp(b1, bh, 67, 67, b"relay"), to=["uplink"])                      # 67 -> 67: no offer
    s(b1, arp_probe(b1, b1.ip4), to=_but(BLUE, "vb1"))                       # ARP probe (0.0.0.0)
    s(b1, dad_solicit(b1, b1.ip6), to=_but(BLUE, "vb1"))                     # DAD: NS from ::
    s(b1, mld_report(b1, "ff02::1:ff00:1"), to=_but(BLUE, "vb1"))            # MLDv2 from ::, HBH
    s(b1, router_solicit(b1), to=_but(BLUE, "vb1"))                          # EUI-64 link-local
    s(b1, neighbor_solicit(_as(b1, ip6=link_local(b1.mac)), b2), to=_but(BLUE, "vb1"))
    s(b2, ping6(_as(b2, ip6=link_local(b2.mac)), _as(b1, ip6=link_local(b1.mac)), 1), to=["vb1"])
    send("vb1", ping6(_as(b1, ip6=b2.ip6), b2, 2), expect="spoofed_src_ip")        # b2's IPv6
    send("vb1", ping6(_as(b1, ip6="::"), b2, 3), expect="spoofed_src_ip")          # :: not DAD
    send("vb1", l2(b1.mac, b2.mac, 0x86DD, ipv6(_as(b1, ip6="::"), b2, 58,
                                                struct.pack("!BBHI", 136, 0, 0, 0) + bytes(16))),
         expect="spoofed_src_ip")                                                  # NA from ::
    send("vb1", l2(b1.mac, "33:33:00:00:00:16", 0x86DD,
                   ipv6(_as(b1, ip6="::"), _as(b2, ip6="ff02::16"), 58,
                        struct.pack("!BBHHH", 131, 0, 0, 0, 0) + bytes(16))),
         expect="spoofed_src_ip")                                                  # MLDv1 from ::
    send("vb1", ping6(_as(b1, ip6="fe80::1"), b2, 4), expect="spoofed_src_ip")     # not EUI-64
    send("vb1", ping6(_as(b1, ip6=link_local(b2.mac)), b2, 5), expect="spoofed_src_ip")  # b2's
    # a non-first IPv6 fragment from ::, its bytes looking like an NS (type 135): not DAD
    send("vb1", l2(b1.mac, b2.mac, 0x86DD, ipv6(_as(b1, ip6="::"), b2, 44,
                                                bytes([58, 0, 0, 0x58, 0, 0, 0, 1]) +
                                                struct.pack("!BBHI", 135, 0, 0, 0))),
         expect="spoofed_src_ip")
    s(r1, udp(_as(r1, ip4="10.0.20.11"), rh, 5, 6, b"second v4"), to=["uplink"])   # vr1: 2 addresses
    s(r1, udp6(_as(r1, ip6="fd00:20::11"), rh, 5, 6, b"second v6"), to=["uplink"])
    send("vr1", udp(_as(r1, ip4="10.0.20.12"), rh, 5, 6, b"third"), expect="spoofed_src_ip")
    send("vb2", tag(ping(_as(b2, ip4=bh2.ip4), bh, 7), 0, 3), expect="spoofed_src_ip")  # prio tag
    s(b2, tag(ping(b2, bh, 7), 0, 3), to=["uplink"])

    # 3. ARP: sender MAC and IP must be the VM's (0.0.0.0: probe)
    send("vb1", arp_request(_as(b1, ip4=b2.ip4), bh.ip4), expect="spoofed_arp")   # claims b2's IP
    send("vb1", arp(b1.mac, 2, b2.mac, b1.ip4, bh.ip4, bh.mac, bh.mac), expect="spoofed_arp")
    send("vr1", arp_request(_as(r1, ip4="10.0.20.12"), rh.ip4), expect="spoofed_arp")
    send("vb1", arp(b1.mac, 1, a0.mac, "0.0.0.0", b1.ip4), expect="spoofed_arp")  # probe, other MAC
    send("vb1", arp_request(_as(b1, ip4=HOST_V4_LOCAL), bh.ip4), expect="spoofed_arp")  # sender only
    s(r1, arp_request(_as(r1, ip4="10.0.20.11"), rh.ip4), to=["vr2", "uplink"])   # second address
    # only Ethernet/IPv4 ARP is checked: other hardware or protocol types pass, whatever they say
    s(b1, _arp_raw(b1.mac, 6, 0x0800, 4, _ip4b(b2.ip4), _ip4b(HOST_V4_LOCAL)), to=_but(BLUE, "vb1"))
    s(b1, _arp_raw(b1.mac, 1, 0x86DD, 16, bytes(16), bytes(16)), to=_but(BLUE, "vb1"))

    # 4. DHCP / DHCPv6 server messages: allow_dhcp_server only (port_security: false does not lift it)
    send("vb1", dhcp_offer(b1, b2), expect="dhcp_server_from_vm")
    s(b4, dhcp_offer(b4, b2), to=["vb2"])                                          # allowed
    s(b4, dhcp6_advertise(b4, b2), to=["vb2"])
    send("vb3", dhcp_offer(b3, b2), expect="dhcp_server_from_vm")
    send("vb5", dhcp6_advertise(b5, b2), expect="dhcp_server_from_vm")           # RA allowed only
    send("vb1", dhcp6_advertise(b1, b2), expect="dhcp_server_from_vm")
    send("vb1", l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, udp_h(67, 68, b"offer", ulen=1400),
                                                frag=0x2000)), expect="dhcp_server_from_vm")  # 1st frag
    send("vb2", dhcp_offer(b2, b1, src_ip="0.0.0.0"), expect="dhcp_server_from_vm")  # before src
    send("vb1", l2(b1.mac, b2.mac, 0x86DD, ipv6(_as(b1, ip6=link_local(b1.mac)), b2, 0,
                                                ext_h(17, 0) + udp_h(547, 546, b"\x02\x00\x00\x01"))),
         expect="dhcp_server_from_vm")                                           # after HBH
    s(b1, udp6(_as(b1, ip6=link_local(b1.mac)), _as(b4, ip6="ff02::1:2"), 546, 547, b"solicit",
               mac_dst="33:33:00:01:00:02"), to=_but(BLUE, "vb1"))               # DHCPv6 client

    # 5. router advertisements: allow_router_advertisement only
    send("vb1", router_advert(b1), expect="router_advert_from_vm")
    s(b5, router_advert(b5), to=_but(BLUE, "vb5"))                                 # allowed
    send("vb3", router_advert(b3), expect="router_advert_from_vm")
    send("vb4", router_advert(b4), expect="router_advert_from_vm")               # DHCP allowed only
    send("vb2", l2(b2.mac, b1.mac, 0x86DD, ipv6(b2, b1, 60, ext_h(58, 0) +
                                                struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0))),
         expect="router_advert_from_vm")                                         # after dest. opts
    s(b2, l2(b2.mac, b1.mac, 0x86DD, ipv6(b2, b1, 44, bytes([58, 0, 0, 0x58, 0, 0, 0, 1]) +
                                          struct.pack("!BBHI", 134, 0, 0, 0))), to=["vb1"])  # no L4

    # 6. host addresses: never from a VM port, whatever its flags; from the trunk: not checked
    send("vb1", ping(b1, hv, 8), expect="host_access")
    send("vb1", arp_request(b1, HOST_V4_LOCAL), expect="host_access")
    send("vb3", tcp(b3, hv_local, 40000, 22, "S"), expect="host_access")
    send("vb4", udp6(b4, hv, 1000, 161, b"snmp"), expect="host_access")
    send("vb2", l2(b2.mac, bh.mac, 0x0800, ipv4(b2, hv, 17, b"tail of a datagram", frag=100)),
         expect="host_access")                                                   # fragment
    send("vb1", ping(_as(b1, ip4=b2.ip4), hv, 9), expect="host_access")        # before the source
    send("vr1", arp_probe(r1, HOST_V4_LOCAL), expect="host_access")
    send("vb4", dhcp_offer(b4, hv_local), expect="host_access")
    send("vb5", router_advert(b5, dst=HOST_V6, mac_dst=bh.mac), expect="host_access")  # RA to the host
    send("vb1", arp(b1.mac, 1, a0.mac, b2.ip4, HOST_V4_LOCAL), expect="host_access")  # before sender
    s(bh, l2(bh.mac, b1.mac, 0x0800, ipv4(bh, hv, 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1))),
      pcp=2, to=["vb1"])                                                         # trunk: passes
    s(bh, arp_request(bh, HOST_V4_LOCAL), to=_but(BLUE, "uplink"))
    s(bh2, router_advert(bh2), to=_but(BLUE, "uplink"))
    s(bh2, dhcp_offer(bh2, b1), to=["vb1"])

    # 7. the router VM (port_security: false): others' MACs and IPs pass and are learned there
    routed = _as(Host(10, 0x50, "vb3"))
    s(routed, udp(routed, b1, 53, 5353, b"routed"), to=["vb1"])
    s(b1, udp(b1, routed, 5353, 53, b"back"), to=["vb3"])
    s(routed, arp_request(routed, b1.ip4), to=_but(BLUE, "vb3"))
    s(bh, udp(bh, routed, 1, 2, b"via router"), to=["vb3"])
    s(_as(b2, "vb3"), ping(b2, bh, 10), to=["uplink"])                 # b2's MAC moves to vb3
    s(bh, ping(bh, b2, 10, reply=True), to=["vb3"])
    s(b2, ping(b2, bh, 11), to=["uplink"])                              # and back to vb2
    s(bh, ping(bh, b2, 11, reply=True), to=["vb2"])
    s(b1, udp(b1, b1, 1, 1, b"own MAC"), expect="same_port")

    # 8. vr2's first frames are all dropped although they carry its own MAC: still unknown
    send("vr2", ping(_as(r2, ip4=r1.ip4), rh, 12), expect="spoofed_src_ip")
    send("vr2", arp_request(_as(r2, ip4="10.0.20.9"), r1.ip4), expect="spoofed_arp")
    send("vr2", dhcp_offer(r2, r1), expect="dhcp_server_from_vm")
    send("vr2", router_advert(r2), expect="router_advert_from_vm")
    send("vr2", ping(r2, hv, 13), expect="host_access")
    s(r1, udp(r1, r2, 7, 8, b"r2 unknown"), to=["vr2", "uplink"])
    s(r2, arp_request(r2, r1.ip4), to=["vr1", "uplink"])                 # learned now
    s(r1, udp(r1, r2, 7, 8, b"r2 known"), to=["vr2"])
    s(rh, udp(rh, r2, 9, 8, b"from trunk"), to=["vr2"])
    s(r2, ping(r2, r2, 14), expect="same_port")
    s(bh2, udp(bh2, a0, 3, 4, b"a0 still unknown"), to=_but(BLUE, "uplink"))

    got = c.model.counters()["drops"]
    assert got == COUNTS, "port_security drops %s, want %s" % (got, COUNTS)
    assert len(set(COUNTS.values())) == len(COUNTS), "drop counts must differ"
    c.write()
