// One request/response exchange over vigild's unix socket, non-blocking with poll() so that
// every step (connect, send, receive) respects the caller's deadline.
#include "control/cli_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

namespace vigil::control::cli {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), 1 << 30));
}

// Waits for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error (errno).
int wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

std::string sys_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool connect_socket(int fd, const std::string& path, Clock::time_point deadline,
                    std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    *error = "cannot connect to '" + path + "': not a usable socket path (empty or too long)";
    return false;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  const std::string where = "cannot connect to " + path;
  while (true) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // The listen backlog is full: vigild is busy, try again until the deadline.
      if (remaining_ms(deadline) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (errno == EINPROGRESS) {
      const int n = wait_for(fd, POLLOUT, deadline);
      if (n == 0) break;
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
        *error = sys_error(where);
        return false;
      }
      if (so_error == 0) return true;
      errno = so_error;
    }
    *error = sys_error(where);
    if (errno == ENOENT || errno == ECONNREFUSED) {
      *error += " (is vigild running, with a control: section?)";
    }
    return false;
  }
  *error = where + ": timed out";
  return false;
}

// Sends all of `data`; false when the peer went away (*error set) or the deadline passed.
bool send_all(int fd, const std::string& data, Clock::time_point deadline, bool* peer_closed,
              std::string* error) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int r = wait_for(fd, POLLOUT, deadline);
      if (r == 0) {
        *error = "timed out sending the request";
        return false;
      }
      if (r < 0) {
        *error = sys_error("cannot send the request");
        return false;
      }
      continue;
    }
    // vigild may answer and close before reading all of it (too many clients, too large):
    // its answer, if any, is still there to read.
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      *peer_closed = true;
      return true;
    }
    *error = sys_error("cannot send the request");
    return false;
  }
  return true;
}

bool receive_line(int fd, Clock::time_point deadline, double timeout_s, std::string* line,
                  std::string* error) {
  std::string buffer;
  char chunk[65536];
  while (true) {
    const auto newline = buffer.find('\n');
    if (newline != std::string::npos) {
      *line = buffer.substr(0, newline);
      return true;
    }
    if (buffer.size() > kMaxReplyBytes) {
      *error = "broken reply: longer than 256 MiB";
      return false;
    }
    const int r = wait_for(fd, POLLIN, deadline);
    if (r == 0) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", timeout_s);
      *error = std::string("no answer from vigild within ") + secs + " s";
      return false;
    }
    if (r < 0) {
      *error = sys_error("cannot read the reply");
      return false;
    }
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n < 0 && errno != ECONNRESET) {
      *error = sys_error("cannot read the reply");
      return false;
    }
    if (n <= 0) {
      *error = buffer.empty() ? "vigild closed the connection without answering"
                              : "broken reply: connection closed in the middle of a line";
      return false;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

bool parse_reply(const std::string& line, const Json& expected_id, Reply* reply,
                 std::string* error) {
  const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "broken reply: not a JSON object";
    return false;
  }
  const auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) {
    *error = "broken reply: no boolean 'ok'";
    return false;
  }
  *reply = Reply{};
  reply->ok = ok->get<bool>();
  const Json id = j.value("id", Json());
  if (id != expected_id && !(id.is_null() && !reply->ok)) {
    *error = "broken reply: it answers request id " + id.dump() + ", not " + expected_id.dump();
    return false;
  }
  if (reply->ok) {
    reply->result = j.value("result", Json());
    return true;
  }
  const auto err = j.find("error");
  if (err == j.end() || !err->is_object() || !err->contains("code") ||
      !(*err)["code"].is_string()) {
    *error = "broken reply: an error without a code";
    return false;
  }
  reply->code = (*err)["code"].get<std::string>();
  const auto message = err->find("message");
  if (message != err->end() && message->is_string()) reply->message = message->get<std::string>();
  return true;
}

bool call(const std::string& socket_path, const Json& request, double timeout_s, Reply* reply,
          std::string* error) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(std::max(timeout_s, 0.0)));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    *error = sys_error("cannot create a socket");
    return false;
  }
  if (!connect_socket(fd.get(), socket_path, deadline, error)) return false;
  // Invalid UTF-8 from the command line is replaced rather than thrown on: vigild then names
  // the value it does not know.
  const std::string line = request.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  bool peer_closed = false;
  if (!send_all(fd.get(), line, deadline, &peer_closed, error)) return false;
  std::string answer;
  if (!receive_line(fd.get(), deadline, timeout_s, &answer, error)) return false;
  return parse_reply(answer, request.value("id", Json()), reply, error);
}

}  // namespace vigil::control::cli
