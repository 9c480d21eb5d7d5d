// The connection table of the stateful firewall, shared by all workers.
//
// rte_hash in lock-free read/write-concurrency mode maps a normalised 5-tuple (plus tenant) to a
// position in a preallocated array of Conn entries. Each direction of a flow arrives on one rx
// queue, so one worker; the two directions may be on two workers, and a Conn's spinlock
// serialises them (taken per packet of a tracked flow, uncontended but for that case, as in
// OVS's conntrack). Lookups are lock-free; inserting a new connection takes rte_hash's writer
// lock briefly (multi-writer mode). Expiry runs on the control thread (sweep): it deletes idle
// entries, and rte_hash's RCU defer queue (rte_rcu_qsbr; workers report a quiescent state after
// each burst) reuses a slot only once no worker can still be reading it.
// Call it from DPDK threads only (lcores, or threads that called rte_thread_register): rte_hash's
// multi-writer mode keeps per-lcore slot caches. Per-VM limits bound what one VM can hold: tracked
// connections it opened, and new connections per second. Refusals are counted by reason, never
// silent.
#pragma once

#include <rte_spinlock.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dataplane/tcp_tracker.h"
#include "dataplane/worker_counters.h"

struct rte_hash;
struct rte_rcu_qsbr;

namespace vigil {

// Both directions of a flow map to one key: endpoints ordered (address, port) low to high.
struct ConnKey {
  uint8_t addr_lo[16];  // IPv4 in the first 4 bytes, the rest zero
  uint8_t addr_hi[16];
  uint16_t port_lo;  // ICMP: identifier on both sides
  uint16_t port_hi;
  uint16_t tenant;
  uint8_t proto;
  uint8_t family;  // 4 or 6
  bool operator==(const ConnKey&) const = default;
};
static_assert(sizeof(ConnKey) == 40);

// Builds the key of a packet from `src` to `dst` (4 or 16 bytes each); `src_is_lo` tells the
// packet's side, which Conn::origin compares against to know the direction.
ConnKey make_conn_key(uint16_t tenant, uint8_t family, uint8_t proto, const uint8_t* src,
                      const uint8_t* dst, uint16_t sport, uint16_t dport, bool* src_is_lo);

struct Conn {
  rte_spinlock_t lock;
  std::atomic<bool> in_use{false};
  ConnKey key{};
  uint8_t origin = 0;    // side that opened it: 0 = lo, 1 = hi
  uint8_t verdict = 0;   // the policy's answer for its first packet, cached
  bool replied = false;  // a packet went the other way (UDP/ICMP pseudo-connections)
  uint16_t owner = 0;    // the VM port charged for it
  uint32_t rule = 0;
  uint32_t generation = 0;          // bumped whenever the entry starts a new connection
  uint64_t packets = 0, bytes = 0;  // both directions, counted by the firewall
  std::atomic<uint64_t> last_seen_us{0};
  TcpConn tcp{};
};

struct ConnTimeouts {
  TcpTimeouts tcp;  // OVS's userspace defaults (lib/conntrack-tp.c)
  uint32_t udp_first = 60;
  uint32_t udp_multiple = 30;
  uint32_t icmp_first = 60;
  uint32_t icmp_reply = 30;
  uint32_t other_first = 60;
  uint32_t other_multiple = 30;
};

struct ConnLimits {
  uint32_t per_vm_connections = 0;     // 0: no limit
  uint32_t per_vm_new_per_second = 0;  // 0: no limit
};

enum class ConnRefusal : uint8_t { kNone, kTableFull, kVmConnectionLimit, kVmRateLimit };

struct ConnTableStats {
  uint64_t created = 0, expired = 0, table_full = 0, vm_connection_limit = 0, vm_rate_limit = 0;
};

class ConnTable {
 public:
  // `max_workers`: threads that will read the table (RCU readers).
  ConnTable(const std::string& name, uint32_t capacity, unsigned max_workers,
            const ConnLimits& limits, const ConnTimeouts& timeouts);
  ~ConnTable();
  ConnTable(const ConnTable&) = delete;
  ConnTable& operator=(const ConnTable&) = delete;

  // Workers: register once, then report a quiescent state after every burst.
  void register_worker(unsigned id);
  void unregister_worker(unsigned id);
  void quiescent(unsigned id);
  // A worker that stops polling: synchronize() no longer waits for it.
  void offline(unsigned id);
  // Control thread: returns once every registered worker has passed a quiescent state, so
  // nothing it read before the call (a replaced policy, say) is still in use.
  void synchronize();

  // The live entry for `key`, or null. The caller locks conn->lock to use its state.
  Conn* find(const ConnKey& key) const;
  // Creates the entry for a first packet from `src_side` (0 lo, 1 hi), charged to `owner`; or
  // returns the one another worker just created. Null with the reason when refused.
  // `limited`: the owner is a VM port, subject to the per-VM limits.
  Conn* create(const ConnKey& key, uint8_t src_side, uint16_t owner, uint64_t now_us,
               ConnRefusal* refusal, bool limited = true);
  // Starts the entry over for a new first packet on the same key (a TCP connection reopened
  // after TIME_WAIT), in place: a worker never deletes, so it never waits on RCU.
  void restart(Conn* conn, uint8_t src_side, uint64_t now_us);

  // Control thread: deletes entries idle past their timeout; returns how many.
  uint32_t sweep(uint64_t now_us);
  // Called by sweep for each expired entry, with its lock held and in_use already false, so a
  // user keeping state beside the table (the IDS's stream buffers) can release it.
  void set_expire_hook(std::function<void(uint32_t index)> hook) { expire_hook_ = std::move(hook); }
  // Control thread: calls `fn` with every live entry, under the entry's lock (keep it short).
  void for_each(const std::function<void(const Conn&)>& fn) const;
  // Position of `conn` in the table, for state kept in parallel arrays.
  uint32_t index_of(const Conn* conn) const { return static_cast<uint32_t>(conn - conns_.get()); }

  uint32_t idle_timeout_s(const Conn& c) const;
  uint32_t count() const;  // live connections
  uint32_t owned_by(uint16_t port) const { return per_vm_[port].load(std::memory_order_relaxed); }
  ConnTableStats stats() const;
  // Memory the table took when built (rte_hash and RCU state measured on DPDK's heap, plus
  // the entries), for capacity() connections.
  size_t memory_bytes() const { return memory_bytes_; }
  uint32_t capacity() const { return capacity_; }
  // Entry positions rte_hash may hand out (index_of's range): more than capacity(), because of
  // its per-lcore slot caches. Size parallel arrays by this.
  uint32_t slots() const { return slots_; }

 private:
  bool take_rate_token(uint16_t port, uint64_t now_us);
  void expire(Conn* conn);  // control thread only

  rte_hash* hash_ = nullptr;
  rte_rcu_qsbr* rcu_ = nullptr;
  std::unique_ptr<Conn[]> conns_;
  uint32_t capacity_;
  uint32_t slots_ = 0;
  size_t memory_bytes_ = 0;
  ConnLimits limits_;
  ConnTimeouts timeouts_;
  std::function<void(uint32_t)> expire_hook_;
  std::atomic<uint32_t> live_{0};  // rte_hash_count also counts slots awaiting reclamation
  std::atomic<uint32_t> per_vm_[kMaxPorts] = {};
  std::atomic<uint64_t> rate_window_[kMaxPorts] = {};  // second << 32 | connections opened in it
  std::atomic<uint64_t> created_{0}, expired_{0}, table_full_{0}, vm_limit_{0}, vm_rate_{0};
};

}  // namespace vigil
