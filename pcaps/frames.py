"""Frame builders for pcaps/generate.py: valid traffic (scapy) and one builder per malformed kind.

Every builder returns raw bytes (no FCS). Malformed frames are assembled by hand (struct) so
each field is exactly what the kind needs; the switch model checks that each one triggers
exactly its intended drop reason and nothing else.
"""
import struct

from scapy.all import (ARP, BOOTP, DHCP, DHCP6_Advertise, ICMP, IP, TCP, UDP, Ether,
                       ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLDMultAddrRec, ICMPv6MLReport2,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptPrefixInfo,
                       ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrHopByHop, Raw, RouterAlert)

BCAST = "ff:ff:ff:ff:ff:ff"


class Host:
    """An endpoint: MAC 02:00:00:00:<vlan hex>:<n>, IPv4 10.0.<vlan>.<n>, IPv6 fd00:<vlan>::<n>."""

    def __init__(self, vlan, n, port):
        self.vlan, self.n, self.port = vlan, n, port
        self.mac = "02:00:00:00:%02x:%02x" % (vlan, n)
        self.ip4 = "10.0.%d.%d" % (vlan, n)
        self.ip6 = "fd00:%d::%x" % (vlan, n)

    def __repr__(self):
        return "%s@%s" % (self.mac, self.port)


def pad(frame, n=60):
    return frame + bytes(max(0, n - len(frame)))


def tag(frame, vid, pcp=0, dei=0, tpid=0x8100):
    return frame[:12] + struct.pack("!HH", tpid, (pcp << 13) | (dei << 12) | vid) + frame[12:]


def _mac(m):
    return bytes(int(x, 16) for x in m.split(":"))


def l2(src_mac, dst_mac, etype, payload):
    return _mac(dst_mac) + _mac(src_mac) + struct.pack("!H", etype) + payload


def dmac(d):
    return d if isinstance(d, str) else d.mac


# ---------------------------------------------------------------- valid traffic (scapy)
def arp_request(s, target_ip, padded=True):
    f = bytes(Ether(src=s.mac, dst=BCAST) / ARP(op=1, hwsrc=s.mac, psrc=s.ip4, pdst=target_ip))
    return pad(f) if padded else f


def arp_reply(s, d, padded=True):
    f = bytes(Ether(src=s.mac, dst=d.mac) /
              ARP(op=2, hwsrc=s.mac, psrc=s.ip4, hwdst=d.mac, pdst=d.ip4))
    return pad(f) if padded else f


def ping(s, d, seq, reply=False, size=16):
    icmp = ICMP(type=0 if reply else 8, id=0x77, seq=seq)
    return pad(bytes(Ether(src=s.mac, dst=dmac(d)) / IP(src=s.ip4, dst=d.ip4) / icmp /
                     Raw(bytes(range(size)))))


def tcp(s, d, sport, dport, flags, seq=1000, ack=0, data=b""):
    return pad(bytes(Ether(src=s.mac, dst=dmac(d)) / IP(src=s.ip4, dst=d.ip4) /
                     TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack) / Raw(data)))


def udp(s, d, sport, dport, data=b"hello", ip_dst=None):
    return pad(bytes(Ether(src=s.mac, dst=dmac(d)) / IP(src=s.ip4, dst=ip_dst or d.ip4) /
                     UDP(sport=sport, dport=dport) / Raw(data)))


def ping6(s, d, seq, reply=False):
    icmp = (ICMPv6EchoReply if reply else ICMPv6EchoRequest)(id=0x66, seq=seq, data=b"vigil6")
    return bytes(Ether(src=s.mac, dst=dmac(d)) / IPv6(src=s.ip6, dst=d.ip6) / icmp)


def udp6(s, d, sport, dport, data=b"hello6", ip_dst=None, mac_dst=None):
    return bytes(Ether(src=s.mac, dst=mac_dst or dmac(d)) / IPv6(src=s.ip6, dst=ip_dst or d.ip6) /
                 UDP(sport=sport, dport=dport) / Raw(data))


