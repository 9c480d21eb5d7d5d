// HyperLogLog (Flajolet et al. 2007, with the small-range correction): how many distinct
// values a stream held, in 1 KiB with about 3 % error. Workers add to their own sketch (no
// atomics needed: one writer); the control thread merges the workers' (register-wise max) and
// reads the estimate. add() is a few instructions: fit for the fast path.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace vigil {

class HyperLogLog {
 public:
  static constexpr int kBits = 10;
  static constexpr int kRegisters = 1 << kBits;

  // `hash` must be a well-mixed 64-bit hash of the value (see hll_hash).
  void add(uint64_t hash) {
    const uint32_t index = static_cast<uint32_t>(hash >> (64 - kBits));
    const uint64_t rest = hash << kBits | (uint64_t(1) << (kBits - 1));  // never all zero
    const uint8_t rank = static_cast<uint8_t>(__builtin_clzll(rest) + 1);
    uint8_t& r = reg_[index];
    if (rank > r) r = rank;
  }
  void merge(const HyperLogLog& o) {
    for (int i = 0; i < kRegisters; ++i) reg_[i] = std::max(reg_[i], o.reg_[i]);
  }
  void clear() { std::memset(reg_, 0, sizeof reg_); }
  double estimate() const {
    double sum = 0;
    int zeros = 0;
    for (int i = 0; i < kRegisters; ++i) {
      sum += std::ldexp(1.0, -reg_[i]);
      zeros += reg_[i] == 0;
    }
    const double m = kRegisters;
    const double raw = 0.7213 / (1 + 1.079 / m) * m * m / sum;
    if (raw <= 2.5 * m && zeros > 0) return m * std::log(m / zeros);  // linear counting
    return raw;
  }

 private:
  uint8_t reg_[kRegisters] = {};
};

// A 64-bit mix (splitmix64's finaliser) of up to 8 bytes of key material.
inline uint64_t hll_hash(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace vigil
