// TCP connection tracking for the stateful firewall: a per-connection state machine with
// sequence-window checks, modelled on Linux nf_conntrack_proto_tcp (states, tcp_in_window) and
// OVS conntrack-tcp (timeouts). Pure code over a parsed segment, so it is unit-tested without DPDK;
// the flow table owns the TcpConn and the lock-free/per-worker story.
//
// Rules chosen (see tcp_tracker.cc for the details):
//  - No mid-stream pickup: the first segment of a connection must be a SYN from its originator
//    (dir 0); anything else is invalid (kNoSyn). A restarted vigil therefore drops existing
//    connections until their endpoints reconnect, which is the safe choice for a firewall.
//  - Impossible flag combinations (SYN+FIN, FIN+RST, SYN+RST, FIN without ACK, no flags, ...) are
//    invalid in every state.
//  - Each side's sequence numbers, acks and windows are checked as in Linux's tcp_in_window, with
//    window scaling honoured only when both SYNs carried the option (RFC 7323).
//  - A RST closes the connection only if its sequence number lies between what the receiver has
//    acknowledged and what the sender has sent (RFC 5961 spirit: normally one exact value), and
//    its ACK, if any, is in window. Blind RST injection then needs the exact sequence number.
//  - A SYN on a TIME_WAIT or CLOSE connection is kReopen: the caller discards the entry and tracks
//    the SYN as the first segment of a new connection (its sender becomes the originator).
//  - A SYN that is never answered leaves the connection in SYN_SENT (half-open) for the caller's
//    syn_sent timeout; SYN retransmissions are valid.
//  - State changes only on valid segments; an invalid segment leaves the TcpConn untouched.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil {

// TCP header flags (byte 13).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

inline constexpr uint8_t kNoWscale = 0xff;

struct TcpSegment {
  uint8_t flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t window = 0;         // as on the wire, not yet scaled
  uint8_t wscale = kNoWscale;  // window-scale option of a SYN, kNoWscale when absent
  uint32_t payload_len = 0;    // bytes after the TCP header
};

// Reads a TCP header at `tcp`, `len` = bytes of TCP header plus payload (from the IP length).
// False when the header is cut short or its data offset is impossible. Malformed options end the
// option scan without failing, as a receiving stack would ignore them.
bool parse_tcp_segment(const uint8_t* tcp, uint32_t len, TcpSegment& seg);

#define VIGIL_TCP_STATES(X)                                               \
  X(kNone, "none")               /* nothing seen */                       \
  X(kSynSent, "syn_sent")        /* SYN from the originator */            \
  X(kSynSent2, "syn_sent2")      /* SYNs from both (simultaneous open) */ \
  X(kSynRecv, "syn_recv")        /* one side's SYN acknowledged */        \
  X(kEstablished, "established") /* both SYNs acknowledged */             \
  X(kFinWait, "fin_wait")        /* one FIN, not yet acknowledged */      \
  X(kCloseWait, "close_wait")    /* one FIN acknowledged, other open */   \
  X(kLastAck, "last_ack")        /* both FINs, one not acknowledged */    \
  X(kTimeWait, "time_wait")      /* both FINs acknowledged */             \
  X(kClose, "close")             /* reset */

enum class TcpState : uint8_t {
#define VIGIL_TCP_STATE_ENUM(id, name) id,
  VIGIL_TCP_STATES(VIGIL_TCP_STATE_ENUM)
#undef VIGIL_TCP_STATE_ENUM
      kCount
};

#define VIGIL_TCP_INVALID(X)                                                        \
  X(kNone, "none", "valid")                                                         \
  X(kBadFlags, "tcp_bad_flags", "impossible flag combination")                      \
  X(kNoSyn, "tcp_no_syn", "first segment is not a SYN (no mid-stream pickup)")      \
  X(kUnexpectedFlags, "tcp_unexpected_flags", "flags not allowed in this state")    \
  X(kBadSynAck, "tcp_bad_syn_ack", "SYN-ACK does not acknowledge the SYN")          \
  X(kSynMismatch, "tcp_syn_mismatch", "SYN retransmitted with another ISN")         \
  X(kSynOnEstablished, "tcp_syn_on_established", "SYN on an open connection")       \
  X(kSeqAboveWindow, "tcp_seq_above_window", "data beyond the receiver's window")   \
  X(kSeqBelowWindow, "tcp_seq_below_window", "data older than a window")            \
  X(kAckAboveSent, "tcp_ack_above_sent", "acknowledges data never sent")            \
  X(kAckBelowWindow, "tcp_ack_below_window", "acknowledgement older than a window") \
  X(kRstOutOfWindow, "tcp_rst_out_of_window", "RST sequence number not expected")   \
  X(kDataAfterFin, "tcp_data_after_fin", "sequence space used after a FIN")         \
  X(kClosed, "tcp_closed", "non-SYN segment on a reset connection")

