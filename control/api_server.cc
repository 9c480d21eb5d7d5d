// ApiServer (api_server.h): the listening socket's setup and teardown, and the poll() loop that
// frames, parses, dispatches, audits and answers requests on every client connection.
#include "control/api_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace vigil::control {
namespace {

constexpr size_t kReadChunk = 64 * 1024;  // one recv() per client and turn, for fairness
constexpr int kLinesPerTurn = 16;         // requests served per client and turn, ditto
constexpr int kAcceptsPerTurn = 64;
constexpr int kBacklog = 64;
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

std::string errno_text(const std::string& what) {
  return what + ": " + strerror(errno);
}

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Brackets nested deeper than kMaxRequestDepth, outside strings.
bool too_deep(std::string_view s) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (const char ch : s) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      if (++depth > kMaxRequestDepth) return true;
    } else if (ch == '}' || ch == ']') {
      --depth;
    }
  }
  return false;
}

// mkdir -p with `mode` for the directories it creates.
bool make_dirs(const std::string& dir, mode_t mode, std::string* error) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string part = dir.substr(0, pos);
    if (mkdir(part.c_str(), mode) != 0 && errno != EEXIST) {
      *error = errno_text("cannot create directory " + part);
      return false;
    }
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = dir + " is not a directory";
    return false;
  }
  return true;
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.data(), path.size());  // length checked by the caller
  return addr;
}

// Whether a server is listening on the socket file `path`.
bool socket_is_live(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell: do not take the path from someone else
  const sockaddr_un addr = unix_address(path);
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  close(fd);
  return rc == 0 || (err != ECONNREFUSED && err != ENOENT);
}

}  // namespace

bool parse_request(std::string_view line, Request* request, Response* response) {
  *request = Request{};
  auto refuse = [&](std::string message) {
    *response = Response::failure(request->id, code::kBadRequest, std::move(message));
    return false;
  };
  if (too_deep(line)) {
    return refuse("request nested deeper than " + std::to_string(kMaxRequestDepth) + " levels");
  }
  Json j;
  try {
    j = Json::parse(line.begin(), line.end());
  } catch (const Json::parse_error& e) {
    std::string why = e.what();
    if (const size_t p = why.find("] "); p != std::string::npos) why.erase(0, p + 2);
    return refuse("request is not valid JSON: " + why);
  }
  if (!j.is_object()) return refuse("a request must be a JSON object");
  if (const auto id = j.find("id"); id != j.end()) request->id = *id;
  const auto command = j.find("command");
  if (command == j.end()) return refuse("the request has no \"command\"");
  if (!command->is_string()) return refuse("\"command\" must be a string");
  request->command = command->get<std::string>();
  if (const auto args = j.find("args"); args != j.end()) {
    if (!args->is_object()) return refuse("\"args\" must be an object");
    request->args = std::move(*args);
  }
  return true;
}

struct ApiServer::Conn {
  int fd = -1;
  Peer peer;
  std::string in;
  size_t line_start = 0;   // first byte of the next request in `in`
  size_t scanned = 0;      // in[line_start, scanned) holds no '\n'
  bool has_lines = false;  // complete requests wait in `in`: serve them before reading more
  std::string out;
  size_t out_done = 0;
  bool read_closed = false;  // EOF or too_large: close once the answers are sent
  bool dead = false;         // close now

  ~Conn() {
    if (fd >= 0) ::close(fd);
  }
  bool out_pending() const { return out_done < out.size(); }
};

ApiServer::ApiServer(ControlSettings settings, ControlHandler& handler, AuditLog* audit,
                     ServerLimits limits)
    : settings_(std::move(settings)), handler_(handler), audit_(audit), limits_(limits) {}

ApiServer::~ApiServer() {
  stop();
}

bool ApiServer::start(std::string* error) {
  std::string scratch;
  if (error == nullptr) error = &scratch;
  if (running()) {
    *error = "the control API server is already running";
    return false;
  }
  stopping_ = false;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    *error = errno_text("eventfd");
    return false;
  }
  if (!bind_socket(error)) {
    close_fds();
    return false;
  }
  try {
    thread_ = std::thread(&ApiServer::run, this);
  } catch (const std::exception& e) {
    *error = std::string("cannot start the control API thread: ") + e.what();
    stop();
    return false;
  }
  return true;
}

