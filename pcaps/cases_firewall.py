"""Cases `firewall_policy`, `firewall_tcp`, `firewall_limits`, `firewall_rate`, `firewall_reject`: the
stateful firewall (CONTRACT.md, Firewall).

Called by pcaps/generate.py (CASES). The firewall is not modelled: every IPv4/IPv6 frame of a
tenant with a policy states its firewall outcome by construction (`ok`: passes, then the bridge
model decides where it goes; `no(reason)`: dropped with that reason, teaching nothing), and
switch_model.py insists on an outcome for exactly those frames. The comments give the reasoning
(rule matched, connection state, TCP tracker rule of dataplane/tcp_tracker.h).

A `policy_reject` frame is answered (CONTRACT.md, Firewall, Reject replies): reject_reply()
builds the exact reply with struct (and cross-checks it against scapy's build), and Fw.no()
appends it to the ingress port's expected output at the rejected frame's place; the case states
the kind of reply it intends (or None) and the builder asserts it.
"""
import struct

from scapy.all import ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6DestUnreach, ICMPv6EchoReply, \
    ICMPv6EchoRequest, ICMPv6ND_NS, IPv6, Raw

from caselib import Case, make_config
from caselib import BCAST_HOST
from frames import Host, arp_request, ext_h, ipv4, ipv6, l2, neighbor_advert, neighbor_solicit, \
    pad, tag, udp_h

US = 1_000_000


def echo(s, d, ident, seq, reply=False):
    return pad(bytes(Ether(src=s.mac, dst=d.mac) / IP(src=s.ip4, dst=d.ip4) /
                     ICMP(type=0 if reply else 8, id=ident, seq=seq) / Raw(b"vigil-fw")))


def echo6(s, d, ident, seq, reply=False):
    icmp = (ICMPv6EchoReply if reply else ICMPv6EchoRequest)(id=ident, seq=seq, data=b"vigil6")
    return bytes(Ether(src=s.mac, dst=d.mac) / IPv6(src=s.ip6, dst=d.ip6) / icmp)


def udp4(s, d, sp, dp, data=b"fw"):
    return pad(bytes(Ether(src=s.mac, dst=d.mac) / IP(src=s.ip4, dst=d.ip4) /
                     UDP(sport=sp, dport=dp) / Raw(data)))


def udp6(s, d, sp, dp, data=b"fw6"):
    return bytes(Ether(src=s.mac, dst=d.mac) / IPv6(src=s.ip6, dst=d.ip6) /
                 UDP(sport=sp, dport=dp) / Raw(data))


def tcp4(s, d, sp, dp, flags, seq=0, ack=0, data=b"", win=8192):
    return pad(bytes(Ether(src=s.mac, dst=d.mac) / IP(src=s.ip4, dst=d.ip4) /
                     TCP(sport=sp, dport=dp, flags=flags, seq=seq % 2**32, ack=ack, window=win) / Raw(data)))


def tcp6(s, d, sp, dp, flags, seq=0, ack=0, data=b"", win=8192):
    return bytes(Ether(src=s.mac, dst=d.mac) / IPv6(src=s.ip6, dst=d.ip6) /
                 TCP(sport=sp, dport=dp, flags=flags, seq=seq % 2**32, ack=ack, window=win) / Raw(data))


def icmp_error(s, d, orig, typ=3, code=3):
    """ICMP error from s to d quoting orig's IP header + 8 bytes of its L4 header."""
    ip = orig[14:]
    inner = ip[:(ip[0] & 15) * 4 + 8]
    return pad(bytes(Ether(src=s.mac, dst=d.mac) / IP(src=s.ip4, dst=d.ip4) /
                     ICMP(type=typ, code=code) / Raw(inner)))


def icmp6_error(s, d, orig, code=4):
    return bytes(Ether(src=s.mac, dst=d.mac) / IPv6(src=s.ip6, dst=d.ip6) /
                 ICMPv6DestUnreach(code=code) / Raw(orig[14:14 + 48]))


class Fw:
    """Sending helpers: ok() for a frame the firewall passes, no() for one it drops."""

    def __init__(self, case):
        self.c = case

    def ok(self, h, frame, to=None):
        self.c.sendh(h, frame, to=to, fw="pass")

    def no(self, h, frame, reason, reply=None, pcp=0):
        """reply: for policy_reject, the kind of answer intended ("rst", "icmp", "icmp6" or
        None: no answer); it goes back out of the ingress port, in capture order."""
        self.c.sendh(h, frame, pcp=pcp, expect=reason, fw=reason)
        reject(self.c, reason, reply)

    def raw_no(self, port, frame, reason, reply=None):   # a frame sent as is (priority tags)
        self.c.send(port, frame, expect=reason, fw=reason)
        reject(self.c, reason, reply)

    def plain(self, h, frame, to=None, expect=None):   # not filtered (ARP, tenant without policy)
        self.c.sendh(h, frame, to=to, expect=expect)

    def announce(self, *hosts):
        for h in hosts:
            self.plain(h, arp_request(h, h.ip4))

    def handshake(self, a, b, sp, dp, isn_a, isn_b, v6=False):
        """a opens a TCP connection to b (allowed): SYN, SYN-ACK, ACK. Returns (seq a, seq b)."""
        t = tcp6 if v6 else tcp4
        self.ok(a, t(a, b, sp, dp, "S", isn_a))
        self.ok(b, t(b, a, dp, sp, "SA", isn_b, isn_a + 1))
        self.ok(a, t(a, b, sp, dp, "A", isn_a + 1, isn_b + 1))
        return isn_a + 1, isn_b + 1


# ------------------------------------------------------------------------------ reject replies
def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _with_csum(b, at):
    return b[:at] + struct.pack("!H", _csum(b)) + b[at + 2:]


def _ip4_reply_header(src, dst, proto, total):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, src, dst)
    return _with_csum(h, 10)


def _ip6_reply_header(src, dst, nh, plen):
    return struct.pack("!IHBB", 0x60000000, plen, nh, 64) + src + dst


