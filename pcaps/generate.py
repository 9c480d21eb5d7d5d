#!/usr/bin/python3
"""(Re)generate the golden replay cases under pcaps/<case>/ (see pcaps/CONTRACT.md).

    /usr/bin/python3 pcaps/generate.py [case ...]

Deterministic: fixed seeds, fixed timestamps. Expected outputs come from switch_model.py, an
independent model of the contract's switching rules (never from vigild).
"""
import os
import struct
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import malformed  # noqa: E402
from frames import (BCAST, Host, arp, arp_reply, arp_request, dhcp6_advertise, dhcp_offer,  # noqa: E402
                    ext_h, ipv4, ipv6, l2, neighbor_advert, neighbor_solicit, ping, ping6,
                    random_valid, router_advert, tag, tcp, tcp_h, udp, udp6, udp_h)
from caselib import BCAST_HOST, Case, make_config, set_vm  # noqa: E402
import cases_aging_prio  # noqa: E402
import cases_cross_tenant  # noqa: E402
import cases_firewall  # noqa: E402
import cases_ids_actions  # noqa: E402
import cases_ids_flow  # noqa: E402
import cases_ids_http  # noqa: E402
import cases_monitor_benign  # noqa: E402
import cases_monitor_floods  # noqa: E402
import cases_monitor_more  # noqa: E402
import cases_monitor_scans  # noqa: E402
import cases_port_security  # noqa: E402


