#include "models/common/traffic_ledger.h"

namespace models {

namespace {
std::size_t slot(workloads::TensorClass cls, workloads::Phase phase) {
  return static_cast<std::size_t>(cls) * workloads::kPhaseCount + static_cast<std::size_t>(phase);
}
}  // namespace

void TrafficLedger::add(const TrafficTag* tag, std::uint64_t bytes) {
  const std::uint32_t layer = tag ? tag->layer : 0;
  if (layer >= cells_.size()) cells_.resize(layer + 1, Cells{});
  const auto cls = tag ? tag->cls : workloads::TensorClass::kActivation;
  const auto phase = tag ? tag->phase : workloads::Phase::kFwd;
  cells_[layer][slot(cls, phase)] += bytes;
  total_ += bytes;
}

std::uint64_t TrafficLedger::layer_total(std::uint32_t layer) const {
  if (layer >= cells_.size()) return 0;
  std::uint64_t sum = 0;
  for (auto v : cells_[layer]) sum += v;
  return sum;
}

std::uint64_t TrafficLedger::cell(std::uint32_t layer, workloads::TensorClass cls,
                                  workloads::Phase phase) const {
  return layer < cells_.size() ? cells_[layer][slot(cls, phase)] : 0;
}

std::uint64_t TrafficLedger::layer_class(std::uint32_t layer, workloads::TensorClass cls) const {
  if (layer >= cells_.size()) return 0;
  std::uint64_t sum = 0;
  for (std::size_t p = 0; p < workloads::kPhaseCount; ++p) {
    sum += cells_[layer][slot(cls, static_cast<workloads::Phase>(p))];
  }
  return sum;
}

std::uint64_t TrafficLedger::class_total(workloads::TensorClass cls) const {
  std::uint64_t sum = 0;
  for (std::uint32_t l = 0; l < cells_.size(); ++l) sum += layer_class(l, cls);
  return sum;
}

std::uint64_t TrafficLedger::phase_total(workloads::Phase phase) const {
  std::uint64_t sum = 0;
  for (const auto& cells : cells_) {
    for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
      sum += cells[slot(static_cast<workloads::TensorClass>(c), phase)];
    }
  }
  return sum;
}

}  // namespace models