def _tcp_rst(l4, plen):
    """RST answering the TCP segment l4 (header + plen bytes of payload): header without
    checksum."""
    sport, dport, seq, ack, off, flags = struct.unpack("!HHIIBB", l4[:14])
    if flags & 0x10:                                        # ACK: RST with seq = its ack
        r_seq, r_ack, r_flags = ack, 0, 0x04
    else:
        r_seq, r_ack, r_flags = 0, (seq + plen + (flags & 2 and 1) + (flags & 1)) % 2**32, 0x14
    return struct.pack("!HHIIBBHHH", dport, sport, r_seq, r_ack, 5 << 4, r_flags, 0, 0, 0)


def _ip6_upper(p):
    """(next header, offset of the upper-layer header, non-first fragment) of an IPv6 packet."""
    nh, off, plen = p[6], 40, 40 + struct.unpack("!H", p[4:6])[0]
    while nh in (0, 43, 60, 44, 51):
        if nh == 44:
            if struct.unpack("!H", p[off + 2:off + 4])[0] >> 3:
                return nh, off, True
            nh, off = p[off], off + 8
            continue
        nh, off = p[off], off + ((p[off + 1] + 2) * 4 if nh == 51 else (p[off + 1] + 1) * 8)
    assert off <= plen
    return nh, off, False


def reject_reply(cfg, port, frame):
    """(kind, bytes) of vigild's answer to `frame`, received on `port` and dropped
    policy_reject, or (None, None) when none is due (CONTRACT.md, Reject replies)."""
    dst, src = frame[0:6], frame[6:12]
    etype, off, pcp, vid = struct.unpack("!H", frame[12:14])[0], 14, 0, 0
    if etype == 0x8100:
        tci = struct.unpack("!H", frame[14:16])[0]
        pcp, vid, etype, off = tci >> 13, tci & 0xFFF, struct.unpack("!H", frame[16:18])[0], 18
    p = frame[off:]
    if dst[0] & 1:
        return None, None                                   # multicast / broadcast destination
    if etype == 0x0800:
        hl, tl = (p[0] & 15) * 4, struct.unpack("!H", p[2:4])[0]
        proto, l4 = p[9], p[hl:tl]
        if struct.unpack("!H", p[6:8])[0] & 0x1FFF:
            return None, None                               # non-first fragment
        s_ip, d_ip = p[12:16], p[16:20]
        if proto == 1 and l4[0] in (3, 4, 5, 11, 12):
            return None, None                               # ICMP error
        if proto == 6:
            if l4[13] & 0x04:
                return None, None                           # RST
            t = _tcp_rst(l4, len(l4) - (l4[12] >> 4) * 4)
            t = t[:16] + struct.pack("!H", _csum(d_ip + s_ip + struct.pack("!BBH", 0, 6, 20) + t)) + t[18:]
            kind, ip = "rst", _ip4_reply_header(d_ip, s_ip, 6, 40) + t
        else:
            quoted = p[:hl] + l4[:8]
            icmp = _with_csum(struct.pack("!BBHI", 3, 13, 0, 0) + quoted, 2)
            kind, ip = "icmp", _ip4_reply_header(d_ip, s_ip, 1, 28 + len(quoted)) + icmp
    elif etype == 0x86DD:
        nh, l4off, later_fragment = _ip6_upper(p)
        if later_fragment:
            return None, None
        end = 40 + struct.unpack("!H", p[4:6])[0]
        l4 = p[l4off:end]
        s_ip, d_ip = p[8:24], p[24:40]
        if nh == 58 and (1 <= l4[0] <= 4 or (l4[0] >= 128 and l4[0] != 128)):
            return None, None                               # ICMPv6 error, ND, MLD, echo reply...
        if nh == 6:
            if l4[13] & 0x04:
                return None, None
            t = _tcp_rst(l4, len(l4) - (l4[12] >> 4) * 4)
            pseudo = d_ip + s_ip + struct.pack("!I3xB", 20, 6)
            t = t[:16] + struct.pack("!H", _csum(pseudo + t)) + t[18:]
            kind, ip = "rst", _ip6_reply_header(d_ip, s_ip, 6, 20) + t
        else:
            quoted = p[:end][:1232]
            icmp = struct.pack("!BBHI", 1, 1, 0, 0) + quoted
            pseudo = d_ip + s_ip + struct.pack("!I3xB", len(icmp), 58)
            icmp = icmp[:2] + struct.pack("!H", _csum(pseudo + icmp)) + icmp[4:]
            kind, ip = "icmp6", _ip6_reply_header(d_ip, s_ip, 58, len(icmp)) + icmp
    else:
        raise AssertionError("policy_reject of a non-IP frame")
    reply = src + dst + struct.pack("!H", etype) + ip
    tr = cfg.trunks.get(port)
    if tr is not None:                                      # like any frame leaving the trunk
        vlan = vid if vid else tr[0]
        if vlan != tr[0]:
            reply = tag(reply, vlan, pcp)
    _scapy_check(kind, frame, reply)
    return kind, reply


def _scapy_check(kind, frame, reply):
    """The same reply built by scapy from the rejected frame's fields (an independent check)."""
    rej, r = Ether(frame), Ether(reply)
    eth = Ether(src=rej.dst, dst=rej.src)
    if Dot1Q in r:
        eth = eth / Dot1Q(prio=r[Dot1Q].prio, vlan=r[Dot1Q].vlan)
    if IP in rej:
        o = rej[IP]
        ip = IP(src=o.dst, dst=o.src, id=0, flags="DF", ttl=64, tos=0)
        raw_ip = bytes(o)[:o.len]
    else:
        o = rej[IPv6]
        ip = IPv6(src=o.dst, dst=o.src, hlim=64, tc=0, fl=0)
        raw_ip = bytes(o)[:40 + o.plen]
    if kind == "rst":
        t = rej[TCP]
        plen = len(raw_ip) - (len(bytes(o)) - len(bytes(t))) - t.dataofs * 4
        if t.flags.A:
            l4 = TCP(sport=t.dport, dport=t.sport, seq=t.ack, ack=0, flags="R", window=0)
        else:
            l4 = TCP(sport=t.dport, dport=t.sport, seq=0, flags="RA", window=0,
                     ack=(t.seq + plen + int(bool(t.flags.S)) + int(bool(t.flags.F))) % 2**32)
    elif kind == "icmp":
        l4 = ICMP(type=3, code=13) / Raw(raw_ip[:o.ihl * 4 + 8])
    else:
        l4 = ICMPv6DestUnreach(code=1) / Raw(raw_ip[:1232])
    want = bytes(eth / ip / l4)
    assert want == reply, "reject reply: struct and scapy builds differ\n%s\n%s" % (want.hex(), reply.hex())