# ---------------------------------------------------------------- two_tenants
def two_tenants():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2"]), ("red", 20, ["vr1", "vr2"])],
                         trunks=[{"port": "uplink"}])
    set_vm(cfg, "vb2", port_security=False)      # a router-like VM: may send others' MACs and IPs
    c = Case("two_tenants", cfg, 1)
    b1, b2, r1, r2 = H["vb1"], H["vb2"], H["vr1"], H["vr2"]
    bh, bh2, rh = Host(10, 0x64, "uplink"), Host(10, 0x65, "uplink"), Host(20, 0x64, "uplink")
    s = c.sendh
    s(b1, arp_request(b1, b2.ip4, padded=False), to=["vb2", "uplink"])     # 42 B, unpadded
    s(b2, arp_reply(b2, b1, padded=False), to=["vb1"])
    s(b1, ping(b1, b2, 1), to=["vb2"])
    s(b2, ping(b2, b1, 1, reply=True), to=["vb1"])
    s(r1, arp_request(r1, r2.ip4), to=["vr2", "uplink"])
    s(r2, arp_reply(r2, r1), to=["vr1"])
    s(r1, udp(r1, r2, 40000, 53, b"red dns query"), to=["vr2"])
    s(b1, tcp(b1, bh, 40001, 80, "S"), to=["vb2", "uplink"])             # unknown unicast
    s(bh, tcp(bh, b1, 80, 40001, "SA", 5000, 1001), to=["vb1"])          # from trunk, VLAN 10
    s(b1, tcp(b1, bh, 40001, 80, "A", 1001, 5001), to=["uplink"])
    s(b1, tcp(b1, bh, 40001, 80, "PA", 1001, 5001, b"GET / HTTP/1.1\r\nHost: bh\r\n\r\n"), to=["uplink"])
    s(bh, tcp(bh, b1, 80, 40001, "PA", 5001, 1030, b"HTTP/1.1 200 OK\r\n\r\nhi"), pcp=3, to=["vb1"])
    s(rh, arp_request(rh, r1.ip4), pcp=5, to=["vr1", "vr2"])               # PCP 5 on the trunk
    s(r1, arp_reply(r1, rh), to=["uplink"])
    s(rh, ping(rh, r1, 7), pcp=5, to=["vr1"])
    s(r1, ping(r1, rh, 7, reply=True), to=["uplink"])
    s(b2, neighbor_solicit(b2, b1), to=["vb1", "uplink"])                # 33:33:ff:.. multicast
    s(b1, neighbor_advert(b1, b2), to=["vb2"])
    s(b2, ping6(b2, b1, 1), to=["vb1"])
    s(b1, ping6(b1, b2, 1, reply=True), to=["vb2"])
    s(r2, udp6(r2, r1, 5353, 5353, b"mdns", "ff02::fb", "33:33:00:00:00:fb"), to=["vr1", "uplink"])
    s(r1, udp6(r1, r2, 7000, 7001, b"red v6 unicast"), to=["vr2"])
    s(rh, udp6(rh, r2, 7002, 7003, b"from trunk v6"), pcp=1, to=["vr2"])
    s(b1, udp(b1, r1, 1111, 2222, b"cross-tenant MAC"), to=["vb2", "uplink"],  # red MAC: unknown in blue
      fw="pass")                  # to red's vr1 address: firewall, blue has no policy: allowed
    s(r2, udp(r2, BCAST_HOST(20), 68, 67, b"dhcp-ish", "255.255.255.255"), to=["vr1", "uplink"])
    s(bh2, arp_request(bh2, b2.ip4), to=["vb1", "vb2"])                  # trunk host joins
    s(bh2, udp(bh2, bh, 9, 9, b"same port"), expect="same_port")        # both behind uplink
    s(bh, ping(bh, b2, 9), pcp=7, to=["vb2"])
    # MAC move between VM ports: b1's MAC shows up on vb2 (port_security: false), then back
    s(Host(10, 1, "vb2"), arp_request(b1, b1.ip4), to=["vb1", "uplink"])
    s(bh, ping(bh, b1, 10), to=["vb2"])
    s(b2, ping(b2, b1, 11), expect="same_port")                           # b1 now on vb2 too
    s(b1, ping(b1, bh, 10, reply=True), to=["uplink"])                    # moves back to vb1
    s(bh, ping(bh, b1, 12), to=["vb1"])
    s(r2, tcp(r2, rh, 50000, 22, "S"), to=["uplink"])
    s(rh, tcp(rh, r2, 22, 50000, "SA", 9, 1001), pcp=2, to=["vr2"])
    # MAC move between a VM port and the trunk: r2's VM migrates to another host, then back
    r2_up = Host(20, 2, "uplink")
    s(r2_up, arp_request(r2_up, r2_up.ip4), pcp=1, to=["vr1", "vr2"])
    s(r1, udp(r1, r2, 7004, 7005, b"r2 behind the uplink"), to=["uplink"])
    s(r2_up, udp(r2_up, r1, 7005, 7004, b"from the other host"), to=["vr1"])
    s(r2, arp_request(r2, r2.ip4), to=["vr1", "uplink"])                 # back on vr2
    s(r1, udp(r1, r2, 7004, 7005, b"r2 back on vr2"), to=["vr2"])
    s(b2, l2(b2.mac, "01:80:c2:00:00:10", 0x88B5, bytes(46)), to=["vb1", "uplink"])  # not reserved
    s(r1, l2(r1.mac, "01:00:5e:00:00:fb", 0x0800, udp(r1, r2, 5353, 5353, b"v4 mcast", "224.0.0.251")[14:]),
      to=["vr2", "uplink"])
    s(bh, udp(bh, BCAST_HOST(10), 137, 137, b"nb", "10.0.10.255"), to=["vb1", "vb2"])
    c.write()