def neighbor_solicit(s, target):
    low = target.n
    mc_ip = "ff02::1:ff00:%x" % low
    mc_mac = "33:33:ff:00:00:%02x" % low
    return bytes(Ether(src=s.mac, dst=mc_mac) / IPv6(src=s.ip6, dst=mc_ip, hlim=255) /
                 ICMPv6ND_NS(tgt=target.ip6) / ICMPv6NDOptSrcLLAddr(lladdr=s.mac))


def neighbor_advert(s, d):
    return bytes(Ether(src=s.mac, dst=d.mac) / IPv6(src=s.ip6, dst=d.ip6, hlim=255) /
                 ICMPv6ND_NA(tgt=s.ip6, R=0, S=1, O=1))


def random_valid(rng, s, d, dst_mac=None):
    """A random valid frame from host s to host d (dst MAC overridable: bcast, mcast...)."""
    m = dst_mac or d.mac
    k = rng.randrange(8)
    sp, dp = rng.randrange(1024, 65535), rng.choice([22, 53, 80, 443, 5001])
    data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 10, 64, 300])))
    if k == 0:
        return l2(s.mac, m, 0x0806, arp_request(s, d.ip4, padded=rng.random() < 0.7)[14:])
    if k == 1:
        return l2(s.mac, m, 0x0806, arp_reply(s, d)[14:])
    if k == 2:
        return l2(s.mac, m, 0x0800, ping(s, d, rng.randrange(100), rng.random() < .5)[14:])
    if k == 3:
        return l2(s.mac, m, 0x0800, tcp(s, d, sp, dp, rng.choice(["S", "SA", "A", "PA", "FA", "R"]),
                                        rng.randrange(1 << 32), rng.randrange(1 << 32), data)[14:])
    if k == 4:
        return l2(s.mac, m, 0x0800, udp(s, d, sp, dp, data)[14:])
    if k == 5:
        return l2(s.mac, m, 0x86DD, ping6(s, d, rng.randrange(100), rng.random() < .5)[14:])
    if k == 6:
        return l2(s.mac, m, 0x86DD, udp6(s, d, sp, dp, data)[14:])
    return l2(s.mac, m, 0x88B5, bytes([s.n, d.n]) + data + bytes(44))   # local experimental type


# ---------------------------------------------------------------- port security (DHCP, ND, ARP)
def link_local(mac):
    """The EUI-64 link-local address of mac: fe80:: + MAC with the U/L bit flipped, ff:fe inserted."""
    b = _mac(mac)
    return "fe80::%x:%x:%x:%x" % ((b[0] ^ 2) << 8 | b[1], b[2] << 8 | 0xFF, 0xFE00 | b[3],
                                  b[4] << 8 | b[5])


def v4(smac, dmac_, src, dst, l4):
    return pad(bytes(Ether(src=smac, dst=dmac_) / IP(src=src, dst=dst) / l4))


def v6(smac, dmac_, src, dst, l4, hlim=64):
    return bytes(Ether(src=smac, dst=dmac_) / IPv6(src=src, dst=dst, hlim=hlim) / l4)


def arp(smac, op, hwsrc, psrc, pdst, dmac_=BCAST, hwdst="00:00:00:00:00:00", hwtype=1, ptype=0x0800):
    return pad(bytes(Ether(src=smac, dst=dmac_) /
                     ARP(hwtype=hwtype, ptype=ptype, op=op, hwsrc=hwsrc, psrc=psrc, hwdst=hwdst,
                         pdst=pdst)))


def arp_probe(s, ip):
    """RFC 5227 probe: sender IP 0.0.0.0, asking who has ip."""
    return arp(s.mac, 1, s.mac, "0.0.0.0", ip)


