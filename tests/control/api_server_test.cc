// ApiServer (control/api_server.h) over real unix sockets in a temporary directory, with a fake
// ControlHandler: framing, ids, malformed and oversized requests, concurrency, slow clients,
// credentials, audit, and the socket file's life cycle.
#include "control/api_server.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace vigil::control {
namespace {

using namespace std::chrono_literals;

// Commands: echo (args back), whoami (the identity), throw, big {bytes}, refuse (forbidden).
class FakeHandler : public ControlHandler {
 public:
  Identity identify(const Peer& peer) override {
    Identity id;
    id.peer = peer;
    id.role = Role::kOperator;
    id.tenant = "blue";
    return id;
  }

  Response handle(const Request& r, const Identity& who) override {
    if (in_flight_.fetch_add(1) != 0) overlapped_ = true;
    {
      std::lock_guard lock(mu_);
      threads_.insert(std::this_thread::get_id());
    }
    Response resp = dispatch(r, who);
    --in_flight_;
    return resp;
  }

  bool overlapped() const { return overlapped_; }
  size_t threads() {
    std::lock_guard lock(mu_);
    return threads_.size();
  }

 private:
  Response dispatch(const Request& r, const Identity& who) {
    if (r.command == "echo") return Response::success(r.id, r.args);
    if (r.command == "whoami") {
      return Response::success(
          r.id, {{"uid", who.peer.uid}, {"gid", who.peer.gid}, {"pid", who.peer.pid}});
    }
    if (r.command == "throw") throw std::runtime_error("boom");
    if (r.command == "big") {
      return Response::success(r.id, std::string(r.args.value("bytes", 0u), 'x'));
    }
    if (r.command == "refuse") return Response::failure(r.id, code::kForbidden, "not you");
    return Response::failure(r.id, code::kUnknownCommand, "no command " + r.command);
  }

  std::atomic<int> in_flight_{0};
  std::atomic<bool> overlapped_{false};
  std::mutex mu_;
  std::set<std::thread::id> threads_;
};

// A blocking client with a read timeout, so that a broken server fails tests instead of hanging.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }
  Client(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // The next line; nullopt on EOF, error or timeout.
  std::optional<std::string> line(std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const size_t nl = buf_.find('\n'); nl != std::string::npos) {
        std::string out = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return out;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        return std::nullopt;
      }
      char tmp[65536];
      const ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

  std::optional<Json> response() {
    const auto l = line();
    if (!l) return std::nullopt;
    return Json::parse(*l);
  }

  Json call(const Json& request) {
    EXPECT_TRUE(send(request.dump() + "\n"));
    const auto r = response();
    EXPECT_TRUE(r.has_value()) << "no answer to " << request.dump();
    return r.value_or(Json());
  }

  // True when the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_server(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (!buf_.empty() || poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char tmp[16];
    return recv(fd_, tmp, sizeof tmp, MSG_DONTWAIT) <= 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-api-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    settings_.enabled = true;
    settings_.socket = dir_ + "/run/control.sock";
    settings_.audit = dir_ + "/audit.log";
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(ServerLimits limits = {}) {
    std::string err;
    ASSERT_TRUE(audit_.open(settings_.audit, &err)) << err;
    server_ = std::make_unique<ApiServer>(settings_, handler_, &audit_, limits);
    ASSERT_TRUE(server_->start(&err)) << err;
  }

  std::vector<Json> audit_lines() {
    std::ifstream in(settings_.audit);
    std::vector<Json> out;
    for (std::string l; std::getline(in, l);) out.push_back(Json::parse(l));
    return out;
  }

  std::string dir_;
  ControlSettings settings_;
  FakeHandler handler_;
  AuditLog audit_;
  std::unique_ptr<ApiServer> server_;
};

TEST(ParseRequest, AcceptsAndRefuses) {
  Request r;
  Response resp;
  ASSERT_TRUE(parse_request(R"({"id":[1],"command":"a.b","args":{"x":1},"extra":0})", &r, &resp));
  EXPECT_EQ(r.id, Json::array({1}));
  EXPECT_EQ(r.command, "a.b");
  EXPECT_EQ(r.args, Json({{"x", 1}}));
  ASSERT_TRUE(parse_request(R"({"command":"c"})", &r, &resp));
  EXPECT_TRUE(r.id.is_null());
  EXPECT_EQ(r.args, Json::object());

  const std::pair<std::string, std::string> bad[] = {
      {"", "not valid JSON"},
      {"nope", "not valid JSON"},
      {R"({"command":"x"} trailing)", "not valid JSON"},
      {"[1,2]", "JSON object"},
      {R"("command")", "JSON object"},
      {R"({"id":1})", "no \"command\""},
      {R"({"command":5})", "must be a string"},
      {R"({"command":"x","args":[]})", "\"args\" must be an object"},
      {R"({"command":"x","args":null})", "\"args\" must be an object"},
      {"{\"command\":\"\xff\"}", "not valid JSON"},
      {std::string(100000, '['), "nested deeper"},
  };
  for (const auto& [line, why] : bad) {
    EXPECT_FALSE(parse_request(line, &r, &resp)) << line.substr(0, 40);
    EXPECT_FALSE(resp.ok);
    EXPECT_EQ(resp.error_code, code::kBadRequest);
    EXPECT_NE(resp.error_message.find(why), std::string::npos) << resp.error_message;
  }
  // Brackets inside strings do not count as nesting.
  EXPECT_TRUE(
      parse_request(R"({"command":"x","args":{"s":")" + std::string(500, '[') + "\"}}", &r, &resp));
  EXPECT_FALSE(parse_request(R"({"id":"k","command":1})", &r, &resp));
  EXPECT_EQ(resp.id, "k");
}

