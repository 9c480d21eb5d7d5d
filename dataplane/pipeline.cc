#include "dataplane/pipeline.h"

#include "dataplane/parse_stage.h"

namespace vigil {

Pipeline::Pipeline(const ParseLimits& limits, const std::atomic<const SwitchState*>& state,
                   ConnTable& conns, MacTable& macs, const LinkState& links, rte_mempool* pool,
                   const std::vector<TxQueueRef>& tx, unsigned worker, PipelineExtras extras)
    : limits_(limits),
      state_(state),
      current_(state.load(std::memory_order_acquire)),
      conns_(conns),
      firewall_(conns, counters_),
      inspector_(std::move(extras.inspector)),
      capture_(extras.capture),
      responses_(extras.responses ? std::make_unique<ResponseStage>(*extras.responses) : nullptr),
      tap_(extras.tap),
      worker_(worker),
      bridge_(*current_->tenancy, macs),
      tx_(*current_->tenancy, links, pool, tx, counters_) {
  conns_.register_worker(worker_);
  current_ = nullptr;
  adopt(state.load(std::memory_order_acquire));
}

Pipeline::~Pipeline() {
  conns_.unregister_worker(worker_);
}

void Pipeline::adopt(const SwitchState* s) {
  if (s == current_) return;
  current_ = s;
  bridge_.use(*s->tenancy);
  tx_.use(*s->tenancy);
  firewall_.use(FirewallPolicyView{s->policy.get(), &s->filtered, &s->vm_port,
                                   s->cross_tenant ? s->owners.get() : nullptr});
}

void Pipeline::process(PacketBatch& batch) {
  adopt(state_.load(std::memory_order_acquire));
  const SwitchState& s = *current_;
  parse_batch(batch, limits_, counters_);
  s.tenancy->classify(batch);
  s.security->process(batch);
  if (responses_) responses_->process(batch);
  firewall_.process(batch);
  if (inspector_) inspector_->process(batch);
  bridge_.process(batch);
  if (tap_ != nullptr) tap_->observe(batch, s);
  if (capture_ != nullptr) capture_->tap(batch, *s.tenancy);
  tx_.process(batch);
  // Nothing of this burst's lookups (connections, the snapshot) is held past here.
  quiescent();
}

}  // namespace vigil
