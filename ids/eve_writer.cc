#include "ids/eve_writer.h"

#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <rte_errno.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "ids/eve_format.h"

namespace vigil::ids {
namespace {

static_assert(std::atomic<uint64_t>::is_always_lock_free, "reopen() must be signal-safe");

constexpr unsigned kBurst = 64;
constexpr int kMaxBurstsPerRound = 64;  // then flush, so lines reach the sinks promptly
constexpr unsigned kMinSleepUs = 100;
constexpr unsigned kMaxSleepUs = 5000;  // idle: at most 200 wake-ups a second

std::string errno_text(int err) {
  return std::strerror(err);
}

// Writes all of buf, retrying on EINTR and short writes.
bool write_all(int fd, const char* buf, size_t len) {
  while (len > 0) {
    const ssize_t n = ::write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    buf += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// File sink.

EveFileSink::EveFileSink(std::string path, size_t buffer_bytes)
    : path_(std::move(path)), buf_(std::max<size_t>(buffer_bytes, kEveLineMax)) {}

EveFileSink::~EveFileSink() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

int EveFileSink::open_fd(std::string* error) const {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0 && error != nullptr) {
    *error = "cannot open EVE log " + path_ + ": " + errno_text(errno);
  }
  return fd;
}

bool EveFileSink::open(std::string* error) {
  const int fd = open_fd(error);
  if (fd < 0) return false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  used_ = 0;
  return true;
}

bool EveFileSink::write(const char* line, size_t len) {
  bool ok = true;
  if (len > buf_.size() - used_) ok = flush();
  if (len > buf_.size()) return write_all(fd_, line, len) && ok;
  std::memcpy(buf_.data() + used_, line, len);
  used_ += len;
  return ok;
}

bool EveFileSink::flush() {
  if (used_ == 0) return true;
  const bool ok = fd_ >= 0 && write_all(fd_, buf_.data(), used_);
  used_ = 0;  // on error the buffered lines are dropped (counted by the writer)
  return ok;
}

bool EveFileSink::reopen() {
  const bool flushed = flush();
  const int fd = open_fd(nullptr);
  if (fd < 0) return false;  // keep writing to the old file rather than losing lines
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return flushed;
}

// ---------------------------------------------------------------------------------------------
// Syslog sink.

EveSyslogSink::EveSyslogSink(Options options) : opt_(std::move(options)) {
  char host[256] = {};
  host_ = gethostname(host, sizeof host - 1) == 0 && host[0] != '\0' ? host : "-";
  pid_ = std::to_string(getpid());
  // RFC 5424 header fields are printable ASCII without spaces.
  for (std::string* s : {&host_, &opt_.app_name}) {
    for (char& c : *s) {
      if (c <= ' ' || c > '~') c = '_';
    }
  }
  if (opt_.app_name.empty()) opt_.app_name.push_back('-');  // NILVALUE
  opt_.facility = std::clamp(opt_.facility, 0, 23);
  opt_.severity = std::clamp(opt_.severity, 0, 7);
  msg_.resize(kEveLineMax + 512 + host_.size() + opt_.app_name.size());
}

EveSyslogSink::~EveSyslogSink() {
  if (fd_ >= 0) ::close(fd_);
}

std::string EveSyslogSink::describe() const {
  const char* scheme = opt_.transport == Transport::kUdp   ? "udp:"
                       : opt_.transport == Transport::kTcp ? "tcp:"
                                                           : "unix:";
  return std::string("syslog ") + scheme + opt_.address;
}

int EveSyslogSink::connect_socket(std::string* error) const {
  const auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = "cannot connect " + describe() + ": " + why;
    return -1;
  };
  if (opt_.transport == Transport::kUnixDgram) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (opt_.address.empty() || opt_.address.size() >= sizeof sa.sun_path) {
      return fail("bad socket path");
    }
    std::memcpy(sa.sun_path, opt_.address.data(), opt_.address.size());
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return fail(errno_text(errno));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
      const int err = errno;
      ::close(fd);
      return fail(errno_text(err));
    }
    return fd;
  }
  // "host:port" or "[v6addr]:port".
  const std::string& a = opt_.address;
  const size_t colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == a.size()) {
    return fail("expected host:port");
  }
  std::string host = a.substr(0, colon);
  const std::string port = a.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const bool tcp = opt_.transport == Transport::kTcp;
  addrinfo hints{};
  hints.ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return fail(gai_strerror(rc));
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    // TCP connects blocking (off the fast path, at start or once a second at most), then
    // sends without blocking.
    fd =
        ::socket(ai->ai_family, (tcp ? SOCK_STREAM : SOCK_DGRAM | SOCK_NONBLOCK) | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    } else if (fd < 0) {
      err = errno;
    }
  }
  freeaddrinfo(res);
  if (fd >= 0 && tcp) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd >= 0 ? fd : fail(errno_text(err));
}

bool EveSyslogSink::open(std::string* error) {
  const int fd = connect_socket(error);
  if (fd < 0) return false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return true;
}

