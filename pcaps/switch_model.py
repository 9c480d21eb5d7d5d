"""Independent Python model of the vigil switching rules (pcaps/CONTRACT.md).

Used by pcaps/generate.py to compute the expected outputs of the replay cases.
It never runs vigild. Two parts:
  * classify(): every drop reason of the ingress/parse checks that applies to a frame. The
    generator builds each malformed frame for exactly one reason and the model asserts that
    exactly that one applies, so the expected result cannot depend on the order of the checks.
  * Switch: per-tenant learning table, flooding, tag push/strip, counters.
"""
import struct
from collections import Counter, OrderedDict

DROP_REASONS = [
    "runt", "oversized", "truncated_vlan", "double_tagged", "bad_src_mac", "reserved_multicast",
    "unbound_port", "tagged_on_access_port", "untagged_on_trunk", "unknown_vlan", "truncated_arp",
    "truncated_ipv4", "bad_ip_version", "bad_ihl", "bad_ipv4_total_length", "truncated_ipv6",
    "bad_ipv6_payload_length", "truncated_ipv6_ext", "truncated_tcp", "bad_tcp_data_offset",
    "truncated_udp", "bad_udp_length", "truncated_icmp", "truncated_icmpv6", "same_port",
    "flood_no_member", "tx_full",
]
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
        self.ports = [p["name"] for p in cfg["ports"]]
        self.tenants = OrderedDict()            # name -> vlan
        self.vm_port = {}                       # port -> tenant name
        self.tenant_vm_ports = {}               # tenant -> [ports] in config order
        for t in cfg.get("tenants") or []:
            self.tenants[t["name"]] = int(t["vlan"])
            self.tenant_vm_ports[t["name"]] = []
            for vm in t.get("vms") or []:
                self.vm_port[vm["port"]] = t["name"]
                self.tenant_vm_ports[t["name"]].append(vm["port"])
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

    def flood_ports(self, tenant):
        return self.tenant_vm_ports[tenant] + [p for p, (_, c) in self.trunks.items() if tenant in c]


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
    if len(frame) > cfg.max_frame + 4 * info["tags"]:
        reasons.add("oversized")
    if port in cfg.vm_port:
        info["tenant"] = cfg.vm_port[port]
        if info["tags"]:
            reasons.add("tagged_on_access_port")
    elif port in cfg.trunks:
        native, carried = cfg.trunks[port]
        vid = info["vid"] if info["tags"] else native
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


class Switch:
    def __init__(self, cfg):
        self.cfg = cfg
        self.table = {}                       # (tenant, mac bytes) -> port
        self.drops = Counter()
        self.rx = Counter()
        self.out = {p: [] for p in cfg.ports}  # port -> [(frame bytes, ingress index)]
        self.n = 0

    def learned(self, tenant, mac):
        return self.table.get((tenant, mac_bytes(mac) if isinstance(mac, str) else mac))

    def egress(self, port, tenant, info):
        untagged = info["dst"] + info["src"] + struct.pack("!H", info["etype"]) + info["inner"]
        if port in self.cfg.vm_port:
            return untagged
        native, _ = self.cfg.trunks[port]
        vlan = self.cfg.tenants[tenant]
        if native == vlan:
            return untagged
        tci = (info["pcp"] << 13) | vlan      # PCP kept from ingress tag (0 if none), DEI 0
        return untagged[:12] + struct.pack("!HH", TPID_8021Q, tci) + untagged[12:]

    def process(self, port, frame, expect=None, to=None):
        """Switch one frame. expect: the drop reason the generator intends (None: forwarded).
        to: optional set of output ports the generator intends (self-check). Returns the
        list of output ports, or the drop reason."""
        idx = self.n
        self.n += 1
        self.rx[port] += 1
        reasons, info = classify(self.cfg, port, frame)
        if reasons:
            if len(reasons) != 1 or (expect is not None and reasons != {expect}) or expect is None:
                raise ModelError("frame %d on %s: intended %s, model finds %s"
                                 % (idx, port, expect, sorted(reasons)))
            reason = reasons.pop()
            if reason in ("reserved_multicast", "tagged_on_access_port"):
                # Whether such a frame teaches its source is not pinned down by the contract:
                # only use sources already learned on this port, so both readings agree.
                if self.table.get((info["tenant"], info["src"])) != port:
                    raise ModelError("frame %d on %s: %s from a source not yet learned there"
                                     % (idx, port, reason))
            self.drops[reason] += 1
            return reason
        tenant = info["tenant"]
        self.table[(tenant, info["src"])] = port
        dst = info["dst"]
        known = None if dst[0] & 1 else self.table.get((tenant, dst))
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
