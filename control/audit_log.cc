// AuditLog (audit_log.h): formats entries in PROTOCOL.md's key order and appends them with one
// write() and an fsync each.
#include "control/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace vigil::control {
namespace {

// Never throws on invalid UTF-8 (a file name from a handler, say): such bytes become U+FFFD.
std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string utc_time(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(when.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(us / 1000000);
  long frac = static_cast<long>(us % 1000000);
  tm t{};
  gmtime_r(&secs, &t);
  char buf[64];
  const size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
  snprintf(buf + n, sizeof buf - n, ".%06ldZ", frac < 0 ? 0 : frac);
  return buf;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string utf8_prefix(const std::string& s, size_t max) {
  size_t n = std::min(max, s.size());
  while (n > 0 && n < s.size() && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

AuditLog::~AuditLog() {
  close();
}

bool AuditLog::open(const std::string& path, std::string* error) {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  // O_NONBLOCK: a FIFO at `path` must not block the open (it is refused below).
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0640);
  if (fd_ < 0 && errno == ENXIO) {
    if (error) *error = "audit log " + path + " is not a regular file";
    return false;
  }
  if (fd_ < 0) {
    if (error) *error = "cannot open audit log " + path + ": " + strerror(errno);
    return false;
  }
  struct stat st {};
  if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (error) *error = "audit log " + path + " is not a regular file";
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  fcntl(fd_, F_SETFL, O_APPEND);
  return true;
}

void AuditLog::close() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool AuditLog::is_open() const {
  std::lock_guard lock(mu_);
  return fd_ >= 0;
}

std::string AuditLog::format(const Identity& who, const Request& request, const Response& response,
                             std::chrono::system_clock::time_point when) {
  // Built by hand: Json objects sort their keys, and the log keeps PROTOCOL.md's order.
  std::string line = "{\"time\":\"" + utc_time(when) + "\"";
  line += ",\"uid\":" + std::to_string(who.peer.uid);
  line += ",\"gid\":" + std::to_string(who.peer.gid);
  line += ",\"pid\":" + std::to_string(who.peer.pid);
  line += ",\"role\":" + dump(Json(role_name(who.role)));
  if (!who.tenant.empty()) line += ",\"tenant\":" + dump(Json(who.tenant));
  line += ",\"command\":" + dump(Json(request.command));
  const std::string args = dump(request.args);
  if (args.size() > kMaxArgsBytes) {
    line += ",\"args\":" + dump(Json(utf8_prefix(args, kMaxArgsBytes)));
    line += ",\"args_truncated\":true";
  } else {
    line += ",\"args\":" + args;
  }
  line += response.ok ? ",\"ok\":true" : ",\"ok\":false";
  if (!response.ok) line += ",\"error\":" + dump(Json(response.error_code));
  line += "}";
  return line;
}

void AuditLog::record(const Identity& who, const Request& request, const Response& response) {
  std::string line;
  try {
    line = format(who, request, response, std::chrono::system_clock::now()) + "\n";
  } catch (...) {  // out of memory: count it like a failed write
    ++write_errors_;
    return;
  }
  std::lock_guard lock(mu_);
  if (fd_ < 0) return;
  // One write() per line so that appenders never interleave within a line. A line that cannot be
  // written whole (disk full) is cut off again, so that the next entry starts on a line of its own.
  const off_t start = lseek(fd_, 0, SEEK_END);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ++write_errors_;
      if (done > 0 && start >= 0 && ftruncate(fd_, start) != 0) {
        // Nothing more to do: the partial line stays.
      }
      return;
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd_) != 0) ++write_errors_;
  ++records_;
}

}  // namespace vigil::control
