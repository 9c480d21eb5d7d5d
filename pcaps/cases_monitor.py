"""Shared parts of the monitor cases (`mon_*`; CONTRACT.md, Monitors): the case class, the
monitors' limits as the generator sees them, the expected events, and a self-check of the
level-1 figures the traffic produces.

The monitors are not modelled. Each case states:
  * which VM is limited, how (rate limit or quarantine) and when it can be (`Limit`): a frame
    of a limited VM that would reach the response stage (after port security) is then exact
    (before the attack, after the release), optional ("may": the monitors may drop it; its copies
    are listed in expected/monitor_frames.json, the ports that get them in counters.json's
    "loose_ports") or certainly dropped (quarantine well inside its window: counted in
    counters.json's "monitor_drops" lower bound and absent from the expected outputs);
  * the events expected (expected/monitor_events.json), with windows of capture time;
  * where each VM is anomalous (`anomalous()`): the generator computes the level-1 figures of
    CONTRACT.md from the frames (every VM, every 1-s interval, no limits applied) and insists
    that inside those windows the figures named loud are at least 1.5 times their floor and
    that every figure not named (everywhere else: all of them) stays at or under 0.8 times its
    floor (no spoofed or host-access frame at all), so a case cannot escalate a VM, or give it
    a detection, that its narrative does not name.
The switch model (switch_model.py) still decides every output frame and every other drop.
"""
import ipaddress
import json
import os
import struct
from collections import Counter, defaultdict

from caselib import HERE, STEP_US, T0, Case
from switch_model import SECURITY_REASONS, Config, ModelError, Switch, classify, security_reason

S = 1_000_000                              # µs per second
MON_REASONS = ("monitor_quarantine", "monitor_rate_limit", "monitor_conn_limit")
FLOORS = {"out_pps": 200, "out_syn_per_s": 20, "failed_per_s": 10, "distinct_dst_ips": 20,
          "distinct_dst_ports": 20, "distinct_inner_dsts": 5, "in_pps": 500, "in_syn_per_s": 50,
          "distinct_src_ips": 50, "host_access": 1, "spoofed": 1}
QUIET, LOUD = 0.8, 1.5                     # self-check: ceiling outside windows, minimum inside


def monitor_config(cfg, **settings):
    """The `monitor:` section (CONTRACT.md, Monitors): 1-s intervals, 30 of warm-up, margin 4,
    a 10-s cool-down unless the case says otherwise; events to out/eve.json."""
    m = {"interval_s": 1, "warmup_intervals": 30, "margin": 4.0, "cooldown_s": 10}
    m.update(settings)
    m["eve"] = "out/eve.json"
    cfg["monitor"] = m
    return m


class Limit:
    """What the monitors may do to the frames of one VM (from its port) after `start` s.
    rate: rate limit (frames in [start, end + 1) optional, exact otherwise: the VM's normal
    rate passes the limits once its burst is over). quarantine: frames optional in
    [start, sure_from) and (sure_to, free_from), certainly dropped in between, exact after
    free_from; ARP and frames to `management` CIDRs always pass."""

    def __init__(self, port, kind, start, end, sure_from=None, sure_to=None, free_from=None,
                 management=()):
        self.port, self.kind, self.start, self.end = port, kind, start, end
        self.sure_from, self.sure_to, self.free_from = sure_from, sure_to, free_from
        self.management = [ipaddress.ip_network(m) for m in management]

    def outcome(self, t_s, info):
        """None (exact), "may" or "drop" for a frame at t_s that reaches the response stage."""
        if t_s < self.start:
            return None
        if self.kind == "rate":
            return "may" if t_s < self.end + 1 else None
        dst = _dst_ip(info)
        if info["etype"] == 0x0806 or any(dst is not None and dst.version == n.version and dst in n
                                          for n in self.management):
            return None
        if self.sure_from <= t_s <= self.sure_to:
            return "drop"
        return "may" if t_s < self.free_from else None


def _dst_ip(info):
    p = info["inner"]
    if info["etype"] == 0x0800:
        return ipaddress.ip_address(p[16:20])
    if info["etype"] == 0x86DD:
        return ipaddress.ip_address(p[24:40])
    return None


