// Tests of ids/eve_writer.h: records from concurrent producers written exactly once, stop()
// flushing everything published before it, pool and ring exhaustion counted (written + lost ==
// raised), file open/write errors, log rotation with reopen(), an idle writer that sleeps, and
// the syslog sink over a unix datagram socket and UDP.
#include "ids/eve_writer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "ids/eve_format.h"

namespace vigil::ids {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-eve-test-XXXXXX";
    const char* d = mkdtemp(tmpl);
    path_ = d != nullptr ? d : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// Extracts the number after "key": in a line; UINT64_MAX when absent.
uint64_t number_after(const std::string& line, const std::string& key) {
  const size_t at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return UINT64_MAX;
  return std::strtoull(line.c_str() + at + key.size() + 3, nullptr, 10);
}

// A valid alert; `producer` goes in the sid, `seq` in the flow id.
void fill(AlertRecord* r, uint32_t producer, uint64_t seq) {
  r->family = 4;
  r->ip_proto = 6;
  r->src_addr[0] = 10;
  r->src_addr[3] = 1;
  r->dst_addr[0] = 10;
  r->dst_addr[3] = 2;
  r->src_port = 40000;
  r->dst_port = 80;
  r->gid = 1;
  r->sid = 1000000 + producer;
  r->rev = 1;
  r->severity = 3;
  r->time_us = 1795884823000000ULL + seq;
  r->flow_id = seq + 1;
  set_text(r->msg, "vigil test alert");
  set_text(r->in_iface, "vb1");
}

std::unique_ptr<EveWriter> make_writer(uint32_t ring, uint32_t pool) {
  std::string error;
  auto w = EveWriter::create({.ring_size = ring, .pool_size = pool}, &error);
  EXPECT_NE(w, nullptr) << error;
  return w;
}

// Publishes `count` records (seq first_seq...) from one thread; returns how many it raised.
uint64_t raise_alerts(EveWriter& w, uint32_t producer, uint64_t first_seq, uint64_t count) {
  for (uint64_t s = first_seq; s < first_seq + count; ++s) {
    AlertRecord* r = w.acquire();
    if (r == nullptr) continue;
    fill(r, producer, s);
    w.publish(r);
  }
  return count;
}

bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 5000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST(EveWriter, CreateRefusesZeroSizes) {
  std::string error;
  EXPECT_EQ(EveWriter::create({.ring_size = 0, .pool_size = 16}, &error), nullptr);
  EXPECT_NE(error.find("size"), std::string::npos) << error;
}

TEST(EveWriter, TwoProducersEveryRecordWrittenExactlyOnce) {
  TempDir dir;
  const std::string path = dir.file("eve.json");
  auto w = make_writer(512, 512);  // small pool: producers outrun the writer and retry
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(path)));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;

  constexpr uint64_t kPerProducer = 20000;
  uint64_t raised[2] = {0, 0};
  uint64_t ring_failures[2] = {0, 0};
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (uint64_t s = 0; s < kPerProducer; ++s) {
        AlertRecord* r;
        while (++raised[p], (r = w->acquire()) == nullptr) std::this_thread::yield();
        fill(r, p, s);
        if (!w->publish(r)) ++ring_failures[p];
      }
    });
  }
  for (auto& t : producers) t.join();
  w->stop();

  const EveCounters c = w->counters();
  EXPECT_EQ(ring_failures[0] + ring_failures[1], 0u);
  EXPECT_EQ(c.lost_ring, 0u);  // the ring holds the whole pool: it cannot be full
  EXPECT_EQ(c.written, 2 * kPerProducer);
  EXPECT_EQ(c.written + c.lost_pool + c.lost_ring, raised[0] + raised[1]);
  EXPECT_EQ(c.bad_records, 0u);
  EXPECT_EQ(c.sink_errors, 0u);

  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 2 * kPerProducer);
  std::vector<uint8_t> seen(2 * kPerProducer, 0);
  uint64_t last_seq[2] = {0, 0};
  bool in_order = true;
  for (const auto& l : lines) {
    const uint64_t producer = number_after(l, "signature_id") - 1000000;
    const uint64_t seq = number_after(l, "flow_id") - 1;
    ASSERT_LT(producer, 2u) << l;
    ASSERT_LT(seq, kPerProducer) << l;
    ++seen[producer * kPerProducer + seq];
    if (seq != 0 && seq <= last_seq[producer]) in_order = false;
    last_seq[producer] = seq;
  }
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i], 1) << "record " << i;
  EXPECT_TRUE(in_order) << "each producer's records come out in the order it published them";
}

