"""Independent Python model of the vigil switching rules (pcaps/CONTRACT.md).

Used by pcaps/generate.py to compute the expected outputs of the replay cases.
It never runs vigild. Two parts:
  * classify(): every drop reason of the ingress/parse checks that applies to a frame. The
    generator builds each malformed frame for exactly one reason and the model asserts that
    exactly that one applies, so the expected result cannot depend on the order of the checks.
  * security_reason(): the port-security stage (frames from VM ports that passed every check of
    classify(), before learning). Its checks are ordered (first hit wins, as in the contract);
    the generator states the reason it intends for every frame and the model asserts it.
  * firewall: not modelled; for the IPv4/IPv6 frames of a tenant with a policy, cross-tenant
    frames (source bound to another tenant's VM only: Config.cross_from) and frames addressed to
    another tenant's VM (destination bound there only: Config.cross_to), the generator
    states the firewall's outcome (fw="pass" or a FIREWALL_REASONS name) and the model applies it
    (a dropped frame teaches nothing), after asserting that the frame reaches the firewall at all.
  * Switch: per-tenant learning table, flooding, tag push/strip, counters.
"""
import ipaddress
import struct
from collections import Counter, OrderedDict

DROP_REASONS = [
    "runt", "oversized", "truncated_vlan", "double_tagged", "bad_src_mac", "reserved_multicast",
    "unbound_port", "tagged_on_access_port", "untagged_on_trunk", "unknown_vlan", "truncated_arp",
    "truncated_ipv4", "bad_ip_version", "bad_ihl", "bad_ipv4_total_length", "truncated_ipv6",
    "bad_ipv6_payload_length", "truncated_ipv6_ext", "truncated_tcp", "bad_tcp_data_offset",
    "truncated_udp", "bad_udp_length", "truncated_icmp", "truncated_icmpv6", "spoofed_src_mac",
    "spoofed_src_ip", "spoofed_arp", "dhcp_server_from_vm", "router_advert_from_vm", "host_access",
    "policy_deny", "policy_reject", "cross_tenant_deny", "tcp_invalid", "tcp_no_connection",
    "conn_limit", "conn_rate", "conn_table_full", "same_port", "flood_no_member", "dest_port_down",
    "port_down", "no_mbuf", "tx_full",
]
SECURITY_REASONS = ["spoofed_src_mac", "spoofed_src_ip", "spoofed_arp", "dhcp_server_from_vm",
                    "router_advert_from_vm", "host_access"]
# The stateful firewall (CONTRACT.md, Firewall) is not modelled: the case generator annotates every
# IP frame of a filtered tenant (and every cross-tenant IP frame, and every one addressed to another
# tenant's VM) with its outcome (fw="pass" or one of these) by construction.
FIREWALL_REASONS = ["policy_deny", "policy_reject", "cross_tenant_deny", "tcp_invalid",
                    "tcp_no_connection", "conn_limit", "conn_rate", "conn_table_full"]
TPID_8021Q, TPID_8021AD = 0x8100, 0x88A8
ETH_ARP, ETH_IPV4, ETH_IPV6 = 0x0806, 0x0800, 0x86DD
IPV6_EXT = {0: "hop-by-hop", 43: "routing", 60: "destination options", 44: "fragment", 51: "AH"}


class ModelError(Exception):
    """The generator built a frame whose outcome is not what it intended (or is ambiguous)."""


