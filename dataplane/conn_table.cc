#include "dataplane/conn_table.h"

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace vigil {
namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmpv6 = 58;

// Bytes allocated from DPDK's heap on this socket: rte_hash and RCU state live there.
size_t dpdk_heap_bytes() {
  rte_malloc_socket_stats stats{};
  rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &stats);
  return stats.heap_allocsz_bytes;
}

}  // namespace

ConnKey make_conn_key(uint16_t tenant, uint8_t family, uint8_t proto, const uint8_t* src,
                      const uint8_t* dst, uint16_t sport, uint16_t dport, bool* src_is_lo) {
  ConnKey k;
  std::memset(&k, 0, sizeof k);
  const size_t len = family == 4 ? 4 : 16;
  const int cmp = std::memcmp(src, dst, len);
  const bool lo = cmp < 0 || (cmp == 0 && sport <= dport);
  std::memcpy(k.addr_lo, lo ? src : dst, len);
  std::memcpy(k.addr_hi, lo ? dst : src, len);
  k.port_lo = lo ? sport : dport;
  k.port_hi = lo ? dport : sport;
  k.tenant = tenant;
  k.proto = proto;
  k.family = family;
  if (src_is_lo) *src_is_lo = lo;
  return k;
}

ConnTable::ConnTable(const std::string& name, uint32_t capacity, unsigned max_workers,
                     const ConnLimits& limits, const ConnTimeouts& timeouts)
    : capacity_(capacity), limits_(limits), timeouts_(timeouts) {
  const size_t heap_before = dpdk_heap_bytes();
  rte_hash_parameters params{};
  params.name = name.c_str();
  params.entries = capacity;
  params.key_len = sizeof(ConnKey);
  params.hash_func = rte_hash_crc;
  params.socket_id = static_cast<int>(rte_socket_id());
  params.extra_flag =
      RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
  hash_ = rte_hash_create(&params);
  if (hash_ == nullptr) {
    throw std::runtime_error("cannot create connection table: " +
                             std::string(rte_strerror(rte_errno)));
  }
  const size_t rcu_size = rte_rcu_qsbr_get_memsize(max_workers);
  rcu_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("conn_rcu", rcu_size, RTE_CACHE_LINE_SIZE));
  if (rcu_ == nullptr || rte_rcu_qsbr_init(rcu_, max_workers) != 0) {
    throw std::runtime_error("cannot create the connection table's RCU state");
  }
  // Defer-queue mode: a deleted key's slot is queued and reused only after every worker has
  // since reported a quiescent state, so no worker ever reads a recycled entry, and nobody
  // waits (a synchronous wait would hold rte_hash's writer lock against the workers' inserts).
  rte_hash_rcu_config rcu_config{};
  rcu_config.v = rcu_;
  rcu_config.mode = RTE_HASH_QSBR_MODE_DQ;  // reclaimed as deletes queue up and when adds run short
  if (rte_hash_rcu_qsbr_add(hash_, &rcu_config) != 0) {
    throw std::runtime_error("cannot attach RCU to the connection table");
  }
  // rte_hash may hold a few more keys than asked; size the entries after its positions.
  const size_t entries = static_cast<size_t>(rte_hash_max_key_id(hash_)) + 1;
  conns_ = std::make_unique<Conn[]>(entries);
  slots_ = static_cast<uint32_t>(entries);
  memory_bytes_ = dpdk_heap_bytes() - heap_before + entries * sizeof(Conn);
  for (uint32_t i = 0; i <= static_cast<uint32_t>(rte_hash_max_key_id(hash_)); ++i) {
    rte_spinlock_init(&conns_[i].lock);
  }
}

ConnTable::~ConnTable() {
  rte_hash_free(hash_);
  rte_free(rcu_);
}

void ConnTable::register_worker(unsigned id) {
  rte_rcu_qsbr_thread_register(rcu_, id);
  rte_rcu_qsbr_thread_online(rcu_, id);
}

void ConnTable::unregister_worker(unsigned id) {
  rte_rcu_qsbr_thread_offline(rcu_, id);
  rte_rcu_qsbr_thread_unregister(rcu_, id);
}

void ConnTable::quiescent(unsigned id) {
  rte_rcu_qsbr_quiescent(rcu_, id);
}

void ConnTable::offline(unsigned id) {
  rte_rcu_qsbr_thread_offline(rcu_, id);
}

void ConnTable::synchronize() {
  rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
}

Conn* ConnTable::find(const ConnKey& key) const {
  const int32_t pos = rte_hash_lookup(hash_, &key);
  if (pos < 0) return nullptr;
  Conn* c = &conns_[pos];
  // An entry being torn down or not yet set up reads as absent; the caller re-checks under lock.
  return c->in_use ? c : nullptr;
}

bool ConnTable::take_rate_token(uint16_t port, uint64_t now_us) {
  if (limits_.per_vm_new_per_second == 0) return true;
  const uint64_t second = now_us / 1'000'000;
  std::atomic<uint64_t>& window = rate_window_[port];
  uint64_t old = window.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t opened = (old >> 32) == second ? (old & 0xffffffff) : 0;
    if (opened >= limits_.per_vm_new_per_second) return false;
    if (window.compare_exchange_weak(old, second << 32 | (opened + 1), std::memory_order_relaxed)) {
      return true;
    }
  }
}

