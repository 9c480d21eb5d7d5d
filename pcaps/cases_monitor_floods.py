"""Cases `mon_synflood` and `mon_spoof_host`: SYN floods against a VM (from many spoofed sources
through the trunk, then from a neighbour VM), and a VM that spoofs and reaches for the host
(CONTRACT.md, Monitors; the framework is in cases_monitor.py).

As in cases_monitor_scans.py: 40 s of normal traffic, the behaviour in whole 1-s intervals,
quiet normal traffic after it; the limited VM's own normal traffic pauses around its attack.
"""
from caselib import make_config
from cases_firewall import echo6, tcp4, udp4
from cases_monitor import Limit, MonCase, monitor_config
from cases_monitor_traffic import Schedule, dns, ext, learn_all, workload
from frames import Host, arp, arp_request, ping

HOST_ADDRS = ["192.168.100.1", "fd00:ffff::1"]


def _flood(sch, rng, start, seconds, per_s, sources, victim, answered, sport=None):
    """per_s SYNs a second to victim:80 from `sources` (a Host each, or one Host); the victim
    answers the first `answered` (SYN-ACK) and then nothing: its backlog is full."""
    for i in range(seconds * per_s):
        t = start + i // per_s + 0.003 + (i % per_s) * (0.99 / per_s)
        src = sources[i] if isinstance(sources, list) else sources
        sp, isn = sport(i) if sport else rng.randrange(1024, 65536), rng.randrange(1 << 32)
        sch.add(t, src, tcp4(src, victim, sp, 80, "S", isn))
        if i < answered:
            sch.add(t + 0.0004, victim, tcp4(victim, src, 80, sp, "SA", rng.randrange(1 << 32), isn + 1))


# ---------------------------------------------------------------- mon_synflood
def mon_synflood():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    monitor_config(cfg)
    c = MonCase("mon_synflood", cfg, 64)
    a, srv, other = H["vb1"], H["vb2"], H["vb3"]
    gw, resolver = Host(10, 0x64, "uplink"), Host(10, 0x35, "uplink")
    clients = [ext(gw, "198.51.100.%d" % n) for n in (11, 12, 13, 14)]
    web = ext(gw, "203.0.113.80")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [a, srv, other, gw, resolver])
    flows = [(clients, srv, "tcp", 80, 1.0), (a, srv, "tcp", 80, 0.4), (a, resolver, "dns", 53, 0.4),
             (other, web, "tcp", 443, 0.4), (other, srv, "ping", 0, 0.3), (srv, resolver, "dns", 53, 0.3)]
    workload(sch, rng, flows, 0.2, 80, pause=[("vb1", 59.5, 64.5)])
    # Part 1, 40-43 s: 300 SYNs a second to vb2:80 through the trunk, from 900 distinct spoofed
    # sources (100.64.0.0/10, routed in by gw): vb2 victim, spoofed_flood (distinct_src_ips
    # 300 against a floor of 50; in_syn_per_s 300 too). The trunk is no VM: nothing is limited.
    pool = rng.sample(range(1 << 22), 900)
    spoofed = [ext(gw, "100.%d.%d.%d" % (64 + (n >> 16), (n >> 8) & 255, n & 255)) for n in pool]
    _flood(sch, rng, 40, 3, 300, spoofed, srv, 8)
    # Part 2, 60-63 s: vb1 floods vb2:80 from its own address, 150 SYNs a second: vb1 attacker
    # (syn_flood), rate-limited (10 new connections a second: monitor_conn_limit); vb2 victim
    # again (in_syn_per_s 150), its inbound under the floor once vb1 is limited.
    _flood(sch, rng, 60, 3, 150, a, srv, 8, sport=lambda i: 20000 + i)
    c.limits["vb1"] = Limit("vb1", "rate", 60, 63)
    sch.run()
    c.anomalous("vb2", 40, 43, ["in_syn_per_s", "distinct_src_ips"])
    c.anomalous("vb2", 60, 63, ["in_syn_per_s"])
    c.anomalous("vb1", 60, 63, ["out_syn_per_s", "failed_per_s"])
    c.episode("vb2", "victim", ["spoofed_flood"], 40, 43)
    c.episode("vb1", "attacker", ["syn_flood"], 60, 63, actions=["rate_limit"])
    c.episode("vb2", "victim", ["syn_flood"], 60, 63, last=(61, 63))
    c.monitor_drops = {"monitor_conn_limit": ">0"}
    c.write()


