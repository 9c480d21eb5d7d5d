// EveWriter: carries AlertRecords from the workers to EVE sinks without ever making a worker
// wait. Workers take a record from an rte_mempool, fill it in place and put its pointer on a
// multi-producer/single-consumer rte_ring; one writer thread drains the ring in bursts, formats
// each record as an EVE JSON line (eve_format.h) and hands the lines to its sinks (a file, a
// syslog socket). Every record a worker could not hand over is counted, never silently lost:
//   raised = written + bad_records + lost_pool + lost_ring.
// The sinks (EveSink) live here too: a regular file with log rotation, and RFC 5424 syslog over
// a unix datagram socket or UDP.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ids/eve_record.h"

struct rte_ring;
struct rte_mempool;

namespace vigil::ids {

// Where lines go. Every call comes from the writer thread (open() from start()'s caller before
// the thread runs), so sinks need no locking. A false return is counted in sink_errors.
class EveSink {
 public:
  virtual ~EveSink() = default;
  // Called by EveWriter::start(): false with a message in `error` refuses to start.
  virtual bool open(std::string* error) = 0;
  // One complete line, '\n' included; a sink may buffer it until flush().
  virtual bool write(const char* line, size_t len) = 0;
  // End of a drain round: push out what is buffered.
  virtual bool flush() = 0;
  // Log rotation (file) or reconnection (socket); on failure the old destination stays.
  virtual bool reopen() = 0;
  virtual std::string describe() const = 0;
};

// Appends to a regular file (created 0640 when missing), through a userspace buffer flushed at
// the end of every drain round, so lines reach the file whole and promptly.
class EveFileSink final : public EveSink {
 public:
  explicit EveFileSink(std::string path, size_t buffer_bytes = 64 * 1024);
  ~EveFileSink() override;
  bool open(std::string* error) override;
  bool write(const char* line, size_t len) override;
  bool flush() override;
  bool reopen() override;
  std::string describe() const override { return "file " + path_; }

 private:
  int open_fd(std::string* error) const;
  std::string path_;
  std::vector<char> buf_;
  size_t used_ = 0;
  int fd_ = -1;
};

// RFC 5424 syslog, one datagram per line:
//   <PRI>1 2026-11-28T16:53:43.123456Z host vigil 1234 eve - {"timestamp":...}
// over a unix datagram socket (e.g. /dev/log) or UDP ("host:port", "[v6]:port"). The time in the
// header is the wall clock when the line is sent; the record's own time stays in the JSON. A send
// that would block is an error (counted), not a wait.
class EveSyslogSink final : public EveSink {
 public:
  // kTcp frames each message with its length (RFC 6587 octet counting); a broken or full
  // connection drops the message (counted) and is re-established at most once a second.
  enum class Transport { kUnixDgram, kUdp, kTcp };
  struct Options {
    Transport transport = Transport::kUnixDgram;
    std::string address = "/dev/log";  // a socket path, or host:port for UDP
    int facility = 21;                 // local5, as Suricata's default
    int severity = 6;                  // info
    std::string app_name = "vigil";
  };
  explicit EveSyslogSink(Options options);
  ~EveSyslogSink() override;
  bool open(std::string* error) override;
  bool write(const char* line, size_t len) override;
  bool flush() override { return true; }
  bool reopen() override;
  std::string describe() const override;

 private:
  int connect_socket(std::string* error) const;
  bool send_all(size_t total);
  Options opt_;
  std::string host_;
  std::string pid_;
  std::vector<char> msg_;
  int fd_ = -1;
  uint64_t last_connect_us_ = 0;  // TCP: the last (re)connection attempt
};

// A syslog destination as the config writes it: "unix:/path", "udp:host:port" or
// "tcp:host:port". False when the scheme is none of those.
bool parse_syslog_spec(const std::string& spec, EveSyslogSink::Options* out);

struct EveWriterConfig {
  uint32_t ring_size = 4096;  // records in flight between the workers and the writer
  uint32_t pool_size = 4096;  // records in existence (in flight or being filled)
  int socket_id = -1;         // NUMA socket of the ring and pool; -1 = any
};

struct EveCounters {
  uint64_t written = 0;      // records formatted and handed to the sinks
  uint64_t lost_pool = 0;    // acquire() found no free record
  uint64_t lost_ring = 0;    // publish() found the ring full
  uint64_t sink_errors = 0;  // failed sink writes, flushes and reopens
  uint64_t bad_records = 0;  // records that could not be formatted (unknown kind or family)
  uint64_t reopens = 0;      // reopen requests carried out by the writer thread
};

// add_sink(), start() and stop() belong to one control thread; the fast-path calls and reopen()
// may come from anywhere.
class EveWriter {
 public:
  // Creates the ring and the pool (names unique per instance); needs DPDK's EAL. Returns
  // nullptr with a message in `error` when DPDK cannot provide them.
  static std::unique_ptr<EveWriter> create(const EveWriterConfig& config, std::string* error);
  ~EveWriter();  // stops the thread (flushing), then frees the ring and the pool
  EveWriter(const EveWriter&) = delete;
  EveWriter& operator=(const EveWriter&) = delete;

  // Before start() only; false once the thread runs.
  bool add_sink(std::unique_ptr<EveSink> sink);
  // Opens every sink and starts the writer thread. False, with the sink's message, if a sink
  // cannot open (nothing is started then) or if already running.
  bool start(std::string* error);
  // Writes every record published before the call, flushes the sinks and joins the thread.
  void stop();
  // Asks the writer thread to reopen its sinks (log rotation). Async-signal-safe: callable
  // from any thread or a SIGHUP handler. Records published after it returns go to the new file.
  void reopen();

  // ---- Fast path (any thread, DPDK lcore or not): no lock, allocation or syscall. ----
  // A zeroed record (kind alert) to fill in place, or nullptr when none is free (counted).
  AlertRecord* acquire();
  // Hands a filled record to the writer; if the ring is full it goes back to the pool (counted)
  // and publish() returns false.
  bool publish(AlertRecord* rec);
  // Gives back an acquired record without writing it.
  void release(AlertRecord* rec);
  // acquire() + copy + publish() for callers off the fast path; false when lost.
  bool emit(const AlertRecord& rec);

  EveCounters counters() const;
  bool running() const { return thread_.joinable(); }

 private:
  EveWriter() = default;
  void run();
  size_t drain_round(char* line);
  void maybe_reopen();
  void flush_sinks();

  // Read by the workers on every alert: kept apart from what the writer thread updates.
  rte_ring* ring_ = nullptr;
  rte_mempool* pool_ = nullptr;
  std::vector<std::unique_ptr<EveSink>> sinks_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> reopen_requested_{0};

  // Written by workers, only when they lose a record.
  alignas(64) std::atomic<uint64_t> lost_pool_{0};
  std::atomic<uint64_t> lost_ring_{0};

  // Written by the writer thread.
  alignas(64) std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> sink_errors_{0};
  std::atomic<uint64_t> bad_records_{0};
  std::atomic<uint64_t> reopens_{0};
  uint64_t reopen_done_ = 0;
};

}  // namespace vigil::ids
