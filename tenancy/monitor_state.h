// Everything the monitors remember about one VM (VSEM, VREM and HSEM state, the level-2 detail
// aggregate), and its JSON forms: the persisted / exported state (baselines, level, verdict,
// response, counters; times as elapsed seconds so they survive a restart) and the status view.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tenancy/hsem.h"
#include "tenancy/vrem.h"
#include "tenancy/vsem.h"

namespace vigil {

struct VmMonitorState {
  VsemState vsem;
  VremState vrem;
  HsemState hsem;
  DetailAggregate detail;  // level 2 only; not persisted (evidence of the moment)

  // Back to level 1: verdict, response and details forgotten, the baseline kept.
  void release() {
    vsem.level = 1;
    hsem = HsemState{};
    detail.clear();
  }
};

// Persisted form. Versioned ("version": 1); unknown keys are ignored.
nlohmann::json state_to_json(const VmMonitorState& st);
bool state_from_json(const nlohmann::json& j, VmMonitorState* out, std::string* error);

nlohmann::json response_to_json(const VmResponse& r);
nlohmann::json evidence_to_json(const std::vector<Evidence>& e);
nlohmann::json detections_to_json(const std::vector<Detection>& d);

// Status view of one VM (what `vigilctl monitor show` prints): level, verdict, detections,
// evidence, response, the last interval's metrics against their thresholds, workload figures.
nlohmann::json state_status(const VmMonitorState& st, const MonitorSettings& s);

}  // namespace vigil
