"""Case `ids_http`: HTTP/1.1 sticky buffers, content modifiers, pcre and packet/stream rules
(CONTRACT.md, IDS), each rule hit once or twice and missed narrowly by benign requests.

Tenant blue: clients vb1 and vb3, web server vb2 (ports 80 and 8080); an external server
(203.0.113.80, outside $HOME_NET) behind the trunk. Every frame's alerts are stated by
construction (cases_ids.py); the comments say why the near misses must stay silent.
"""
from caselib import make_config
from cases_ids import IdsCase, RuleBook, Tcp, ids_config
from frames import Host, arp_request

RULES = {"http.rules": [
    "# ids_http: HTTP sticky buffers and modifiers (pcaps/CONTRACT.md, IDS)",
    'alert http $HOME_NET any -> any any (msg:"VIGIL http.uri admin login page, matched percent-decoded"; flow:established,to_server; http.uri; content:"/admin/login.php"; classtype:web-application-attack; sid:1000001; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.method PUT"; flow:established,to_server; http.method; content:"PUT"; bsize:3; classtype:policy-violation; sid:1000002; rev:2;)',
    'alert http any any -> any any (msg:"VIGIL http.host evil.example.net nocase endswith"; flow:established,to_server; http.host; content:"evil.example.net"; nocase; endswith; classtype:bad-unknown; sid:1000003; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.user_agent curl without the vigil-probe tag"; flow:established,to_server; http.user_agent; content:"curl/"; startswith; content:!"vigil-probe"; classtype:attempted-recon; sid:1000004; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.header X-Api-Key starting with test"; flow:established,to_server; http.header; content:"X-Api-Key|3a 20|"; content:"test"; distance:0; within:4; classtype:policy-violation; sid:1000005; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.cookie role=admin"; flow:established,to_server; http.cookie; content:"role=admin"; classtype:attempted-admin; sid:1000006; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.request_body UNION SELECT in a POST"; flow:established,to_server; http.method; content:"POST"; http.request_body; content:"union select"; nocase; classtype:web-application-attack; sid:1000007; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.stat_code 500"; flow:established,to_client; http.stat_code; content:"500"; classtype:misc-activity; sid:1000008; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL file.data PHP eval in a response body"; flow:established,to_client; file.data; content:"<?php eval("; classtype:trojan-activity; sid:1000009; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http_uri old style /etc/passwd"; flow:established,to_server; content:"/etc/passwd"; http_uri; classtype:attempted-recon; sid:1000010; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.uri v1/ at offset 5 depth 3"; flow:established,to_server; http.uri; content:"v1/"; offset:5; depth:3; classtype:misc-activity; sid:1000011; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL pcre /U download id of 4 digits or more"; flow:established,to_server; content:"/download.php?id="; http_uri; pcre:"/\\/download\\.php\\?id=\\d{4,}$/U"; classtype:misc-activity; sid:1000012; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL http.host pcre cdnN.bad-cdn.example"; flow:established,to_server; http.host; content:"bad-cdn"; pcre:"/^cdn\\d+\\.bad-cdn\\.example$/"; classtype:bad-unknown; sid:1000013; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL isdataat 40 bytes after /upload/"; flow:established,to_server; http.uri; content:"/upload/"; isdataat:40,relative; classtype:misc-activity; sid:1000014; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL bsize search URI over 100 bytes"; flow:established,to_server; http.uri; content:"/search?q="; bsize:>100; classtype:attempted-recon; sid:1000015; rev:1;)',
    'alert http any any -> any any (msg:"VIGIL urilen exactly /status"; flow:established,to_server; content:"/status"; http_uri; urilen:7; classtype:misc-activity; sid:1000016; rev:1;)',
    'alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:"VIGIL vars beacon to an external HTTP server"; flow:established,to_server; http.uri; content:"/beacon"; classtype:command-and-control; sid:1000020; rev:1;)',
    "# a disabled rule does not load (it would match every request):",
    '# alert http any any -> any any (msg:"VIGIL disabled rule"; http.uri; content:"/"; classtype:misc-activity; sid:1000099; rev:1;)',
], "packet.rules": [
    "# ids_http: packet and stream rules over the same traffic",
    'alert tcp $HOME_NET any -> any any (msg:"VIGIL dsize request segment over 1000 bytes"; flow:established,to_server; dsize:>1000; classtype:misc-activity; sid:1000017; rev:1;)',
    'alert tcp any any -> any any (msg:"VIGIL flow to_client PHP/5 banner"; flow:established,to_client; content:"X-Powered-By|3a| PHP/5"; classtype:misc-activity; sid:1000018; rev:1;)',
    'alert tcp any any -> any any (msg:"VIGIL flow to_server loopback X-Forwarded-For"; flow:established,to_server; content:"X-Forwarded-For|3a| 127.0.0.1"; classtype:attempted-recon; sid:1000019; rev:1;)',
]}

