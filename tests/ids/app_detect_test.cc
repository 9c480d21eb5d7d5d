#include "ids/app_detect.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace vigil::ids {
namespace {

constexpr bool kToServer = true;
constexpr bool kToClient = false;

AppProto tcp(const std::string& s, bool to_server, uint16_t sport = 40000, uint16_t dport = 80) {
  return detect_app(reinterpret_cast<const uint8_t*>(s.data()), static_cast<uint32_t>(s.size()),
                    to_server, kIpProtoTcp, sport, dport);
}
AppProto udp(const std::string& s, uint16_t sport, uint16_t dport) {
  return detect_app(reinterpret_cast<const uint8_t*>(s.data()), static_cast<uint32_t>(s.size()),
                    kToServer, kIpProtoUdp, sport, dport);
}
std::string hex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// From ../shared/corpus/pcaps/dns_tcp.pcapng: a query for ripe.net ANY (with its TCP length).
const std::string kDnsTcpQuery = hex("001ab4c3010000010000000000000472697065036e65740000ff0001");
const std::string kDnsQuery = kDnsTcpQuery.substr(2);
// The start of a ClientHello (record header, handshake type 1) and of a ServerHello.
const std::string kClientHelloStart = hex("160301007e0100007a0303");
const std::string kServerHelloStart = hex("160303004a0200004603");

TEST(AppDetect, HttpRequestsByMethod) {
  for (const char* m :
       {"GET / HTTP/1.1\r\n", "POST /x HTTP/1.0\r\n", "HEAD / ", "PUT /f ", "DELETE /a ",
        "OPTIONS * ", "CONNECT h:443 ", "TRACE / ", "PATCH /p ", "PROPFIND /dav "}) {
    EXPECT_EQ(tcp(m, kToServer), AppProto::kHttp) << m;
  }
  EXPECT_EQ(tcp("G", kToServer), AppProto::kUnknown);
  EXPECT_EQ(tcp("GE", kToServer), AppProto::kUnknown);
  EXPECT_EQ(tcp("GET", kToServer), AppProto::kUnknown);  // the space decides
  EXPECT_EQ(tcp("PROPF", kToServer), AppProto::kUnknown);
  EXPECT_EQ(tcp("GETX /", kToServer), AppProto::kFailed);
  EXPECT_EQ(tcp("get / HTTP/1.1", kToServer), AppProto::kFailed);  // methods are case-sensitive
  EXPECT_EQ(tcp("HTTP/1.1 200 OK\r\n", kToServer), AppProto::kFailed);
  EXPECT_EQ(tcp("\x01\x02\x03", kToServer), AppProto::kFailed);
}

TEST(AppDetect, HttpResponses) {
  EXPECT_EQ(tcp("HTTP/1.1 200 OK\r\n", kToClient), AppProto::kHttp);
  EXPECT_EQ(tcp("HTTP/1.0 404", kToClient), AppProto::kHttp);
  EXPECT_EQ(tcp("HTTP/1", kToClient), AppProto::kUnknown);
  EXPECT_EQ(tcp("HTTP/2.0 200", kToClient), AppProto::kFailed);
  EXPECT_EQ(tcp("GET / HTTP/1.1", kToClient), AppProto::kFailed);
}

TEST(AppDetect, Tls) {
  EXPECT_EQ(tcp(kClientHelloStart, kToServer, 40000, 443), AppProto::kTls);
  EXPECT_EQ(tcp(kServerHelloStart, kToClient, 443, 40000), AppProto::kTls);
  EXPECT_EQ(tcp(kClientHelloStart, kToClient), AppProto::kFailed);  // a ClientHello from a server
  for (size_t n = 1; n <= 5; ++n) {
    EXPECT_EQ(tcp(kClientHelloStart.substr(0, n), kToServer), AppProto::kUnknown) << n;
  }
  EXPECT_EQ(tcp(hex("160305"), kToServer), AppProto::kFailed);
  EXPECT_EQ(tcp(hex("1703030010"), kToServer), AppProto::kFailed);  // application data
  EXPECT_EQ(tcp(hex("1603010000"), kToServer), AppProto::kUnknown);
  EXPECT_EQ(tcp(hex("160301000001"), kToServer), AppProto::kFailed);  // empty record
}

TEST(AppDetect, Ssh) {
  EXPECT_EQ(tcp("SSH-2.0-OpenSSH_9.2p1\r\n", kToServer, 40000, 22), AppProto::kSsh);
  EXPECT_EQ(tcp("SSH-2.0-OpenSSH_9.2p1\r\n", kToClient, 22, 40000), AppProto::kSsh);
  EXPECT_EQ(tcp("SS", kToClient), AppProto::kUnknown);
  EXPECT_EQ(tcp("SSX", kToClient), AppProto::kFailed);
}

TEST(AppDetect, DnsOverUdp) {
  EXPECT_EQ(udp(kDnsQuery, 40000, 53), AppProto::kDns);
  EXPECT_EQ(udp(kDnsQuery, 53, 40000), AppProto::kDns);
  EXPECT_EQ(udp(kDnsQuery, 40000, 5353), AppProto::kFailed);              // port 53 only
  EXPECT_EQ(udp(kDnsQuery.substr(0, 20), 40000, 53), AppProto::kFailed);  // a datagram is whole
  EXPECT_EQ(udp("", 40000, 53), AppProto::kFailed);
  EXPECT_EQ(udp(std::string(40, 'A'), 40000, 53), AppProto::kFailed);
  std::string odd_class = kDnsQuery;
  odd_class.back() = 0x42;  // qclass 0x0042: parses, but is not DNS
  EXPECT_EQ(udp(odd_class, 40000, 53), AppProto::kFailed);
  std::string odd_opcode = kDnsQuery;
  odd_opcode[2] = static_cast<char>(0x78);  // opcode 15
  EXPECT_EQ(udp(odd_opcode, 40000, 53), AppProto::kFailed);
}

TEST(AppDetect, DnsOverTcp) {
  EXPECT_EQ(tcp(kDnsTcpQuery, kToServer, 45818, 53), AppProto::kDns);
  EXPECT_EQ(tcp(kDnsTcpQuery.substr(0, 1), kToClient, 53, 45818), AppProto::kUnknown);
  EXPECT_EQ(tcp(kDnsTcpQuery.substr(0, 20), kToServer, 45818, 53), AppProto::kUnknown);
  EXPECT_EQ(tcp(kDnsTcpQuery, kToServer, 45818, 80), AppProto::kFailed);  // not port 53
  EXPECT_EQ(tcp("GET / HTTP/1.1\r\n", kToServer, 45818, 53), AppProto::kHttp);
  EXPECT_EQ(tcp(hex("0010") + std::string(16, '\xff'), kToServer, 45818, 53), AppProto::kFailed);
  // A large answer still arriving: its question decides.
  const std::string answer_start =
      hex("0589b4c3818000010008000000000472697065036e65740000ff0001c00c00300001");
  EXPECT_EQ(tcp(answer_start, kToClient, 53, 45818), AppProto::kDns);
}

TEST(AppDetect, OtherProtocolsAndEmptyData) {
  EXPECT_EQ(detect_app(reinterpret_cast<const uint8_t*>("GET / "), 6, kToServer, 1, 0, 0),
            AppProto::kFailed);
  EXPECT_EQ(detect_app(nullptr, 0, kToServer, kIpProtoTcp, 1, 2), AppProto::kUnknown);
  EXPECT_STREQ(app_proto_name(AppProto::kHttp), "http");
  EXPECT_STREQ(app_proto_name(AppProto::kFailed), "failed");
  EXPECT_STREQ(app_proto_name(AppProto::kUnknown), "unknown");
}

// ssh_banner returns views into its input: keep the input alive until the next call.
bool banner(std::string s, SshBanner& b) {
  static std::string kept;
  kept = std::move(s);
  return ssh_banner(reinterpret_cast<const uint8_t*>(kept.data()),
                    static_cast<uint32_t>(kept.size()), b);
}

TEST(AppDetect, SshBanner) {
  SshBanner b;
  const std::string line = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n";
  ASSERT_TRUE(banner(line + "\x00\x00\x01\x14", b));
  EXPECT_EQ(b.proto_version, "2.0");
  EXPECT_EQ(b.software, "OpenSSH_9.2p1");
  EXPECT_EQ(b.comments, "Debian-2+deb12u1");
  EXPECT_EQ(b.line_len, line.size());
  ASSERT_TRUE(banner("SSH-1.99-Cisco-1.25\n", b));  // bare LF tolerated
  EXPECT_EQ(b.proto_version, "1.99");
  EXPECT_EQ(b.software, "Cisco-1.25");
  EXPECT_EQ(b.comments, "");
  for (const std::string& bad :
       {std::string("SSH-2.0-OpenSSH"), std::string("SSH-2.0-\r\n"), std::string("SSH--x\r\n"),
        std::string("SSH-2.0\r\n"), std::string("SSH-2.0-a\x01\r\n"), std::string("SSH-2 0-x\r\n"),
        std::string("ssh-2.0-x\r\n"), "SSH-2.0-" + std::string(300, 'a') + "\r\n"}) {
    EXPECT_FALSE(banner(bad, b)) << bad;
  }
}

// Detection must be stable: once a prefix of a stream decides (anything but kUnknown), every
// longer prefix decides the same way, or a flow could change protocol as bytes arrive.
TEST(AppDetect, DecisionsAreStableAsBytesArrive) {
  std::mt19937 rng(80);
  const std::string seeds[] = {"GET /index.html HTTP/1.1\r\n",
                               "HTTP/1.1 200 OK\r\n",
                               kClientHelloStart + "abcdef",
                               kServerHelloStart,
                               "SSH-2.0-x\r\n",
                               kDnsTcpQuery,
                               "PROPFIND / HTTP/1.1\r\n"};
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % 7];
    if (rng() % 2) s[rng() % s.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) {
      s.clear();
      for (int k = rng() % 40; k > 0; --k) s += static_cast<char>(rng());
    }
    const bool to_server = rng() % 2;
    const uint16_t sport = rng() % 3 == 0 ? 53 : 40000;
    const uint16_t dport = rng() % 3 == 0 ? 53 : 80;
    AppProto decided = AppProto::kUnknown;
    for (size_t n = 1; n <= s.size(); ++n) {
      std::unique_ptr<uint8_t[]> copy(new uint8_t[n]);
      std::memcpy(copy.get(), s.data(), n);
      const AppProto p =
          detect_app(copy.get(), static_cast<uint32_t>(n), to_server, kIpProtoTcp, sport, dport);
      if (decided != AppProto::kUnknown) {
        ASSERT_EQ(p, decided) << "seed " << i << " prefix " << n;
      }
      decided = p;
      // UDP on the same bytes must not crash either.
      detect_app(copy.get(), static_cast<uint32_t>(n), to_server, kIpProtoUdp, sport, dport);
      SshBanner b;
      ssh_banner(copy.get(), static_cast<uint32_t>(n), b);
    }
  }
}

}  // namespace
}  // namespace vigil::ids
