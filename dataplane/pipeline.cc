#include "dataplane/pipeline.h"

#include "dataplane/parse_stage.h"

namespace vigil {

Pipeline::Pipeline(const ParseLimits& limits, const TenancyMap& tenancy,
                   const PortSecurity& security, MacTable& macs, const LinkState& links,
                   rte_mempool* pool, const std::vector<TxQueueRef>& tx)
    : limits_(limits),
      tenancy_(tenancy),
      security_(security),
      bridge_(tenancy, macs),
      tx_(tenancy, links, pool, tx, counters_) {}

void Pipeline::process(PacketBatch& batch) {
  parse_batch(batch, limits_, counters_);
  tenancy_.classify(batch);
  security_.process(batch);
  bridge_.process(batch);
  tx_.process(batch);
}

}  // namespace vigil