class MonSwitch(Switch):
    """The switch model plus the monitors' limits as annotated (not modelled)."""

    def __init__(self, cfg):
        super().__init__(cfg)
        self.optional = {p: [] for p in cfg.ports}   # port -> indices into out[port]
        self.sure = Counter()                        # certain monitor drops by reason
        self.may = 0                                 # frames the monitors may drop

    def process_mon(self, port, frame, now_us, mon, reason):
        key = (classify(self.cfg, port, frame)[1]["tenant"], frame[6:12])
        if self._lookup(key, now_us // 1000) != port:
            # Limited frames may or may not teach the bridge: use sources learned there already.
            raise ModelError("frame %d: limited frame from a source not learned on %s" % (self.n, port))
        if mon == "may":
            before = {p: len(v) for p, v in self.out.items()}
            targets = Switch.process(self, port, frame, None, None, now_us)
            for p in targets:
                self.optional[p].extend(range(before[p], len(self.out[p])))
            self.may += 1
            return targets
        self.dry_run(port, frame, now_us)            # it would have been forwarded
        self.n += 1
        self.now_ms = now_us // 1000
        self.rx[port] += 1
        self.sure[reason] += 1
        return reason

    def dry_run(self, port, frame, now_us):
        saved = (dict(self.table.e), dict(self.alt.e), self.drops.copy(), self.rx.copy(), self.n,
                 self.now_ms, self.out)
        self.out = {p: [] for p in self.cfg.ports}
        try:
            return Switch.process(self, port, frame, None, None, now_us)
        finally:
            (self.table.e, self.alt.e, self.drops, self.rx, self.n, self.now_ms, self.out) = saved


def parse_range(r):
    """(lo, hi) of a range string: "0", ">0", ">=N", "<=N", "N-M" or an int (hi None: no bound)."""
    if isinstance(r, int):
        return r, r
    r = str(r).strip()
    if r.startswith(">="):
        return int(r[2:]), None
    if r.startswith(">"):
        return int(r[1:]) + 1, None
    if r.startswith("<="):
        return 0, int(r[2:])
    if "-" in r:
        lo, hi = r.split("-")
        return int(lo), int(hi)
    return int(r), int(r)


class MonCase(Case):
    """A Case with the monitors on: limits, expected events, the level-1 self-check."""

    def __init__(self, name, cfg, seed):
        super().__init__(name, cfg, seed)
        self.model = MonSwitch(Config(cfg))
        self.limits = {}                         # port -> Limit
        self.events_expected = []
        self.windows = defaultdict(list)         # VM port -> [(start, end, loud, free)]
        self.monitor_drops = {}                  # reason -> range string
        self.log = []                            # (µs, port, frame, outcome)

    # -------------------------------------------------------------- sending
    def send(self, port, frame, expect=None, to=None, fw=None):
        t = self.next_us
        lim = self.limits.get(port)
        mon = None
        if lim is not None and expect is None and fw is None:
            reasons, info = classify(self.model.cfg, port, frame)
            if not reasons and not security_reason(self.model.cfg, port, info):
                mon = lim.outcome(t / S, info)
        now = T0 * S + t
        if mon is None:
            out = self.model.process(port, frame, expect, to, now, fw)
        else:
            reason = "monitor_quarantine" if lim.kind == "quarantine" else None
            out = self.model.process_mon(port, frame, now, mon, reason)
        self.log.append((t, port, frame, out))
        self.events.append((port, frame, t))
        self.next_us = t + STEP_US

    # -------------------------------------------------------------- expectations
    def expect_event(self, type_, vm, verdict, detections=(), at_least=False, at=None,
                     count=None, actions=None):
        e = {"type": type_, "vm": vm, "tenant": self._tenant_of(vm), "verdict": verdict,
             "detections": sorted(detections)}
        if at_least:
            e["detections_at_least"] = True
        if actions is not None:
            e["actions"] = sorted(actions)
        if count is not None:
            e["count"] = count
        if at is not None:
            e["at_s"] = [at[0], at[1]]
        self.events_expected.append(e)

    def episode(self, vm, verdict, detections, start, end, last=None, actions=None, at_least=True,
                verdicts=">=1"):
        """An anomaly of `vm` from `start` to `end` s (whole intervals): escalated and judged by
        the tick after its last interval, released `cooldown_s` after its last anomalous interval
        (`last`: (earliest, latest) end of that interval; a victim's anomaly may stop early, when
        its attacker is limited)."""
        cool = self.cfg["monitor"]["cooldown_s"]
        lo, hi = last or (end, end)
        self.expect_event("escalated", vm, "none", at_least=True, at=(start, end + 1))
        self.expect_event("verdict", vm, verdict, detections, at_least, (start, end + 1),
                          verdicts, actions)
        self.expect_event("released", vm, "benign", at=(lo + cool - 1, hi + cool + 2))

    def anomalous(self, vm, start, end, loud, free=()):
        """Self-check: in every interval of [start, end), `vm`'s `loud` figures are at least
        LOUD x their floor, its `free` ones anything, the others under QUIET x floor; outside
        every window of `vm`, all its figures stay under QUIET x floor."""
        self.windows[vm].append((start, end, set(loud), set(free)))

    def _tenant_of(self, port):
        return next(t["name"] for t in self.cfg["tenants"] for v in t["vms"] if v["port"] == port)

    # -------------------------------------------------------------- writing
    def write(self):
        if self.events[0][2] != 0:
            raise ModelError("%s: the first frame must be at 0 (ticks count from it)" % self.name)
        if self.events[-1][2] >= self.model.cfg.aging_ms * 1000:
            raise ModelError("%s: longer than mac_aging_s (limited frames may not refresh)" % self.name)
        figures = level1(self.model.cfg, self.log, self.cfg["monitor"].get("floors") or {})
        self.check_figures(figures)
        self.check_monitor_drops()
        loose = sorted(p for p, v in self.model.optional.items() if v)
        self._unique_on(loose)
        super().write()
        d = os.path.join(HERE, self.name, "expected")
        c = self.model.counters()
        c["monitor_drops"] = {r: self.monitor_drops.get(r, "0") for r in MON_REASONS}
        c["loose_ports"] = loose
        with open(os.path.join(d, "counters.json"), "w") as f:
            json.dump(c, f, indent=1)
            f.write("\n")
        with open(os.path.join(d, "monitor_events.json"), "w") as f:
            f.write("[\n" + ",\n".join(json.dumps(e) for e in self.events_expected) + "\n]\n"
                    if self.events_expected else "[]\n")
        with open(os.path.join(d, "monitor_frames.json"), "w") as f:
            json.dump({p: self.model.optional[p] for p in loose}, f)
            f.write("\n")
        print("%-13s %5d monitor events expected, %d optional frames, %d sure monitor drops" % (
            "", len(self.events_expected), self.model.may, sum(self.model.sure.values())))

    def check_monitor_drops(self):
        for r in MON_REASONS:
            lo, hi = parse_range(self.monitor_drops.get(r, "0"))
            sure = self.model.sure[r]
            if sure < lo and sure + self.model.may < lo or hi is not None and sure > hi:
                raise ModelError("%s: %s range %s impossible (%d sure, %d may)"
                                 % (self.name, r, self.monitor_drops.get(r, "0"), sure, self.model.may))

    def _unique_on(self, ports):
        """The runner matches loose outputs greedily: an optional frame must differ from every
        other frame of its port."""
        for p in ports:
            frames = Counter(f for f, _ in self.model.out[p])
            for i in self.model.optional[p]:
                if frames[self.model.out[p][i][0]] > 1:
                    raise ModelError("%s: optional frame %d of %s is not unique"
                                     % (self.name, i, p))

    def check_figures(self, figures):
        floors = dict(FLOORS, **(self.cfg["monitor"].get("floors") or {}))
        for (vm, k), fig in sorted(figures.items()):
            loud, free = set(), set()
            for s, e, lo, fr in self.windows.get(vm, []):
                if s <= k < e:
                    loud, free = loud | lo, free | fr
            for m, v in fig.items():
                if m in loud and v < LOUD * floors[m]:
                    raise ModelError("%s: %s interval %d: %s = %g, under %g x floor %g"
                                     % (self.name, vm, k, m, v, LOUD, floors[m]))
                quiet = 0 if m in ("host_access", "spoofed") else QUIET * floors[m]
                if m not in loud | free and v > quiet:
                    raise ModelError("%s: %s interval %d: %s = %g above %g outside its windows"
                                     % (self.name, vm, k, m, v, quiet))


# ------------------------------------------------------------------ level-1 figures
def l34(frame):
    """(src, dst, proto, sport, dport, tcp flags, icmp type) of an IPv4/IPv6 frame, else None."""
    off = 18 if frame[12:14] == b"\x81\x00" else 14
    etype, p = struct.unpack("!H", frame[off - 2:off])[0], frame[off:]
    if etype == 0x0800:
        hl, proto = (p[0] & 15) * 4, p[9]
        src, dst = ipaddress.ip_address(p[12:16]), ipaddress.ip_address(p[16:20])
    elif etype == 0x86DD:
        hl, proto = 40, p[6]
        src, dst = ipaddress.ip_address(p[8:24]), ipaddress.ip_address(p[24:40])
    else:
        return None
    l4 = p[hl:]
    sport = dport = flags = itype = None
    if proto in (6, 17):
        sport, dport = struct.unpack("!HH", l4[:4])
        flags = l4[13] if proto == 6 else None
    elif proto in (1, 58):
        itype = l4[0]
    return src, dst, proto, sport, dport, flags, itype


def level1(cfg, log, floors):
    """{(VM port, interval): {metric: value}}: CONTRACT.md's level-1 figures per 1-s interval
    (the first frame at 0), every frame from the VM counted (dropped ones too), frames to it
    as delivered, limits not applied."""
    acc = defaultdict(lambda: {"out": 0, "syn": 0, "synack": 0, "rst": 0, "unreach": 0,
                               "dips": set(), "dports": set(), "inner": set(), "host": 0,
                               "spoof": 0, "in": 0, "insyn": 0, "sips": set()})
    for t, port, frame, out in log:
        k = t // S
        f = l34(frame)
        if port in cfg.vm_port:
            a = acc[(port, k)]
            a["out"] += 1
            if out == "host_access":
                a["host"] += 1
            elif out in SECURITY_REASONS and out != "dhcp_server_from_vm" and out != "router_advert_from_vm":
                a["spoof"] += 1
            if f:
                src, dst, proto, sport, dport, flags, itype = f
                a["dips"].add(dst)
                if dport is not None:
                    a["dports"].add(dport)
                if flags is not None and flags & 0x12 == 0x02:
                    a["syn"] += 1
                if (isinstance(out, list) and len(out) == 1 and out[0] in cfg.vm_port
                        and not (frame[0] & 1)):
                    a["inner"].add(dst)
        if isinstance(out, list):
            for p in out:
                if p not in cfg.vm_port:
                    continue
                a = acc[(p, k)]
                a["in"] += 1
                if f:
                    src, dst, proto, sport, dport, flags, itype = f
                    a["sips"].add(src)
                    if flags is not None and flags & 0x12 == 0x02:
                        a["insyn"] += 1
                    if flags is not None and flags & 0x12 == 0x12:
                        a["synack"] += 1
                    if flags is not None and flags & 0x04:
                        a["rst"] += 1
                    if (proto, itype) in ((1, 3), (58, 1)):
                        a["unreach"] += 1
    figures = {}
    for key, a in acc.items():
        figures[key] = {
            "out_pps": a["out"], "out_syn_per_s": a["syn"],
            "failed_per_s": max(0, a["syn"] - a["synack"]) + a["rst"] + a["unreach"],
            "distinct_dst_ips": len(a["dips"]), "distinct_dst_ports": len(a["dports"]),
            "distinct_inner_dsts": len(a["inner"]), "host_access": a["host"], "spoofed": a["spoof"],
            "in_pps": a["in"], "in_syn_per_s": a["insyn"], "distinct_src_ips": len(a["sips"])}
    return figures

