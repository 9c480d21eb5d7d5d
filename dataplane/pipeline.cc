#include "dataplane/pipeline.h"

#include "dataplane/parse_stage.h"

namespace vigil {

Pipeline::Pipeline(const ParseLimits& limits, const TenancyMap& tenancy, MacTable& macs,
                   rte_mempool* pool, const std::vector<TxQueueRef>& tx)
    : limits_(limits),
      tenancy_(tenancy),
      bridge_(tenancy, macs),
      tx_(tenancy, pool, tx, counters_) {}

void Pipeline::process(PacketBatch& batch) {
  parse_batch(batch, limits_, counters_);
  tenancy_.classify(batch);
  bridge_.process(batch);
  tx_.process(batch);
}

}  // namespace vigil