TEST_F(ApiServerTest, RoundTripEchoesEveryKindOfId) {
  start();
  Client c(settings_.socket);
  ASSERT_TRUE(c.connected());
  for (const Json& id : {Json(7), Json(-1.5), Json("abc"), Json(nullptr), Json({{"a", {1, 2}}})}) {
    const Json r = c.call({{"id", id}, {"command", "echo"}, {"args", {{"k", "v"}}}});
    EXPECT_EQ(r, Json({{"id", id}, {"ok", true}, {"result", {{"k", "v"}}}}));
  }
  const Json r = c.call({{"command", "echo"}});
  EXPECT_TRUE(r.contains("id") && r["id"].is_null());
  EXPECT_EQ(r["result"], Json::object());
  EXPECT_EQ(c.call({{"id", 1}, {"command", "nope"}})["error"]["code"], "unknown_command");
  EXPECT_EQ(server_->requests(), 7u);
}

TEST_F(ApiServerTest, SeveralRequestsInOneWriteAndOneSplitOverSeveral) {
  start();
  Client c(settings_.socket);
  ASSERT_TRUE(c.send(R"({"id":1,"command":"echo"})"
                     "\n"
                     R"({"id":2,"command":"echo"})"
                     "\r\n"
                     R"({"id":3,"command":"echo"})"
                     "\n"));
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(c.response().value_or(Json())["id"], i);
  const std::string req = R"({"id":"split","command":"echo","args":{"n":42}})"
                          "\n";
  for (size_t i = 0; i < req.size(); i += 7) {
    ASSERT_TRUE(c.send(req.substr(i, 7)));
    std::this_thread::sleep_for(2ms);
  }
  const Json r = c.response().value_or(Json());
  EXPECT_EQ(r["id"], "split");
  EXPECT_EQ(r["result"]["n"], 42);
}

