// Rule parser: flow, flags, dsize, itype, icode, flowbits, threshold, detection_filter.
#include <gtest/gtest.h>

#include "ids/rule_parser.h"
#include "tests/ids/rule_test_util.h"

namespace vigil::ids {
namespace {

using testing::opts_ok;
using testing::opts_reason;

TEST(RuleFlow, Options) {
  Rule r = opts_ok("flow:established,to_server;");
  EXPECT_TRUE(r.has_flow);
  EXPECT_TRUE(r.flow.established);
  EXPECT_TRUE(r.flow.to_server);
  EXPECT_FALSE(r.flow.to_client);
  Rule c = opts_ok("flow: from_server , established;");
  EXPECT_TRUE(c.flow.to_client);
  EXPECT_TRUE(c.flow.established);
  EXPECT_TRUE(opts_ok("flow:from_client;").flow.to_server);
  EXPECT_TRUE(opts_ok("flow:to_client;").flow.to_client);
  EXPECT_TRUE(opts_ok("flow:not_established;").flow.not_established);
  EXPECT_TRUE(opts_ok("flow:stateless;").flow.stateless);
  EXPECT_TRUE(opts_ok("flow:to_server,only_stream;").flow.only_stream);
  EXPECT_TRUE(opts_ok("flow:no_stream;").flow.no_stream);
  EXPECT_FALSE(opts_ok("content:\"a\";").has_flow);
  EXPECT_EQ(opts_reason("flow:to_server,to_client;"), "bad flow");
  EXPECT_EQ(opts_reason("flow:established,stateless;"), "bad flow");
  EXPECT_EQ(opts_reason("flow:only_stream,no_stream;"), "bad flow");
  EXPECT_EQ(opts_reason("flow:sideways;"), "bad flow");
  EXPECT_EQ(opts_reason("flow:;"), "bad option syntax");
}

TEST(RuleFlags, Forms) {
  Rule s = opts_ok("flags:S;");
  EXPECT_TRUE(s.has_flags);
  EXPECT_EQ(s.flags.mode, TcpFlagsCheck::kExact);
  EXPECT_EQ(s.flags.bits, 0x02);
  EXPECT_EQ(s.flags.ignore, 0);
  Rule sa = opts_ok("flags:SA;");
  EXPECT_EQ(sa.flags.bits, 0x12);
  Rule masked = opts_ok("flags: S,12;");
  EXPECT_EQ(masked.flags.bits, 0x02);
  EXPECT_EQ(masked.flags.ignore, 0xc0);
  Rule plus = opts_ok("flags:+S;");
  EXPECT_EQ(plus.flags.mode, TcpFlagsCheck::kAll);
  Rule any = opts_ok("flags:*SA;");
  EXPECT_EQ(any.flags.mode, TcpFlagsCheck::kAny);
  EXPECT_EQ(any.flags.bits, 0x12);
  Rule none = opts_ok("flags:!R;");
  EXPECT_EQ(none.flags.mode, TcpFlagsCheck::kNone);
  EXPECT_EQ(none.flags.bits, 0x04);
  Rule all = opts_ok("flags:FSRPAUCE;");
  EXPECT_EQ(all.flags.bits, 0xff);
  Rule zero = opts_ok("flags:0;");
  EXPECT_TRUE(zero.has_flags);
  EXPECT_EQ(zero.flags.bits, 0);
  Rule snort_mask = opts_ok("flags:SF,CE;");
  EXPECT_EQ(snort_mask.flags.bits, 0x03);
  EXPECT_EQ(snort_mask.flags.ignore, 0xc0);
  EXPECT_EQ(opts_reason("flags:X;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:SS;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:+*S;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:0S;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:+;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:S,;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:S,Z;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:S,1,2;"), "bad flags");
  EXPECT_EQ(opts_reason("flags:S; flags:A;"), "bad flags");
}

TEST(RuleNumeric, DsizeItypeIcode) {
  Rule d = opts_ok("dsize:9<>18;");
  EXPECT_TRUE(d.has_dsize);
  EXPECT_EQ(d.dsize.op, NumCheck::kBetween);
  EXPECT_EQ(d.dsize.lo, 9u);
  EXPECT_EQ(d.dsize.hi, 18u);
  EXPECT_EQ(opts_ok("dsize:>11;").dsize.op, NumCheck::kGt);
  EXPECT_EQ(opts_ok("dsize:<30;").dsize.lo, 30u);
  EXPECT_EQ(opts_ok("dsize:!0;").dsize.op, NumCheck::kNe);
  EXPECT_EQ(opts_ok("dsize:<=5;").dsize.op, NumCheck::kLe);
  EXPECT_EQ(opts_ok("dsize:>= 5;").dsize.op, NumCheck::kGe);
  Rule eq = opts_ok("dsize:10;");
  EXPECT_EQ(eq.dsize.op, NumCheck::kEq);
  EXPECT_EQ(eq.dsize.lo, 10u);
  EXPECT_EQ(opts_reason("dsize:70000;"), "bad dsize");
  EXPECT_EQ(opts_reason("dsize:big;"), "bad dsize");
  EXPECT_EQ(opts_reason("dsize:5; dsize:6;"), "bad dsize");
  Rule icmp = opts_ok("itype:8; icode: 0;", "alert icmp any any -> any any");
  EXPECT_TRUE(icmp.has_itype);
  EXPECT_EQ(icmp.itype.lo, 8u);
  EXPECT_TRUE(icmp.has_icode);
  EXPECT_EQ(icmp.icode.op, NumCheck::kEq);
  EXPECT_EQ(icmp.icode.lo, 0u);
  EXPECT_EQ(opts_ok("itype:>30;").itype.op, NumCheck::kGt);
  EXPECT_EQ(opts_reason("itype:256;"), "bad itype");
  EXPECT_EQ(opts_reason("icode:x;"), "bad icode");
}

TEST(RuleFlowbits, Forms) {
  Rule r = opts_ok(
      "flowbits:set,ET.Evil; flowbits:isset, a|b ; flowbits:isnotset,c; flowbits:unset,d&e; "
      "flowbits:toggle,f; flowbits:noalert;");
  ASSERT_EQ(r.flowbits.size(), 6u);
  EXPECT_EQ(r.flowbits[0].op, FlowbitOp::kSet);
  EXPECT_EQ(r.flowbits[0].names, std::vector<std::string>{"ET.Evil"});
  EXPECT_EQ(r.flowbits[1].op, FlowbitOp::kIsSet);
  EXPECT_EQ(r.flowbits[1].names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.flowbits[1].any_of);
  EXPECT_EQ(r.flowbits[2].op, FlowbitOp::kIsNotSet);
  EXPECT_EQ(r.flowbits[3].op, FlowbitOp::kUnset);
  EXPECT_EQ(r.flowbits[3].names, (std::vector<std::string>{"d", "e"}));
  EXPECT_FALSE(r.flowbits[3].any_of);
  EXPECT_EQ(r.flowbits[4].op, FlowbitOp::kToggle);
  EXPECT_EQ(r.flowbits[5].op, FlowbitOp::kNoAlert);
  EXPECT_TRUE(r.flowbits[5].names.empty());
  EXPECT_TRUE(r.noalert);
  EXPECT_FALSE(opts_ok("flowbits:set,x;").noalert);
  EXPECT_EQ(opts_reason("flowbits:set;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:set,;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:set,a|b;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:isset,a|b&c;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:isset,a||b;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:isset,a b;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:noalert,x;"), "bad flowbits");
  EXPECT_EQ(opts_reason("flowbits:frob,x;"), "bad flowbits");
}

TEST(RuleThreshold, AnyOrder) {
  Rule r = opts_ok("threshold: type limit, track by_src, seconds 60, count 1;");
  EXPECT_TRUE(r.has_threshold);
  EXPECT_EQ(r.threshold.type, Threshold::kLimit);
  EXPECT_EQ(r.threshold.track, TrackBy::kSrc);
  EXPECT_EQ(r.threshold.count, 1u);
  EXPECT_EQ(r.threshold.seconds, 60u);
  Rule b = opts_ok("threshold:type both,count 3,seconds 600,track by_dst;");
  EXPECT_EQ(b.threshold.type, Threshold::kBoth);
  EXPECT_EQ(b.threshold.track, TrackBy::kDst);
  EXPECT_EQ(b.threshold.count, 3u);
  EXPECT_EQ(b.threshold.seconds, 600u);
  Rule t = opts_ok("threshold:track by_rule, type threshold, count 10, seconds 5;");
  EXPECT_EQ(t.threshold.type, Threshold::kThreshold);
  EXPECT_EQ(t.threshold.track, TrackBy::kRule);
  EXPECT_EQ(opts_ok("threshold:type limit,track by_both,count 1,seconds 1;").threshold.track,
            TrackBy::kBoth);
  EXPECT_EQ(opts_reason("threshold:type limit, track by_src, count 1;"), "bad threshold");
  EXPECT_EQ(opts_reason("threshold:type sometimes, track by_src, count 1, seconds 1;"),
            "bad threshold");
  EXPECT_EQ(opts_reason("threshold:type limit, track by_flow, count 1, seconds 1;"),
            "bad threshold");
  EXPECT_EQ(opts_reason("threshold:type limit, track by_src, count 0, seconds 1;"),
            "bad threshold");
  EXPECT_EQ(opts_reason("threshold:type limit, track by_src, count x, seconds 1;"),
            "bad threshold");
  EXPECT_EQ(opts_reason("threshold:type limit, type both, track by_src, count 1, seconds 1;"),
            "bad threshold");
  EXPECT_EQ(opts_reason("threshold:type limit, track by_src, count 1, seconds 1, color red;"),
            "bad threshold");
}

TEST(RuleThreshold, DetectionFilter) {
  Rule r = opts_ok("detection_filter:track by_dst, count 4, seconds 20;");
  EXPECT_TRUE(r.has_threshold);
  EXPECT_EQ(r.threshold.type, Threshold::kDetectionFilter);
  EXPECT_EQ(r.threshold.track, TrackBy::kDst);
  EXPECT_EQ(r.threshold.count, 4u);
  EXPECT_EQ(r.threshold.seconds, 20u);
  EXPECT_EQ(opts_reason("detection_filter:type limit, track by_src, count 1, seconds 1;"),
            "bad detection_filter");
  EXPECT_EQ(opts_reason("detection_filter:track by_src, count 1;"), "bad detection_filter");
  EXPECT_EQ(opts_reason("threshold:type limit,track by_src,count 1,seconds 1; "
                        "detection_filter:track by_src,count 1,seconds 1;"),
            "bad detection_filter");
}

}  // namespace
}  // namespace vigil::ids