# ---------------------------------------------------------------- unknown_vlan
def unknown_vlan():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2"]), ("red", 20, ["vr1"]), ("gold", 40, ["vg1"])],
                         trunks=[{"port": "trunk_a", "allowed": ["blue", "red"]},
                                 {"port": "trunk_b", "native_vlan": 10},
                                 {"port": "trunk_c", "allowed": ["red", "gold"]}])
    c = Case("unknown_vlan", cfg, 2)
    b1, b2, r1, g1 = H["vb1"], H["vb2"], H["vr1"], H["vg1"]
    ba, bb = Host(10, 0x64, "trunk_a"), Host(10, 0x65, "trunk_b")
    ra, rc, gc = Host(20, 0x64, "trunk_a"), Host(20, 0x66, "trunk_c"), Host(40, 0x66, "trunk_c")
    x30 = Host(30, 0x64, "trunk_a")
    bc_stray = Host(10, 0x66, "trunk_c")
    s = c.sendh
    s(b1, arp_request(b1, b2.ip4), to=["vb2", "trunk_a", "trunk_b"])   # trunk_b: untagged (native)
    s(bb, arp_reply(bb, b1), to=["vb1"])                               # untagged on native VLAN
    s(b1, ping(b1, bb, 1), to=["trunk_b"])
    s(bb, ping(bb, b1, 1, reply=True), to=["vb1"])
    c.send("trunk_a", tag(ping(x30, x30, 1), 30), expect="unknown_vlan")          # no such tenant
    c.send("trunk_a", arp_request(ba, b1.ip4), expect="untagged_on_trunk")
    c.send("trunk_a", tag(arp_request(Host(40, 0x64, "trunk_a"), g1.ip4), 40), expect="unknown_vlan")
    c.send("trunk_c", tag(ping(bc_stray, b2, 2), 10), expect="unknown_vlan")      # blue not on c
    c.send("trunk_a", tag(arp_request(ra, r1.ip4), 20, 5, 1), to=["vr1", "trunk_b", "trunk_c"])
    c.send("trunk_a", tag(arp_request(ba, b2.ip4), 10, 3), to=["vb1", "vb2", "trunk_b"])
    c.send("trunk_b", tag(udp(bb, BCAST_HOST(10), 9, 9, b"native, tagged"), 10, 6),
           to=["vb1", "vb2", "trunk_a"])
    c.send("trunk_b", udp(bb, BCAST_HOST(10), 9, 9, b"native, untagged"), to=["vb1", "vb2", "trunk_a"])
    s(g1, arp_request(g1, gc.ip4), to=["trunk_b", "trunk_c"])
    s(gc, arp_reply(gc, g1), pcp=2, to=["vg1"])
    c.send("trunk_c", tag(udp6(gc, g1, 1, 2, b"gold mcast", "ff02::1", "33:33:00:00:00:01"), 40, 2),
           to=["vg1", "trunk_b"])
    s(r1, arp_reply(r1, ra), to=["trunk_a"])
    c.send("trunk_b", tag(ping(Host(20, 0x65, "trunk_b"), r1, 3), 20, 4), to=["vr1"])
    c.send("trunk_c", arp_request(rc, r1.ip4), expect="untagged_on_trunk")
    c.send("trunk_b", tag(ping(x30, x30, 2), 30), expect="unknown_vlan")
    s(r1, udp(r1, Host(20, 0x77, "-"), 3, 4, b"unknown"), to=["trunk_a", "trunk_b", "trunk_c"])
    s(b2, ping(b2, bc_stray, 5), to=["vb1", "trunk_a", "trunk_b"])     # stray not learned on c
    s(b1, tcp(b1, ba, 1000, 80, "S"), to=["trunk_a"])
    s(ba, tcp(ba, b1, 80, 1000, "SA"), pcp=6, to=["vb1"])
    c.send("trunk_a", tag(tcp(ba, bb, 1, 2, "S"), 10, 5, 1), to=["trunk_b"])     # a -> b native
    c.send("trunk_b", tcp(bb, ba, 2, 1, "SA"), to=["trunk_a"])                   # b -> a, PCP 0
    c.send("trunk_c", tag(udp(rc, ra, 1, 2, b"c to a"), 20, 7, 1), to=["trunk_a"])  # PCP 7, DEI 0
    c.write()


