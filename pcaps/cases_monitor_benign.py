"""Case `mon_benign`: a compressed day of normal traffic that must raise no monitor event at all
(CONTRACT.md, Monitors; the framework is in cases_monitor.py).

Tenants blue (vb1 web server, vb2 database, vb3 application, vb4 a VM that backs up) and red
(vr1, vr2), one trunk. The load follows a 180-s "day": 50 % of its mean at night (t = 0, when
the 30 warm-up intervals are learnt), 150 % at noon (t = 90 s). At 100-103 s vb4 pushes a backup
to a server behind the trunk at about 100 frames a second, far above its own history (it is
otherwise silent) but under the out_pps floor (200): the floors must keep it from escalating.
Every figure of every VM stays under 0.8 x its floor throughout (checked by cases_monitor.py).
"""
from caselib import make_config
from cases_firewall import tcp4
from cases_monitor import MonCase, monitor_config
from cases_monitor_traffic import Schedule, diurnal, ext, learn_all, workload
from frames import Host

DAY_S = 180


def _backup(sch, rng, vm, server, start, seconds, per_s=100):
    """One TCP connection carrying per_s 1000-byte segments a second, an ACK for every two."""
    sp, a, b = 45000, rng.randrange(1 << 32), rng.randrange(1 << 32)
    sch.add(start, vm, tcp4(vm, server, sp, 873, "S", a))
    sch.add(start + 0.0004, server, tcp4(server, vm, 873, sp, "SA", b, a + 1))
    sch.add(start + 0.0008, vm, tcp4(vm, server, sp, 873, "A", a + 1, b + 1))
    chunk = (bytes(range(256)) * 4)[:1000]
    seq = a + 1
    for i in range(seconds * per_s):
        t = start + 0.01 + i * (1.0 / per_s) * 0.98
        sch.add(t, vm, tcp4(vm, server, sp, 873, "PA", seq, b + 1, chunk))
        seq += len(chunk)
        if i % 2:
            sch.add(t + 0.0003, server, tcp4(server, vm, 873, sp, "A", b + 1, seq))
    t = start + seconds + 0.001
    sch.add(t, vm, tcp4(vm, server, sp, 873, "FA", seq, b + 1))
    sch.add(t + 0.0004, server, tcp4(server, vm, 873, sp, "FA", b + 1, seq + 1))
    sch.add(t + 0.0008, vm, tcp4(vm, server, sp, 873, "A", seq + 1, b + 2))


def mon_benign():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3", "vb4"]), ("red", 20, ["vr1", "vr2"])],
                         trunks=[{"port": "uplink"}])
    monitor_config(cfg)
    c = MonCase("mon_benign", cfg, 66)
    web, db, app, bk, r1, r2 = (H[p] for p in ("vb1", "vb2", "vb3", "vb4", "vr1", "vr2"))
    gw, gw_r = Host(10, 0x64, "uplink"), Host(20, 0x64, "uplink")
    resolver, resolver_r = Host(10, 0x35, "uplink"), Host(20, 0x35, "uplink")
    backup = Host(10, 0x42, "uplink")
    clients = [ext(gw, "198.51.100.%d" % n) for n in range(10, 40)]
    sites = [ext(gw_r, "203.0.113.%d" % n) for n in (80, 81, 82)]
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [web, db, app, bk, r1, r2, gw, gw_r, resolver, resolver_r, backup])
    flows = [(clients, web, "tcp", 443, 0.9), (web, app, "tcp", 8080, 0.4),
             (app, db, "tcp", 5432, 0.5), (web, resolver, "dns", 53, 0.3),
             (app, resolver, "dns", 53, 0.2), (bk, db, "ping", 0, 0.05),
             (r1, r2, "ping6", 0, 0.3), (r1, sites, "tcp", 443, 0.4),
             (r2, resolver_r, "dns", 53, 0.3), (r2, r1, "tcp", 22, 0.1)]
    workload(sch, rng, flows, 0.2, DAY_S, factor=diurnal(DAY_S))
    _backup(sch, rng, bk, backup, 100.05, 3)
    sch.run()
    c.write()
