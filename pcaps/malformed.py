"""One builder per input drop reason of CONTRACT.md (all but port_down, no_mbuf, tx_full and the
port-security ones, which pcaps/cases_port_security.py covers).

make(case, reason, k) sends the k-th frame of that kind through case.send(..., expect=reason).
`case` (see generate.py) provides: rng, model, vms (VM Hosts), trunk (port name), remote (Hosts
behind the trunk, VLANs it carries), bad_vids (VIDs the trunk does not carry), spare (a port bound
to nothing) and lone (the only VM of a tenant no trunk carries), ensure_learned(host).
Variants cycle with k so that repeated kinds cover different shapes.
"""
import struct

from frames import (BCAST, arp_reply, ext_h, icmp_h, ipv4, ipv6, l2, pad, random_valid, tag,
                    tcp_h, udp, udp_h)


def _peer(c, h):
    """Another host of h's tenant (VM or remote), else h itself."""
    peers = [x for x in c.vms + c.remote if x.vlan == h.vlan and x is not h]
    return c.rng.choice(peers) if peers else h


def _carry(c, k, etype, payload, reason, padded=False):
    """Send an L3 payload: even k from a VM port (untagged; every 4th with a neighbour's source
    MAC, which must not be learned), odd k from the trunk, tagged with a carried VID."""
    if k % 2 == 0:
        h = c.rng.choice(c.vms)
        src = _peer(c, h) if k % 4 == 2 else h
        d = _peer(c, h)
        frame = l2(src.mac, d.mac if k % 3 else BCAST, etype, payload)
        port = h.port
    else:
        h = c.rng.choice(c.remote)
        d = _peer(c, h)
        frame = tag(l2(h.mac, d.mac if k % 3 else BCAST, etype, payload), h.vlan, c.rng.randrange(8))
        port = c.trunk
    c.send(port, pad(frame) if padded else frame, expect=reason)


def _hosts(c, k):
    h = c.rng.choice(c.vms if k % 2 == 0 else c.remote)
    return h, _peer(c, h)


def runt(c, k):
    port = c.rng.choice([h.port for h in c.vms] + [c.trunk])
    c.send(port, bytes(c.rng.randrange(256) for _ in range([1, 6, 12, 13][k % 4])), expect="runt")


def oversized(c, k):
    mx = c.model.cfg.max_frame
    if k % 2 == 0:
        h = c.rng.choice(c.vms)
        data = bytes(mx + 1 + k % 3 - 14 - 28)
        c.send(h.port, l2(h.mac, _peer(c, h).mac, 0x0800, ipv4(h, _peer(c, h), 17, udp_h(9, 9, data))),
               expect="oversized")
    else:
        h = c.rng.choice(c.remote)
        data = bytes(mx + 1 + k % 2 - 14 - 28)
        f = l2(h.mac, _peer(c, h).mac, 0x0800, ipv4(h, _peer(c, h), 17, udp_h(9, 9, data)))
        c.send(c.trunk, tag(f, h.vlan), expect="oversized")


def truncated_vlan(c, k):
    h = c.rng.choice(c.remote)
    c.send(c.trunk, l2(h.mac, BCAST, 0x8100, bytes([0, h.vlan, 8])[:k % 4]), expect="truncated_vlan")


def double_tagged(c, k):
    h = c.rng.choice(c.remote)
    f = udp(h, _peer(c, h), 1000 + k, 53)
    inner = tag(f, [20, 30, 10, 99][k % 4], tpid=[0x8100, 0x88A8][k % 2])
    c.send(c.trunk, tag(inner, h.vlan, k % 8), expect="double_tagged")


def bad_src_mac(c, k):
    h, d = _hosts(c, k)
    src = ["01:00:5e:00:00:01", BCAST, "00:00:00:00:00:00", "33:33:00:00:00:01"][k % 4]
    f = l2(src, d.mac, 0x0800, ipv4(h, d, 17, udp_h(68, 67, b"spoof")))
    c.send(h.port if k % 2 == 0 else c.trunk, f if k % 2 == 0 else tag(f, h.vlan), expect="bad_src_mac")


def reserved_multicast(c, k):
    h, _ = _hosts(c, k)
    c.ensure_learned(h)
    low, etype, body = [(0x00, 0x0026, b"\x42\x42\x03" + bytes(35)),   # 802.3 length + STP LLC
                        (0x0E, 0x88CC, bytes(40)), (0x03, 0x888E, b"\x01\x01\x00\x00" + bytes(40)),
                        (0x02, 0x8809, b"\x01\x01" + bytes(44)), (0x0F, 0x0800, None)][k % 5]
    dst = "01:80:c2:00:00:%02x" % low
    if body is None:
        body = ipv4(h, _peer(c, h), 17, udp_h(5, 5, b"x" * 20))
    f = l2(h.mac, dst, etype, body)
    c.send(h.port if k % 2 == 0 else c.trunk, f if k % 2 == 0 else tag(f, h.vlan, 7),
           expect="reserved_multicast")


