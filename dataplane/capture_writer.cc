// CaptureTable's writer side: the capture files and the thread that drains the rings into them.
#ifndef ALLOW_EXPERIMENTAL_API
#define ALLOW_EXPERIMENTAL_API  // rte_pcapng is experimental in DPDK 22.11
#endif

#include <fcntl.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "dataplane/capture.h"

namespace vigil {
namespace {

constexpr unsigned kWriteBurst = 64;
// How long the writer sleeps when the rings were empty: at most this much of traffic queues up.
constexpr auto kIdlePoll = std::chrono::milliseconds(1);

}  // namespace

bool CaptureTable::open_file(const std::string& file, const std::string& port_name,
                             uint16_t dpdk_port, rte_pcapng** out, std::string* error) {
  if (file.empty()) {
    *error = "capture: no file name";
    return false;
  }
  // O_EXCL: never overwrite a file (nor follow a symlink) on behalf of a remote request.
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = "capture: cannot create " + file + ": " + std::strerror(errno);
    return false;
  }
  fchmod(fd, 0640);  // whatever the umask
  const std::string comment =
      "vigil capture of port " + port_name + " (DPDK port " + std::to_string(dpdk_port) + ")";
  *out = rte_pcapng_fdopen(fd, nullptr, nullptr, "vigil", comment.c_str());
  if (*out == nullptr) {
    *error = "capture: cannot write the pcapng header to " + file + ": " + rte_strerror(rte_errno);
    close(fd);
    unlink(file.c_str());
    return false;
  }
  return true;
}

void CaptureTable::close_file(Slot& s) {
  if (s.out == nullptr) return;
  const uint64_t dropped = s.dropped.load(std::memory_order_relaxed) & kCountMask;
  // An interface statistics block: what the capture took and lost.
  rte_pcapng_write_stats(s.out, s.dpdk_port, nullptr, 0, 0, s.written + dropped, dropped);
  rte_pcapng_close(s.out);  // closes the descriptor too
  s.out = nullptr;
  s.name.clear();
  s.file.clear();
  s.error.clear();
  s.written = 0;
  --open_;
}

unsigned CaptureTable::drain(uint16_t port) {
  Slot& s = slots_[port];
  rte_mbuf* got[kWriteBurst];
  const unsigned n =
      rte_ring_sc_dequeue_burst(s.ring, reinterpret_cast<void**>(got), kWriteBurst, nullptr);
  rte_mbuf* keep[kWriteBurst];
  uint16_t kept = 0;
  size_t bytes = 0;
  uint64_t lost = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (s.out == nullptr || got[i]->hash.usr != s.gen) {
      rte_pktmbuf_free(got[i]);  // queued by a capture since stopped
    } else if (!s.error.empty()) {
      rte_pktmbuf_free(got[i]);
      ++lost;
    } else {
      bytes += rte_pktmbuf_pkt_len(got[i]);
      keep[kept++] = got[i];
    }
  }
  if (kept > 0) {
    // rte_pcapng_write_packets leaves the mbufs to the caller (whatever its comment says).
    const ssize_t wrote = rte_pcapng_write_packets(s.out, keep, kept);
    if (wrote == static_cast<ssize_t>(bytes)) {
      s.written += kept;
    } else {
      s.error = "cannot write " + s.file + ": " +
                (wrote < 0 ? std::string(rte_strerror(rte_errno)) : std::string("short write"));
      lost += kept;
      active_.fetch_and(~(uint64_t{1} << port), std::memory_order_relaxed);
    }
    rte_pktmbuf_free_bulk(keep, kept);
  }
  if (lost > 0) s.dropped.fetch_add(lost, std::memory_order_relaxed);
  return n;
}

bool CaptureTable::control_waiting() const {
  return control_waiting_.load(std::memory_order_relaxed) != 0;
}

void CaptureTable::writer_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!quit_) {
    if (open_ == 0) {
      wake_.wait(lock);
      continue;
    }
    unsigned moved = 0;
    for (uint16_t p = 0; p < n_ports_; ++p) {
      Slot& s = slots_[p];
      if (s.out == nullptr && rte_ring_empty(s.ring)) continue;
      // Empty the ring, bounded: a flooded port does not hold up the others.
      for (unsigned n = 0, got = 1; got > 0 && n < 4096 && !control_waiting(); n += got) {
        got = drain(p);
        moved += got;
      }
      // A capture that took its max_packets stops costing the workers anything.
      const uint64_t max = s.max_packets.load(std::memory_order_relaxed);
      if (s.out != nullptr && max != 0 &&
          (s.state.load(std::memory_order_relaxed) & kCountMask) >= max) {
        active_.fetch_and(~(uint64_t{1} << p), std::memory_order_relaxed);
      }
    }
    if (control_waiting()) {
      lock.unlock();
      while (control_waiting()) std::this_thread::yield();
      lock.lock();
    } else if (moved == 0) {
      wake_.wait_for(lock, kIdlePoll);
    }
  }
}

}  // namespace vigil
