#pragma once
// The accelerator's controller: takes command descriptors from its memory-mapped registers,
// walks the tile plan, drives the DMA (double-buffered loads and stores) and the PE array,
// and raises the completion interrupt.

#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/common/command.h"
#include "models/memory/dma/dma.h"
#include "models/pe_array/pe_array.h"
#include "models/vector_unit/vector_unit.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// Descriptor addresses at or above this name tensors the accelerator keeps in its SRAM across
/// commands (ttm partial products and resident TT cores, docs/tensorized.md): the controller
/// moves no data between DRAM and SRAM for them; the array reads and writes them in place.
inline constexpr std::uint64_t kOnChipTensorBase = 0xF1'0000'0000ULL;
/// True when a descriptor address names an on-chip tensor.
inline bool is_on_chip_address(std::uint64_t address) { return address >= kOnChipTensorBase; }

/// Where the operand slots live in the accelerator's local address space.
struct LocalMap {
  bool unified = false;
  bool double_buffer = true;
  std::uint64_t ifmap_base = 0, ifmap_bytes = 0;
  std::uint64_t weight_base = 0, weight_bytes = 0;
  std::uint64_t ofmap_base = 0, ofmap_bytes = 0;
  std::uint32_t container_bits = 0;
  /// Component names of the buffers (ifmap, weight, ofmap; or the one unified buffer), under
  /// which the controller traces their occupancy.
  std::vector<std::string> buffer_names;
};

/// What one command did, for per-layer reports.
struct OpRecord {
  std::uint32_t op_index = 0;
  std::uint32_t layer = 0;
  workloads::Phase phase = workloads::Phase::kFwd;
  std::uint64_t start_ps = 0;
  std::uint64_t end_ps = 0;
  std::uint64_t compute_cycles = 0;  // array busy
  std::uint64_t stall_cycles = 0;    // array idle waiting for data or buffer space
  std::uint64_t tiles = 0;
  std::uint64_t macs = 0;
  std::uint64_t vector_ops = 0;  // elementwise operations on the vector unit
};

/// Command processor of the accelerator.
class Controller : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Controller> regs{"regs"};
  // Raised by the controller, cleared by the host writing the acknowledge register.
  sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> irq{"irq"};

  Controller(const sc_core::sc_module_name& name, const LocalMap& map, Dma& dma, PeArray& array,
             VectorUnit& vector_unit, sc_core::sc_time clock, sim::Stats& stats,
             sim::VcdWriter* vcd);
  SC_HAS_PROCESS(Controller);
  const std::vector<OpRecord>& records() const { return records_; }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void command_thread();
  void execute(const CommandDescriptor& d);
  void execute_vector(const CommandDescriptor& d);
  /// Traces the bytes of valid operand and result data held in each buffer.
  void trace_occupancy(std::uint64_t a_bytes, std::uint64_t b_bytes, std::uint64_t c_bytes);

  const LocalMap map_;
  Dma& dma_;
  PeArray& array_;
  VectorUnit& vector_unit_;
  const sc_core::sc_time clock_;
  CommandDescriptor pending_{};
  bool busy_ = false;
  std::uint32_t queued_ = 0;
  sc_core::sc_event doorbell_;
  std::vector<OpRecord> records_;
  std::uint64_t commands_ = 0;
  std::uint64_t stall_cycles_ = 0;
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_layer_ = 0, vcd_queue_ = 0, vcd_stall_ = 0;
  std::vector<sim::VcdWriter::SignalId> vcd_occupancy_;
  std::uint32_t timeline_track_ = 0;
};

}  // namespace models