# ---------------------------------------------------------------- malformed
def near_misses(c, b1, b2, bh):
    """Valid frames that look suspicious but must be forwarded."""
    mx = c.model.cfg.max_frame
    s = c.sendh
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, udp_h(1, 2, b"pad")) + bytes(60)), to=[b2.port])
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, udp_h(3, 4, b"opts"), ihl=6,
                                         opts=b"\x01\x01\x01\x00")), to=[b2.port])
    s(b2, l2(b2.mac, b1.mac, 0x0800, ipv4(b2, b1, 6, b"\x01", frag=185)), to=[b1.port])
    s(b2, l2(b2.mac, b1.mac, 0x0800, ipv4(b2, b1, 17, b"abc", frag=0x2000 | 7)), to=[b1.port])
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, udp_h(5, 6, b"first", ulen=1400),
                                         frag=0x2000)), to=[b2.port])      # first fragment
    s(b1, l2(b1.mac, b2.mac, 0x86DD, ipv6(b1, b2, 0, ext_h(17, 0) + udp_h(7, 8, b"hbh"))), to=[b2.port])
    s(b2, l2(b2.mac, b1.mac, 0x86DD, ipv6(b2, b1, 0, ext_h(60, 1) + ext_h(58, 0) +
                                          struct.pack("!BBHHH", 128, 0, 0, 2, 2))), to=[b1.port])
    s(b2, l2(b2.mac, b1.mac, 0x86DD, ipv6(b2, b1, 44, bytes([6, 0, 0, 0x58, 0, 0, 0, 1]) + b"z")),
      to=[b1.port])                                                        # non-first v6 fragment
    s(b1, l2(b1.mac, b2.mac, 0x86DD, ipv6(b1, b2, 59, b"")), to=[b2.port])  # no next header
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, udp_h(9, 9, bytes(mx - 42)))), to=[b2.port])
    s(bh, l2(bh.mac, b1.mac, 0x0800, ipv4(bh, b1, 17, udp_h(9, 9, bytes(mx - 42)))), pcp=1, to=[b1.port])
    s(b1, arp_reply(b1, b2, padded=False), to=[b2.port])                   # ARP exactly 28 B
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 1, struct.pack("!BBHHH", 8, 0, 0, 1, 1))), to=[b2.port])
    s(b2, l2(b2.mac, b1.mac, 0x0800, ipv4(b2, b1, 17, udp_h(1, 1, b""))), to=[b1.port])
    s(b2, l2(b2.mac, b1.mac, 0x0800, ipv4(b2, b1, 6, tcp_h(1, 2, doff=15, data=b"x"))), to=[b1.port])
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 47, b"\x00\x00")), to=[b2.port])     # GRE, short
    s(b1, l2(b1.mac, b2.mac, 0x86DD, ipv6(b1, b2, 58, struct.pack("!BBHHH", 128, 0, 0, 3, 3)) + bytes(9)),
      to=[b2.port])
    s(b2, l2(b2.mac, "01:80:c2:00:00:10", 0x88B5, bytes(46)), to=[b1.port, "uplink"])


def malformed_case():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2"]), ("red", 20, ["vr1", "vr2"]), ("lone", 30, ["vl1"])],
                         trunks=[{"port": "uplink", "allowed": ["blue", "red"]}], spare=["spare"],
                         switch={"max_frame": 1518})
    c = Case("malformed", cfg, 3)
    c.vms = [H[p] for p in ("vb1", "vb2", "vr1", "vr2")]
    c.remote = [Host(10, 0x64, "uplink"), Host(10, 0x65, "uplink"), Host(20, 0x64, "uplink"),
                Host(20, 0x65, "uplink")]
    c.trunk, c.bad_vids, c.spare, c.lone = "uplink", [30, 99, 4094, 1], "spare", H["vl1"]
    for h in c.vms + c.remote:
        c.ensure_learned(h)
    near_misses(c, H["vb1"], H["vb2"], c.remote[0])
    work = [kind for i, kind in enumerate(malformed.KINDS) for _ in range(i + 1)]
    c.rng.shuffle(work)
    seen = {}
    for kind in work:
        k = seen[kind] = seen.get(kind, -1) + 1
        kind(c, k)
        if c.rng.random() < 0.6:
            h = c.rng.choice(c.vms + c.remote)
            d = c.rng.choice([x for x in c.vms + c.remote if x.vlan == h.vlan and x is not h])
            c.sendh(h, random_valid(c.rng, h, d), pcp=c.rng.randrange(8),
                    expect=_natural_drop(c, h, d, None))
    near_misses(c, H["vb2"], H["vb1"], c.remote[1])
    c.write()