bool EveSyslogSink::write(const char* line, size_t len) {
  const bool tcp = opt_.transport == Transport::kTcp;
  if (fd_ < 0 && tcp) {
    const auto now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now().time_since_epoch())
                                               .count());
    if (now - last_connect_us_ >= 1'000'000) {
      last_connect_us_ = now;
      fd_ = connect_socket(nullptr);
    }
  }
  if (fd_ < 0) return false;
  if (len > 0 && line[len - 1] == '\n') --len;  // one datagram is one message
  const auto now_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  char ts[32];
  size_t ts_len = format_eve_timestamp(now_us, ts);
  if (ts_len > 5) {
    ts_len -= 5;  // RFC 5424 wants "Z" (or "+00:00") rather than "+0000"
    ts[ts_len++] = 'Z';
  } else {
    ts[0] = '-';  // NILVALUE
    ts_len = 1;
  }
  // TCP: room for the octet count ("NNNNN ") in front, filled in once the length is known.
  const size_t lead = tcp ? 12 : 0;
  const int hdr =
      std::snprintf(msg_.data() + lead, msg_.size() - lead, "<%d>1 %.*s %s %s %s eve - ",
                    opt_.facility * 8 + opt_.severity, static_cast<int>(ts_len), ts, host_.c_str(),
                    opt_.app_name.c_str(), pid_.c_str());
  if (hdr < 0 || lead + static_cast<size_t>(hdr) + len > msg_.size()) return false;
  std::memcpy(msg_.data() + lead + hdr, line, len);
  size_t total = static_cast<size_t>(hdr) + len;
  size_t start = 0;
  if (tcp) {
    char count[12];
    const int n = std::snprintf(count, sizeof count, "%zu ", total);
    start = lead - static_cast<size_t>(n);
    std::memcpy(msg_.data() + start, count, static_cast<size_t>(n));
    total += static_cast<size_t>(n);
  }
  if (start != 0) std::memmove(msg_.data(), msg_.data() + start, total);
  return send_all(total);
}

