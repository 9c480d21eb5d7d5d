"""Traffic for the monitor cases (`mon_*`): a schedule of frames in capture time and the normal
workload between VMs and hosts behind the trunk (TCP connections with handshake and close, DNS
over UDP, pings), a few exchanges a second with variation, and an optional diurnal factor.

Frames are built eagerly (bytes) and sent in time order by Schedule.run(); two frames never
share a timestamp (a later one is moved by 1 µs).
"""
import math

from cases_firewall import echo, echo6, tcp4, udp4
from cases_monitor import S
from frames import Host, arp_request


class Schedule:
    def __init__(self, case):
        self.case, self.items = case, []

    def add(self, t_s, host, frame, expect=None):
        """host sends frame at t_s s (expect: the drop reason the switch model must find)."""
        self.items.append((int(round(t_s * S)), len(self.items), host, frame, expect))

    def run(self):
        last = -1
        for t, _, host, frame, expect in sorted(self.items, key=lambda x: (x[0], x[1])):
            t = max(t, last + 1)
            self.case.at(t)
            self.case.sendh(host, frame, expect=expect)
            last = t
        self.items = []


def ext(gw, ip4):
    """A host outside the tenant's subnet, reached through the router `gw` behind the trunk:
    frames to it carry gw's MAC; frames from it come from gw's MAC."""
    h = Host(gw.vlan, gw.n, gw.port)
    h.ip4 = ip4
    return h


# ------------------------------------------------------------------ exchanges
def tcp_conn(sch, t, c, s, sport, dport, rng, req=b"GET / HTTP/1.1\r\n\r\n", rsp=b"HTTP/1.1 200 OK\r\n\r\n"):
    """A complete TCP connection from c to s: handshake, a request and its answer, close."""
    a, b = rng.randrange(1 << 32), rng.randrange(1 << 32)
    d = rng.uniform(0.001, 0.01)
    steps = [(c, s, "S", a, 0, b""), (s, c, "SA", b, a + 1, b""), (c, s, "A", a + 1, b + 1, b""),
             (c, s, "PA", a + 1, b + 1, req), (s, c, "PA", b + 1, a + 1 + len(req), rsp),
             (c, s, "FA", a + 1 + len(req), b + 1 + len(rsp), b""),
             (s, c, "FA", b + 1 + len(rsp), a + 2 + len(req), b""),
             (c, s, "A", a + 2 + len(req), b + 2 + len(rsp), b"")]
    for i, (x, y, flags, seq, ack, data) in enumerate(steps):
        sp, dp = (sport, dport) if x is c else (dport, sport)
        sch.add(t + i * d, x, tcp4(x, y, sp, dp, flags, seq, ack, data))


def dns(sch, t, c, resolver, rng, name=b"www.example.com"):
    """A DNS A query (wire format) and its one-address answer."""
    qid, sp = rng.randrange(1 << 16), rng.randrange(30000, 60000)
    qname = b"".join(bytes([len(x)]) + x for x in name.split(b".")) + b"\0"
    question = qname + b"\x00\x01\x00\x01"
    q = qid.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + question
    answer = (qid.to_bytes(2, "big") + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question +
              b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04" + bytes([203, 0, 113, 80]))
    sch.add(t, c, udp4(c, resolver, sp, 53, q))
    sch.add(t + rng.uniform(0.001, 0.02), resolver, udp4(resolver, c, 53, sp, answer))


def ping(sch, t, c, s, rng):
    ident, seq = rng.randrange(1 << 16), rng.randrange(1 << 16)
    sch.add(t, c, echo(c, s, ident, seq))
    sch.add(t + rng.uniform(0.0002, 0.002), s, echo(s, c, ident, seq, reply=True))


def exchange(sch, t, kind, a, b, dport, rng):
    """One exchange started by a toward b: "tcp" (to dport), "dns" or "ping"."""
    if kind == "tcp":
        tcp_conn(sch, t, a, b, rng.randrange(32768, 61000), dport, rng)
    elif kind == "dns":
        dns(sch, t, a, b, rng)
    elif kind == "ping6":
        ident, seq = rng.randrange(1 << 16), rng.randrange(1 << 16)
        sch.add(t, a, echo6(a, b, ident, seq))
        sch.add(t + rng.uniform(0.0002, 0.002), b, echo6(b, a, ident, seq, reply=True))
    else:
        ping(sch, t, a, b, rng)


def workload(sch, rng, flows, start, end, pause=(), factor=None):
    """Normal traffic from `start` to `end` s. flows: [(initiator, peer, kind, dport, per_s)]
    (initiator or peer may be a list: one is picked for each exchange); each second, each flow
    starts about per_s exchanges (x factor(t) if given, +-40 %), at random times, none inside a
    `pause` window [(port, from, to)] of either end's port."""
    for k in range(int(start), int(end)):
        for a, b, kind, dport, per_s in flows:
            rate = per_s * (factor(k) if factor else 1)
            n = int(rate * rng.uniform(0.6, 1.4) + rng.random())
            for _ in range(n):
                x = rng.choice(a) if isinstance(a, list) else a
                y = rng.choice(b) if isinstance(b, list) else b
                t = k + rng.uniform(0.01, 0.85)
                if any(p in (x.port, y.port) and lo <= t < hi for p, lo, hi in pause):
                    continue
                exchange(sch, t, kind, x, y, dport, rng)


def diurnal(period_s, depth=0.5):
    """A compressed day: 1 - depth at t = 0 (night), 1 + depth at period/2 (noon)."""
    return lambda t: 1 - depth * math.cos(2 * math.pi * t / period_s)


# ------------------------------------------------------------------ a case's start
def learn_all(sch, hosts, t0=0.0):
    """Every host announces itself (gratuitous ARP) from t0 on, 5 ms apart."""
    for i, h in enumerate(hosts):
        sch.add(t0 + i * 0.005, h, arp_request(h, h.ip4))
