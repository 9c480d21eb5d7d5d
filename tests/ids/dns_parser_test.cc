#include "ids/dns_parser.h"

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

// A DNS header: id, flags, qdcount and zero counts for the other sections.
Bytes header(uint16_t id, uint16_t flags, uint16_t qdcount = 1) {
  return {static_cast<uint8_t>(id >> 8),
          static_cast<uint8_t>(id),
          static_cast<uint8_t>(flags >> 8),
          static_cast<uint8_t>(flags),
          0,
          static_cast<uint8_t>(qdcount),
          0,
          0,
          0,
          0,
          0,
          0};
}

void append_name(Bytes& b, const std::vector<std::string>& labels) {
  for (const std::string& l : labels) {
    b.push_back(static_cast<uint8_t>(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.push_back(0);
}

void append_u16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

bool parse(const Bytes& b, DnsQuery& q) {
  return parse_dns_query_name(b.data(), static_cast<uint32_t>(b.size()), q);
}

TEST(DnsParser, QueryNameTypeAndFlags) {
  Bytes m = header(0x1234, 0x0100);
  append_name(m, {"www", "Example", "com"});
  append_u16(m, 28);  // AAAA
  append_u16(m, 1);
  DnsQuery q;
  ASSERT_TRUE(parse(m, q));
  EXPECT_EQ(q.name_view(), "www.Example.com");  // case kept as sent
  EXPECT_STREQ(q.name, "www.Example.com");
  EXPECT_EQ(q.qtype, 28u);
  EXPECT_EQ(q.qclass, 1u);
  EXPECT_EQ(q.id, 0x1234u);
  EXPECT_FALSE(q.is_response);
  EXPECT_EQ(q.opcode, 0u);
  EXPECT_EQ(q.qdcount, 1u);
  EXPECT_EQ(q.question_end, m.size());
}

TEST(DnsParser, RootNameIsEmpty) {
  Bytes m = header(1, 0);
  m.push_back(0);
  append_u16(m, 2);
  append_u16(m, 1);
  DnsQuery q;
  ASSERT_TRUE(parse(m, q));
  EXPECT_EQ(q.name_len, 0u);
  EXPECT_EQ(q.qtype, 2u);
}

// From ../shared/corpus/pcaps/dns_tcp.pcapng (TCP payloads, extracted once with scapy): a
// query for ripe.net ANY, and the start of its answer, whose length prefix came in a segment of
// its own ("05" then "89 b4 c3 ...").
TEST(DnsParser, RealTcpQueryAndResponse) {
  const Bytes query = from_hex("001ab4c3010000010000000000000472697065036e65740000ff0001");
  DnsQuery q;
  uint32_t wire_len = 0;
  ASSERT_TRUE(
      parse_dns_tcp_query_name(query.data(), static_cast<uint32_t>(query.size()), q, &wire_len));
  EXPECT_EQ(wire_len, 28u);  // 2 + 26
  EXPECT_EQ(q.name_view(), "ripe.net");
  EXPECT_EQ(q.qtype, 255u);
  EXPECT_FALSE(q.is_response);
  // Every cut of the message is incomplete, but its size is known once the prefix is there.
  for (uint32_t n = 0; n < query.size(); ++n) {
    wire_len = 0;
    EXPECT_FALSE(parse_dns_tcp_query_name(query.data(), n, q, &wire_len)) << n;
    EXPECT_EQ(wire_len, n >= 2 ? 28u : 0u);
  }

  // The answer's question, in the same message framing (its length prefix came in a TCP
  // segment of its own: "05" then "89 b4 c3 ...").
  const Bytes answer = from_hex(
      "0589b4c3818000010008000000000472697065036e65740000ff0001c00c0030000100000137010801010305");
  EXPECT_FALSE(
      parse_dns_tcp_query_name(answer.data(), static_cast<uint32_t>(answer.size()), q, &wire_len));
  EXPECT_EQ(wire_len, 2u + 0x589u);  // most of it not here yet
  ASSERT_TRUE(parse_dns_query_name(answer.data() + 2, static_cast<uint32_t>(answer.size() - 2), q));
  EXPECT_TRUE(q.is_response);
  EXPECT_EQ(q.ancount, 8u);
  EXPECT_EQ(q.name_view(), "ripe.net");
}

TEST(DnsParser, TcpLengthBoundsTheMessage) {
  Bytes msg = header(7, 0);
  append_name(msg, {"a"});
  append_u16(msg, 1);
  append_u16(msg, 1);
  Bytes m = {0, 14};  // claims 14 bytes: header and a 2-byte name, no room for qtype
  m.insert(m.end(), msg.begin(), msg.end());
  DnsQuery q;
  uint32_t wire_len = 0;
  EXPECT_FALSE(parse_dns_tcp_query_name(m.data(), static_cast<uint32_t>(m.size()), q, &wire_len));
  EXPECT_EQ(wire_len, 16u);
  m[1] = static_cast<uint8_t>(msg.size());
  // Two messages back to back: the first is parsed, wire_len says where the second starts.
  const Bytes first = m;
  m.insert(m.end(), first.begin(), first.end());
  ASSERT_TRUE(parse_dns_tcp_query_name(m.data(), static_cast<uint32_t>(m.size()), q, &wire_len));
  EXPECT_EQ(q.name_view(), "a");
  EXPECT_EQ(wire_len, first.size());
  EXPECT_TRUE(
      parse_dns_tcp_query_name(m.data() + wire_len, static_cast<uint32_t>(m.size() - wire_len), q));
}

TEST(DnsParser, CompressionPointerIsFollowed) {
  // The header's first bytes read as the name "a" (0x01 'a' 0x00): a backward pointer there.
  Bytes m = header(0x0161, 0x0000);
  m.insert(m.end(), {3, 'w', 'w', 'w', 0xc0, 0x00});
  append_u16(m, 1);
  append_u16(m, 1);
  DnsQuery q;
  ASSERT_TRUE(parse(m, q));
  EXPECT_EQ(q.name_view(), "www.a");
  EXPECT_EQ(q.question_end, m.size());  // after the pointer, not after where it led
  EXPECT_EQ(q.qtype, 1u);
}

TEST(DnsParser, PointerLoopsAndBadPointersFail) {
  DnsQuery q;
  // 0: "\x01a", 2: pointer to 0 -> "a.a.a..." forever.
  Bytes loop = header(0x0161, 0xc000);
  loop.insert(loop.end(), {0xc0, 0x02, 0, 1, 0, 1});
  EXPECT_FALSE(parse(loop, q));
  // A pointer to itself, forward, out of the message, cut in half.
  for (const Bytes& tail :
       std::vector<Bytes>{Bytes{0xc0, 0x0c, 0, 1, 0, 1}, Bytes{0xc0, 0x20, 0, 1, 0, 1},
                          Bytes{0xff, 0xff, 0, 1, 0, 1}, Bytes{0xc0}}) {
    Bytes m = header(1, 0);
    m.insert(m.end(), tail.begin(), tail.end());
    EXPECT_FALSE(parse(m, q));
  }
}

TEST(DnsParser, MalformedOrTruncatedMessagesFail) {
  DnsQuery q;
  Bytes good = header(1, 0);
  append_name(good, {"example", "org"});
  append_u16(good, 1);
  append_u16(good, 1);
  ASSERT_TRUE(parse(good, q));
  for (size_t n = 0; n < good.size(); ++n) {  // every truncation
    EXPECT_FALSE(parse_dns_query_name(good.data(), static_cast<uint32_t>(n), q)) << n;
  }
  Bytes no_question = good;
  no_question[5] = 0;
  EXPECT_FALSE(parse(no_question, q));
  Bytes ext_label = good;
  ext_label[12] = 0x47;  // 0x40 label type
  EXPECT_FALSE(parse(ext_label, q));
  Bytes bad_len = good;
  bad_len[12] = 60;  // runs past the end
  EXPECT_FALSE(parse(bad_len, q));
  EXPECT_FALSE(parse_dns_query_name(nullptr, 100, q));
}

TEST(DnsParser, NameLengthLimit) {
  const std::string l63(63, 'x');
  Bytes max = header(1, 0);
  append_name(max, {l63, l63, l63, std::string(61, 'y')});  // 255 bytes on the wire
  append_u16(max, 1);
  append_u16(max, 1);
  DnsQuery q;
  ASSERT_TRUE(parse(max, q));
  EXPECT_EQ(q.name_len, kDnsMaxName);
  EXPECT_EQ(q.name[kDnsMaxName], 0);
  Bytes over = header(1, 0);
  append_name(over, {l63, l63, l63, std::string(62, 'y')});
  append_u16(over, 1);
  append_u16(over, 1);
  EXPECT_FALSE(parse(over, q));
}

TEST(DnsParser, RandomBytesAndMutationsNeverBreakBounds) {
  std::mt19937 rng(53);
  Bytes seed = header(0x0161, 0x0100);
  append_name(seed, {"mail", "example", "net"});
  append_u16(seed, 15);
  append_u16(seed, 1);
  int ok = 0;
  for (int i = 0; i < 50000; ++i) {
    Bytes m;
    if (i % 3 == 0) {
      m.resize(rng() % 300);
      for (uint8_t& b : m) b = static_cast<uint8_t>(rng());
      if (m.size() > 5) m[5] = 1;  // a question, so the name walk runs
    } else {
      m = seed;
      for (int k = rng() % 4; k >= 0; --k) {
        const size_t at = rng() % m.size();
        m[at] =
            rng() % 3 == 0 ? static_cast<uint8_t>(0xc0 | (rng() & 1)) : static_cast<uint8_t>(rng());
      }
      if (rng() % 3 == 0) m.resize(rng() % m.size());
    }
    DnsQuery q;
    // Heap copy of exactly the message, so ASan catches any read past it.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[m.size() + 1]);
    std::copy(m.begin(), m.end(), copy.get());
    const uint32_t n = static_cast<uint32_t>(m.size());
    if (parse_dns_query_name(copy.get(), n, q)) {
      ++ok;
      ASSERT_LE(q.name_len, kDnsMaxName);
      ASSERT_EQ(q.name[q.name_len], 0);
      ASSERT_LE(q.question_end, n);
    }
    uint32_t wire_len = 0;
    if (parse_dns_tcp_query_name(copy.get(), n, q, &wire_len)) {
      ASSERT_LE(wire_len, n);
    }
  }
  EXPECT_GT(ok, 1000);
}

}  // namespace
}  // namespace vigil::ids