class Config:
    """The parts of a vigild config (a dict loaded from YAML) that switching depends on."""

    def __init__(self, cfg):
        sw = cfg.get("switch") or {}
        self.max_frame = int(sw.get("max_frame", 1518))
        self.aging_ms = int(sw.get("mac_aging_s", 300)) * 1000
        self.ports = [p["name"] for p in cfg["ports"]]
        self.tenants = OrderedDict()            # name -> vlan
        self.filtered = set()                   # tenants with a `policy:` (firewall applies)
        self.vm_port = {}                       # port -> tenant name
        self.tenant_vm_ports = {}               # tenant -> [ports] in config order
        self.binding = {}                       # VM port -> VmBinding (port security)
        self.owners = {}                        # bound address (packed) -> [tenants], config order
        for t in cfg.get("tenants") or []:
            self.tenants[t["name"]] = int(t["vlan"])
            self.tenant_vm_ports[t["name"]] = []
            if "policy" in t:
                self.filtered.add(t["name"])
            for vm in t.get("vms") or []:
                self.vm_port[vm["port"]] = t["name"]
                self.tenant_vm_ports[t["name"]].append(vm["port"])
                self.binding[vm["port"]] = VmBinding(vm)
                for a in (vm.get("ipv4") or []) + (vm.get("ipv6") or []):   # config only, no EUI-64
                    own = self.owners.setdefault(ipaddress.ip_address(str(a)).packed, [])
                    if t["name"] not in own:
                        own.append(t["name"])
        host = [ipaddress.ip_address(str(a)) for a in (cfg.get("host") or {}).get("addresses") or []]
        self.host_ipv4 = {a.packed for a in host if a.version == 4}
        self.host_ipv6 = {a.packed for a in host if a.version == 6}
        self.vlan_tenant = {v: n for n, v in self.tenants.items()}
        self.trunks = OrderedDict()             # port -> (native_vlan or None, set of tenants)
        for tr in cfg.get("trunks") or []:
            allowed = tr.get("allowed")
            carried = set(self.tenants) if allowed is None else set(allowed)
            self.trunks[tr["port"]] = (tr.get("native_vlan"), carried)
        # VM ports in the order of the ports list ("config order"); the order of copies across
        # different ports is not observable in per-port pcaps anyway.
        for t in self.tenant_vm_ports:
            self.tenant_vm_ports[t].sort(key=self.ports.index)

    def cross_from(self, tenant, info):
        """The tenant an IP frame arriving in `tenant` comes from when it is cross-tenant traffic
        (CONTRACT.md, Firewall, Cross-tenant traffic): its source is bound to a VM of another
        tenant and to none of `tenant`'s (first other owner in config order); else None."""
        etype, p = info["etype"], info["inner"]
        src = p[12:16] if etype == ETH_IPV4 else p[8:24] if etype == ETH_IPV6 else None
        own = self.owners.get(src, [])
        return None if tenant in own else next(iter(own), None)

    def cross_to(self, tenant, info):
        """True when an IP frame in `tenant` is addressed to another tenant's VM: its destination
        is bound to a VM of another tenant and to none of `tenant`'s (CONTRACT.md, Firewall,
        Cross-tenant traffic). Such a frame reaches the firewall even in a tenant without policy."""
        etype, p = info["etype"], info["inner"]
        dst = p[16:20] if etype == ETH_IPV4 else p[24:40] if etype == ETH_IPV6 else None
        own = self.owners.get(dst, [])
        return bool(own) and tenant not in own

    def flood_ports(self, tenant):
        return self.tenant_vm_ports[tenant] + [p for p, (_, c) in self.trunks.items() if tenant in c]


class VmBinding:
    """What the port-security stage knows of a VM: MAC, addresses, flags (defaults as vigild)."""

    def __init__(self, vm):
        self.mac = mac_bytes(vm["mac"])
        self.ipv4 = {ipaddress.IPv4Address(str(a)).packed for a in vm.get("ipv4") or []}
        self.ipv6 = {ipaddress.IPv6Address(str(a)).packed for a in vm.get("ipv6") or []}
        self.ipv6.add(eui64_link_local(self.mac))
        self.port_security = _flag(vm, "port_security", True)
        self.allow_dhcp_server = _flag(vm, "allow_dhcp_server", False)
        self.allow_router_advertisement = _flag(vm, "allow_router_advertisement", False)


def _flag(d, key, default):
    v = d.get(key, default)
    if not isinstance(v, bool):
        raise ModelError("%s: expected true or false, got %r" % (key, v))
    return v


def eui64_link_local(mac):
    """fe80::/64 + modified EUI-64 of mac (U/L bit flipped, ff:fe in the middle), 16 bytes."""
    return b"\xfe\x80" + bytes(6) + bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:6]


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def _l4_reason(proto, l4, first_fragment, v6):
    """L4 checks on the bytes of the IP payload (bounded by the IP length, padding excluded)."""
    if proto == 6:
        if len(l4) < 20:
            return "truncated_tcp"
        doff = l4[12] >> 4
        if doff < 5:
            return "bad_tcp_data_offset"
        if len(l4) < doff * 4:
            return "truncated_tcp"
    elif proto == 17:
        if len(l4) < 8:
            return "truncated_udp"
        ulen = struct.unpack("!H", l4[4:6])[0]
        if not first_fragment and (ulen < 8 or ulen > len(l4)):
            return "bad_udp_length"
    elif proto == 1 and not v6:
        if len(l4) < 8:
            return "truncated_icmp"
    elif proto == 58 and v6:
        if len(l4) < 8:
            return "truncated_icmpv6"
    return None