TEST_F(ApiServerTest, ManyClientsAtOnceAreAllAnsweredInOrder) {
  settings_.max_clients = 8;
  start();
  constexpr int kClients = 8, kRequests = 60;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      Client c(settings_.socket);
      if (!c.connected()) return;
      for (int i = 0; i < kRequests; i += 3) {
        // Three pipelined requests, then their answers.
        std::string batch;
        for (int k = i; k < i + 3; ++k) {
          batch +=
              Json({{"id", t * 1000 + k}, {"command", "echo"}, {"args", {{"k", k}}}}).dump() + "\n";
        }
        if (!c.send(batch)) return;
        for (int k = i; k < i + 3; ++k) {
          const auto r = c.response();
          if (r && (*r)["id"] == t * 1000 + k && (*r)["result"]["k"] == k) ++good;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), kClients * kRequests);
  EXPECT_EQ(server_->requests(), static_cast<uint64_t>(kClients * kRequests));
  EXPECT_FALSE(handler_.overlapped());  // requests are serialised ...
  EXPECT_EQ(handler_.threads(), 1u);    // ... on the server's one thread
}

TEST_F(ApiServerTest, MalformedRequestsAreRefusedAndTheConnectionStaysOpen) {
  start();
  Client c(settings_.socket);
  const std::pair<std::string, Json> bad[] = {
      {"this is not json", nullptr},
      {"[1,2,3]", nullptr},
      {"", nullptr},
      {R"({"id":5,"command":3})", 5},
      {R"({"id":"a","args":{}})", "a"},
      {R"({"id":6,"command":"echo","args":"x"})", 6},
      {std::string(5000, '{'), nullptr},
      {"{\"id\":1,\"command\":\"\xc3\x28\"}", nullptr},
  };
  for (const auto& [line, id] : bad) {
    ASSERT_TRUE(c.send(line + "\n"));
    const Json r = c.response().value_or(Json());
    EXPECT_EQ(r["ok"], false) << line.substr(0, 40);
    EXPECT_EQ(r["error"]["code"], "bad_request");
    EXPECT_EQ(r["id"], id);
  }
  EXPECT_EQ(c.call({{"id", 9}, {"command", "echo"}})["ok"], true);
}

TEST_F(ApiServerTest, OversizedLineIsRefusedAndClosedWhileOthersKeepWorking) {
  settings_.max_request_bytes = 1024;
  start();
  Client other(settings_.socket);
  ASSERT_EQ(other.call({{"id", 1}, {"command", "echo"}})["ok"], true);

  // A line exactly at the limit is fine.
  Client fits(settings_.socket);
  std::string line = R"({"command":"echo","args":{"p":")";
  line += std::string(1024 - line.size() - 3, 'p') + "\"}}";
  ASSERT_EQ(line.size(), 1024u);
  EXPECT_EQ(fits.call(Json::parse(line))["ok"], true);

  // A complete line over the limit.
  Client whole(settings_.socket);
  ASSERT_TRUE(whole.send(line + " \n"));
  Json r = whole.response().value_or(Json());
  EXPECT_EQ(r["error"]["code"], "too_large");
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_TRUE(whole.closed_by_server());

  // An endless line without '\n': refused without buffering it all.
  Client endless(settings_.socket);
  std::thread writer([&] {
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 256 && endless.send(chunk); ++i) {
    }
  });
  r = endless.response().value_or(Json());
  EXPECT_EQ(r["error"]["code"], "too_large");
  EXPECT_TRUE(endless.closed_by_server());
  writer.join();
  EXPECT_EQ(other.call({{"id", 2}, {"command", "echo"}})["id"], 2);
}

TEST_F(ApiServerTest, TooManyClients) {
  settings_.max_clients = 2;
  start();
  auto a = std::make_unique<Client>(settings_.socket);
  Client b(settings_.socket);
  ASSERT_EQ(a->call({{"command", "echo"}})["ok"], true);
  ASSERT_EQ(b.call({{"command", "echo"}})["ok"], true);
  Client c(settings_.socket);
  EXPECT_EQ(Json::parse(c.line().value_or("null")),
            Json::parse(R"({"id":null,"ok":false,)"
                        R"("error":{"code":"unavailable","message":"too many clients"}})"));
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(server_->refused_clients(), 1u);
  a.reset();
  ASSERT_TRUE(eventually([&] { return server_->open_connections() == 1; }));
  Client d(settings_.socket);
  EXPECT_EQ(d.call({{"id", 4}, {"command", "echo"}})["id"], 4);
}

