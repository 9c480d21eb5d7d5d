// vigilctl without vigild: command-line parsing, the request every command builds, YAML/JSON
// input, help text, rendering, reply checking, and whole runs against a fake server thread on a
// unix socket (exit codes, --json, timeouts, broken replies).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "control/cli_args.h"
#include "control/cli_client.h"
#include "control/cli_commands.h"
#include "control/cli_document.h"
#include "control/cli_help.h"
#include "control/cli_render.h"
#include "control/cli_run.h"
#include "tests/control/cli_test_util.h"

namespace vigil::control::cli {
namespace {

namespace fs = std::filesystem;

Invocation parse(const std::vector<std::string>& args) {
  return parse_command_line(args, command_table());
}

// A temporary directory removed at the end of the test.
// Builds the request of a command line that must parse.
BuiltRequest build(const std::vector<std::string>& args, const std::string& cwd = "/work") {
  const Invocation inv = parse(args);
  EXPECT_EQ(inv.action, Invocation::Action::kRun) << inv.error;
  BuiltRequest req;
  std::string error;
  if (inv.action == Invocation::Action::kRun) {
    EXPECT_TRUE(build_request(inv, cwd, &req, &error)) << error;
  }
  return req;
}

// The usage error of a command line that parses but cannot become a request.
std::string build_error(const std::vector<std::string>& args) {
  const Invocation inv = parse(args);
  EXPECT_EQ(inv.action, Invocation::Action::kRun) << inv.error;
  BuiltRequest req;
  std::string error;
  if (inv.action == Invocation::Action::kRun) {
    EXPECT_FALSE(build_request(inv, "/work", &req, &error)) << req.args.dump();
  }
  return error;
}

// ---------------------------------------------------------------------------------------------
// Parsing

TEST(CliArgs, GlobalOptionsBeforeAndAfterTheCommand) {
  Invocation inv = parse({"--socket", "/tmp/s", "--json", "--timeout", "2.5", "tenant", "list"});
  ASSERT_EQ(inv.action, Invocation::Action::kRun) << inv.error;
  EXPECT_EQ(inv.global.socket, "/tmp/s");
  EXPECT_TRUE(inv.global.json);
  EXPECT_DOUBLE_EQ(inv.global.timeout_s, 2.5);
  EXPECT_EQ(inv.spec->command, "tenant.list");

  inv = parse({"vm", "list", "--json", "--socket=/x", "--tenant", "blue"});
  ASSERT_EQ(inv.action, Invocation::Action::kRun) << inv.error;
  EXPECT_TRUE(inv.global.json);
  EXPECT_EQ(inv.global.socket, "/x");
  EXPECT_EQ(inv.value("--tenant"), "blue");
  EXPECT_DOUBLE_EQ(inv.global.timeout_s, 30);
}

TEST(CliArgs, SocketFromOptionEnvironmentOrDefault) {
  GlobalOptions g;
  EXPECT_EQ(resolve_socket(g, nullptr), "/run/vigil/vigild.sock");
  EXPECT_EQ(resolve_socket(g, ""), "/run/vigil/vigild.sock");
  EXPECT_EQ(resolve_socket(g, "/env.sock"), "/env.sock");
  g.socket = "/opt.sock";
  EXPECT_EQ(resolve_socket(g, "/env.sock"), "/opt.sock");
}

TEST(CliArgs, UsageErrorsSayWhatIsWrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "missing command"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
      {{"tenant"}, "tenant: missing verb (list, add, remove)"},
      {{"tenant", "rename"}, "tenant: unknown verb 'rename'"},
      {{"tenant", "add", "blue"}, "tenant add: missing --vlan N"},
      {{"tenant", "add", "--vlan", "10"}, "tenant add: missing NAME"},
      {{"tenant", "add", "blue", "--vlan"}, "tenant add: --vlan needs a value N"},
      {{"tenant", "add", "blue", "red", "--vlan", "1"}, "tenant add: unexpected argument 'red'"},
      {{"tenant", "list", "--bogus"}, "tenant list: unknown option '--bogus'"},
      {{"tenant", "remove", "x", "--force=yes"}, "tenant remove: --force takes no value"},
      {{"vm", "remove", "--port", "a", "--port", "b"}, "vm remove: --port given more than once"},
      {{"--timeout", "0", "status"}, "--timeout: expected seconds"},
      {{"--timeout", "abc", "status"}, "--timeout: expected seconds"},
      {{"--timeout"}, "--timeout needs a value S"},
      {{"--socket=", "status"}, "--socket: empty path"},
      {{"--frob", "status"}, "unknown option '--frob'"},
      {{"--json=1", "status"}, "--json takes no value"},
      {{"policy", "show"}, "policy show: missing TENANT"},
      {{"policy", "remove-rule", "blue"}, "policy remove-rule: missing INDEX"},
      {{"policy", "remove-rule", "blue", "-1"}, "policy remove-rule: unknown option '-1'"},
  };
  for (const auto& [args, message] : cases) {
    const Invocation inv = parse(args);
    EXPECT_EQ(inv.action, Invocation::Action::kUsageError) << ::testing::PrintToString(args);
    EXPECT_NE(inv.error.find(message), std::string::npos)
        << ::testing::PrintToString(args) << " -> " << inv.error;
  }
}

TEST(CliArgs, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"}).action, Invocation::Action::kHelp);
  EXPECT_EQ(parse({"-h"}).action, Invocation::Action::kHelp);
  EXPECT_EQ(parse({"--version"}).action, Invocation::Action::kVersion);
  Invocation inv = parse({"tenant", "--help"});
  EXPECT_EQ(inv.action, Invocation::Action::kHelp);
  EXPECT_EQ(inv.spec, nullptr);
  EXPECT_EQ(inv.help_noun, "tenant");
  inv = parse({"tenant", "add", "--help"});  // required arguments missing: help still wins
  EXPECT_EQ(inv.action, Invocation::Action::kHelp);
  ASSERT_NE(inv.spec, nullptr);
  EXPECT_EQ(inv.spec->command, "tenant.add");
  inv = parse({"tenant", "add", "--bogus", "--help"});
  EXPECT_EQ(inv.action, Invocation::Action::kHelp);
  inv = parse({"whoami", "--help"});
  EXPECT_EQ(inv.action, Invocation::Action::kHelp);
  EXPECT_EQ(inv.spec->command, "whoami");
}

TEST(CliArgs, DoubleDashEndsOptions) {
  const BuiltRequest req = build({"tenant", "add", "--vlan", "5", "--", "-odd"});
  EXPECT_EQ(req.args, Json::parse(R"({"name":"-odd","vlan":5})"));
}

TEST(CliArgs, ParseCount) {
  unsigned long long v = 0;
  EXPECT_TRUE(parse_count("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_count("4094", &v));
  EXPECT_EQ(v, 4094u);
  EXPECT_TRUE(parse_count("9999999999999999999", &v));
  for (const char* bad : {"", "-1", "+1", "1.5", "12a", " 1", "0x10", "99999999999999999999"}) {
    EXPECT_FALSE(parse_count(bad, &v)) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Requests: every command of PROTOCOL.md

struct RequestCase {
  std::vector<std::string> args;
  std::string command;
  std::string json_args;
};

TEST(CliCommands, EveryCommandBuildsItsRequest) {
  const std::vector<RequestCase> cases = {
      {{"whoami"}, "whoami", "{}"},
      {{"status"}, "status", "{}"},
      {{"tenant", "list"}, "tenant.list", "{}"},
      {{"tenant", "add", "green", "--vlan", "30"}, "tenant.add", R"({"name":"green","vlan":30})"},
      {{"tenant", "add", "--vlan=30", "green"}, "tenant.add", R"({"name":"green","vlan":30})"},
      {{"tenant", "remove", "green"}, "tenant.remove", R"({"name":"green"})"},
      {{"tenant", "remove", "green", "--force"},
       "tenant.remove",
       R"({"name":"green","force":true})"},
      {{"vm", "list"}, "vm.list", "{}"},
      {{"vm", "list", "--tenant", "blue"}, "vm.list", R"({"tenant":"blue"})"},
      {{"vm", "add", "--tenant", "blue", "--port", "vb3", "--mac", "02:00:00:00:0a:03"},
       "vm.add",
       R"({"tenant":"blue","port":"vb3","mac":"02:00:00:00:0a:03"})"},
      {{"vm", "add", "--tenant", "blue", "--port", "vb3", "--mac", "m", "--ipv4", "10.0.0.3",
        "--ipv4", "10.0.0.4,10.0.0.5", "--ipv6", "fd00::3", "--no-port-security",
        "--allow-dhcp-server", "--allow-router-advertisement"},
       "vm.add",
       R"({"tenant":"blue","port":"vb3","mac":"m","ipv4":["10.0.0.3","10.0.0.4","10.0.0.5"],
           "ipv6":["fd00::3"],"port_security":false,"allow_dhcp_server":true,
           "allow_router_advertisement":true})"},
      {{"vm", "remove", "--port", "vb3"}, "vm.remove", R"({"port":"vb3"})"},
      {{"vm", "bind", "--port", "vb3", "--mac", "m2", "--ipv4", "10.0.0.9"},
       "vm.bind",
       R"({"port":"vb3","mac":"m2","ipv4":["10.0.0.9"]})"},
      {{"vm", "bind", "--port", "vb3", "--clear-ipv4", "--clear-ipv6"},
       "vm.bind",
       R"({"port":"vb3","ipv4":[],"ipv6":[]})"},
      {{"vm", "move", "--port", "vb3", "--to", "spare1"},
       "vm.move",
       R"({"port":"vb3","to":"spare1"})"},
      {{"vm", "export", "--port", "vb3"}, "vm.export", R"({"port":"vb3"})"},
      {{"vm", "export", "--port", "vb3", "--output", "/tmp/x"}, "vm.export", R"({"port":"vb3"})"},
      {{"policy", "show", "blue"}, "policy.show", R"({"tenant":"blue"})"},
      {{"policy", "add-rule", "blue", "--rule", "{proto: tcp, dst_port: 22, action: allow}"},
       "policy.add_rule",
       R"({"tenant":"blue","rule":{"proto":"tcp","dst_port":22,"action":"allow"}})"},
      {{"policy", "add-rule", "blue", "--rule", R"({"src":"10.0.0.0/8","action":"deny"})",
        "--position", "0"},
       "policy.add_rule",
       R"({"tenant":"blue","rule":{"src":"10.0.0.0/8","action":"deny"},"position":0})"},
      {{"policy", "remove-rule", "blue", "3"},
       "policy.remove_rule",
       R"({"tenant":"blue","index":3})"},
      {{"policy", "clear", "blue"}, "policy.clear", R"({"tenant":"blue"})"},
      {{"ids", "reload"}, "ids.reload", "{}"},
      {{"ids", "report"}, "ids.report", "{}"},
      {{"ids", "stats"}, "ids.stats", "{}"},
      {{"monitor", "status"}, "monitor.status", "{}"},
      {{"alerts", "list", "--tenant", "blue", "--limit", "5"},
       "alerts.list",
       R"({"tenant":"blue","limit":5})"},
      {{"monitor", "status", "--tenant", "blue"}, "monitor.status", R"({"tenant":"blue"})"},
      {{"monitor", "release", "vb1"}, "monitor.release", R"({"vm":"vb1"})"},
      {{"stats", "ports"}, "stats.ports", "{}"},
      {{"stats", "ports", "--tenant", "red"}, "stats.ports", R"({"tenant":"red"})"},
      {{"stats", "drops", "--tenant", "red"}, "stats.drops", R"({"tenant":"red"})"},
      {{"stats", "flows", "--top", "5", "--tenant", "red"},
       "stats.flows",
       R"({"top":5,"tenant":"red"})"},
      {{"capture", "start", "--port", "vb1", "--file", "/tmp/c.pcapng"},
       "capture.start",
       R"({"port":"vb1","file":"/tmp/c.pcapng"})"},
      {{"capture", "start", "--port", "vb1", "--file", "out/../c.pcapng", "--max-packets", "10"},
       "capture.start",
       R"({"port":"vb1","file":"/work/c.pcapng","max_packets":10})"},
      {{"capture", "stop", "--port", "vb1"}, "capture.stop", R"({"port":"vb1"})"},
      {{"capture", "list"}, "capture.list", "{}"},
      {{"raw", "tenant.list"}, "tenant.list", "{}"},
      {{"raw", "anything.at_all", R"({"x":[1,2]})"}, "anything.at_all", R"({"x":[1,2]})"},
  };
  for (const auto& c : cases) {
    const BuiltRequest req = build(c.args);
    EXPECT_EQ(req.command, c.command) << ::testing::PrintToString(c.args);
    EXPECT_EQ(req.args, Json::parse(c.json_args))
        << ::testing::PrintToString(c.args) << " -> " << req.args.dump();
  }
}

TEST(CliCommands, EveryProtocolCommandHasACliCommand) {
  const std::vector<std::string> protocol = {
      "whoami",         "status",         "tenant.list",     "tenant.add",
      "tenant.remove",  "vm.list",        "vm.add",          "vm.remove",
      "vm.bind",        "vm.move",        "vm.export",       "vm.import",
      "policy.show",    "policy.replace", "policy.add_rule", "policy.remove_rule",
      "policy.clear",   "ids.reload",     "ids.report",      "ids.stats",
      "stats.ports",    "stats.drops",    "stats.flows",     "capture.start",
      "capture.stop",   "capture.list",   "alerts.list",     "monitor.status",
      "monitor.release"};
  for (const auto& name : protocol) {
    const bool found = std::any_of(command_table().begin(), command_table().end(),
                                   [&](const CommandSpec& c) { return c.command == name; });
    EXPECT_TRUE(found) << name;
  }
}

TEST(CliCommands, FilesAreReadAsYamlOrJson) {
  TempDir dir;
  const std::string yaml = dir.file("p.yaml",
                                    "# a policy\n"
                                    "default: deny\n"
                                    "groups: {web: [vb1, vb2]}\n"
                                    "rules:\n"
                                    "  - {src: web, proto: tcp, dst_port: 80-81, action: allow}\n"
                                    "  - {priority: 10, dst: \"10\", action: log}\n");
  BuiltRequest req = build({"policy", "replace", "blue", "--file", yaml});
  EXPECT_EQ(req.command, "policy.replace");
  EXPECT_EQ(req.args, Json::parse(R"({"tenant":"blue","policy":{"default":"deny",
      "groups":{"web":["vb1","vb2"]},"rules":[
      {"src":"web","proto":"tcp","dst_port":"80-81","action":"allow"},
      {"priority":10,"dst":"10","action":"log"}]}})"));

  // `policy show --json` output, and a `policy:` wrapper, are accepted as they are.
  const std::string shown = dir.file("s.json", R"({"present":true,"default":"allow","rules":[]})");
  req = build({"policy", "replace", "blue", "--file", shown});
  EXPECT_EQ(req.args["policy"], Json::parse(R"({"default":"allow","rules":[]})"));
  const std::string wrapped = dir.file("w.yaml", "policy:\n  default: reject\n");
  req = build({"policy", "replace", "blue", "--file", wrapped});
  EXPECT_EQ(req.args["policy"], Json::parse(R"({"default":"reject"})"));

  const std::string state = dir.file(
      "vm.json", R"({"format":"vigil-vm/1","tenant":"blue","vm":{"port":"vb1"},"policy_refs":[]})");
  req = build({"vm", "import", "--file", state, "--port", "spare"});
  EXPECT_EQ(req.command, "vm.import");
  EXPECT_EQ(req.args["port"], "spare");
  EXPECT_EQ(req.args["state"]["format"], "vigil-vm/1");
}

TEST(CliCommands, BadInputIsAUsageErrorNamingIt) {
  TempDir dir;
  EXPECT_NE(build_error({"tenant", "add", "x", "--vlan", "ten"})
                .find("--vlan: expected a non-negative integer, not 'ten'"),
            std::string::npos);
  EXPECT_NE(build_error({"policy", "remove-rule", "blue", "x1"}).find("INDEX: expected"),
            std::string::npos);
  EXPECT_NE(build_error({"vm", "bind", "--port", "p", "--ipv4", "1.2.3.4", "--clear-ipv4"})
                .find("--ipv4 and --clear-ipv4 cannot be used together"),
            std::string::npos);
  EXPECT_NE(build_error({"vm", "bind", "--port", "p", "--clear-ipv4", "--ipv4", "1.2.3.4"})
                .find("cannot be used together"),
            std::string::npos);
  EXPECT_NE(build_error({"vm", "add", "--tenant", "t", "--port", "p", "--mac", "m", "--ipv4",
                         "1.1.1.1,,2.2.2.2"})
                .find("--ipv4: empty value"),
            std::string::npos);
  const std::string missing = dir.path() + "/nope.yaml";
  EXPECT_NE(build_error({"policy", "replace", "blue", "--file", missing}).find("cannot read"),
            std::string::npos);
  EXPECT_NE(build_error({"policy", "replace", "blue", "--file", dir.path()}).find("cannot read"),
            std::string::npos);
  const std::string broken = dir.file("broken.yaml", "default: deny\nrules: [\n  {a: 1\n");
  EXPECT_NE(build_error({"policy", "replace", "blue", "--file", broken}).find("line "),
            std::string::npos);
  const std::string list = dir.file("list.yaml", "- a\n- b\n");
  EXPECT_NE(build_error({"policy", "replace", "blue", "--file", list})
                .find("expected a mapping ({...}), not array"),
            std::string::npos);
  EXPECT_NE(
      build_error({"policy", "add-rule", "blue", "--rule", "allow"}).find("expected a mapping"),
      std::string::npos);
  EXPECT_NE(build_error({"raw", "x.y", "[1]"}).find("expected a mapping"), std::string::npos);
  EXPECT_NE(build_error({"raw", ""}).find("empty command"), std::string::npos);
  EXPECT_NE(build_error({"capture", "start", "--port", "p", "--file", ""}).find("empty file"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// YAML / JSON documents

Json doc(const std::string& text) {
  Json out;
  std::string error;
  EXPECT_TRUE(parse_document(text, "t", &out, &error)) << error;
  return out;
}

TEST(CliDocument, YamlScalarsAreTypedLikeYaml12) {
  EXPECT_EQ(doc("{a: 1, b: -2, c: 1.5, d: true, e: False, f: ~, g: null, h: '1', i: \"true\"}"),
            Json::parse(R"({"a":1,"b":-2,"c":1.5,"d":true,"e":false,"f":null,"g":null,
                            "h":"1","i":"true"})"));
  EXPECT_EQ(doc("[10.0.0.1, fd00::1, 02:00:00:00:0a:01, 80-81, 10.0.0.0/8, web, 1e3]"),
            Json::parse(R"(["10.0.0.1","fd00::1","02:00:00:00:0a:01","80-81","10.0.0.0/8",
                            "web",1000.0])"));
  EXPECT_EQ(doc("x: !!str 5\n"), Json::parse(R"({"x":"5"})"));
  EXPECT_EQ(doc("n: 99999999999999999999999\n"), Json::parse(R"({"n":"99999999999999999999999"})"));
  EXPECT_EQ(doc(""), Json());
  EXPECT_EQ(doc("a: &x [1]\nb: *x\n"), Json::parse(R"({"a":[1],"b":[1]})"));
}

TEST(CliDocument, StreamsAsFiles) {
  std::istringstream in("default: deny\n");
  Json out;
  std::string error;
  ASSERT_TRUE(read_document_stream(in, "stdin", &out, &error)) << error;
  EXPECT_EQ(out, Json::parse(R"({"default":"deny"})"));
  std::istringstream bad("a: [\n");
  EXPECT_FALSE(read_document_stream(bad, "stdin", &out, &error));
  EXPECT_EQ(error.rfind("stdin: line", 0), 0u) << error;
}

TEST(CliDocument, JsonIsTakenExactly) {
  EXPECT_EQ(doc(R"( {"a": "1", "b": [1.25, null]} )"), Json::parse(R"({"a":"1","b":[1.25,null]})"));
}

TEST(CliDocument, ErrorsNameTheLine) {
  Json out;
  std::string error;
  EXPECT_FALSE(parse_document("a: 1\nb: [\n", "f.yaml", &out, &error));
  EXPECT_EQ(error.rfind("f.yaml: line ", 0), 0u) << error;
  EXPECT_FALSE(parse_document("a: 1\na: 2\n", "f.yaml", &out, &error));
  EXPECT_NE(error.find("duplicate key 'a'"), std::string::npos) << error;
  EXPECT_NE(error.find("line 2"), std::string::npos) << error;
  EXPECT_FALSE(parse_document("? [1]\n: x\n", "f.yaml", &out, &error));
  EXPECT_NE(error.find("a key must be a scalar"), std::string::npos) << error;
  EXPECT_FALSE(
      parse_document("a: " + std::string(200, '[') + std::string(200, ']'), "deep", &out, &error));
  EXPECT_NE(error.find("nested too deeply"), std::string::npos) << error;
}

// ---------------------------------------------------------------------------------------------
// Help

TEST(CliHelp, EveryOptionOfEveryCommandIsListed) {
  const std::string all = main_help(command_table());
  for (const char* global : {"--socket PATH", "--json", "--timeout S", "--help", "--version"}) {
    EXPECT_NE(all.find(global), std::string::npos) << global;
  }
  EXPECT_NE(all.find("exit status"), std::string::npos);
  for (const auto& c : command_table()) {
    EXPECT_NE(all.find(synopsis(c)), std::string::npos) << synopsis(c);
    const std::string one = command_help(c);
    const std::string noun = noun_help(c.noun, command_table());
    for (const auto& o : c.options) {
      EXPECT_NE(one.find(o.name), std::string::npos) << c.command << " " << o.name;
      EXPECT_NE(noun.find(o.name), std::string::npos) << c.noun << " " << o.name;
      EXPECT_NE(all.find(o.name), std::string::npos) << o.name;
      EXPECT_FALSE(o.help.empty()) << o.name;
    }
    for (const auto& p : c.positionals) EXPECT_NE(one.find(p.name), std::string::npos);
  }
  EXPECT_EQ(synopsis(*parse({"vm", "bind", "--port", "p"}).spec),
            "vigilctl vm bind --port P [--mac M] [--ipv4 A]... [--ipv6 A]... [--clear-ipv4] "
            "[--clear-ipv6]");
  EXPECT_EQ(synopsis(*parse({"raw", "x"}).spec), "vigilctl raw COMMAND [JSON_ARGS]");
}

// ---------------------------------------------------------------------------------------------
// Rendering

std::string rendered(const std::string& command, const std::string& args,
                     const std::string& result) {
  std::ostringstream out;
  render(command, Json::parse(args), Json::parse(result), out);
  return out.str();
}

TEST(CliRender, TenantTable) {
  EXPECT_EQ(rendered("tenant.list", "{}",
                     R"([{"name":"blue","vlan":10,"vms":2,"policy":true},
                         {"name":"longername","vlan":200,"vms":0,"policy":false}])"),
            "NAME        VLAN  VMS  POLICY\n"
            "blue          10  2    yes\n"
            "longername   200  0    no\n");
  EXPECT_EQ(rendered("tenant.list", "{}", "[]"), "no tenants\n");
}

TEST(CliRender, VmTable) {
  EXPECT_EQ(rendered("vm.list", "{}",
                     R"([{"tenant":"blue","port":"vb1","mac":"02:00:00:00:0a:01",
                          "ipv4":["10.0.10.1","10.0.10.11"],"ipv6":[],"port_security":true,
                          "allow_dhcp_server":false,"allow_router_advertisement":false}])"),
            "TENANT  PORT  MAC                IPV4                   IPV6  PORT_SECURITY  "
            "DHCP_SERVER  ROUTER_ADV\n"
            "blue    vb1   02:00:00:00:0a:01  10.0.10.1, 10.0.10.11  -     yes            no"
            "           no\n");
}

TEST(CliRender, Policy) {
  EXPECT_EQ(rendered("policy.show", R"({"tenant":"blue"})",
                     R"({"present":true,"default":"deny","groups":{"web":["vb1","vb2"]},
                   "rules":[{"priority":100,"src":"web","dst":"vb3","proto":"tcp",
                             "dst_port":5432,"action":"allow"},
                            {"proto":"icmp","icmp_type":8,"icmp_code":0,"action":"allow"}]})"),
            "tenant: blue\n"
            "default: deny\n"
            "groups:\n"
            "  web: vb1, vb2\n"
            "rules:\n"
            "  #  PRIORITY  SRC  DST  PROTO  SRC_PORT  DST_PORT  ICMP  ACTION\n"
            "  0       100  web  vb3  tcp    -         5432      -     allow\n"
            "  1         -  -    -    icmp   -         -         8/0   allow\n");
  EXPECT_EQ(rendered("policy.show", R"({"tenant":"red"})", R"({"present":false})"),
            "tenant red: no policy (its traffic is not filtered)\n");
  EXPECT_EQ(rendered("policy.clear", R"({"tenant":"red"})", "{}"),
            "cleared the policy of tenant red (not filtered)\n");
}

TEST(CliRender, Stats) {
  EXPECT_EQ(rendered("stats.ports", "{}",
                     R"({"vb1":{"rx_packets":5,"rx_bytes":500,"tx_packets":7,"tx_bytes":700,
                                "drops":{"runt":1,"policy_deny":2},"link":"up"},
                         "vb2":{"rx_packets":0,"rx_bytes":0,"tx_packets":0,"tx_bytes":0,
                                "drops":{},"link":"down"}})"),
            "PORT  LINK  RX_PACKETS  RX_BYTES  TX_PACKETS  TX_BYTES  DROPS\n"
            "vb1   up             5       500           7       700      3\n"
            "vb2   down           0         0           0         0      0\n");
  EXPECT_EQ(rendered("stats.drops", "{}", R"({"runt":1,"policy_deny":20,"tx_full":0})"),
            "REASON       PACKETS\n"
            "policy_deny       20\n"
            "runt               1\n");
  EXPECT_EQ(rendered("stats.drops", "{}", R"({"runt":0})"), "no drops\n");
  EXPECT_EQ(rendered("stats.flows", "{}",
                     R"([{"tenant":"blue","proto":"udp","src":"10.0.10.1","sport":1000,
                          "dst":"10.0.10.2","dport":53,"packets":4,"bytes":400,
                          "state":"multiple"}])"),
            "TENANT  PROTO  SRC        SPORT  DST        DPORT  PACKETS  BYTES  STATE\n"
            "blue    udp    10.0.10.1   1000  10.0.10.2     53        4    400  multiple\n");
  EXPECT_EQ(rendered("stats.flows", "{}", "[]"), "no tracked connections\n");
  EXPECT_EQ(rendered("capture.list", "{}", "[]"), "no captures\n");
}

