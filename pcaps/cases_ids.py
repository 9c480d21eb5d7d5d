"""Shared pieces of the IDS golden cases (`ids_http`, `ids_stream`, `ids_dns_tls`, `ids_actions`;
CONTRACT.md, IDS): the case class, the rule book, a TCP connection helper.

The IDS is not modelled. Like the firewall cases, every frame states its IDS outcome by
construction: the sids it must raise (`alerts=`, reasoned in the case's comments from the rules
and the contract) and, for drop/reject, the drop reason (`ids=`); the switch model
(switch_model.py) still decides everything else and checks that an IDS-dropped frame would
have reached the bridge. The expected alerts go to expected/alerts.json, the rules and a
classification.config to rules/ in the case.

Self-check: every positive `content` of a rule must be present in what the alerting frame's
flow direction has carried so far (TCP: reassembled by sequence number, first copy wins), so a
typo in a rule or in the traffic cannot hide behind an annotation.
"""
import copy
import ipaddress
import json
import os
import re
import shutil
import struct
import urllib.parse

from caselib import HERE, STEP_US, T0, Case
from cases_firewall import reject_reply, tcp4, tcp6
from frames import tag
from switch_model import DROP_REASONS, Config, ModelError, Switch, classify

IDS_REASONS = ("ids_drop", "ids_reject")
EVE_ACTION = {"alert": "allowed", "drop": "blocked", "reject": "blocked"}


class IdsSwitch(Switch):
    """The switch model plus the frames the IDS drops (annotated, not modelled)."""

    def __init__(self, cfg, rules_loaded):
        super().__init__(cfg)
        self.rules_loaded = rules_loaded

    def process(self, port, frame, expect=None, to=None, now_us=None, fw=None, ids=None):
        if ids is None:
            return super().process(port, frame, expect, to, now_us, fw)
        if ids not in IDS_REASONS or expect is not None:
            raise ModelError("frame %d: IDS outcome %r with expect %r" % (self.n, ids, expect))
        # The IDS sees only frames the switch accepts: on a copy, the frame must be forwarded.
        Switch.process(copy.deepcopy(self), port, frame, None, to, now_us, fw)
        info = classify(self.cfg, port, frame)[1]
        # Dropped before the bridge, it teaches nothing: use sources already learned there, so
        # the expected outputs hold whether or not an implementation learns from it.
        if self.learned(info["tenant"], info["src"], now_us) != port:
            raise ModelError("frame %d: IDS drop from a source not learned on %s" % (self.n, port))
        self.n += 1
        self.now_ms = now_us // 1000
        self.rx[port] += 1
        self.drops[ids] += 1
        return ids

    def counters(self):
        c = super().counters()
        at = DROP_REASONS.index("same_port")          # as in dataplane/drop_reason.h
        order = DROP_REASONS[:at] + list(IDS_REASONS) + DROP_REASONS[at:]
        c["drops"] = {r: self.drops[r] for r in order if self.drops[r]}
        c["ids"] = {"rules_loaded": self.rules_loaded, "eve_lost": 0}
        return c


def _unescape(s):
    """Bytes of a content string: |hex| blocks and \\ escapes decoded."""
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "|":
            j = s.index("|", i + 1)
            out += bytes.fromhex(s[i + 1:j])
            i = j + 1
        elif s[i] == "\\":
            out += s[i + 1].encode()
            i += 2
        else:
            out += s[i].encode()
            i += 1
    return bytes(out)


