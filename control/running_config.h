// The control service's running configuration: the config file's YAML document, the Config parsed
// from it, and the one way to change them (commit): validate the whole edited document as vigild
// does at startup, refuse changes outside tenancy, persist atomically, apply to the dataplane,
// and only then make it the running state. Every failure leaves file, dataplane and state as
// they were.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "control/config.h"
#include "control/dataplane_control.h"
#include "control/state_store.h"

namespace vigil::control {

class RunningConfig {
 public:
  // `text` is the config file's content as vigild loaded it. Throws ConfigError when invalid.
  RunningConfig(StateStore store, const std::string& text, DataplaneControl& dataplane);

  const YAML::Node& document() const { return doc_; }
  const Config& config() const { return config_; }
  const std::string& path() const { return store_.path(); }
  // The file's content as last loaded or written.
  const std::string& text() const { return text_; }

  // A deep copy of the running document, for a command to edit and commit.
  YAML::Node copy() const { return YAML::Clone(doc_); }

  // Makes `next` the running configuration. Throws CommandError: `invalid` (parse_config's
  // message, or a change outside tenancy), `internal` (cannot persist; dataplane refused).
  // A `next` equal to the running document (key order aside) is accepted without writing
  // anything.
  void commit(const YAML::Node& next);

 private:
  StateStore store_;
  DataplaneControl& dataplane_;
  std::string base_dir_;
  YAML::Node doc_;
  Config config_;
  std::string text_;       // the file's content
  std::string canonical_;  // canonical_yaml(doc_), to recognise no-op edits
};

// Sections of the config that only a restart may change: all but tenants, cross_tenant and host
// (and a removed tenant's operators in `control:`), which are what control commands edit. Empty
// when `next` respects that, else a message naming the section.
std::string fixed_section_change(const YAML::Node& running, const YAML::Node& next);

}  // namespace vigil::control
