// Persistence and consistency of the control service: atomic file replacement, failures that
// change nothing (cannot persist, dataplane refuses), the "only tenancy may change" guard,
// restart with the persisted state, and the YAML <-> JSON conversion underneath.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "control/command_error.h"
#include "control/running_config.h"
#include "control/yaml_json.h"
#include "tests/control/service_test_support.h"

namespace vigil::control::testing {
namespace {

using Persistence = ServiceTest;

const Json kAddGreen = {{"name", "green"}, {"vlan", 30}};

TEST_F(Persistence, ReplaceFileAtomicallyKeepsTheMode) {
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  std::string error;
  ASSERT_TRUE(replace_file_atomically(path_, "new: text\n", &error)) << error;
  EXPECT_EQ(read_text(path_), "new: text\n");
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp." + std::to_string(::getpid())));
}

TEST_F(Persistence, ReplaceFileAtomicallyFailsCleanly) {
  // Tests run as root, so a read-only directory would not stop the write: block the temporary
  // file's name with a directory instead.
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  std::filesystem::create_directory(tmp);
  std::string error;
  EXPECT_FALSE(replace_file_atomically(path_, "new: text\n", &error));
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
  EXPECT_EQ(read_text(path_), original_);
  std::filesystem::remove(tmp);
  EXPECT_FALSE(replace_file_atomically(dir_ + "/no/such/dir/config.yaml", "x", &error));
}

TEST_F(Persistence, ChangesSurviveARestart) {
  ASSERT_TRUE(call("tenant.add", kAddGreen).ok);
  ASSERT_TRUE(
      call("vm.add", {{"tenant", "green"}, {"port", "spare1"}, {"mac", "02:00:00:00:1e:01"}}).ok);
  ASSERT_TRUE(call("policy.add_rule", {{"tenant", "green"}, {"rule", {{"action", "deny"}}}}).ok);
  const Json before = tenancy_summary(service_->config());
  FakeDataplane other;
  const auto restarted = ControlService::open(path_, other);
  EXPECT_EQ(tenancy_summary(restarted->config()), before);
  EXPECT_EQ(restarted->running().text(), service_->running().text());
}

TEST_F(Persistence, CannotPersistChangesNothing) {
  const std::string tmp = path_ + ".tmp." + std::to_string(::getpid());
  std::filesystem::create_directory(tmp);
  const Response r = refused("tenant.add", kAddGreen, code::kInternal);
  EXPECT_NE(r.error_message.find("nothing changed"), std::string::npos) << r.error_message;
  std::filesystem::remove(tmp);
  // And the service still works once the disk does.
  changed("tenant.add", kAddGreen);
}

TEST_F(Persistence, InjectedWriteFailureChangesNothing) {
  int writes = 0;
  start(kServiceConfig, [&](const std::string&, const std::string&, std::string* error) {
    ++writes;
    *error = "disk full";
    return false;
  });
  const Response r = refused("vm.remove", {{"port", "vb4"}}, code::kInternal);
  EXPECT_NE(r.error_message.find("disk full"), std::string::npos);
  EXPECT_EQ(writes, 1);  // the file on disk is the old one: nothing to restore
}

TEST_F(Persistence, DataplaneRefusalRestoresTheFile) {
  fake_.fail_apply = true;
  const Response r = call("tenant.add", kAddGreen);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error_code, code::kInternal);
  EXPECT_NE(r.error_message.find("fake apply failure"), std::string::npos) << r.error_message;
  ASSERT_EQ(fake_.applied.size(), 1u);  // attempted with the new state
  EXPECT_EQ(fake_.applied[0].tenancy.tenants.size(), 3u);
  EXPECT_EQ(read_text(path_), original_);  // byte for byte, comment included
  EXPECT_EQ(tenancy_summary(service_->config()), original_summary_);
  fake_.fail_apply = false;
  fake_.applied.clear();
  changed("tenant.add", kAddGreen);
}

TEST_F(Persistence, NoOpEditsWriteNothing) {
  ASSERT_TRUE(call("vm.bind", {{"port", "vb1"}, {"mac", "02:00:00:00:0a:01"}}).ok);
  ASSERT_TRUE(call("vm.move", {{"port", "vb1"}, {"to", "vb1"}}).ok);
  const Json same = call("policy.show", {{"tenant", "blue"}}).result;
  Json policy = {
      {"default", same["default"]}, {"groups", same["groups"]}, {"rules", same["rules"]}};
  const Response r = call("policy.replace", {{"tenant", "blue"}, {"policy", policy}});
  ASSERT_TRUE(r.ok) << r.error_message;
  EXPECT_EQ(r.result, same);
  expect_untouched();
}

TEST(FixedSections, OnlyTenancyMayChange) {
  const YAML::Node running = YAML::Load(kServiceConfig);
  auto changed_by = [&](const char* yaml_path, const char* value) {
    YAML::Node next = YAML::Clone(running);
    next[yaml_path] = YAML::Load(value);
    return fixed_section_change(running, next);
  };
  EXPECT_NE(changed_by("ports", "[{name: vb1, kind: ring}]").find("'ports'"), std::string::npos);
  EXPECT_NE(changed_by("switch", "{mac_aging_s: 30}").find("'switch'"), std::string::npos);
  EXPECT_NE(changed_by("trunks", "[]").find("'trunks'"), std::string::npos);
  EXPECT_NE(changed_by("eal", "[-l, '1']").find("'eal'"), std::string::npos);
  EXPECT_NE(changed_by("ids", "{rules: [x.rules]}").find("'ids'"), std::string::npos);
  EXPECT_NE(changed_by("control", "{socket: /x}").find("'control'"), std::string::npos);
  // Sections this code does not know (added later) are fixed too.
  EXPECT_NE(changed_by("monitor", "{interval_s: 5}").find("'monitor'"), std::string::npos);
  EXPECT_EQ(changed_by("tenants", "[]"), "");  // tenancy is what commands change
  EXPECT_EQ(changed_by("host", "{addresses: [192.0.2.1]}"), "");

  // Operators may go only along with their tenant.
  YAML::Node next = YAML::Clone(running);
  YAML::Node ops(YAML::NodeType::Sequence);
  ops.push_back(YAML::Clone(running["control"]["operators"][0]));
  next["control"]["operators"] = ops;
  EXPECT_NE(fixed_section_change(running, next), "");
  YAML::Node tenants(YAML::NodeType::Sequence);
  tenants.push_back(YAML::Clone(running["tenants"][0]));
  next["tenants"] = tenants;
  EXPECT_EQ(fixed_section_change(running, next), "");
  // Style is not content: the same document in block style is no change.
  EXPECT_EQ(fixed_section_change(running, YAML::Load(emit_yaml(running))), "");
}

TEST_F(Persistence, TheGuardRefusesAtCommit) {
  RunningConfig running(StateStore(path_), original_, fake_);
  YAML::Node next = running.copy();
  next["switch"]["mac_aging_s"] = "30";  // valid, but not a control command's to change
  try {
    running.commit(next);
    ADD_FAILURE() << "committed a switch change";
  } catch (const CommandError& e) {
    EXPECT_EQ(e.code(), code::kInvalid);
    EXPECT_NE(std::string(e.what()).find("restarting vigild"), std::string::npos);
  }
  EXPECT_EQ(running.config().settings.mac_aging_s, 300u);
  expect_untouched();
}

TEST(YamlJson, ScalarsGetJsonTypes) {
  const YAML::Node n = YAML::Load(
      "{a: 80, b: '80', c: true, d: '5000-5999', e: -3, f: 007, g: ~, h: [x, 1], i: {}, j: ''}");
  const Json j = yaml_to_json(n);
  EXPECT_EQ(j["a"], 80);
  EXPECT_EQ(j["b"], "80");
  EXPECT_EQ(j["c"], true);
  EXPECT_EQ(j["d"], "5000-5999");
  EXPECT_EQ(j["e"], -3);
  EXPECT_EQ(j["f"], "007");
  EXPECT_TRUE(j["g"].is_null());
  EXPECT_EQ(j["h"], Json::array({"x", 1}));
  EXPECT_EQ(j["i"], Json::object());
  EXPECT_EQ(j["j"], "");
}

TEST(YamlJson, RoundTripThroughText) {
  const Json j = {{"rules", {{{"dst_port", 80}, {"src", {"web", "::1"}}, {"log", false}}}},
                  {"name", "a: b"},
                  {"n", "null"},
                  {"t", "true"}};
  const YAML::Node back = YAML::Load(emit_yaml(json_to_yaml(j)));
  EXPECT_EQ(back["rules"][0]["dst_port"].Scalar(), "80");
  EXPECT_EQ(back["rules"][0]["src"][1].Scalar(), "::1");
  EXPECT_EQ(back["name"].Scalar(), "a: b");
  EXPECT_TRUE(back["n"].IsScalar());
  EXPECT_EQ(back["n"].Scalar(), "null");
  EXPECT_EQ(yaml_to_json(back)["rules"], j["rules"]);
}

TEST(YamlJson, EmitsBlockStyle) {
  const std::string text = emit_yaml(YAML::Load("a: {b: [1, 2]}"));
  EXPECT_EQ(text, "a:\n  b:\n    - 1\n    - 2\n");
}

TEST(YamlJson, CanonicalTextIgnoresKeyOrderAndStyle) {
  EXPECT_EQ(canonical_yaml(YAML::Load("{b: [2, 1], a: {y: 1, x: '2'}}")),
            canonical_yaml(YAML::Load("a:\n  x: 2\n  y: 1\nb:\n  - 2\n  - 1\n")));
  EXPECT_NE(canonical_yaml(YAML::Load("{b: [2, 1]}")), canonical_yaml(YAML::Load("{b: [1, 2]}")));
}

TEST(YamlJson, RefusesDeepNesting) {
  Json deep = 1;
  for (int i = 0; i < kMaxNesting + 1; ++i) deep = Json::array({deep});
  EXPECT_THROW(json_to_yaml(deep), std::invalid_argument);
  Json ok = 1;
  for (int i = 0; i < kMaxNesting; ++i) ok = Json::array({ok});
  EXPECT_NO_THROW(json_to_yaml(ok));
}

}  // namespace
}  // namespace vigil::control::testing
