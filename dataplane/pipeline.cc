#include "dataplane/pipeline.h"

#include "dataplane/parse_stage.h"

namespace vigil {

Pipeline::Pipeline(const PipelineConfig& config, const TenancyMap& tenancy, rte_mempool* pool,
                   const std::vector<uint16_t>& port_ids, uint16_t tx_queue)
    : limits_(config.limits),
      tenancy_(tenancy),
      macs_(config.mac_table_size, config.mac_aging_us),
      bridge_(tenancy, macs_),
      tx_(tenancy, pool, port_ids, tx_queue, counters_) {}

void Pipeline::process(PacketBatch& batch) {
  parse_batch(batch, limits_, counters_);
  tenancy_.classify(batch);
  bridge_.process(batch);
  tx_.process(batch);
}

}  // namespace vigil