CLASSIFICATION = [
    "# classtypes of the ids_http rules (lines as in ET Open's classification.config)",
    "config classification: bad-unknown,Potentially Bad Traffic, 2",
    "config classification: attempted-recon,Attempted Information Leak,2",
    "config classification: attempted-admin,Attempted Administrator Privilege Gain,1",
    "config classification: trojan-activity,A Network Trojan was detected, 1",
    "config classification: web-application-attack,Web Application Attack,1",
    "config classification: misc-activity,Misc activity,3",
    "config classification: policy-violation,Potential Corporate Privacy Violation,1",
    "config classification: command-and-control,Malware Command and Control Activity Detected,1",
]

VARS = {"address": {"HOME_NET": "[10.0.10.0/24]", "EXTERNAL_NET": "!$HOME_NET"},
        "port": {"HTTP_PORTS": "[80,8080]"}}

UA = "Mozilla/5.0 (X11; Linux x86_64)"


def req(method, uri, host="www.vigil.test", headers=(), body=b"", ua=UA):
    h = ["%s %s HTTP/1.1" % (method, uri), "Host: " + host, "User-Agent: " + ua, "Accept: */*"]
    h += list(headers)
    if body:
        h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def rsp(code, reason, body=b"", headers=()):
    h = ["HTTP/1.1 %d %s" % (code, reason), "Server: nginx"] + list(headers)
    h.append("Content-Length: %d" % len(body))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def http(conn, request, response, req_alerts=(), rsp_alerts=(), split=()):
    """One transaction; `split`: offsets where the request is cut into segments (the alerts
    belong to the last one, which completes the request)."""
    cuts = [0] + list(split) + [len(request)]
    for a, b in zip(cuts, cuts[1:]):
        conn.seg("c", request[a:b], alerts=req_alerts if b == len(request) else ())
    conn.seg("s", response, alerts=rsp_alerts)