bool EveSyslogSink::send_all(size_t total) {
  ssize_t sent;
  do {
    sent = ::send(fd_, msg_.data(), total, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  if (sent == static_cast<ssize_t>(total)) return true;
  if (opt_.transport == Transport::kTcp) {
    // A partial message would desynchronise the stream: drop the connection, reconnect later.
    ::close(fd_);
    fd_ = -1;
  }
  return false;
}

bool EveSyslogSink::reopen() {
  const int fd = connect_socket(nullptr);
  if (fd < 0) return false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return true;
}

bool parse_syslog_spec(const std::string& spec, EveSyslogSink::Options* out) {
  static const struct {
    const char* scheme;
    EveSyslogSink::Transport transport;
  } kSchemes[] = {{"unix:", EveSyslogSink::Transport::kUnixDgram},
                  {"udp:", EveSyslogSink::Transport::kUdp},
                  {"tcp:", EveSyslogSink::Transport::kTcp}};
  for (const auto& s : kSchemes) {
    const size_t n = std::strlen(s.scheme);
    if (spec.compare(0, n, s.scheme) != 0) continue;
    out->transport = s.transport;
    out->address = spec.substr(n);
    return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Writer.

std::unique_ptr<EveWriter> EveWriter::create(const EveWriterConfig& config, std::string* error) {
  const auto fail = [&](const std::string& why) -> std::unique_ptr<EveWriter> {
    if (error != nullptr) *error = why;
    return nullptr;
  };
  if (config.ring_size == 0 || config.pool_size == 0) return fail("EVE ring and pool need a size");
  static std::atomic<unsigned> instances{0};
  const unsigned id = instances.fetch_add(1);
  char ring_name[RTE_RING_NAMESIZE], pool_name[RTE_MEMPOOL_NAMESIZE];
  std::snprintf(ring_name, sizeof ring_name, "vigil_eve_r%u", id);
  std::snprintf(pool_name, sizeof pool_name, "vigil_eve_p%u", id);

  std::unique_ptr<EveWriter> w(new EveWriter());
  w->ring_ = rte_ring_create(ring_name, config.ring_size, config.socket_id,
                             RING_F_SC_DEQ | RING_F_EXACT_SZ);
  if (w->ring_ == nullptr) {
    return fail("cannot create the EVE ring (" + std::to_string(config.ring_size) +
                " records): " + rte_strerror(rte_errno));
  }
  // A per-lcore cache spares workers the shared pool ring; it needs n >= 1.5 * cache.
  const unsigned cache = config.pool_size >= 256 ? 32 : 0;
  w->pool_ =
      rte_mempool_create(pool_name, config.pool_size, sizeof(AlertRecord), cache, 0, nullptr,
                         nullptr, nullptr, nullptr, config.socket_id, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
  if (w->pool_ == nullptr) {
    return fail("cannot create the EVE record pool (" + std::to_string(config.pool_size) +
                " records): " + rte_strerror(rte_errno));
  }
  return w;
}

EveWriter::~EveWriter() {
  stop();
  sinks_.clear();
  rte_ring_free(ring_);
  rte_mempool_free(pool_);
}

bool EveWriter::add_sink(std::unique_ptr<EveSink> sink) {
  if (running() || sink == nullptr) return false;
  sinks_.push_back(std::move(sink));
  return true;
}

bool EveWriter::start(std::string* error) {
  if (running()) {
    if (error != nullptr) *error = "the EVE writer is already running";
    return false;
  }
  for (auto& sink : sinks_) {
    if (!sink->open(error)) return false;
  }
  stop_.store(false);
  reopen_done_ = reopen_requested_.load();  // freshly opened: nothing to rotate
  try {
    thread_ = std::thread(&EveWriter::run, this);
  } catch (const std::system_error& e) {
    if (error != nullptr) *error = std::string("cannot start the EVE writer thread: ") + e.what();
    return false;
  }
  pthread_setname_np(thread_.native_handle(), "vigil-eve");
  return true;
}

void EveWriter::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  thread_.join();
}

void EveWriter::reopen() {
  reopen_requested_.fetch_add(1);
}

AlertRecord* EveWriter::acquire() {
  void* obj = nullptr;
  if (rte_mempool_get(pool_, &obj) != 0) {
    lost_pool_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  auto* rec = static_cast<AlertRecord*>(obj);
  std::memset(rec, 0, sizeof *rec);  // no stale text from the record's previous alert
  return rec;
}

bool EveWriter::publish(AlertRecord* rec) {
  if (rec == nullptr) return false;
  if (rte_ring_enqueue(ring_, rec) != 0) {
    rte_mempool_put(pool_, rec);
    lost_ring_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void EveWriter::release(AlertRecord* rec) {
  if (rec != nullptr) rte_mempool_put(pool_, rec);
}

bool EveWriter::emit(const AlertRecord& rec) {
  AlertRecord* r = acquire();
  if (r == nullptr) return false;
  std::memcpy(r, &rec, sizeof rec);
  return publish(r);
}

EveCounters EveWriter::counters() const {
  EveCounters c;
  c.written = written_.load(std::memory_order_relaxed);
  c.lost_pool = lost_pool_.load(std::memory_order_relaxed);
  c.lost_ring = lost_ring_.load(std::memory_order_relaxed);
  c.sink_errors = sink_errors_.load(std::memory_order_relaxed);
  c.bad_records = bad_records_.load(std::memory_order_relaxed);
  c.reopens = reopens_.load(std::memory_order_relaxed);
  return c;
}

void EveWriter::maybe_reopen() {
  const uint64_t requested = reopen_requested_.load(std::memory_order_acquire);
  if (requested == reopen_done_) return;
  for (auto& sink : sinks_) {
    if (!sink->reopen()) sink_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  reopen_done_ = requested;
  reopens_.fetch_add(1, std::memory_order_relaxed);
}

void EveWriter::flush_sinks() {
  for (auto& sink : sinks_) {
    if (!sink->flush()) sink_errors_.fetch_add(1, std::memory_order_relaxed);
  }
}

// Drains up to kMaxBurstsPerRound bursts; returns how many records it took off the ring.
size_t EveWriter::drain_round(char* line) {
  size_t total = 0;
  void* objs[kBurst];
  for (int b = 0; b < kMaxBurstsPerRound; ++b) {
    const unsigned n = rte_ring_sc_dequeue_burst(ring_, objs, kBurst, nullptr);
    if (n == 0) break;
    // Checked after the dequeue: a record published after reopen() returned is seen here
    // together with the request, so it goes to the new file.
    maybe_reopen();
    uint64_t written = 0, bad = 0;
    for (unsigned i = 0; i < n; ++i) {
      const size_t len = format_event(*static_cast<const AlertRecord*>(objs[i]), line, kEveLineMax);
      if (len == 0) {
        ++bad;
        continue;
      }
      for (auto& sink : sinks_) {
        if (!sink->write(line, len)) sink_errors_.fetch_add(1, std::memory_order_relaxed);
      }
      ++written;
    }
    rte_mempool_put_bulk(pool_, objs, n);
    written_.fetch_add(written, std::memory_order_relaxed);
    if (bad != 0) bad_records_.fetch_add(bad, std::memory_order_relaxed);
    total += n;
    if (n < kBurst) break;
  }
  return total;
}

void EveWriter::run() {
  std::vector<char> line(kEveLineMax);
  unsigned sleep_us = kMinSleepUs;
  for (;;) {
    // Read before draining: whatever was published before stop() is on the ring by now, so an
    // empty round after seeing the flag means everything has been written.
    const bool stopping = stop_.load(std::memory_order_acquire);
    if (drain_round(line.data()) > 0) {
      flush_sinks();
      sleep_us = kMinSleepUs;
      continue;
    }
    maybe_reopen();
    if (stopping) break;
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    sleep_us = std::min(sleep_us * 2, kMaxSleepUs);
  }
  flush_sinks();
}

}  // namespace vigil::ids
