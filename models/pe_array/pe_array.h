#pragma once
// The systolic PE array as a SystemC component. At tile fidelity each tile is one timed step
// whose length comes from the fold formula; operands stream from the on-chip buffers over TLM
// (counted there), and in functional mode real int8 data is multiplied.

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>

#include "models/common/payload_extension.h"
#include "models/pe_array/cycle_array.h"
#include "models/pe_array/pe_array_params.h"
#include "models/pe_array/systolic_model.h"
#include "sim/core/config.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// One tile of work for the array: operands already in the buffers.
struct ComputeJob {
  workloads::GemmShape shape;   // the tile's GEMM (groups > 1 for depthwise)
  std::uint64_t a_address = 0;  // local addresses of the operand tiles
  std::uint64_t b_address = 0;
  std::uint64_t c_address = 0;
  std::uint64_t a_bytes = 0;  // unique bytes of each operand tile
  std::uint64_t b_bytes = 0;
  std::uint64_t c_bytes = 0;         // result tile at accumulator width
  bool accumulate = false;           // add to the partial sums already in the C tile
  bool functional = false;           // multiply real int8 data (a: m x k, b: k x n, c: int32)
  TrafficTag tag;                    // layer and phase; classes are set per operand
  workloads::NumberFormat a_format;  // streamed operand (activations)
  workloads::NumberFormat b_format;  // stationary operand (weights)
  workloads::TensorClass a_class = workloads::TensorClass::kActivation;
  workloads::TensorClass b_class = workloads::TensorClass::kWeight;
};

/// The array; run() is called from the controller's thread and returns when the tile is done.
class PeArray : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<PeArray> local{"local"};

  PeArray(const sc_core::sc_module_name& name, const PeArrayParams& params, sc_core::sc_time clock,
          sim::Stats& stats, sim::VcdWriter* vcd);
  /// Executes one tile; returns its compute cycles.
  std::uint64_t run(const ComputeJob& job);
  const PeArrayParams& params() const { return params_; }
  std::uint64_t macs() const { return macs_; }
  std::uint64_t busy_cycles() const { return busy_cycles_; }

 private:
  sc_core::sc_time access(tlm::tlm_command command, std::uint64_t address, unsigned char* data,
                          std::uint64_t length, workloads::TensorClass cls, std::uint32_t repeat,
                          const TrafficTag& base);

  const PeArrayParams params_;
  const sc_core::sc_time clock_;
  tlm::tlm_generic_payload payload_;  // reused for every buffer access
  std::uint64_t macs_ = 0;
  std::uint64_t busy_cycles_ = 0;
  std::uint64_t folds_ = 0;
  std::uint64_t tiles_ = 0;
  std::uint64_t used_pe_cycles_ = 0;  // sum over folds of used PEs x temporal length
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_busy_ = 0, vcd_fold_ = 0, vcd_util_ = 0;
  sim::VcdWriter::SignalId vcd_a_bits_ = 0, vcd_w_bits_ = 0;
  std::uint32_t timeline_track_ = 0;
  std::unique_ptr<VcdPeTracer> pe_tracer_;  // cycle fidelity with a VCD: PE-level signals
  std::uint64_t simulated_pe_cycles_ = 0;
};

}  // namespace models