TEST_F(ApiServerTest, AClientThatNeverReadsIsDroppedAndOthersAreServed) {
  start(ServerLimits{1 << 20});
  Client lazy(settings_.socket);
  std::string batch;
  for (int i = 0; i < 100; ++i)
    batch += R"({"command":"big","args":{"bytes":65536}})"
             "\n";
  ASSERT_TRUE(lazy.send(batch));
  Client busy(settings_.socket);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(busy.call({{"id", i}, {"command", "echo"}})["id"], i);
  EXPECT_TRUE(eventually([&] { return server_->dropped_clients() == 1; }));
  EXPECT_EQ(busy.call({{"id", 99}, {"command", "echo"}})["id"], 99);
  EXPECT_LT(server_->requests(), 100u + 21u);  // the dropped client's rest was never served
}

TEST_F(ApiServerTest, TheHandlerSeesThePeersCredentials) {
  start();
  Client c(settings_.socket);
  const Json r = c.call({{"command", "whoami"}});
  EXPECT_EQ(r["result"]["uid"], getuid());
  EXPECT_EQ(r["result"]["gid"], getgid());
  EXPECT_EQ(r["result"]["pid"], getpid());
}

TEST_F(ApiServerTest, AThrowingHandlerIsAnInternalError) {
  start();
  Client c(settings_.socket);
  const Json r = c.call({{"id", 3}, {"command", "throw"}});
  EXPECT_EQ(r["id"], 3);
  EXPECT_EQ(r["error"]["code"], "internal");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("boom"), std::string::npos);
  EXPECT_EQ(c.call({{"id", 4}, {"command", "echo"}})["ok"], true);
}

TEST_F(ApiServerTest, EveryRequestIsAudited) {
  settings_.max_request_bytes = 1024;
  start();
  Client c(settings_.socket);
  c.call({{"id", 1}, {"command", "echo"}, {"args", {{"a", 1}}}});
  ASSERT_TRUE(c.send("garbage\n"));
  c.response();
  c.call({{"command", "refuse"}});
  c.call({{"command", "throw"}});
  Client big(settings_.socket);
  ASSERT_TRUE(big.send(std::string(2000, ' ') + "\n"));
  big.response();
  ASSERT_TRUE(eventually([&] { return audit_.records() == 5; }));
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0]["command"], "echo");
  EXPECT_EQ(lines[0]["args"], Json({{"a", 1}}));
  EXPECT_EQ(lines[0]["ok"], true);
  EXPECT_EQ(lines[0]["uid"], getuid());
  EXPECT_EQ(lines[0]["pid"], getpid());
  EXPECT_EQ(lines[0]["role"], "operator");
  EXPECT_EQ(lines[0]["tenant"], "blue");
  EXPECT_FALSE(lines[0].contains("error"));
  EXPECT_EQ(lines[1]["error"], "bad_request");
  EXPECT_EQ(lines[1]["command"], "");
  EXPECT_EQ(lines[2]["error"], "forbidden");
  EXPECT_EQ(lines[3]["error"], "internal");
  EXPECT_EQ(lines[4]["error"], "too_large");
  for (const auto& l : lines) EXPECT_TRUE(l.contains("time") && l.contains("gid"));
}

TEST_F(ApiServerTest, LongArgumentsAreCutInTheAudit) {
  start();
  Client c(settings_.socket);
  const Json r = c.call({{"command", "echo"}, {"args", {{"blob", std::string(10000, 'b')}}}});
  EXPECT_EQ(r["result"]["blob"].get<std::string>().size(), 10000u);  // the answer is whole
  ASSERT_TRUE(eventually([&] { return audit_.records() == 1; }));
  const auto lines = audit_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["args_truncated"], true);
  EXPECT_EQ(lines[0]["args"].get<std::string>().size(), AuditLog::kMaxArgsBytes);
}

