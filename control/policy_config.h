// Reads a tenant's `groups:` and `policy:` (README "Firewall policy") into its TenantSpec.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "control/config_reader.h"
#include "tenancy/tenant_spec.h"

namespace vigil {

// `tenant` is the tenant's YAML mapping, `where` its key path ("tenants[0]"); the tenant's VMs
// must already be in `spec` (rules name them). Throws ConfigError naming the line and key.
// Reads the top-level `cross_tenant:` rules (after the tenants and their groups).
void read_cross_tenant(const detail::Reader& r, const YAML::Node& node, TenancySpec& spec);

void read_tenant_policy(const detail::Reader& r, const YAML::Node& tenant, const std::string& where,
                        TenantSpec& spec);

}  // namespace vigil
