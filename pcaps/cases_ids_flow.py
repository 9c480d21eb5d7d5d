"""Cases `ids_stream` (TCP reassembly: split, out-of-order, overlapping and missing segments)
and `ids_dns_tls` (DNS queries, TLS SNI, bypass of TLS and SSH flows) (CONTRACT.md, IDS).

Alerts are stated by construction (cases_ids.py); comments say why the others stay silent.
Neither case sets `ids.vars`: $HOME_NET is Suricata's default (10.0.0.0/8 among others).
"""
import struct

from scapy.all import DNS, DNSQR, DNSRR

from caselib import make_config
from cases_firewall import udp4
from cases_ids import IdsCase, RuleBook, Tcp, ids_config
from frames import Host, arp_request

CLASSIFICATION = [
    "# classtypes of the rules (lines as in ET Open's classification.config)",
    "config classification: misc-activity,Misc activity,3",
    "config classification: policy-violation,Potential Corporate Privacy Violation,1",
    "config classification: trojan-activity,A Network Trojan was detected, 1",
    "config classification: bad-unknown,Potentially Bad Traffic, 2",
]


def _rule(proto, msg, opts, sid, src="any"):
    return ('alert %s %s any -> any any (msg:"VIGIL %s"; %s classtype:misc-activity; sid:%d; rev:1;)'
            % (proto, src, msg, opts, sid))


STREAM_RULES = {"stream.rules": [
    "# ids_stream: TCP payload reassembled per direction (pcaps/CONTRACT.md, IDS)",
    _rule("tcp", "stream marker split across two segments", 'flow:established,to_server; '
          'content:"VIGIL-TWO-SEGMENTS";', 1000101, "$HOME_NET"),
    _rule("tcp", "stream marker split across three segments", 'flow:established,to_server; '
          'content:"VIGIL-THREE-SEGMENT-MARKER";', 1000102),
    _rule("tcp", "stream marker delivered out of order", 'flow:established,to_server; '
          'content:"VIGIL-OUT-OF-ORDER-MARKER";', 1000103),
    _rule("tcp", "stream overlap, retransmitted bytes must lose", 'flow:established,to_server; '
          'content:"OVERLAP-EVIL";', 1000104),
    _rule("tcp", "stream overlap, first bytes then the new tail", 'flow:established,to_server; '
          'content:"OVERLAP-GOOD+tail";', 1000105),
    _rule("tcp", "stream marker across a hole never filled", 'flow:established,to_server; '
          'content:"VIGIL-HOLE-MARKER";', 1000106),
    _rule("tcp", "stream marker from the client only", 'flow:established,to_server; '
          'content:"VIGIL-CLIENT-ONLY";', 1000107),
    _rule("tcp", "stream marker split over IPv6", 'flow:established,to_server; '
          'content:"VIGIL-IPV6-SPLIT";', 1000108),
]}


