#include "dataplane/tcp_tracker.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil {
namespace {

constexpr int kOrig = 0;
constexpr int kReply = 1;
constexpr uint8_t kSynAck = kTcpSyn | kTcpAck;
constexpr uint8_t kFinAck = kTcpFin | kTcpAck;
constexpr uint8_t kRstAck = kTcpRst | kTcpAck;

TcpSegment seg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0, uint16_t window = 65535,
               uint8_t wscale = kNoWscale) {
  TcpSegment s;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.payload_len = len;
  s.window = window;
  s.wscale = wscale;
  return s;
}

// A connection between a client (originator) and a server, each side's next sequence number
// kept so that tests read like the conversation.
class TcpTrackerTest : public ::testing::Test {
 protected:
  void start(uint32_t client_isn, uint32_t server_isn) {
    client_ = client_isn;
    server_ = server_isn;
  }
  TcpVerdict send(int dir, uint8_t flags, uint32_t len = 0, uint16_t window = 65535) {
    uint32_t& seq = dir == kOrig ? client_ : server_;
    const uint32_t ack = dir == kOrig ? server_ : client_;
    const TcpSegment s = seg(flags, seq, (flags & kTcpAck) ? ack : 0, len, window);
    const TcpVerdict v = tcp_track(conn_, dir, s);
    if (v.action != TcpAction::kInvalid) {
      seq += len + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
    }
    return v;
  }
  void expect_valid(int dir, uint8_t flags, uint32_t len, TcpState then) {
    const TcpVerdict v = send(dir, flags, len);
    EXPECT_EQ(v.action, TcpAction::kValid) << tcp_invalid_name(v.reason);
    EXPECT_EQ(conn_.state, then) << tcp_state_name(conn_.state);
  }
  void handshake(uint32_t client_isn = 1000, uint32_t server_isn = 5000) {
    start(client_isn, server_isn);
    ASSERT_EQ(send(kOrig, kTcpSyn).action, TcpAction::kNew);
    ASSERT_EQ(conn_.state, TcpState::kSynSent);
    expect_valid(kReply, kSynAck, 0, TcpState::kSynRecv);
    expect_valid(kOrig, kTcpAck, 0, TcpState::kEstablished);
  }
  // Expects `s` from `dir` to be rejected for `reason` without touching the connection.
  void expect_invalid(int dir, const TcpSegment& s, TcpInvalid reason) {
    const TcpConn before = conn_;
    const TcpVerdict v = tcp_track(conn_, dir, s);
    EXPECT_EQ(v.action, TcpAction::kInvalid);
    EXPECT_EQ(v.reason, reason) << tcp_invalid_name(v.reason);
    EXPECT_TRUE(conn_ == before);
  }

  TcpConn conn_;
  uint32_t client_ = 0;  // client's next sequence number
  uint32_t server_ = 0;
};

TEST_F(TcpTrackerTest, HandshakeDataAndClose) {
  handshake();
  expect_valid(kOrig, kTcpAck | kTcpPsh, 200, TcpState::kEstablished);
  expect_valid(kReply, kTcpAck | kTcpPsh, 1400, TcpState::kEstablished);
  expect_valid(kReply, kTcpAck, 1400, TcpState::kEstablished);
  expect_valid(kOrig, kTcpAck, 0, TcpState::kEstablished);
  expect_valid(kOrig, kFinAck, 0, TcpState::kFinWait);
  expect_valid(kReply, kTcpAck, 0, TcpState::kCloseWait);
  expect_valid(kReply, kTcpAck, 100, TcpState::kCloseWait);  // half-closed: server still sends
  expect_valid(kReply, kFinAck, 0, TcpState::kLastAck);
  expect_valid(kOrig, kTcpAck, 0, TcpState::kTimeWait);
  expect_valid(kOrig, kTcpAck, 0, TcpState::kTimeWait);  // final ACK retransmitted
}

