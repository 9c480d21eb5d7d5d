// vigilctl's client side without vigild: replies parsed and mapped to exit codes, and whole
// runs against a fake server on a unix socket (output, --json, timeouts, broken replies).
#include "control/cli_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "control/cli_run.h"
#include "tests/control/cli_test_util.h"

namespace vigil::control::cli {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Replies

TEST(CliClient, ParseReply) {
  Reply r;
  std::string error;
  ASSERT_TRUE(parse_reply(R"({"id":1,"ok":true,"result":[1]})", 1, &r, &error)) << error;
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.result, Json::parse("[1]"));
  ASSERT_TRUE(parse_reply(R"({"id":1,"ok":false,"error":{"code":"forbidden","message":"no"}})", 1,
                          &r, &error));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.code, "forbidden");
  EXPECT_EQ(r.message, "no");
  ASSERT_TRUE(parse_reply(R"({"id":null,"ok":false,"error":{"code":"too_large"}})", 1, &r, &error));
  EXPECT_EQ(r.code, "too_large");
  for (const char* bad : {"", "nonsense", "[1]", R"({"id":1})", R"({"id":1,"ok":"yes"})",
                          R"({"id":2,"ok":true,"result":1})", R"({"id":null,"ok":true})",
                          R"({"id":1,"ok":false})", R"({"id":1,"ok":false,"error":{"code":5}})"}) {
    EXPECT_FALSE(parse_reply(bad, 1, &r, &error)) << bad;
    EXPECT_EQ(error.rfind("broken reply", 0), 0u) << bad << " -> " << error;
  }
}

TEST(CliClient, ExitCodes) {
  EXPECT_EQ(exit_code_for("forbidden"), 4);
  EXPECT_EQ(exit_code_for("not_found"), 5);
  for (const char* c : {"bad_request", "unknown_command", "invalid", "conflict", "unavailable",
                        "too_large", "internal", "something_new"}) {
    EXPECT_EQ(exit_code_for(c), 1) << c;
  }
}