def ids_stream():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2"])], trunks=[{"port": "uplink"}])
    ids_config(cfg, STREAM_RULES)
    c = IdsCase("ids_stream", cfg, 22, RuleBook(STREAM_RULES, CLASSIFICATION))
    cl, srv, th = H["vb1"], H["vb2"], Host(10, 0x64, "uplink")
    for h in (cl, srv, th):
        c.sendh(h, arp_request(h, h.ip4))

    # two segments; the marker again later and from the server: once per direction, to_server
    t = Tcp(c, cl, srv, 42001, 9001, 1000, 60000).open()
    t.seg("c", b"login ok\nVIGIL-TWO-")
    t.seg("c", b"SEGMENTS\n", alerts=[1000101])
    t.seg("s", flags="A")
    t.seg("c", b"again VIGIL-TWO-SEGMENTS\n")
    t.seg("s", b"echo VIGIL-TWO-SEGMENTS\n")
    t.close()
    # three segments, the middle one inside the marker; the sequence numbers wrap past 2^32
    t = Tcp(c, cl, srv, 42002, 9002, 2**32 - 10, 61000).open()
    t.seg("c", b"xxxxVIGIL-THR")
    t.seg("c", b"EE-SEG")
    t.seg("c", b"MENT-MARKER yyy\n", alerts=[1000102])
    t.close()
    # out of order: 1, 3, (duplicate ACK), 2 - the alert comes with the segment filling the gap
    p1, p2, p3 = b"data: VIGIL-OUT", b"-OF-ORD", b"ER-MARKER end\n"
    t = Tcp(c, cl, srv, 42003, 9003, 3000, 62000).open()
    t.seg("c", p1, at=0)
    t.seg("c", p3, at=len(p1) + len(p2))
    t.seg("s", flags="A", ack=t.seq("c", len(p1)))
    t.seg("c", p2, at=len(p1), alerts=[1000103])
    t.close()
    # the first data segment arrives after the second
    q1, q2 = b"VIGIL-OUT-OF", b"-ORDER-MARKER\n"
    t = Tcp(c, cl, srv, 42004, 9003, 4000, 63000).open()
    t.seg("c", q2, at=len(q1))
    t.seg("c", q1, at=0, alerts=[1000103])
    t.close()
    # overlaps: an exact retransmission, then one rewriting 13 old bytes and adding a tail; the
    # first copy of each byte wins, so OVERLAP-EVIL never exists and OVERLAP-GOOD+tail does
    s1 = b"hdr:OVERLAP-GOOD+"
    t = Tcp(c, cl, srv, 42005, 9004, 5000, 64000).open()
    t.seg("c", s1, at=0)
    t.seg("c", s1, at=0)
    t.seg("c", b"OVERLAP-EVIL+tail\n", at=4, alerts=[1000105])
    t.close()
    # a hole never filled: naive concatenation of the segments would spell the marker
    h1, h3 = b"begin VIGIL-HO", b"LE-MARKER end\n"
    t = Tcp(c, cl, srv, 42006, 9005, 6000, 65000).open()
    t.seg("c", h1, at=0)
    t.seg("c", h3, at=len(h1) + 5)
    t.seg("s", b"waiting\n", ack=t.seq("c", len(h1)))
    # to_server is the side that sent the SYN: the server's copy, or a VM acting as server, miss
    t = Tcp(c, cl, srv, 42007, 9006, 7000, 66000).open()
    t.seg("c", b"hello\n")
    t.seg("s", b"VIGIL-CLIENT-ONLY\n")
    t.close()
    t = Tcp(c, th, cl, 42008, 9006, 8000, 67000).open()       # the trunk host opens to vb1
    t.seg("s", b"VIGIL-CLIENT-ONLY from vb1\n")
    t.seg("c", b"VIGIL-CLIENT-ONLY from the trunk\n", alerts=[1000107])
    t.close()
    # IPv6, split in two
    t = Tcp(c, cl, srv, 42009, 9007, 9000, 68000, v6=True).open()
    t.seg("c", b"v6: VIGIL-IPV6")
    t.seg("c", b"-SPLIT\n", alerts=[1000108])
    t.close()
    c.write()


DNS_TLS_RULES = {"dns_tls.rules": [
    "# ids_dns_tls: DNS and TLS buffers, bypass of encrypted flows (pcaps/CONTRACT.md, IDS)",
    'alert dns $HOME_NET any -> any 53 (msg:"VIGIL dns.query exactly malware.test"; dns.query; '
    'content:"malware.test"; bsize:12; classtype:trojan-activity; sid:1000201; rev:1;)',
    'alert dns any any -> any any (msg:"VIGIL dns.query contains tracker, nocase"; dns.query; '
    'content:"tracker"; nocase; classtype:policy-violation; sid:1000202; rev:1;)',
    'alert tls any any -> any any (msg:"VIGIL tls.sni bad.example.org"; flow:established,to_server; '
    'tls.sni; content:"bad.example.org"; bsize:15; classtype:bad-unknown; sid:1000203; rev:1;)',
    'alert tcp any any -> any any (msg:"VIGIL tcp exfil marker, silent in bypassed flows"; '
    'flow:established; content:"VIGIL-EXFIL-MARKER"; classtype:policy-violation; sid:1000204; rev:1;)',
]}


def dns_query(name, qid, response=False):
    d = DNS(id=qid, rd=1, qd=DNSQR(qname=name))
    if response:
        d = DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name),
                an=DNSRR(rrname=name, type="A", ttl=60, rdata="192.0.2.7"))
    return bytes(d)


def tls_record(ctype, body, version=0x0303):
    return struct.pack("!BHH", ctype, version, len(body)) + body


def handshake(htype, body):
    return bytes([htype]) + len(body).to_bytes(3, "big") + body