TEST_F(TcpTrackerTest, TimeoutsFollowOvsDefaults) {
  const TcpTimeouts t;
  EXPECT_EQ(tcp_timeout_s(TcpState::kSynSent, t), 30u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kSynSent2, t), 30u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kSynRecv, t), 30u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kEstablished, t), 86400u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kFinWait, t), 900u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kCloseWait, t), 900u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kLastAck, t), 45u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kTimeWait, t), 30u);
  EXPECT_EQ(tcp_timeout_s(TcpState::kClose, t), 30u);
  TcpTimeouts custom;
  custom.tcp_established = 600;
  EXPECT_EQ(tcp_timeout_s(TcpState::kEstablished, custom), 600u);
}

TEST_F(TcpTrackerTest, NamesForCountersAndLogs) {
  EXPECT_EQ(tcp_state_name(TcpState::kTimeWait), "time_wait");
  EXPECT_EQ(tcp_state_name(TcpState::kSynSent2), "syn_sent2");
  EXPECT_EQ(tcp_invalid_name(TcpInvalid::kBadFlags), "tcp_bad_flags");
  EXPECT_EQ(tcp_invalid_name(TcpInvalid::kRstOutOfWindow), "tcp_rst_out_of_window");
  for (auto name : kTcpInvalidNames) EXPECT_FALSE(name.empty());
}

TEST_F(TcpTrackerTest, RstInWindowClosesTheConnection) {
  handshake();
  expect_valid(kReply, kTcpAck, 0, TcpState::kEstablished);
  const TcpVerdict v = tcp_track(conn_, kReply, seg(kRstAck, server_, client_));
  EXPECT_EQ(v.action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kClose);
  // After the reset only RSTs and a new SYN mean anything.
  expect_invalid(kOrig, seg(kTcpAck, client_, server_), TcpInvalid::kClosed);
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpRst, client_, 0)).action, TcpAction::kValid);
}

TEST_F(TcpTrackerTest, RstMayCarryAnySequenceBetweenAckedAndSent) {
  handshake();
  expect_valid(kOrig, kTcpAck, 3000, TcpState::kEstablished);  // not yet acknowledged
  // A server RST answering an earlier segment carries that segment's ack (server_ here); a
  // client RST may carry any sequence number the server could still be expecting.
  const uint32_t unacked = client_ - 3000;
  expect_invalid(kOrig, seg(kTcpRst, unacked - 1, 0), TcpInvalid::kRstOutOfWindow);
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpRst, unacked + 1500, 0)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kClose);
}

TEST_F(TcpTrackerTest, RstOutsideWindowIsInvalid) {
  handshake();
  expect_valid(kReply, kTcpAck, 1000, TcpState::kEstablished);
  expect_valid(kOrig, kTcpAck, 0, TcpState::kEstablished);
  // Inside the receive window but not the expected sequence number: a blind injection.
  expect_invalid(kReply, seg(kTcpRst, server_ + 100, 0), TcpInvalid::kRstOutOfWindow);
  expect_invalid(kReply, seg(kTcpRst, server_ - 1, 0), TcpInvalid::kRstOutOfWindow);
  expect_invalid(kReply, seg(kTcpRst, server_ + 0x40000000, 0), TcpInvalid::kRstOutOfWindow);
  // The right sequence number with an ack of data never sent.
  expect_invalid(kReply, seg(kRstAck, server_, client_ + 10), TcpInvalid::kAckAboveSent);
  EXPECT_EQ(conn_.state, TcpState::kEstablished);
  // A zero ack on RST+ACK is a known stack quirk and does not count as an ack.
  EXPECT_EQ(tcp_track(conn_, kReply, seg(kRstAck, server_, 0)).action, TcpAction::kValid);
}

TEST_F(TcpTrackerTest, DataOutsideTheWindowIsInvalid) {
  handshake();
  expect_valid(kReply, kTcpAck, 0, TcpState::kEstablished);  // server offers 65535 bytes
  // Beyond the right edge the server advertised.
  expect_invalid(kOrig, seg(kTcpAck, client_ + 65536, server_, 100), TcpInvalid::kSeqAboveWindow);
  // Up to the edge is fine, and so is a retransmission within a window.
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, client_ + 65000, server_, 535)).action,
            TcpAction::kValid);
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, client_, server_, 1000)).action,
            TcpAction::kValid);
  // Older than a whole window.
  expect_invalid(kOrig, seg(kTcpAck, client_ - 70000, server_, 100), TcpInvalid::kSeqBelowWindow);
  // Acks of data the server never sent, or far older than anything in flight.
  expect_invalid(kOrig, seg(kTcpAck, client_, server_ + 1), TcpInvalid::kAckAboveSent);
  expect_invalid(kOrig, seg(kTcpAck, client_, server_ - 100000), TcpInvalid::kAckBelowWindow);
}

