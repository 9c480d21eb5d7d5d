// The control API's audit log (PROTOCOL.md "Changes: validation, persistence, audit"): one JSON
// line per request, refused ones included, appended and fsynced so that it survives a crash.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "control/control_types.h"

namespace vigil::control {

class AuditLog {
 public:
  // Arguments whose JSON is longer than this are cut (and the entry says so).
  static constexpr size_t kMaxArgsBytes = 4096;

  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens (creating it with mode 0640 if needed) `path` for appending; false with *error.
  bool open(const std::string& path, std::string* error);
  void close();
  bool is_open() const;

  // Appends the entry for one answered request. Write errors are counted, never fatal; a log
  // that is not open records nothing. Safe to call from several threads.
  void record(const Identity& who, const Request& request, const Response& response);

  uint64_t records() const { return records_.load(); }
  uint64_t write_errors() const { return write_errors_.load(); }

  // The line (without '\n') record() writes for a request answered at `when`:
  // {"time","uid","gid","pid","role","tenant"?,"command","args","args_truncated"?,"ok","error"?}
  static std::string format(const Identity& who, const Request& request, const Response& response,
                            std::chrono::system_clock::time_point when);

 private:
  mutable std::mutex mu_;
  int fd_ = -1;
  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> write_errors_{0};
};

}  // namespace vigil::control
