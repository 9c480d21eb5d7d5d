"""Case `ids_actions`: drop, reject, pass, threshold, detection_filter, flowbits, flags and
itype/icode (CONTRACT.md, IDS).

Tenants blue (vb1, vb2 a server, vb3) and red (vr1), a trunk with a red host behind it. Every
frame states its IDS outcome by construction (cases_ids.py): the alerts it raises and, for
frames the IDS drops, `ids_drop` / `ids_reject` (the matching frame and every later frame of
its flow, both directions; a reject is answered like the firewall's policy reject).
"""
from scapy.all import ICMP, IP, Ether, Raw

from caselib import make_config
from cases_firewall import echo, tcp4, udp4
from cases_ids import IdsCase, RuleBook, Tcp, ids_config
from cases_ids_http import req, rsp
from frames import Host, arp_request, pad

RULES = {"actions.rules": [
    "# ids_actions: actions, thresholds, flowbits, flags, itype (pcaps/CONTRACT.md, IDS)",
    'drop tcp $HOME_NET any -> any 7001 (msg:"VIGIL drop forbidden command, flow blocked"; flow:established,to_server; content:"DROP-TABLE-USERS"; classtype:attempted-admin; sid:1000301; rev:1;)',
    'reject tcp $HOME_NET any -> any 7003 (msg:"VIGIL reject root login, RST to the client"; flow:established,to_server; content:"LOGIN root"; classtype:suspicious-login; sid:1000302; rev:1;)',
    'reject udp any any -> any 5060 (msg:"VIGIL reject SIP scanner, ICMP unreachable"; content:"friendly-scanner"; classtype:attempted-recon; sid:1000303; rev:1;)',
    'pass tcp $HOME_NET any -> any 7004 (msg:"VIGIL pass trusted backup client"; flow:established,to_server; content:"BACKUP-HELLO"; startswith; classtype:not-suspicious; sid:1000304; rev:1;)',
    'alert tcp any any -> any 7004 (msg:"VIGIL rm -rf unless the flow is passed"; flow:established,to_server; content:"rm -rf /"; classtype:attempted-admin; sid:1000305; rev:1;)',
    'alert udp any any -> any 5140 (msg:"VIGIL threshold failed logins, 1 per source per 60 s"; content:"LOGIN FAILED"; threshold: type limit, track by_src, count 1, seconds 60; classtype:attempted-user; sid:1000306; rev:1;)',
    'alert udp any any -> any 5141 (msg:"VIGIL detection_filter probes from the 4th per source in 60 s"; content:"PROBE"; detection_filter: track by_src, count 3, seconds 60; classtype:attempted-recon; sid:1000307; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL flowbits set on a login request"; flow:established,to_server; http.uri; content:"/login"; flowbits:set,vigil.login; flowbits:noalert; classtype:not-suspicious; sid:1000308; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL flowbits 401 after a login request"; flow:established,to_client; http.stat_code; content:"401"; flowbits:isset,vigil.login; classtype:attempted-user; sid:1000309; rev:1;)',
    'alert tcp any any -> any 23 (msg:"VIGIL flags SYN to telnet"; flags:S; classtype:attempted-recon; sid:1000310; rev:1;)',
    'alert icmp any any -> any any (msg:"VIGIL icmp echo request itype 8 icode 0"; itype:8; icode:0; classtype:icmp-event; sid:1000311; rev:1;)',
]}

CLASSIFICATION = [
    "# classtypes of the ids_actions rules (lines as in ET Open's classification.config)",
    "config classification: not-suspicious,Not Suspicious Traffic,3",
    "config classification: attempted-recon,Attempted Information Leak,2",
    "config classification: attempted-user,Attempted User Privilege Gain,1",
    "config classification: attempted-admin,Attempted Administrator Privilege Gain,1",
    "config classification: suspicious-login,An attempted login using a suspicious username was detected,2",
    "config classification: icmp-event,Generic ICMP event,3",
]

S = 1_000_000                           # µs


def sip(s, d, sport, agent):
    return udp4(s, d, sport, 5060, ("OPTIONS sip:100@%s SIP/2.0\r\nUser-Agent: %s\r\n\r\n"
                                    % (d.ip4, agent)).encode())


