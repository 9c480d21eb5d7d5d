#include "ids/stream_reassembly.h"

#include <algorithm>
#include <cstring>

namespace vigil::ids {
namespace {

// a - b modulo 2^32, as a signed distance: positive when a is after b.
int32_t seq_diff(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b);
}

void remove_ranges(StreamState& st, uint32_t at, uint32_t count) {
  const uint32_t n = st.n_holes_ranges;
  for (uint32_t i = at; i + count < n; ++i) st.pending[i] = st.pending[i + count];
  st.n_holes_ranges = static_cast<uint8_t>(n - count);
}

// Extends the contiguous run over held ranges it now reaches.
void absorb_pending(StreamState& st) {
  uint32_t k = 0;
  while (k < st.n_holes_ranges && st.pending[k].start <= st.contiguous) {
    st.contiguous = std::max(st.contiguous, st.pending[k].end);
    ++k;
  }
  remove_ranges(st, 0, k);
}

// Copies the bytes of [s, e) that are not held yet (first data wins).
void copy_new_bytes(const StreamState& st, uint8_t* buf, uint32_t s, uint32_t e,
                    const uint8_t* data) {
  uint32_t pos = std::max(s, st.contiguous);
  for (uint32_t i = 0; i < st.n_holes_ranges && pos < e; ++i) {
    const StreamRange& r = st.pending[i];
    if (r.end <= pos) continue;
    if (r.start >= e) break;
    if (r.start > pos) std::memcpy(buf + pos, data + (pos - s), r.start - pos);
    pos = std::max(pos, r.end);
  }
  if (pos < e) std::memcpy(buf + pos, data + (pos - s), e - pos);
}

// Holds [s, e) (s > contiguous), merged with the ranges it touches. False when that would need
// more than kStreamMaxPending ranges.
bool hold_range(StreamState& st, uint32_t s, uint32_t e) {
  const uint32_t n = st.n_holes_ranges;
  uint32_t i = 0;
  while (i < n && st.pending[i].end < s) ++i;
  uint32_t j = i;
  while (j < n && st.pending[j].start <= e) ++j;
  const uint32_t touching = j - i;
  if (touching == 0) {
    if (n >= kStreamMaxPending) return false;
    for (uint32_t k = n; k > i; --k) st.pending[k] = st.pending[k - 1];
    st.pending[i] = StreamRange{s, e};
    st.n_holes_ranges = static_cast<uint8_t>(n + 1);
    return true;
  }
  st.pending[i] = StreamRange{std::min(s, st.pending[i].start), std::max(e, st.pending[j - 1].end)};
  remove_ranges(st, i + 1, touching - 1);
  return true;
}

}  // namespace

void stream_init(StreamState& st, uint32_t next_seq) {
  st = StreamState{};
  st.initialized = true;
  st.isn_next = next_seq;
}

uint32_t stream_held_end(const StreamState& st) {
  if (st.n_holes_ranges == 0) return st.contiguous;
  return std::max(st.contiguous, st.pending[st.n_holes_ranges - 1].end);
}

uint32_t stream_add(StreamState& st, uint8_t* buf, uint32_t cap, uint32_t seq, const uint8_t* data,
                    uint32_t len, StreamCounters& counters) {
  if (len == 0 || data == nullptr) return 0;
  if (!st.initialized) stream_init(st, seq);

  // Segment position relative to buf[0], in 64 bits so nothing wraps.
  int64_t start = seq_diff(seq, st.isn_next);
  int64_t end = start + len;
  bool overlapped = false;
  if (start < 0) {
    if (end <= 0) {  // all of it was consumed already
      ++counters.retransmit;
      return 0;
    }
    overlapped = true;
    data += -start;
    start = 0;
  }
  if (start >= cap) {
    counters.beyond_buffer += static_cast<uint64_t>(end - start);
    return 0;
  }
  if (end > cap) {
    counters.beyond_buffer += static_cast<uint64_t>(end - cap);
    end = cap;
  }
  const uint32_t s = static_cast<uint32_t>(start);
  const uint32_t e = static_cast<uint32_t>(end);

  // Compare with what is held: the contiguous run and the pending ranges.
  uint32_t held = 0;
  bool mismatch = false;
  auto compare = [&](uint32_t hs, uint32_t he) {
    const uint32_t a = std::max(s, hs);
    const uint32_t b = std::min(e, he);
    if (a >= b) return;
    held += b - a;
    if (std::memcmp(buf + a, data + (a - s), b - a) != 0) mismatch = true;
  };
  compare(0, st.contiguous);
  for (uint32_t i = 0; i < st.n_holes_ranges; ++i) compare(st.pending[i].start, st.pending[i].end);
  if (mismatch) ++counters.overlap_mismatch;
  if (held == e - s) {
    ++counters.retransmit;
    return 0;
  }
  if (held > 0 || overlapped) ++counters.overlap;

  if (s <= st.contiguous) {
    ++counters.in_order;
    copy_new_bytes(st, buf, s, e, data);
    const uint32_t before = st.contiguous;
    st.contiguous = std::max(st.contiguous, e);
    absorb_pending(st);
    return st.contiguous - before;
  }
  ++counters.out_of_order;
  // Decide before writing, so a dropped segment leaves the buffer as it was.
  StreamState probe = st;
  if (!hold_range(probe, s, e)) {
    ++counters.ooo_dropped;
    return 0;
  }
  copy_new_bytes(st, buf, s, e, data);
  st = probe;
  return 0;
}

void stream_consume(StreamState& st, uint8_t* buf, uint32_t n) {
  n = std::min(n, st.contiguous);
  if (n == 0) return;
  const uint32_t held_end = stream_held_end(st);
  std::memmove(buf, buf + n, held_end - n);
  st.contiguous -= n;
  for (uint32_t i = 0; i < st.n_holes_ranges; ++i) {
    st.pending[i].start -= n;
    st.pending[i].end -= n;
  }
  st.isn_next += n;
  st.consumed += n;
}

uint32_t stream_skip(StreamState& st, uint8_t* buf, uint64_t n) {
  if (n <= st.contiguous) {
    stream_consume(st, buf, static_cast<uint32_t>(n));
    return st.contiguous;
  }
  const uint32_t held_end = stream_held_end(st);
  if (n >= held_end) {
    st.n_holes_ranges = 0;
  } else {
    const uint32_t cut = static_cast<uint32_t>(n);
    std::memmove(buf, buf + cut, held_end - cut);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < st.n_holes_ranges; ++i) {
      const StreamRange r = st.pending[i];
      if (r.end <= cut) continue;
      st.pending[kept++] = StreamRange{std::max(r.start, cut) - cut, r.end - cut};
    }
    st.n_holes_ranges = static_cast<uint8_t>(kept);
  }
  st.contiguous = 0;
  absorb_pending(st);
  st.isn_next += static_cast<uint32_t>(n);
  st.consumed += n;
  return st.contiguous;
}

uint32_t stream_skip_gap(StreamState& st, uint8_t* buf) {
  if (st.n_holes_ranges == 0) return 0;
  return stream_skip(st, buf, st.pending[0].start);
}

}  // namespace vigil::ids