Conn* ConnTable::create(const ConnKey& key, uint8_t src_side, uint16_t owner, uint64_t now_us,
                        ConnRefusal* refusal, bool limited) {
  *refusal = ConnRefusal::kNone;
  if (Conn* existing = find(key)) return existing;
  if (limited && limits_.per_vm_connections != 0 &&
      per_vm_[owner].load(std::memory_order_relaxed) >= limits_.per_vm_connections) {
    vm_limit_.fetch_add(1, std::memory_order_relaxed);
    *refusal = ConnRefusal::kVmConnectionLimit;
    return nullptr;
  }
  if (limited && !take_rate_token(owner, now_us)) {
    vm_rate_.fetch_add(1, std::memory_order_relaxed);
    *refusal = ConnRefusal::kVmRateLimit;
    return nullptr;
  }
  const int32_t pos = rte_hash_add_key(hash_, &key);
  if (pos < 0) {
    table_full_.fetch_add(1, std::memory_order_relaxed);
    *refusal = ConnRefusal::kTableFull;
    return nullptr;
  }
  Conn* c = &conns_[pos];
  rte_spinlock_lock(&c->lock);
  // Another worker may have created the same connection a moment ago (simultaneous open).
  if (!c->in_use || !(c->key == key)) {
    c->key = key;
    c->origin = src_side;
    c->verdict = 0;
    c->replied = false;
    c->owner = owner;
    c->rule = 0;
    c->generation++;
    c->tcp = TcpConn{};
    c->last_seen_us.store(now_us, std::memory_order_relaxed);
    c->in_use = true;
    per_vm_[owner].fetch_add(1, std::memory_order_relaxed);
    live_.fetch_add(1, std::memory_order_relaxed);
    created_.fetch_add(1, std::memory_order_relaxed);
  }
  rte_spinlock_unlock(&c->lock);
  return c;
}

void ConnTable::restart(Conn* c, uint8_t src_side, uint64_t now_us) {
  // Called with c->lock held by the worker handling the reopening SYN.
  c->origin = src_side;
  c->verdict = 0;
  c->replied = false;
  c->rule = 0;
  c->generation++;
  c->tcp = TcpConn{};
  c->last_seen_us.store(now_us, std::memory_order_relaxed);
}

void ConnTable::expire(Conn* c) {
  rte_spinlock_lock(&c->lock);
  const bool was = c->in_use.exchange(false);
  const ConnKey key = c->key;
  if (was && expire_hook_) expire_hook_(index_of(c));
  rte_spinlock_unlock(&c->lock);
  if (!was) return;
  per_vm_[c->owner].fetch_sub(1, std::memory_order_relaxed);
  live_.fetch_sub(1, std::memory_order_relaxed);
  rte_hash_del_key(hash_, &key);
}

uint32_t ConnTable::idle_timeout_s(const Conn& c) const {
  switch (c.key.proto) {
    case kProtoTcp:
      return tcp_timeout_s(c.tcp.state, timeouts_.tcp);
    case kProtoUdp:
      return c.replied ? timeouts_.udp_multiple : timeouts_.udp_first;
    case kProtoIcmp:
    case kProtoIcmpv6:
      return c.replied ? timeouts_.icmp_reply : timeouts_.icmp_first;
    default:
      return c.replied ? timeouts_.other_multiple : timeouts_.other_first;
  }
}

uint32_t ConnTable::sweep(uint64_t now_us) {
  std::vector<Conn*> idle;
  const void* key;
  void* data;
  uint32_t next = 0;
  int32_t pos;
  while ((pos = rte_hash_iterate(hash_, &key, &data, &next)) >= 0) {
    Conn& c = conns_[pos];
    if (!c.in_use) continue;
    const uint64_t last = c.last_seen_us.load(std::memory_order_relaxed);
    if (now_us > last && now_us - last > uint64_t(idle_timeout_s(c)) * 1'000'000) {
      idle.push_back(&c);
    }
  }
  for (Conn* c : idle) expire(c);
  expired_.fetch_add(idle.size(), std::memory_order_relaxed);
  return static_cast<uint32_t>(idle.size());
}

void ConnTable::for_each(const std::function<void(const Conn&)>& fn) const {
  const void* key;
  void* data;
  uint32_t next = 0;
  int32_t pos;
  while ((pos = rte_hash_iterate(hash_, &key, &data, &next)) >= 0) {
    Conn& c = conns_[pos];
    rte_spinlock_lock(&c.lock);
    if (c.in_use) fn(c);  // under the entry's lock: a consistent view, held briefly
    rte_spinlock_unlock(&c.lock);
  }
}

uint32_t ConnTable::count() const {
  return live_.load(std::memory_order_relaxed);
}

ConnTableStats ConnTable::stats() const {
  return ConnTableStats{created_.load(), expired_.load(), table_full_.load(), vm_limit_.load(),
                        vm_rate_.load()};
}

}  // namespace vigil
