#include "dataplane/pipeline.h"

#include "dataplane/parse_stage.h"

namespace vigil {

Pipeline::Pipeline(const ParseLimits& limits, const TenancyMap& tenancy,
                   const PortSecurity& security, MacTable& macs, const LinkState& links,
                   rte_mempool* pool, const std::vector<TxQueueRef>& tx,
                   const FirewallContext* firewall, unsigned worker,
                   std::unique_ptr<BurstStage> inspector)
    : limits_(limits),
      tenancy_(tenancy),
      security_(security),
      inspector_(std::move(inspector)),
      worker_(worker),
      bridge_(tenancy, macs),
      tx_(tenancy, links, pool, tx, counters_) {
  if (firewall != nullptr) {
    firewall_ =
        std::make_unique<FirewallStage>(firewall->policy, *firewall->conns, firewall->filtered,
                                        firewall->vm_port, firewall->owners, counters_);
    conns_ = firewall->conns;
    conns_->register_worker(worker_);
  }
}

Pipeline::~Pipeline() {
  if (conns_ != nullptr) conns_->unregister_worker(worker_);
}

void Pipeline::process(PacketBatch& batch) {
  parse_batch(batch, limits_, counters_);
  tenancy_.classify(batch);
  security_.process(batch);
  if (firewall_) firewall_->process(batch);
  if (inspector_) inspector_->process(batch);
  bridge_.process(batch);
  tx_.process(batch);
  // Nothing of this burst's connection lookups is held past here.
  quiescent();
}

}  // namespace vigil