TEST_F(TcpTrackerTest, ZeroWindowAdmitsOneByteProbe) {
  start(1000, 5000);
  ASSERT_EQ(send(kOrig, kTcpSyn).action, TcpAction::kNew);
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 1001, 0, 0)).action, TcpAction::kValid);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, 1001, 5001)).action, TcpAction::kValid);
  // The server's window is closed: the client may only probe it with one byte.
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, 1001, 5001, 1)).action, TcpAction::kValid);
  expect_invalid(kOrig, seg(kTcpAck, 1003, 5001, 1), TcpInvalid::kSeqAboveWindow);
}

TEST_F(TcpTrackerTest, SynFloodHalfOpenStaysSynSent) {
  std::vector<TcpConn> conns(100);
  for (uint32_t i = 0; i < conns.size(); ++i) {
    EXPECT_EQ(tcp_track(conns[i], kOrig, seg(kTcpSyn, i * 7919, 0)).action, TcpAction::kNew);
    // Retransmissions keep it half-open; the caller times it out after tcp_syn_sent.
    EXPECT_EQ(tcp_track(conns[i], kOrig, seg(kTcpSyn, i * 7919, 0)).action, TcpAction::kValid);
    EXPECT_EQ(conns[i].state, TcpState::kSynSent);
    EXPECT_EQ(tcp_timeout_s(conns[i].state, TcpTimeouts{}), 30u);
  }
  // The flooder cannot complete the handshake on its own.
  conn_ = conns[0];
  expect_invalid(kOrig, seg(kTcpAck, 1, 1), TcpInvalid::kUnexpectedFlags);
  expect_invalid(kReply, seg(kTcpAck, 77, 1), TcpInvalid::kUnexpectedFlags);
}

TEST_F(TcpTrackerTest, RefusedConnection) {
  start(1000, 0);
  ASSERT_EQ(send(kOrig, kTcpSyn).action, TcpAction::kNew);
  expect_invalid(kReply, seg(kTcpRst, 0, 0), TcpInvalid::kRstOutOfWindow);  // acks nothing
  expect_invalid(kReply, seg(kRstAck, 0, 1000), TcpInvalid::kRstOutOfWindow);
  EXPECT_EQ(tcp_track(conn_, kReply, seg(kRstAck, 0, 1001)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kClose);
}

TEST_F(TcpTrackerTest, SimultaneousOpen) {
  start(1000, 5000);
  ASSERT_EQ(send(kOrig, kTcpSyn).action, TcpAction::kNew);
  // Both sides send SYN before seeing the other's; each then sends SYN-ACK with its own ISN.
  const TcpSegment reply_syn = seg(kTcpSyn, 5000, 0);
  ASSERT_EQ(tcp_track(conn_, kReply, reply_syn).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kSynSent2);
  EXPECT_EQ(tcp_track(conn_, kReply, reply_syn).action, TcpAction::kValid);  // retransmitted
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 1001)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kSynRecv);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kSynAck, 1000, 5001)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kEstablished);
  start(1001, 5001);
  expect_valid(kReply, kTcpAck, 500, TcpState::kEstablished);
  expect_valid(kOrig, kTcpAck, 500, TcpState::kEstablished);
}

TEST_F(TcpTrackerTest, SimultaneousCloseReachesTimeWait) {
  handshake();
  // Both FINs cross: neither acknowledges the other's.
  const uint32_t client_fin = client_, server_fin = server_;
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kFinAck, client_fin, server_fin)).action,
            TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kFinWait);
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kFinAck, server_fin, client_fin)).action,
            TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kLastAck);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, client_fin + 1, server_fin + 1)).action,
            TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kLastAck);
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kTcpAck, server_fin + 1, client_fin + 1)).action,
            TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kTimeWait);
}

