"""Cases `mon_hscan`, `mon_vscan`, `mon_fanout`: a VM scanning addresses, scanning the ports of
a neighbour, and contacting every VM of the host (CONTRACT.md, Monitors; the framework is in
cases_monitor.py).

Each case: 40 s of normal traffic (warm-up: 30 intervals), the behaviour in whole 1-s intervals
from t = 40 s, then quiet normal traffic long enough for the release (cooldown_s 10). The
attacker's own normal traffic pauses around its attack, so its limited window holds only the
attack (and its frames there are optional in the expected outputs).
"""
from caselib import make_config
from cases_firewall import echo, tcp4
from cases_monitor import Limit, MonCase, monitor_config
from cases_monitor_traffic import Schedule, ext, learn_all, workload
from frames import Host


def _answer(sch, rng, t, target, scanner, sport, dport, isn, opened):
    """The target's answer to a SYN: SYN-ACK from an open port (the scanner, which never meant to
    connect, resets it: nmap -sS), else RST|ACK."""
    if opened:
        b = rng.randrange(1 << 32)
        sch.add(t + 0.0005, target, tcp4(target, scanner, dport, sport, "SA", b, isn + 1))
        sch.add(t + 0.0010, scanner, tcp4(scanner, target, sport, dport, "R", isn + 1))
    else:
        sch.add(t + 0.0005, target, tcp4(target, scanner, dport, sport, "RA", 0, isn + 1))


# ---------------------------------------------------------------- mon_hscan
def mon_hscan():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    monitor_config(cfg)                 # default floors and playbooks: attacker -> rate_limit
    c = MonCase("mon_hscan", cfg, 61)
    a, db, app = H["vb1"], H["vb2"], H["vb3"]
    gw, resolver = Host(10, 0x64, "uplink"), Host(10, 0x35, "uplink")
    web, client = ext(gw, "203.0.113.80"), ext(gw, "198.51.100.23")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [a, db, app, gw, resolver])
    flows = [(a, web, "tcp", 443, 0.5), (a, resolver, "dns", 53, 0.5), (a, db, "tcp", 5432, 0.5),
             (app, db, "tcp", 5432, 0.6), (app, web, "tcp", 443, 0.3), (db, resolver, "dns", 53, 0.2),
             (client, app, "tcp", 80, 0.5)]
    workload(sch, rng, flows, 0.2, 60, pause=[("vb1", 39.5, 45.5)])
    # SYNs to port 22 of 172.16.5.1-100 (another site, behind the router) at 50 a second, then a
    # second pass over the same addresses (nmap's retries): vb1 is escalated and judged an
    # attacker at the end of its first scan second (or the next), then rate-limited: at 10 new
    # connections a second, most of the second pass is dropped (monitor_conn_limit).
    for p in range(2):
        for i in range(100):
            t = 40 + p * 2 + 0.005 + i * 0.0198
            dst, sport, isn = ext(gw, "172.16.5.%d" % (i + 1)), 40000 + p * 100 + i, rng.randrange(1 << 32)
            sch.add(t, a, tcp4(a, dst, sport, 22, "S", isn))
            if i % 20 == 3 or i % 33 == 7:
                _answer(sch, rng, t, dst, a, sport, 22, isn, i % 33 == 7)
    c.limits["vb1"] = Limit("vb1", "rate", 40, 44)
    sch.run()
    c.anomalous("vb1", 40, 44, ["distinct_dst_ips", "out_syn_per_s", "failed_per_s"])
    c.episode("vb1", "attacker", ["horizontal_scan"], 40, 44, actions=["rate_limit"])
    c.monitor_drops = {"monitor_conn_limit": ">0"}
    c.write()


