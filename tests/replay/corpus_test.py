#!/usr/bin/python3
"""Replay every real capture of the shared corpus through vigild (robustness + accounting).

    corpus_test.py --vigild build/vigild [--corpus DIR] [--keep]

Topology: tenant blue VLAN 10 with VMs vb1 and vb2, tenant red VLAN 20 with VM vr1, a trunk port
`uplink` (native VLAN 10). Each .pcap/.pcapng file is replayed twice:
  trunk  the whole capture enters on `uplink` (VM inputs empty);
  split  frames whose source MAC is the capture's first frame's source MAC enter on vb1, all others
         on `uplink` (timestamps kept), so traffic crosses the switch between a VM and the trunk.
         vb1 is configured with that MAC and the IP sources of its frames (when unicast).
Checks per pass: exit code 0, totals.received == frames in the file, received == forwarded +
dropped, sum(drops) - port_down - tx_full - no_mbuf == dropped; split pass with frames in both directions:
vb1 tx_packets + uplink tx_packets > 0. Files whose link type is not Ethernet are skipped.
Exit 0 on pass, 1 on failure, 77 (ctest SKIP_RETURN_CODE) when the corpus is absent.
"""
import argparse
import ipaddress
import json
import os
import shutil
import struct
import sys
import tempfile

import yaml
from scapy.utils import RawPcapReader

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from replay_common import LINKTYPE_ETHERNET, run_vigild, show_output  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus", "pcaps")
PER_COPY = ("port_down", "tx_full", "no_mbuf")  # counted per copy, not in totals.dropped
VMS = [("vb1", 10, 1), ("vb2", 10, 2), ("vr1", 20, 1)]
# The split pass runs the VM monitors too: real, benign traffic must raise no verdict but those
# its own violations explain (spoofed frames dropped). A short warm-up, so that the baselines can
# judge these captures of a few seconds at all.
MONITOR_WARMUP = 3
VIOLATIONS = {"spoofing": ("spoofed_src_mac", "spoofed_src_ip", "spoofed_arp"),
              "host_access": ("host_access",)}