def ids_http():
    cfg, H = make_config([("blue", 10, ["vb1", "vb2", "vb3"])], trunks=[{"port": "uplink"}])
    ids_config(cfg, RULES, VARS)
    c = IdsCase("ids_http", cfg, 21, RuleBook(RULES, CLASSIFICATION))
    c1, srv, c3 = H["vb1"], H["vb2"], H["vb3"]
    ext = Host(10, 0x64, "uplink")
    ext.ip4 = "203.0.113.80"                       # outside $HOME_NET
    for h in (c1, srv, c3, ext):
        c.sendh(h, arp_request(h, h.ip4))
    ok = rsp(200, "OK", b"ok")

    # A: keep-alive, two requests; the URI rule matches the percent-decoded URI only
    a = Tcp(c, c1, srv, 41001, 80, 1000, 90000).open()
    http(a, req("GET", "/%61dmin/login.php"), rsp(200, "OK", b"<html>login</html>"), [1000001])
    http(a, req("GET", "/administrator/login.php"),          # near miss: not /admin/login.php
         rsp(200, "OK", b"total: 500 items"))                  # near miss: 500 in the body
    a.close()
    # B: method and status code; the stream rule alerts once per direction (second banner silent)
    b = Tcp(c, c1, srv, 41002, 80, 2000, 91000).open()
    php5 = ["X-Powered-By: PHP/5.6.40"]
    http(b, req("OPTIONS", "/PUT"),                            # near miss: PUT in the URI only
         rsp(500, "Internal Server Error", b"error", php5), rsp_alerts=[1000008, 1000018])
    http(b, req("PUT", "/upload/a.txt", body=b"hello"),        # near miss isdataat: 5 bytes left
         rsp(201, "Created", b"", php5), [1000002])
    b.close()
    # C: host (normalised: lowercase, port stripped) and user agent, with their near misses
    cc = Tcp(c, c3, srv, 41003, 8080, 3000, 92000).open()
    http(cc, req("GET", "/", "EVIL.Example.NET:8080", ua="curl/8.1.2"),
         rsp(404, "Not Found"), [1000003, 1000004])
    http(cc, req("GET", "/", "notevil.example.network",       # contains, does not end with
                 ua="curl/8.1.2 vigil-probe"), ok)             # negated content present
    cc.close()
    # D: a request cut in two segments (inside the User-Agent); offset/depth, distance/within
    d = Tcp(c, c1, srv, 41004, 80, 4000, 93000).open()
    r = req("GET", "/api/v1/users", ua="curl/7.88.1", headers=["X-Api-Key: test-0001"])
    http(d, r, rsp(200, "OK", b'{"users":[]}'), [1000004, 1000005, 1000011],
         split=[r.index(b"curl") + 2])
    http(d, req("GET", "/apis/v1/users", ua="Mozilla/5.0 curl/7.88.1",  # v1/ at 6; not startswith
                headers=["X-Api-Key: prodtest"]), ok)          # "test" 4 bytes too far
    d.close()
    # E: cookie and request body, each with the same bytes in another buffer as near miss
    e = Tcp(c, c1, srv, 41005, 80, 5000, 94000).open()
    http(e, req("GET", "/profile?role=admin", headers=["Cookie: sid=42; role=user"]), ok)
    http(e, req("GET", "/profile", headers=["Cookie: sid=42; role=admin"]), ok, [1000006])
    http(e, req("POST", "/search.php", headers=["Content-Type: application/x-www-form-urlencoded"],
                body=b"q=1 UNION SELECT password FROM users"), rsp(200, "OK", b"no results"),
         [1000007])
    http(e, req("GET", "/search.php?q=1%20UNION%20SELECT%20password"), ok)   # URI, not body
    e.close()
    # F: file.data is the response body: not the request body, not a response header
    f = Tcp(c, c1, srv, 41006, 80, 6000, 95000).open()
    http(f, req("POST", "/upload.php", body=b"<?php eval($_POST['x']); ?>"),
         rsp(200, "OK", b"stored", ["X-Note: <?php eval("]))
    http(f, req("GET", "/shell.txt"),
         rsp(200, "OK", b"<?php eval(base64_decode('ZWNobyAx')); ?>"), rsp_alerts=[1000009])
    f.close()
    # G: http_uri, pcre /U, isdataat, bsize, urilen, each followed by its near miss
    g = Tcp(c, c1, srv, 41007, 80, 7000, 96000).open()
    http(g, req("GET", "/cgi-bin/view?file=/etc/passwd"), rsp(403, "Forbidden"), [1000010])
    http(g, req("GET", "/index.html", headers=["Referer: http://www.vigil.test/etc/passwd"]), ok)
    http(g, req("GET", "/download.php?id=12345"), ok, [1000012])
    http(g, req("GET", "/download.php?id=12a45"), rsp(404, "Not Found"))
    http(g, req("GET", "/upload/2024/11/28/backup-of-the-production-database.tar.gz"), ok,
         [1000014])
    http(g, req("GET", "/search?q=" + "vigil+ids+golden+replay+" * 5), ok, [1000015])
    http(g, req("GET", "/search?q=short"), ok)
    http(g, req("GET", "/status"), ok, [1000016])
    http(g, req("GET", "/status/"), ok)                        # urilen 8
    g.close()
    # H: pcre on a sticky buffer (the host)
    hh = Tcp(c, c1, srv, 41008, 80, 8000, 97000).open()
    http(hh, req("GET", "/lib.js", "cdn07.bad-cdn.example"), ok, [1000013])
    http(hh, req("GET", "/lib.js", "cdnx.bad-cdn.example"), ok)
    hh.close()
    # I: dsize (one segment over 1000 bytes to the server; exactly 1000 and a big response
    # don't count) and the to_server stream rule
    i = Tcp(c, c1, srv, 41009, 80, 9000, 98000).open()
    head = len(req("POST", "/backup", body=b"x" * 100)) - 100
    http(i, req("POST", "/backup", body=b"B" * 1000), ok, [1000017])
    exact = req("POST", "/backup", body=b"C" * (1000 - head))
    assert len(exact) == 1000
    http(i, exact, rsp(200, "OK", b"D" * 1200))
    http(i, req("GET", "/status-page", headers=["X-Forwarded-For: 127.0.0.1"]),
         rsp(200, "OK", b"up", ["X-Powered-By: PHP/7.4.3"]), [1000019])   # PHP/7: near miss
    i.close()
    # J: the stream rules' contents in the other direction
    j = Tcp(c, c1, srv, 41010, 80, 10000, 99000).open()
    http(j, req("GET", "/index.html", headers=php5), rsp(200, "OK", b"ok", ["X-Forwarded-For: 127.0.0.1"]))
    j.close()
    # K, L, M: $HOME_NET -> $EXTERNAL_NET $HTTP_PORTS; internal server and port 8081 miss
    k = Tcp(c, c1, ext, 41011, 8080, 11000, 100000).open()
    http(k, req("GET", "/beacon?id=7", "203.0.113.80:8080"), rsp(204, "No Content"), [1000020])
    k.close()
    m = Tcp(c, c1, srv, 41012, 80, 12000, 101000).open()
    http(m, req("GET", "/beacon?id=8"), rsp(204, "No Content"))
    m.close()
    m = Tcp(c, c1, ext, 41013, 8081, 13000, 102000).open()
    http(m, req("GET", "/beacon?id=9", "203.0.113.80:8081"), rsp(204, "No Content"))
    m.close()
    # N: not HTTP (no method at the start of the client stream): no http rule applies
    n = Tcp(c, c1, srv, 41014, 80, 14000, 103000).open()
    n.seg("c", b"hello /admin/login.php HTTP/1.1\r\nHost: evil.example.net\r\nUser-Agent: curl/8\r\n\r\n")
    n.seg("s", b"bye\r\n")
    n.close()
    # O: a chunked response larger than the stream buffer (8 KiB) on a keep-alive connection:
    # its body is followed chunk by chunk past the buffer, so the next response is still parsed
    # as HTTP and its status alerts (the resynchronisation a truncated chunked body needs)
    o = Tcp(c, c1, srv, 41015, 80, 15000, 104000).open()
    big = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nTransfer-Encoding: chunked\r\n\r\n"
    for k in range(24):
        big += b"3e8\r\n" + bytes([65 + k % 26]) * 1000 + b"\r\n"
    big += b"0\r\n\r\n"
    o.seg("c", req("GET", "/big.bin"))
    for a in range(0, len(big), 1400):
        o.seg("s", big[a:a + 1400])
    http(o, req("GET", "/after-big"), rsp(500, "Internal Server Error", b"oops"),
         rsp_alerts=[1000008])
    o.close()
    c.write()
