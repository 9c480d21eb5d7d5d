#include "dataplane/tcp_tracker.h"

#include <algorithm>

namespace vigil {
namespace {

constexpr uint8_t kOptEnd = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptWscale = 3;
constexpr uint8_t kMaxWscale = 14;  // RFC 7323 2.3: larger shifts are treated as 14
// Lower bound of the ack window when a side advertised less (Linux's MAXACKWINCONST): acks may
// trail by more than a small window when segments are reordered.
constexpr uint32_t kMinAckWindow = 66000;

inline uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Sequence-number order modulo 2^32 (RFC 1982).
inline bool seq_before(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) < 0;
}
inline bool seq_after(uint32_t a, uint32_t b) {
  return seq_before(b, a);
}

enum class Kind : uint8_t { kSyn, kSynAck, kFin, kAck, kRst };

// Sorts a segment by its flags; false for combinations no TCP sends (as Linux's tcp_valid_flags):
// SYN or RST with FIN, SYN with RST, FIN without ACK, URG on SYN or RST, and segments without any
// of SYN, ACK or RST. PSH, ECE and CWR do not matter here.
bool classify(uint8_t flags, Kind& kind) {
  const uint8_t f = flags & (kTcpFin | kTcpSyn | kTcpRst | kTcpAck | kTcpUrg);
  switch (f) {
    case kTcpSyn:
      kind = Kind::kSyn;
      return true;
    case kTcpSyn | kTcpAck:
      kind = Kind::kSynAck;
      return true;
    case kTcpRst:
    case kTcpRst | kTcpAck:
      kind = Kind::kRst;
      return true;
    case kTcpFin | kTcpAck:
    case kTcpFin | kTcpAck | kTcpUrg:
      kind = Kind::kFin;
      return true;
    case kTcpAck:
    case kTcpAck | kTcpUrg:
      kind = Kind::kAck;
      return true;
    default:
      return false;
  }
}

// Sequence space the segment occupies: SYN and FIN count one each.
uint32_t segment_end(const TcpSegment& s) {
  return s.seq + s.payload_len + ((s.flags & kTcpSyn) ? 1 : 0) + ((s.flags & kTcpFin) ? 1 : 0);
}

void init_peer(TcpPeer& p, const TcpSegment& s) {
  p = TcpPeer{};
  p.isn = s.seq;
  p.end = p.max_end = segment_end(s);
  p.max_win = std::max<uint32_t>(s.window, 1);  // SYN windows are never scaled
  p.flags = kPeerSynSeen;
  if (s.wscale != kNoWscale) {
    p.flags |= kPeerWscale;
    p.wscale = std::min(s.wscale, kMaxWscale);
  }
}

// Window scaling is in force only when both SYNs carried the option (RFC 7323 1.3).
void agree_wscale(TcpConn& c) {
  if (!(c.peer[0].flags & c.peer[1].flags & kPeerWscale)) c.peer[0].wscale = c.peer[1].wscale = 0;
}

// The state follows from what each side has sent and had acknowledged, so that out-of-order
// handshakes (simultaneous open, FIN before the last handshake ACK) need no special transitions.
TcpState derive_state(const TcpConn& c) {
  const uint8_t f0 = c.peer[0].flags, f1 = c.peer[1].flags;
  const bool acked0 = f0 & kPeerSynAcked, acked1 = f1 & kPeerSynAcked;
  if (!acked0 || !acked1) {
    if (acked0 || acked1) return TcpState::kSynRecv;
    return (f1 & kPeerSynSeen) ? TcpState::kSynSent2 : TcpState::kSynSent;
  }
  const int fins = ((f0 & kPeerFinSeen) ? 1 : 0) + ((f1 & kPeerFinSeen) ? 1 : 0);
  const int fins_acked = ((f0 & kPeerFinAcked) ? 1 : 0) + ((f1 & kPeerFinAcked) ? 1 : 0);
  if (fins == 0) return TcpState::kEstablished;
  if (fins == 1) return fins_acked ? TcpState::kCloseWait : TcpState::kFinWait;
  return fins_acked == 2 ? TcpState::kTimeWait : TcpState::kLastAck;
}

// A RST in SYN_SENT: from the responder it must acknowledge the SYN (RFC 9293 3.10.7.3, a
// refused connection); from the originator it must carry the sequence number after its SYN.
TcpInvalid rst_in_syn_sent(TcpConn& c, int dir, const TcpSegment& s) {
  const TcpPeer& orig = c.peer[0];
  const bool ok = dir ? ((s.flags & kTcpAck) && s.ack == orig.end) : s.seq == orig.end;
  if (!ok) return TcpInvalid::kRstOutOfWindow;
  c.state = TcpState::kClose;
  return TcpInvalid::kNone;
}

// Checks the segment against both sides' windows (Linux's tcp_in_window) and, when it passes,
// records it in `c`. Both sides have sent their SYN.
TcpInvalid in_window(TcpConn& c, int dir, Kind kind, const TcpSegment& s) {
  TcpPeer& snd = c.peer[dir];
  TcpPeer& rcv = c.peer[1 - dir];
  const uint32_t seq = s.seq;
  const uint32_t end = segment_end(s);
  // Some stacks send RST+ACK with a zero ack: treat it as carrying no ack.
  const bool has_ack = (s.flags & kTcpAck) && !(kind == Kind::kRst && s.ack == 0);
  const uint32_t ack = has_ack ? s.ack : rcv.end;
  const bool syn = kind == Kind::kSyn || kind == Kind::kSynAck;
  const uint32_t win = syn ? s.window : uint32_t(s.window) << snd.wscale;

  if (kind == Kind::kRst) {
    // Legitimate RSTs carry the sender's next sequence number (RFC 9293 3.10.7) or the ack of the
    // segment they answer: both lie between what the receiver acknowledged and what the sender
    // sent, which is usually one value. A RST merely inside the window is not enough.
    const uint32_t lowest = (rcv.flags & kPeerAckSeen) ? rcv.max_ack : snd.isn + 1;
    if (seq_before(seq, lowest) || seq_after(seq, snd.end)) return TcpInvalid::kRstOutOfWindow;
  } else {
    if (seq_after(seq, snd.max_end)) return TcpInvalid::kSeqAboveWindow;
    // Retransmissions may reach back at most one receive window.
    if (seq_before(end, snd.end - rcv.max_win)) return TcpInvalid::kSeqBelowWindow;
  }
  if (has_ack) {
    if (seq_after(ack, rcv.end)) return TcpInvalid::kAckAboveSent;
    const uint32_t ack_win = std::max(snd.max_win, kMinAckWindow);
    if (seq_before(ack, rcv.end - ack_win)) return TcpInvalid::kAckBelowWindow;
  }
  if ((snd.flags & kPeerFinSeen) && seq_after(end, snd.end)) return TcpInvalid::kDataAfterFin;

  if (kind == Kind::kRst) {
    c.state = TcpState::kClose;
    return TcpInvalid::kNone;
  }
  // Data past the right edge we knew means the receiver offered more than we saw (a window
  // update we missed): widen its window so its retransmissions stay acceptable.
  if (seq_after(end, snd.max_end)) rcv.max_win += end - snd.max_end;
  snd.max_win = std::max(snd.max_win, win);
  if (seq_after(end, snd.end)) snd.end = end;
  if (has_ack) {
    if (!(snd.flags & kPeerAckSeen) || seq_after(ack, snd.max_ack)) {
      snd.max_ack = ack;
      snd.flags |= kPeerAckSeen;
    }
    // A zero window still admits a one-byte probe.
    const uint32_t edge = ack + std::max<uint32_t>(win, 1);
    if (seq_after(edge, rcv.max_end)) rcv.max_end = edge;
    if (seq_after(ack, rcv.isn)) rcv.flags |= kPeerSynAcked;
    if ((rcv.flags & kPeerFinSeen) && !seq_before(ack, rcv.end)) rcv.flags |= kPeerFinAcked;
  }
  if (kind == Kind::kFin) snd.flags |= kPeerFinSeen;
  c.state = derive_state(c);
  return TcpInvalid::kNone;
}

// A SYN on a tracked connection: the responder's own SYN (simultaneous open) or a retransmission.
TcpInvalid track_syn(TcpConn& c, int dir, const TcpSegment& s) {
  TcpPeer& snd = c.peer[dir];
  if (!(snd.flags & kPeerSynSeen)) {  // only the responder in SYN_SENT
    init_peer(snd, s);
    agree_wscale(c);
    c.state = TcpState::kSynSent2;
    return TcpInvalid::kNone;
  }
  if (c.state >= TcpState::kEstablished) return TcpInvalid::kSynOnEstablished;
  if (s.seq == snd.isn) return TcpInvalid::kNone;  // retransmission: nothing new
  // An originator that gave up and retries with a later ISN (RFC 9293 3.4.1) starts over.
  if (c.state == TcpState::kSynSent && dir == 0 && seq_after(segment_end(s), snd.end)) {
    init_peer(snd, s);
    return TcpInvalid::kNone;
  }
  return TcpInvalid::kSynMismatch;
}

TcpInvalid track_syn_ack(TcpConn& c, int dir, const TcpSegment& s) {
  TcpPeer& snd = c.peer[dir];
  const TcpPeer& rcv = c.peer[1 - dir];
  if (c.state >= TcpState::kEstablished) {
    // The handshake's SYN-ACK again (the ACK that answered it was lost): harmless.
    const bool repeat = s.seq == snd.isn && s.ack == rcv.isn + 1;
    return repeat ? TcpInvalid::kNone : TcpInvalid::kSynOnEstablished;
  }
  if (!(rcv.flags & kPeerSynSeen)) return TcpInvalid::kUnexpectedFlags;
  if (s.ack != rcv.isn + 1) return TcpInvalid::kBadSynAck;
  if (!(snd.flags & kPeerSynSeen)) {  // the responder's answer in SYN_SENT
    init_peer(snd, s);
    agree_wscale(c);
  } else if (s.seq != snd.isn) {
    return TcpInvalid::kSynMismatch;
  }
  return in_window(c, dir, Kind::kSynAck, s);
}

}  // namespace