TEST(EveWriter, StopWritesEverythingPublishedBeforeIt) {
  TempDir dir;
  const std::string path = dir.file("eve.json");
  auto w = make_writer(4096, 4096);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(path)));
  // Published before the thread even exists...
  raise_alerts(*w, 0, 0, 3000);
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  // ...and right before stop(), with the writer probably asleep.
  raise_alerts(*w, 0, 3000, 1000);
  w->stop();
  EXPECT_FALSE(w->running());
  const auto c = w->counters();
  EXPECT_EQ(c.written, 4000u);
  EXPECT_EQ(c.lost_pool + c.lost_ring, 0u);
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 4000u);
  for (uint64_t i = 0; i < lines.size(); ++i) {
    ASSERT_EQ(number_after(lines[i], "flow_id"), i + 1) << lines[i];
  }
  // Restartable: a second run appends.
  ASSERT_TRUE(w->start(&error)) << error;
  raise_alerts(*w, 0, 4000, 10);
  w->stop();
  EXPECT_EQ(read_lines(path).size(), 4010u);
}

TEST(EveWriter, PoolExhaustionIsCounted) {
  TempDir dir;
  auto w = make_writer(128, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(dir.file("eve.json"))));
  const uint64_t raised = raise_alerts(*w, 0, 0, 100);  // writer not running: nothing returns
  EXPECT_EQ(w->counters().lost_pool, 36u);
  EXPECT_EQ(w->counters().lost_ring, 0u);
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  w->stop();
  const auto c = w->counters();
  EXPECT_EQ(c.written, 64u);
  EXPECT_EQ(c.written + c.lost_pool + c.lost_ring, raised);
  EXPECT_EQ(read_lines(dir.file("eve.json")).size(), 64u);
}

TEST(EveWriter, RingFullIsCountedAndTheRecordReturnsToThePool) {
  TempDir dir;
  auto w = make_writer(16, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(dir.file("eve.json"))));
  const uint64_t raised = raise_alerts(*w, 0, 0, 40);
  EXPECT_EQ(w->counters().lost_ring, 24u);
  EXPECT_EQ(w->counters().lost_pool, 0u);
  // 16 records sit on the ring; the 24 refused ones went back: 48 are free.
  std::vector<AlertRecord*> held;
  while (AlertRecord* r = w->acquire()) held.push_back(r);
  EXPECT_EQ(held.size(), 48u);
  for (AlertRecord* r : held) w->release(r);
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  w->stop();
  const auto c = w->counters();
  EXPECT_EQ(c.written, 16u);
  EXPECT_EQ(c.lost_pool, 1u);  // the acquire() that found the pool empty above
  EXPECT_EQ(c.written + c.lost_ring, raised);
}

TEST(EveWriter, AcquiredRecordsAreZeroed) {
  auto w = make_writer(4, 1);
  ASSERT_NE(w, nullptr);
  AlertRecord* r = w->acquire();
  ASSERT_NE(r, nullptr);
  std::memset(r, 0xAB, sizeof *r);
  w->release(r);
  r = w->acquire();
  ASSERT_NE(r, nullptr);
  const auto* b = reinterpret_cast<const uint8_t*>(r);
  for (size_t i = 0; i < sizeof *r; ++i) ASSERT_EQ(b[i], 0) << "byte " << i;
  EXPECT_EQ(r->kind, EventKind::kAlert);
  EXPECT_EQ(w->acquire(), nullptr);  // the pool's only record is out
  w->release(r);
}

TEST(EveWriter, UnformattableRecordsAreCounted) {
  TempDir dir;
  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(dir.file("eve.json"))));
  AlertRecord good{};
  fill(&good, 0, 0);
  AlertRecord bad = good;
  bad.family = 0;
  AlertRecord odd = good;
  odd.kind = static_cast<EventKind>(42);
  EXPECT_TRUE(w->emit(good));
  EXPECT_TRUE(w->emit(bad));
  EXPECT_TRUE(w->emit(odd));
  EXPECT_TRUE(w->emit(good));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  w->stop();
  EXPECT_EQ(w->counters().written, 2u);
  EXPECT_EQ(w->counters().bad_records, 2u);
  EXPECT_EQ(read_lines(dir.file("eve.json")).size(), 2u);
}

