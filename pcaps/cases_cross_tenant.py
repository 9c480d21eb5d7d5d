"""Case `firewall_cross_tenant`: traffic routed from one tenant's VMs into another tenant
(CONTRACT.md, Firewall, Cross-tenant traffic).

Called by pcaps/generate.py (CASES). As in cases_firewall.py the firewall is not modelled: every
frame that reaches it (an IP frame of green, the tenant with a policy, a cross-tenant IP frame in
any tenant: switch_model.Config.cross_from, or one addressed to another tenant's VM:
Config.cross_to) states its outcome by construction, with the reasoning in comments; blue and red
have no policy, so their other frames are `plain`. A frame addressed to another tenant's VM in an
unfiltered tenant T goes through the tracker; with no connection, a first packet T (no policy)
allows, opening a connection in T that the answer routed back into T (cross-tenant) finds.

Topology: blue (VLAN 10: vb1, vb2), red (VLAN 20: vr1, vr2; vr2 `port_security: false`), green
(VLAN 30: vg1, vg2; `policy:` default deny), one trunk `uplink` carrying all three, and a router
behind it (one MAC in every VLAN) that routes between the tenants: a routed frame enters the
destination tenant from the uplink with the router's MAC and the original IP source.
Extra bound addresses: 10.77.0.9 on vb1 and vg1 (two owners: blue, first in config order,
counts); 10.99.0.5 on vb2, vr2 and vg2 (bound in every tenant: never cross-tenant).
"""
from caselib import Case, make_config, set_vm
from cases_firewall import Fw, _counts, echo, icmp_error, tcp4, udp4, udp6
from frames import Host

ROUTER_MAC = "02:00:00:00:fe:01"
FIRST_OWNER = "10.77.0.9"     # bound to vb1 (blue) and vg1 (green)
OVERLAP = "10.99.0.5"         # bound to vb2, vr2 and vg2

CROSS_TENANT = [
    {"from": "blue", "to": "red", "src": ["vb1"], "dst": ["vr1"], "proto": "udp", "dst_port": 53,
     "action": "allow"},
    {"from": "blue", "to": "red", "src": ["vb1"], "dst": ["vr1"], "proto": "tcp", "dst_port": 22,
     "action": "allow"},
    {"from": "blue", "to": "red", "dst": ["vr1"], "proto": "tcp", "dst_port": 23, "action": "reject"},
    {"from": "blue", "to": "red", "src": "clients", "dst": ["vr2"], "proto": "udp",
     "dst_port": "5000-5999", "action": "allow"},
    {"priority": 10, "from": "blue", "to": "red", "src": ["vb2"], "dst": ["vr2"], "proto": "udp",
     "dst_port": 5555, "action": "deny"},
    {"from": "blue", "to": "red", "dst": ["vr2"], "proto": "udp", "dst_port": 161, "action": "reject"},
    {"from": "blue", "to": "red", "src": "clients", "dst": ["fd00:20::/64"], "proto": "udp",
     "dst_port": 53, "action": "allow"},
    {"from": "blue", "to": "red", "src": ["vb2"], "dst": ["vr1"], "proto": "icmp", "icmp_type": 8,
     "action": "log"},
    {"from": "red", "to": "blue", "src": ["vr1"], "dst": ["vb1"], "proto": "udp", "src_port": 53,
     "action": "allow"},
    {"from": "green", "to": "red", "dst": ["vr1"], "proto": "udp", "dst_port": 7777, "action": "allow"},
    {"from": "blue", "to": "green", "src": ["vb1"], "dst": ["vg1"], "proto": "udp", "dst_port": 53,
     "action": "allow"},
    {"from": "blue", "to": "green", "src": ["vb1"], "dst": ["vg1"], "proto": "tcp", "dst_port": 443,
     "action": "allow"},
    {"from": "green", "to": "blue", "dst": ["vb2"], "proto": "tcp", "dst_port": 8080, "action": "allow"},
]
GREEN_POLICY = {"default": "deny", "rules": [
    {"src": "vg2", "dst": "vg1", "proto": "udp", "action": "allow"},
    {"proto": "udp", "dst_port": 123, "action": "allow"},
    {"src": "vg1", "proto": "tcp", "dst_port": 8080, "action": "allow"},
]}


def rt(vlan, addrs=None):
    """The router behind the uplink in `vlan`: its own addresses (10.0.<vlan>.254), or those of
    `addrs` (a Host, or an (ipv4, ipv6) pair) when it forwards (or is the next hop of) a routed
    packet from (to) there."""
    h = Host(vlan, 0xFE, "uplink")
    h.mac = ROUTER_MAC
    if isinstance(addrs, Host):
        h.ip4, h.ip6 = addrs.ip4, addrs.ip6
    elif addrs is not None:
        h.ip4, h.ip6 = addrs
    return h