# ---------------------------------------------------------------- random_large
HOST_ADDRS = ["192.168.100.1", "fd00:ffff::1"]      # host.addresses of random_large and port_security


def random_large(n_frames=5000):
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"]), ("red", 20, ["vr1", "vr2"]),
                          ("green", 30, ["vg1", "vg2", "vg3"])], trunks=[{"port": "uplink"}],
                         spare=["spare"])
    set_vm(cfg, "vg3", port_security=False)             # green's router VM
    cfg["host"] = {"addresses": HOST_ADDRS}
    c = Case("random_large", cfg, 4)
    c.vms = list(H.values())
    c.remote = [Host(v, 0x64 + i, "uplink") for v in (10, 20, 30) for i in range(4)]
    routed = [Host(30, 0x50 + i, "vg3") for i in range(3)]   # hosts behind the router VM vg3
    c.trunk, c.bad_vids, c.spare = "uplink", [40, 99, 1, 4095 - 1], "spare"
    kinds = [k for k in malformed.KINDS if k is not malformed.flood_no_member]
    seen = {}
    rng = c.rng
    while len(c.events) < n_frames:
        if rng.random() < 0.05:
            kind = rng.choice(kinds)
            seen[kind] = seen.get(kind, -1) + 1
            kind(c, seen[kind])
            continue
        if rng.random() < 0.02:
            _random_spoof(c, rng, routed)
            continue
        h = rng.choice(c.vms) if rng.random() < 0.6 else rng.choice(c.remote)
        if h in c.vms and rng.random() < 0.01:   # a VM's MAC moves: VM migrated behind the trunk,
            to_router = h.vlan == 30 and rng.random() < 0.5          # or onto the router VM
            h = Host(h.vlan, h.n, "vg3" if to_router else "uplink")
        elif h is H["vg3"] and rng.random() < 0.3:
            h = rng.choice(routed)                   # the router forwards a routed host's frame
        same = [x for x in c.vms + c.remote + routed if x.vlan == h.vlan and x.mac != h.mac]
        r = rng.random()
        if h.port == "uplink" and rng.random() < 0.85:       # trunk hosts mostly talk to VMs
            same = [x for x in same if x in c.vms]
        d, dm = rng.choice(same), None
        if r < 0.10:
            dm = "02:00:00:00:%02x:%02x" % (h.vlan, 0xF0 + rng.randrange(8))        # unknown
        elif r < 0.20:
            dm = BCAST
        elif r < 0.25:
            dm = rng.choice(["33:33:00:00:00:01", "01:00:5e:00:00:01", "33:33:ff:00:00:02"])
        elif r < 0.30:
            dm = rng.choice([x for x in c.vms + c.remote if x.vlan != h.vlan]).mac  # other tenant
        f = random_valid(rng, h, d, dm)
        c.sendh(h, f, pcp=rng.randrange(8), expect=_natural_drop(c, h, d, dm))
    c.write()