def reject(c, reason, intended):
    """After c's last frame: if it was dropped policy_reject, expect its reply on its port."""
    if reason != "policy_reject":
        assert intended is None, "a reply intended for a %s drop" % reason
        return
    port, frame, _ = c.events[-1]
    kind, reply = reject_reply(c.model.cfg, port, frame)
    assert kind == intended, "frame %d: reject reply %s, intended %s" % (c.model.n - 1, kind, intended)
    if reply is not None:
        c.model.out[port].append((reply, c.model.n - 1))


def _counts(c, want):
    got = c.model.counters()["drops"]
    assert got == want, "%s drops %s, want %s" % (c.name, got, want)


# ------------------------------------------------------------------------------ firewall_policy
POLICY = {
    "default": "deny",
    "rules": [
        {"priority": 100, "src": "web", "dst": "vb3", "proto": "tcp", "dst_port": 5432,
         "action": "allow"},                                                  # web -> database
        {"src": "any", "dst": "web", "proto": "tcp", "dst_port": "80-81", "action": "allow"},
        {"priority": 200, "src": "10.0.10.120", "dst": "web", "action": "deny"},  # v4 only
        {"src": "staff", "proto": "udp", "dst_port": "5000-5999", "action": "allow"},
        {"src": "web", "proto": "udp", "dst_port": 53, "action": "log"},
        {"priority": 50, "src": "vb4", "dst": "vb3", "proto": "tcp", "action": "reject"},
        {"dst": "vb3", "proto": "udp", "dst_port": 161, "action": "reject"},
        {"proto": "icmp", "icmp_type": 8, "action": "allow"},
        {"proto": "icmpv6", "icmp_type": 128, "action": "allow"},
        {"proto": "icmpv6", "icmp_type": 135, "action": "allow"},
        {"proto": "icmpv6", "icmp_type": 136, "action": "allow"},
        {"priority": 10, "src": "vb4", "dst": "vb1", "proto": "udp", "action": "allow"},
        {"priority": 10, "src": "vb4", "dst": "vb1", "proto": "udp", "dst_port": 7,
         "action": "deny"},                                      # same priority, later: loses
        {"priority": 5, "src": "vb4", "dst": "vb2", "proto": "udp", "action": "allow"},
        {"priority": 20, "src": "vb4", "dst": "vb2", "proto": "udp", "dst_port": 9,
         "action": "deny"},                                      # later but higher: wins
        {"priority": 10, "src": "admins", "dst": "vb4", "proto": "udp", "action": "allow"},
    ],
}


