#include "ids/stream_reassembly.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace vigil::ids {
namespace {

// One direction of a stream with its buffer, so tests read as segments arriving.
class Stream {
 public:
  explicit Stream(uint32_t isn_next, uint32_t cap = 64) : buf_(cap, '\0') {
    stream_init(st, isn_next);
  }
  uint32_t add(uint32_t seq, const std::string& data) {
    return stream_add(st, buf(), static_cast<uint32_t>(buf_.size()), seq,
                      reinterpret_cast<const uint8_t*>(data.data()),
                      static_cast<uint32_t>(data.size()), counters);
  }
  std::string contiguous() const { return std::string(buf_.data(), st.contiguous); }
  std::string at(uint32_t off, uint32_t n) const { return std::string(buf_.data() + off, n); }
  uint8_t* buf() { return reinterpret_cast<uint8_t*>(buf_.data()); }
  void consume(uint32_t n) { stream_consume(st, buf(), n); }

  StreamState st{};
  StreamCounters counters{};

 private:
  std::string buf_;
};

TEST(StreamReassembly, ZeroStateIsUninitializedAndSmall) {
  StreamState st{};
  EXPECT_FALSE(st.initialized);
  EXPECT_LE(sizeof(StreamState), 128u);
}

TEST(StreamReassembly, InOrderSegmentsExtendTheContiguousRun) {
  Stream s(1000);
  EXPECT_EQ(s.add(1000, "hello"), 5u);
  EXPECT_EQ(s.add(1005, " world"), 6u);
  EXPECT_EQ(s.contiguous(), "hello world");
  EXPECT_EQ(s.counters.in_order, 2u);
  EXPECT_EQ(s.counters.out_of_order, 0u);
  EXPECT_EQ(s.st.isn_next, 1000u);
}

TEST(StreamReassembly, EmptySegmentChangesNothing) {
  Stream s(1000);
  EXPECT_EQ(s.add(1000, ""), 0u);
  EXPECT_EQ(s.counters.in_order + s.counters.retransmit + s.counters.out_of_order, 0u);
}

TEST(StreamReassembly, OutOfOrderSegmentIsHeldUntilTheHoleFills) {
  Stream s(1000);
  EXPECT_EQ(s.add(1005, "world"), 0u);
  EXPECT_EQ(s.st.contiguous, 0u);
  ASSERT_EQ(s.st.n_holes_ranges, 1u);
  EXPECT_EQ(s.st.pending[0].start, 5u);
  EXPECT_EQ(s.st.pending[0].end, 10u);
  EXPECT_EQ(s.add(1000, "hello"), 10u);  // fills the hole and extends over the held range
  EXPECT_EQ(s.contiguous(), "helloworld");
  EXPECT_EQ(s.st.n_holes_ranges, 0u);
  EXPECT_EQ(s.counters.out_of_order, 1u);
  EXPECT_EQ(s.counters.in_order, 1u);
}

TEST(StreamReassembly, FillingAHoleBeyondTheGapAddsNoContiguousBytes) {
  Stream s(0);
  s.add(10, "cc");
  s.add(4, "bb");  // between the gap [0,4) and the held range: a second range
  EXPECT_EQ(s.st.n_holes_ranges, 2u);
  EXPECT_EQ(s.add(6, "xxxx"), 0u);  // joins [4,6) and [10,12) into one range
  ASSERT_EQ(s.st.n_holes_ranges, 1u);
  EXPECT_EQ(s.st.pending[0].start, 4u);
  EXPECT_EQ(s.st.pending[0].end, 12u);
  EXPECT_EQ(s.add(0, "aaaa"), 12u);
  EXPECT_EQ(s.contiguous(), "aaaabbxxxxcc");
}

TEST(StreamReassembly, OverlapWithSameBytesIsCountedWithoutMismatch) {
  Stream s(0);
  s.add(0, "hello");
  EXPECT_EQ(s.add(3, "lo wo"), 3u);
  EXPECT_EQ(s.contiguous(), "hello wo");
  EXPECT_EQ(s.counters.overlap, 1u);
  EXPECT_EQ(s.counters.overlap_mismatch, 0u);
}

TEST(StreamReassembly, OverlapWithDifferentBytesKeepsTheFirstAndCountsMismatch) {
  Stream s(0);
  s.add(0, "hello");
  EXPECT_EQ(s.add(3, "XX wo"), 3u);
  EXPECT_EQ(s.contiguous(), "hello wo");  // first data wins
  EXPECT_EQ(s.counters.overlap, 1u);
  EXPECT_EQ(s.counters.overlap_mismatch, 1u);
}

TEST(StreamReassembly, OverlapOnAHeldRangeKeepsItsBytes) {
  Stream s(0);
  s.add(4, "EFGH");
  EXPECT_EQ(s.add(2, "cdXXXXij"), 0u);  // overlaps the held range with other bytes
  EXPECT_EQ(s.counters.overlap_mismatch, 1u);
  ASSERT_EQ(s.st.n_holes_ranges, 1u);
  EXPECT_EQ(s.st.pending[0].start, 2u);
  EXPECT_EQ(s.st.pending[0].end, 10u);
  EXPECT_EQ(s.add(0, "ab"), 10u);
  EXPECT_EQ(s.contiguous(), "abcdEFGHij");
}

TEST(StreamReassembly, RetransmissionsAddNothing) {
  Stream s(0);
  s.add(0, "abcdef");
  EXPECT_EQ(s.add(0, "abcdef"), 0u);
  EXPECT_EQ(s.add(2, "cd"), 0u);
  EXPECT_EQ(s.counters.retransmit, 2u);
  EXPECT_EQ(s.counters.overlap, 0u);
  EXPECT_EQ(s.counters.overlap_mismatch, 0u);
  EXPECT_EQ(s.add(2, "CD"), 0u);  // a retransmission with other bytes: evasion sign
  EXPECT_EQ(s.counters.retransmit, 3u);
  EXPECT_EQ(s.counters.overlap_mismatch, 1u);
  EXPECT_EQ(s.contiguous(), "abcdef");
}

TEST(StreamReassembly, RetransmittedHeldRangeIsARetransmit) {
  Stream s(0);
  s.add(5, "xyz");
  EXPECT_EQ(s.add(5, "xyz"), 0u);
  EXPECT_EQ(s.counters.retransmit, 1u);
  EXPECT_EQ(s.counters.out_of_order, 1u);
}

TEST(StreamReassembly, DataBeforeTheBufferIsARetransmit) {
  Stream s(100);
  s.add(100, "hello");
  s.consume(5);
  EXPECT_EQ(s.st.isn_next, 105u);
  EXPECT_EQ(s.st.consumed, 5u);
  EXPECT_EQ(s.add(100, "hello"), 0u);
  EXPECT_EQ(s.counters.retransmit, 1u);
  // Partly old, partly new: the new tail is taken.
  EXPECT_EQ(s.add(103, "lo!!"), 2u);
  EXPECT_EQ(s.contiguous(), "!!");
  EXPECT_EQ(s.counters.overlap, 1u);
  EXPECT_EQ(s.counters.in_order, 2u);
}

TEST(StreamReassembly, SequenceNumbersWrapAround) {
  Stream s(0xfffffffcu);
  EXPECT_EQ(s.add(0xfffffffcu, "abcd"), 4u);
  EXPECT_EQ(s.add(0, "efgh"), 4u);
  EXPECT_EQ(s.contiguous(), "abcdefgh");
  // Out of order across the wrap point.
  Stream t(0xfffffffeu);
  EXPECT_EQ(t.add(2, "ef"), 0u);
  EXPECT_EQ(t.add(0xfffffffeu, "abcd"), 6u);
  EXPECT_EQ(t.contiguous(), "abcdef");
  // Consuming across the wrap point, then a retransmission from before it.
  t.consume(6);
  EXPECT_EQ(t.st.isn_next, 4u);
  EXPECT_EQ(t.add(0xffffffffu, "bcdef"), 0u);
  EXPECT_EQ(t.counters.retransmit, 1u);
  EXPECT_EQ(t.add(4, "g"), 1u);
}

TEST(StreamReassembly, SegmentsAreCutAtCapacity) {
  Stream s(0, 16);
  EXPECT_EQ(s.add(0, "0123456789abcdefXYZW"), 16u);
  EXPECT_EQ(s.counters.beyond_buffer, 4u);
  EXPECT_EQ(s.contiguous(), "0123456789abcdef");
  EXPECT_EQ(s.add(16, "XY"), 0u);  // entirely beyond
  EXPECT_EQ(s.counters.beyond_buffer, 6u);
  EXPECT_EQ(s.add(30, "far"), 0u);
  EXPECT_EQ(s.counters.beyond_buffer, 9u);
  s.consume(8);  // room again: the same bytes are taken when resent
  EXPECT_EQ(s.add(16, "XYZW"), 4u);
  EXPECT_EQ(s.contiguous(), "89abcdefXYZW");
}

TEST(StreamReassembly, HeldRangesAreBoundedAndTheExtraOneIsDropped) {
  Stream s(0, 64);
  for (uint32_t i = 0; i < kStreamMaxPending; ++i) {
    EXPECT_EQ(s.add(2 + 4 * i, "x"), 0u);
  }
  EXPECT_EQ(s.st.n_holes_ranges, kStreamMaxPending);
  EXPECT_EQ(s.add(50, "y"), 0u);  // would need a ninth range
  EXPECT_EQ(s.counters.ooo_dropped, 1u);
  EXPECT_EQ(s.st.n_holes_ranges, kStreamMaxPending);
  EXPECT_EQ(s.add(3, "z"), 0u);  // adjacent to a held range: merges, still fits
  EXPECT_EQ(s.counters.ooo_dropped, 1u);
  EXPECT_EQ(s.st.pending[0].start, 2u);
  EXPECT_EQ(s.st.pending[0].end, 4u);
  // Filling everything up to offset 31 absorbs all held ranges.
  EXPECT_EQ(s.add(0, std::string(31, 'x')), 31u);
  EXPECT_EQ(s.st.n_holes_ranges, 0u);
  EXPECT_EQ(s.at(3, 1), "z");
  EXPECT_EQ(s.at(2, 1), "x");
}

TEST(StreamReassembly, ConsumeMovesHeldRanges) {
  Stream s(0);
  s.add(0, "abcde");
  s.add(10, "klmno");
  s.consume(5);
  EXPECT_EQ(s.st.contiguous, 0u);
  ASSERT_EQ(s.st.n_holes_ranges, 1u);
  EXPECT_EQ(s.st.pending[0].start, 5u);
  EXPECT_EQ(s.at(5, 5), "klmno");
  EXPECT_EQ(s.add(5, "fghij"), 10u);
  EXPECT_EQ(s.contiguous(), "fghijklmno");
  s.consume(100);  // clamped to the contiguous bytes
  EXPECT_EQ(s.st.consumed, 15u);
  EXPECT_EQ(s.st.contiguous, 0u);
}

TEST(StreamReassembly, SkipPastTheContiguousData) {
  Stream s(0);
  s.add(0, "head");
  s.add(12, "tail");
  // Skip a 10-byte body of which 4 bytes are here: the rest arrives later as retransmission.
  EXPECT_EQ(stream_skip(s.st, s.buf(), 10), 0u);
  EXPECT_EQ(s.st.consumed, 10u);
  EXPECT_EQ(s.st.isn_next, 10u);
  EXPECT_EQ(s.add(4, "bodybo"), 0u);
  EXPECT_EQ(s.counters.retransmit, 1u);
  EXPECT_EQ(s.add(8, "body"), 6u);  // "bo" skipped, "dy" new, and it reaches the held "tail"
  EXPECT_EQ(s.contiguous(), "dytail");
}

TEST(StreamReassembly, SkipGapJumpsToTheFirstHeldRange) {
  Stream s(0);
  EXPECT_EQ(stream_skip_gap(s.st, s.buf()), 0u);  // nothing held
  s.add(0, "ab");
  s.add(5, "fg");
  s.add(10, "kl");
  EXPECT_EQ(stream_skip_gap(s.st, s.buf()), 2u);
  EXPECT_EQ(s.contiguous(), "fg");
  EXPECT_EQ(s.st.consumed, 5u);
  ASSERT_EQ(s.st.n_holes_ranges, 1u);
  EXPECT_EQ(s.add(7, "hij"), 5u);
  EXPECT_EQ(s.contiguous(), "fghijkl");
}

TEST(StreamReassembly, UninitializedStatePicksUpMidStream) {
  StreamState st{};
  StreamCounters c{};
  uint8_t buf[16];
  const uint8_t data[] = {'x', 'y'};
  EXPECT_EQ(stream_add(st, buf, sizeof(buf), 777, data, 2, c), 2u);
  EXPECT_TRUE(st.initialized);
  EXPECT_EQ(st.isn_next, 777u);
}

// Checks the state's invariants against the buffer capacity.
void expect_invariants(const StreamState& st, uint32_t cap) {
  ASSERT_LE(st.contiguous, cap);
  ASSERT_LE(st.n_holes_ranges, kStreamMaxPending);
  uint32_t prev_end = st.contiguous;
  for (uint32_t i = 0; i < st.n_holes_ranges; ++i) {
    ASSERT_GT(st.pending[i].start, prev_end) << "range " << i;  // disjoint, not adjacent
    ASSERT_LT(st.pending[i].start, st.pending[i].end);
    ASSERT_LE(st.pending[i].end, cap);
    prev_end = st.pending[i].end;
  }
}

// A sender that keeps resending unacknowledged segments in random order, with random
// duplicates and overlaps, to a receiver that consumes whatever is contiguous: whatever the
// order, the receiver must read exactly the sent stream.
TEST(StreamReassembly, RandomSegmentationReassemblesTheStream) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 40; ++round) {
    const uint32_t cap = 256 + rng() % 1024;
    std::string stream(3000 + rng() % 5000, '\0');
    for (char& c : stream) c = static_cast<char>(rng());
    const uint32_t isn = rng();  // random: some rounds cross the wrap point

    struct Seg {
      uint32_t off, len;
    };
    std::vector<Seg> segs;
    for (uint32_t off = 0; off < stream.size();) {
      const uint32_t len = std::min<uint32_t>(1 + rng() % 300, stream.size() - off);
      segs.push_back({off, len});
      // Some overlapping extra segments.
      if (rng() % 4 == 0 && off > 20) segs.push_back({off - 20, std::min<uint32_t>(len + 20, 250)});
      off += len;
    }
    StreamState st{};
    stream_init(st, isn);
    StreamCounters c{};
    std::vector<uint8_t> buf(cap);
    std::string out;
    for (int step = 0; step < 200000 && out.size() < stream.size(); ++step) {
      const Seg s = segs[rng() % segs.size()];
      const uint32_t len = std::min<uint32_t>(s.len, stream.size() - s.off);
      stream_add(st, buf.data(), cap, isn + s.off,
                 reinterpret_cast<const uint8_t*>(stream.data()) + s.off, len, c);
      expect_invariants(st, cap);
      out.append(reinterpret_cast<const char*>(buf.data()), st.contiguous);
      stream_consume(st, buf.data(), st.contiguous);
      // Acknowledged segments are not resent.
      std::erase_if(segs, [&](const Seg& g) { return g.off + g.len <= st.consumed; });
      if (segs.empty()) break;
    }
    ASSERT_EQ(out.size(), stream.size()) << "round " << round;
    EXPECT_TRUE(out == stream) << "round " << round;
    EXPECT_EQ(c.overlap_mismatch, 0u);
    EXPECT_EQ(st.consumed, stream.size());
  }
}