def _random_spoof(c, rng, routed):
    """A deliberately forbidden frame from a VM port (vg3 has port_security: false: its source
    spoofs pass, host access / DHCP server / RA do not)."""
    h = rng.choice(c.vms)
    free = not c.model.cfg.binding[h.port].port_security
    d = rng.choice([x for x in c.vms + c.remote if x.vlan == h.vlan and x is not h])
    other = rng.choice([x.n for x in c.vms + c.remote + routed if x.vlan == h.vlan and x.n != h.n] +
                       [0xA0 + rng.randrange(4)])
    fake = Host(h.vlan, other, h.port)
    kind, dm, why = rng.randrange(6), None, None
    if kind == 0:                                # another (or a made-up) source MAC
        f, why = random_valid(rng, fake, d), "spoofed_src_mac"
    elif kind == 1:                              # own MAC, someone else's IP (or 0.0.0.0 / ::)
        fake.mac = h.mac
        if rng.random() < 0.2:
            fake.ip4, fake.ip6 = "0.0.0.0", "::"
        f = rng.choice([ping, ping6])(fake, d, rng.randrange(100)) if rng.random() < 0.5 else \
            rng.choice([udp, udp6])(fake, d, rng.randrange(1024, 65535), 53)
        why = "spoofed_src_ip"
    elif kind == 2:                              # ARP claiming another's IP (or MAC)
        if rng.random() < 0.5:
            fake.mac = h.mac
        f = arp(h.mac, rng.choice([1, 2]), fake.mac, fake.ip4, d.ip4, dmac_=rng.choice([BCAST, d.mac]))
        why = "spoofed_arp"
    if why is not None:
        dm = BCAST if kind == 2 and f[:6] == b"\xff" * 6 else None
        src = Host(h.vlan, fake.n, h.port) if kind == 0 else h
        c.send(h.port, f, expect=_natural_drop(c, src, d, dm) if free else why)
        return
    if kind == 3:
        f = dhcp_offer(h, d) if rng.random() < 0.5 else dhcp6_advertise(h, d)
        why = "dhcp_server_from_vm"
    elif kind == 4:
        f, why = router_advert(h), "router_advert_from_vm"
    else:
        gw = rng.choice([x for x in c.remote if x.vlan == h.vlan])
        hv4 = Host(h.vlan, h.n, "-")
        hv4.mac, hv4.ip4, hv4.ip6 = gw.mac, HOST_ADDRS[0], HOST_ADDRS[1]
        f = rng.choice([ping(h, hv4, 1), tcp(h, hv4, 40000, 22, "S"), udp6(h, hv4, 1000, 161),
                        arp_request(h, HOST_ADDRS[0])])
        why = "host_access"
    c.send(h.port, f, expect=why)


def _natural_drop(c, h, d, dm):
    """same_port when the destination is already learned on the source's own port."""
    if dm is not None and not (int(dm[:2], 16) & 1):
        learned = c.model.learned(c.vlan_tenant[h.vlan], dm)
        return "same_port" if learned == h.port else None
    if dm is None:
        return "same_port" if c.model.learned(c.vlan_tenant[h.vlan], d.mac) == h.port else None
    return None


# ---------------------------------------------------------------- demo
DEMO_YAML = """\
# vigil demo: two tenants on one host, replayed from pcap files.
# Run it with:  vigild --config pcaps/demo/config.yaml --stats-json /tmp/stats.json
# Paths are relative to this file's folder. Every port here is a pcap port: vigild reads the
# frames a VM (or the physical network) "sends" from rx_pcap and writes what it switches to
# that port into tx_pcap. The expected outputs are in expected/ (see pcaps/CONTRACT.md).
switch:
  max_frame: 1518       # longest untagged frame accepted (no FCS); +4 per 802.1Q tag
  mac_aging_s: 300      # learned MACs expire after 5 minutes of packet time
ports:
  # three VMs of tenant blue's web tier and red's database tier, one physical uplink
  - {name: blue1, kind: pcap, rx_pcap: in/blue1.pcap, tx_pcap: out/blue1.pcap}
  - {name: blue2, kind: pcap, rx_pcap: in/blue2.pcap, tx_pcap: out/blue2.pcap}
  - {name: red1, kind: pcap, rx_pcap: in/red1.pcap, tx_pcap: out/red1.pcap}
  - {name: red2, kind: pcap, rx_pcap: in/red2.pcap, tx_pcap: out/red2.pcap}
  - {name: red3, kind: pcap, rx_pcap: in/red3.pcap, tx_pcap: out/red3.pcap}
  - {name: uplink, kind: pcap, rx_pcap: in/uplink.pcap, tx_pcap: out/uplink.pcap}
tenants:
  # each tenant is a bridge domain with its own VLAN on the uplink; tenants never see
  # each other's frames, even when a VM addresses another tenant's MAC. A VM may only send
  # from its own mac and addresses (port_security, on by default): spoofed frames are dropped
  - name: blue
    vlan: 10
    vms:
      - {port: blue1, mac: "02:00:00:00:0a:01", ipv4: [10.0.10.1], ipv6: ["fd00:10::1"]}
      - {port: blue2, mac: "02:00:00:00:0a:02", ipv4: [10.0.10.2], ipv6: ["fd00:10::2"]}
  - name: red
    vlan: 20
    vms:
      - {port: red1, mac: "02:00:00:00:14:01", ipv4: [10.0.20.1], ipv6: ["fd00:20::1"]}
      - {port: red2, mac: "02:00:00:00:14:02", ipv4: [10.0.20.2], ipv6: ["fd00:20::2"]}
      - {port: red3, mac: "02:00:00:00:14:03", ipv4: [10.0.20.3], ipv6: ["fd00:20::3"]}
trunks:
  # the uplink carries both tenants as 802.1Q VLANs 10 and 20; untagged frames and other
  # VLANs arriving on it are dropped (untagged_on_trunk, unknown_vlan)
  - port: uplink
    allowed: [blue, red]
host:
  # the hypervisor's own (management) addresses: nothing from a VM may reach them (host_access)
  addresses: [192.168.100.1, "fd00:ffff::1"]
"""