def firewall_policy():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3", "vb4"]), ("red", 20, ["vr1", "vr2"])],
                         trunks=[{"port": "uplink"}])
    blue = cfg["tenants"][0]
    blue["groups"] = {"web": ["vb1", "vb2"], "admins": ["10.0.10.96/28", "fd00:10::60/124"],
                      "staff": ["admins", "vb4"]}
    blue["policy"] = POLICY
    c = Case("firewall_policy", cfg, 11)
    f = Fw(c)
    ok, no = f.ok, f.no
    b1, b2, b3, b4, r1, r2 = (H[p] for p in ("vb1", "vb2", "vb3", "vb4", "vr1", "vr2"))
    bh = Host(10, 0x64, "uplink")            # 10.0.10.100, fd00:10::64: in `admins`
    out = Host(10, 0x78, "uplink")           # 10.0.10.120, fd00:10::78: outside, blocked on v4
    rh = Host(20, 0x64, "uplink")
    f.announce(b1, b2, b3, b4, bh, out, r1, r2, rh)         # ARP is never filtered

    # VM -> VM TCP, allowed (web -> db 5432): handshake, data both ways, FIN close
    a, b = f.handshake(b1, b3, 40000, 5432, 1000, 5000)
    ok(b1, tcp4(b1, b3, 40000, 5432, "PA", a, b, b"SELECT 1;"), to=["vb3"])
    ok(b3, tcp4(b3, b1, 5432, 40000, "PA", b, a + 9, b"1 row"), to=["vb1"])
    ok(b1, tcp4(b1, b3, 40000, 5432, "FA", a + 9, b + 5))
    ok(b3, tcp4(b3, b1, 5432, 40000, "FA", b + 5, a + 10))
    ok(b1, tcp4(b1, b3, 40000, 5432, "A", a + 10, b + 6))
    no(b3, tcp4(b3, b1, 40001, 5432, "S", 7000), "policy_deny")   # db -> web: no rule
    # trunk -> VM TCP, allowed (any -> web 80-81), return traffic needs no rule
    a, b = f.handshake(bh, b2, 50000, 80, 2000, 9000)
    ok(bh, tcp4(bh, b2, 50000, 80, "PA", a, b, b"GET / HTTP/1.1\r\n\r\n"), to=["vb2"])
    ok(b2, tcp4(b2, bh, 80, 50000, "PA", b, a + 18, b"HTTP/1.1 200 OK\r\n\r\n"), to=["uplink"])
    ok(b2, tcp4(b2, bh, 80, 50000, "FA", b + 19, a + 18))
    ok(bh, tcp4(bh, b2, 50000, 80, "FA", a + 18, b + 20))
    ok(b2, tcp4(b2, bh, 80, 50000, "A", b + 20, a + 19))
    # priorities: the v4-only deny (200) beats the allow for `out`; over IPv6 it does not match
    no(out, tcp4(out, b1, 50001, 80, "S", 3000), "policy_deny")
    no(b1, tcp4(b1, out, 80, 50001, "SA", 8000, 3001), "tcp_no_connection")  # its would-be answer
    a, b = f.handshake(out, b1, 50002, 81, 3100, 8100, v6=True)
    ok(b1, tcp6(b1, out, 81, 50002, "PA", b, a, b"v6 ok"))
    no(out, udp4(out, b2, 50003, 5000), "policy_deny")             # deny (200): any proto

    # UDP request/reply: staff (group with a nested group and a VM) -> 5000-5999
    ok(b4, udp4(b4, bh, 41000, 5001, b"query"), to=["uplink"])
    ok(bh, udp4(bh, b4, 5001, 41000, b"answer"), to=["vb4"])
    ok(bh, udp4(bh, b3, 41001, 5002, b"admin to db"), to=["vb3"])
    ok(b3, udp4(b3, bh, 5002, 41001, b"db answers"), to=["uplink"])
    ok(bh, udp6(bh, b3, 41002, 5003), to=["vb3"])                   # admins' IPv6 prefix
    ok(b3, udp6(b3, bh, 5003, 41002), to=["uplink"])
    no(out, udp6(out, b3, 41003, 5003), "policy_deny")              # outside admins: default
    # denied first packet, then the would-be reply: a first packet itself, classified as such
    no(b1, udp4(b1, b3, 41004, 5004), "policy_deny")                # web is not staff
    no(b3, udp4(b3, b1, 5004, 41004), "policy_deny")                # db -> web 41004: no rule
    no(b2, udp4(b2, b4, 41005, 5005), "policy_deny")
    ok(b4, udp4(b4, b2, 5005, 41005), to=["vb2"])                   # vb4 -> vb2 udp (prio 5)
    ok(b2, udp4(b2, b4, 41005, 5005), to=["vb4"])                   # ... and now tracked

    # ICMP echo: request allowed (type 8), reply tracked; an unsolicited reply is a first packet
    ok(b1, echo(b1, b3, 0x101, 1), to=["vb3"])
    ok(b3, echo(b3, b1, 0x101, 1, reply=True), to=["vb1"])
    ok(bh, echo(bh, b2, 0x102, 1), to=["vb2"])
    ok(b2, echo(b2, bh, 0x102, 1, reply=True), to=["uplink"])
    ok(b2, echo(b2, bh, 0x102, 2, reply=True), to=["uplink"])       # same identifier: tracked
    no(b2, echo(b2, bh, 0x103, 3, reply=True), "policy_deny")       # other identifier: untracked
    ok(b2, echo6(b2, b1, 0x104, 1), to=["vb1"])
    ok(b1, echo6(b1, b2, 0x104, 1, reply=True), to=["vb2"])
    no(b3, echo6(b3, b1, 0x105, 1, reply=True), "policy_deny")      # ICMPv6 129: no rule
    ok(b1, neighbor_solicit(b1, b2))                                # ICMPv6 135, 136: rules
    ok(b2, neighbor_advert(b2, b1), to=["vb1"])

    # reject: dropped as policy_reject and answered out of the ingress port (RST|ACK to a SYN,
    # ICMP 3/13 otherwise); the would-be replies of the far end have no connection
    no(b4, tcp4(b4, b3, 41010, 22, "S", 100), "policy_reject", "rst")   # vb4 -> db tcp (prio 50)
    no(b3, tcp4(b3, b4, 22, 41010, "SA", 200, 101), "tcp_no_connection")
    no(b1, udp4(b1, b3, 41011, 161, b"get"), "policy_reject", "icmp")
    no(b3, udp4(b3, b1, 161, 41011, b"resp"), "policy_deny")
    no(bh, udp4(bh, b3, 41012, 161, b"get"), "policy_reject", "icmp")   # from the trunk: tagged
    # same priority: the earlier rule wins; higher priority wins whatever the order
    ok(b4, udp4(b4, b1, 41013, 7, b"echo"), to=["vb1"])
    ok(b1, udp4(b1, b4, 7, 41013, b"echo"), to=["vb4"])
    no(b4, udp4(b4, b2, 41014, 9, b"discard"), "policy_deny")
    ok(b4, udp4(b4, b2, 41014, 10, b"other port"), to=["vb2"])

    # log rule (web -> UDP 53): passes and opens a connection; reply tracked
    q = udp4(b1, bh, 41020, 53, b"dns query")
    ok(b1, q, to=["uplink"])
    ok(bh, udp4(bh, b1, 53, 41020, b"dns answer"), to=["vb1"])
    ok(b1, udp4(b1, bh, 41020, 53, b"again"), to=["uplink"])
    # ICMP errors: related to a tracked UDP flow pass (no rule for type 3), unrelated ones do not
    q2 = udp4(b2, bh, 41021, 53, b"dns to nowhere")
    ok(b2, q2, to=["uplink"])
    ok(bh, icmp_error(bh, b2, q2), to=["vb2"])                      # port unreachable: related
    ok(bh, icmp_error(bh, b1, q, 11, 0), to=["vb1"])                # time exceeded: related
    q3 = udp4(bh, b4, 41022, 5006, b"to vb4")
    ok(bh, q3, to=["vb4"])
    ok(b4, icmp_error(b4, bh, q3), to=["uplink"])                   # from the VM side
    no(bh, icmp_error(bh, b1, udp4(b1, bh, 41023, 53)), "policy_deny")   # never sent: unrelated
    no(bh, icmp_error(bh, b3, udp4(b3, bh, 41001, 5002)), "policy_deny")  # ports swapped: not it
    q6 = udp6(b1, bh, 41024, 53, b"v6 dns")
    ok(b1, q6, to=["uplink"])
    ok(bh, icmp6_error(bh, b1, q6), to=["vb1"])                     # ICMPv6 type 1: related
    no(bh, icmp6_error(bh, b2, udp6(b2, bh, 41025, 53)), "policy_deny")
    # non-first fragments: ports 0; passing by a rule without ports, denied where ports matter
    ok(bh, l2(bh.mac, b4.mac, 0x0800, ipv4(bh, b4, 17, b"tail of a datagram", frag=100)),
       to=["vb4"])                                                  # admins -> vb4 udp, any port
    no(bh, l2(bh.mac, b3.mac, 0x0800, ipv4(bh, b3, 17, b"tail of a datagram", frag=100)),
       "policy_deny")                                               # 5000-5999 needs a port
    # earlier stages first: a spoofed source or a malformed header never reaches the firewall
    c.sendh(b1, udp4(Host(10, 9, "vb1"), b3, 41030, 5432), expect="spoofed_src_mac")
    c.sendh(b1, l2(b1.mac, b3.mac, 0x0800, ipv4(b1, b3, 6, bytes(12))), expect="truncated_tcp")

    # red has no policy: the same kinds of traffic pass untouched (no firewall outcome)
    for fr, h in ((tcp4(r2, r1, 40001, 5432, "S", 7000), r2),
                  (tcp4(r1, r2, 80, 50001, "SA", 8000, 3001), r1),
                  (tcp4(rh, r1, 50000, 22, "PA", 1, 1, b"mid-stream"), rh),
                  (udp4(r1, r2, 161, 41011, b"resp"), r1),
                  (echo(r2, rh, 0x103, 3, reply=True), r2),
                  (icmp_error(rh, r1, udp4(r1, rh, 41023, 53)), rh),
                  (echo6(r1, r2, 0x105, 1, reply=True), r1),
                  (udp6(rh, r2, 41003, 5003), rh)):
        f.plain(h, fr)
    _counts(c, {"policy_deny": 15, "policy_reject": 3, "tcp_no_connection": 2,
                "spoofed_src_mac": 1, "truncated_tcp": 1})
    c.write()


