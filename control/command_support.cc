// What the command files share (commands.h): argument access, tenant scoping, lookups.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

#include "control/commands.h"

namespace vigil::control {
namespace {

[[noreturn]] void bad_arg(const char* name, const std::string& what) {
  fail(code::kBadRequest, std::string("argument '") + name + "' " + what);
}

}  // namespace

bool Args::has(const char* name) const {
  return args_.is_object() && args_.contains(name) && !args_.at(name).is_null();
}

const Json& Args::raw(const char* name) const {
  static const Json null;
  return has(name) ? args_.at(name) : null;
}

std::string Args::text(const char* name) const {
  if (!has(name)) bad_arg(name, "is missing");
  const auto value = opt_text(name);
  if (value->empty()) bad_arg(name, "is empty");
  return *value;
}

std::optional<std::string> Args::opt_text(const char* name) const {
  if (!has(name)) return std::nullopt;
  const Json& v = args_.at(name);
  if (!v.is_string()) bad_arg(name, "must be a string");
  return v.get<std::string>();
}

int64_t Args::integer(const char* name, int64_t lo, int64_t hi) const {
  if (!has(name)) bad_arg(name, "is missing");
  return *opt_integer(name, lo, hi);
}

std::optional<int64_t> Args::opt_integer(const char* name, int64_t lo, int64_t hi) const {
  if (!has(name)) return std::nullopt;
  const Json& v = args_.at(name);
  if (!v.is_number_integer()) bad_arg(name, "must be a whole number");
  // Unsigned values past int64 are out of any range we take.
  const int64_t n = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)
                        ? INT64_MAX
                        : v.get<int64_t>();
  if (n < lo || n > hi) {
    bad_arg(name, "is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return n;
}

std::optional<bool> Args::opt_flag(const char* name) const {
  if (!has(name)) return std::nullopt;
  const Json& v = args_.at(name);
  if (!v.is_boolean()) bad_arg(name, "must be true or false");
  return v.get<bool>();
}

std::optional<std::vector<std::string>> Args::opt_texts(const char* name) const {
  if (!has(name)) return std::nullopt;
  const Json& v = args_.at(name);
  if (!v.is_array()) bad_arg(name, "must be a list of strings");
  std::vector<std::string> out;
  for (const Json& item : v) {
    if (!item.is_string()) bad_arg(name, "must be a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

const Json& Args::object(const char* name) const {
  if (!has(name)) bad_arg(name, "is missing");
  const Json& v = args_.at(name);
  if (!v.is_object()) bad_arg(name, "must be an object");
  return v;
}

void Context::check_tenant(const std::string& tenant) const {
  if (who.role == Role::kOperator && tenant != who.tenant) {
    fail(code::kForbidden,
         "operator of tenant " + who.tenant + " may not run " + command + " on tenant " + tenant);
  }
}

std::string Context::scope(bool required) const {
  std::string tenant;
  if (args.has("tenant")) {
    tenant = args.text("tenant");
    check_tenant(tenant);
  } else if (who.role == Role::kOperator) {
    tenant = who.tenant;
  } else if (required) {
    args.text("tenant");  // throws: missing
  }
  if (!tenant.empty() && find_tenant(running.config(), tenant) == nullptr) {
    fail(code::kNotFound, "no tenant '" + tenant + "'");
  }
  return tenant;
}

const TenantSpec* find_tenant(const Config& config, const std::string& name) {
  for (const TenantSpec& t : config.tenancy.tenants) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const TenantSpec* tenant_of_port(const Config& config, const std::string& port) {
  for (const TenantSpec& t : config.tenancy.tenants) {
    if (find_vm(t, port) != nullptr) return &t;
  }
  return nullptr;
}

const VmSpec* find_vm(const TenantSpec& tenant, const std::string& port) {
  for (const VmSpec& vm : tenant.vms) {
    if (vm.port == port) return &vm;
  }
  return nullptr;
}

std::size_t tenant_index(const YAML::Node& doc, const std::string& name) {
  const YAML::Node tenants = doc["tenants"];
  for (std::size_t i = 0; tenants && tenants.IsSequence() && i < tenants.size(); ++i) {
    if (scalar_at(tenants[i], "name") == name) return i;
  }
  fail(code::kNotFound, "no tenant '" + name + "'");
}

std::vector<std::string> tenant_ports(const Config& config, const TenantSpec& tenant) {
  std::vector<std::string> out;
  for (const VmSpec& vm : tenant.vms) out.push_back(vm.port);
  for (const TrunkSpec& trunk : config.tenancy.trunks) {
    if (trunk.allowed.empty() ||
        std::find(trunk.allowed.begin(), trunk.allowed.end(), tenant.name) != trunk.allowed.end()) {
      out.push_back(trunk.port);
    }
  }
  return out;
}

std::string scalar_at(const YAML::Node& node, const char* key) {
  if (!node || !node.IsMap()) return "";
  const YAML::Node v = node[key];
  return v && v.IsScalar() ? v.Scalar() : "";
}

Json vm_json(const VmSpec& vm) {
  char mac[18];
  std::snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", vm.mac[0], vm.mac[1], vm.mac[2],
                vm.mac[3], vm.mac[4], vm.mac[5]);
  Json v4 = Json::array();
  Json v6 = Json::array();
  char buf[INET6_ADDRSTRLEN];
  for (const auto& a : vm.ipv4) v4.push_back(inet_ntop(AF_INET, a.data(), buf, sizeof buf));
  for (const auto& a : vm.ipv6) v6.push_back(inet_ntop(AF_INET6, a.data(), buf, sizeof buf));
  return Json{{"port", vm.port},
              {"mac", mac},
              {"ipv4", v4},
              {"ipv6", v6},
              {"port_security", vm.port_security},
              {"allow_dhcp_server", vm.allow_dhcp_server},
              {"allow_router_advertisement", vm.allow_router_advertisement}};
}

}  // namespace vigil::control