def dhcp_discover(s, xid=0x5151):
    return v4(s.mac, BCAST, "0.0.0.0", "255.255.255.255",
              UDP(sport=68, dport=67) / BOOTP(op=1, xid=xid, chaddr=_mac(s.mac)) /
              DHCP(options=[("message-type", "discover"), "end"]))


def dhcp_offer(server, client, xid=0x5151, src_ip=None):
    return v4(server.mac, client.mac, src_ip or server.ip4, client.ip4,
              UDP(sport=67, dport=68) / BOOTP(op=2, xid=xid, yiaddr=client.ip4, chaddr=_mac(client.mac)) /
              DHCP(options=[("message-type", "offer"), ("server_id", server.ip4), "end"]))


def dhcp6_advertise(server, client, trid=0x66):
    return v6(server.mac, client.mac, link_local(server.mac), link_local(client.mac),
              UDP(sport=547, dport=546) / DHCP6_Advertise(trid=trid))


def router_solicit(s):
    return v6(s.mac, "33:33:00:00:00:02", link_local(s.mac), "ff02::2",
              ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=s.mac), 255)


def router_advert(s, src=None, dst="ff02::1", mac_dst="33:33:00:00:00:01"):
    return v6(s.mac, mac_dst, src or link_local(s.mac), dst,
              ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=s.mac) /
              ICMPv6NDOptPrefixInfo(prefix="fd00:%d::" % s.vlan, prefixlen=64), 255)


def dad_solicit(s, addr):
    """Duplicate-address detection: NS from :: to the solicited-node group of addr."""
    low = _ip6a(addr)[13:]
    return v6(s.mac, "33:33:ff:%02x:%02x:%02x" % tuple(low), "::", "ff02::1:ff%02x:%02x%02x" % tuple(low),
              ICMPv6ND_NS(tgt=addr), 255)


def mld_report(s, group, src="::"):
    """MLDv2 report (type 143) after a hop-by-hop Router Alert header."""
    return v6(s.mac, "33:33:00:00:00:16", src, "ff02::16",
              IPv6ExtHdrHopByHop(options=[RouterAlert()]) /
              ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst=group)]), 1)


# ---------------------------------------------------------------- hand-built L3/L4
def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ip4a(a):
    return bytes(int(x) for x in a.split("."))


def ipv4(s, d, proto, l4, ihl=5, tl=None, ver=4, frag=0, opts=b""):
    opts = opts + bytes(max(0, min(ihl * 4, 60) - 20 - len(opts)))
    total = 20 + len(opts) + len(l4) if tl is None else tl
    h = struct.pack("!BBHHHBBH4s4s", (ver << 4) | ihl, 0, total, 0x1234, frag, 64, proto, 0,
                    _ip4a(s.ip4), _ip4a(d.ip4)) + opts
    h = h[:10] + struct.pack("!H", _csum(h)) + h[12:]
    return h + l4


def _ip6a(a):
    import socket
    return socket.inet_pton(socket.AF_INET6, a)


def ipv6(s, d, nh, payload, plen=None, ver=6):
    return struct.pack("!IHBB", (ver << 28), len(payload) if plen is None else plen, nh, 64) + \
        _ip6a(s.ip6) + _ip6a(d.ip6) + payload


def udp_h(sport, dport, data, ulen=None):
    return struct.pack("!HHHH", sport, dport, 8 + len(data) if ulen is None else ulen, 0) + data


def tcp_h(sport, dport, doff=5, data=b"", flags=0x18):
    opts = bytes(max(0, doff * 4 - 20)) if doff > 5 else b""
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, doff << 4, flags, 8192, 0, 0) + opts + data


def icmp_h(data=b"abcd"):
    return struct.pack("!BBHHH", 8, 0, 0, 1, 1) + data


def ext_h(nh, n8, body=None):
    """IPv6 hop-by-hop/destination options header of (n8+1)*8 bytes (PadN filled)."""
    size = (n8 + 1) * 8
    body = body if body is not None else bytes([1, size - 4]) + bytes(size - 4)
    return bytes([nh, n8]) + body[:size - 2]