# ------------------------------------------------------------------------------ firewall_tcp
def firewall_tcp():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    cfg["tenants"][0]["policy"] = {"default": "deny", "rules": [
        {"proto": "tcp", "dst_port": "80-90", "action": "allow"},
        {"src": "vb1", "proto": "tcp", "action": "allow"}]}
    c = Case("firewall_tcp", cfg, 12)
    f = Fw(c)
    ok, no = f.ok, f.no
    b1, b2, b3 = H["vb1"], H["vb2"], H["vb3"]
    bh = Host(10, 0x64, "uplink")
    f.announce(b1, b2, b3, bh)

    def t(s, d, sp, dp, fl, seq=0, ack=0, data=b""):
        return tcp4(s, d, sp, dp, fl, seq, ack, data)

    # RST: out of window, one below, then exactly in window (closes); CLOSE admits only RSTs
    a, b = f.handshake(b1, b2, 40000, 80, 1000, 5000)
    ok(b1, t(b1, b2, 40000, 80, "PA", a, b, b"0123456789"))
    ok(b2, t(b2, b1, 80, 40000, "A", b, a + 10))
    no(b2, t(b2, b1, 80, 40000, "R", b + 1000), "tcp_invalid")      # inside the window: not enough
    no(b2, t(b2, b1, 80, 40000, "R", b - 1), "tcp_invalid")
    no(bh, t(_fake(bh, b2), b1, 80, 40000, "R", b + 70000), "tcp_invalid")  # blind, from the trunk
    ok(b1, t(b1, b2, 40000, 80, "PA", a + 10, b, b"still open"))    # state untouched by those
    ok(b2, t(b2, b1, 80, 40000, "R", b))                            # exact: closes
    no(b1, t(b1, b2, 40000, 80, "PA", a + 20, b, b"after reset"), "tcp_invalid")
    ok(b1, t(b1, b2, 40000, 80, "S", 90000))                        # SYN on CLOSE: reopens
    ok(b2, t(b2, b1, 80, 40000, "SA", 60000, 90001))
    ok(b1, t(b1, b2, 40000, 80, "A", 90001, 60001))

    # data outside the window, acks of unsent data; a valid segment still passes after them
    a, b = f.handshake(b1, b3, 40001, 81, 2000, 7000)
    no(b1, t(b1, b3, 40001, 81, "PA", a + 20000, b, b"far ahead"), "tcp_invalid")
    no(b1, t(b1, b3, 40001, 81, "PA", a - 20000, b, b"far behind"), "tcp_invalid")
    no(b1, t(b1, b3, 40001, 81, "A", a, b + 5000), "tcp_invalid")   # acks data never sent
    no(b3, t(b3, b1, 81, 40001, "PA", b + 9000, a, b"beyond"), "tcp_invalid")
    ok(b1, t(b1, b3, 40001, 81, "PA", a, b, b"in window"))
    ok(b3, t(b3, b1, 81, 40001, "PA", b, a + 9, b"ok"))
    no(b1, t(b1, b3, 40001, 81, "S", 2500), "tcp_invalid")          # SYN on an open connection
    no(b1, t(b1, b3, 40001, 81, "SF", a + 9, b + 2), "tcp_invalid")  # SYN+FIN: impossible flags
    no(b1, t(b1, b3, 40001, 81, "", a + 9, b + 2), "tcp_invalid")   # no flags at all

    # half-open SYN flood from the trunk: each SYN a new allowed connection, never answered
    for i in range(12):
        ok(bh, t(bh, b2, 50000 + i, 82, "S", 100000 + i))
    ok(bh, t(bh, b2, 50003, 82, "S", 100003))                       # retransmission: valid
    no(bh, t(bh, b2, 50004, 82, "A", 100005, 1), "tcp_invalid")     # ACK in SYN_SENT
    no(bh, t(bh, b2, 50099, 82, "A", 1, 1), "tcp_no_connection")    # unknown: no handshake
    no(b2, t(b2, bh, 82, 50005, "SA", 3000, 4242), "tcp_invalid")   # does not ack the SYN
    ok(b2, t(b2, bh, 82, 50005, "SA", 3000, 100006))                # does
    ok(bh, t(bh, b2, 50005, 82, "A", 100006, 3001))

    # simultaneous close: both FINs cross, both acked: TIME_WAIT
    a, b = f.handshake(b1, b2, 40002, 83, 3000, 9000)
    ok(b1, t(b1, b2, 40002, 83, "FA", a, b))
    ok(b2, t(b2, b1, 83, 40002, "FA", b, a))
    ok(b1, t(b1, b2, 40002, 83, "A", a + 1, b + 1))
    ok(b2, t(b2, b1, 83, 40002, "A", b + 1, a + 1))
    no(b1, t(b1, b2, 40002, 83, "PA", a + 1, b + 1, b"late"), "tcp_invalid")  # after its FIN
    # a SYN on TIME_WAIT starts a new connection, classified again: from vb2 to vb1:40002 no rule
    no(b2, t(b2, b1, 83, 40002, "S", 12345), "policy_deny")
    ok(b1, t(b1, b2, 40002, 83, "S", 4000))                         # reuse: allowed
    ok(b2, t(b2, b1, 83, 40002, "SA", 11000, 4001))
    ok(b1, t(b1, b2, 40002, 83, "A", 4001, 11001))
    ok(b1, t(b1, b2, 40002, 83, "PA", 4001, 11001, b"second life"))

    # simultaneous open: the responder's own SYN is tracked, not classified (vb2 -> 40003: no rule)
    ok(b1, t(b1, b2, 40003, 84, "S", 6000))
    ok(b2, t(b2, b1, 84, 40003, "S", 16000))
    ok(b1, t(b1, b2, 40003, 84, "SA", 6000, 16001))
    ok(b2, t(b2, b1, 84, 40003, "SA", 16000, 6001))
    ok(b2, t(b2, b1, 84, 40003, "PA", 16001, 6001, b"both opened"))

    # no connection: only a pure SYN may start one
    no(b1, t(b1, b2, 40004, 85, "PA", 1, 1, b"mid-stream"), "tcp_no_connection")
    no(bh, t(bh, b3, 50100, 85, "A", 1, 1), "tcp_no_connection")
    no(b1, t(b1, b3, 40005, 85, "SF", 1), "tcp_no_connection")      # SYN+FIN
    no(b1, t(b1, b3, 40006, 85, "FPU", 1), "tcp_no_connection")     # Xmas
    no(b1, t(b1, b3, 40007, 85, "", 1), "tcp_no_connection")        # null
    no(b1, t(b1, b3, 40008, 85, "R", 1), "tcp_no_connection")
    no(b1, t(b1, b3, 40009, 85, "SA", 1, 1), "tcp_no_connection")
    no(b1, t(b1, b3, 40010, 85, "SU", 1), "tcp_invalid")   # SYN (ACK/RST/FIN clear), bad flags
    no(b2, t(b2, b3, 40011, 22, "S", 1), "policy_deny")    # the policy still applies

    # IPv6: handshake, RST inside the window but not exact, then the exact one, then a reopen
    a, b = f.handshake(bh, b3, 50200, 86, 70000, 20000, v6=True)
    ok(b3, tcp6(b3, bh, 86, 50200, "PA", b, a, b"v6 data"))
    no(bh, tcp6(bh, b3, 50200, 86, "R", a + 1), "tcp_invalid")
    ok(bh, tcp6(bh, b3, 50200, 86, "RA", a, b + 7))
    no(b3, tcp6(b3, bh, 86, 50200, "PA", b + 7, a, b"closed"), "tcp_invalid")
    ok(bh, tcp6(bh, b3, 50200, 86, "S", 80000))
    _counts(c, {"tcp_invalid": 17, "tcp_no_connection": 8, "policy_deny": 2})
    c.write()