TEST_F(ApiServerTest, HalfClosedAndVanishingClients) {
  start();
  Client half(settings_.socket);
  ASSERT_TRUE(half.send(R"({"id":1,"command":"echo"})"
                        "\n"
                        R"({"id":2,"com)"));
  shutdown(half.fd(), SHUT_WR);
  EXPECT_EQ(half.response().value_or(Json())["id"], 1);
  EXPECT_TRUE(half.closed_by_server());  // the partial second request is dropped, not run
  // An answer larger than the socket buffer is still delivered whole after the client's EOF.
  Client reader(settings_.socket);
  ASSERT_TRUE(reader.send(R"({"id":7,"command":"big","args":{"bytes":3000000}})"
                          "\n"));
  shutdown(reader.fd(), SHUT_WR);
  std::this_thread::sleep_for(50ms);
  const Json big = reader.response().value_or(Json());
  EXPECT_EQ(big["id"], 7);
  EXPECT_EQ(big["result"].get<std::string>().size(), 3000000u);
  {
    Client gone(settings_.socket);
    ASSERT_TRUE(gone.send(R"({"id":1,"command":"big","args":{"bytes":4000000}})"
                          "\n"));
    ASSERT_TRUE(gone.send(R"({"id":2,"comm)"));
  }
  Client next(settings_.socket);
  EXPECT_EQ(next.call({{"id", 3}, {"command", "echo"}})["id"], 3);
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 1; }));
}

TEST_F(ApiServerTest, SocketFileModesAndDirectory) {
  start();
  struct stat st {};
  ASSERT_EQ(lstat(settings_.socket.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  ASSERT_EQ(stat((dir_ + "/run").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
}

TEST_F(ApiServerTest, StopAndStartTwice) {
  start();
  for (int round = 0; round < 2; ++round) {
    {
      Client c(settings_.socket);
      EXPECT_EQ(c.call({{"id", round}, {"command", "echo"}})["id"], round);
      Client idle(settings_.socket);
      ASSERT_TRUE(idle.connected());
      server_->stop();
      EXPECT_TRUE(c.closed_by_server());
      EXPECT_TRUE(idle.closed_by_server());
    }
    EXPECT_FALSE(std::filesystem::exists(settings_.socket));
    EXPECT_FALSE(Client(settings_.socket).connected());
    server_->stop();  // idempotent
    std::string err;
    ASSERT_TRUE(server_->start(&err)) << err;
    EXPECT_FALSE(server_->start(&err));  // already running
  }
  Client c(settings_.socket);
  EXPECT_EQ(c.call({{"id", 5}, {"command", "echo"}})["id"], 5);
}

TEST_F(ApiServerTest, StaleSocketFileIsReplacedLiveOneAndOtherFilesAreNot) {
  std::filesystem::create_directories(dir_ + "/run");
  {  // a socket file nobody listens on, as a killed vigild leaves it
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", settings_.socket.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    close(fd);
  }
  start();
  Client c(settings_.socket);
  EXPECT_EQ(c.call({{"id", 1}, {"command", "echo"}})["id"], 1);

  ApiServer second(settings_, handler_, nullptr);
  std::string err;
  EXPECT_FALSE(second.start(&err));
  EXPECT_NE(err.find("in use"), std::string::npos) << err;
  second.stop();
  EXPECT_EQ(c.call({{"id", 2}, {"command", "echo"}})["id"], 2);  // untouched by the refusal

  ControlSettings other = settings_;
  other.socket = dir_ + "/plain-file";
  std::ofstream(other.socket) << "keep me";
  ApiServer third(other, handler_, nullptr);
  EXPECT_FALSE(third.start(&err));
  EXPECT_NE(err.find("not a socket"), std::string::npos) << err;
  EXPECT_TRUE(std::filesystem::is_regular_file(other.socket));

  other.socket = dir_ + "/" + std::string(120, 'l');
  ApiServer fourth(other, handler_, nullptr);
  EXPECT_FALSE(fourth.start(&err));
  EXPECT_NE(err.find("longer than"), std::string::npos) << err;
}

}  // namespace
}  // namespace vigil::control