def l3_reason(etype, p):
    """Drop reason from the network layer on (payload after the Ethernet/VLAN header), or None."""
    if etype == ETH_ARP:
        return "truncated_arp" if len(p) < 28 else None
    if etype == ETH_IPV4:
        if len(p) < 20:
            return "truncated_ipv4"
        if p[0] >> 4 != 4:
            return "bad_ip_version"
        hl = (p[0] & 15) * 4
        if hl < 20 or hl > len(p):
            return "bad_ihl"
        tl = struct.unpack("!H", p[2:4])[0]
        if tl < hl or tl > len(p):
            return "bad_ipv4_total_length"
        frag = struct.unpack("!H", p[6:8])[0]
        offset, more = frag & 0x1FFF, bool(frag & 0x2000)
        if offset:
            return None                  # non-first fragment: no L4 header
        return _l4_reason(p[9], p[hl:tl], more, False)
    if etype == ETH_IPV6:
        if len(p) < 40:
            return "truncated_ipv6"
        if p[0] >> 4 != 6:
            return "bad_ip_version"
        plen = struct.unpack("!H", p[4:6])[0]
        if plen > len(p) - 40:
            return "bad_ipv6_payload_length"
        nh, rest, first_fragment = p[6], p[40:40 + plen], False
        while nh in IPV6_EXT:
            if nh == 44:
                if len(rest) < 8:
                    return "truncated_ipv6_ext"
                frag = struct.unpack("!H", rest[2:4])[0]
                if frag >> 3:
                    return None          # non-first fragment
                first_fragment = bool(frag & 1)
                nh, rest = rest[0], rest[8:]
                continue
            if len(rest) < 2:
                return "truncated_ipv6_ext"
            hl = (rest[1] + 2) * 4 if nh == 51 else (rest[1] + 1) * 8
            if len(rest) < hl:
                return "truncated_ipv6_ext"
            nh, rest = rest[0], rest[hl:]
        return _l4_reason(nh, rest, first_fragment, True)
    return None


def l4_header(etype, p):
    """(IP protocol, L4 bytes up to the IP length) of a frame l3_reason() accepted, or (None, b"")
    when no L4 header was parsed (not IP, non-first fragment)."""
    if etype == ETH_IPV4:
        if struct.unpack("!H", p[6:8])[0] & 0x1FFF:
            return None, b""
        return p[9], p[(p[0] & 15) * 4:struct.unpack("!H", p[2:4])[0]]
    if etype == ETH_IPV6:
        nh, rest = p[6], p[40:40 + struct.unpack("!H", p[4:6])[0]]
        while nh in IPV6_EXT:
            if nh == 44:
                if struct.unpack("!H", rest[2:4])[0] >> 3:
                    return None, b""
                nh, rest = rest[0], rest[8:]
                continue
            nh, rest = rest[0], rest[(rest[1] + 2) * 4 if nh == 51 else (rest[1] + 1) * 8:]
        return nh, rest
    return None, b""


def security_reason(cfg, port, info):
    """Port security (CONTRACT.md) for a frame that passed classify(): the first check that
    hits, in the contract's order, or None. Frames from trunks are not checked."""
    b = cfg.binding.get(port)
    if b is None:
        return None
    if b.port_security and info["src"] != b.mac:
        return "spoofed_src_mac"
    etype, p = info["etype"], info["inner"]
    if etype == ETH_ARP:
        if struct.unpack("!HH", p[0:4]) != (1, ETH_IPV4):
            return None                             # not IPv4 over Ethernet: not checked
        if p[24:28] in cfg.host_ipv4:
            return "host_access"
        if not b.port_security:
            return None
        if p[8:14] != b.mac:
            return "spoofed_arp"
        if p[14:18] == bytes(4):
            return None                             # ARP probe
        return None if p[14:18] in b.ipv4 else "spoofed_arp"
    proto, l4 = l4_header(etype, p)
    ports = struct.unpack("!HH", l4[0:4]) if proto == 17 else None
    if etype == ETH_IPV4:
        if p[16:20] in cfg.host_ipv4:
            return "host_access"
        if ports == (67, 68) and not b.allow_dhcp_server:
            return "dhcp_server_from_vm"
        if not b.port_security:
            return None
        if p[12:16] == bytes(4):                    # only a DHCP client
            return None if ports == (68, 67) else "spoofed_src_ip"
        return None if p[12:16] in b.ipv4 else "spoofed_src_ip"
    if etype == ETH_IPV6:
        icmp_type = l4[0] if proto == 58 else None
        if p[24:40] in cfg.host_ipv6:
            return "host_access"
        if icmp_type == 134 and not b.allow_router_advertisement:
            return "router_advert_from_vm"
        if ports == (547, 546) and not b.allow_dhcp_server:
            return "dhcp_server_from_vm"
        if not b.port_security:
            return None
        if p[8:24] == bytes(16):                    # only DAD (NS) and MLDv2 reports
            return None if icmp_type in (135, 143) else "spoofed_src_ip"
        return None if p[8:24] in b.ipv6 else "spoofed_src_ip"
    return None