// Garbage in: random sequence numbers, lengths, bytes and consumes never break the invariants.
TEST(StreamReassembly, RandomGarbageKeepsInvariants) {
  std::mt19937 rng(777);
  std::vector<uint8_t> data(70000);
  for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
  for (int round = 0; round < 200; ++round) {
    const uint32_t cap = rng() % 2 ? 8192 : rng() % 64;
    std::vector<uint8_t> buf(cap + 1);
    StreamState st{};
    StreamCounters c{};
    const uint32_t base = rng();
    for (int i = 0; i < 300; ++i) {
      const uint32_t seq = rng() % 3 ? base + rng() % 10000 - 2000 : static_cast<uint32_t>(rng());
      const uint32_t len = rng() % 8 ? rng() % 1500 : rng() % 70000;
      const uint32_t got = stream_add(st, buf.data(), cap, seq, data.data(), len, c);
      ASSERT_LE(got, cap);
      expect_invariants(st, cap);
      switch (rng() % 6) {
        case 0:
          stream_consume(st, buf.data(), rng() % 4000);
          break;
        case 1:
          stream_skip(st, buf.data(), rng() % 9000);
          break;
        case 2:
          stream_skip_gap(st, buf.data());
          break;
        default:
          break;
      }
      expect_invariants(st, cap);
    }
  }
}

}  // namespace
}  // namespace vigil::ids
