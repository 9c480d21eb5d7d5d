// TCP stream reassembly for one direction of a flow, into a fixed buffer the caller owns (e.g. 8
// KiB from a per-worker pool). Positional: the byte at stream offset p lives at
// buf[p - state.consumed]. No allocation, no exceptions: fit for the DPDK fast path.
//
// Policy (see stream_reassembly.cc):
//  - Sequence numbers are compared modulo 2^32 (RFC 1982 style): wraparound works.
//  - First data wins: bytes already held (or already consumed) are never overwritten. A
//    segment that repeats held bytes with different content counts overlap_mismatch, the sign
//    of an evasion attempt (Ptacek & Newsham); the bytes kept are the first ones.
//  - Data before buf[0] (already consumed) is a retransmission and is ignored.
//  - A segment reaching past `cap` is cut there; the bytes that did not fit count in
//    beyond_buffer. The caller consumes (or skips) to make room.
//  - At most kStreamMaxPending out-of-order ranges are held, merged when they touch; a new
//    out-of-order segment that would need one more range is dropped (ooo_dropped).
//
// Counters count segments, except beyond_buffer which counts bytes. Every segment with data is
// exactly one of in_order (extends the contiguous data), out_of_order (new bytes beyond a
// hole, held or dropped), retransmit (no new byte) or beyond (entirely past cap); overlap and
// overlap_mismatch are counted in addition.
#pragma once

#include <cstdint>

namespace vigil::ids {

inline constexpr uint8_t kStreamMaxPending = 8;

// A held out-of-order range [start, end) of buffer offsets.
struct StreamRange {
  uint32_t start, end;
};

// Plain data, zero-initialisable (a zeroed state is "not initialized"), about 90 bytes.
struct StreamState {
  bool initialized;
  uint32_t isn_next;                       // sequence number of buf[0]
  uint32_t contiguous;                     // bytes in order from buf[0]
  uint8_t n_holes_ranges;                  // used entries of pending
  StreamRange pending[kStreamMaxPending];  // sorted, disjoint, non-adjacent, start > contiguous
  uint64_t consumed;  // stream offset of buf[0]: bytes consumed or skipped before it
};

struct StreamCounters {
  uint64_t in_order, out_of_order, retransmit, overlap, overlap_mismatch;
  uint64_t beyond_buffer;  // bytes
  uint64_t ooo_dropped;    // out-of-order segments dropped: no free pending range
};

// Starts a direction at `next_seq`: ISN+1 after a SYN, or the first data segment's seq when the
// flow is picked up mid-stream. Clears held data.
void stream_init(StreamState& st, uint32_t next_seq);

// Adds a segment; returns how many bytes were added to the contiguous run (0 when it only
// filled data beyond a hole, was a retransmission, or was dropped). An uninitialized state is
// initialized at `seq` (mid-stream pickup). `buf` must hold `cap` bytes.
uint32_t stream_add(StreamState& st, uint8_t* buf, uint32_t cap, uint32_t seq, const uint8_t* data,
                    uint32_t len, StreamCounters& counters);

// Drops n contiguous bytes from the front (n is clamped to st.contiguous) and moves the held
// data down (memmove).
void stream_consume(StreamState& st, uint8_t* buf, uint32_t n);

// Drops n bytes from the front even past the contiguous data (e.g. an HTTP body the caller does
// not inspect, announced but not yet received). Bytes of the skipped range that arrive later
// count as retransmissions. Returns the new contiguous length.
uint32_t stream_skip(StreamState& st, uint8_t* buf, uint64_t n);

// Gives up on the hole after the contiguous data (a lost segment that will not come, or a full
// buffer): drops everything before the first held range (the contiguous bytes, which the
// caller has already seen, and the hole). Returns the new contiguous length, 0 when nothing is
// held beyond a hole. Callers note the gap: a match must not span it.
uint32_t stream_skip_gap(StreamState& st, uint8_t* buf);

// End of the held data (contiguous or pending), as a buffer offset.
uint32_t stream_held_end(const StreamState& st);

}  // namespace vigil::ids