TEST(EveWriter, FileOpenFailureIsAClearError) {
  auto w = make_writer(16, 16);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>("/nonexistent-vigil-dir/eve.json")));
  std::string error;
  EXPECT_FALSE(w->start(&error));
  EXPECT_FALSE(w->running());
  EXPECT_NE(error.find("/nonexistent-vigil-dir/eve.json"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST(EveWriter, WriteErrorsAreCountedNotFatal) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "skipped: no /dev/full";
  TempDir dir;
  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>("/dev/full")));
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(dir.file("eve.json"))));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  raise_alerts(*w, 0, 0, 5);
  ASSERT_TRUE(wait_for([&] { return w->counters().written == 5; }));
  raise_alerts(*w, 0, 5, 5);
  w->stop();
  const auto c = w->counters();
  EXPECT_EQ(c.written, 10u);
  EXPECT_GE(c.sink_errors, 1u);
  // The other sink got every line.
  EXPECT_EQ(read_lines(dir.file("eve.json")).size(), 10u);
}

TEST(EveWriter, ReopenRotatesTheFile) {
  TempDir dir;
  const std::string path = dir.file("eve.json");
  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveFileSink>(path)));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  raise_alerts(*w, 0, 0, 10);
  ASSERT_TRUE(wait_for([&] { return w->counters().written == 10; }));
  ASSERT_EQ(std::rename(path.c_str(), dir.file("eve.json.1").c_str()), 0);
  w->reopen();  // as a SIGHUP handler would
  raise_alerts(*w, 0, 10, 5);
  w->stop();
  EXPECT_EQ(w->counters().reopens, 1u);
  EXPECT_EQ(w->counters().sink_errors, 0u);
  const auto old_lines = read_lines(dir.file("eve.json.1"));
  const auto new_lines = read_lines(path);
  ASSERT_EQ(old_lines.size(), 10u);
  ASSERT_EQ(new_lines.size(), 5u);
  EXPECT_EQ(number_after(old_lines.back(), "flow_id"), 10u);
  EXPECT_EQ(number_after(new_lines.front(), "flow_id"), 11u);

  // A reopen that fails (the directory is gone) is counted and the old file stays in use.
  TempDir dir2;
  const std::string path2 = dir2.file("sub/eve.json");
  ASSERT_TRUE(std::filesystem::create_directory(dir2.file("sub")));
  auto w2 = make_writer(64, 64);
  ASSERT_NE(w2, nullptr);
  ASSERT_TRUE(w2->add_sink(std::make_unique<EveFileSink>(path2)));
  ASSERT_TRUE(w2->start(&error)) << error;
  ASSERT_EQ(std::rename(dir2.file("sub").c_str(), dir2.file("moved").c_str()), 0);
  w2->reopen();
  raise_alerts(*w2, 0, 0, 3);
  w2->stop();
  EXPECT_EQ(w2->counters().reopens, 1u);
  EXPECT_EQ(w2->counters().sink_errors, 1u);
  EXPECT_EQ(read_lines(dir2.file("moved/eve.json")).size(), 3u);
}

TEST(EveWriter, IdleWriterSleeps) {
  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  timespec a{}, b{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  w->stop();
  const double cpu_ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
  EXPECT_LT(cpu_ms, 100.0) << "a spinning writer would burn ~400 ms of CPU";
}

// ---------------------------------------------------------------------------------------------
// Syslog sink.

// "<174>1 2026-...Z host vigil 123 eve - " then the JSON line without its newline.
void expect_syslog_message(const std::string& msg, const AlertRecord& rec) {
  static const std::regex header(
      R"(<174>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z [!-~]+ vigil (\d+) eve - )");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(msg, m, header, std::regex_constants::match_continuous)) << msg;
  EXPECT_EQ(m[1].str(), std::to_string(getpid()));
  char line[kEveLineMax];
  const size_t n = format_alert(rec, line, sizeof line);
  ASSERT_GT(n, 1u);
  EXPECT_EQ(msg.substr(m.length(0)), std::string(line, n - 1));
}

std::vector<std::string> receive_all(int fd) {
  std::vector<std::string> out;
  std::vector<char> buf(65536);
  for (;;) {
    const ssize_t n = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) break;
    out.emplace_back(buf.data(), static_cast<size_t>(n));
  }
  return out;
}