class RuleBook:
    """The rule files of a case ({file name: [lines]}) and its classification.config lines;
    what an alert of each sid must say."""

    def __init__(self, files, classification):
        self.files, self.classification = files, classification
        classes = {}
        for line in classification:
            m = re.match(r"config classification:\s*([^,]+),([^,]+),\s*(\d+)", line)
            if m:
                classes[m.group(1).strip()] = (m.group(2).strip(), int(m.group(3)))
        self.rules = {}
        for lines in files.values():
            for line in lines:
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                sid = int(re.search(r"\bsid:\s*(\d+)", line).group(1))
                if sid in self.rules:
                    raise ModelError("sid %d twice" % sid)
                ct = re.search(r"\bclasstype:\s*([\w-]+)", line).group(1)
                prio = re.search(r"\bpriority:\s*(\d+)", line)
                self.rules[sid] = {
                    "action": line.split()[0],
                    "msg": re.search(r'\bmsg:\s*"((?:[^"\\]|\\.)*)"', line).group(1),
                    "rev": int(re.search(r"\brev:\s*(\d+)", line).group(1)),
                    "category": classes[ct][0],
                    "severity": int(prio.group(1)) if prio else classes[ct][1],
                    "noalert": "flowbits:noalert" in line.replace(" ", ""),
                    "contents": [_unescape(m.group(1)) for m in
                                 re.finditer(r'\bcontent:\s*"((?:[^"\\]|\\.)*)"', line)],
                }
        self.loaded = len(self.rules)

    def rule(self, sid):
        r = self.rules[sid]
        if r["action"] == "pass" or r["noalert"]:
            raise ModelError("sid %d never alerts (pass or noalert)" % sid)
        return r

    def write(self, case_dir):
        d = os.path.join(case_dir, "rules")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, lines in list(self.files.items()) + [("classification.config", self.classification)]:
            with open(os.path.join(d, name), "w") as f:
                f.write("\n".join(lines) + "\n")


def ids_config(cfg, files, vars_=None):
    """The `ids:` section of a case config (CONTRACT.md, IDS)."""
    cfg["ids"] = {"rules": ["rules/" + n for n in files],
                  "classification": "rules/classification.config"}
    if vars_:
        cfg["ids"]["vars"] = vars_
    cfg["ids"]["eve"] = "out/eve.json"


def packet_fields(frame):
    """(src_ip, src_port, dest_ip, dest_port, proto, flags, seq, payload) of an IPv4/IPv6 frame
    (an 802.1Q tag skipped; no IPv6 extension headers in these cases), payload bounded by the
    IP length (Ethernet padding excluded); None for other frames."""
    off = 18 if frame[12:14] == b"\x81\x00" else 14
    etype, p = struct.unpack("!H", frame[off - 2:off])[0], frame[off:]
    if etype == 0x0800:
        hl, end, proto = (p[0] & 15) * 4, struct.unpack("!H", p[2:4])[0], p[9]
        src, dst = str(ipaddress.ip_address(p[12:16])), str(ipaddress.ip_address(p[16:20]))
    elif etype == 0x86DD:
        hl, end, proto = 40, 40 + struct.unpack("!H", p[4:6])[0], p[6]
        src, dst = str(ipaddress.ip_address(p[8:24])), str(ipaddress.ip_address(p[24:40]))
    else:
        return None
    l4 = p[hl:end]
    if proto == 6:
        sport, dport, seq, _, doff, flags = struct.unpack("!HHIIBB", l4[:14])
        return src, sport, dst, dport, "TCP", flags, seq, l4[(doff >> 4) * 4:]
    if proto == 17:
        sport, dport = struct.unpack("!HH", l4[:4])
        return src, sport, dst, dport, "UDP", 0, 0, l4[8:]
    return src, None, dst, None, "ICMP" if proto == 1 else "IPv6-ICMP", 0, 0, l4[8:]