bool parse_tcp_segment(const uint8_t* tcp, uint32_t len, TcpSegment& seg) {
  if (len < 20) return false;
  const uint32_t header_len = (tcp[12] >> 4) * 4u;
  if (header_len < 20 || header_len > len) return false;
  seg.seq = be32(tcp + 4);
  seg.ack = be32(tcp + 8);
  seg.flags = tcp[13];
  seg.window = be16(tcp + 14);
  seg.payload_len = len - header_len;
  seg.wscale = kNoWscale;
  if (!(seg.flags & kTcpSyn)) return true;  // the option means nothing elsewhere (RFC 7323)
  const uint8_t* opt = tcp + 20;
  const uint8_t* opt_end = tcp + header_len;
  while (opt < opt_end) {
    if (*opt == kOptEnd) break;
    if (*opt == kOptNop) {
      ++opt;
      continue;
    }
    if (opt_end - opt < 2 || opt[1] < 2 || opt[1] > opt_end - opt) break;
    if (opt[0] == kOptWscale && opt[1] == 3) seg.wscale = opt[2];
    opt += opt[1];
  }
  return true;
}

TcpVerdict tcp_track(TcpConn& c, int dir, const TcpSegment& s) {
  Kind kind;
  if (!classify(s.flags, kind)) return {TcpAction::kInvalid, TcpInvalid::kBadFlags};
  dir = dir ? 1 : 0;
  if (c.state == TcpState::kNone) {
    if (dir != 0 || kind != Kind::kSyn) return {TcpAction::kInvalid, TcpInvalid::kNoSyn};
    init_peer(c.peer[0], s);
    c.peer[1] = TcpPeer{};
    c.state = TcpState::kSynSent;
    return {TcpAction::kNew, TcpInvalid::kNone};
  }
  if (c.state == TcpState::kTimeWait || c.state == TcpState::kClose) {
    // Hosts reuse ports quickly; whether the new ISN is acceptable is the endpoint's decision.
    if (kind == Kind::kSyn) return {TcpAction::kReopen, TcpInvalid::kNone};
    // After a RST, only further RSTs: anything else would be answered by a RST anyway.
    if (c.state == TcpState::kClose && kind != Kind::kRst) {
      return {TcpAction::kInvalid, TcpInvalid::kClosed};
    }
  }

  // Work on a copy so that a rejected segment leaves the connection as it was.
  TcpConn next = c;
  TcpInvalid r;
  if (kind == Kind::kSyn) {
    r = track_syn(next, dir, s);
  } else if (kind == Kind::kSynAck) {
    r = track_syn_ack(next, dir, s);
  } else if (!(next.peer[0].flags & next.peer[1].flags & kPeerSynSeen)) {
    // Only the originator's SYN so far: nothing but a RST makes sense.
    r = kind == Kind::kRst ? rst_in_syn_sent(next, dir, s) : TcpInvalid::kUnexpectedFlags;
  } else {
    r = in_window(next, dir, kind, s);
  }
  if (r != TcpInvalid::kNone) return {TcpAction::kInvalid, r};
  c = next;
  return {TcpAction::kValid, TcpInvalid::kNone};
}

uint32_t tcp_timeout_s(TcpState state, const TcpTimeouts& t) {
  // OVS's conntrack-tcp picks the timeout from both peers' states: opening, established, one side
  // closing (fin_wait), both closing (time_wait), both FINs acknowledged or reset (close).
  switch (state) {
    case TcpState::kNone:
    case TcpState::kSynSent:
    case TcpState::kSynSent2:
      return t.tcp_syn_sent;
    case TcpState::kSynRecv:
      return t.tcp_syn_recv;
    case TcpState::kEstablished:
      return t.tcp_established;
    case TcpState::kFinWait:
    case TcpState::kCloseWait:
      return t.tcp_fin_wait;
    case TcpState::kLastAck:
      return t.tcp_time_wait;
    case TcpState::kTimeWait:
    case TcpState::kClose:
    case TcpState::kCount:
      break;
  }
  return t.tcp_close;
}

}  // namespace vigil
