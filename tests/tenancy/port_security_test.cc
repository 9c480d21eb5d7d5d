#include "tenancy/port_security.h"

#include <gtest/gtest.h>

#include "dataplane/frame_parser.h"
#include "tests/support/frame_builder.h"

namespace vigil {
namespace {

using namespace vigil::test;

constexpr std::array<uint8_t, 6> kVmMac = kSrcMac;  // 02:00:00:00:00:01
constexpr std::array<uint8_t, 4> kVmIp = {10, 0, 10, 1};
constexpr std::array<uint8_t, 4> kHostIp = {192, 0, 2, 1};
constexpr std::array<uint8_t, 16> kVmIp6 = {0xfd, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr std::array<uint8_t, 16> kHostIp6 = {0xfd, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

class PortSecurityTest : public ::testing::Test {
 protected:
  PortSecurityTest() : security_(spec(), {"vm", "trunk", "open"}) {}

  static TenancySpec spec() {
    TenancySpec s;
    TenantSpec t{"blue", 10, {}, {}};
    VmSpec vm;
    vm.port = "vm";
    vm.mac = kVmMac;
    vm.ipv4 = {kVmIp};
    vm.ipv6 = {kVmIp6};
    t.vms.push_back(vm);
    VmSpec open;  // a VM allowed to act as a router and DHCP server, without source checks
    open.port = "open";
    open.mac = {0x02, 0, 0, 0, 0, 9};
    open.port_security = false;
    open.allow_dhcp_server = true;
    open.allow_router_advertisement = true;
    t.vms.push_back(open);
    s.tenants.push_back(t);
    s.trunks.push_back(TrunkSpec{"trunk", 0, {}});
    s.host_ipv4 = {kHostIp};
    s.host_ipv6 = {kHostIp6};
    return s;
  }

  DropReason verdict(const Bytes& frame, uint16_t port = 0) {
    PacketMeta m;
    EXPECT_EQ(parse_frame(frame.data(), static_cast<uint32_t>(frame.size()), {}, m),
              DropReason::kNone);
    return security_.check(port, frame.data(), m);
  }

  static Bytes udp(std::array<uint8_t, 4> src, std::array<uint8_t, 4> dst, uint16_t sport,
                   uint16_t dport) {
    Bytes b = ipv4_on(ether(0x0800), 17, 8, 5, src, dst);
    put16(b, 34, sport);
    put16(b, 36, dport);
    put16(b, 38, 8);
    return b;
  }

  static Bytes icmpv6(std::array<uint8_t, 16> src, std::array<uint8_t, 16> dst, uint8_t type) {
    Bytes b = ipv6_on(ether(0x86dd), 58, 8, src, dst);
    b[54] = type;
    return b;
  }

  PortSecurity security_;
};

TEST_F(PortSecurityTest, BoundSourcesPass) {
  EXPECT_EQ(verdict(ipv4(47, 4)), DropReason::kNone);
  EXPECT_EQ(verdict(ipv6(59, 0)), DropReason::kNone);
  EXPECT_EQ(verdict(arp(1, kVmMac, kVmIp, {10, 0, 10, 2})), DropReason::kNone);
  EXPECT_EQ(verdict(arp(1, kVmMac, {0, 0, 0, 0}, {10, 0, 10, 1})), DropReason::kNone);  // probe
}

TEST_F(PortSecurityTest, SpoofedSourcesAreDropped) {
  EXPECT_EQ(verdict(ipv4_on(ether(0x0800, -1, 0, {0x02, 0, 0, 0, 0, 7}), 47, 4)),
            DropReason::kSpoofedSrcMac);
  EXPECT_EQ(verdict(ipv4_on(ether(0x0800), 47, 4, 5, {10, 0, 10, 7})), DropReason::kSpoofedSrcIp);
  auto other6 = kVmIp6;
  other6[15] = 7;
  EXPECT_EQ(verdict(ipv6_on(ether(0x86dd), 59, 0, other6)), DropReason::kSpoofedSrcIp);
  EXPECT_EQ(verdict(arp(2, kVmMac, {10, 0, 10, 7}, {10, 0, 10, 2})), DropReason::kSpoofedArp);
  // A frame from the VM's MAC whose ARP body claims another MAC.
  Bytes lying = arp(2, {0x02, 0, 0, 0, 0, 7}, kVmIp, {10, 0, 10, 2});
  std::copy(kVmMac.begin(), kVmMac.end(), lying.begin() + 6);
  EXPECT_EQ(verdict(lying), DropReason::kSpoofedArp);
}

TEST_F(PortSecurityTest, UnspecifiedSourcesOnlyForDhcpAndDad) {
  EXPECT_EQ(verdict(udp({0, 0, 0, 0}, {255, 255, 255, 255}, 68, 67)), DropReason::kNone);
  EXPECT_EQ(verdict(udp({0, 0, 0, 0}, {10, 0, 10, 2}, 1000, 53)), DropReason::kSpoofedSrcIp);
  const std::array<uint8_t, 16> zero{};
  EXPECT_EQ(verdict(icmpv6(zero, kVmIp6, 135)), DropReason::kNone);          // DAD
  EXPECT_EQ(verdict(icmpv6(zero, kVmIp6, 128)), DropReason::kSpoofedSrcIp);  // echo from ::
}

TEST_F(PortSecurityTest, Eui64LinkLocalIsImplied) {
  const std::array<uint8_t, 16> ll = {0xfe, 0x80, 0, 0,    0,    0, 0, 0,
                                      0x00, 0,    0, 0xff, 0xfe, 0, 0, 1};
  EXPECT_EQ(verdict(icmpv6(ll, kVmIp6, 133)), DropReason::kNone);  // router solicitation
  auto other = ll;
  other[15] = 2;
  EXPECT_EQ(verdict(icmpv6(other, kVmIp6, 133)), DropReason::kSpoofedSrcIp);
}

TEST_F(PortSecurityTest, ServersAndRoutersNeedPermission) {
  EXPECT_EQ(verdict(udp(kVmIp, {10, 0, 10, 2}, 67, 68)), DropReason::kDhcpServerFromVm);
  EXPECT_EQ(verdict(icmpv6(kVmIp6, kVmIp6, 134)), DropReason::kRouterAdvertFromVm);
  Bytes dhcpv6 = ipv6(17, 8);
  put16(dhcpv6, 54, 547);
  put16(dhcpv6, 56, 546);
  put16(dhcpv6, 58, 8);
  EXPECT_EQ(verdict(dhcpv6), DropReason::kDhcpServerFromVm);
  // The "open" VM may serve DHCP and advertise routes, and its sources are not checked.
  Bytes offer = udp({10, 0, 10, 254}, {10, 0, 10, 2}, 67, 68);
  std::array<uint8_t, 6> open_mac = {0x02, 0, 0, 0, 0, 9};
  std::copy(open_mac.begin(), open_mac.end(), offer.begin() + 6);
  EXPECT_EQ(verdict(offer, 2), DropReason::kNone);
}

TEST_F(PortSecurityTest, HostAddressesAreUnreachableFromVms) {
  EXPECT_EQ(verdict(ipv4_on(ether(0x0800), 47, 4, 5, kVmIp, kHostIp)), DropReason::kHostAccess);
  EXPECT_EQ(verdict(ipv6_on(ether(0x86dd), 59, 0, kVmIp6, kHostIp6)), DropReason::kHostAccess);
  EXPECT_EQ(verdict(arp(1, kVmMac, kVmIp, kHostIp)), DropReason::kHostAccess);
  // Even a VM without source checks may not reach the host.
  Bytes b = ipv4_on(ether(0x0800, -1, 0, {0x02, 0, 0, 0, 0, 9}), 47, 4, 5, {1, 2, 3, 4}, kHostIp);
  EXPECT_EQ(verdict(b, 2), DropReason::kHostAccess);
}

TEST_F(PortSecurityTest, TrunkTrafficIsNotChecked) {
  EXPECT_EQ(verdict(ipv4_on(ether(0x0800), 47, 4, 5, {10, 9, 9, 9}, kHostIp), 1),
            DropReason::kNone);
}

}  // namespace
}  // namespace vigil
