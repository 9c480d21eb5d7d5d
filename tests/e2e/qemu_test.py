#!/usr/bin/python3
"""End-to-end with real QEMU guests (TCG) on vigild's vhost-user ports.

    qemu_test.py --vigild build/vigild [--guest-dir build/guest] [--keep] [scenario ...]

Scenarios (default: all):
  isolation  vigild owns three vhost-user sockets (server mode); tenant blue (VLAN 10) has g1, g2,
             tenant red (VLAN 20) has g3, all three in 10.0.10.0/24. g1 pings g2 (at least 4 of
             5 replies), g1 pings g3 and g3 pings g1 and g2 (no reply: only the VLANs separate
             them). vigild's counters: nothing was ever transmitted to g3, g3's frames were received.
  reconnect  QEMU owns the sockets (server=on,wait=off), vigild is the vhost client (mode: client).
             While g1 pings g2 (30 pings, 0.5 s apart), vigild is killed with SIGKILL and
             restarted; replies must come back after the restart.

The guest (kernel + busybox initramfs) is built by scripts/guest/build_guest.sh into --guest-dir
(reused when up to date). QEMUs are pinned to CPU 0, vigild's worker to CPU 1 (--lcores 0@0,1@1).
Exit 0 pass, 1 fail, 77 skip (a prerequisite cannot exist here: no QEMU package installable,
fewer than 2 CPUs). Everything started is killed and every socket removed, pass or fail.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_GUEST = os.path.join(REPO, "scripts", "guest", "build_guest.sh")
QEMU = "qemu-system-x86_64"
SKIP = 77

QEMU_CPU = "0"        # all guests
VIGILD_MAIN_CPU = "0"    # vigild's main lcore (stats, mostly asleep) shares CPU 0 with QEMU
VIGILD_WORKER_CPU = "1"  # its one worker lcore (busy polls) has CPU 1 to itself


def log(msg):
    print("[%7.2f] %s" % (time.monotonic() - T0, msg), flush=True)


T0 = time.monotonic()


class Failure(Exception):
    pass


class Procs:
    """Every process this test starts, killed (by its own pid/process group) at the end."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, out_path):
        out = open(out_path, "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        out.close()
        p.vigil_name = name
        self.procs.append(p)
        return p

    @staticmethod
    def kill(p, sig=signal.SIGKILL):
        if p.poll() is None:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, p, timeout=10):
        """SIGTERM, then SIGKILL after timeout. Returns the exit code."""
        if p.poll() is None:
            self.kill(p, signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                log("%s did not exit %ds after SIGTERM: SIGKILL" % (p.vigil_name, timeout))
                self.kill(p)
                p.wait(5)
        return p.returncode

    def cleanup(self):
        for p in self.procs:
            self.kill(p)
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                log("WARNING: %s (pid %d) survived SIGKILL" % (p.vigil_name, p.pid))
        self.procs = []


def wait_until(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Guest:
    def __init__(self, procs, tmp, guest_dir, name, mac, sock, server, append):
        self.procs, self.name, self.mac, self.sock = procs, name, mac, sock
        self.console = os.path.join(tmp, name + ".console.log")
        self.qemu_log = os.path.join(tmp, name + ".qemu.log")
        chardev = "socket,id=chr0,path=%s" % sock + (",server=on,wait=off" if server else "")
        self.argv = [
            "taskset", "-c", QEMU_CPU, QEMU,
            "-accel", "tcg", "-M", "pc", "-cpu", "max", "-m", "256", "-smp", "1",
            "-nographic", "-no-reboot", "-nodefaults", "-monitor", "none",
            "-serial", "file:" + self.console,
            "-object", "memory-backend-memfd,id=mem0,size=256M,share=on", "-numa", "node,memdev=mem0",
            "-chardev", chardev,
            "-netdev", "vhost-user,id=net0,chardev=chr0",
            "-device", "virtio-net-pci,netdev=net0,mac=%s,romfile=,vectors=0" % mac,
            "-kernel", os.path.join(guest_dir, "vmlinuz"),
            "-initrd", os.path.join(guest_dir, "initrd.gz"),
            "-append", "console=ttyS0 quiet panic=-1 " + append,
        ]
        self.proc = None
        self.t_start = None

    def start(self):
        self.t_start = time.monotonic()
        self.proc = self.procs.start("qemu-" + self.name, self.argv, self.qemu_log)
        log("%s: started QEMU pid %d (%s)" % (self.name, self.proc.pid, self.argv[-1]))

    def text(self):
        try:
            with open(self.console, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def lines(self, prefix):
        return [l[l.index(prefix):].strip() for l in self.text().splitlines() if prefix in l]

    def wait_for(self, prefix, timeout):
        """Wait for a console line containing prefix; fails early if QEMU exits without it."""
        def seen():
            if self.lines(prefix):
                return True
            if self.proc.poll() is not None:
                time.sleep(0.2)
                return "exited"
            return False
        r = wait_until(seen, timeout)
        if r is True or self.lines(prefix):
            return self.lines(prefix)
        why = ("QEMU exited with %s" % self.proc.returncode) if r == "exited" else "timeout %ds" % timeout
        raise Failure("%s: no '%s' on the console (%s)\n%s" % (self.name, prefix, why, self.diag()))

    def results(self):
        """{target: (sent, received)} from VIGIL-RESULT lines."""
        out = {}
        for l in self.lines("VIGIL-RESULT"):
            m = re.match(r"VIGIL-RESULT ping (\S+) sent=(\d+) received=(\d+)", l)
            if m:
                out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
        return out

    def replies(self):
        """[(guest uptime, icmp seq)] of VIGIL-REPLY lines."""
        out = []
        for l in self.lines("VIGIL-REPLY"):
            m = re.match(r"VIGIL-REPLY t=([\d.]+) .*seq=(\d+)", l)
            if m:
                out.append((float(m.group(1)), int(m.group(2))))
        return out

    def diag(self):
        tail = "\n".join(self.text().splitlines()[-25:])
        try:
            with open(self.qemu_log, errors="replace") as f:
                q = f.read()[-2000:]
        except FileNotFoundError:
            q = ""
        return "  --- %s console (tail) ---\n%s\n  --- %s QEMU stderr ---\n%s" % (self.name, tail, self.name, q)


class Vigild:
    def __init__(self, procs, tmp, binary, ports, tenants):
        self.procs, self.tmp, self.binary = procs, tmp, binary
        self.config = os.path.join(tmp, "vigil.yaml")
        self.stats = os.path.join(tmp, "stats.json")
        self.runs = 0
        self.proc = None
        with open(self.config, "w") as f:
            f.write("# written by tests/e2e/qemu_test.py\nports:\n")
            for p in ports:
                f.write("  - {name: %s, kind: vhost-user, socket: %s, mode: %s, queues: 1}\n"
                        % (p["name"], p["socket"], p["mode"]))
            f.write("tenants:\n")
            for t in tenants:
                f.write("  - name: %s\n    vlan: %d\n    vms:\n" % (t["name"], t["vlan"]))
                for vm in t["vms"]:
                    f.write('      - {port: %s, mac: "%s", ipv4: [%s]}\n' % (vm["port"], vm["mac"], vm["ip"]))

    def start(self):
        self.runs += 1
        self.log = os.path.join(self.tmp, "vigild.%d.log" % self.runs)
        argv = [self.binary, "--config", self.config, "--stats-json", self.stats,
                "--eal", "--lcores 0@%s,1@%s" % (VIGILD_MAIN_CPU, VIGILD_WORKER_CPU)]
        self.proc = self.procs.start("vigild", argv, self.log)
        log("vigild: started pid %d (run %d): %s" % (self.proc.pid, self.runs, " ".join(argv)))
        return self.proc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self, what):
        if not self.alive():
            raise Failure("vigild exited (status %s) %s\n%s" % (self.proc.returncode, what, self.tail()))

    def tail(self, n=40):
        try:
            with open(self.log, errors="replace") as f:
                return "  --- vigild log (tail) ---\n" + "\n".join(f.read().splitlines()[-n:])
        except FileNotFoundError:
            return ""

    def read_stats(self):
        try:
            with open(self.stats) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None


def port_counter(stats, port, key):
    ports = (stats or {}).get("ports") or {}
    p = ports.get(port)
    if isinstance(p, dict):
        return p.get(key)
    if isinstance(ports, list):  # tolerate a list of {"name": ...}
        for q in ports:
            if q.get("name") == port:
                return q.get(key)
    return None


# ---------------------------------------------------------------------------------------------
BLUE = [("g1", "52:54:00:00:0a:01", "10.0.10.1"), ("g2", "52:54:00:00:0a:02", "10.0.10.2")]
RED = [("g3", "52:54:00:00:14:03", "10.0.10.3")]


def scenario_isolation(args, procs, tmp, report):
    socks = {n: os.path.join(tmp, n + ".sock") for n, _, _ in BLUE + RED}
    ports = [{"name": n, "socket": socks[n], "mode": "server"} for n, _, _ in BLUE + RED]
    tenants = [
        {"name": "blue", "vlan": 10, "vms": [{"port": n, "mac": m, "ip": ip} for n, m, ip in BLUE]},
        {"name": "red", "vlan": 20, "vms": [{"port": n, "mac": m, "ip": ip} for n, m, ip in RED]},
    ]
    vg = Vigild(procs, tmp, args.vigild, ports, tenants)
    t0 = time.monotonic()
    vg.start()
    if not wait_until(lambda: all(os.path.exists(s) for s in socks.values()) or not vg.alive(), 30):
        raise Failure("vigild did not create its vhost-user sockets within 30 s\n" + vg.tail())
    vg.check_alive("at startup")
    t_sockets = time.monotonic() - t0
    log("vigild: sockets present after %.2f s" % t_sockets)

    g = {}
    common = "vigil_count=5 vigil_interval=0.5 vigil_wait=2"
    g["g2"] = Guest(procs, tmp, args.guest_dir, "g2", BLUE[1][1], socks["g2"], False,
                    "vigil_ip=10.0.10.2/24 vigil_mode=serve")
    g["g3"] = Guest(procs, tmp, args.guest_dir, "g3", RED[0][1], socks["g3"], False,
                    "vigil_ip=10.0.10.3/24 vigil_mode=ping vigil_ping=10.0.10.1,10.0.10.2 " + common)
    g["g1"] = Guest(procs, tmp, args.guest_dir, "g1", BLUE[0][1], socks["g1"], False,
                    "vigil_ip=10.0.10.1/24 vigil_mode=ping vigil_ping=10.0.10.2,10.0.10.3 "
                    "vigil_verbose=1 " + common)
    # g2 must answer before g1 starts pinging: start it first and wait until it is ready.
    g["g2"].start()
    g["g2"].wait_for("VIGIL-READY", 90)
    t_g2 = time.monotonic() - g["g2"].t_start
    log("g2: ready %.2f s after start" % t_g2)
    g["g3"].start()
    g["g1"].start()
    g["g1"].wait_for("VIGIL-DONE", 120)
    g["g3"].wait_for("VIGIL-DONE", 120)
    t_pings = time.monotonic() - g["g1"].t_start
    vg.check_alive("while the guests ran")
    # Let vigild rewrite its stats (every second), then stop it for the final counters.
    time.sleep(1.5)
    live = vg.read_stats()
    rc = procs.stop(vg.proc, 15)
    final = vg.read_stats() or live
    for x in g.values():
        procs.stop(x.proc, 5)
    elapsed = time.monotonic() - t0

    r1, r3 = g["g1"].results(), g["g3"].results()
    log("g1 results %s; g3 results %s" % (r1, r3))
    fails = []
    s, rcv = r1.get("10.0.10.2", (0, 0))
    if rcv < 4:
        fails.append("g1 -> g2 (blue, same VLAN): %d of %d replies, expected >= 4" % (rcv, s))
    for who, res, tgt in (("g1", r1, "10.0.10.3"), ("g3", r3, "10.0.10.1"), ("g3", r3, "10.0.10.2")):
        if tgt not in res:
            fails.append("%s -> %s: no result line" % (who, tgt))
        elif res[tgt][1] != 0:
            fails.append("%s -> %s crosses tenants (blue/red): %d of %d replies, expected 0"
                         % (who, tgt, res[tgt][1], res[tgt][0]))
    if rc != 0:
        fails.append("vigild exited with %s on SIGTERM (expected 0)" % rc)
    if final is None:
        fails.append("vigild wrote no readable --stats-json %s" % vg.stats)
    else:
        g3_tx, g3_rx = port_counter(final, "g3", "tx_packets"), port_counter(final, "g3", "rx_packets")
        g1_rx, g2_tx = port_counter(final, "g1", "rx_packets"), port_counter(final, "g2", "tx_packets")
        log("vigild counters: g1 rx %s, g2 tx %s, g3 rx %s, g3 tx %s; drops %s"
            % (g1_rx, g2_tx, g3_rx, g3_tx,
               {k: v for k, v in (final.get("drops") or {}).items() if v}))
        if g3_tx != 0:
            fails.append("vigild transmitted %s frames to g3 (red, alone in its tenant): expected 0" % g3_tx)
        if not g3_rx:
            fails.append("vigild received nothing from g3 (rx_packets %s): g3's vhost path is not "
                         "working, so the isolation result proves nothing" % g3_rx)
        if not g1_rx or not g2_tx:
            fails.append("vigild counters show no blue traffic (g1 rx %s, g2 tx %s)" % (g1_rx, g2_tx))
    report.append("isolation: vigild sockets %.1f s, g2 ready %.1f s after start, g1/g3 pings done "
                  "%.1f s after start, scenario %.1f s; g1->g2 %s, g1->g3 %s, g3->g1 %s, g3->g2 %s"
                  % (t_sockets, t_g2, t_pings, elapsed, fmt(r1, "10.0.10.2"), fmt(r1, "10.0.10.3"),
                     fmt(r3, "10.0.10.1"), fmt(r3, "10.0.10.2")))
    if fails:
        raise Failure("\n".join(fails) + "\n" + vg.tail(20) + "\n" +
                      "\n".join(x.diag() for x in g.values()))


def fmt(res, tgt):
    return "%d/%d" % (res[tgt][1], res[tgt][0]) if tgt in res else "none"


def scenario_reconnect(args, procs, tmp, report):
    socks = {n: os.path.join(tmp, n + ".sock") for n, _, _ in BLUE}
    ports = [{"name": n, "socket": socks[n], "mode": "client"} for n, _, _ in BLUE]
    tenants = [{"name": "blue", "vlan": 10,
                "vms": [{"port": n, "mac": m, "ip": ip} for n, m, ip in BLUE]}]
    vg = Vigild(procs, tmp, args.vigild, ports, tenants)
    count, interval = 30, 0.5
    t0 = time.monotonic()
    g2 = Guest(procs, tmp, args.guest_dir, "g2", BLUE[1][1], socks["g2"], True,
               "vigil_ip=10.0.10.2/24 vigil_mode=serve")
    g1 = Guest(procs, tmp, args.guest_dir, "g1", BLUE[0][1], socks["g1"], True,
               "vigil_ip=10.0.10.1/24 vigil_mode=ping vigil_ping=10.0.10.2 vigil_count=%d "
               "vigil_interval=%s vigil_wait=3 vigil_verbose=1" % (count, interval))
    # QEMU owns the sockets: start both guests, then vigild connects to them.
    g2.start()
    g1.start()
    if not wait_until(lambda: all(os.path.exists(s) for s in socks.values()), 30):
        raise Failure("QEMU did not create the vhost-user sockets within 30 s\n%s\n%s"
                      % (g1.diag(), g2.diag()))
    vg.start()
    # Kill vigild once g1 has had 3 replies: traffic flowed through the first vigild.
    if not wait_until(lambda: len(g1.replies()) >= 3 or g1.proc.poll() is not None
                      or not vg.alive(), 90):
        raise Failure("g1 got fewer than 3 replies within 90 s of start\n%s\n%s\n%s"
                      % (vg.tail(20), g1.diag(), g2.diag()))
    vg.check_alive("before the kill")
    if len(g1.replies()) < 3:
        raise Failure("g1 stopped before 3 replies\n%s\n%s" % (g1.diag(), vg.tail(20)))
    before = g1.replies()
    t_first = time.monotonic() - g1.t_start
    Procs.kill(vg.proc, signal.SIGKILL)
    vg.proc.wait(5)
    t_kill = time.monotonic()
    log("vigild: killed with SIGKILL after g1's reply seq %d" % before[-1][1])
    time.sleep(1.0)
    vg.start()
    t_restart = time.monotonic()
    at_restart = len(g1.replies())
    # Replies must resume.
    resumed = wait_until(lambda: len(g1.replies()) > at_restart or g1.proc.poll() is not None, 60)
    t_resume = time.monotonic() - t_restart
    g1.wait_for("VIGIL-DONE", 60)
    vg.check_alive("after the restart")
    rc = procs.stop(vg.proc, 15)
    final = vg.read_stats()  # the restarted vigild's counters (they start at zero)
    procs.stop(g1.proc, 5)
    procs.stop(g2.proc, 5)
    elapsed = time.monotonic() - t0

    res = g1.results().get("10.0.10.2", (0, 0))
    reps = g1.replies()
    after = len(reps) - at_restart
    seqs = [s for _, s in reps]
    missing = sorted(set(range(res[0])) - set(seqs))
    log("g1: %d/%d replies, %d after the restart, missing seqs %s" % (res[1], res[0], after, missing))
    fails = []
    if after <= 0 or not resumed:
        fails.append("no reply after vigild was restarted (%d replies before the restart, %d/%d in total)"
                     % (at_restart, res[1], res[0]))
    if rc != 0:
        fails.append("the restarted vigild exited with %s on SIGTERM (expected 0)" % rc)
    g1_rx, g2_tx = port_counter(final, "g1", "rx_packets"), port_counter(final, "g2", "tx_packets")
    log("restarted vigild's counters: g1 rx %s, g2 tx %s" % (g1_rx, g2_tx))
    if not g1_rx or not g2_tx:
        fails.append("the restarted vigild's counters show no g1 -> g2 traffic (g1 rx %s, g2 tx %s)"
                     % (g1_rx, g2_tx))
    report.append("reconnect: first 3 replies %.1f s after g1 start, vigild down %.1f s, replies resumed "
                  "%.1f s after the restart, %d/%d replies (%d after restart), lost seqs %s, scenario %.1f s"
                  % (t_first, t_restart - t_kill, t_resume, res[1], res[0], after, missing, elapsed))
    if fails:
        raise Failure("\n".join(fails) + "\n" + vg.tail(30) + "\n" + g1.diag() + "\n" + g2.diag())


SCENARIOS = {"isolation": scenario_isolation, "reconnect": scenario_reconnect}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vigild", required=True)
    ap.add_argument("--guest-dir", default=os.path.join(REPO, "build", "guest"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, configs)")
    ap.add_argument("scenarios", nargs="*", help="any of: " + ", ".join(SCENARIOS))
    args = ap.parse_args()
    for n in args.scenarios:
        if n not in SCENARIOS:
            ap.error("unknown scenario %r (expected %s)" % (n, ", ".join(SCENARIOS)))
    args.vigild = os.path.abspath(args.vigild)
    names = args.scenarios or ["isolation", "reconnect"]

    if not os.access(args.vigild, os.X_OK):
        print("FAIL: vigild %s is not executable" % args.vigild)
        return 1
    if (os.cpu_count() or 1) < 2:
        print("SKIP: needs 2 CPUs (QEMU on one, vigild's worker on the other)")
        return SKIP
    try:
        subprocess.run([BUILD_GUEST, args.guest_dir], check=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        if shutil.which(QEMU) is None:
            print("SKIP: %s missing and cannot be installed (%s)" % (QEMU, e))
            return SKIP
        print("FAIL: building the guest failed: %s" % e)
        return 1
    if shutil.which(QEMU) is None:
        print("SKIP: %s not found" % QEMU)
        return SKIP

    report, failed = [], []
    for name in names:
        tmp = tempfile.mkdtemp(prefix="vigil-qemu-%s-" % name)
        procs = Procs()
        log("=== %s (logs in %s)" % (name, tmp))
        try:
            SCENARIOS[name](args, procs, tmp, report)
            log("=== %s: PASS" % name)
        except Failure as e:
            failed.append(name)
            print("FAIL %s: %s" % (name, e), flush=True)
        except Exception:
            failed.append(name)
            import traceback
            traceback.print_exc()
        finally:
            procs.cleanup()
            for f in os.listdir(tmp):
                if f.endswith(".sock"):
                    os.unlink(os.path.join(tmp, f))
            if args.keep or name in failed:
                print("logs kept in %s" % tmp)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(report))
    print("%s: %s" % ("FAIL" if failed else "PASS",
                      ", ".join("%s %s" % (n, "FAIL" if n in failed else "PASS") for n in names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
