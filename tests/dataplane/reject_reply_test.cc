#include "dataplane/reject_reply.h"

#include <gtest/gtest.h>

#include "dataplane/frame_parser.h"
#include "tests/support/frame_builder.h"

namespace vigil {
namespace {

using namespace vigil::test;

uint16_t rd16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t rd32(const uint8_t* p) {
  return uint32_t(rd16(p)) << 16 | rd16(p + 2);
}

// A correct Internet checksum makes the one's-complement sum over the covered bytes 0xffff.
uint16_t ones_sum(uint32_t sum, const uint8_t* p, uint32_t n) {
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += rd16(p + i);
  if (n & 1) sum += uint32_t(p[n - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint16_t pseudo_sum(bool v4, const uint8_t* ip, uint8_t proto, uint32_t len) {
  uint32_t s = v4 ? ones_sum(0, ip + 12, 8) : ones_sum(0, ip + 8, 32);
  return static_cast<uint16_t>(s + proto + len);  // folded below by ones_sum
}

struct Reply {
  Bytes bytes;
  uint32_t len;
};

Reply reply_to(const Bytes& frame) {
  PacketMeta m;
  EXPECT_EQ(parse_frame(frame.data(), static_cast<uint32_t>(frame.size()), {}, m),
            DropReason::kNone);
  Reply r{Bytes(kRejectReplyMax), 0};
  r.len = build_reject_reply(frame.data(), static_cast<uint32_t>(frame.size()), m, r.bytes.data());
  return r;
}

Bytes tcp_segment(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t payload) {
  Bytes b = ipv4(6, 20 + payload);
  put16(b, 34, 40000);
  put16(b, 36, 22);
  put16(b, 38, static_cast<uint16_t>(seq >> 16));
  put16(b, 40, static_cast<uint16_t>(seq));
  put16(b, 42, static_cast<uint16_t>(ack >> 16));
  put16(b, 44, static_cast<uint16_t>(ack));
  b[46] = 5 << 4;
  b[47] = flags;
  return b;
}

TEST(RejectReply, SynGetsRstAckAcknowledgingIt) {
  const Reply r = reply_to(tcp_segment(0x02, 1000, 0, 0));
  ASSERT_EQ(r.len, 14u + 20 + 20);
  const uint8_t* ip = r.bytes.data() + 14;
  const uint8_t* tcp = ip + 20;
  EXPECT_TRUE(std::equal(r.bytes.begin(), r.bytes.begin() + 6, kSrcMac.begin()));  // to sender
  EXPECT_EQ(rd32(ip + 12), rd32(std::array<uint8_t, 4>{10, 0, 10, 2}.data()));     // from dst
  EXPECT_EQ(rd16(tcp), 22);
  EXPECT_EQ(rd16(tcp + 2), 40000);
  EXPECT_EQ(rd32(tcp + 4), 0u);
  EXPECT_EQ(rd32(tcp + 8), 1001u);
  EXPECT_EQ(tcp[13], 0x14);
  EXPECT_EQ(ones_sum(0, ip, 20), 0xffff);
  EXPECT_EQ(ones_sum(pseudo_sum(true, ip, 6, 20), tcp, 20), 0xffff);
}

TEST(RejectReply, AckBearingSegmentGetsRstAtItsAck) {
  const Reply r = reply_to(tcp_segment(0x18, 5000, 777, 10));
  ASSERT_GT(r.len, 0u);
  const uint8_t* tcp = r.bytes.data() + 14 + 20;
  EXPECT_EQ(rd32(tcp + 4), 777u);
  EXPECT_EQ(tcp[13], 0x04);
}

TEST(RejectReply, UdpGetsIcmpProhibitedQuotingIt) {
  Bytes udp = ipv4(17, 8 + 30);
  put16(udp, 38, 8 + 30);
  const Reply r = reply_to(udp);
  ASSERT_EQ(r.len, 14u + 20 + 8 + 20 + 8);
  const uint8_t* icmp = r.bytes.data() + 14 + 20;
  EXPECT_EQ(icmp[0], 3);
  EXPECT_EQ(icmp[1], 13);
  EXPECT_TRUE(std::equal(icmp + 8, icmp + 8 + 28, udp.begin() + 14));
  EXPECT_EQ(ones_sum(0, icmp, 36), 0xffff);
}

TEST(RejectReply, Ipv6GetsIcmpv6ProhibitedWithPseudoHeaderChecksum) {
  Bytes udp = ipv6(17, 8);
  put16(udp, 58, 8);
  const Reply r = reply_to(udp);
  ASSERT_EQ(r.len, 14u + 40 + 8 + 48);
  const uint8_t* ip = r.bytes.data() + 14;
  const uint8_t* icmp = ip + 40;
  EXPECT_EQ(icmp[0], 1);
  EXPECT_EQ(icmp[1], 1);
  EXPECT_EQ(ones_sum(pseudo_sum(false, ip, 58, 56), icmp, 56), 0xffff);
}

TEST(RejectReply, NoReplyWhereNoneIsDue) {
  Bytes rst = tcp_segment(0x04, 1, 0, 0);
  EXPECT_EQ(reply_to(rst).len, 0u);
  Bytes error = ipv4(1, 8 + 28);
  error[34] = 3;  // an ICMP error is never answered
  EXPECT_EQ(reply_to(error).len, 0u);
  Bytes bcast = ipv4(17, 8);
  put16(bcast, 38, 8);
  std::fill(bcast.begin(), bcast.begin() + 6, 0xff);
  EXPECT_EQ(reply_to(bcast).len, 0u);
  Bytes frag = ipv4(17, 8);
  put16(frag, 20, 0x0010);
  EXPECT_EQ(reply_to(frag).len, 0u);
}

}  // namespace
}  // namespace vigil
