#include "ids/tls_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace vigil::ids {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes from_hex(const std::string& hex) {
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

void u16(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void append(Bytes& b, const Bytes& more) {
  for (uint8_t x : more) b.push_back(x);
}

// Generated once with Debian's scapy (python3-scapy):
//   load_layer("tls")
//   ch = TLSClientHello(version=0x0303, gmt_unix_time=0x01020304, random_bytes=bytes(range(28)),
//       sid=bytes(range(32)), ciphers=[0x1301, 0x1302, 0xc02f], comp=[0],
//       ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=b"www.Example.com")]),
//            TLS_Ext_SupportedGroups(groups=[29, 23]),
//            TLS_Ext_SupportedVersion_CH(versions=[0x0304, 0x0303])])
//   bytes(TLS(version=0x0301, type=22, msg=[ch])).hex()
const Bytes kScapyHello = from_hex(
    "160301007e0100007a030301020304000102030405060708090a0b0c0d0e0f101112131415161718191a1b2000"
    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f000613011302c02f0100002b0000"
    "0014001200000f7777772e4578616d706c652e636f6d000a00060004001d0017002b00050403040303");

Bytes sni_extension(const std::string& host) {
  Bytes e;
  u16(e, 0);                // server_name
  u16(e, host.size() + 5);  // extension length
  u16(e, host.size() + 3);  // server_name_list length
  e.push_back(0);           // host_name
  u16(e, host.size());
  append(e, Bytes(host.begin(), host.end()));
  return e;
}

// The hello body (client_version ... extensions), hand-built.
Bytes hello_body(const Bytes& extensions, bool with_extensions = true, uint8_t sid_len = 0) {
  Bytes b = {0x03, 0x03};
  append(b, Bytes(32, 0xab));  // random
  b.push_back(sid_len);
  append(b, Bytes(sid_len, 0x11));
  u16(b, 4);
  append(b, {0x13, 0x01, 0xc0, 0x2f});
  b.push_back(1);
  b.push_back(0);
  if (with_extensions) {
    u16(b, extensions.size());
    append(b, extensions);
  }
  return b;
}

Bytes handshake(uint8_t type, const Bytes& body) {
  Bytes h = {type, static_cast<uint8_t>(body.size() >> 16)};
  u16(h, body.size());
  append(h, body);
  return h;
}

Bytes record(uint8_t type, const Bytes& payload, uint16_t version = 0x0301) {
  Bytes r = {type};
  u16(r, version);
  u16(r, payload.size());
  append(r, payload);
  return r;
}

TlsParse parse(const Bytes& b, TlsClientHello& h) {
  return parse_tls_client_hello(b.data(), static_cast<uint32_t>(b.size()), h);
}

TEST(TlsParser, ScapyClientHelloWithSni) {
  TlsClientHello h;
  ASSERT_EQ(parse(kScapyHello, h), TlsParse::kClientHello) << (h.error ? h.error : "");
  EXPECT_TRUE(h.has_sni);
  EXPECT_EQ(h.sni_view(), "www.Example.com");
  EXPECT_STREQ(h.sni, "www.Example.com");
  EXPECT_FALSE(h.sni_truncated);
  EXPECT_EQ(h.record_version, 0x0301u);
  EXPECT_EQ(h.client_version, 0x0303u);
  EXPECT_EQ(h.session_id_len, 32u);
  EXPECT_EQ(h.n_cipher_suites, 3u);
  EXPECT_EQ(h.n_extensions, 3u);
  EXPECT_EQ(h.consumed, kScapyHello.size());
}

TEST(TlsParser, HelloWithoutSni) {
  Bytes other;
  u16(other, 10);  // supported_groups
  u16(other, 4);
  append(other, {0, 2, 0, 29});
  TlsClientHello h;
  ASSERT_EQ(parse(record(22, handshake(1, hello_body(other)), 0x0303), h), TlsParse::kClientHello);
  EXPECT_FALSE(h.has_sni);
  EXPECT_EQ(h.sni_len, 0u);
  EXPECT_EQ(h.n_extensions, 1u);
  EXPECT_EQ(h.record_version, 0x0303u);
  // No extension block at all (SSL 3.0 style), with a session id.
  ASSERT_EQ(parse(record(22, handshake(1, hello_body({}, false, 16)), 0x0300), h),
            TlsParse::kClientHello);
  EXPECT_EQ(h.session_id_len, 16u);
  EXPECT_EQ(h.n_extensions, 0u);
}

TEST(TlsParser, FirstHostNameWinsAndLongNamesAreTruncated) {
  const std::string big(300, 'n');
  Bytes exts = sni_extension(big);
  TlsClientHello h;
  ASSERT_EQ(parse(record(22, handshake(1, hello_body(exts))), h), TlsParse::kClientHello);
  EXPECT_TRUE(h.sni_truncated);
  EXPECT_EQ(h.sni_len, kTlsMaxSni);
  EXPECT_EQ(h.sni_view(), big.substr(0, kTlsMaxSni));
  // A server_name list with a non-host_name entry first.
  Bytes list;
  u16(list, 0);
  u16(list, 2 + 4 + 6);
  u16(list, 4 + 6);
  append(list, {7, 0, 1, 'x'});            // unknown name type
  append(list, {0, 0, 3, 'a', '.', 'b'});  // host_name
  ASSERT_EQ(parse(record(22, handshake(1, hello_body(list))), h), TlsParse::kClientHello);
  EXPECT_EQ(h.sni_view(), "a.b");
}

TEST(TlsParser, TruncatedRecordsAreIncomplete) {
  for (size_t n = 0; n < kScapyHello.size(); ++n) {
    TlsClientHello h;
    EXPECT_EQ(parse_tls_client_hello(kScapyHello.data(), static_cast<uint32_t>(n), h),
              TlsParse::kIncomplete)
        << n;
  }
}

TEST(TlsParser, HelloFragmentedOverTwoRecords) {
  const Bytes hs(kScapyHello.begin() + 5, kScapyHello.end());
  Bytes two = record(22, Bytes(hs.begin(), hs.begin() + 50));
  append(two, record(22, Bytes(hs.begin() + 50, hs.end())));
  TlsClientHello h;
  ASSERT_EQ(parse(two, h), TlsParse::kClientHello) << (h.error ? h.error : "");
  EXPECT_EQ(h.sni_view(), "www.Example.com");
  EXPECT_EQ(h.consumed, two.size());
  // The second record not there yet, or cut.
  EXPECT_EQ(parse_tls_client_hello(two.data(), 55 + 3, h), TlsParse::kIncomplete);
  EXPECT_EQ(parse_tls_client_hello(two.data(), static_cast<uint32_t>(two.size() - 1), h),
            TlsParse::kIncomplete);
  // The continuation is not a handshake record.
  Bytes bad = record(22, Bytes(hs.begin(), hs.begin() + 50));
  append(bad, record(23, Bytes(hs.begin() + 50, hs.end())));
  EXPECT_EQ(parse(bad, h), TlsParse::kError);
  EXPECT_STREQ(h.error, tls_error::kBadFragment);
}

TEST(TlsParser, NotTls) {
  TlsClientHello h;
  for (const Bytes& b :
       std::vector<Bytes>{Bytes{'G', 'E', 'T', ' '}, Bytes{0x16, 0x02}, Bytes{0x16, 0x03, 0x05},
                          Bytes{0x17, 0x03, 0x03, 0x00, 0x10}, Bytes{0x80, 0x2e, 0x01}}) {
    EXPECT_EQ(parse(b, h), TlsParse::kNotTls);
  }
  EXPECT_EQ(parse(Bytes{0x16}, h), TlsParse::kIncomplete);
  EXPECT_EQ(parse(Bytes{0x16, 0x03, 0x01, 0x00}, h), TlsParse::kIncomplete);
}

TEST(TlsParser, MalformedHellosAreErrors) {
  const Bytes sni = sni_extension("h.example");
  struct Case {
    Bytes bytes;
    const char* reason;
  };
  std::vector<Case> cases;
  cases.push_back({record(22, handshake(2, hello_body(sni))), tls_error::kNotClientHello});
  cases.push_back({record(22, {}), tls_error::kBadRecordLength});
  cases.push_back({record(22, {1, 0, 0}), tls_error::kBadHello});
  Bytes huge = {22, 3, 1, 0x50, 0x00};  // 20480 > the record limit
  cases.push_back({huge, tls_error::kBadRecordLength});
  cases.push_back({record(22, handshake(1, hello_body(sni, true, 33))), tls_error::kBadHello});
  Bytes odd_suites = hello_body(sni);
  odd_suites[36] = 3;  // cipher suites length, odd (after version, random, empty session id)
  cases.push_back({record(22, handshake(1, odd_suites)), tls_error::kBadHello});
  Bytes no_comp = hello_body({}, false);
  no_comp[41] = 0;  // compression methods count
  cases.push_back({record(22, handshake(1, no_comp)), tls_error::kBadHello});
  Bytes ext_overrun = hello_body(sni);
  ext_overrun[44] += 1;  // extensions block longer than the hello
  cases.push_back({record(22, handshake(1, ext_overrun)), tls_error::kBadExtensions});
  Bytes inner_overrun = sni;
  inner_overrun[3] += 1;  // server_name extension longer than the block
  cases.push_back({record(22, handshake(1, hello_body(inner_overrun))), tls_error::kBadExtensions});
  Bytes list_mismatch = sni;
  list_mismatch[5] -= 1;  // server_name_list length disagrees with the extension
  cases.push_back({record(22, handshake(1, hello_body(list_mismatch))), tls_error::kBadExtensions});
  Bytes too_big = record(22, {1, 0, 0x40, 0x00, 0x03, 0x03});  // 16 KiB hello in a 6-byte record
  cases.push_back({too_big, tls_error::kHelloTooLarge});
  for (size_t i = 0; i < cases.size(); ++i) {
    TlsClientHello h;
    EXPECT_EQ(parse(cases[i].bytes, h), TlsParse::kError) << i;
    EXPECT_STREQ(h.error, cases[i].reason) << i;
  }
}

TEST(TlsParser, RecordHelpers) {
  const Bytes app = {0x17, 0x03, 0x03, 0x00, 0x10, 0xaa};
  EXPECT_TRUE(tls_is_application_data(app.data(), 6));
  EXPECT_TRUE(tls_is_application_data(app.data(), 5));
  EXPECT_FALSE(tls_is_application_data(app.data(), 4));
  const Bytes app_bad_version = {0x17, 0x03, 0x05, 0x00, 0x10};
  EXPECT_FALSE(tls_is_application_data(app_bad_version.data(), 5));
  const Bytes app_empty = {0x17, 0x03, 0x03, 0x00, 0x00};
  EXPECT_FALSE(tls_is_application_data(app_empty.data(), 5));
  EXPECT_FALSE(tls_is_application_data(kScapyHello.data(), 5));

  const Bytes server_hello = record(22, handshake(2, Bytes(40, 0)), 0x0303);
  EXPECT_TRUE(tls_is_server_hello(server_hello.data(), 6));
  EXPECT_FALSE(tls_is_server_hello(server_hello.data(), 5));
  EXPECT_FALSE(tls_is_server_hello(kScapyHello.data(), 6));

  const Bytes ccs = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
  EXPECT_TRUE(tls_is_change_cipher_spec(ccs.data(), 6));
  EXPECT_FALSE(tls_is_change_cipher_spec(ccs.data(), 5));
  const Bytes ccs_long = {0x14, 0x03, 0x03, 0x00, 0x02, 0x01, 0x01};
  EXPECT_FALSE(tls_is_change_cipher_spec(ccs_long.data(), 7));

  TlsRecordHeader rec;
  ASSERT_TRUE(tls_record_header(kScapyHello.data(), 5, rec));
  EXPECT_EQ(rec.type, kTlsHandshake);
  EXPECT_EQ(rec.version, 0x0301u);
  EXPECT_EQ(rec.length, 0x7eu);
}

TEST(TlsParser, RandomBytesAndMutationsNeverBreakBounds) {
  std::mt19937 rng(443);
  const Bytes hs(kScapyHello.begin() + 5, kScapyHello.end());
  Bytes fragmented = record(22, Bytes(hs.begin(), hs.begin() + 70));
  append(fragmented, record(22, Bytes(hs.begin() + 70, hs.end())));
  const Bytes seeds[] = {kScapyHello, fragmented};
  int hellos = 0;
  for (int i = 0; i < 50000; ++i) {
    Bytes b;
    if (i % 4 == 0) {
      b = {0x16, 0x03, static_cast<uint8_t>(rng() % 5)};
      for (int k = rng() % 300; k > 0; --k) b.push_back(static_cast<uint8_t>(rng()));
    } else {
      b = seeds[rng() % 2];
      for (int k = rng() % 4; k >= 0; --k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) b.resize(rng() % b.size());
    }
    std::unique_ptr<uint8_t[]> copy(new uint8_t[b.size() + 1]);
    std::copy(b.begin(), b.end(), copy.get());
    const uint32_t n = static_cast<uint32_t>(b.size());
    TlsClientHello h;
    const TlsParse p = parse_tls_client_hello(copy.get(), n, h);
    if (p == TlsParse::kClientHello) {
      ++hellos;
      ASSERT_LE(h.sni_len, kTlsMaxSni);
      ASSERT_EQ(h.sni[h.sni_len], 0);
      ASSERT_LE(h.consumed, n);
      ASSERT_GT(h.consumed, kTlsRecordHeaderLen);
    }
    if (p == TlsParse::kError) {
      ASSERT_NE(h.error, nullptr);
    }
    tls_is_application_data(copy.get(), n);
    tls_is_server_hello(copy.get(), n);
    tls_is_change_cipher_spec(copy.get(), n);
  }
  EXPECT_GT(hellos, 1000);
}

}  // namespace
}  // namespace vigil::ids