def unbound_port(c, k):
    h = c.rng.choice(c.vms + c.remote)
    d = _peer(c, h)
    c.send(c.spare, random_valid(c.rng, h, d, BCAST if k % 3 == 0 else None), expect="unbound_port")


def tagged_on_access_port(c, k):
    h = c.rng.choice(c.vms)
    c.ensure_learned(h)
    vid = [h.vlan, 1, 4094, 20][k % 4]
    c.send(h.port, tag(random_valid(c.rng, h, _peer(c, h)), vid, k % 8), expect="tagged_on_access_port")


def untagged_on_trunk(c, k):
    h = c.rng.choice(c.remote)
    c.send(c.trunk, random_valid(c.rng, h, _peer(c, h), BCAST if k % 2 else None),
           expect="untagged_on_trunk")


def unknown_vlan(c, k):
    h = c.rng.choice(c.remote)
    vid = c.bad_vids[k % len(c.bad_vids)]
    c.send(c.trunk, tag(random_valid(c.rng, h, _peer(c, h)), vid), expect="unknown_vlan")


def truncated_arp(c, k):
    h, d = _hosts(c, k)
    _carry(c, k, 0x0806, arp_reply(h, d, padded=False)[14:14 + [0, 8, 20, 27][k % 4]], "truncated_arp")


def truncated_ipv4(c, k):
    h, d = _hosts(c, k)
    _carry(c, k, 0x0800, ipv4(h, d, 17, udp_h(1, 2, b"abc"))[:[0, 1, 10, 19][k % 4]], "truncated_ipv4")


