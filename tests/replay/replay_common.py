"""Helpers shared by run_case.py and corpus_test.py (pcap reading, running vigild) and the
pieces of run_case.py's monitor checks that are plain logic (EVE times, count ranges, matching
expected entries that may take several events)."""
import datetime
import os
import subprocess
import sys

from scapy.utils import RawPcapReader

LINKTYPE_ETHERNET = 1


def read_frames(path):
    """[(bytes, linktype)] of every record of a pcap or pcapng file."""
    out = []
    r = RawPcapReader(path)
    try:
        default = getattr(r, "linktype", None)
        for data, meta in r:
            out.append((bytes(data), getattr(meta, "linktype", default)))
    finally:
        r.close()
    return out


def run_vigild(vigild, config, stats, timeout=120, extra_args=()):
    """Run vigild (extra_args appended to its command line); returns (returncode or None on
    timeout, stdout, stderr)."""
    cmd = [vigild, "--config", config, "--stats-json", stats] + list(extra_args)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           cwd=os.path.dirname(config))
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace"), (e.stderr or b"").decode(errors="replace")
    except OSError as e:
        return -1, "", "cannot run %s: %s" % (vigild, e)


def show_output(out, err, limit=8000):
    for name, text in (("stdout", out), ("stderr", err)):
        text = text[-limit:]
        sys.stdout.write("---- vigild %s%s ----\n%s\n" % (
            name, " (last %d chars)" % limit if len(text) == limit else "", text.rstrip()))


def first_timestamp_s(paths):
    """The earliest first-record timestamp (s, float) over the pcap files in paths; None if empty."""
    first = None
    for path in paths:
        r = RawPcapReader(path)
        try:
            for _, meta in r:
                t = meta.sec + meta.usec / 1e6
                first = t if first is None else min(first, t)
                break
        finally:
            r.close()
    return first


def eve_time_s(ts):
    """Seconds since the epoch of an EVE timestamp ("2023-11-14T22:13:20.000000+0000"), or None."""
    try:
        return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except (TypeError, ValueError):
        return None


def parse_range(r):
    """(lo, hi) of a count range: an int, "N", ">N", ">=N", "<=N" or "N-M" (hi None: unbounded)."""
    if isinstance(r, bool):
        raise ValueError("not a range: %r" % r)
    if isinstance(r, int):
        return r, r
    s = str(r).strip()
    if s.startswith(">="):
        return int(s[2:]), None
    if s.startswith(">"):
        return int(s[1:]) + 1, None
    if s.startswith("<="):
        return 0, int(s[2:])
    if "-" in s[1:]:
        lo, hi = s.split("-", 1)
        return int(lo), int(hi)
    return int(s), int(s)


def in_range(n, r):
    lo, hi = parse_range(r)
    return n >= lo and (hi is None or n <= hi)


def match_counted(entries, items, matches):
    """Assign items to entries, each entry taking between its (lo, hi) count of items it
    matches(entry, item): bipartite matching, the entries' minimum slots first, then the
    optional ones (augmenting paths never unmatch a slot, so the minimums stay filled).
    entries: [(entry, (lo, hi))]. Returns (short: {entry index: slots left unfilled},
    unmatched: [item indices])."""
    slots_min, slots_opt = [], []
    for i, (_, (lo, hi)) in enumerate(entries):
        slots_min += [i] * lo
        extra = len(items) if hi is None else max(0, hi - lo)
        slots_opt += [i] * min(extra, len(items))
    adj = [[i for i, (e, _) in enumerate(entries) if matches(e, it)] for it in items]
    slot_of_item, item_of_slot = {}, {}

    def augment(it, slots, seen):
        for s, entry in enumerate(slots):
            if entry in adj[it] and s not in seen:
                seen.add(s)
                other = item_of_slot.get(s)
                if other is None or augment(other, slots, seen):
                    slot_of_item[it], item_of_slot[s] = s, it
                    return True
        return False

    for it in range(len(items)):
        augment(it, slots_min, set())
    short = {}
    for s, entry in enumerate(slots_min):
        if s not in item_of_slot:
            short[entry] = short.get(entry, 0) + 1
    # Second phase over all slots (the minimum ones first, then the optional ones, renumbered).
    allslots = slots_min + slots_opt
    for it in range(len(items)):
        if it not in slot_of_item:
            augment(it, allslots, set())
    unmatched = [it for it in range(len(items)) if it not in slot_of_item]
    return short, unmatched