def _fake(h, as_of):
    """h's MAC and port carrying as_of's IP addresses (a trunk host forging a segment)."""
    x = Host(h.vlan, h.n, h.port)
    x.ip4, x.ip6 = as_of.ip4, as_of.ip6
    return x


# ------------------------------------------------------------------------------ firewall_limits
def _limited_case(name, conntrack, policy, seed):
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}],
                         switch={"conntrack": conntrack})
    cfg["tenants"][0]["policy"] = policy
    c = Case(name, cfg, seed)
    f = Fw(c)
    b1, b2, b3 = H["vb1"], H["vb2"], H["vb3"]
    bh = Host(10, 0x64, "uplink")
    f.announce(b1, b2, b3, bh)
    return c, f, b1, b2, b3, bh


def firewall_limits():
    c, f, b1, b2, b3, bh = _limited_case(
        "firewall_limits", {"vm_max_connections": 5, "vm_max_new_per_second": 20},
        {"default": "deny", "rules": [
            {"src": ["vb1", "vb2"], "proto": "udp", "action": "allow"},
            {"src": "10.0.10.100", "dst": "vb1", "proto": "udp", "dst_port": 7000, "action": "allow"},
            {"proto": "icmp", "icmp_type": 8, "action": "allow"}]}, 13)
    ok, no = f.ok, f.no
    # t = 0 s: vb1 opens five flows (1001 answered: 30 s; the others one-way: 60 s)
    c.at(100_000)
    for p in range(1001, 1006):
        ok(b1, udp4(b1, bh, 40000 + p, p), to=["uplink"])
    ok(bh, udp4(bh, b1, 1001, 41001), to=["vb1"])
    no(b1, udp4(b1, bh, 41006, 1006), "conn_limit")
    no(b1, udp4(b1, bh, 41007, 1007), "conn_limit")
    no(b1, echo(b1, bh, 0x201, 1), "conn_limit")                    # ICMP counts too
    no(b1, tcp4(b1, bh, 41008, 80, "S", 1), "policy_deny")          # the policy comes first
    ok(b1, udp4(b1, bh, 41002, 1002, b"again"), to=["uplink"])      # known flows keep working
    ok(bh, udp4(bh, b1, 1003, 41003), to=["vb1"])                   # 1003 answered: 30 s
    ok(bh, udp4(bh, b1, 41999, 7000), to=["vb1"])                   # from the trunk: not charged
    ok(b1, udp4(b1, bh, 7000, 41999), to=["uplink"])
    for p in range(2001, 2004):                                     # vb2 is not affected
        ok(b2, udp4(b2, bh, 40000 + p, p), to=["uplink"])
        ok(bh, udp4(bh, b2, p, 40000 + p), to=["vb2"])
    ok(b2, echo(b2, bh, 0x202, 1), to=["uplink"])
    ok(bh, echo(bh, b2, 0x202, 1, reply=True), to=["vb2"])
    no(b3, udp4(b3, bh, 43000, 3000), "policy_deny")                # vb3: no rule
    # t = 35 s: 1001 and 1003 (answered, idle 35 s) have expired, the one-way flows have not
    c.at(35 * US)
    ok(b1, udp4(b1, bh, 41006, 1006), to=["uplink"])                # a slot is free again
    ok(b1, udp4(b1, bh, 41007, 1007), to=["uplink"])                # and the second one
    no(b1, udp4(b1, bh, 41009, 1009), "conn_limit")                 # 1002 1004 1005 1006 1007
    no(bh, udp4(bh, b1, 1001, 41001, b"late answer"), "policy_deny")  # expired: a first packet
    ok(bh, udp4(bh, b1, 1004, 41004, b"answer"), to=["vb1"])        # one-way, 35 s: still there
    ok(b2, udp4(b2, bh, 42001, 2001, b"vb2 again"), to=["uplink"])  # vb2's expired: reopened
    # t = 58 s: one-way 1005 (idle 58 s) is still tracked
    c.at(58 * US)
    ok(bh, udp4(bh, b1, 1005, 41005, b"slow answer"), to=["vb1"])
    # t = 70 s: 1002 (one-way, idle 70 s) and 1004 (answered at 35 s) are gone; 1005 (answered
    # at 58 s), 1006 and 1007 (one-way since 35 s) remain: two slots
    c.at(70 * US)
    no(bh, udp4(bh, b1, 1002, 41002, b"too late"), "policy_deny")
    no(bh, udp4(bh, b1, 1004, 41004, b"too late"), "policy_deny")
    ok(bh, udp4(bh, b1, 1006, 41006), to=["vb1"])
    ok(b1, echo(b1, bh, 0x201, 2), to=["uplink"])
    ok(b1, udp4(b1, bh, 41010, 1010), to=["uplink"])
    no(b1, udp4(b1, bh, 41011, 1011), "conn_limit")
    ok(bh, echo(bh, b1, 0x201, 2, reply=True), to=["vb1"])
    _counts(c, {"conn_limit": 5, "policy_deny": 5})
    c.write()