def demo():
    cfg, H = make_config([("blue", 10, ["blue1", "blue2"]), ("red", 20, ["red1", "red2", "red3"])],
                         trunks=[{"port": "uplink", "allowed": ["blue", "red"]}],
                         switch={"max_frame": 1518, "mac_aging_s": 300})
    cfg["host"] = {"addresses": HOST_ADDRS}
    assert yaml.safe_load(DEMO_YAML) == cfg, "DEMO_YAML out of sync with the demo topology"
    c = Case("demo", cfg, 5, DEMO_YAML)
    b1, b2, r1, r2, r3 = (H[p] for p in ("blue1", "blue2", "red1", "red2", "red3"))
    gw, rgw = Host(10, 0x64, "uplink"), Host(20, 0x64, "uplink")
    s = c.sendh
    s(b1, arp_request(b1, b2.ip4), to=["blue2", "uplink"])           # ARP resolution
    s(b2, arp_reply(b2, b1), to=["blue1"])
    for i in (1, 2):                                                 # pings
        s(b1, ping(b1, b2, i), to=["blue2"])
        s(b2, ping(b2, b1, i, reply=True), to=["blue1"])
    s(b2, arp_request(b2, gw.ip4), to=["blue1", "uplink"])           # router behind the uplink
    s(gw, arp_reply(gw, b2), to=["blue2"])
    seq, ack = 1000, 70000                                           # a small TCP exchange
    s(b2, tcp(b2, gw, 43210, 80, "S", seq), to=["uplink"])
    s(gw, tcp(gw, b2, 80, 43210, "SA", ack, seq + 1), to=["blue2"])
    s(b2, tcp(b2, gw, 43210, 80, "A", seq + 1, ack + 1), to=["uplink"])
    req = b"GET / HTTP/1.1\r\nHost: 10.0.10.100\r\n\r\n"
    s(b2, tcp(b2, gw, 43210, 80, "PA", seq + 1, ack + 1, req), to=["uplink"])
    rsp = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
    s(gw, tcp(gw, b2, 80, 43210, "PA", ack + 1, seq + 1 + len(req), rsp), pcp=3, to=["blue2"])
    s(b2, tcp(b2, gw, 43210, 80, "FA", seq + 1 + len(req), ack + 1 + len(rsp)), to=["uplink"])
    s(gw, tcp(gw, b2, 80, 43210, "FA", ack + 1 + len(rsp), seq + 2 + len(req)), to=["blue2"])
    s(b2, tcp(b2, gw, 43210, 80, "A", seq + 2 + len(req), ack + 2 + len(rsp)), to=["uplink"])
    s(r1, arp_request(r1, r3.ip4), to=["red2", "red3", "uplink"])
    s(r3, arp_reply(r3, r1), to=["red1"])
    s(r1, ping(r1, r3, 1), to=["red3"])
    s(r3, ping(r3, r1, 1, reply=True), to=["red1"])
    s(r2, neighbor_solicit(r2, r1), to=["red1", "red3", "uplink"])  # IPv6 neighbour discovery
    s(r1, neighbor_advert(r1, r2), to=["red2"])
    s(r2, ping6(r2, r1, 1), to=["red1"])
    s(r1, ping6(r1, r2, 1, reply=True), to=["red2"])
    s(rgw, ping(rgw, r3, 7), pcp=5, to=["red3"])                     # from the uplink, VLAN 20
    s(r3, ping(r3, rgw, 7, reply=True), to=["uplink"])
    c.send("uplink", tag(ping(Host(30, 0x64, "-"), Host(30, 1, "-"), 1), 30), expect="unknown_vlan")
    s(b1, udp(b1, r1, 5000, 5001, b"knock knock"), to=["blue2", "uplink"],  # red MAC: not in blue
      fw="pass")                  # to red's red1 address: firewall, blue has no policy: allowed
    s(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, udp_h(1, 2, b"x"))[:12]),
      expect="truncated_ipv4")                                      # malformed: 12 B of IPv4
    c.send("uplink", bytes(10), expect="runt")                      # malformed: 10-byte frame
    s(b1, tag(ping(b1, b2, 3), 20), expect="tagged_on_access_port")  # a VM trying VLAN 20
    liar = Host(10, 1, "blue1")
    liar.ip4 = gw.ip4                                                # ARP spoofing: blue1 claims
    s(liar, arp_request(liar, gw.ip4), expect="spoofed_arp")        # to be the router 10.0.10.100
    hv = Host(20, 0x64, "-")
    hv.ip4 = HOST_ADDRS[0]                                           # red3 tries SSH to the host's
    s(r3, tcp(r3, hv, 40022, 22, "S"), expect="host_access")        # management address
    s(r2, udp(r2, r1, 6000, 6001, b"still fine"), to=["red1"])
    c.send("uplink", arp_request(gw, b1.ip4), expect="untagged_on_trunk")
    s(b1, ping(b1, gw, 4), to=["uplink"])
    s(gw, ping(gw, b1, 4, reply=True), to=["blue1"])
    c.write()


