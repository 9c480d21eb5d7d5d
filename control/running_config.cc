// The running configuration and its commit pipeline (running_config.h).
#include "control/running_config.h"

#include <filesystem>
#include <set>

#include "control/command_error.h"
#include "control/control_types.h"
#include "control/yaml_json.h"

namespace vigil::control {
namespace {

std::string section_text(const YAML::Node& doc, const std::string& key) {
  const YAML::Node n = doc[key];
  return n ? emit_yaml(n) : std::string();
}

// The `control:` section with operator entries limited to tenants that exist in `tenants`.
YAML::Node control_for_tenants(const YAML::Node& control, const YAML::Node& tenants) {
  YAML::Node out = YAML::Clone(control);
  const YAML::Node ops = control["operators"];
  if (!ops || !ops.IsSequence()) return out;
  auto exists = [&](const YAML::Node& op) {
    const YAML::Node t = op["tenant"];
    if (!t || !t.IsScalar() || !tenants || !tenants.IsSequence()) return false;
    for (const YAML::Node& tenant : tenants) {
      const YAML::Node name = tenant["name"];
      if (name && name.IsScalar() && name.Scalar() == t.Scalar()) return true;
    }
    return false;
  };
  YAML::Node kept(YAML::NodeType::Sequence);
  for (const YAML::Node& op : ops) {
    if (exists(op)) kept.push_back(YAML::Clone(op));
  }
  // No operators left and none at all compare equal.
  if (kept.size() == 0) {
    out.remove("operators");
  } else {
    out["operators"] = kept;
  }
  return out;
}

}  // namespace

std::string fixed_section_change(const YAML::Node& running, const YAML::Node& next) {
  // Every top-level section but tenancy's is fixed, including sections added after this code.
  std::set<std::string> keys;
  for (const YAML::Node* doc : {&running, &next}) {
    if (!doc->IsMap()) continue;
    for (const auto& kv : *doc) keys.insert(kv.first.Scalar());
  }
  auto restart = [](const std::string& key) {
    return "the '" + key + "' section changes only by editing the config and restarting vigild";
  };
  for (const std::string& key : keys) {
    if (key == "tenants" || key == "cross_tenant" || key == "host") continue;
    const YAML::Node old_section = running[key];
    const YAML::Node new_section = next[key];
    if (key == "control" && old_section && new_section && old_section.IsMap() &&
        new_section.IsMap()) {
      // Removing a tenant takes its operators along; nothing else in `control:` may change.
      const YAML::Node tenants = next["tenants"];
      if (emit_yaml(control_for_tenants(old_section, tenants)) !=
          emit_yaml(control_for_tenants(new_section, tenants))) {
        return restart(key);
      }
    } else if (section_text(running, key) != section_text(next, key)) {
      return restart(key);
    }
  }
  return "";
}

RunningConfig::RunningConfig(StateStore store, const std::string& text, DataplaneControl& dataplane)
    : store_(std::move(store)), dataplane_(dataplane), text_(text) {
  base_dir_ = std::filesystem::absolute(store_.path()).parent_path().string();
  config_ = parse_config(text, store_.path(), base_dir_);
  config_.path = store_.path();
  doc_.reset(YAML::Load(text));  // parse_config accepted it: it loads
  canonical_ = canonical_yaml(doc_);
}

void RunningConfig::commit(const YAML::Node& next) {
  if (canonical_yaml(next) == canonical_) return;
  const std::string text = emit_yaml(next);

  Config config;
  try {
    // Relative paths resolve against the config's folder, as at startup; errors name the key.
    config = parse_config(text, store_.path() + " (as changed)", base_dir_);
  } catch (const ConfigError& e) {
    fail(code::kInvalid, e.what());
  }
  config.path = store_.path();
  // Judged, and kept, as the text will be read back (parse_config just read it).
  YAML::Node written = YAML::Load(text);
  if (const std::string why = fixed_section_change(doc_, written); !why.empty()) {
    fail(code::kInvalid, why);
  }

  std::string error;
  if (!store_.save(text, &error)) {
    // A failure after the rename (fsync of the directory) leaves the new file: put the old back.
    std::string now, ignored;
    if (store_.load(&now, &ignored) && now != text_) store_.save(text_, &ignored);
    fail(code::kInternal, "cannot save the configuration (" + error + "); nothing changed");
  }
  if (!dataplane_.apply(config, &error)) {
    std::string restore_error;
    if (!store_.save(text_, &restore_error)) {
      fail(code::kInternal, "the dataplane refused the change (" + error + "), and restoring " +
                                store_.path() + " failed (" + restore_error +
                                "): the file holds the refused change");
    }
    fail(code::kInternal, "the dataplane refused the change (" + error + "); nothing changed");
  }
  // reset(), not operator=: assignment would merge the old document's memory into the new one.
  doc_.reset(written);
  config_ = std::move(config);
  text_ = text;
  canonical_ = canonical_yaml(doc_);
}

}  // namespace vigil::control