def ids_actions():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"]), ("red", 20, ["vr1"])],
                         trunks=[{"port": "uplink"}])
    ids_config(cfg, RULES)
    c = IdsCase("ids_actions", cfg, 24, RuleBook(RULES, CLASSIFICATION))
    b1, srv, b3, r1 = H["vb1"], H["vb2"], H["vb3"], H["vr1"]
    rh = Host(20, 0x64, "uplink")
    for h in (b1, srv, b3, r1, rh):
        c.sendh(h, arp_request(h, h.ip4))
    D, R = "ids_drop", "ids_reject"

    # drop: the matching segment and every later frame of the flow, both ways, silently
    t = Tcp(c, b1, srv, 47001, 7001, 1000, 80000).open()
    t.seg("c", b"HELLO\n")
    t.seg("s", b"READY\n")
    cmd = b"DROP-TABLE-USERS;\n"
    t.seg("c", cmd, ids=D, alerts=[1000301])
    t.seg("s", flags="A", ids=D)
    t.seg("c", cmd, at=6, ids=D)                                  # retransmission: no new alert
    t.seg("c", flags="FA", ids=D)
    t = Tcp(c, b1, srv, 47002, 7002, 2000, 81000).open()        # near miss: port 7002
    t.seg("c", cmd)
    t.close()
    # reject over TCP: RST to the client (its segment has ACK: seq = its ack), flow dropped
    t = Tcp(c, b1, srv, 47003, 7003, 3000, 82000).open()
    t.seg("c", b"LOGIN admin\n")                                 # near miss
    t.seg("s", b"PASSWORD?\n")
    t.seg("c", b"LOGIN root\n", ids=R, alerts=[1000302], reply="rst")
    t.seg("s", b"PASSWORD?\n", ids=R)                            # later frame: dropped, no reply
    # reject over UDP: ICMP 3/13 to the sender; the flow's next datagram dropped unanswered
    c.sendh(b1, sip(b1, srv, 5061, "Linphone/5.2"))             # near miss
    c.sendh(b3, sip(b3, srv, 5062, "friendly-scanner"), ids=R, alerts=[1000303], reply="icmp")
    c.sendh(b3, sip(b3, srv, 5062, "friendly-scanner"), ids=R)
    # pass: the rest of the flow is not inspected; on the same packet pass wins over alert;
    # BACKUP-HELLO not at the stream's start does not pass
    t = Tcp(c, b1, srv, 47004, 7004, 4000, 83000).open()
    t.seg("c", b"BACKUP-HELLO v1\n")
    t.seg("c", b"rm -rf /tmp/old\n")
    t.close()
    t = Tcp(c, b1, srv, 47005, 7004, 5000, 84000).open()
    t.seg("c", b"BACKUP-HELLO v1; rm -rf /var/tmp\n")
    t.close()
    t = Tcp(c, b3, srv, 47006, 7004, 6000, 85000).open()
    t.seg("c", b"HELLO BACKUP-HELLO v1\n")
    t.seg("c", b"rm -rf /tmp/old\n", alerts=[1000305])
    t.close()
    # flowbits: the 401 alerts only in a flow whose request set the bit (each transaction)
    t = Tcp(c, b1, srv, 47010, 80, 7000, 86000).open()
    t.seg("c", req("POST", "/login", body=b"user=bob&pass=x"))
    t.seg("s", rsp(401, "Unauthorized"), alerts=[1000309])
    t.seg("c", req("GET", "/account"))
    t.seg("s", rsp(401, "Unauthorized"), alerts=[1000309])
    t.close()
    t = Tcp(c, b1, srv, 47011, 80, 8000, 87000).open()
    t.seg("c", req("GET", "/index.html"))
    t.seg("s", rsp(401, "Unauthorized"))
    t.close()
    t = Tcp(c, b1, srv, 47012, 80, 9000, 88000).open()
    t.seg("c", req("POST", "/login", body=b"user=bob&pass=right"))
    t.seg("s", rsp(200, "OK", b"welcome"))
    t.close()
    # flags:S is exact: the SYN alerts, not the ECN SYN (S+E+C), the ACKs or the FIN
    t = Tcp(c, b1, srv, 47020, 23, 10000, 89000)
    t.open(alerts=[1000310])
    t.seg("c", b"hi\n")
    t.close()
    c.sendh(b3, tcp4(b3, srv, 47021, 23, "SEC", 11000))
    # itype/icode: echo requests alert, each packet (red too); replies, code 1, timestamp don't
    for i in (1, 2):
        c.sendh(b1, echo(b1, srv, 0x10, i), alerts=[1000311])
        c.sendh(srv, echo(srv, b1, 0x10, i, reply=True))
    c.sendh(b3, pad(bytes(Ether(src=b3.mac, dst=srv.mac) / IP(src=b3.ip4, dst=srv.ip4) /
                          ICMP(type=8, code=1, id=0x11, seq=1) / Raw(b"code one"))))
    c.sendh(b3, pad(bytes(Ether(src=b3.mac, dst=srv.mac) / IP(src=b3.ip4, dst=srv.ip4) /
                          ICMP(type=13, id=0x12, seq=1, ts_ori=0, ts_rx=0, ts_tx=0))))
    c.sendh(r1, echo(r1, rh, 0x20, 1), alerts=[1000311])
    c.sendh(rh, echo(rh, r1, 0x20, 1, reply=True))

    # threshold limit (1 per source per 60 s) and detection_filter (from the 4th per source in
    # 60 s); 70 s later both windows have ended
    def burst(h, sport, dport, data, n, alert):        # n datagrams; alert(i): does the ith?
        for i in range(n):
            c.sendh(h, udp4(h, srv, sport, dport, data % i), alerts=[alert[1]] if alert[0](i) else [])

    limit, dfilter = (lambda i: i == 0, 1000306), (lambda i: i >= 3, 1000307)
    never = (lambda i: False, None)
    burst(b1, 40000, 5140, b"LOGIN FAILED user=root %d", 4, limit)
    burst(b1, 40000, 5140, b"LOGIN OK user=bob %d", 1, never)
    burst(b3, 40001, 5140, b"LOGIN FAILED user=admin %d", 2, limit)
    burst(b1, 40002, 5141, b"PROBE %d", 6, dfilter)
    burst(b3, 40003, 5141, b"PROBE %d", 3, never)          # 3 from vb3: not above the count
    c.at(c.next_us + 70 * S)
    burst(b1, 40000, 5140, b"LOGIN FAILED user=root %d", 2, limit)
    burst(b1, 40002, 5141, b"PROBE %d", 2, never)          # a new window: 2 matches
    c.write()