# ---------------------------------------------------------------- mon_vscan
def mon_vscan():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    monitor_config(cfg, playbooks=[      # the defaults' shape, spelled out, tighter limits
        {"verdict": "attacker", "actions": ["alert", "rate_limit"], "rate_pps": 500,
         "new_conn_per_s": 5, "release_after_s": 10},
        {"verdict": "victim", "actions": ["alert"], "release_after_s": 10}])
    c = MonCase("mon_vscan", cfg, 62)
    a, b, other = H["vb1"], H["vb2"], H["vb3"]
    gw, resolver = Host(10, 0x64, "uplink"), Host(10, 0x35, "uplink")
    web = ext(gw, "203.0.113.80")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [a, b, other, gw, resolver])
    flows = [(a, b, "tcp", 80, 0.5), (a, resolver, "dns", 53, 0.4), (a, web, "tcp", 443, 0.3),
             (other, b, "tcp", 80, 0.5), (other, b, "ping", 0, 0.3), (b, resolver, "dns", 53, 0.3)]
    workload(sch, rng, flows, 0.2, 60, pause=[("vb1", 39.5, 44.5)])
    # vb1 probes ports 1-300 of vb2, 100 a second: vb1 attacker (vertical_scan), vb2 victim
    # (100 connection attempts a second against a floor of 50: syn_flood). vb2 answers every
    # probe (RST, or SYN-ACK from 22, 80, 443 and 5432, which vb1 resets). Once vb1 is limited
    # (5 new connections a second) vb2's inbound falls under its floor: its anomaly may end after
    # the first scan second, so its release may come from 51 s on. Like nmap -sS, one source
    # port for all probes (vb2's answers go to one port of one address).
    isn = rng.randrange(1 << 32)
    for i in range(300):
        t, port = 40 + (i // 100) + 0.004 + (i % 100) * 0.0099, i + 1
        sch.add(t, a, tcp4(a, b, 51234, port, "S", isn + i * 7))
        _answer(sch, rng, t, b, a, 51234, port, isn + i * 7, port in (22, 80, 443, 5432))
    c.limits["vb1"] = Limit("vb1", "rate", 40, 43)
    sch.run()
    c.anomalous("vb1", 40, 43, ["distinct_dst_ports", "out_syn_per_s", "failed_per_s"])
    c.anomalous("vb2", 40, 43, ["in_syn_per_s"])
    c.episode("vb1", "attacker", ["vertical_scan"], 40, 43, actions=["rate_limit"])
    c.episode("vb2", "victim", ["syn_flood"], 40, 43, last=(41, 43))
    c.monitor_drops = {"monitor_conn_limit": ">0"}
    c.write()


# ---------------------------------------------------------------- mon_fanout
PORTS = [22, 80, 443, 3306, 5432, 6379, 8080, 9200]


def mon_fanout():
    vms = ["vb%d" % i for i in range(1, 9)]
    cfg, H = make_config([("blue", 10, vms)], trunks=[{"port": "uplink"}])
    monitor_config(cfg, floors={"distinct_inner_dsts": 4})
    c = MonCase("mon_fanout", cfg, 63)
    v = [H[p] for p in vms]
    gw, resolver = Host(10, 0x64, "uplink"), Host(10, 0x35, "uplink")
    web, client = ext(gw, "203.0.113.80"), ext(gw, "198.51.100.23")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, v + [gw, resolver])
    # three tiers: vb5 web (clients from outside), vb3/vb4 app, vb2 database; each VM talks to
    # at most two neighbours
    flows = [(v[0], v[1], "tcp", 5432, 0.4), (v[0], resolver, "dns", 53, 0.4),
             (v[2], v[1], "tcp", 5432, 0.4), (v[3], v[1], "tcp", 5432, 0.4),
             (v[4], v[2], "tcp", 8080, 0.4), (v[4], v[3], "tcp", 8080, 0.4),
             (client, v[4], "tcp", 80, 0.6), (v[5], web, "tcp", 443, 0.3),
             (v[6], v[5], "ping", 0, 0.3), (v[7], v[6], "tcp", 9200, 0.3),
             (v[7], resolver, "dns", 53, 0.2)]
    workload(sch, rng, flows, 0.2, 60, pause=[("vb1", 39.5, 45.5)])
    # vb1 (compromised) sweeps its neighbours for 4 s: each second it pings all 7 and knocks on
    # two ports of each (8 ports per VM in all); 22 and 80 answer SYN-ACK (vb1 resets), the
    # others RST. Seven inner destinations a second against a floor of 4: fan_out. 14 SYNs a
    # second stay under the syn floor (20); the limit (10 new connections a second) may or may
    # not bite, the pings keep all seven neighbours in view either way.
    for k in range(4):
        for j, d in enumerate(v[1:]):
            t = 40 + k + 0.02 + j * 0.13
            ident = 0x4000 + k * 16 + j
            sch.add(t, v[0], echo(v[0], d, ident, 1))
            sch.add(t + 0.0004, d, echo(d, v[0], ident, 1, reply=True))
            for n in range(2):
                port, sport, isn = PORTS[k * 2 + n], 41000 + k * 100 + j * 10 + n, rng.randrange(1 << 32)
                ts = t + 0.03 + n * 0.04
                sch.add(ts, v[0], tcp4(v[0], d, sport, port, "S", isn))
                _answer(sch, rng, ts, d, v[0], sport, port, isn, port in (22, 80))
    c.limits["vb1"] = Limit("vb1", "rate", 40, 44)
    sch.run()
    c.anomalous("vb1", 40, 44, ["distinct_inner_dsts"], free=["failed_per_s"])
    c.episode("vb1", "attacker", ["fan_out"], 40, 44, actions=["rate_limit"])
    c.monitor_drops = {"monitor_conn_limit": ">=0"}
    c.write()