TEST_F(TcpTrackerTest, DataAfterFinIsInvalid) {
  handshake();
  expect_valid(kOrig, kFinAck, 0, TcpState::kFinWait);
  expect_invalid(kOrig, seg(kTcpAck, client_, server_, 10), TcpInvalid::kDataAfterFin);
  // The FIN itself may be retransmitted.
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kFinAck, client_ - 1, server_)).action, TcpAction::kValid);
}

TEST_F(TcpTrackerTest, ReuseAfterTimeWait) {
  handshake();
  expect_valid(kOrig, kFinAck, 0, TcpState::kFinWait);
  expect_valid(kReply, kFinAck, 0, TcpState::kLastAck);
  expect_valid(kOrig, kTcpAck, 0, TcpState::kTimeWait);
  const TcpConn before = conn_;
  // The same ports again: the caller discards the entry and tracks the SYN as new.
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 90000, 0)).action, TcpAction::kReopen);
  EXPECT_TRUE(conn_ == before);
  EXPECT_EQ(tcp_track(conn_, kReply, seg(kTcpSyn, 7, 0)).action, TcpAction::kReopen);
  TcpConn fresh;
  EXPECT_EQ(tcp_track(fresh, kOrig, seg(kTcpSyn, 90000, 0)).action, TcpAction::kNew);
  // A reset connection can be reused the same way.
  conn_ = TcpConn{};
  handshake();
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpRst, client_, 0)).action, TcpAction::kValid);
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 1, 0)).action, TcpAction::kReopen);
}

TEST_F(TcpTrackerTest, WindowScalingIsHonoured) {
  start(1000, 5000);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 1000, 0, 0, 64240, 7)).action, TcpAction::kNew);
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 1001, 0, 65160, 9)).action,
            TcpAction::kValid);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, 1001, 5001, 0, 502)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.peer[0].wscale, 7);
  EXPECT_EQ(conn_.peer[1].wscale, 9);
  // The server opens a 2000 << 9 = 1024000 byte window.
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kTcpAck, 5001, 1001, 0, 2000)).action, TcpAction::kValid);
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, 1001 + 1000000, 5001, 20000)).action,
            TcpAction::kValid);
  expect_invalid(kOrig, seg(kTcpAck, 1001 + 1024001, 5001, 100), TcpInvalid::kSeqAboveWindow);
  // The server may send up to 502 << 7 = 64256 bytes past the client's ack.
  EXPECT_EQ(tcp_track(conn_, kReply, seg(kTcpAck, 5001 + 60000, 1001, 4256)).action,
            TcpAction::kValid);
}

TEST_F(TcpTrackerTest, WindowScalingNeedsBothSyns) {
  start(1000, 5000);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 1000, 0, 0, 64240, 7)).action, TcpAction::kNew);
  // The SYN-ACK has no window-scale option: windows are taken as they are, unscaled.
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 1001, 0, 65160)).action, TcpAction::kValid);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, 1001, 5001, 0, 502)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.peer[0].wscale, 0);
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kTcpAck, 5001, 1001, 0, 2000)).action, TcpAction::kValid);
  expect_invalid(kOrig, seg(kTcpAck, 1001 + 1000000, 5001, 100), TcpInvalid::kSeqAboveWindow);
  expect_invalid(kReply, seg(kTcpAck, 5001 + 60000, 1001, 100), TcpInvalid::kSeqAboveWindow);
}

TEST_F(TcpTrackerTest, SequenceNumbersWrapAround) {
  handshake(0xffffff00u, 0xfffffff0u);
  for (int i = 0; i < 4; ++i) {  // both sides cross 2^32
    expect_valid(kOrig, kTcpAck, 100, TcpState::kEstablished);
    expect_valid(kReply, kTcpAck, 1000, TcpState::kEstablished);
  }
  EXPECT_LT(client_, 0x1000u);
  EXPECT_LT(server_, 0x1000u);
  expect_invalid(kOrig, seg(kTcpAck, client_, server_ + 1), TcpInvalid::kAckAboveSent);
  expect_invalid(kOrig, seg(kTcpAck, client_ + 70000, server_), TcpInvalid::kSeqAboveWindow);
  expect_valid(kOrig, kFinAck, 0, TcpState::kFinWait);
  expect_valid(kReply, kFinAck, 0, TcpState::kLastAck);
  expect_valid(kOrig, kTcpAck, 0, TcpState::kTimeWait);
}

