// AuditLog (control/audit_log.h): the entry format of PROTOCOL.md, truncation, and appending to
// a file from several threads.
#include "control/audit_log.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace vigil::control {
namespace {

// 2026-11-28T17:30:00.123456Z
const auto kWhen = std::chrono::system_clock::time_point(std::chrono::seconds(1795887000) +
                                                         std::chrono::microseconds(123456));

Identity operator_blue() {
  Identity who;
  who.peer = Peer{1001, 1002, 4242};
  who.role = Role::kOperator;
  who.tenant = "blue";
  return who;
}

Request request(std::string command, Json args) {
  Request r;
  r.id = 3;
  r.command = std::move(command);
  r.args = std::move(args);
  return r;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-audit-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST(AuditFormat, MatchesTheProtocolExample) {
  const Response refused = Response::failure(3, code::kForbidden, "operators may not");
  EXPECT_EQ(AuditLog::format(operator_blue(), request("policy.replace", {{"tenant", "red"}}),
                             refused, kWhen),
            R"({"time":"2026-11-28T17:30:00.123456Z","uid":1001,"gid":1002,"pid":4242,)"
            R"("role":"operator","tenant":"blue","command":"policy.replace",)"
            R"("args":{"tenant":"red"},"ok":false,"error":"forbidden"})");
}

TEST(AuditFormat, OmitsEmptyTenantAndErrorOfSuccesses) {
  Identity admin;
  admin.peer = Peer{0, 0, 1};
  admin.role = Role::kAdmin;
  const std::string line =
      AuditLog::format(admin, request("status", Json::object()),
                       Response::success(3, Json::object()), kWhen + std::chrono::microseconds(7));
  EXPECT_EQ(line, R"({"time":"2026-11-28T17:30:00.123463Z","uid":0,"gid":0,"pid":1,"role":"admin",)"
                  R"("command":"status","args":{},"ok":true})");
}

TEST(AuditFormat, CutsLongArgumentsWithoutBreakingUtf8) {
  // 3-byte characters, so that a cut at 4096 bytes falls inside one.
  std::string text;
  while (text.size() < 6000) text += "\u20ac";
  const std::string line =
      AuditLog::format(operator_blue(), request("policy.replace", {{"note", text}}),
                       Response::success(3, Json::object()), kWhen);
  const Json j = Json::parse(line);  // throws (failing the test) on invalid JSON or UTF-8
  EXPECT_EQ(j["args_truncated"], true);
  ASSERT_TRUE(j["args"].is_string());
  const std::string cut = j["args"].get<std::string>();
  EXPECT_LE(cut.size(), AuditLog::kMaxArgsBytes);
  EXPECT_GT(cut.size(), AuditLog::kMaxArgsBytes - 4);
  EXPECT_EQ(cut.rfind("{\"note\":\"\u20ac", 0), 0u);
  EXPECT_LT(line.size(), 4096u + 400u);
}

TEST(AuditFormat, ShortArgumentsAreKeptWhole) {
  const Json args = {{"s", std::string(AuditLog::kMaxArgsBytes - 20, 'a')}};
  const Json j = Json::parse(AuditLog::format(operator_blue(), request("x", args),
                                              Response::success(3, Json::object()), kWhen));
  EXPECT_EQ(j["args"], args);
  EXPECT_FALSE(j.contains("args_truncated"));
}

TEST(AuditFormat, InvalidUtf8NeverThrows) {
  Request r = request("bad\xff", {{"k", "\xc3"}});
  const std::string line =
      AuditLog::format(operator_blue(), r, Response::failure(3, "x\xfe", "m"), kWhen);
  EXPECT_NO_THROW(Json::parse(line));
}

TEST_F(TempDir, AppendsOneFsyncedLinePerRecordWithMode0640) {
  const std::string path = dir_ + "/audit.log";
  {
    AuditLog log;
    std::string err;
    ASSERT_TRUE(log.open(path, &err)) << err;
    log.record(operator_blue(), request("a", Json::object()), Response::success(3, 1));
    log.record(operator_blue(), request("b", Json::object()),
               Response::failure(3, code::kNotFound, "no"));
    EXPECT_EQ(log.records(), 2u);
    EXPECT_EQ(log.write_errors(), 0u);
  }
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u & ~static_cast<unsigned>(umask(022)));
  AuditLog again;  // reopening appends
  ASSERT_TRUE(again.open(path, nullptr));
  again.record(operator_blue(), request("c", Json::object()), Response::success(3, 1));
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(Json::parse(lines[0])["command"], "a");
  EXPECT_EQ(Json::parse(lines[1])["error"], "not_found");
  EXPECT_EQ(Json::parse(lines[2])["command"], "c");
}

TEST_F(TempDir, OpenFailsClearly) {
  AuditLog log;
  std::string err;
  EXPECT_FALSE(log.open(dir_ + "/missing/audit.log", &err));
  EXPECT_NE(err.find("missing/audit.log"), std::string::npos) << err;
  EXPECT_FALSE(log.open(dir_, &err));
  EXPECT_FALSE(log.is_open());
  // Not open: records nothing, fails nothing.
  log.record(operator_blue(), request("a", Json::object()), Response::success(3, 1));
  EXPECT_EQ(log.records(), 0u);
}

TEST_F(TempDir, RefusesFifosWithoutBlocking) {
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  AuditLog log;
  std::string err;
  EXPECT_FALSE(log.open(path, &err));  // would block forever without a reader if it waited
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
}

TEST_F(TempDir, WriteErrorsAreCountedNotFatal) {
  const std::string path = dir_ + "/audit.log";
  AuditLog log;
  ASSERT_TRUE(log.open(path, nullptr));
  // A file size limit makes write() fail like a full disk does (EFBIG instead of ENOSPC).
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit tiny = saved;
  tiny.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tiny), 0);
  log.record(operator_blue(), request("a", Json::object()), Response::success(3, 1));
  log.record(operator_blue(), request("b", Json::object()), Response::success(3, 1));
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, old_handler);
  EXPECT_EQ(log.write_errors(), 2u);
  log.record(operator_blue(), request("c", Json::object()), Response::success(3, 1));
  EXPECT_EQ(log.records(), 1u);
  EXPECT_EQ(log.write_errors(), 2u);
  // The half-written lines were cut off: the log holds whole entries only.
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(Json::parse(lines[0])["command"], "c");
}

TEST_F(TempDir, ConcurrentRecordsNeverInterleave) {
  const std::string path = dir_ + "/audit.log";
  AuditLog log;
  ASSERT_TRUE(log.open(path, nullptr));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string command = std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        log.record(operator_blue(), request(command, {{"pad", std::string(900, 'p')}}),
                   Response::success(i, Json::object()));
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 200u);
  for (const auto& line : lines) EXPECT_NO_THROW(Json::parse(line)) << line;
}

}  // namespace
}  // namespace vigil::control