enum class TcpInvalid : uint8_t {
#define VIGIL_TCP_INVALID_ENUM(id, name, help) id,
  VIGIL_TCP_INVALID(VIGIL_TCP_INVALID_ENUM)
#undef VIGIL_TCP_INVALID_ENUM
      kCount
};

inline constexpr std::size_t kTcpStateCount = static_cast<std::size_t>(TcpState::kCount);
inline constexpr std::size_t kTcpInvalidCount = static_cast<std::size_t>(TcpInvalid::kCount);

inline constexpr std::array<std::string_view, kTcpStateCount> kTcpStateNames = {
#define VIGIL_TCP_STATE_NAME(id, name) name,
    VIGIL_TCP_STATES(VIGIL_TCP_STATE_NAME)
#undef VIGIL_TCP_STATE_NAME
};

inline constexpr std::array<std::string_view, kTcpInvalidCount> kTcpInvalidNames = {
#define VIGIL_TCP_INVALID_NAME(id, name, help) name,
    VIGIL_TCP_INVALID(VIGIL_TCP_INVALID_NAME)
#undef VIGIL_TCP_INVALID_NAME
};

inline constexpr std::array<std::string_view, kTcpInvalidCount> kTcpInvalidHelp = {
#define VIGIL_TCP_INVALID_HELP(id, name, help) help,
    VIGIL_TCP_INVALID(VIGIL_TCP_INVALID_HELP)
#undef VIGIL_TCP_INVALID_HELP
};

constexpr std::string_view tcp_state_name(TcpState s) {
  return kTcpStateNames[static_cast<std::size_t>(s)];
}
constexpr std::string_view tcp_invalid_name(TcpInvalid r) {
  return kTcpInvalidNames[static_cast<std::size_t>(r)];
}

// TcpPeer::flags
inline constexpr uint8_t kPeerSynSeen = 0x01;   // this side sent a SYN; isn is set
inline constexpr uint8_t kPeerWscale = 0x02;    // its SYN carried a window-scale option
inline constexpr uint8_t kPeerSynAcked = 0x04;  // the other side acknowledged its SYN
inline constexpr uint8_t kPeerFinSeen = 0x08;   // this side sent a FIN (its last sequence: end)
inline constexpr uint8_t kPeerFinAcked = 0x10;  // the other side acknowledged that FIN
inline constexpr uint8_t kPeerAckSeen = 0x20;   // max_ack is set

// What one direction has sent, in its own sequence space (Linux's ip_ct_tcp_state).
struct TcpPeer {
  uint32_t end = 0;      // highest seq + len (+SYN, +FIN) sent
  uint32_t max_end = 0;  // highest seq it may send: the other side's ack + window
  uint32_t max_win = 0;  // largest window it advertised, scaled
  uint32_t max_ack = 0;  // highest ack it sent (the other side's sequence space)
  uint32_t isn = 0;      // sequence number of its SYN
  uint8_t wscale = 0;    // shift applied to its non-SYN windows (0 unless both sides agreed)
  uint8_t flags = 0;     // kPeer*

  bool operator==(const TcpPeer&) const = default;
};

struct TcpConn {
  TcpPeer peer[2];  // [0] originator (sent the first SYN), [1] responder
  TcpState state = TcpState::kNone;

  bool operator==(const TcpConn&) const = default;
};

enum class TcpAction : uint8_t {
  kNew,      // the first SYN: the connection now exists (SYN_SENT)
  kValid,    // accepted, state updated
  kInvalid,  // rejected for `reason`, state untouched
  kReopen,   // SYN on a TIME_WAIT/CLOSE connection: discard the entry and track it as new
};

struct TcpVerdict {
  TcpAction action = TcpAction::kValid;
  TcpInvalid reason = TcpInvalid::kNone;
};

// Tracks segment `s` sent by side `dir` (0 originator, 1 responder) of connection `c`.
TcpVerdict tcp_track(TcpConn& c, int dir, const TcpSegment& s);

// Idle timeouts in seconds, named after OVS's timeout-policy attributes; the defaults are OVS's
// userspace-datapath default policy (ct_dpif_netdev_tp_def in lib/conntrack-tp.c).
struct TcpTimeouts {
  uint32_t tcp_syn_sent = 30;
  uint32_t tcp_syn_recv = 30;
  uint32_t tcp_established = 24 * 60 * 60;
  uint32_t tcp_fin_wait = 15 * 60;  // one side closing
  uint32_t tcp_time_wait = 45;      // both sides closing
  uint32_t tcp_close = 30;          // both FINs acknowledged, or reset
};

// The idle timeout of a connection in `state`, mapped as OVS's conntrack-tcp does.
uint32_t tcp_timeout_s(TcpState state, const TcpTimeouts& t);

}  // namespace vigil