class IdsCase(Case):
    """A Case whose frames also carry their IDS outcome (alerts=[sids], ids=drop reason)."""

    def __init__(self, name, cfg, seed, book):
        super().__init__(name, cfg, seed)
        self.book = book
        self.model = IdsSwitch(Config(cfg), book.loaded)
        self.alerts = []
        self.isn, self.stream = {}, {}        # per TCP direction: base seq, {offset: byte}

    def send(self, port, frame, expect=None, to=None, fw=None, ids=None, alerts=(), reply=None):
        t, idx = self.next_us, len(self.events)
        self.model.process(port, frame, expect, to, T0 * 1_000_000 + t, fw, ids)
        self.events.append((port, frame, t))
        self.next_us = t + STEP_US
        seen = self._track(frame) if expect is None else b""     # what the IDS has seen
        tenant = classify(self.model.cfg, port, frame)[1]["tenant"]
        for sid in alerts:
            self._alert(sid, frame, port, idx, tenant, seen)
        if ids == "ids_reject" and reply is not None:
            kind, rep = reject_reply(self.model.cfg, port, frame)
            if kind != reply:
                raise ModelError("frame %d: reject reply %s, intended %s" % (idx, kind, reply))
            self.model.out[port].append((rep, idx))
        elif reply is not None:
            raise ModelError("frame %d: a reply without ids_reject" % idx)

    def sendh(self, h, frame, pcp=0, expect=None, to=None, fw=None, ids=None, alerts=(), reply=None):
        tr = self.model.cfg.trunks.get(h.port)
        if tr and tr[0] != h.vlan:
            frame = tag(frame, h.vlan, pcp)
        self.send(h.port, frame, expect, to, fw, ids, alerts, reply)

    def _track(self, frame):
        """What this frame's flow direction has carried so far (the self-check's haystack)."""
        f = packet_fields(frame)
        if f is None:
            return b""
        src, sport, dst, dport, proto, flags, seq, data = f
        if proto != "TCP":
            return data
        key = (src, sport, dst, dport)
        if flags & 0x02:
            self.isn[key], self.stream[key] = (seq + 1) % 2**32, {}
        if key not in self.isn:
            raise ModelError("TCP data before the SYN of %s" % (key,))
        base, got = (seq - self.isn[key]) % 2**32, self.stream[key]
        for i, b in enumerate(data):
            got.setdefault(base + i, b)        # overlaps: the first copy wins
        n = 0
        while n in got:
            n += 1
        return bytes(got[i] for i in range(n))

    def _alert(self, sid, frame, port, idx, tenant, seen):
        r = self.book.rule(sid)
        hay = [seen.lower(), urllib.parse.unquote_to_bytes(seen).lower(),
               bytes(b if b >= 0x20 else 0x2E for b in seen).lower()]   # DNS labels as dots
        for c in r["contents"]:
            if not any(c.lower() in h for h in hay):
                raise ModelError("frame %d: sid %d alerts, but %r is not in its flow" % (idx, sid, c))
        src, sport, dst, dport, proto = packet_fields(frame)[:5]
        self.alerts.append({
            "sid": sid, "src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport,
            "proto": proto, "action": EVE_ACTION[r["action"]], "in_iface": port,
            "signature": r["msg"], "category": r["category"], "severity": r["severity"],
            "gid": 1, "rev": r["rev"], "tenant": tenant, "frame": idx})

    def write(self):
        super().write()
        d = os.path.join(HERE, self.name)
        self.book.write(d)
        with open(os.path.join(d, "expected", "alerts.json"), "w") as f:
            f.write("[\n" + ",\n".join(json.dumps(a) for a in self.alerts) + "\n]\n")
        print("%-13s %5d alerts, %d rules" % ("", len(self.alerts), self.book.loaded))


class Tcp:
    """One TCP connection from client `c` to server `s` (Hosts), sequence numbers kept.
    Offsets (`at=`) are stream offsets from the direction's first data byte."""

    def __init__(self, case, c, s, sport, dport, isn_c=1000, isn_s=50000, v6=False):
        self.case, self.v6 = case, v6
        self.h, self.port = {"c": c, "s": s}, {"c": sport, "s": dport}
        self.isn = {"c": isn_c % 2**32, "s": isn_s % 2**32}
        self.nxt = {"c": 0, "s": 0}          # next stream offset per side

    def seq(self, side, at):
        return (self.isn[side] + 1 + at) % 2**32

    def seg(self, side, data=b"", flags="PA", at=None, ack=None, **kw):
        """Send one segment from side "c" or "s"; ack defaults to all the other side sent."""
        o = "s" if side == "c" else "c"
        at = self.nxt[side] if at is None else at
        if ack is None:
            ack = self.seq(o, self.nxt[o]) if "A" in flags else 0
        seq = self.isn[side] if "S" in flags else self.seq(side, at)
        build = tcp6 if self.v6 else tcp4
        f = build(self.h[side], self.h[o], self.port[side], self.port[o], flags, seq, ack, data)
        if "S" not in flags:
            self.nxt[side] = max(self.nxt[side], at + len(data) + ("F" in flags))
        self.case.sendh(self.h[side], f, **kw)

    def open(self, **kw):
        self.seg("c", flags="S", **kw)
        self.seg("s", flags="SA")
        self.seg("c", flags="A")
        return self

    def close(self, **kw):
        self.seg("c", flags="FA", **kw)
        self.seg("s", flags="FA", **kw)
        self.seg("c", flags="A", **kw)