CASES = {"two_tenants": two_tenants, "unknown_vlan": unknown_vlan, "malformed": malformed_case,
         "random_large": random_large, "demo": demo, "aging": cases_aging_prio.aging,
         "priority_tags": cases_aging_prio.priority_tags,
         "port_security": cases_port_security.port_security,
         "firewall_policy": cases_firewall.firewall_policy, "firewall_tcp": cases_firewall.firewall_tcp,
         "firewall_limits": cases_firewall.firewall_limits, "firewall_rate": cases_firewall.firewall_rate,
         "firewall_reject": cases_firewall.firewall_reject,
         "firewall_cross_tenant": cases_cross_tenant.firewall_cross_tenant,
         "ids_http": cases_ids_http.ids_http, "ids_stream": cases_ids_flow.ids_stream,
         "ids_dns_tls": cases_ids_flow.ids_dns_tls, "ids_actions": cases_ids_actions.ids_actions,
         "mon_hscan": cases_monitor_scans.mon_hscan, "mon_vscan": cases_monitor_scans.mon_vscan,
         "mon_synflood": cases_monitor_floods.mon_synflood,
         "mon_spoof_host": cases_monitor_floods.mon_spoof_host,
         "mon_fanout": cases_monitor_scans.mon_fanout, "mon_benign": cases_monitor_benign.mon_benign,
         "mon_udpflood": cases_monitor_more.mon_udpflood,
         "mon_arpspoof": cases_monitor_more.mon_arpspoof}

if __name__ == "__main__":
    names = sys.argv[1:] or list(CASES)
    for n in names:
        CASES[n]()