def bad_ip_version(c, k):
    h, d = _hosts(c, k)
    if k % 3 == 0:
        p = ipv6(h, d, 17, udp_h(1, 2, b"v6 in v4"))
        _carry(c, k, 0x0800, bytes([p[0] & 0x0F | 0x60]) + p[1:], "bad_ip_version")
        return
    if k % 3 == 1:
        p = ipv6(h, d, 17, udp_h(1, 2, b"version 4 in v6"), ver=4)
        _carry(c, k, 0x86DD, p, "bad_ip_version")
        return
    p = ipv4(h, d, 17, udp_h(1, 2, bytes(24)), ver=[0, 15, 5][(k // 3) % 3])
    _carry(c, k, 0x0800, p, "bad_ip_version")


def bad_ihl(c, k):
    h, d = _hosts(c, k)
    if k % 3 == 2:                      # header (60 B) longer than the 32 B present
        p = ipv4(h, d, 17, udp_h(1, 2, b"abcd"))
        p = bytes([0x4F]) + p[1:]
    else:
        p = ipv4(h, d, 17, udp_h(1, 2, b"abcd" * 4), ihl=[4, 0][k % 3])
    _carry(c, k, 0x0800, p, "bad_ihl")


def bad_ipv4_total_length(c, k):
    h, d = _hosts(c, k)
    l4 = udp_h(1, 2, b"total length")
    tl = [0, 19, 20 + len(l4) + 1, 1500][k % 4]
    _carry(c, k, 0x0800, ipv4(h, d, 17, l4, tl=tl), "bad_ipv4_total_length")


def truncated_ipv6(c, k):
    h, d = _hosts(c, k)
    _carry(c, k, 0x86DD, ipv6(h, d, 17, udp_h(1, 2, b"x"))[:[0, 4, 20, 39][k % 4]], "truncated_ipv6")


def bad_ipv6_payload_length(c, k):
    h, d = _hosts(c, k)
    l4 = udp_h(1, 2, b"payload length")
    plen = [len(l4) + 1, 1000, 0xFFFF][k % 3]
    _carry(c, k, 0x86DD, ipv6(h, d, 17, l4, plen=plen), "bad_ipv6_payload_length")


def truncated_ipv6_ext(c, k):
    h, d = _hosts(c, k)
    v = k % 5
    if v == 0:                          # hop-by-hop: 1 byte only
        p = ipv6(h, d, 0, b"\x11")
    elif v == 1:                        # hop-by-hop says 16 B, 8 present
        p = ipv6(h, d, 0, ext_h(17, 1)[:8])
    elif v == 2:                        # HBH then destination options of 24 B cut at 12
        p = ipv6(h, d, 0, ext_h(60, 0) + ext_h(58, 2)[:12])
    elif v == 3:                        # 16 B HBH in the frame but payload length 8: rest is padding
        p = ipv6(h, d, 0, ext_h(17, 1) + udp_h(1, 2, b""), plen=8)
    else:                               # routing header cut short
        p = ipv6(h, d, 43, bytes([17, 2, 0, 0]) + bytes(12))
    _carry(c, k, 0x86DD, p, "truncated_ipv6_ext")


def truncated_tcp(c, k):
    h, d = _hosts(c, k)
    v = k % 4
    if v == 0:
        p = ipv4(h, d, 6, tcp_h(80, 81)[:10])
    elif v == 1:                        # data offset 8 (32 B) with 24 B present
        p = ipv4(h, d, 6, tcp_h(80, 81, doff=8)[:24])
    elif v == 2:
        _carry(c, k, 0x86DD, ipv6(h, d, 6, tcp_h(80, 81)[:19]), "truncated_tcp")
        return
    else:                               # total length covers 12 B of TCP; the rest is padding
        p = ipv4(h, d, 6, tcp_h(80, 81, data=b"zz"), tl=32)
    _carry(c, k, 0x0800, p, "truncated_tcp")


def bad_tcp_data_offset(c, k):
    h, d = _hosts(c, k)
    t = tcp_h(1234, 80, doff=k % 5, data=b"GET / HTTP/1.0\r\n")
    if k % 3 == 2:
        _carry(c, k, 0x86DD, ipv6(h, d, 6, t), "bad_tcp_data_offset")
    else:
        _carry(c, k, 0x0800, ipv4(h, d, 6, t), "bad_tcp_data_offset")


def truncated_udp(c, k):
    h, d = _hosts(c, k)
    u = udp_h(53, 53, b"dns?")[:k % 8]
    if k % 3 == 1:
        _carry(c, k, 0x86DD, ipv6(h, d, 17, u), "truncated_udp")
    elif k % 3 == 2:                    # IP says 4 B of UDP, frame padded to 60 B
        _carry(c, k, 0x0800, ipv4(h, d, 17, udp_h(53, 53, b"dns?"), tl=24), "truncated_udp", padded=True)
    else:
        _carry(c, k, 0x0800, ipv4(h, d, 17, u), "truncated_udp")


def bad_udp_length(c, k):
    h, d = _hosts(c, k)
    data = b"udp length!"
    ulen = [0, 7, 8 + len(data) + 1, 1000][k % 4]
    u = udp_h(5000, 5001, data, ulen=ulen)
    if k % 2:
        _carry(c, k, 0x86DD, ipv6(h, d, 17, u), "bad_udp_length")
    else:
        _carry(c, k, 0x0800, ipv4(h, d, 17, u), "bad_udp_length")


def truncated_icmp(c, k):
    h, d = _hosts(c, k)
    _carry(c, k, 0x0800, ipv4(h, d, 1, icmp_h()[:k % 8]), "truncated_icmp")


def truncated_icmpv6(c, k):
    h, d = _hosts(c, k)
    _carry(c, k, 0x86DD, ipv6(h, d, 58, struct.pack("!BBHHH", 128, 0, 0, 1, 1)[:k % 8]),
           "truncated_icmpv6")


def same_port(c, k):
    if k % 2 == 0 and len(c.remote) >= 2:     # two hosts behind the trunk
        a = c.rng.choice(c.remote)
        b = _peer(c, a)
        if b.port != c.trunk:
            b = next(x for x in c.remote if x.vlan == a.vlan and x is not a)
        c.ensure_learned(a)
        c.ensure_learned(b)
        c.send(c.trunk, tag(random_valid(c.rng, a, b), a.vlan, 3), expect="same_port")
    else:                                     # a VM addressing its own MAC
        h = c.rng.choice(c.vms)
        c.ensure_learned(h)
        c.send(h.port, random_valid(c.rng, h, h), expect="same_port")


def flood_no_member(c, k):
    h = c.lone
    dst = [BCAST, "02:00:00:00:ee:01", "33:33:00:00:00:01", "01:00:5e:00:00:fb"][k % 4]
    c.send(h.port, random_valid(c.rng, h, h, dst), expect="flood_no_member")


KINDS = [runt, oversized, truncated_vlan, double_tagged, bad_src_mac, reserved_multicast,
         unbound_port, tagged_on_access_port, untagged_on_trunk, unknown_vlan, truncated_arp,
         truncated_ipv4, bad_ip_version, bad_ihl, bad_ipv4_total_length, truncated_ipv6,
         bad_ipv6_payload_length, truncated_ipv6_ext, truncated_tcp, bad_tcp_data_offset,
         truncated_udp, bad_udp_length, truncated_icmp, truncated_icmpv6, same_port, flood_no_member]