// A one-connection server on a unix socket: reads one line, then answers `reply` (as is; empty:
// close without answering; "hang": keep the connection open without answering).
class FakeServer {
 public:
  FakeServer(const std::string& dir, std::string reply) : reply_(std::move(reply)) {
    path_ = dir + "/s.sock";
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    done_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  const std::string& path() const { return path_; }
  Json received() {
    thread_.join();
    thread_ = std::thread([] {});
    return Json::parse(line_, nullptr, false);
  }

 private:
  void serve() {
    const int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    char ch;
    while (::read(c, &ch, 1) == 1 && ch != '\n') line_ += ch;
    if (reply_ == "hang") {
      while (!done_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } else if (!reply_.empty()) {
      (void)!::write(c, reply_.data(), reply_.size());
    }
    ::close(c);
  }

  std::string reply_, path_, line_;
  int fd_ = -1;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

struct RunResult {
  int status;
  std::string out, err;
};

RunResult run_cli(std::vector<std::string> args, const std::string& cwd = "/tmp") {
  RunContext ctx{"9.9.9", cwd, ""};
  std::ostringstream out, err;
  const int status = run(args, ctx, out, err);
  return {status, out.str(), err.str()};
}

TEST(CliRun, SuccessRendersOrPrintsJson) {
  TempDir dir;
  const std::string ok = R"({"id":1,"ok":true,"result":[{"name":"blue","vlan":10,"vms":1,)"
                         R"("policy":false}]})"
                         "\n";
  {
    FakeServer server(dir.path(), ok);
    const RunResult r = run_cli({"--socket", server.path(), "tenant", "list"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "NAME  VLAN  VMS  POLICY\nblue    10  1    no\n");
    EXPECT_EQ(server.received(), Json::parse(R"({"id":1,"command":"tenant.list","args":{}})"));
  }
  {
    FakeServer server(dir.path() + "", ok);
    const RunResult r = run_cli({"tenant", "list", "--json", "--socket", server.path()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              Json::parse(R"([{"name":"blue","vlan":10,"vms":1,"policy":false}])").dump(2) + "\n");
  }
}

TEST(CliRun, ErrorResponsesMapToExitCodes) {
  TempDir dir;
  const std::vector<std::pair<std::string, int>> cases = {
      {"forbidden", 4}, {"not_found", 5}, {"conflict", 1}, {"invalid", 1}, {"unavailable", 1}};
  for (const auto& [code, status] : cases) {
    FakeServer server(dir.path(), R"({"id":1,"ok":false,"error":{"code":")" + code +
                                      R"(","message":"because"}})" + "\n");
    const RunResult r = run_cli({"--socket", server.path(), "policy", "clear", "red"});
    EXPECT_EQ(r.status, status) << code;
    EXPECT_EQ(r.err, "vigilctl: " + code + ": because\n");
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliRun, UnreachableOrBrokenIsExit3) {
  TempDir dir;
  RunResult r = run_cli({"--socket", dir.path() + "/none.sock", "status"});
  EXPECT_EQ(r.status, 3);
  EXPECT_NE(r.err.find("cannot connect to " + dir.path() + "/none.sock"), std::string::npos)
      << r.err;
  r = run_cli({"--socket", "/" + std::string(200, 'x'), "status"});
  EXPECT_EQ(r.status, 3);
  {
    FakeServer server(dir.path(), "");
    r = run_cli({"--socket", server.path(), "status"});
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("closed the connection without answering"), std::string::npos);
  }
  {
    FakeServer server(dir.path(), "this is not json\n");
    r = run_cli({"--socket", server.path(), "status"});
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("broken reply"), std::string::npos);
  }
  {
    FakeServer server(dir.path(), R"({"id":1,"ok":true,"result":{}})");  // no newline
    r = run_cli({"--socket", server.path(), "status"});
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("in the middle of a line"), std::string::npos);
  }
  {
    FakeServer server(dir.path(), "hang");
    const auto t0 = std::chrono::steady_clock::now();
    r = run_cli({"--socket", server.path(), "--timeout", "0.3", "status"});
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(r.status, 3);
    EXPECT_NE(r.err.find("no answer from vigild within 0.3 s"), std::string::npos) << r.err;
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(3));
  }
}

TEST(CliRun, UsageHelpAndVersion) {
  RunResult r = run_cli({"tenant", "add", "blue"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err,
            "vigilctl: tenant add: missing --vlan N\n"
            "usage: vigilctl tenant add NAME --vlan N\n"
            "(vigilctl tenant add --help for more)\n");
  r = run_cli({"vm", "add", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--allow-router-advertisement"), std::string::npos);
  r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("vigilctl capture start --port P --file F [--max-packets N]"),
            std::string::npos);
  r = run_cli({"--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "vigilctl 9.9.9\n");
  r = run_cli({"policy", "replace", "blue", "--file", "/nonexistent/p.yaml"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("vigilctl: --file: cannot read /nonexistent/p.yaml", 0), 0u) << r.err;
  r = run_cli({"tenant", "add", "bl\xff", "--vlan", "3", "--socket", "/nonexistent.sock"});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("not valid UTF-8"), std::string::npos);
}

TEST(CliRun, ExportWritesTheOutputFile) {
  TempDir dir;
  const std::string state = R"({"format":"vigil-vm/1","tenant":"blue","vm":{"port":"vb1"}})";
  FakeServer server(dir.path(), R"({"id":1,"ok":true,"result":)" + state + "}\n");
  const std::string file = dir.path() + "/vb1.json";
  const RunResult r =
      run_cli({"--socket", server.path(), "vm", "export", "--port", "vb1", "--output", file});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "exported port vb1 to " + file + "\n");
  std::ifstream in(file);
  EXPECT_EQ(Json::parse(in), Json::parse(state));
  const RunResult bad = run_cli({"--socket", server.path(), "vm", "export", "--port", "vb1",
                                 "--output", dir.path() + "/no/such/dir/x.json"});
  EXPECT_EQ(bad.status, 2);
}

}  // namespace
}  // namespace vigil::control::cli