def client_hello(sni, rnd):
    name = sni.encode()
    exts = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    exts += struct.pack("!HHHH", 0x000A, 4, 2, 0x001D)               # supported groups: x25519
    body = (struct.pack("!H", 0x0303) + rnd + b"\x00" + struct.pack("!HHH", 4, 0xC02F, 0x1301) +
            b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    return tls_record(22, handshake(1, body), 0x0301)


def server_flight(rnd):
    """ServerHello, an (empty) Certificate and ServerHelloDone in one record."""
    hello = handshake(2, struct.pack("!H", 0x0303) + rnd + b"\x00" + struct.pack("!HBH", 0xC02F, 0, 0))
    return tls_record(22, hello + handshake(11, bytes(3)) + handshake(14, b""))


def ssh_packet(payload):
    """An SSH binary packet (RFC 4253, 6): length, padding length, payload, 4 bytes of padding."""
    return struct.pack("!IB", 1 + len(payload) + 4, 4) + payload + bytes(4)


def ids_dns_tls():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    ids_config(cfg, DNS_TLS_RULES)
    c = IdsCase("ids_dns_tls", cfg, 23, RuleBook(DNS_TLS_RULES, CLASSIFICATION))
    cl, srv, c3 = H["vb1"], H["vb2"], H["vb3"]
    dns = Host(10, 0x35, "uplink")                                 # resolver behind the trunk
    for h in (cl, srv, c3, dns):
        c.sendh(h, arp_request(h, h.ip4))
    rnd = lambda n: bytes(c.rng.randrange(256) for _ in range(n))  # noqa: E731
    M = b"VIGIL-EXFIL-MARKER"

    # DNS over UDP: exact (bsize) and contains (nocase); dns.query is the query's name only
    c.sendh(cl, udp4(cl, dns, 53001, 53, dns_query("malware.test", 1)), alerts=[1000201])
    c.sendh(dns, udp4(dns, cl, 53, 53001, dns_query("malware.test", 1, True)))
    c.sendh(cl, udp4(cl, dns, 53002, 53, dns_query("www.malware.test", 2)))        # longer
    c.sendh(cl, udp4(cl, dns, 53003, 53, dns_query("malware.test.example.org", 3)))
    c.sendh(cl, udp4(cl, dns, 53004, 53, dns_query("Malware.Test", 4)))           # case kept
    c.sendh(c3, udp4(c3, dns, 53005, 53, dns_query("ads.TRACKER.example.net", 5)), alerts=[1000202])
    c.sendh(dns, udp4(dns, c3, 53, 53005, dns_query("ads.TRACKER.example.net", 5, True)))
    c.sendh(c3, udp4(c3, dns, 53006, 53, dns_query("track.example.net", 6)))
    c.sendh(c3, udp4(c3, dns, 53007, 5300, dns_query("tracker.example.net", 7)))  # not port 53
    # DNS over TCP (two-byte length prefix)
    t = Tcp(c, cl, dns, 53010, 53, 1000, 70000).open()
    q = dns_query("malware.test", 8)
    t.seg("c", struct.pack("!H", len(q)) + q, alerts=[1000201])
    r = dns_query("malware.test", 8, True)
    t.seg("s", struct.pack("!H", len(r)) + r)
    t.close()

    # TLS: the SNI alerts; once application data (type 23) is seen the flow is bypassed, so
    # the marker inside later records of both directions raises nothing
    t = Tcp(c, cl, srv, 44301, 443, 2000, 71000).open()
    t.seg("c", client_hello("bad.example.org", rnd(32)), alerts=[1000203])
    t.seg("s", server_flight(rnd(32)))
    t.seg("c", tls_record(22, handshake(16, b"\x20" + rnd(32))) + tls_record(20, b"\x01") +
          tls_record(22, rnd(40)))
    t.seg("s", tls_record(20, b"\x01") + tls_record(22, rnd(40)))
    t.seg("c", tls_record(23, rnd(64)))
    t.seg("s", tls_record(23, rnd(20) + M + rnd(20)))
    t.seg("c", tls_record(23, M + rnd(30)))
    t.close()
    # an SNI that contains the name but is longer (bsize)
    t = Tcp(c, c3, srv, 44302, 443, 3000, 72000).open()
    t.seg("c", client_hello("notbad.example.org", rnd(32)))
    t.seg("s", server_flight(rnd(32)))
    t.close()
    # SSH: after both banners the flow is bypassed
    t = Tcp(c, cl, srv, 42201, 22, 4000, 73000).open()
    t.seg("s", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n")
    t.seg("c", b"SSH-2.0-OpenSSH_9.2p1\r\n")
    t.seg("c", ssh_packet(b"\x14" + rnd(16) + M + rnd(20)))           # KEXINIT-like
    t.seg("s", ssh_packet(b"\x14" + rnd(16) + M + rnd(20)))
    t.close()
    # positive controls: the marker in plain TCP, once per direction; on ports 443 and 22
    # without TLS or SSH it is inspected too (bypass follows the content, not the port)
    t = Tcp(c, cl, srv, 42301, 9000, 5000, 74000).open()
    t.seg("c", b"upload secrets.txt\n" + M + b"\n", alerts=[1000204])
    t.seg("s", b"stored: " + M + b"\n", alerts=[1000204])
    t.seg("c", b"again " + M + b"\n")
    t.close()
    t = Tcp(c, c3, srv, 44303, 443, 6000, 75000).open()
    t.seg("c", b"plain text on 443: " + M + b"\n", alerts=[1000204])
    t.close()
    t = Tcp(c, c3, srv, 42202, 22, 7000, 76000).open()
    t.seg("c", b"no banner here: " + M + b"\n", alerts=[1000204])
    t.close()
    c.write()