bool ApiServer::bind_socket(std::string* error) {
  const std::string& path = settings_.socket;
  socket_dev_ = 0;
  socket_ino_ = 0;
  if (path.empty()) {
    *error = "control.socket: no socket path";
    return false;
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    *error = "control.socket: path longer than " +
             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes: " + path;
    return false;
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  if (!make_dirs(dir, 0750, error)) return false;

  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      *error = "control.socket: " + path + " exists and is not a socket";
      return false;
    }
    if (socket_is_live(path)) {
      *error = "control.socket: " + path + " is in use by a running server";
      return false;
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      *error = errno_text("cannot remove the stale socket " + path);
      return false;
    }
  }

  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    *error = errno_text("socket");
    return false;
  }
  // Linux creates the socket file with the socket's own mode (less the umask): never wider than
  // 0660, not even between bind() and chmod().
  fchmod(listen_fd_, 0660);
  const sockaddr_un addr = unix_address(path);
  if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    *error = errno_text("cannot bind " + path);
    return false;
  }
  struct stat dir_st {};
  std::string failed;
  if (chmod(path.c_str(), 0660) != 0) {
    failed = "chmod";
  } else if (stat(dir.c_str(), &dir_st) != 0 || lstat(path.c_str(), &st) != 0) {
    failed = "stat";
  } else if (st.st_gid != dir_st.st_gid &&
             chown(path.c_str(), static_cast<uid_t>(-1), dir_st.st_gid) != 0) {
    // The socket's group is its directory's: that group's members may connect.
    failed = "cannot give it group " + std::to_string(dir_st.st_gid) + " of " + dir + ", chown";
  } else if (listen(listen_fd_, kBacklog) != 0) {
    failed = "listen";
  }
  if (!failed.empty()) {
    *error = errno_text("cannot set up " + path + ": " + failed);
    unlink(path.c_str());
    return false;
  }
  socket_dev_ = st.st_dev;
  socket_ino_ = st.st_ino;
  return true;
}

void ApiServer::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    const uint64_t one = 1;
    if (write(wake_fd_, &one, sizeof one) < 0) {
      // The counter cannot overflow with one write per stop(); the loop also polls stopping_.
    }
    thread_.join();
  }
  close_fds();
}

void ApiServer::close_fds() {
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    // Remove the socket file only if it is still ours (not one a newer server bound since).
    struct stat st {};
    if (lstat(settings_.socket.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
        st.st_ino == socket_ino_) {
      unlink(settings_.socket.c_str());
    }
  }
  if (wake_fd_ >= 0) {
    close(wake_fd_);
    wake_fd_ = -1;
  }
}

