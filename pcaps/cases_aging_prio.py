"""Cases `aging` (MAC aging in packet time) and `priority_tags` (802.1p VID-0 tags).

Called by pcaps/generate.py (CASES); see pcaps/CONTRACT.md and pcaps/README.md. Every frame
names the ports the generator intends (`to=`) or its drop reason (`expect=`); switch_model.py
computes the expected outputs and checks that they match these intentions.
"""
from caselib import BCAST_HOST, Case, make_config
from frames import (Host, arp_reply, arp_request, ipv4, l2, neighbor_solicit, ping, tag, tcp, udp,
                    udp6, udp_h)

VMS = ["vb1", "vb2", "vb3"]


def _gratuitous(h):
    return arp_request(h, h.ip4)


# ---------------------------------------------------------------- aging
def aging():
    """mac_aging_s 2 (2000 ms): an entry written at t_ms is live while now_ms - t_ms <= 2000
    (times in whole ms, truncated); a same-port refresh < 1000 ms after the last write is not
    written; a move or a rewrite of an expired entry always is."""
    cfg, H = make_config([("blue", 10, VMS)], trunks=[{"port": "uplink"}],
                         switch={"mac_aging_s": 2})
    c = Case("aging", cfg, 6)
    b1, b2, b3 = H["vb1"], H["vb2"], H["vb3"]
    r = [Host(10, 0x64 + i, "uplink") for i in range(9)]
    s = c.sendh

    def at(ms, us=0):
        c.at(ms * 1000 + us)

    # 1. learned 1.5 s ago: unicast; exactly 2 s: still live; 2.001 s of silence: floods;
    #    the next frame from the expired MAC re-learns it and unicast works again.
    at(0), s(b1, arp_request(b1, b2.ip4), to=["vb2", "vb3", "uplink"])        # b1 @0
    at(1), s(b2, arp_reply(b2, b1), to=["vb1"])                                # b2 @1
    at(1500), s(b2, ping(b2, b1, 1), to=["vb1"])                               # b2 refreshed @1500
    at(2000), s(b2, ping(b2, b1, 2), to=["vb1"])                               # 2000 - 0 <= 2000
    at(2001), s(b2, ping(b2, b1, 3), to=["vb1", "vb3", "uplink"])              # expired: floods
    at(2100), s(b1, ping(b1, b2, 3, reply=True), to=["vb2"])                  # b1 re-learned @2100
    at(2200), s(b2, ping(b2, b1, 4), to=["vb1"])

    # 2. a refresh < 1 s after the last write does not extend the entry's life; one >= 1 s does.
    L = 3000
    at(L), s(r[0], _gratuitous(r[0]), to=VMS)                                   # r0 @L
    at(L + 1), s(b3, _gratuitous(b3), to=["vb1", "vb2", "uplink"])             # b3 @L+1
    at(L + 2), s(r[1], _gratuitous(r[1]), to=VMS)                               # r1 @L+2
    at(L + 500), s(r[0], ping(r[0], b1, 5), to=["vb1"])                        # +500: not written
    at(L + 1000), s(b3, ping(b3, b1, 6), to=["vb1"])                           # +999: not written
    at(L + 1002), s(r[1], ping(r[1], b1, 7), to=["vb1"])                       # +1000: written
    at(L + 2100), s(b1, udp(b1, r[0], 1, 2, b"r0 expired"), to=["vb2", "vb3", "uplink"])
    at(L + 2101), s(b1, udp(b1, b3, 1, 2, b"b3 expired"), to=["vb2", "vb3", "uplink"])
    at(L + 2102), s(b1, udp(b1, r[1], 1, 2, b"r1 live"), to=["uplink"])

    # 3. a move is written at once (even < 1 s after the last write) and restarts the clock:
    #    b3's MAC shows up behind the uplink (VM migrated away), then back on vb3.
    M = 6000
    b3_up = Host(10, b3.n, "uplink")
    at(M), s(b3, _gratuitous(b3), to=["vb1", "vb2", "uplink"])                 # b3 @vb3, M
    at(M + 100), s(b3_up, _gratuitous(b3_up), to=VMS)                           # moved: @uplink, M+100
    at(M + 200), s(b2, ping(b2, b3, 8), to=["uplink"])
    at(M + 2050), s(b2, ping(b2, b3, 9), to=["uplink"])                        # 1950 ms after the move
    at(M + 2060), s(b3, ping(b3, b2, 9, reply=True), to=["vb2"])               # moved back to vb3
    at(M + 2070), s(b2, ping(b2, b3, 10), to=["vb3"])

    # 4. an expired destination behind the ingress port floods instead of same_port.
    N = 9000
    at(N), s(r[3], _gratuitous(r[3]), to=VMS)                                   # r3 @N
    at(N + 1), s(r[4], udp(r[4], r[3], 5, 6, b"same port"), expect="same_port")
    at(N + 2500), s(r[4], udp(r[4], r[3], 5, 6, b"r3 expired"), to=VMS)
    at(N + 2501), s(r[3], udp(r[3], r[4], 6, 5, b"r4 re-learned"), expect="same_port")

    # 5. times are truncated to ms (µs // 1000) before comparing.
    P = 12000
    at(P), s(r[5], _gratuitous(r[5]), to=VMS)                                   # r5 @P
    at(P + 10, 999), s(r[6], _gratuitous(r[6]), to=VMS)                         # r6 @P+10
    at(P + 20, 999), s(r[7], _gratuitous(r[7]), to=VMS)                         # r7 @P+20
    at(P + 1020, 500), s(r[7], udp(r[7], BCAST_HOST(10), 7, 7, b"refresh"), to=VMS)  # 1000 ms: written
    at(P + 2000, 999), s(b1, udp(b1, r[5], 1, 2, b"2000 ms: live"), to=["uplink"])
    at(P + 2011), s(b1, udp(b1, r[6], 1, 2, b"2001 ms: expired"), to=["vb2", "vb3", "uplink"])
    at(P + 2500), s(b1, udp(b1, r[7], 1, 2, b"refreshed: live"), to=["uplink"])

    # 6. long silence of everyone, then the whole exchange starts from an empty table again.
    Q = 20000
    at(Q), s(b2, ping(b2, b1, 11), to=["vb1", "vb3", "uplink"])
    at(Q + 1), s(b1, ping(b1, b2, 11, reply=True), to=["vb2"])
    at(Q + 2), s(r[8], ping(r[8], b2, 12), to=["vb2"])
    at(Q + 3), s(b2, ping(b2, r[8], 12, reply=True), to=["uplink"])
    c.write()