TEST(CliRender, GenericObjectsAndConfirmations) {
  EXPECT_EQ(rendered("status", "{}",
                     R"({"version":"0.1","workers":1,"ports":["a","b"],"ids":false,
                         "nested":{"x":1},"list":[{"k":1},{"k":22}]})"),
            "version: 0.1\n"
            "workers: 1\n"
            "ports: a, b\n"
            "ids: no\n"
            "list:\n"
            "   K\n"
            "   1\n"
            "  22\n"
            "nested:\n"
            "  x: 1\n");
  EXPECT_EQ(
      rendered("whoami", "{}", R"({"gid":5,"pid":6,"role":"operator","tenant":"blue","uid":4})"),
      "uid: 4\ngid: 5\npid: 6\nrole: operator\ntenant: blue\n");
  EXPECT_EQ(rendered("tenant.remove", R"({"name":"x"})", "{}"), "removed tenant x\n");
  EXPECT_EQ(rendered("vm.remove", R"({"port":"p"})", "{}"), "removed the VM of port p\n");
  EXPECT_EQ(rendered("capture.start", "{}", "{}"), "");
  // Shapes a renderer does not expect fall back to the generic form.
  EXPECT_EQ(rendered("tenant.list", "{}", R"({"odd":1})"), "odd: 1\n");
  EXPECT_EQ(rendered("stats.drops", "{}", R"({"r":{"x":1}})"), "r:\n  x: 1\n");
  EXPECT_EQ(rendered("whoami", "{}", "7"), "7\n");
}

}  // namespace
}  // namespace vigil::control::cli
