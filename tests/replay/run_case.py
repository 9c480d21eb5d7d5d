#!/usr/bin/python3
"""Golden replay test: run vigild on pcaps/<case>/ and compare with its expected/ outcome.

    run_case.py --vigild build/vigild pcaps/two_tenants [--keep]

Checks (pcaps/CONTRACT.md): exit code 0; every port's output pcap equals expected/<port>.pcap
frame by frame (bytes only); stats.json drops and per-port rx/tx packets equal
expected/counters.json; totals.received == forwarded + dropped; and, independently of the
expected files, tenant isolation of every frame on every output port. IDS cases (an `ids:`
config section, expected/alerts.json): vigild writes EVE JSON to the temp dir (--eve-log);
every line must be an alert record, and the alerts, as a multiset of (sid, src/dest ip and
port, proto, action, in_iface), must equal expected/alerts.json; the stats JSON's "ids" object
must hold the values of counters.json's "ids". Monitor cases (a `monitor:` section,
expected/monitor_events.json): the vigil_monitor EVE lines (same --eve-log file) must match the
expected entries (type, vm, verdict, detections, optional actions, capture-time window and
count); drops by a monitor_* reason are checked against counters.json's "monitor_drops" ranges,
and the ports of its "loose_ports" may miss the frames expected/monitor_frames.json lists
(their tx_packets accordingly). An EVE line of a kind the case does not expect fails.
Exit 0 on pass, 1 on failure.
"""
import argparse
import ipaddress
import json
import os
import shutil
import struct
import sys
import tempfile
from collections import Counter

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import (LINKTYPE_ETHERNET, compare_monitor_events, first_timestamp_s,  # noqa: E402
                           in_range, monitor_problems, read_frames, run_vigild, show_output)


def summary(frame):
    try:
        from scapy.layers.l2 import Ether
        return Ether(frame).summary()
    except Exception as e:                  # noqa: BLE001 - a summary must never fail the report
        return "<unparsable: %s>" % e


def hexdump_diff(a, b):
    lines = []
    for off in range(0, max(len(a), len(b)), 16):
        x, y = a[off:off + 16], b[off:off + 16]
        mark = "  " if x == y else "!!"
        lines.append("%s %04x  %-47s | %-47s" % (mark, off, x.hex(" "), y.hex(" ")))
    return "\n".join(["    off   expected%s| actual" % (" " * 40)] + lines)


class Checker:
    def __init__(self):
        self.failures = []

    def fail(self, msg):
        self.failures.append(msg)
        print("FAIL: " + msg)


