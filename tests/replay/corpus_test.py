#!/usr/bin/python3
"""Replay every real capture of the shared corpus through vigild (robustness + accounting).

    corpus_test.py --vigild build/vigild [--corpus DIR] [--keep]

Each .pcap/.pcapng file is the input of a trunk port `uplink` (native VLAN 10; tenant blue
VLAN 10 with 2 VMs, tenant red VLAN 20 with 1 VM, VM inputs empty). Checks: exit code 0,
totals.received == frames in the file, received == forwarded + dropped,
sum(drops) - tx_full == dropped. Files whose link type is not Ethernet are skipped.
Exit 0 on pass, 1 on failure, 77 (ctest SKIP_RETURN_CODE) when the corpus is absent.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from replay_common import LINKTYPE_ETHERNET, read_frames, run_vigild, show_output  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(os.path.dirname(REPO), "shared", "corpus", "pcaps")
EMPTY_PCAP = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")


def make_config(tmp, capture):
    vms = [("vb1", 10, 1), ("vb2", 10, 2), ("vr1", 20, 1)]
    ports = []
    for name, _, _ in vms:
        rx = os.path.join(tmp, "in", name + ".pcap")
        with open(rx, "wb") as f:
            f.write(EMPTY_PCAP)
        ports.append({"name": name, "kind": "pcap", "rx_pcap": rx,
                      "tx_pcap": os.path.join(tmp, "out", name + ".pcap")})
    ports.append({"name": "uplink", "kind": "pcap", "rx_pcap": os.path.abspath(capture),
                  "tx_pcap": os.path.join(tmp, "out", "uplink.pcap")})
    tenants = []
    for tname, vlan in (("blue", 10), ("red", 20)):
        tenants.append({"name": tname, "vlan": vlan, "vms": [
            {"port": n, "mac": "02:00:00:00:%02x:%02x" % (v, i), "ipv4": ["10.0.%d.%d" % (v, i)],
             "ipv6": ["fd00:%d::%x" % (v, i)]} for n, v, i in vms if v == vlan]})
    cfg = {"ports": ports, "tenants": tenants, "trunks": [{"port": "uplink", "native_vlan": 10}]}
    path = os.path.join(tmp, "config.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path


def check_file(vigild, capture, keep, timeout):
    """Returns ('PASS'|'FAIL'|'SKIP', detail, (stdout, stderr) to show or None)."""
    try:
        frames = read_frames(capture)
    except Exception as e:                  # noqa: BLE001
        return "SKIP", "unreadable by scapy: %s" % e, None
    types = {lt for _, lt in frames}
    if types - {LINKTYPE_ETHERNET}:
        return "SKIP", "link type %s is not Ethernet" % sorted(t for t in types if t is not None), None
    tmp = tempfile.mkdtemp(prefix="vigil-corpus-")
    os.makedirs(os.path.join(tmp, "in"))
    os.makedirs(os.path.join(tmp, "out"))
    try:
        cfg = make_config(tmp, capture)
        stats_path = os.path.join(tmp, "stats.json")
        rc, out, err = run_vigild(vigild, cfg, stats_path, timeout)
        problems = []
        if rc != 0:
            problems.append("vigild %s" % ("timed out" if rc is None else "exited with code %d" % rc))
        else:
            try:
                with open(stats_path) as f:
                    st = json.load(f)
                t, drops = st["totals"], st["drops"]
                if t["received"] != len(frames):
                    problems.append("received %d, file has %d frames" % (t["received"], len(frames)))
                if t["received"] != t["forwarded"] + t["dropped"]:
                    problems.append("received %d != forwarded %d + dropped %d"
                                    % (t["received"], t["forwarded"], t["dropped"]))
                if sum(drops.values()) - drops.get("tx_full", 0) != t["dropped"]:
                    problems.append("sum of drops (without tx_full) %d != dropped %d"
                                    % (sum(drops.values()) - drops.get("tx_full", 0), t["dropped"]))
                detail = "%d frames, forwarded %d, dropped %d (%s)" % (
                    len(frames), t["forwarded"], t["dropped"],
                    ", ".join("%s %d" % (k, v) for k, v in sorted(drops.items()) if v) or "no drops")
            except Exception as e:          # noqa: BLE001
                problems.append("bad stats JSON: %s" % e)
        if problems:
            return "FAIL", "; ".join(problems), (out, err)
        return "PASS", detail, None
    finally:
        if keep:
            print("  kept temp dir: %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


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
        status, detail, output = check_file(os.path.abspath(a.vigild), os.path.join(a.corpus, f),
                                            a.keep, a.timeout)
        results[status] += 1
        print("%s %s: %s" % (status, f, detail))
        if output:
            show_output(output[0], output[1], 3000)
    print("%s corpus: %d passed, %d failed, %d skipped" % (
        "FAIL" if results["FAIL"] else "PASS", results["PASS"], results["FAIL"], results["SKIP"]))
    return 1 if results["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
