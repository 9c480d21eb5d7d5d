"""Helpers shared by run_case.py and corpus_test.py (pcap reading, running vigild)."""
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
