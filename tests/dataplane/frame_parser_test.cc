#include "dataplane/frame_parser.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/support/frame_builder.h"

namespace vigil {
namespace {

using namespace vigil::test;

DropReason parse(const Bytes& b, PacketMeta* out = nullptr, uint32_t max_frame = 1518) {
  PacketMeta m;
  const DropReason r = parse_frame(b.data(), static_cast<uint32_t>(b.size()), {max_frame}, m);
  if (out) *out = m;
  return r;
}

Bytes tcp_frame(uint8_t data_offset = 5, std::size_t len = 20) {
  Bytes b = ipv4(6, len);
  b[14 + 20 + 12] = static_cast<uint8_t>(data_offset << 4);
  return b;
}

Bytes udp_frame(uint16_t udp_len, std::size_t len = 8) {
  Bytes b = ipv4(17, len);
  put16(b, 14 + 20 + 4, udp_len);
  return b;
}

TEST(FrameParser, AcceptsTcpUdpIcmp) {
  PacketMeta m;
  EXPECT_EQ(parse(tcp_frame(), &m), DropReason::kNone);
  EXPECT_EQ(m.l3, L3Kind::kIpv4);
  EXPECT_EQ(m.l4_proto, 6);
  EXPECT_EQ(m.l3_offset, 14);
  EXPECT_EQ(m.l4_offset, 34);
  EXPECT_EQ(parse(udp_frame(8), &m), DropReason::kNone);
  EXPECT_EQ(m.l4_proto, 17);
  EXPECT_EQ(parse(ipv4(1, 8), &m), DropReason::kNone);
  EXPECT_EQ(m.l4_proto, 1);
}

TEST(FrameParser, RuntAndTruncatedTag) {
  EXPECT_EQ(parse(Bytes(13, 0x02)), DropReason::kRunt);
  Bytes tagged = ether(0x0800, 10);
  tagged.resize(17);
  EXPECT_EQ(parse(tagged), DropReason::kTruncatedVlan);
}

TEST(FrameParser, ReadsTheTag) {
  Bytes b = ether(0x0806, 20, 5);
  b.resize(b.size() + 28, 0);
  PacketMeta m;
  EXPECT_EQ(parse(b, &m), DropReason::kNone);
  EXPECT_TRUE(m.tagged);
  EXPECT_EQ(m.vlan_id, 20);
  EXPECT_EQ(m.pcp, 5);
  EXPECT_EQ(m.l3, L3Kind::kArp);
  EXPECT_EQ(m.l3_offset, 18);
}

TEST(FrameParser, DoubleTagged) {
  Bytes b = ether(0x8100, 10);
  b.resize(b.size() + 30, 0);
  EXPECT_EQ(parse(b), DropReason::kDoubleTagged);
  EXPECT_EQ(parse(ether(0x88a8)), DropReason::kDoubleTagged);
}

TEST(FrameParser, OversizedCountsTheTag) {
  Bytes untagged = ether(0x9000);
  untagged.resize(1518, 0);
  EXPECT_EQ(parse(untagged), DropReason::kNone);
  untagged.push_back(0);
  EXPECT_EQ(parse(untagged), DropReason::kOversized);
  Bytes tagged = ether(0x9000, 10);
  tagged.resize(1522, 0);
  EXPECT_EQ(parse(tagged), DropReason::kNone);
  tagged.push_back(0);
  EXPECT_EQ(parse(tagged), DropReason::kOversized);
}

TEST(FrameParser, SourceAndReservedMacs) {
  Bytes b = ether(0x9000);
  b[6] = 0x01;  // multicast source
  EXPECT_EQ(parse(b), DropReason::kBadSrcMac);
  b = ether(0x9000);
  for (int i = 6; i < 12; ++i) b[i] = 0;
  EXPECT_EQ(parse(b), DropReason::kBadSrcMac);
  b = ether(0x9000);
  const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0, 0, 0x0e};
  std::copy(stp, stp + 6, b.begin());
  EXPECT_EQ(parse(b), DropReason::kReservedMulticast);
  b[5] = 0x10;  // 01:80:c2:00:00:10 is not reserved
  EXPECT_EQ(parse(b), DropReason::kNone);
}

TEST(FrameParser, TruncatedArp) {
  Bytes b = ether(0x0806);
  b.resize(b.size() + 27, 0);
  EXPECT_EQ(parse(b), DropReason::kTruncatedArp);
}

TEST(FrameParser, Ipv4HeaderChecks) {
  Bytes b = ipv4(17, 8);
  b.resize(14 + 19);
  EXPECT_EQ(parse(b), DropReason::kTruncatedIpv4);
  b = udp_frame(8);
  b[14] = 0x65;
  EXPECT_EQ(parse(b), DropReason::kBadIpVersion);
  b = udp_frame(8);
  b[14] = 0x44;
  EXPECT_EQ(parse(b), DropReason::kBadIhl);
  b = udp_frame(8);
  b[14] = 0x4f;  // 60-byte header in a 42-byte frame
  EXPECT_EQ(parse(b), DropReason::kBadIhl);
  b = udp_frame(8);
  put16(b, 16, 19);
  EXPECT_EQ(parse(b), DropReason::kBadIpv4TotalLength);
  put16(b, 16, 29);
  EXPECT_EQ(parse(b), DropReason::kBadIpv4TotalLength);
}

TEST(FrameParser, Ipv4PaddingAndOptionsAreFine) {
  Bytes b = udp_frame(8);
  b.resize(b.size() + 18, 0);  // Ethernet padding beyond the IP total length
  EXPECT_EQ(parse(b), DropReason::kNone);
  Bytes opt = ipv4(17, 8, 6);
  put16(opt, 14 + 24 + 4, 8);
  PacketMeta m;
  EXPECT_EQ(parse(opt, &m), DropReason::kNone);
  EXPECT_EQ(m.l4_offset, 14 + 24);
}

TEST(FrameParser, NonFirstFragmentHasNoL4) {
  Bytes b = ipv4(6, 4);  // 4 bytes: too short for TCP, but this is not the first fragment
  put16(b, 14 + 6, 0x0010);
  PacketMeta m;
  EXPECT_EQ(parse(b, &m), DropReason::kNone);
  EXPECT_TRUE(m.is_fragment);
  EXPECT_EQ(m.l4_proto, 0);
}

TEST(FrameParser, FirstFragmentSkipsUdpLengthCheck) {
  Bytes b = udp_frame(1000, 16);
  EXPECT_EQ(parse(b), DropReason::kBadUdpLength);
  put16(b, 14 + 6, 0x2000);  // more fragments
  EXPECT_EQ(parse(b), DropReason::kNone);
}

TEST(FrameParser, TcpChecks) {
  EXPECT_EQ(parse(tcp_frame(5, 19)), DropReason::kTruncatedTcp);
  EXPECT_EQ(parse(tcp_frame(4, 20)), DropReason::kBadTcpDataOffset);
  EXPECT_EQ(parse(tcp_frame(6, 20)), DropReason::kTruncatedTcp);
  EXPECT_EQ(parse(tcp_frame(6, 24)), DropReason::kNone);
}

TEST(FrameParser, UdpAndIcmpChecks) {
  EXPECT_EQ(parse(udp_frame(0, 7)), DropReason::kTruncatedUdp);
  EXPECT_EQ(parse(udp_frame(7, 8)), DropReason::kBadUdpLength);
  EXPECT_EQ(parse(udp_frame(9, 8)), DropReason::kBadUdpLength);
  EXPECT_EQ(parse(ipv4(1, 7)), DropReason::kTruncatedIcmp);
  EXPECT_EQ(parse(ipv6(58, 7)), DropReason::kTruncatedIcmpv6);
  EXPECT_EQ(parse(ipv6(58, 8)), DropReason::kNone);
}

TEST(FrameParser, Ipv6Checks) {
  Bytes b = ipv6(59, 0);
  b.resize(14 + 39);
  EXPECT_EQ(parse(b), DropReason::kTruncatedIpv6);
  b = ipv6(59, 0);
  b[14] = 0x40;
  EXPECT_EQ(parse(b), DropReason::kBadIpVersion);
  b = ipv6(59, 0);
  put16(b, 14 + 4, 1);
  EXPECT_EQ(parse(b), DropReason::kBadIpv6PayloadLength);
}

TEST(FrameParser, Ipv6ExtensionHeaders) {
  Bytes b = ipv6(0, 8 + 8);  // hop-by-hop, then UDP
  b[14 + 40] = 17;
  put16(b, 14 + 48 + 4, 8);
  PacketMeta m;
  EXPECT_EQ(parse(b, &m), DropReason::kNone);
  EXPECT_EQ(m.l4_proto, 17);
  EXPECT_EQ(m.l4_offset, 14 + 48);

  Bytes cut = ipv6(0, 4);
  EXPECT_EQ(parse(cut), DropReason::kTruncatedIpv6Ext);
  Bytes long_ext = ipv6(60, 8);
  long_ext[14 + 41] = 1;  // claims 16 bytes, 8 present
  EXPECT_EQ(parse(long_ext), DropReason::kTruncatedIpv6Ext);

  Bytes frag = ipv6(44, 8 + 2);  // non-first fragment with 2 bytes of data
  frag[14 + 40] = 6;
  put16(frag, 14 + 42, 0x0100);
  EXPECT_EQ(parse(frag, &m), DropReason::kNone);
  EXPECT_TRUE(m.is_fragment);
}

TEST(FrameParser, NeverReadsPastTheEnd) {
  // Every prefix of a valid frame parses to some verdict without touching bytes beyond it
  // (checked under ASan in sanitizer builds).
  Bytes b = ipv6(0, 8 + 20);
  b[14 + 40] = 6;
  b[14 + 48 + 12] = 0x50;
  for (std::size_t n = 0; n <= b.size(); ++n) {
    Bytes prefix(b.begin(), b.begin() + n);
    prefix.shrink_to_fit();
    parse(prefix);
  }
  SUCCEED();
}

}  // namespace
}  // namespace vigil
