// identify() (control/access.h): roles from peer credentials, with an injected group database.
#include "control/access.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace vigil::control {
namespace {

// A group database of a few users: uid -> supplementary gids, and group names.
struct FakeGroups {
  std::map<uid_t, std::vector<gid_t>> members{
      {1001, {1001, 27, 500}}, {1002, {1002}}, {1003, {1003, 600}}};
  std::map<std::string, gid_t> names{{"sudo", 27}, {"vigil-admin", 500}, {"blue-ops", 600}};
  int membership_lookups = 0;

  GroupDirectory directory() {
    return GroupDirectory{[this](uid_t uid, gid_t) {
                            ++membership_lookups;
                            const auto it = members.find(uid);
                            return it == members.end() ? std::vector<gid_t>{} : it->second;
                          },
                          [this](const std::string& name) -> std::optional<gid_t> {
                            const auto it = names.find(name);
                            if (it == names.end()) return std::nullopt;
                            return it->second;
                          }};
  }
};

Peer peer(uid_t uid, gid_t gid) {
  return Peer{uid, gid, 4242};
}

OperatorSpec op(std::string tenant, std::vector<uid_t> uids, std::vector<std::string> groups) {
  OperatorSpec o;
  o.tenant = std::move(tenant);
  o.who.uids = std::move(uids);
  o.who.groups = std::move(groups);
  return o;
}

TEST(Access, RootIsAlwaysAdmin) {
  FakeGroups g;
  const Identity id = identify(peer(0, 0), ControlSettings{}, g.directory());
  EXPECT_EQ(id.role, Role::kAdmin);
  EXPECT_EQ(id.peer.pid, 4242);
  EXPECT_TRUE(id.tenant.empty());
}

TEST(Access, AdminByUid) {
  FakeGroups g;
  ControlSettings s;
  s.admins.uids = {1002};
  EXPECT_EQ(identify(peer(1002, 1002), s, g.directory()).role, Role::kAdmin);
  EXPECT_EQ(identify(peer(1001, 1001), s, g.directory()).role, Role::kNone);
}

TEST(Access, AdminBySupplementaryGroupName) {
  FakeGroups g;
  ControlSettings s;
  s.admins.groups = {"vigil-admin"};
  EXPECT_EQ(identify(peer(1001, 1001), s, g.directory()).role, Role::kAdmin);
  EXPECT_EQ(identify(peer(1002, 1002), s, g.directory()).role, Role::kNone);
}

TEST(Access, AdminByNumericGidIncludingThePeersOwnGid) {
  FakeGroups g;
  ControlSettings s;
  s.admins.groups = {"27"};
  EXPECT_EQ(identify(peer(1001, 1001), s, g.directory()).role, Role::kAdmin);
  // A uid unknown to the database still has the gid the socket reports.
  EXPECT_EQ(identify(peer(2000, 27), s, g.directory()).role, Role::kAdmin);
  EXPECT_EQ(identify(peer(2000, 28), s, g.directory()).role, Role::kNone);
}

TEST(Access, OperatorByUidAndByGroup) {
  FakeGroups g;
  ControlSettings s;
  s.operators = {op("red", {1002}, {}), op("blue", {}, {"blue-ops"})};
  Identity red = identify(peer(1002, 1002), s, g.directory());
  EXPECT_EQ(red.role, Role::kOperator);
  EXPECT_EQ(red.tenant, "red");
  Identity blue = identify(peer(1003, 1003), s, g.directory());
  EXPECT_EQ(blue.role, Role::kOperator);
  EXPECT_EQ(blue.tenant, "blue");
}

TEST(Access, FirstMatchingOperatorEntryWinsAndAdminBeatsOperator) {
  FakeGroups g;
  ControlSettings s;
  s.operators = {op("blue", {}, {"600"}), op("red", {1003}, {})};
  EXPECT_EQ(identify(peer(1003, 1003), s, g.directory()).tenant, "blue");
  s.admins.uids = {1003};
  const Identity id = identify(peer(1003, 1003), s, g.directory());
  EXPECT_EQ(id.role, Role::kAdmin);
  EXPECT_TRUE(id.tenant.empty());
}

TEST(Access, NobodyElseHasARole) {
  FakeGroups g;
  ControlSettings s;
  s.admins = {{1}, {"sudo"}};
  s.operators = {op("blue", {7}, {"blue-ops"})};
  const Identity id = identify(peer(1002, 1002), s, g.directory());
  EXPECT_EQ(id.role, Role::kNone);
  EXPECT_TRUE(id.tenant.empty());
  EXPECT_STREQ(role_name(id.role), "none");
}

TEST(Access, UnknownGroupNamesMatchNobody) {
  FakeGroups g;
  ControlSettings s;
  s.admins.groups = {"no-such-group", "", "99999999999", "12x"};
  EXPECT_EQ(identify(peer(1001, 1001), s, g.directory()).role, Role::kNone);
}

TEST(Access, GroupsAreLookedUpOnlyWhenNeededAndOnce) {
  FakeGroups g;
  ControlSettings s;
  s.admins.uids = {5};
  s.operators = {op("red", {1001}, {})};
  EXPECT_EQ(identify(peer(1001, 1001), s, g.directory()).role, Role::kOperator);
  EXPECT_EQ(g.membership_lookups, 0);
  s.admins.groups = {"sudo-not", "31337"};
  s.operators = {op("red", {}, {"1"}), op("blue", {}, {"blue-ops"})};
  EXPECT_EQ(identify(peer(1003, 1003), s, g.directory()).tenant, "blue");
  EXPECT_EQ(g.membership_lookups, 1);
}

TEST(Access, SystemGroupsKnowTheCurrentUser) {
  const std::vector<gid_t> gids = system_groups().groups_of(getuid(), getgid());
  EXPECT_NE(std::find(gids.begin(), gids.end(), getgid()), gids.end());
  EXPECT_EQ(system_groups().gid_of("root"), std::optional<gid_t>(0));
  EXPECT_EQ(system_groups().gid_of("no-such-group-vigil"), std::nullopt);
  ControlSettings s;
  s.admins.groups = {std::to_string(getgid())};
  EXPECT_EQ(identify(peer(getuid() == 0 ? 4321 : getuid(), getgid()), s).role, Role::kAdmin);
}

TEST(ControlTypes, RoleNamesAndResponses) {
  EXPECT_STREQ(role_name(Role::kAdmin), "admin");
  EXPECT_STREQ(role_name(Role::kOperator), "operator");
  EXPECT_EQ(Response::success(7, Json{{"a", 1}}).to_json(),
            Json::parse(R"({"id":7,"ok":true,"result":{"a":1}})"));
  EXPECT_EQ(Response::success("x", Json()).to_json(),
            Json::parse(R"({"id":"x","ok":true,"result":{}})"));
  EXPECT_EQ(Response::success(1, Json::array()).to_json()["result"], Json::array());
  EXPECT_EQ(Response::failure(nullptr, code::kForbidden, "no").to_json(),
            Json::parse(R"({"id":null,"ok":false,"error":{"code":"forbidden","message":"no"}})"));
}

}  // namespace
}  // namespace vigil::control