def prepare(case, tmp):
    """Copy the case config into tmp: rx paths absolute into the case, tx paths into tmp; IDS
    rule and classification files absolute into the case; the monitors' eve and state files
    into tmp. Returns (config, its path, extra vigild arguments: --eve-log into tmp for an IDS
    or monitor case)."""
    with open(os.path.join(case, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    for p in cfg.get("ports") or []:
        if p.get("rx_pcap"):
            p["rx_pcap"] = os.path.abspath(os.path.join(case, p["rx_pcap"]))
        if p.get("tx_pcap"):
            p["tx_pcap"] = os.path.join(tmp, p["tx_pcap"])
            os.makedirs(os.path.dirname(p["tx_pcap"]), exist_ok=True)
    extra = []
    ids = cfg.get("ids")
    if isinstance(ids, dict):
        ids["rules"] = [os.path.abspath(os.path.join(case, r)) for r in ids.get("rules") or []]
        if ids.get("classification"):
            ids["classification"] = os.path.abspath(os.path.join(case, ids["classification"]))
        ids["eve"] = os.path.join(tmp, "eve-config.json")   # --eve-log must override it
        extra = ["--eve-log", os.path.join(tmp, "eve.json")]
    mon = cfg.get("monitor")
    if isinstance(mon, dict):
        mon["eve"] = os.path.join(tmp, "eve-monitor-config.json")   # --eve-log overrides it too
        if mon.get("state"):
            mon["state"] = os.path.join(tmp, "monitor-state.json")  # a run starts from scratch
        extra = ["--eve-log", os.path.join(tmp, "eve.json")]
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return cfg, path, extra


def compare_port(ck, name, actual_path, expected_path, optional=None):
    """Compare a port's output with its expected pcap, frame by frame; with `optional` (a loose
    port of a monitor case: indices of expected frames the monitors' limits may drop), the
    output must be the expected frames in order with only some of those left out."""
    try:
        exp = [f for f, _ in read_frames(expected_path)]
    except Exception as e:                  # noqa: BLE001
        ck.fail("%s: cannot read expected %s: %s" % (name, expected_path, e))
        return None
    if not os.path.exists(actual_path):
        ck.fail("%s: vigild wrote no output file %s (expected %d frames)" % (name, actual_path, len(exp)))
        return None
    try:
        act_l = read_frames(actual_path)
    except Exception as e:                  # noqa: BLE001
        ck.fail("%s: cannot read output %s: %s" % (name, actual_path, e))
        return None
    if any(lt != LINKTYPE_ETHERNET for _, lt in act_l):
        ck.fail("%s: output link type is not Ethernet" % name)
    act = [f for f, _ in act_l]
    if optional is not None:
        compare_loose(ck, name, exp, act, set(optional))
        return act
    for i, (x, y) in enumerate(zip(exp, act)):
        if x != y:
            ck.fail("%s: frame %d differs (expected %d frames, got %d)\n  expected: %s (%d B)\n"
                    "  actual:   %s (%d B)\n%s" % (name, i, len(exp), len(act), summary(x), len(x),
                                                    summary(y), len(y), hexdump_diff(x, y)))
            return act
    if len(exp) != len(act):
        i = min(len(exp), len(act))
        extra = exp[i] if len(exp) > len(act) else act[i]
        ck.fail("%s: expected %d frames, got %d; first %s frame (index %d): %s"
                % (name, len(exp), len(act), "missing" if len(exp) > len(act) else "extra", i,
                   summary(extra)))
    return act


def compare_loose(ck, name, exp, act, optional):
    """exp minus some of its `optional` frames must be act (greedy: the generator makes every
    optional frame distinct from the other frames of its port)."""
    i = j = skipped = 0
    while i < len(exp):
        if j < len(act) and exp[i] == act[j]:
            i, j = i + 1, j + 1
        elif i in optional:
            i, skipped = i + 1, skipped + 1
        else:
            got = "actual frame %d: %s" % (j, summary(act[j])) if j < len(act) else "no more output"
            ck.fail("%s (loose): expected frame %d (%s) is not optional and missing; %s"
                    % (name, i, summary(exp[i]), got))
            return
    if j < len(act):
        ck.fail("%s (loose): %d extra frame(s) after the expected ones, first: %s"
                % (name, len(act) - j, summary(act[j])))
        return
    print("%s: %d of %d optional frames absent (limited by the monitors)" % (name, skipped, len(optional)))


def check_stats(ck, stats_path, counters_path, outputs=None):
    try:
        with open(stats_path) as f:
            stats = json.load(f)
    except Exception as e:                  # noqa: BLE001
        ck.fail("cannot read stats JSON %s: %s" % (stats_path, e))
        return
    with open(counters_path) as f:
        want = json.load(f)
    drops = stats.get("drops") or {}
    ranges = want.get("monitor_drops") or {}     # monitor cases: limits depend on the meters
    for reason in sorted(set(drops) | set(want["drops"]) | set(ranges)):
        got, exp = drops.get(reason, 0), want["drops"].get(reason, 0)
        if reason not in drops:
            ck.fail("stats drops: reason %s missing (expected %s)" % (reason, ranges.get(reason, exp)))
        elif reason in ranges:
            if not isinstance(got, int) or not in_range(got, ranges[reason]):
                ck.fail("stats drops[%s] = %s, expected %s" % (reason, got, ranges[reason]))
        elif got != exp:
            ck.fail("stats drops[%s] = %s, expected %d" % (reason, got, exp))
    ports = stats.get("ports") or {}
    loose = loose_optional(counters_path, want)
    for name, exp in want["ports"].items():
        got = ports.get(name)
        if got is None:
            ck.fail("stats ports: port %s missing" % name)
            continue
        if got.get("rx_packets") != exp["rx_packets"]:          # a limited frame was received
            ck.fail("stats ports[%s].rx_packets = %s, expected %d" % (name, got.get("rx_packets"),
                                                                      exp["rx_packets"]))
        tx = got.get("tx_packets")
        if name not in loose:
            if tx != exp["tx_packets"]:
                ck.fail("stats ports[%s].tx_packets = %s, expected %d" % (name, tx, exp["tx_packets"]))
            continue
        lo = exp["tx_packets"] - len(loose[name])
        if not isinstance(tx, int) or not lo <= tx <= exp["tx_packets"]:
            ck.fail("stats ports[%s].tx_packets = %s, expected %d..%d (loose port)"
                    % (name, tx, lo, exp["tx_packets"]))
        elif outputs and outputs.get(name) is not None and len(outputs[name]) != tx:
            ck.fail("stats ports[%s].tx_packets = %d, but its output holds %d frames"
                    % (name, tx, len(outputs[name])))
    if "ids" in want:
        check_ids_stats(ck, stats.get("ids"), want["ids"])
    t = stats.get("totals") or {}
    try:
        if t["received"] != t["forwarded"] + t["dropped"]:
            ck.fail("totals: received %d != forwarded %d + dropped %d"
                    % (t["received"], t["forwarded"], t["dropped"]))
        rx = sum(v["rx_packets"] for v in want["ports"].values())
        if t["received"] != rx:
            ck.fail("totals.received = %d, expected %d (frames in all inputs)" % (t["received"], rx))
    except (KeyError, TypeError) as e:
        ck.fail("totals malformed in stats JSON: %r (%s)" % (t, e))


def loose_optional(counters_path, want=None):
    """{loose port: [indices of its optional expected frames]} of a monitor case, else {}."""
    if want is None:
        with open(counters_path) as f:
            want = json.load(f)
    ports = want.get("loose_ports") or []
    if not ports:
        return {}
    with open(os.path.join(os.path.dirname(counters_path), "monitor_frames.json")) as f:
        optional = json.load(f)
    return {p: optional.get(p, []) for p in ports}


IDS_STATS = ("rules_loaded", "rules_skipped", "alerts", "flows_bypassed", "eve_lost")


def check_ids_stats(ck, got, want):
    if not isinstance(got, dict):
        ck.fail("stats JSON has no \"ids\" object")
        return
    for k in IDS_STATS:
        if not isinstance(got.get(k), int):
            ck.fail("stats ids.%s missing or not a number: %r" % (k, got.get(k)))
    for k, v in want.items():
        if got.get(k) != v:
            ck.fail("stats ids.%s = %r, expected %r" % (k, got.get(k), v))


# ------------------------------------------------------------------------------ IDS alerts
ALERT_KEY = ("sid", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "action", "in_iface")
ALERT_INFO = ("signature", "category", "severity", "gid", "rev")   # checked on matched alerts
EVE_ALERT_FIELDS = ("action", "gid", "signature_id", "rev", "signature", "category", "severity")


def _ip(a):
    try:
        return str(ipaddress.ip_address(a))       # compressed IPv6 either way
    except (ValueError, TypeError):
        return a


def expected_key(a):
    return (a["sid"], _ip(a["src_ip"]), a.get("src_port"), _ip(a["dest_ip"]), a.get("dest_port"),
            a["proto"], a["action"], a["in_iface"])


def eve_key(e):
    al = e.get("alert") or {}
    return (al.get("signature_id"), _ip(e.get("src_ip")), e.get("src_port"), _ip(e.get("dest_ip")),
            e.get("dest_port"), e.get("proto"), al.get("action"), e.get("in_iface"))


def show_key(k):
    return "sid %s %s %s:%s -> %s:%s action %s in_iface %s" % (k[0], k[5], k[1], k[2], k[3], k[4],
                                                               k[6], k[7])


def read_eve(ck, path):
    """(alert records, vigil_monitor records) of path; every line must be a complete JSON
    record of one of the two kinds."""
    alerts, monitors = [], []
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
            except ValueError as err:
                ck.fail("eve.json line %d is not JSON (%s): %.200s" % (n, err, line))
                continue
            kind = e.get("event_type") if isinstance(e, dict) else None
            if kind == "vigil_monitor":
                bad = monitor_problems(e)
                if bad:
                    ck.fail("eve.json line %d: %s: %.300s" % (n, "; ".join(bad), line))
                else:
                    monitors.append(e)
                continue
            if kind != "alert":
                ck.fail("eve.json line %d: event_type is not \"alert\" or \"vigil_monitor\": %.200s"
                        % (n, line))
                continue
            al = e.get("alert")
            missing = [k for k in ("timestamp", "src_ip", "dest_ip", "proto", "in_iface") if k not in e]
            missing += ["alert." + k for k in EVE_ALERT_FIELDS if not isinstance(al, dict) or k not in al]
            missing += ["vigil." + k for k in ("tenant", "port")
                        if not isinstance(e.get("vigil"), dict) or k not in e["vigil"]]
            if missing:
                ck.fail("eve.json line %d lacks %s: %.200s" % (n, ", ".join(missing), line))
                continue
            alerts.append(e)
    return alerts, monitors


def check_eve(ck, case, tmp, t0):
    """The EVE output of an IDS or monitor case: alerts against expected/alerts.json, monitor
    events against expected/monitor_events.json; a kind without its file must be absent."""
    def load(name):
        path = os.path.join(case, "expected", name)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    exp_alerts, exp_mon = load("alerts.json"), load("monitor_events.json")
    eve = os.path.join(tmp, "eve.json")
    if not os.path.exists(eve):
        stray = [n for n in ("eve-config.json", "eve-monitor-config.json")
                 if os.path.exists(os.path.join(tmp, n))]
        if exp_alerts or exp_mon or stray:
            ck.fail("no EVE file at --eve-log %s (%d alerts, %d monitor events expected)%s" % (
                eve, len(exp_alerts or []), len(exp_mon or []),
                "; vigild wrote the config's eve path instead (%s)" % ", ".join(stray) if stray else ""))
        return
    alerts, monitors = read_eve(ck, eve)
    if exp_alerts is not None:
        check_alerts(ck, alerts, exp_alerts)
    elif alerts:
        ck.fail("%d unexpected IDS alert(s), first: %.200s" % (len(alerts), json.dumps(alerts[0])))
    if exp_mon is not None:
        fails, summary = compare_monitor_events(exp_mon, monitors, t0)
        for msg in fails:
            ck.fail(msg)
        print(summary)
    elif monitors:
        ck.fail("%d unexpected monitor event(s), first: %.200s" % (len(monitors), json.dumps(monitors[0])))


def check_alerts(ck, got, expected):
    want_c, got_c = Counter(expected_key(a) for a in expected), Counter(eve_key(e) for e in got)
    missing, unexpected = want_c - got_c, got_c - want_c
    for k, n in sorted(missing.items(), key=str):
        frames = [a.get("frame") for a in expected if expected_key(a) == k]
        ck.fail("alert missing (x%d): %s (frames %s)" % (n, show_key(k), frames))
    for k, n in sorted(unexpected.items(), key=str):
        sig = next(e["alert"].get("signature") for e in got if eve_key(e) == k)
        ts = [e.get("timestamp") for e in got if eve_key(e) == k][:3]
        ck.fail("unexpected alert (x%d): %s \"%s\" at %s" % (n, show_key(k), sig, ts))
    info = {expected_key(a): a for a in expected}
    bad = set()
    for e in got:
        a = info.get(eve_key(e))
        if a is None:
            continue
        pairs = [(f, e["alert"].get(f), a[f]) for f in ALERT_INFO if f in a]
        if "tenant" in a:
            pairs.append(("vigil.tenant", e["vigil"].get("tenant"), a["tenant"]))
        for f, g, w in pairs:
            if g != w and (a["sid"], f) not in bad:
                bad.add((a["sid"], f))
                ck.fail("alert sid %s: %s = %r, expected %r" % (a["sid"], f, g, w))
    print("alerts: %d expected, %d in eve.json, %d missing, %d unexpected" % (
        len(expected), len(got), sum(missing.values()), sum(unexpected.values())))


def check_isolation(ck, cfg, outputs):
    """Every frame leaving a port belongs to a tenant that port serves."""
    vlan_of = {t["name"]: int(t["vlan"]) for t in cfg.get("tenants") or []}
    tenant_of_vlan = {v: n for n, v in vlan_of.items()}
    mac_tenant, vm_port = {}, {}
    for t in cfg.get("tenants") or []:
        for vm in t.get("vms") or []:
            mac_tenant[str(vm["mac"]).lower()] = t["name"]
            vm_port[vm["port"]] = t["name"]
    trunks = {}
    for tr in cfg.get("trunks") or []:
        allowed = tr.get("allowed")
        trunks[tr["port"]] = (tr.get("native_vlan"), set(vlan_of) if allowed is None else set(allowed))
    for port, frames in outputs.items():
        for i, f in enumerate(frames or []):
            where = "isolation: %s frame %d (%s)" % (port, i, summary(f))
            if len(f) < 14:
                ck.fail(where + ": shorter than an Ethernet header")
                continue
            src = ":".join("%02x" % b for b in f[6:12])
            by_mac = mac_tenant.get(src)
            tagged = struct.unpack("!H", f[12:14])[0] == 0x8100 and len(f) >= 18
            if port in vm_port:
                if tagged:
                    ck.fail(where + ": tagged frame on VM port")
                if by_mac and by_mac != vm_port[port]:
                    ck.fail(where + ": source %s is tenant %s, port is tenant %s"
                            % (src, by_mac, vm_port[port]))
            elif port in trunks:
                native, carried = trunks[port]
                vid = (struct.unpack("!H", f[14:16])[0] & 0xFFF) if tagged else native
                by_tag = tenant_of_vlan.get(vid) if vid is not None else None
                if by_tag is None:
                    ck.fail(where + ": VLAN %s is no tenant's" % vid)
                elif by_tag not in carried:
                    ck.fail(where + ": tenant %s not carried by this trunk" % by_tag)
                elif tagged and vid == native:
                    ck.fail(where + ": native VLAN %d egresses tagged" % vid)
                if by_mac and by_tag and by_mac != by_tag:
                    ck.fail(where + ": source %s is tenant %s, VLAN says %s" % (src, by_mac, by_tag))
            else:
                ck.fail(where + ": frame on a port bound to no VM or trunk")
                break


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--vigild", required=True, help="path to the vigild binary")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (printed)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("case", help="case directory (pcaps/<case>)")
    a = ap.parse_args()
    case = os.path.abspath(a.case)
    name = os.path.basename(case.rstrip("/"))
    if not os.path.isfile(os.path.join(case, "config.yaml")):
        print("FAIL %s: no config.yaml in %s" % (name, case))
        return 1
    tmp = tempfile.mkdtemp(prefix="vigil-replay-%s-" % name)
    ck = Checker()
    try:
        cfg, cfg_path, extra = prepare(case, tmp)
        stats = os.path.join(tmp, "stats.json")
        rc, out, err = run_vigild(os.path.abspath(a.vigild), cfg_path, stats, a.timeout, extra)
        if rc != 0:
            ck.fail("vigild %s" % ("timed out after %gs" % a.timeout if rc is None else
                                   "exited with code %d" % rc))
            show_output(out, err)
        if rc == 0:
            outputs = {}
            counters = os.path.join(case, "expected", "counters.json")
            loose = loose_optional(counters)
            for p in cfg.get("ports") or []:
                if p.get("tx_pcap"):
                    outputs[p["name"]] = compare_port(
                        ck, p["name"], p["tx_pcap"], os.path.join(case, "expected", p["name"] + ".pcap"),
                        loose.get(p["name"]))
            check_stats(ck, stats, counters, outputs)
            check_isolation(ck, cfg, outputs)
            if any(os.path.exists(os.path.join(case, "expected", n))
                   for n in ("alerts.json", "monitor_events.json")):
                t0 = first_timestamp_s([p["rx_pcap"] for p in cfg.get("ports") or [] if p.get("rx_pcap")])
                check_eve(ck, case, tmp, t0 or 0.0)
            if ck.failures:
                show_output(out, err, 3000)
    finally:
        if a.keep:
            print("kept temp dir: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if ck.failures:
        print("FAIL %s: %d problem(s); first: %s" % (name, len(ck.failures), ck.failures[0].split("\n")[0]))
        return 1
    print("PASS %s" % name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
