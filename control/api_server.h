// The control API's server: a thread serving control/PROTOCOL.md's JSON lines on a unix socket.
// It frames requests, takes each caller's credentials (SO_PEERCRED), hands requests one at a time
// to a ControlHandler, audits them and writes the answers back without ever blocking on a client.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "control/audit_log.h"
#include "control/control_config.h"
#include "control/control_types.h"

namespace vigil::control {

// Requests nested deeper than this are refused before parsing (deep JSON recurses when copied,
// dumped or freed).
inline constexpr int kMaxRequestDepth = 64;

// Parses one request line. False with a bad_request *response (echoing the id when one could be
// read) when the line is not a JSON object with a string `command` and an object `args`.
bool parse_request(std::string_view line, Request* request, Response* response);

struct ServerLimits {
  // Answers a client has not read yet; past this it is disconnected. One answer alone may exceed
  // it (the client is dropped only if it is still behind when the next one comes).
  size_t max_output_bytes = 16u << 20;
};

class ApiServer {
 public:
  // `audit` may be null (no audit log); it must outlive the server, as must `handler`.
  ApiServer(ControlSettings settings, ControlHandler& handler, AuditLog* audit,
            ServerLimits limits = {});
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds settings.socket (creating its directory with mode 0750 if missing, replacing a stale
  // socket file, refusing a live one or a non-socket file), makes it 0660 and starts serving.
  // False with *error; a server may be started again after stop().
  bool start(std::string* error);
  // Closes every connection, stops the thread and removes the socket file. Idempotent.
  void stop();
  bool running() const { return thread_.joinable(); }

  const std::string& socket_path() const { return settings_.socket; }
  uint64_t requests() const { return requests_.load(); }        // lines answered
  uint64_t connections() const { return connections_.load(); }  // accepted, ever
  uint64_t refused_clients() const { return refused_.load(); }  // over max_clients
  uint64_t dropped_clients() const { return dropped_.load(); }  // too slow to read answers
  size_t open_connections() const { return open_.load(); }

 private:
  struct Conn;  // one client connection (api_server.cc)

  bool bind_socket(std::string* error);
  void close_fds();
  void run();
  void accept_clients(std::vector<std::unique_ptr<Conn>>& conns);
  void read_from(Conn& c);
  void serve_lines(Conn& c);
  void answer(Conn& c, Request request, Response response, bool parsed);
  void queue(Conn& c, const Response& response);
  void flush(Conn& c);

  ControlSettings settings_;
  ControlHandler& handler_;
  AuditLog* audit_;
  ServerLimits limits_;

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() wakes the poll
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::chrono::steady_clock::time_point accept_paused_until_{};  // out of fds: retry later

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> connections_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<size_t> open_{0};
};

}  // namespace vigil::control