# ---------------------------------------------------------------- mon_spoof_host
def mon_spoof_host():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    cfg["host"] = {"addresses": HOST_ADDRS}
    mgmt_net = ["10.0.10.250/32"]
    monitor_config(cfg, management=mgmt_net)    # default playbooks: quarantine + capture
    c = MonCase("mon_spoof_host", cfg, 65)
    a, b, other = H["vb1"], H["vb2"], H["vb3"]
    gw, mgmt = Host(10, 0x64, "uplink"), Host(10, 0xFA, "uplink")   # mgmt: resolver, patches
    web = ext(gw, "203.0.113.80")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [a, b, other, gw, mgmt])
    flows = [(a, b, "tcp", 8080, 0.5), (a, mgmt, "dns", 53, 0.4), (a, web, "tcp", 443, 0.3),
             (other, b, "tcp", 8080, 0.5), (b, mgmt, "dns", 53, 0.3), (other, web, "ping", 0, 0.2)]
    workload(sch, rng, flows, 0.2, 66, pause=[("vb1", 39.5, 56.5)])
    # 40-43 s, each second: vb1 sends UDP to vb2 from a foreign IPv4 source (4, spoofed_src_ip)
    # and from a foreign MAC (1, spoofed_src_mac), claims gw's address in an ARP reply
    # (spoofed_arp), knocks on the host's SSH port (3 SYNs) and pings its IPv6 address
    # (host_access): vb1 attacker [host_access, spoofing], quarantined (default playbook).
    liar, masked = Host(10, 1, "vb1"), Host(10, 0x77, "vb1")
    liar.ip4 = "10.0.10.77"
    hv = Host(10, 0x64, "-")                     # the host's addresses, behind gw's MAC
    hv.ip4, hv.ip6 = HOST_ADDRS
    for k in range(3):
        t = 40 + k + 0.02
        for n in range(4):
            sch.add(t + n * 0.1, liar, udp4(liar, b, 5000 + k * 10 + n, 514, b"spoofed syslog"),
                    "spoofed_src_ip")
        sch.add(t + 0.45, masked, udp4(masked, b, 5100 + k, 514, b"foreign MAC"), "spoofed_src_mac")
        sch.add(t + 0.5, a, arp(a.mac, 2, a.mac, gw.ip4, b.ip4, dmac_=b.mac, hwdst=b.mac),
                "spoofed_arp")
        for n in range(3):
            sch.add(t + 0.6 + n * 0.08, a, tcp4(a, hv, 41000 + k * 10 + n, 22, "S",
                                                 rng.randrange(1 << 32)), "host_access")
        sch.add(t + 0.9, a, echo6(a, hv, 0x99, k), "host_access")
    # 43.2-55.2 s, every other second: vb1 (quarantined) resolves through mgmt, in its
    # `management` CIDR (passes, answered), ARPs for it (ARP passes), and sends syslog to vb2
    # (dropped monitor_quarantine from 42.5 s to 51.5 s: the quarantine starts by the tick at
    # 42 s at the latest and lasts until 10 s after the last anomalous interval, ending at 43 s;
    # optional around both ends). From 56.5 s it works normally again.
    for k in range(6):
        t = 43.2 + 2 * k
        dns(sch, t, a, mgmt, rng, b"updates.example.com")
        sch.add(t + 0.3, a, arp_request(a, mgmt.ip4))
        sch.add(t + 0.3005, mgmt, arp(mgmt.mac, 2, mgmt.mac, mgmt.ip4, a.ip4, dmac_=a.mac, hwdst=a.mac))
        sch.add(t + 0.6, a, udp4(a, b, 5200 + k, 514, b"<14>vb1: still here"))
        sch.add(t + 0.7, a, ping(a, mgmt, 50 + k))
        sch.add(t + 0.7005, mgmt, ping(mgmt, a, 50 + k, reply=True))
    c.limits["vb1"] = Limit("vb1", "quarantine", 40, 43, sure_from=42.5, sure_to=51.5,
                            free_from=56, management=mgmt_net)
    sch.run()
    c.anomalous("vb1", 40, 43, ["spoofed", "host_access"])
    c.episode("vb1", "attacker", ["host_access", "spoofing"], 40, 43, actions=["quarantine"],
              at_least=False)
    c.monitor_drops = {"monitor_quarantine": ">=%d" % c.model.sure["monitor_quarantine"]}
    c.write()
