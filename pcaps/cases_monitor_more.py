"""Cases `mon_udpflood` and `mon_arpspoof`: a VM flooding a neighbour with UDP, and a VM poisoning
its neighbours' ARP caches and sending from foreign MACs (CONTRACT.md, Monitors; the framework
is in cases_monitor.py).

As in cases_monitor_scans.py: 40 s of normal traffic (warm-up: 30 intervals), the behaviour in
whole 1-s intervals from t = 40 s, then quiet normal traffic long enough for the release
(cooldown_s 10); the misbehaving VM's own normal traffic pauses around its episode.
"""
from caselib import make_config
from cases_firewall import udp4
from cases_monitor import Limit, MonCase, monitor_config
from cases_monitor_traffic import Schedule, ext, learn_all, workload
from frames import Host, arp, arp_request


# ---------------------------------------------------------------- mon_udpflood
def mon_udpflood():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    monitor_config(cfg)                 # default floors and playbooks: attacker -> rate_limit
    c = MonCase("mon_udpflood", cfg, 66)
    a, b, other = H["vb1"], H["vb2"], H["vb3"]
    gw, resolver = Host(10, 0x64, "uplink"), Host(10, 0x35, "uplink")
    web = ext(gw, "203.0.113.80")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [a, b, other, gw, resolver])
    # light normal traffic (the flood takes most of the 5000-frame budget)
    flows = [(a, resolver, "dns", 53, 0.4), (a, b, "ping", 0, 0.3), (other, b, "ping", 0, 0.3),
             (other, web, "dns", 53, 0.2), (b, resolver, "dns", 53, 0.3)]
    workload(sch, rng, flows, 0.2, 60, pause=[("vb1", 39.5, 44.5)])
    # 40-43 s: vb1 sends 1500 UDP datagrams a second from one source port to vb2:5001 (no SYN,
    # no answer; each datagram numbered, so every frame is unique). vb1: out_pps 1500 against a
    # floor of 200, one destination address and port: attacker [flood] (hsem.cc classify: out_pps
    # anomalous, no SYNs), rate-limited by the default playbook (1000 pps: monitor_rate_limit).
    # vb2: in_pps 1500 against a floor of 500, no SYNs, one source: victim [flood]; with vb1
    # limited to 1000 pps it still receives about 1000 a second, above its floor, until the
    # flood ends (its last anomalous interval ends at 43 s too).
    per_s = 1500
    for i in range(3 * per_s):
        t = 40 + i // per_s + 0.003 + (i % per_s) * (0.99 / per_s)
        sch.add(t, a, udp4(a, b, 40404, 5001, b"flood %05d" % i))
    c.limits["vb1"] = Limit("vb1", "rate", 40, 43)
    sch.run()
    c.anomalous("vb1", 40, 43, ["out_pps"])
    c.anomalous("vb2", 40, 43, ["in_pps"])
    c.episode("vb1", "attacker", ["flood"], 40, 43, actions=["rate_limit"], at_least=False)
    c.episode("vb2", "victim", ["flood"], 40, 43, actions=["alert"], at_least=False)
    c.monitor_drops = {"monitor_rate_limit": ">0"}
    c.write()


# ---------------------------------------------------------------- mon_arpspoof
def mon_arpspoof():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    monitor_config(cfg)                 # default playbooks: attacker + spoofing -> quarantine
    c = MonCase("mon_arpspoof", cfg, 67)
    a, b, evil = H["vb1"], H["vb2"], H["vb3"]
    gw, resolver = Host(10, 0x64, "uplink"), Host(10, 0x35, "uplink")
    web = ext(gw, "203.0.113.80")
    sch, rng = Schedule(c), c.rng
    learn_all(sch, [a, b, evil, gw, resolver])
    flows = [(a, b, "tcp", 8080, 0.5), (a, resolver, "dns", 53, 0.4), (evil, b, "tcp", 8080, 0.4),
             (evil, resolver, "dns", 53, 0.3), (b, web, "tcp", 443, 0.3), (a, evil, "ping", 0, 0.2)]
    workload(sch, rng, flows, 0.2, 66, pause=[("vb3", 39.5, 56.5)])
    # 40-43 s, each second: vb3 poisons caches with ARP replies from its own MAC claiming vb2's
    # address (unicast to vb1, and gratuitous, broadcast) and gw's (to vb1): spoofed_arp; and
    # sends 2 UDP datagrams to vb2 from foreign MACs (a made-up one, then vb1's): spoofed_src_mac.
    # Only the violation `spoofed`: vb3 attacker [spoofing] exactly, quarantined (default
    # playbook: quarantine + capture). Dropped frames teach nothing: vb1's MAC stays on vb1.
    masked, posing = Host(10, 0x77, "vb3"), Host(10, 1, "vb3")
    for k in range(3):
        t = 40 + k + 0.02
        sch.add(t, evil, arp(evil.mac, 2, evil.mac, b.ip4, a.ip4, dmac_=a.mac, hwdst=a.mac),
                "spoofed_arp")
        sch.add(t + 0.2, evil, arp(evil.mac, 2, evil.mac, b.ip4, b.ip4), "spoofed_arp")
        sch.add(t + 0.4, evil, arp(evil.mac, 2, evil.mac, gw.ip4, a.ip4, dmac_=a.mac, hwdst=a.mac),
                "spoofed_arp")
        sch.add(t + 0.6, masked, udp4(masked, b, 6000 + k, 514, b"foreign MAC"), "spoofed_src_mac")
        sch.add(t + 0.8, posing, udp4(posing, b, 6100 + k, 514, b"vb1's MAC"), "spoofed_src_mac")
    # 43.2-55.2 s, every other second, vb3 quarantined (no `management`: only ARP passes): it
    # ARPs for vb2 (passes; vb2's answer, a frame to it, is never limited), sends syslog to vb2
    # (dropped monitor_quarantine from 42.5 s to 51.5 s: the quarantine starts by the tick at
    # 42 s at the latest and lasts until 10 s after its last anomalous interval, ending at 43 s;
    # optional around both ends); vb2 sends it UDP (delivered: frames to a VM are never
    # limited). From 56.5 s it works normally again.
    for k in range(6):
        t = 43.2 + 2 * k
        sch.add(t, evil, arp_request(evil, b.ip4))
        sch.add(t + 0.0005, b, arp(b.mac, 2, b.mac, b.ip4, evil.ip4, dmac_=evil.mac, hwdst=evil.mac))
        sch.add(t + 0.3, evil, udp4(evil, b, 6200 + k, 514, b"<14>vb3: still here"))
        sch.add(t + 0.6, b, udp4(b, evil, 7000 + k, 9, b"to a quarantined VM"))
    c.limits["vb3"] = Limit("vb3", "quarantine", 40, 43, sure_from=42.5, sure_to=51.5,
                            free_from=56)
    sch.run()
    c.anomalous("vb3", 40, 43, ["spoofed"])
    c.episode("vb3", "attacker", ["spoofing"], 40, 43, actions=["quarantine"], at_least=False)
    c.monitor_drops = {"monitor_quarantine": ">=%d" % c.model.sure["monitor_quarantine"]}
    c.write()