def firewall_rate():
    c, f, b1, b2, b3, bh = _limited_case(
        "firewall_rate", {"vm_max_connections": 0, "vm_max_new_per_second": 20},
        {"default": "allow"}, 14)                                   # a policy: conntrack on
    ok, no = f.ok, f.no
    c.at(100_000)                           # second 0: vb1 opens 20 flows, the 21st is refused
    for i in range(20):
        ok(b1, udp4(b1, bh, 40000 + i, 53), to=["uplink"])
    no(b1, udp4(b1, bh, 40020, 53), "conn_rate")
    no(b1, echo(b1, bh, 0x301, 1), "conn_rate")
    no(b1, tcp4(b1, bh, 40021, 80, "S", 1), "conn_rate")
    ok(b1, udp4(b1, bh, 40005, 53, b"again"), to=["uplink"])        # tracked: no new connection
    ok(bh, udp4(bh, b1, 53, 40006), to=["vb1"])
    for i in range(25):                                             # from the trunk: not charged
        ok(bh, udp4(bh, b1, 50000 + i, 7000), to=["vb1"])
    for i in range(20):                                             # vb2 has its own budget
        ok(b2, udp4(b2, b3, 40000 + i, 9), to=["vb3"])
    no(b2, udp4(b2, b3, 40020, 9), "conn_rate")
    ok(b3, udp4(b3, b2, 9, 40020), to=["vb2"])                      # vb3 -> vb2: vb3's budget
    c.at(1_300_000)                         # second 1: a new budget
    ok(b1, udp4(b1, bh, 40020, 53), to=["uplink"])
    ok(b1, echo(b1, bh, 0x301, 1), to=["uplink"])
    ok(b1, tcp4(b1, bh, 40021, 80, "S", 1), to=["uplink"])
    for i in range(17):
        ok(b1, udp4(b1, bh, 40100 + i, 53), to=["uplink"])
    no(b1, udp4(b1, bh, 40200, 53), "conn_rate")
    ok(b2, udp4(b2, b3, 40020, 9), to=["vb3"])                      # tracked (vb3 opened it)
    c.at(2_500_000)                         # second 2: 0 = no limit on held connections (41)
    ok(b1, udp4(b1, bh, 40200, 53), to=["uplink"])
    ok(bh, udp4(bh, b1, 53, 40200), to=["vb1"])
    _counts(c, {"conn_rate": 5})
    c.write()