TEST_F(TcpTrackerTest, NoMidStreamPickup) {
  // Whatever the first segment is, if it is not the originator's SYN vigil does not track it.
  expect_invalid(kOrig, seg(kTcpAck, 100, 200), TcpInvalid::kNoSyn);
  expect_invalid(kOrig, seg(kTcpAck | kTcpPsh, 100, 200, 500), TcpInvalid::kNoSyn);
  expect_invalid(kOrig, seg(kSynAck, 100, 200), TcpInvalid::kNoSyn);
  expect_invalid(kOrig, seg(kFinAck, 100, 200), TcpInvalid::kNoSyn);
  expect_invalid(kOrig, seg(kTcpRst, 100, 0), TcpInvalid::kNoSyn);
  expect_invalid(kReply, seg(kTcpSyn, 100, 0), TcpInvalid::kNoSyn);
  EXPECT_EQ(conn_.state, TcpState::kNone);
}

TEST_F(TcpTrackerTest, RetransmittedSyns) {
  start(1000, 5000);
  ASSERT_EQ(send(kOrig, kTcpSyn).action, TcpAction::kNew);
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 1000, 0)).action, TcpAction::kValid);
  // An earlier ISN is not this connection's; a later one is the client starting over.
  expect_invalid(kOrig, seg(kTcpSyn, 900, 0), TcpInvalid::kSynMismatch);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 3000, 0)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kSynSent);
  expect_invalid(kReply, seg(kSynAck, 5000, 1001), TcpInvalid::kBadSynAck);  // answers the old
  ASSERT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 3001)).action, TcpAction::kValid);
  // SYN-ACK lost: the client retransmits its SYN, the server its SYN-ACK.
  EXPECT_EQ(tcp_track(conn_, kOrig, seg(kTcpSyn, 3000, 0)).action, TcpAction::kValid);
  EXPECT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 3001)).action, TcpAction::kValid);
  expect_invalid(kReply, seg(kSynAck, 6000, 3001), TcpInvalid::kSynMismatch);
  EXPECT_EQ(conn_.state, TcpState::kSynRecv);
  ASSERT_EQ(tcp_track(conn_, kOrig, seg(kTcpAck, 3001, 5001)).action, TcpAction::kValid);
  EXPECT_EQ(conn_.state, TcpState::kEstablished);
  // Once open, only an exact repeat of the SYN-ACK (its ACK was lost) passes.
  EXPECT_EQ(tcp_track(conn_, kReply, seg(kSynAck, 5000, 3001)).action, TcpAction::kValid);
  expect_invalid(kReply, seg(kSynAck, 5000, 3002), TcpInvalid::kSynOnEstablished);
  expect_invalid(kOrig, seg(kTcpSyn, 3000, 0), TcpInvalid::kSynOnEstablished);
  expect_invalid(kOrig, seg(kTcpSyn, 99999, 0), TcpInvalid::kSynOnEstablished);
}

TEST_F(TcpTrackerTest, ImpossibleFlagsAreInvalid) {
  const uint8_t bad[] = {
      kTcpSyn | kTcpFin,
      kTcpSyn | kTcpFin | kTcpAck,
      kTcpFin | kTcpRst,
      kTcpFin | kTcpRst | kTcpAck,
      kTcpSyn | kTcpRst,
      kTcpFin,                      // FIN without ACK
      0,                            // null scan
      kTcpPsh,                      // data without ACK
      kTcpFin | kTcpPsh | kTcpUrg,  // Xmas scan
      0xff,
      kTcpSyn | kTcpUrg,
  };
  for (uint8_t flags : bad) {
    TcpConn fresh;
    EXPECT_EQ(tcp_track(fresh, kOrig, seg(flags, 1, 0)).reason, TcpInvalid::kBadFlags) << +flags;
    EXPECT_EQ(fresh.state, TcpState::kNone);
  }
  handshake();
  for (uint8_t flags : bad)
    expect_invalid(kOrig, seg(flags, client_, server_), TcpInvalid::kBadFlags);
  EXPECT_EQ(conn_.state, TcpState::kEstablished);
  // ECN and PSH bits do not matter.
  expect_valid(kOrig, kTcpAck | kTcpPsh | kTcpEce | kTcpCwr, 10, TcpState::kEstablished);
}

