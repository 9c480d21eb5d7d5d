// A stage the pipeline runs over each burst without knowing its type: the IDS (ids/ids_stage.h),
// which builds on the dataplane rather than the other way round. One virtual call per burst,
// never per packet.
#pragma once

#include "dataplane/packet_batch.h"

namespace vigil {

class BurstStage {
 public:
  virtual ~BurstStage() = default;
  virtual void process(PacketBatch& batch) = 0;
  // Between polling rounds: the stage holds nothing shared (RCU quiescent state).
  virtual void quiescent() = 0;
  // The worker stops polling for good: nothing should wait for its quiescent states.
  virtual void offline() {}
};

}  // namespace vigil