# ------------------------------------------------------------------------------ firewall_reject
def firewall_reject():
    """Replies to policy_reject (CONTRACT.md, Reject replies): every kind, on VM ports, tagged
    on a trunk (the rejected frame's PCP), untagged on its native VLAN; and the frames that
    get none."""
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"]), ("green", 30, ["vg1"])],
                         trunks=[{"port": "uplink", "native_vlan": 30}])
    cfg["tenants"][0]["policy"] = {"default": "reject", "rules": [
        {"proto": "tcp", "dst_port": 80, "action": "allow"},
        {"src": "vb1", "proto": "icmp", "icmp_type": 8, "action": "allow"},
        {"proto": "udp", "dst_port": 9, "action": "deny"}]}
    cfg["tenants"][1]["policy"] = {"default": "reject"}
    c = Case("firewall_reject", cfg, 15)
    f = Fw(c)
    ok, no = f.ok, f.no
    b1, b2, b3, g1 = H["vb1"], H["vb2"], H["vb3"], H["vg1"]
    bh = Host(10, 0x64, "uplink")                  # tagged VLAN 10 on the trunk
    gh = Host(30, 0x64, "uplink")                  # native VLAN 30: untagged
    f.announce(b1, b2, b3, bh, g1, gh)
    R = "policy_reject"

    # allowed traffic is untouched; a reply takes its place among the port's other output
    a, b = f.handshake(b1, b2, 40000, 80, 1000, 5000)
    ok(b1, echo(b1, b2, 0x401, 1), to=["vb2"])
    # TCP SYN: RST|ACK, seq 0, ack = seq + 1 (+ payload); the Ethernet padding is not payload
    no(b1, tcp4(b1, b2, 40001, 22, "S", 7000), R, "rst")
    ok(b2, tcp4(b2, b1, 80, 40000, "PA", b, a, b"between"), to=["vb1"])
    no(b2, tcp4(b2, b3, 40002, 23, "S", 2**32 - 2, data=b"fast!"), R, "rst")  # ack wraps to 4
    no(b3, tcp6(b3, b1, 40003, 22, "S", 123456), R, "rst")
    no(bh, tcp4(bh, b1, 50000, 22, "S", 99), R, "rst", pcp=5)     # trunk: VLAN 10, PCP 5 kept
    no(bh, tcp6(bh, b2, 50001, 443, "S", 1, data=b"tfo"), R, "rst", pcp=1)
    # anything else IPv4: ICMP 3/13 quoting the IP header (options included) + 8 bytes
    no(b1, udp4(b1, b2, 40004, 161, b"get"), R, "icmp")
    no(b2, l2(b2.mac, b3.mac, 0x0800, ipv4(b2, b3, 17, udp_h(40005, 162, b"with options"), ihl=7,
                                           opts=b"\x01\x01\x01\x01\x01\x01\x01\x00")), R, "icmp")
    no(b3, pad(l2(b3.mac, b1.mac, 0x0800, ipv4(b3, b1, 47, b"gre!"))), R, "icmp")  # quotes 4 B
    no(b2, echo(b2, b1, 0x402, 1), R, "icmp")                      # echo request, not from vb1
    no(b3, echo(b3, b1, 0x403, 1, reply=True), R, "icmp")          # unsolicited echo reply
    no(bh, udp4(bh, b3, 50002, 69, b"tftp"), R, "icmp", pcp=7)
    # anything else IPv6: ICMPv6 1/1 quoting the packet as declared, at most 1232 bytes
    no(b1, udp6(b1, b2, 40006, 161, b"get6") + b"trailing junk", R, "icmp6")
    no(b2, echo6(b2, b3, 0x404, 1), R, "icmp6")
    no(b3, l2(b3.mac, b2.mac, 0x86DD, ipv6(b3, b2, 0, ext_h(17, 0) + udp_h(40007, 5353, b"hbh"))),
       R, "icmp6")                                                 # behind a hop-by-hop header
    no(bh, udp6(bh, b1, 50003, 514, bytes(range(256)) * 5 + bytes(20)), R, "icmp6", pcp=3)
    # no reply: multicast/broadcast destination, non-first fragment, ICMP errors, ICMPv6 >= 128
    # other than an echo request
    no(b1, udp4(b1, BCAST_HOST(10), 40008, 161, b"bcast"), R)       # ff:..:ff, 10.0.10.255
    no(b2, bytes(Ether(src=b2.mac, dst="33:33:00:01:00:02") / IPv6(src=b2.ip6, dst="ff02::1:2") /
                 UDP(sport=40009, dport=161) / Raw(b"mcast")), R)
    no(b1, l2(b1.mac, b2.mac, 0x0800, ipv4(b1, b2, 17, b"tail of a datagram", frag=100)), R)
    no(b2, l2(b2.mac, b3.mac, 0x86DD, ipv6(b2, b3, 44, struct.pack("!BBHI", 17, 0, 100 << 3, 7) +
                                             b"tail of a v6 datagram")), R)
    no(b3, icmp_error(b3, b1, udp4(b1, b3, 40010, 53)), R)         # unrelated: rejected, silent
    no(bh, icmp_error(bh, b2, udp4(b2, bh, 40011, 53), 11, 0), R, pcp=2)
    no(b1, icmp_error(b1, b2, udp4(b2, b1, 40012, 53), 4, 0), R)   # source quench
    no(b2, icmp6_error(b2, b3, udp6(b3, b2, 40013, 53)), R)
    no(b3, echo6(b3, b1, 0x405, 1, reply=True), R)                 # 129
    no(b1, bytes(Ether(src=b1.mac, dst=b2.mac) / IPv6(src=b1.ip6, dst=b2.ip6, hlim=255) /
                 ICMPv6ND_NS(tgt=b2.ip6)), R)                      # unicast NS (135)
    no(b2, udp4(b2, b3, 40014, 9, b"denied"), "policy_deny")       # deny: never answered
    no(b1, tcp4(b1, b2, 40015, 22, "R", 1), "tcp_no_connection")   # a RST never reaches the policy

    # green (native VLAN of the trunk): untagged replies on the trunk, even to a priority tag
    no(gh, udp4(gh, g1, 50004, 161, b"native"), R, "icmp")
    f.raw_no("uplink", tag(tcp4(gh, g1, 50005, 22, "S", 42), 0, 6), R, "rst")
    f.raw_no("vg1", tag(udp6(g1, gh, 40016, 161, b"prio-tagged"), 0, 3), R, "icmp6")
    # a rejected frame teaches nothing: a host whose only frames were rejected stays unknown
    bh2 = Host(10, 0x65, "uplink")
    no(bh2, udp4(bh2, b1, 50006, 161, b"first"), R, "icmp")
    ok(b1, tcp4(b1, bh2, 40017, 80, "S", 1), to=["vb2", "vb3", "uplink"])  # floods
    _counts(c, {"policy_reject": 29, "policy_deny": 1, "tcp_no_connection": 1})
    c.write()
