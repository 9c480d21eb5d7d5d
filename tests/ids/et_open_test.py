#!/usr/bin/python3
"""The whole Emerging Threats Open ruleset through vigil-rulecheck.

usage: et_open_test.py VIGIL_RULECHECK ET_OPEN_DIR

Prints the load report (rules loaded, skipped by reason) and fails unless the tool exits 0 with
no file errors, its count of enabled rules equals the count made here independently, loaded +
skipped == enabled, and at least 80% of the enabled rules load. Exits 77 ("skipped: no corpus")
when the corpus is absent.
"""
import glob
import json
import os
import re
import subprocess
import sys

SKIP = 77
MIN_LOADED = 0.80
ACTION = re.compile(r"(alert|drop|pass|reject|rejectsrc|rejectdst|rejectboth)\s")


def count_enabled(path):
    """Rule lines: after joining backslash continuations, lines starting with an action."""
    count = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        pending = ""
        for raw in f:
            line = raw.rstrip("\r\n").rstrip(" \t")
            if line.endswith("\\"):
                pending += line[:-1]
                continue
            logical = (pending + line).strip()
            pending = ""
            if ACTION.match(logical):
                count += 1
        if pending and ACTION.match(pending.strip()):
            count += 1
    return count


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    tool, corpus = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(corpus, "*.rules")))
    if not os.path.isdir(corpus) or not files:
        print("skipped: no corpus")
        return SKIP
    cmd = [tool, "--json", "--classification", os.path.join(corpus, "classification.config")]
    proc = subprocess.run(cmd + files, capture_output=True)
    sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
    try:
        report = json.loads(proc.stdout.decode("utf-8"))
    except ValueError as e:
        print(f"FAIL: vigil-rulecheck output is not JSON ({e}):")
        print(proc.stdout.decode("utf-8", "replace")[:2000])
        return 1

    expected = sum(count_enabled(f) for f in files)
    enabled, loaded, skipped = report["enabled"], report["loaded"], report["skipped"]
    print(f"files: {report['files']}  enabled: {enabled}  disabled: {report['disabled']}")
    print(f"loaded: {loaded} ({100.0 * loaded / max(enabled, 1):.1f}%)  skipped: {skipped}")
    print("skipped by reason:")
    for reason, n in sorted(report["skipped_by_reason"].items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:6d}  {reason}")
    if report["samples"]:
        print("samples:")
        for s in report["samples"]:
            print(f"  {s}")

    failures = []
    if proc.returncode != 0:
        failures.append(f"vigil-rulecheck exited {proc.returncode}")
    if report["file_errors"]:
        failures.append(f"file errors: {report['file_errors']}")
    if report["files"] != len(files):
        failures.append(f"{report['files']} files read, {len(files)} given")
    if enabled != expected:
        failures.append(f"enabled {enabled} != {expected} counted independently")
    if loaded + skipped != enabled:
        failures.append(f"loaded {loaded} + skipped {skipped} != enabled {enabled}")
    if sum(report["skipped_by_reason"].values()) != skipped:
        failures.append("skipped_by_reason does not add up to skipped")
    if loaded < MIN_LOADED * enabled:
        failures.append(f"only {loaded} of {enabled} loaded (< {MIN_LOADED:.0%})")
    for f in failures:
        print(f"FAIL: {f}")
    if not failures:
        print("PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