TEST(TcpParse, ReadsHeaderAndWindowScale) {
  // SYN, seq 0x01020304, window 0xfaf0, options: MSS, NOP, wscale 7, NOP, NOP, SACK-permitted.
  uint8_t syn[32] = {0x30, 0x39, 0x00,    0x50, 0x01, 0x02, 0x03, 0x04, 0, 0, 0,
                     0,    0x80, kTcpSyn, 0xfa, 0xf0, 0,    0,    0,    0, 2, 4,
                     0x05, 0xb4, 1,       3,    3,    7,    1,    1,    4, 2};
  TcpSegment s;
  ASSERT_TRUE(parse_tcp_segment(syn, sizeof syn, s));
  EXPECT_EQ(s.flags, kTcpSyn);
  EXPECT_EQ(s.seq, 0x01020304u);
  EXPECT_EQ(s.ack, 0u);
  EXPECT_EQ(s.window, 0xfaf0);
  EXPECT_EQ(s.wscale, 7);
  EXPECT_EQ(s.payload_len, 0u);

  // Ignored outside SYN segments.
  syn[13] = kTcpAck;
  ASSERT_TRUE(parse_tcp_segment(syn, sizeof syn, s));
  EXPECT_EQ(s.wscale, kNoWscale);

  // Payload is what follows the header.
  uint8_t ack[28] = {0, 1, 0, 2, 0, 0, 0, 9, 0xde, 0xad, 0xbe, 0xef, 0x50, kTcpAck | kTcpPsh, 1, 0};
  ASSERT_TRUE(parse_tcp_segment(ack, sizeof ack, s));
  EXPECT_EQ(s.seq, 9u);
  EXPECT_EQ(s.ack, 0xdeadbeefu);
  EXPECT_EQ(s.payload_len, 8u);
  EXPECT_EQ(s.wscale, kNoWscale);
}

TEST(TcpParse, RejectsShortOrImpossibleHeaders) {
  uint8_t h[24] = {0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, kTcpSyn};
  TcpSegment s;
  EXPECT_FALSE(parse_tcp_segment(h, 19, s));
  h[12] = 0x40;  // data offset 4
  EXPECT_FALSE(parse_tcp_segment(h, sizeof h, s));
  h[12] = 0x70;  // 28 bytes of header, 24 present
  EXPECT_FALSE(parse_tcp_segment(h, sizeof h, s));
}

TEST(TcpParse, MalformedOptionsEndTheScan) {
  uint8_t h[28] = {0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x70, kTcpSyn, 0xff, 0xff};
  TcpSegment s;
  // A zero option length would loop forever if trusted.
  h[20] = 8;
  h[21] = 0;
  ASSERT_TRUE(parse_tcp_segment(h, sizeof h, s));
  EXPECT_EQ(s.wscale, kNoWscale);
  // An option running past the header.
  h[20] = 1;
  h[21] = 1;
  h[22] = 1;
  h[23] = 1;
  h[24] = 1;
  h[25] = 3;
  h[26] = 3;
  h[27] = 14;  // wscale 14 fits exactly
  ASSERT_TRUE(parse_tcp_segment(h, sizeof h, s));
  EXPECT_EQ(s.wscale, 14);
  h[25] = 3;
  h[26] = 4;  // length 4 overruns the header
  ASSERT_TRUE(parse_tcp_segment(h, sizeof h, s));
  EXPECT_EQ(s.wscale, kNoWscale);
}

}  // namespace
}  // namespace vigil