# ------------------------------------------------------------------ monitor events (EVE)
MON_TYPES = ("escalated", "verdict", "released", "idle", "overflow", "tamper")
MON_VERDICTS = ("attacker", "victim", "benign", "none")
MON_DETECTIONS = ("horizontal_scan", "vertical_scan", "syn_flood", "flood", "spoofed_flood",
                  "spoofing", "fan_out", "host_access", "failed_connections", "overflow", "idle",
                  "config_tamper")
MON_ACTIONS = ("alert", "rate_limit", "quarantine", "capture", "release", "operator_release")


def monitor_problems(e):
    """What a vigil_monitor EVE record lacks or gets wrong (pcaps/CONTRACT.md, Monitors)."""
    bad = []
    if eve_time_s(e.get("timestamp")) is None:
        bad.append("timestamp %r" % e.get("timestamp"))
    m = e.get("monitor")
    if not isinstance(m, dict):
        return bad + ["no \"monitor\" object"]
    for k, allowed in (("type", MON_TYPES), ("verdict", MON_VERDICTS)):
        if m.get(k) not in allowed:
            bad.append("monitor.%s %r" % (k, m.get(k)))
    for k in ("vm", "tenant"):
        if not isinstance(m.get(k), str) or not m.get(k):
            bad.append("monitor.%s %r" % (k, m.get(k)))
    for k, allowed in (("detections", MON_DETECTIONS), ("actions", MON_ACTIONS), ("details", None)):
        v = m.get(k)
        if not isinstance(v, list) or any(not isinstance(x, str) for x in v):
            bad.append("monitor.%s not a list of strings" % k)
        elif allowed and set(v) - set(allowed):
            bad.append("monitor.%s unknown %s" % (k, sorted(set(v) - set(allowed))))
    ev = m.get("evidence")
    if not isinstance(ev, list) or any(
            not isinstance(x, dict) or not isinstance(x.get("metric"), str) or
            any(isinstance(x.get(f), bool) or not isinstance(x.get(f), (int, float))
                for f in ("value", "baseline_mean", "threshold")) for x in ev):
        bad.append("monitor.evidence not a list of {metric, value, baseline_mean, threshold}")
    elif m.get("type") == "verdict" and m.get("verdict") in ("attacker", "victim") and (
            not ev or not m.get("detections")):
        bad.append("a verdict without detections or evidence")
    return bad


def show_monitor(m, t):
    return "%s %s %s %s actions %s at +%.3f s" % (m.get("type"), m.get("vm"), m.get("verdict"),
                                                 m.get("detections"), m.get("actions"), t)


def show_entry(e):
    return "%s %s %s %s%s%s%s" % (
        e["type"], e["vm"], e["verdict"], e["detections"],
        " (at least)" if e.get("detections_at_least") else "",
        " actions >= %s" % e["actions"] if "actions" in e else "",
        " at +%s..%s s" % tuple(e["at_s"]) if "at_s" in e else "")


def monitor_matches(e, got):
    m, t = got
    if (m.get("type"), m.get("vm"), m.get("verdict")) != (e["type"], e["vm"], e["verdict"]):
        return False
    if "tenant" in e and m.get("tenant") != e["tenant"]:
        return False
    want, have = set(e["detections"]), set(m.get("detections") or [])
    if not (want <= have if e.get("detections_at_least") else want == have):
        return False
    if "actions" in e and not set(e["actions"]) <= set(m.get("actions") or []):
        return False
    return "at_s" not in e or e["at_s"][0] <= t <= e["at_s"][1]


def compare_monitor_events(expected, records, t0):
    """Failure messages for the vigil_monitor records against expected/monitor_events.json
    entries, and a summary line. Each entry matches events of its type, vm, verdict (and tenant),
    detections (a set: equal, or contained with "detections_at_least"), actions (contained, if
    given) and capture time (at_s: [lo, hi] s after the case's first frame, if given); it must
    take `count` of them (default 1; a range like ">=1"); every event must be taken."""
    got = [(e["monitor"], eve_time_s(e["timestamp"]) - t0) for e in records]
    entries = [(e, parse_range(e.get("count", 1))) for e in expected]
    short, unmatched = match_counted(entries, got, monitor_matches)
    fails = ["monitor event missing (x%d): %s" % (n, show_entry(expected[i]))
             for i, n in sorted(short.items())]
    fails += ["unexpected monitor event: %s" % show_monitor(*got[i]) for i in unmatched]
    if fails:
        fails[-1] += "\n  all monitor events:\n" + "\n".join(
            "    " + show_monitor(*g) for g in got) if got else "\n  (no monitor event at all)"
    summary = "monitor events: %d expected entries, %d in eve.json, %d missing, %d unexpected" % (
        len(expected), len(got), sum(short.values()), len(unmatched))
    return fails, summary
