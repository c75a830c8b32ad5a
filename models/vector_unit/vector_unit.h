#pragma once
// The vector unit: elementwise work (activations, pooling, normalisation, loss, quantisation,
// optimizer updates) streamed from and to the on-chip buffers at its own throughput.

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/common/payload_extension.h"
#include "sim/core/config.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// `accelerator.vector_unit`.
struct VectorUnitParams {
  std::uint32_t ops_per_cycle = 32;  // elementwise arithmetic operations per cycle
  std::uint32_t latency_cycles = 4;  // pipeline fill per chunk
};
VectorUnitParams parse_vector_unit(const sim::ConfigNode& node);

/// One operand stream of a vector chunk in the buffers.
struct VectorStream {
  std::uint64_t address = 0;
  std::uint64_t bytes = 0;
  workloads::TensorClass cls = workloads::TensorClass::kActivation;
};

/// One chunk of a vector op.
struct VectorJob {
  std::uint64_t elements = 0;
  std::uint32_t ops_per_element = 1;
  std::vector<VectorStream> inputs;
  std::vector<VectorStream> outputs;
  TrafficTag tag;
};

/// The vector unit; run() is called from the controller's thread.
class VectorUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<VectorUnit> local{"local"};
  VectorUnit(const sc_core::sc_module_name& name, const VectorUnitParams& params,
             sc_core::sc_time clock, sim::Stats& stats, sim::VcdWriter* vcd);
  /// Processes one chunk; returns its cycles.
  std::uint64_t run(const VectorJob& job);

 private:
  const VectorUnitParams params_;
  const sc_core::sc_time clock_;
  tlm::tlm_generic_payload payload_;
  std::uint64_t elements_ = 0;
  std::uint64_t ops_ = 0;
  std::uint64_t busy_cycles_ = 0;
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_busy_ = 0;
  std::uint32_t timeline_track_ = 0;
};

}  // namespace models