def as_addr(h, ip4, ip6=None):
    """h (same MAC and port) sending from other addresses."""
    x = Host(h.vlan, h.n, h.port)
    x.ip4, x.ip6 = ip4, ip6 or h.ip6
    return x


def firewall_cross_tenant():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2"]), ("red", 20, ["vr1", "vr2"]),
                          ("green", 30, ["vg1", "vg2"])], trunks=[{"port": "uplink"}])
    b1, b2, r1, r2, g1, g2 = (H[p] for p in ("vb1", "vb2", "vr1", "vr2", "vg1", "vg2"))
    set_vm(cfg, "vb1", ipv4=[b1.ip4, FIRST_OWNER])
    set_vm(cfg, "vb2", ipv4=[b2.ip4, OVERLAP])
    set_vm(cfg, "vr2", ipv4=[r2.ip4, OVERLAP], port_security=False)
    set_vm(cfg, "vg1", ipv4=[g1.ip4, FIRST_OWNER])
    set_vm(cfg, "vg2", ipv4=[g2.ip4, OVERLAP])
    cfg["tenants"][0]["groups"] = {"clients": ["vb1", "vb2"]}
    cfg["tenants"][2]["policy"] = GREEN_POLICY
    cfg["cross_tenant"] = CROSS_TENANT
    c = Case("firewall_cross_tenant", cfg, 16)
    f = Fw(c)
    ok, no, plain = f.ok, f.no, f.plain
    ext = ("198.51.100.7", "2001:db8::7")           # an external host: bound to no VM
    X = "cross_tenant_deny"
    # ARP is never filtered; the router answers for 10.0.<vlan>.254 in each VLAN
    f.announce(b1, b2, r1, r2, g1, g2, rt(10), rt(20), rt(30))

    # blue's own domain: blue sources, or external ones, in blue (no policy): untouched
    plain(b1, udp4(b1, b2, 40000, 5000), to=["vb2"])
    plain(b2, udp4(b2, b1, 5000, 40000), to=["vb1"])
    plain(rt(10, b2), udp4(rt(10, b2), b1, 40001, 5001), to=["vb1"])  # routed back into blue
    plain(b1, udp4(b1, rt(10, ext), 40002, 443), to=["uplink"])
    plain(rt(10, ext), udp4(rt(10, ext), b1, 443, 40002), to=["vb1"])

    # blue vb1 -> red vr1 UDP 53, routed: allowed by the first rule, answered
    ok(b1, udp4(b1, rt(10, r1), 41000, 53), to=["uplink"])         # to red's vr1: opens (blue)
    ok(rt(20, b1), udp4(rt(20, b1), r1, 41000, 53), to=["vr1"])    # cross blue -> red: allow
    ok(r1, udp4(r1, rt(20, b1), 53, 41000), to=["uplink"])         # to blue's vb1: tracked (red)
    ok(rt(10, r1), udp4(rt(10, r1), b1, 53, 41000), to=["vb1"])    # cross red -> blue: tracked
    # the same pair, ports no rule allows
    no(rt(20, b1), udp4(rt(20, b1), r1, 41001, 54), X)             # dst_port 54: no rule
    no(rt(20, b2), udp4(rt(20, b2), r1, 41002, 53), X)             # vb2 -> vr1 53: no rule
    ok(r1, udp4(r1, rt(20, b1), 41003, 9999), to=["uplink"])       # red (no policy): opens, red
    no(rt(10, r1), udp4(rt(10, r1), b1, 41003, 9999), X)           # blue: no conn; needs sport 53
    # an ICMP error from vb1 quoting vr1's answer: related to red's connection, passes
    ok(rt(20, b1), icmp_error(rt(20, b1), r1, udp4(r1, rt(20, b1), 53, 41000)), to=["vr1"])

    # explicit deny: priority 10 beats the range allow for vb2 only
    ok(rt(20, b2), udp4(rt(20, b2), r2, 41010, 5000), to=["vr2"])  # clients -> vr2 5000-5999
    no(rt(20, b2), udp4(rt(20, b2), r2, 41011, 5555), X)           # explicit deny
    ok(rt(20, b1), udp4(rt(20, b1), r2, 41012, 5555), to=["vr2"])  # vb1: the allow

    # reject: answered back out of the uplink, tagged red (VLAN 20) with the frame's PCP
    no(rt(20, b1), udp4(rt(20, b1), r2, 41020, 161), "policy_reject", "icmp", pcp=5)
    no(rt(20, b2), tcp4(rt(20, b2), r1, 41021, 23, "S", 7000), "policy_reject", "rst", pcp=2)
    no(rt(20, b2), udp6(rt(20, b2), r2, 41022, 161), "policy_reject", "icmp6")

    # TCP into red (unfiltered): the SYN is classified (cross rule), vr1's SYN-ACK (to blue's
    # vb1) goes through the tracker too, so the handshake completes; data both ways, close.
    # A non-SYN segment without a connection never reaches the rules
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41030, 22, "S", 1000), to=["vr1"])
    ok(r1, tcp4(r1, rt(20, b1), 22, 41030, "SA", 5000, 1001), to=["uplink"])
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41030, 22, "A", 1001, 5001), to=["vr1"])
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41030, 22, "PA", 1001, 5001, b"ssh-2.0"), to=["vr1"])
    ok(r1, tcp4(r1, rt(20, b1), 22, 41030, "PA", 5001, 1008, b"ssh-2.0 red"), to=["uplink"])
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41030, 22, "FA", 1008, 5012), to=["vr1"])
    ok(r1, tcp4(r1, rt(20, b1), 22, 41030, "FA", 5012, 1009), to=["uplink"])
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41030, 22, "A", 1009, 5013), to=["vr1"])
    no(rt(20, b2), tcp4(rt(20, b2), r1, 41031, 22, "A", 1, 1), "tcp_no_connection")
    # TCP opened by blue's vb1 toward vr1's address (blue: no policy): the SYN opens a connection
    # in blue, so the SYN-ACK routed back into blue (cross red -> blue) is tracked and passes
    ok(b1, tcp4(b1, rt(10, r1), 41032, 22, "S", 1500), to=["uplink"])    # opens (blue)
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41032, 22, "S", 1500), to=["vr1"])  # cross rule: allow
    ok(r1, tcp4(r1, rt(20, b1), 22, 41032, "SA", 5500, 1501), to=["uplink"])  # tracked (red)
    ok(rt(10, r1), tcp4(rt(10, r1), b1, 22, 41032, "SA", 5500, 1501), to=["vb1"])  # tracked
    ok(b1, tcp4(b1, rt(10, r1), 41032, 22, "A", 1501, 5501), to=["uplink"])
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41032, 22, "A", 1501, 5501), to=["vr1"])
    ok(b1, tcp4(b1, rt(10, r1), 41032, 22, "PA", 1501, 5501, b"ls"), to=["uplink"])
    ok(rt(20, b1), tcp4(rt(20, b1), r1, 41032, 22, "PA", 1501, 5501, b"ls"), to=["vr1"])
    ok(r1, tcp4(r1, rt(20, b1), 22, 41032, "PA", 5501, 1503, b"etc"), to=["uplink"])
    ok(rt(10, r1), tcp4(rt(10, r1), b1, 22, 41032, "PA", 5501, 1503, b"etc"), to=["vb1"])
    # a non-SYN segment from vb1 toward vr1's address, no connection in blue
    no(b1, tcp4(b1, rt(10, r1), 41033, 22, "A", 1, 1), "tcp_no_connection")

    # TCP blue vb1 -> green vg1 443: the cross rule decides (green's policy has no rule for it),
    # then the connection (in green) carries both directions through the tracker
    a, b = f.handshake(rt(30, b1), g1, 41040, 443, 2000, 9000)
    ok(rt(30, b1), tcp4(rt(30, b1), g1, 41040, 443, "PA", a, b, b"hello green"), to=["vg1"])
    ok(g1, tcp4(g1, rt(30, b1), 443, 41040, "PA", b, a + 11, b"hi"), to=["uplink"])
    no(rt(30, b1), tcp4(rt(30, b1), g1, 41040, 443, "PA", a + 50000, b + 2, b"far"), "tcp_invalid")
    ok(rt(30, b1), tcp4(rt(30, b1), g1, 41040, 443, "FA", a + 11, b + 2), to=["vg1"])
    ok(g1, tcp4(g1, rt(30, b1), 443, 41040, "FA", b + 2, a + 12), to=["uplink"])
    ok(rt(30, b1), tcp4(rt(30, b1), g1, 41040, 443, "A", a + 12, b + 3), to=["vg1"])
    # green vg1 -> blue vb2 8080: green's policy opens it; the blue leg's SYN is cross green ->
    # blue (allowed); the SYN-ACK routed back into green is cross blue -> green, tracked: passes
    ok(g1, tcp4(g1, rt(30, b2), 41050, 8080, "S", 3000), to=["uplink"])
    ok(rt(10, g1), tcp4(rt(10, g1), b2, 41050, 8080, "S", 3000), to=["vb2"])
    ok(b2, tcp4(b2, rt(10, g1), 8080, 41050, "SA", 6000, 3001), to=["uplink"])  # to green: tracked
    ok(rt(30, b2), tcp4(rt(30, b2), g1, 8080, 41050, "SA", 6000, 3001), to=["vg1"])
    ok(g1, tcp4(g1, rt(30, b2), 41050, 8080, "A", 3001, 6001), to=["uplink"])
    ok(rt(30, b2), tcp4(rt(30, b2), g1, 8080, 41050, "PA", 6001, 3001, b"200 OK"), to=["vg1"])

    # UDP blue -> green 53 (allowed), answered; ICMP errors from the blue side: related or not
    ok(rt(30, b1), udp4(rt(30, b1), g1, 41060, 53), to=["vg1"])
    ok(g1, udp4(g1, rt(30, b1), 53, 41060), to=["uplink"])         # green source: the connection
    ok(rt(30, b1), icmp_error(rt(30, b1), g1, udp4(g1, rt(30, b1), 53, 41060)), to=["vg1"])
    no(rt(30, b1), icmp_error(rt(30, b1), g1, udp4(g1, rt(30, b1), 53, 41061)), X)  # unrelated

    # IPv6
    ok(rt(20, b1), udp6(rt(20, b1), r1, 41070, 53), to=["vr1"])    # vb1 -> vr1 53 (v6 too)
    ok(r1, udp6(r1, rt(20, b1), 53, 41070), to=["uplink"])         # to blue's vb1: tracked
    ok(rt(20, b2), udp6(rt(20, b2), r2, 41071, 53), to=["vr2"])    # clients -> fd00:20::/64 53
    no(rt(20, b2), udp6(rt(20, b2), r1, 41072, 54), X)
    no(rt(30, b1), udp6(rt(30, b1), g2, 41073, 53), X)             # blue -> green: vg1 only

    # external sources (bound to no VM): not cross-tenant; red passes them, green's policy rules
    plain(rt(20, ext), udp4(rt(20, ext), r1, 41080, 54), to=["vr1"])
    plain(rt(20, ext), udp6(rt(20, ext), r1, 41081, 54), to=["vr1"])
    ok(rt(30, ext), udp4(rt(30, ext), g1, 41082, 123), to=["vg1"])  # green: udp 123 allowed
    no(rt(30, ext), udp4(rt(30, ext), g1, 41083, 53), "policy_deny")  # green's default
    no(rt(30, b1), udp4(rt(30, b1), g1, 41084, 123), X)            # cross: green's policy unused

    # 10.99.0.5, bound in all three tenants: the benefit of the doubt, never cross-tenant
    ov = (OVERLAP, "fd00:99::5")
    plain(rt(20, ov), udp4(rt(20, ov), r1, 41090, 7000), to=["vr1"])  # red: no rule needed
    ok(rt(30, ov), udp4(rt(30, ov), g1, 41091, 7000), to=["vg1"])  # green policy: vg2 -> vg1 udp
    no(rt(30, ov), udp4(rt(30, ov), g2, 41092, 7001), "policy_deny")  # green's default, not cross
    # 10.77.0.9, bound in blue and green: into red it comes from blue (first in config order)
    fo = (FIRST_OWNER, "fd00:99::9")
    ok(rt(20, fo), udp4(rt(20, fo), r1, 41100, 53), to=["vr1"])    # blue -> red: vb1 -> vr1 53
    no(rt(20, fo), udp4(rt(20, fo), r1, 41101, 7777), X)           # green -> red's rule: unused
    ok(rt(20, g1), udp4(rt(20, g1), r1, 41102, 7777), to=["vr1"])  # green's vg1: that rule
    no(rt(20, b2), udp4(rt(20, b2), r1, 41103, 7777), X)           # the rule is green's, not blue's

    # any port: vr2 (port_security: false) sending from blue addresses is cross-tenant too
    ok(r2, udp4(as_addr(r2, b1.ip4), r1, 41110, 53), to=["vr1"])   # vb1 -> vr1 53: allowed
    no(r2, udp4(as_addr(r2, b2.ip4), r1, 41111, 53), X)
    ok(r2, udp4(as_addr(r2, FIRST_OWNER), r1, 41112, 53), to=["vr1"])  # blue, first owner: vb1

    # ICMP echo with a log rule: vb2 -> vr1
    ok(rt(20, b2), echo(rt(20, b2), r1, 0x501, 1), to=["vr1"])
    ok(r1, echo(r1, rt(20, b2), 0x501, 1, reply=True), to=["uplink"])  # to vb2: tracked
    no(rt(20, b1), echo(rt(20, b1), r1, 0x502, 1), X)              # vb1: no icmp rule
    _counts(c, {X: 12, "policy_reject": 3, "policy_deny": 2, "tcp_no_connection": 2,
                "tcp_invalid": 1})
    c.write()
