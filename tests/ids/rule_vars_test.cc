// Rule variables, address and port fields, NumCheck, buffer names and classification.config.
#include "ids/rule_vars.h"

#include <gtest/gtest.h>

#include <set>

#include "ids/classification.h"
#include "ids/rule.h"

namespace vigil::ids {
namespace {

IpPrefix v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len) {
  IpPrefix p;
  p.addr[0] = a;
  p.addr[1] = b;
  p.addr[2] = c;
  p.addr[3] = d;
  p.len = len;
  return p;
}

bool same(const IpPrefix& x, const IpPrefix& y) {
  return x.v6 == y.v6 && x.len == y.len && x.addr == y.addr;
}

AddressSet addr_ok(const std::string& text, const RuleVars& vars = RuleVars::defaults()) {
  AddressSet s;
  std::string err;
  EXPECT_TRUE(parse_address_field(text, vars, &s, &err)) << text << ": " << err;
  return s;
}

std::string addr_err(const std::string& text, const RuleVars& vars = RuleVars::defaults()) {
  AddressSet s;
  std::string err;
  EXPECT_FALSE(parse_address_field(text, vars, &s, &err)) << text;
  EXPECT_FALSE(err.empty());
  return err;
}

PortSet port_ok(const std::string& text, const RuleVars& vars = RuleVars::defaults()) {
  PortSet s;
  std::string err;
  EXPECT_TRUE(parse_port_field(text, vars, &s, &err)) << text << ": " << err;
  return s;
}

std::string port_err(const std::string& text, const RuleVars& vars = RuleVars::defaults()) {
  PortSet s;
  std::string err;
  EXPECT_FALSE(parse_port_field(text, vars, &s, &err)) << text;
  EXPECT_FALSE(err.empty());
  return err;
}

TEST(RuleVars, Defaults) {
  RuleVars v = RuleVars::defaults();
  EXPECT_EQ(v.address.at("HOME_NET"), "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
  EXPECT_EQ(v.address.at("EXTERNAL_NET"), "!$HOME_NET");
  for (const char* n : {"HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS",
                        "TELNET_SERVERS", "AIM_SERVERS", "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT",
                        "MODBUS_CLIENT", "MODBUS_SERVER", "ENIP_CLIENT", "ENIP_SERVER"}) {
    EXPECT_EQ(v.address.at(n), "$HOME_NET") << n;
  }
  EXPECT_EQ(v.port.at("HTTP_PORTS"), "80");
  EXPECT_EQ(v.port.at("SHELLCODE_PORTS"), "!80");
  EXPECT_EQ(v.port.at("ORACLE_PORTS"), "1521");
  EXPECT_EQ(v.port.at("SSH_PORTS"), "22");
  EXPECT_EQ(v.port.at("DNP3_PORTS"), "20000");
  EXPECT_EQ(v.port.at("MODBUS_PORTS"), "502");
  EXPECT_EQ(v.port.at("FILE_DATA_PORTS"), "[$HTTP_PORTS,110,143]");
  EXPECT_EQ(v.port.at("FTP_PORTS"), "21");
  EXPECT_EQ(v.port.at("GENEVE_PORTS"), "6081");
  EXPECT_EQ(v.port.at("VXLAN_PORTS"), "4789");
  EXPECT_EQ(v.port.at("TEREDO_PORTS"), "3544");
}

TEST(RuleVars, SetPicksTheMap) {
  RuleVars v = RuleVars::defaults();
  EXPECT_TRUE(v.set("HOME_NET", "10.1.0.0/16"));
  EXPECT_EQ(v.address.at("HOME_NET"), "10.1.0.0/16");
  EXPECT_TRUE(v.set("MY_PORTS", "[1,2]"));
  EXPECT_EQ(v.port.at("MY_PORTS"), "[1,2]");
  EXPECT_EQ(v.address.count("MY_PORTS"), 0u);
  EXPECT_TRUE(v.set("WEB", "1.2.3.4"));
  EXPECT_EQ(v.address.at("WEB"), "1.2.3.4");
  EXPECT_FALSE(v.set("", "1"));
  EXPECT_FALSE(v.set("A-B", "1"));
}

TEST(AddressField, AnySingleAndCidr) {
  AddressSet any = addr_ok("any");
  EXPECT_TRUE(any.any);
  EXPECT_TRUE(any.include.empty());
  EXPECT_TRUE(any.exclude.empty());
  AddressSet one = addr_ok("1.2.3.4");
  EXPECT_FALSE(one.any);
  ASSERT_EQ(one.include.size(), 1u);
  EXPECT_TRUE(same(one.include[0], v4(1, 2, 3, 4, 32)));
  // Host bits are cleared; a dotted netmask is a prefix length.
  AddressSet cidr = addr_ok("10.1.2.3/8");
  EXPECT_TRUE(same(cidr.include[0], v4(10, 0, 0, 0, 8)));
  AddressSet mask = addr_ok("192.168.7.9/255.255.255.0");
  EXPECT_TRUE(same(mask.include[0], v4(192, 168, 7, 0, 24)));
  AddressSet zero = addr_ok("0.0.0.0/0");
  EXPECT_EQ(zero.include[0].len, 0);
}

TEST(AddressField, Ipv6) {
  AddressSet s = addr_ok("[2001:db8::1/32,::1]");
  ASSERT_EQ(s.include.size(), 2u);
  EXPECT_TRUE(s.include[0].v6);
  EXPECT_EQ(s.include[0].len, 32);
  EXPECT_EQ(s.include[0].addr[0], 0x20);
  EXPECT_EQ(s.include[0].addr[1], 0x01);
  EXPECT_EQ(s.include[0].addr[2], 0x0d);
  EXPECT_EQ(s.include[0].addr[15], 0);  // host bits cleared
  EXPECT_EQ(s.include[1].len, 128);
  EXPECT_EQ(s.include[1].addr[15], 1);
  EXPECT_FALSE(addr_err("2001:db8::/129").empty());
}

TEST(AddressField, ListsNegationAndVariables) {
  AddressSet home = addr_ok("$HOME_NET");
  EXPECT_FALSE(home.any);
  ASSERT_EQ(home.include.size(), 3u);
  EXPECT_TRUE(same(home.include[1], v4(10, 0, 0, 0, 8)));
  AddressSet ext = addr_ok("$EXTERNAL_NET");
  EXPECT_TRUE(ext.any);
  EXPECT_TRUE(ext.include.empty());
  ASSERT_EQ(ext.exclude.size(), 3u);
  EXPECT_TRUE(same(ext.exclude[2], v4(172, 16, 0, 0, 12)));
  AddressSet mixed = addr_ok("[10.0.0.0/8,!10.1.0.0/16]");
  EXPECT_FALSE(mixed.any);
  ASSERT_EQ(mixed.include.size(), 1u);
  ASSERT_EQ(mixed.exclude.size(), 1u);
  EXPECT_TRUE(same(mixed.exclude[0], v4(10, 1, 0, 0, 16)));
  // Negating a list swaps its members: ![a,!b] -> exclude a, include b.
  AddressSet swapped = addr_ok("![1.1.1.1,!2.2.2.2]");
  ASSERT_EQ(swapped.include.size(), 1u);
  ASSERT_EQ(swapped.exclude.size(), 1u);
  EXPECT_TRUE(same(swapped.include[0], v4(2, 2, 2, 2, 32)));
  EXPECT_TRUE(same(swapped.exclude[0], v4(1, 1, 1, 1, 32)));
  AddressSet nested = addr_ok("[1.1.1.1,[2.2.2.2,[3.3.3.3]]]");
  EXPECT_EQ(nested.include.size(), 3u);
  AddressSet et = addr_ok("[$EXTERNAL_NET,!255.255.255.255]");
  EXPECT_TRUE(et.any);
  EXPECT_EQ(et.exclude.size(), 4u);
  AddressSet with_any = addr_ok("[any,!1.2.3.4]");
  EXPECT_TRUE(with_any.any);
  EXPECT_EQ(with_any.exclude.size(), 1u);
  AddressSet double_neg = addr_ok("!!1.2.3.4");
  EXPECT_EQ(double_neg.include.size(), 1u);
}

TEST(AddressField, Errors) {
  RuleVars v = RuleVars::defaults();
  v.address["A"] = "[1.1.1.1,$B]";
  v.address["B"] = "$A";
  v.address["SELF"] = "$SELF";
  EXPECT_NE(addr_err("$A", v).find("cycle"), std::string::npos);
  EXPECT_NE(addr_err("$SELF", v).find("cycle"), std::string::npos);
  EXPECT_NE(addr_err("$UNDEFINED").find("undefined"), std::string::npos);
  EXPECT_NE(addr_err("$HTTP_PORTS").find("undefined"), std::string::npos);
  EXPECT_NE(addr_err("!any").find("nothing"), std::string::npos);
  EXPECT_NE(addr_err("[1.2.3.4,!1.2.3.0/24]").find("matches no"), std::string::npos);
  EXPECT_NE(addr_err("[]").find("empty"), std::string::npos);
  EXPECT_NE(addr_err("[1.2.3.4,]").find("empty"), std::string::npos);
  EXPECT_NE(addr_err("[1.2.3.4").find("does not end with"), std::string::npos);
  EXPECT_NE(addr_err("[[1.2.3.4]").find("unbalanced"), std::string::npos);
  EXPECT_FALSE(addr_err("1.2.3.4]").empty());
  EXPECT_FALSE(addr_err("1.2.3").empty());
  EXPECT_FALSE(addr_err("1.2.3.4/33").empty());
  EXPECT_FALSE(addr_err("1.2.3.4/255.0.255.0").empty());
  EXPECT_FALSE(addr_err("1.2.3.4/").empty());
  EXPECT_FALSE(addr_err("host.example").empty());
  EXPECT_FALSE(addr_err("").empty());
  EXPECT_FALSE(addr_err("!").empty());
  // Exponential expansion is bounded, not a hang.
  RuleVars big;
  big.address["V0"] = "1.1.1.1";
  for (int i = 1; i <= 30; ++i) {
    std::string prev = std::string("$V") + std::to_string(i - 1);
    big.address[std::string("V") + std::to_string(i)] = std::string("[") + prev + "," + prev + "]";
  }
  EXPECT_NE(addr_err("$V30", big).find("elements"), std::string::npos);
  std::string deep(100, '[');
  deep += std::string("1.1.1.1") + std::string(100, ']');
  EXPECT_NE(addr_err(deep).find("nesting"), std::string::npos);
}

TEST(PortField, Forms) {
  PortSet any = port_ok("any");
  EXPECT_TRUE(any.any);
  PortSet one = port_ok("80");
  EXPECT_FALSE(one.any);
  ASSERT_EQ(one.include.size(), 1u);
  EXPECT_EQ(one.include[0].lo, 80);
  EXPECT_EQ(one.include[0].hi, 80);
  PortSet from = port_ok("1024:");
  EXPECT_EQ(from.include[0].lo, 1024);
  EXPECT_EQ(from.include[0].hi, 65535);
  PortSet upto = port_ok(":1023");
  EXPECT_EQ(upto.include[0].lo, 0);
  EXPECT_EQ(upto.include[0].hi, 1023);
  PortSet range = port_ok("80:90");
  EXPECT_EQ(range.include[0].lo, 80);
  EXPECT_EQ(range.include[0].hi, 90);
  PortSet neg = port_ok("!80");
  EXPECT_TRUE(neg.any);
  ASSERT_EQ(neg.exclude.size(), 1u);
  EXPECT_EQ(neg.exclude[0].lo, 80);
  PortSet list = port_ok("[80,8080,!81]");
  EXPECT_FALSE(list.any);
  EXPECT_EQ(list.include.size(), 2u);
  EXPECT_EQ(list.include[1].lo, 8080);
  EXPECT_EQ(list.exclude.size(), 1u);
  EXPECT_EQ(list.exclude[0].lo, 81);
  PortSet vars = port_ok("$FILE_DATA_PORTS");
  ASSERT_EQ(vars.include.size(), 3u);
  EXPECT_EQ(vars.include[0].lo, 80);
  EXPECT_EQ(vars.include[2].lo, 143);
  PortSet shell = port_ok("$SHELLCODE_PORTS");
  EXPECT_TRUE(shell.any);
  EXPECT_EQ(shell.exclude[0].lo, 80);
  PortSet mixed = port_ok("[1024:5000,49152:]");
  EXPECT_EQ(mixed.include[1].lo, 49152);
}

TEST(PortField, Errors) {
  EXPECT_FALSE(port_err("65536").empty());
  EXPECT_FALSE(port_err("90:80").empty());
  EXPECT_FALSE(port_err(":").empty());
  EXPECT_FALSE(port_err("-1").empty());
  EXPECT_FALSE(port_err("http").empty());
  EXPECT_FALSE(port_err("!any").empty());
  EXPECT_FALSE(port_err("[80,!80]").empty());
  EXPECT_FALSE(port_err("[80").empty());
  EXPECT_FALSE(port_err("80:90:100").empty());
  EXPECT_NE(port_err("$HOME_NET").find("undefined port variable"), std::string::npos);
  RuleVars v = RuleVars::defaults();
  v.port["P"] = "[80,$Q]";
  v.port["Q"] = "$P";
  EXPECT_NE(port_err("$P", v).find("cycle"), std::string::npos);
}

TEST(NumCheck, EveryOp) {
  NumCheck c;
  c.op = NumCheck::kEq;
  c.lo = 5;
  EXPECT_TRUE(c.matches(5));
  EXPECT_FALSE(c.matches(4));
  c.op = NumCheck::kNe;
  EXPECT_FALSE(c.matches(5));
  EXPECT_TRUE(c.matches(6));
  c.op = NumCheck::kLt;
  EXPECT_TRUE(c.matches(4));
  EXPECT_FALSE(c.matches(5));
  c.op = NumCheck::kLe;
  EXPECT_TRUE(c.matches(5));
  EXPECT_FALSE(c.matches(6));
  c.op = NumCheck::kGt;
  EXPECT_TRUE(c.matches(6));
  EXPECT_FALSE(c.matches(5));
  c.op = NumCheck::kGe;
  EXPECT_TRUE(c.matches(5));
  EXPECT_FALSE(c.matches(4));
  c.op = NumCheck::kBetween;
  c.lo = 9;
  c.hi = 18;
  EXPECT_FALSE(c.matches(9));
  EXPECT_TRUE(c.matches(10));
  EXPECT_TRUE(c.matches(17));
  EXPECT_FALSE(c.matches(18));
  c.op = NumCheck::kRange;
  EXPECT_TRUE(c.matches(9));
  EXPECT_TRUE(c.matches(18));
  EXPECT_FALSE(c.matches(8));
  EXPECT_FALSE(c.matches(19));
}

TEST(BufferName, AllNamed) {
  EXPECT_STREQ(buffer_name(Buffer::kPayload), "payload");
  EXPECT_STREQ(buffer_name(Buffer::kHttpUri), "http.uri");
  EXPECT_STREQ(buffer_name(Buffer::kHttpUriRaw), "http.uri.raw");
  EXPECT_STREQ(buffer_name(Buffer::kHttpHost), "http.host");
  EXPECT_STREQ(buffer_name(Buffer::kHttpRequestBody), "http.request_body");
  EXPECT_STREQ(buffer_name(Buffer::kFileData), "file.data");
  EXPECT_STREQ(buffer_name(Buffer::kDnsQuery), "dns.query");
  EXPECT_STREQ(buffer_name(Buffer::kTlsSni), "tls.sni");
  EXPECT_STREQ(buffer_name(Buffer::kCount), "unknown");
  // Every buffer has its own name.
  std::set<std::string> names;
  for (size_t i = 0; i < kBufferCount; ++i) names.insert(buffer_name(static_cast<Buffer>(i)));
  EXPECT_EQ(names.size(), kBufferCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(Classification, ParsesGoodLinesAndReportsBadOnes) {
  Classifications c;
  std::vector<std::string> errors;
  size_t added = c.parse(
      "# comment\n"
      "\n"
      "config classification: not-suspicious,Not Suspicious Traffic,3\n"
      "config classification: bad-unknown,Potentially Bad Traffic, 2\r\n"
      "config classification: commas,A, B and C,1\n"
      "config classification: nopriority,Missing\n"
      "config classification: badprio,Desc,0\n"
      "config classification: bad name,Desc,1\n"
      "config classification: bad-unknown,Again,1\n"
      "something else\n",
      "cls", &errors);
  EXPECT_EQ(added, 3u);
  EXPECT_EQ(c.size(), 3u);
  const Classification* bu = c.find("bad-unknown");
  ASSERT_NE(bu, nullptr);
  EXPECT_EQ(bu->description, "Potentially Bad Traffic");
  EXPECT_EQ(bu->priority, 2);
  ASSERT_NE(c.find("BAD-Unknown"), nullptr);
  EXPECT_EQ(c.find("commas")->description, "A, B and C");
  EXPECT_EQ(c.find("commas")->priority, 1);
  EXPECT_EQ(c.find("nopriority"), nullptr);
  EXPECT_EQ(c.find("missing"), nullptr);
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].rfind("cls:6:", 0), 0u) << errors[0];
  EXPECT_EQ(errors[4].rfind("cls:10:", 0), 0u) << errors[4];
  EXPECT_NE(errors[3].find("duplicate"), std::string::npos);
}

TEST(Classification, MissingFile) {
  Classifications c;
  std::vector<std::string> errors;
  EXPECT_FALSE(c.load_file("/nonexistent/classification.config", &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace vigil::ids