def read_records(path):
    """[(bytes, linktype, timestamp µs, wirelen)] of a pcap or pcapng file (scapy picks the
    pcapng reader, RawPcapNgReader, by the file's magic)."""
    out = []
    r = RawPcapReader(path)
    try:
        default, nano = getattr(r, "linktype", None), getattr(r, "nano", False)
        for data, m in r:
            if hasattr(m, "tshigh"):                     # pcapng: units of 1/tsresol s
                us = ((m.tshigh << 32) | m.tslow) * 1_000_000 // (m.tsresol or 1_000_000)
            else:
                us = m.sec * 1_000_000 + (m.usec // 1000 if nano else m.usec)
            out.append((bytes(data), getattr(m, "linktype", default), us, m.wirelen or len(data)))
    finally:
        r.close()
    return out


def write_pcap(path, records):
    """Classic µs pcap, Ethernet, records [(bytes, linktype, µs, wirelen)] in the given order."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        for data, _, us, wirelen in records:
            f.write(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(data), max(wirelen, len(data))))
            f.write(data)


def source_ips(frames):
    """Unicast IPv4/IPv6 source addresses (and ARP sender addresses) of untagged frames."""
    v4, v6 = [], []
    for f in frames:
        et = f[12:14]
        a = None
        if et == b"\x08\x00" and len(f) >= 34:
            a = ipaddress.IPv4Address(f[26:30])
        elif et == b"\x08\x06" and len(f) >= 42:
            a = ipaddress.IPv4Address(f[28:32])
        elif et == b"\x86\xdd" and len(f) >= 54:
            a = ipaddress.IPv6Address(f[22:38])
        if a is None or a.is_multicast or a.is_unspecified or str(a) == "255.255.255.255":
            continue
        lst = v4 if a.version == 4 else v6
        if str(a) not in lst and len(lst) < 8:
            lst.append(str(a))
    return v4, v6


def make_config(tmp, inputs, vb1=None, monitor=False):
    """inputs: {port: rx pcap}; ports without one get an empty input. vb1: (mac, v4, v6) or None.
    monitor: the VM monitors on, with a short warm-up, their events in tmp/monitor.json."""
    ports = []
    for name in [n for n, _, _ in VMS] + ["uplink"]:
        rx = inputs.get(name)
        if rx is None:
            rx = os.path.join(tmp, "in", name + ".pcap")
            write_pcap(rx, [])
        ports.append({"name": name, "kind": "pcap", "rx_pcap": rx,
                      "tx_pcap": os.path.join(tmp, "out", name + ".pcap")})
    tenants = []
    for tname, vlan in (("blue", 10), ("red", 20)):
        vms = []
        for n, v, i in VMS:
            if v != vlan:
                continue
            vm = {"port": n, "mac": "02:00:00:00:%02x:%02x" % (v, i), "ipv4": ["10.0.%d.%d" % (v, i)],
                  "ipv6": ["fd00:%d::%x" % (v, i)]}
            if n == "vb1" and vb1:
                vm["mac"] = vb1[0]
                vm["ipv4"] = vb1[1] or vm["ipv4"]
                vm["ipv6"] = vb1[2] or vm["ipv6"]
            vms.append(vm)
        tenants.append({"name": tname, "vlan": vlan, "vms": vms})
    cfg = {"ports": ports, "tenants": tenants, "trunks": [{"port": "uplink", "native_vlan": 10}]}
    if monitor:
        cfg["monitor"] = {"warmup_intervals": MONITOR_WARMUP, "eve": os.path.join(tmp, "monitor.json")}
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path


def split_inputs(tmp, capture, records):
    """The split pass: (inputs, vb1 binding, frames on vb1, frames on uplink)."""
    first = next((d for d, _, _, _ in records if len(d) >= 12), None)
    mac = first[6:12] if first is not None else None
    vm = [r for r in records if mac is not None and r[0][6:12] == mac]
    trunk = [r for r in records if not (mac is not None and r[0][6:12] == mac)]
    inputs = {"vb1": os.path.join(tmp, "in", "vb1.pcap"), "uplink": os.path.join(tmp, "in", "uplink.pcap")}
    write_pcap(inputs["vb1"], vm)
    write_pcap(inputs["uplink"], trunk)
    vb1 = None
    if mac is not None and not mac[0] & 1 and mac != bytes(6):
        v4, v6 = source_ips([r[0] for r in vm])
        vb1 = (":".join("%02x" % b for b in mac), v4, v6)
    return inputs, vb1, len(vm), len(trunk)


def run_pass(vigild, tmp, cfg, n_frames, timeout, both_ways=False):
    """Returns (problems, detail, (stdout, stderr))."""
    stats_path = os.path.join(tmp, "stats.json")
    rc, out, err = run_vigild(vigild, cfg, stats_path, timeout)
    problems, detail = [], ""
    if rc != 0:
        problems.append("vigild %s" % ("timed out" if rc is None else "exited with code %d" % rc))
        return problems, detail, (out, err)
    try:
        with open(stats_path) as f:
            st = json.load(f)
        t, drops, ports = st["totals"], st["drops"], st["ports"]
        if t["received"] != n_frames:
            problems.append("received %d, file has %d frames" % (t["received"], n_frames))
        if t["received"] != t["forwarded"] + t["dropped"]:
            problems.append("received %d != forwarded %d + dropped %d"
                            % (t["received"], t["forwarded"], t["dropped"]))
        per_frame = sum(v for k, v in drops.items() if k not in PER_COPY)
        if per_frame != t["dropped"]:
            problems.append("sum of drops (without %s) %d != dropped %d"
                            % ("/".join(PER_COPY), per_frame, t["dropped"]))
        monitor_path = os.path.join(tmp, "monitor.json")
        if os.path.exists(monitor_path):
            problems += check_monitor_events(monitor_path, ports)
        tx = {p: ports[p]["tx_packets"] for p in ports}
        if both_ways and tx.get("vb1", 0) + tx.get("uplink", 0) == 0:
            problems.append("nothing crossed the switch (vb1 and uplink tx_packets 0)")
        detail = "forwarded %d, dropped %d, tx %s (%s)" % (
            t["forwarded"], t["dropped"], " ".join("%s %d" % kv for kv in tx.items()),
            ", ".join("%s %d" % (k, v) for k, v in sorted(drops.items()) if v) or "no drops")
    except Exception as e:                  # noqa: BLE001
        problems.append("bad stats JSON: %s" % e)
    return problems, detail, (out, err)


def check_monitor_events(path, ports):
    """Verdicts on benign captures: only those the VM's own dropped violations explain."""
    problems = []
    with open(path) as f:
        for line in f:
            m = json.loads(line).get("monitor", {})
            if m.get("type") != "verdict":
                continue
            drops = (ports.get(m.get("vm"), {}) or {}).get("drops", {})
            for d in m.get("detections", []):
                reasons = VIOLATIONS.get(d)
                if reasons is None or not any(drops.get(r, 0) for r in reasons):
                    problems.append("monitor verdict on benign traffic: %s %s %s" % (
                        m.get("vm"), m.get("verdict"), d))
    return problems


def check_file(vigild, capture, keep, timeout):
    """Returns [(pass name, 'PASS'|'FAIL'|'SKIP', detail, (stdout, stderr) to show or None)]."""
    try:
        records = read_records(capture)
    except Exception as e:                  # noqa: BLE001
        return [("-", "SKIP", "unreadable by scapy: %s" % e, None)]
    types = {lt for _, lt, _, _ in records}
    if types - {LINKTYPE_ETHERNET}:
        return [("-", "SKIP", "link type %s is not Ethernet"
                 % sorted(t for t in types if t is not None), None)]
    results = []
    for name in ("trunk", "split"):
        tmp = tempfile.mkdtemp(prefix="vigil-corpus-%s-" % name)
        os.makedirs(os.path.join(tmp, "in"))
        os.makedirs(os.path.join(tmp, "out"))
        try:
            if name == "trunk":
                cfg = make_config(tmp, {"uplink": os.path.abspath(capture)})
                both, where = False, "%d frames on uplink" % len(records)
            else:
                inputs, vb1, n_vm, n_trunk = split_inputs(tmp, capture, records)
                cfg = make_config(tmp, inputs, vb1, monitor=True)
                both, where = n_vm > 0 and n_trunk > 0, "%d frames on vb1, %d on uplink" % (n_vm, n_trunk)
            problems, detail, output = run_pass(vigild, tmp, cfg, len(records), timeout, both)
            if problems:
                results.append((name, "FAIL", where + ": " + "; ".join(problems), output))
            else:
                results.append((name, "PASS", where + ": " + detail, None))
        finally:
            if keep:
                print("  kept temp dir: %s" % tmp)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="default: %(default)s")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        print("skipped: no corpus (%s)" % a.corpus)
        return 77
    files = sorted(f for f in os.listdir(a.corpus) if f.endswith((".pcap", ".pcapng")))
    if not files:
        print("skipped: no corpus (no .pcap/.pcapng in %s)" % a.corpus)
        return 77
    results = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for f in files:
        for pname, status, detail, output in check_file(
                os.path.abspath(a.vigild), os.path.join(a.corpus, f), a.keep, a.timeout):
            results[status] += 1
            print("%s %s [%s]: %s" % (status, f, pname, detail))
            if output:
                show_output(output[0], output[1], 3000)
    print("%s corpus: %d passes passed, %d failed, %d files skipped" % (
        "FAIL" if results["FAIL"] else "PASS", results["PASS"], results["FAIL"], results["SKIP"]))
    return 1 if results["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