def classify(cfg, port, frame):
    """All ingress drop reasons that apply (independent families), plus the parsed fields."""
    reasons = set()
    info = {"tags": 0, "pcp": 0, "vid": None, "tenant": None}
    if len(frame) < 14:
        return {"runt"}, info
    dst, src = frame[0:6], frame[6:12]
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    if port not in cfg.vm_port and port not in cfg.trunks:
        reasons.add("unbound_port")
    if etype == TPID_8021Q:
        if len(frame) < 18:
            return reasons | {"truncated_vlan"}, info
        tci = struct.unpack("!H", frame[14:16])[0]
        info.update(tags=1, pcp=tci >> 13, vid=tci & 0xFFF)
        etype = struct.unpack("!H", frame[16:18])[0]
        off = 18
        if etype in (TPID_8021Q, TPID_8021AD):
            reasons.add("double_tagged")
    prio = info["tags"] and info["vid"] == 0      # 802.1p priority tag: treated as untagged
    if prio and "double_tagged" in reasons:
        raise ModelError("priority tag with a tag inside: not pinned down by the contract")
    if prio and len(frame) > cfg.max_frame:
        raise ModelError("priority-tagged frame longer than max_frame: not pinned down")
    if len(frame) > cfg.max_frame + 4 * info["tags"]:
        reasons.add("oversized")
    if port in cfg.vm_port:
        info["tenant"] = cfg.vm_port[port]
        if info["tags"] and not prio:
            reasons.add("tagged_on_access_port")
    elif port in cfg.trunks:
        native, carried = cfg.trunks[port]
        vid = info["vid"] if info["tags"] and not prio else native
        if vid is None:
            reasons.add("untagged_on_trunk")
        elif cfg.vlan_tenant.get(vid) not in carried:
            reasons.add("unknown_vlan")
        else:
            info["tenant"] = cfg.vlan_tenant[vid]
    if src[0] & 1 or src == bytes(6):
        reasons.add("bad_src_mac")
    if dst[:5] == b"\x01\x80\xc2\x00\x00" and dst[5] <= 0x0F:
        reasons.add("reserved_multicast")
    if "double_tagged" not in reasons:
        r = l3_reason(etype, frame[off:])
        if r:
            reasons.add(r)
    info.update(dst=dst, src=src, inner=frame[off:], etype=etype)
    return reasons, info


REFRESH_MS = 1000       # a same-port refresh younger than this does not rewrite the timestamp


class MacTable:
    """(tenant, MAC) -> (port, ms of last write), with packet-time aging (CONTRACT.md)."""

    def __init__(self, aging_ms):
        self.aging_ms, self.e = aging_ms, {}

    def lookup(self, key, now_ms):
        e = self.e.get(key)
        return e[0] if e is not None and now_ms - e[1] <= self.aging_ms else None

    def learn(self, key, port, now_ms):
        e = self.e.get(key)
        if e is None or now_ms - e[1] > self.aging_ms or e[0] != port:
            self.e[key] = (port, now_ms)        # new, expired (rewritten) or moved: always written
        elif now_ms - e[1] >= REFRESH_MS:
            self.e[key] = (port, now_ms)        # same port, old enough: refreshed