void ApiServer::run() {
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<pollfd> fds;
  while (!stopping_.load()) {
    try {
      const auto now = std::chrono::steady_clock::now();
      const bool accept_paused = now < accept_paused_until_;
      fds.clear();
      fds.push_back({wake_fd_, POLLIN, 0});
      fds.push_back({accept_paused ? -1 : listen_fd_, POLLIN, 0});
      bool lines_waiting = false;
      for (const auto& c : conns) {
        short events = 0;
        if (!c->read_closed && !c->has_lines) events |= POLLIN;
        if (c->out_pending()) events |= POLLOUT;
        lines_waiting |= c->has_lines;
        fds.push_back({c->fd, events, 0});
      }
      const int timeout = lines_waiting ? 0 : accept_paused ? 100 : -1;
      if (poll(fds.data(), fds.size(), timeout) < 0) {
        if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (fds[0].revents != 0) {
        uint64_t n;
        if (read(wake_fd_, &n, sizeof n) < 0) {
          // Spurious wake-up: nothing to drain.
        }
      }
      if (stopping_.load()) break;
      const size_t polled = conns.size();
      for (size_t i = 0; i < polled; ++i) {
        Conn& c = *conns[i];
        const short revents = fds[i + 2].revents;
        try {
          if (revents & POLLNVAL) c.dead = true;
          if (!c.dead && (revents & (POLLIN | POLLHUP | POLLERR)) && !c.read_closed &&
              !c.has_lines) {
            read_from(c);
          }
          if (!c.dead) serve_lines(c);
          if (!c.dead && c.out_pending()) flush(c);
        } catch (...) {  // out of memory on this client: drop it, keep serving the others
          c.dead = true;
        }
      }
      std::erase_if(conns, [](const std::unique_ptr<Conn>& c) {
        return c->dead || (c->read_closed && !c->has_lines && !c->out_pending());
      });
      if (fds[1].revents & POLLIN) accept_clients(conns);
      open_ = conns.size();
    } catch (...) {
      // Never let an exception end the thread; back off a little in case it repeats.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  conns.clear();
  open_ = 0;
}

void ApiServer::accept_clients(std::vector<std::unique_ptr<Conn>>& conns) {
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays readable: stop polling it for a while, not spin.
        accept_paused_until_ = std::chrono::steady_clock::now() + kAcceptPause;
      }
      return;
    }
    if (conns.size() >= settings_.max_clients) {
      ++refused_;  // counted first: the client may look as soon as it sees the close
      static const std::string kFull =
          dump(Response::failure(nullptr, code::kUnavailable, "too many clients").to_json()) + "\n";
      if (send(fd, kFull.data(), kFull.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        // The client is refused either way.
      }
      close(fd);
      continue;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) {
      close(fd);  // no credentials, no service
      continue;
    }
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->peer = Peer{cred.uid, cred.gid, cred.pid};
    conns.push_back(std::move(c));
    ++connections_;
  }
}

void ApiServer::read_from(Conn& c) {
  char buf[kReadChunk];
  const ssize_t n = recv(c.fd, buf, sizeof buf, 0);
  if (n > 0) {
    c.in.append(buf, static_cast<size_t>(n));
  } else if (n == 0) {
    c.read_closed = true;  // answer what came complete; a partial last line is dropped
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    c.dead = true;
  }
}

void ApiServer::serve_lines(Conn& c) {
  const size_t max = settings_.max_request_bytes;
  int budget = kLinesPerTurn;
  c.has_lines = false;
  while (!c.dead) {
    const size_t nl = c.in.find('\n', c.scanned);
    const size_t length = (nl == std::string::npos ? c.in.size() : nl) - c.line_start;
    if (length > max) {
      // Refuse and close rather than buffer an unbounded line; the rest of the input is moot.
      c.in.clear();
      c.line_start = c.scanned = 0;
      c.read_closed = true;
      answer(c, Request{},
             Response::failure(nullptr, code::kTooLarge,
                               "request line longer than " + std::to_string(max) + " bytes"),
             false);
      return;
    }
    if (nl == std::string::npos) {
      c.scanned = c.in.size();
      break;
    }
    if (budget-- == 0) {
      c.scanned = nl;
      c.has_lines = true;
      break;
    }
    Request request;
    Response response;
    const bool parsed = parse_request(
        std::string_view(c.in).substr(c.line_start, nl - c.line_start), &request, &response);
    c.line_start = c.scanned = nl + 1;
    answer(c, std::move(request), std::move(response), parsed);
  }
  if (c.line_start > 0) {
    c.in.erase(0, c.line_start);
    c.scanned -= c.line_start;
    c.line_start = 0;
  }
  if (c.read_closed && !c.has_lines) c.in.clear();
}

// Dispatches a parsed request (or passes on the refusal of an unparsable one), audits it and
// queues the answer.
void ApiServer::answer(Conn& c, Request request, Response response, bool parsed) {
  Identity who;
  who.peer = c.peer;
  try {
    who = handler_.identify(c.peer);
    who.peer = c.peer;
  } catch (...) {
    // Unknown role: the refusal or error below is audited as role "none".
  }
  if (parsed) {
    try {
      response = handler_.handle(request, who);
    } catch (const std::exception& e) {
      response = Response::failure(nullptr, code::kInternal,
                                   std::string("the command failed: ") + e.what());
    } catch (...) {
      response = Response::failure(nullptr, code::kInternal, "the command failed");
    }
  }
  response.id = request.id;  // echoed whatever the handler put there
  ++requests_;
  if (audit_ != nullptr) audit_->record(who, request, response);
  queue(c, response);
}

void ApiServer::queue(Conn& c, const Response& response) {
  const std::string line = dump(response.to_json()) + "\n";
  const size_t pending = c.out.size() - c.out_done;
  if (pending > 0 && pending + line.size() > limits_.max_output_bytes) {
    c.dead = true;  // it does not read its answers: drop it rather than buffer without end
    ++dropped_;
    return;
  }
  if (c.out_done > 0) {
    c.out.erase(0, c.out_done);
    c.out_done = 0;
  }
  c.out += line;
}

void ApiServer::flush(Conn& c) {
  while (c.out_pending()) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_done += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      c.dead = true;  // the client went away
      return;
    }
  }
  c.out.clear();
  c.out_done = 0;
}

}  // namespace vigil::control
