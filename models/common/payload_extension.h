#pragma once
// Ignorable TLM extension carried by every payload, so each component can break its counters
// down by layer, tensor class and phase.

#include <tlm>

#include "workloads/training/program.h"

namespace models {

/// {layer, tensor_class, phase} of the data a transaction moves.
struct TrafficTag : tlm::tlm_extension<TrafficTag> {
  std::uint32_t layer = 0;
  workloads::TensorClass cls = workloads::TensorClass::kActivation;
  workloads::Phase phase = workloads::Phase::kFwd;
  std::uint32_t repeat = 1;  // the initiator streams this region `repeat` times (PE array re-reads)
  // Filled in by the DRAM for the initiator's accounting: how its bursts found their rows.
  std::uint32_t dram_bursts = 0;
  std::uint32_t dram_row_hits = 0;

  tlm::tlm_extension_base* clone() const override { return new TrafficTag(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const TrafficTag&>(other);
  }
};

}  // namespace models