# ---------------------------------------------------------------- priority_tags
def priority_tags():
    """Frames tagged with VID 0 (802.1p priority tag) count as untagged; their PCP is kept."""
    cfg, H = make_config([("blue", 10, ["vb1", "vb2"]), ("red", 20, ["vr1"])],
                         trunks=[{"port": "trunk_a", "allowed": ["blue", "red"]},
                                 {"port": "trunk_b", "native_vlan": 10},
                                 {"port": "trunk_c", "native_vlan": 20, "allowed": ["red"]}])
    c = Case("priority_tags", cfg, 7)
    b1, b2, r1 = H["vb1"], H["vb2"], H["vr1"]
    ra, ra2, ra20 = Host(10, 0x64, "trunk_a"), Host(10, 0x65, "trunk_a"), Host(20, 0x64, "trunk_a")
    bb, rc = Host(10, 0x66, "trunk_b"), Host(20, 0x67, "trunk_c")
    s = c.send
    # from VM ports: accepted, learned, tag removed; toward trunk_a: VID of the tenant, PCP kept
    s("vb1", tag(arp_request(b1, b2.ip4), 0, 5), to=["vb2", "trunk_a", "trunk_b"])
    s("vb2", arp_reply(b2, b1), to=["vb1"])                                  # b1 was learned
    s("vb2", tag(ping(b2, b1, 1), 0, 3), to=["vb1"])
    s("vb1", tag(ping(b1, b2, 1, reply=True), 0, 0), to=["vb2"])
    s("trunk_a", tag(arp_request(ra, b1.ip4), 10, 1), to=["vb1", "vb2", "trunk_b"])
    s("vb1", tag(arp_reply(b1, ra), 0, 6), to=["trunk_a"])                   # VID 10, PCP 6
    s("vb1", tag(tcp(b1, ra, 4000, 80, "S"), 0, 2, dei=1), to=["trunk_a"])   # PCP 2, DEI 0
    s("vb2", tag(neighbor_solicit(b2, b1), 0, 4), to=["vb1", "trunk_a", "trunk_b"])
    s("vb1", tag(ping(b1, b1, 2), 0, 1), expect="same_port")               # own MAC: learned
    # trunk without native VLAN: a priority-tagged frame is untagged there (dropped, not learned)
    s("trunk_a", tag(ping(ra2, b1, 3), 0, 4), expect="untagged_on_trunk")
    s("vb1", ping(b1, ra2, 3, reply=True), to=["vb2", "trunk_a", "trunk_b"])  # ra2 unknown
    s("trunk_a", tag(udp(ra2, BCAST_HOST(10), 9, 9, b"bcast"), 0, 7), expect="untagged_on_trunk")
    # trunk with native VLAN 10: priority-tagged frames belong to blue, PCP kept toward trunk_a
    s("trunk_b", tag(arp_request(bb, b1.ip4), 0, 4), to=["vb1", "vb2", "trunk_a"])
    s("vb1", arp_reply(b1, bb), to=["trunk_b"])                              # untagged (native)
    s("trunk_b", tag(udp(bb, b2, 1, 2, b"to vb2"), 0, 7), to=["vb2"])
    s("trunk_b", tag(tcp(bb, ra, 5000, 22, "S"), 0, 7), to=["trunk_a"])      # VID 10, PCP 7
    s("trunk_a", tag(tcp(ra, bb, 22, 5000, "SA"), 10, 5), to=["trunk_b"])    # native: untagged
    # trunk_c: native VLAN 20 (red only)
    s("trunk_c", tag(arp_request(rc, r1.ip4), 0, 1), to=["vr1", "trunk_a", "trunk_b"])
    s("vr1", tag(arp_reply(r1, rc), 0, 5), to=["trunk_c"])                   # untagged (native)
    s("vr1", tag(udp6(r1, rc, 1, 2, b"mcast", "ff02::1", "33:33:00:00:00:01"), 0, 3),
      to=["trunk_a", "trunk_b", "trunk_c"])                                  # VID 20 PCP 3 on a, b
    s("trunk_c", tag(ping(rc, r1, 4), 20, 2), to=["vr1"])                    # native VID tagged
    s("trunk_c", ping(rc, r1, 5), to=["vr1"])                                # plain untagged
    s("trunk_a", tag(arp_request(ra20, rc.ip4), 20, 6), to=["vr1", "trunk_b", "trunk_c"])
    s("trunk_c", tag(arp_reply(rc, ra20), 0, 6), to=["trunk_a"])             # VID 20, PCP 6
    s("vr1", tag(udp(r1, Host(20, 0x77, "-"), 1, 2, b"unknown"), 0, 7),
      to=["trunk_a", "trunk_b", "trunk_c"])
    # the frame after a priority tag is still parsed; real VLAN tags stay forbidden on VM ports
    s("vb2", tag(l2(b2.mac, b1.mac, 0x0800, ipv4(b2, b1, 17, udp_h(1, 2, b"x"))[:12]), 0, 3),
      expect="truncated_ipv4")
    s("trunk_b", tag(l2(bb.mac, b1.mac, 0x0806, arp_reply(bb, b1)[14:30]), 0, 2),
      expect="truncated_arp")
    s("vb1", tag(ping(b1, b2, 6), 10), expect="tagged_on_access_port")
    s("vb2", tag(ping(b2, b1, 7), 1, 5), expect="tagged_on_access_port")     # VID 1 is a VLAN
    s("vr1", tag(ping(r1, rc, 8), 20, 0), expect="tagged_on_access_port")
    s("vb2", tag(ping(b2, b1, 8), 0, 7), to=["vb1"])
    c.write()