TEST(EveSyslog, UnixDatagram) {
  TempDir dir;
  const std::string sock_path = dir.file("log.sock");
  const int srv = socket(AF_UNIX, SOCK_DGRAM, 0);
  ASSERT_GE(srv, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, sock_path.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);

  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveSyslogSink>(EveSyslogSink::Options{
      .transport = EveSyslogSink::Transport::kUnixDgram, .address = sock_path})));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  std::vector<AlertRecord> sent(3);
  for (uint32_t i = 0; i < sent.size(); ++i) {
    fill(&sent[i], 0, i);
    set_text(sent[i].msg, "quote \" and newline \n");
    ASSERT_TRUE(w->emit(sent[i]));
  }
  w->stop();
  EXPECT_EQ(w->counters().sink_errors, 0u);
  const auto msgs = receive_all(srv);
  close(srv);
  ASSERT_EQ(msgs.size(), 3u);
  for (size_t i = 0; i < msgs.size(); ++i) expect_syslog_message(msgs[i], sent[i]);
}

TEST(EveSyslog, TcpOctetCounting) {
  const int srv = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(srv, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(srv, 1), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(srv, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string addr = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));

  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveSyslogSink>(
      EveSyslogSink::Options{.transport = EveSyslogSink::Transport::kTcp, .address = addr})));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  const int conn = accept(srv, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  AlertRecord a{}, b{};
  fill(&a, 1, 7);
  fill(&b, 2, 8);
  set_text(b.msg, "spaces and \\ backslash");
  ASSERT_TRUE(w->emit(a));
  ASSERT_TRUE(w->emit(b));
  w->stop();
  EXPECT_EQ(w->counters().sink_errors, 0u);
  // The stream: "LEN SP MSG" twice (RFC 6587 octet counting), nothing else.
  std::string stream;
  char buf[4096];
  ssize_t n;
  while ((n = recv(conn, buf, sizeof buf, MSG_DONTWAIT)) > 0) stream.append(buf, n);
  close(conn);
  close(srv);
  std::vector<std::string> msgs;
  size_t at = 0;
  while (at < stream.size()) {
    const size_t sp = stream.find(' ', at);
    ASSERT_NE(sp, std::string::npos) << stream;
    const size_t count = std::stoul(stream.substr(at, sp - at));
    ASSERT_LE(sp + 1 + count, stream.size()) << stream;
    msgs.push_back(stream.substr(sp + 1, count));
    at = sp + 1 + count;
  }
  ASSERT_EQ(msgs.size(), 2u);
  expect_syslog_message(msgs[0], a);
  expect_syslog_message(msgs[1], b);
}

TEST(EveSyslog, UdpAndBadAddresses) {
  const int srv = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(srv, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(srv, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const std::string addr = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));

  auto w = make_writer(64, 64);
  ASSERT_NE(w, nullptr);
  ASSERT_TRUE(w->add_sink(std::make_unique<EveSyslogSink>(
      EveSyslogSink::Options{.transport = EveSyslogSink::Transport::kUdp, .address = addr})));
  std::string error;
  ASSERT_TRUE(w->start(&error)) << error;
  AlertRecord rec{};
  fill(&rec, 1, 7);
  ASSERT_TRUE(w->emit(rec));
  ASSERT_TRUE(w->emit(rec));
  w->stop();
  // UDP on loopback: delivered synchronously by send().
  const auto msgs = receive_all(srv);
  close(srv);
  ASSERT_EQ(msgs.size(), 2u);
  expect_syslog_message(msgs[0], rec);

  for (const char* bad : {"no-port", "127.0.0.1:", ":514", "127.0.0.1:notaport"}) {
    auto wb = make_writer(16, 16);
    ASSERT_NE(wb, nullptr);
    ASSERT_TRUE(wb->add_sink(std::make_unique<EveSyslogSink>(
        EveSyslogSink::Options{.transport = EveSyslogSink::Transport::kUdp, .address = bad})));
    EXPECT_FALSE(wb->start(&error)) << bad;
    EXPECT_NE(error.find("syslog udp:"), std::string::npos) << error;
  }
  auto wu = make_writer(16, 16);
  ASSERT_NE(wu, nullptr);
  ASSERT_TRUE(wu->add_sink(std::make_unique<EveSyslogSink>(
      EveSyslogSink::Options{.address = "/nonexistent-vigil-dir/log.sock"})));
  EXPECT_FALSE(wu->start(&error));
  EXPECT_NE(error.find("/nonexistent-vigil-dir/log.sock"), std::string::npos) << error;
}

}  // namespace
}  // namespace vigil::ids
