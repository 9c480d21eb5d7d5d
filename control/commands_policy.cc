// policy.show, policy.replace, policy.add_rule, policy.remove_rule, policy.clear (PROTOCOL.md).
// Policies travel in the config's YAML shape (README "Firewall policy"): `default` and `rules`
// are the tenant's `policy:`, `groups` its `groups:`.
#include "control/commands.h"
#include "control/yaml_json.h"

namespace vigil::control {
namespace {

Json policy_json(const YAML::Node& tenant) {
  const YAML::Node policy = tenant["policy"];
  const YAML::Node groups = tenant["groups"];
  const std::string def = scalar_at(policy, "default");
  return Json{{"present", bool(policy)},
              {"default", def.empty() ? "allow" : def},
              {"groups", groups ? yaml_to_json(groups) : Json::object()},
              {"rules", policy && policy["rules"] ? yaml_to_json(policy["rules"]) : Json::array()}};
}

Json shown(Context& c, const std::string& tenant) {
  const YAML::Node& doc = c.running.document();
  return policy_json(doc["tenants"][tenant_index(doc, tenant)]);
}

YAML::Node to_yaml(const Json& value, const char* arg) {
  try {
    return json_to_yaml(value);
  } catch (const std::invalid_argument& e) {
    fail(code::kBadRequest, std::string("argument '") + arg + "' is " + e.what());
  }
}

// The tenant's `policy:` mapping in `doc`, created (empty: allow all) when absent.
YAML::Node policy_of(YAML::Node tenant) {
  YAML::Node policy = tenant["policy"];
  if (policy && policy.IsMap()) return policy;
  tenant["policy"] = YAML::Node(YAML::NodeType::Map);
  return tenant["policy"];
}

}  // namespace

Json cmd_policy_show(Context& c) {
  return shown(c, c.scope(true));
}

Json cmd_policy_replace(Context& c) {
  const std::string name = c.scope(true);
  const Json& given = c.args.object("policy");
  YAML::Node doc = c.running.copy();
  YAML::Node tenant = doc["tenants"][tenant_index(doc, name)];
  // Both parts are replaced together; what is not given is gone.
  tenant.remove("groups");
  tenant.remove("policy");
  YAML::Node policy(YAML::NodeType::Map);
  // policy.show's output is accepted as it is: `present: false` means no policy.
  const bool present = !given.contains("present") || given.at("present") != false;
  for (const auto& [key, value] : given.items()) {
    if (key == "present" && value.is_boolean()) continue;
    if (key == "groups") {
      if (!value.is_object() || !value.empty()) tenant["groups"] = to_yaml(value, "policy");
    } else {
      // Unknown keys go along: the config check names them.
      policy[key] = to_yaml(value, "policy");
    }
  }
  if (present) tenant["policy"] = policy;
  c.running.commit(doc);
  return shown(c, name);
}

Json cmd_policy_add_rule(Context& c) {
  const std::string name = c.scope(true);
  const YAML::Node rule = to_yaml(c.args.object("rule"), "rule");
  YAML::Node doc = c.running.copy();
  YAML::Node policy = policy_of(doc["tenants"][tenant_index(doc, name)]);
  const YAML::Node old_rules = policy["rules"];
  const std::size_t count = old_rules && old_rules.IsSequence() ? old_rules.size() : 0;
  const auto position =
      c.args.opt_integer("position", 0, static_cast<int64_t>(count)).value_or(count);
  YAML::Node rules(YAML::NodeType::Sequence);
  for (std::size_t i = 0; i <= count; ++i) {
    if (i == static_cast<std::size_t>(position)) rules.push_back(rule);
    if (i < count) rules.push_back(old_rules[i]);
  }
  policy["rules"] = rules;
  c.running.commit(doc);
  return shown(c, name);
}

Json cmd_policy_remove_rule(Context& c) {
  const std::string name = c.scope(true);
  const int64_t index = c.args.integer("index", INT64_MIN, INT64_MAX);
  YAML::Node doc = c.running.copy();
  YAML::Node tenant = doc["tenants"][tenant_index(doc, name)];
  YAML::Node policy = tenant["policy"];
  const YAML::Node old_rules = policy ? policy["rules"] : YAML::Node(YAML::NodeType::Undefined);
  const int64_t count =
      old_rules && old_rules.IsSequence() ? static_cast<int64_t>(old_rules.size()) : 0;
  if (index < 0 || index >= count) {
    fail(code::kNotFound, "tenant '" + name + "' has no rule " + std::to_string(index) + " (" +
                              std::to_string(count) + " rules)");
  }
  YAML::Node rules(YAML::NodeType::Sequence);
  for (int64_t i = 0; i < count; ++i) {
    if (i != index) rules.push_back(old_rules[static_cast<std::size_t>(i)]);
  }
  if (rules.size() == 0) {
    policy.remove("rules");
  } else {
    policy["rules"] = rules;
  }
  c.running.commit(doc);
  return shown(c, name);
}

Json cmd_policy_clear(Context& c) {
  const std::string name = c.scope(true);
  YAML::Node doc = c.running.copy();
  YAML::Node tenant = doc["tenants"][tenant_index(doc, name)];
  // Groups stay: cross-tenant rules may name them, and without a policy they filter nothing.
  tenant.remove("policy");
  c.running.commit(doc);
  return Json::object();
}

}  // namespace vigil::control