class Switch:
    def __init__(self, cfg):
        self.cfg = cfg
        # Two readings of whether a reserved_multicast / tagged_on_access_port drop teaches its
        # source (the contract does not say): `table` (it does not) and `alt` (it does). Every
        # lookup must agree in both, so the expected outputs hold under either reading.
        self.table, self.alt = MacTable(cfg.aging_ms), MacTable(cfg.aging_ms)
        self.drops = Counter()
        self.rx = Counter()
        self.out = {p: [] for p in cfg.ports}  # port -> [(frame bytes, ingress index)]
        self.n = 0
        self.now_ms = 0

    def learned(self, tenant, mac, now_us=None):
        """Port where mac is live in tenant at now_us (default: time of the last frame)."""
        now_ms = self.now_ms if now_us is None else now_us // 1000
        return self._lookup((tenant, mac_bytes(mac) if isinstance(mac, str) else mac), now_ms)

    def _lookup(self, key, now_ms):
        a, b = self.table.lookup(key, now_ms), self.alt.lookup(key, now_ms)
        if a != b:
            raise ModelError("lookup of %s at %d ms depends on whether a dropped frame learns"
                             % (mac_str(key[1]), now_ms))
        return a

    def egress(self, port, tenant, info):
        untagged = info["dst"] + info["src"] + struct.pack("!H", info["etype"]) + info["inner"]
        if port in self.cfg.vm_port:
            return untagged
        native, _ = self.cfg.trunks[port]
        vlan = self.cfg.tenants[tenant]
        if native == vlan:
            return untagged
        tci = (info["pcp"] << 13) | vlan      # PCP of the ingress tag (VID 0 too; 0 if none), DEI 0
        return untagged[:12] + struct.pack("!HH", TPID_8021Q, tci) + untagged[12:]

    def process(self, port, frame, expect=None, to=None, now_us=None, fw=None):
        """Switch one frame received at now_us (capture time, default: index ms). expect: the
        drop reason the generator intends (None: forwarded). to: optional set of output ports
        the generator intends (self-check). fw: the firewall's outcome for an IP frame of a
        filtered tenant ("pass" or a FIREWALL_REASONS name, then also `expect`), required for
        those frames and only for them. Returns the list of output ports, or the reason."""
        idx = self.n
        self.n += 1
        now_ms = idx if now_us is None else now_us // 1000
        if now_ms < self.now_ms:
            raise ModelError("frame %d: time goes backwards" % idx)
        self.now_ms = now_ms
        self.rx[port] += 1
        reasons, info = classify(self.cfg, port, frame)
        if not reasons:          # port security: after every classify() check, before learning
            sec = security_reason(self.cfg, port, info)
            reasons = {sec} if sec else reasons
        if fw is not None and reasons:
            raise ModelError("frame %d on %s: firewall outcome %s given, but dropped earlier (%s)"
                             % (idx, port, fw, sorted(reasons)))
        if not reasons:
            filtered = info["etype"] in (ETH_IPV4, ETH_IPV6) and (
                info["tenant"] in self.cfg.filtered or self.cfg.cross_from(info["tenant"], info) is not None
                or self.cfg.cross_to(info["tenant"], info))
            if filtered != (fw is not None) or fw not in (None, "pass", *FIREWALL_REASONS):
                raise ModelError("frame %d on %s: firewall outcome %r for a frame that %s the "
                                 "firewall" % (idx, port, fw, "reaches" if filtered else "skips"))
            if fw in FIREWALL_REASONS:
                reasons = {fw}           # firewall: before learning, so the frame teaches nothing
        if reasons:
            if len(reasons) != 1 or (expect is not None and reasons != {expect}) or expect is None:
                raise ModelError("frame %d on %s: intended %s, model finds %s"
                                 % (idx, port, expect, sorted(reasons)))
            reason = reasons.pop()
            if reason in ("reserved_multicast", "tagged_on_access_port"):
                # Whether such a frame teaches its source is not pinned down by the contract:
                # only use sources already learned on this port, so both readings agree.
                key = (info["tenant"], info["src"])
                if self._lookup(key, now_ms) != port:
                    raise ModelError("frame %d on %s: %s from a source not yet learned there"
                                     % (idx, port, reason))
                self.alt.learn(key, port, now_ms)
            self.drops[reason] += 1
            return reason
        tenant = info["tenant"]
        self.table.learn((tenant, info["src"]), port, now_ms)
        self.alt.learn((tenant, info["src"]), port, now_ms)
        dst = info["dst"]
        known = None if dst[0] & 1 else self._lookup((tenant, dst), now_ms)
        if known is not None:
            targets = [] if known == port else [known]
            reason = "same_port"
        else:
            targets = [p for p in self.cfg.flood_ports(tenant) if p != port]
            reason = "flood_no_member"
        if not targets:
            if expect != reason:
                raise ModelError("frame %d on %s: intended %s, model drops %s"
                                 % (idx, port, expect, reason))
            self.drops[reason] += 1
            return reason
        if expect is not None:
            raise ModelError("frame %d on %s: intended drop %s, model forwards to %s"
                             % (idx, port, expect, targets))
        if to is not None and set(to) != set(targets):
            raise ModelError("frame %d on %s: intended to %s, model sends to %s"
                             % (idx, port, sorted(to), targets))
        for p in targets:
            self.out[p].append((self.egress(p, tenant, info), idx))
        return targets

    def counters(self):
        return {
            "drops": {r: self.drops[r] for r in DROP_REASONS if self.drops[r]},
            "ports": {p: {"rx_packets": self.rx[p], "tx_packets": len(self.out[p])}
                      for p in self.cfg.ports},
        }
