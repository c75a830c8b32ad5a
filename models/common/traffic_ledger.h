#pragma once
// Byte counters broken down by layer, tensor class and phase, fed from TrafficTag.

#include <array>
#include <cstdint>
#include <vector>

#include "models/common/payload_extension.h"

namespace models {

/// Bytes moved, per layer x tensor class x phase, plus a running total.
class TrafficLedger {
 public:
  /// Adds `bytes` under the payload's tag (untagged traffic counts as layer 0, activation, fwd).
  void add(const TrafficTag* tag, std::uint64_t bytes);
  /// Counter reference for the stats registry.
  const std::uint64_t& total() const { return total_; }
  std::uint64_t layer_total(std::uint32_t layer) const;
  std::uint64_t layer_class(std::uint32_t layer, workloads::TensorClass cls) const;
  std::uint64_t class_total(workloads::TensorClass cls) const;
  std::uint64_t phase_total(workloads::Phase phase) const;
  std::uint64_t cell(std::uint32_t layer, workloads::TensorClass cls, workloads::Phase phase) const;
  std::uint32_t layer_count() const { return static_cast<std::uint32_t>(cells_.size()); }

 private:
  using Cells = std::array<std::uint64_t, workloads::kTensorClassCount * workloads::kPhaseCount>;
  std::vector<Cells> cells_;
  std::uint64_t total_ = 0;
};

}  // namespace models
