#!/usr/bin/python3
"""Golden replay test: run vigild on pcaps/<case>/ and compare with its expected/ outcome.

    run_case.py --vigild build/vigild pcaps/two_tenants [--keep]

Checks (pcaps/CONTRACT.md): exit code 0; every port's output pcap equals expected/<port>.pcap
frame by frame (bytes only); stats.json drops and per-port rx/tx packets equal
expected/counters.json; totals.received == forwarded + dropped; and, independently of the
expected files, tenant isolation of every frame on every output port.
Exit 0 on pass, 1 on failure.
"""
import argparse
import json
import os
import shutil
import struct
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import LINKTYPE_ETHERNET, read_frames, run_vigild, show_output  # noqa: E402


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
    """Copy the case config into tmp: rx paths absolute into the case, tx paths into tmp."""
    with open(os.path.join(case, "config.yaml")) as f:
        cfg = yaml.safe_load(f)
    for p in cfg.get("ports") or []:
        if p.get("rx_pcap"):
            p["rx_pcap"] = os.path.abspath(os.path.join(case, p["rx_pcap"]))
        if p.get("tx_pcap"):
            p["tx_pcap"] = os.path.join(tmp, p["tx_pcap"])
            os.makedirs(os.path.dirname(p["tx_pcap"]), exist_ok=True)
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return cfg, path


def compare_port(ck, name, actual_path, expected_path):
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


def check_stats(ck, stats_path, counters_path):
    try:
        with open(stats_path) as f:
            stats = json.load(f)
    except Exception as e:                  # noqa: BLE001
        ck.fail("cannot read stats JSON %s: %s" % (stats_path, e))
        return
    with open(counters_path) as f:
        want = json.load(f)
    drops = stats.get("drops") or {}
    for reason in sorted(set(drops) | set(want["drops"])):
        got, exp = drops.get(reason, 0), want["drops"].get(reason, 0)
        if reason not in drops:
            ck.fail("stats drops: reason %s missing (expected %d)" % (reason, exp))
        elif got != exp:
            ck.fail("stats drops[%s] = %s, expected %d" % (reason, got, exp))
    ports = stats.get("ports") or {}
    for name, exp in want["ports"].items():
        got = ports.get(name)
        if got is None:
            ck.fail("stats ports: port %s missing" % name)
            continue
        for k in ("rx_packets", "tx_packets"):
            if got.get(k) != exp[k]:
                ck.fail("stats ports[%s].%s = %s, expected %d" % (name, k, got.get(k), exp[k]))
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
        cfg, cfg_path = prepare(case, tmp)
        stats = os.path.join(tmp, "stats.json")
        rc, out, err = run_vigild(os.path.abspath(a.vigild), cfg_path, stats, a.timeout)
        if rc != 0:
            ck.fail("vigild %s" % ("timed out after %gs" % a.timeout if rc is None else
                                   "exited with code %d" % rc))
            show_output(out, err)
        if rc == 0:
            outputs = {}
            for p in cfg.get("ports") or []:
                if p.get("tx_pcap"):
                    outputs[p["name"]] = compare_port(
                        ck, p["name"], p["tx_pcap"], os.path.join(case, "expected", p["name"] + ".pcap"))
            check_stats(ck, stats, os.path.join(case, "expected", "counters.json"))
            check_isolation(ck, cfg, outputs)
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
