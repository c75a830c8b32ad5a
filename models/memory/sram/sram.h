#pragma once
// On-chip scratchpad buffer: capacity, banks, ports of a given width, access latency.

#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/common/traffic_ledger.h"
#include "sim/core/config.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// One SRAM instance.
struct SramParams {
  std::uint64_t size_bytes = 64 * 1024;
  std::uint32_t banks = 4;
  std::uint32_t port_width_bytes = 16;  // per bank per cycle
  std::uint32_t read_latency_cycles = 1;
  std::uint32_t write_latency_cycles = 1;
};

/// The accelerator's on-chip buffers (`accelerator.sram`).
struct BufferParams {
  std::string organisation = "split";  // split: ifmap/weight/ofmap; unified: one buffer
  std::uint64_t ifmap_bytes = 64 * 1024;
  std::uint64_t weight_bytes = 64 * 1024;
  std::uint64_t ofmap_bytes = 64 * 1024;
  std::uint64_t unified_bytes = 192 * 1024;
  bool double_buffer = true;
  SramParams bank;  // banks, ports and latency shared by every buffer (size per buffer above)
};
BufferParams parse_buffers(const sim::ConfigNode& node);

/// A TLM target with byte storage; counts reads and writes by layer, tensor class and phase.
class Sram : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Sram> in{"in"};

  Sram(const sc_core::sc_module_name& name, const SramParams& params, sc_core::sc_time clock,
       sim::Stats& stats, sim::VcdWriter* vcd);

  const TrafficLedger& reads() const { return read_bytes_; }
  const TrafficLedger& writes() const { return write_bytes_; }
  std::uint64_t size_bytes() const { return params_.size_bytes; }

 private:
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& gp);

  const SramParams params_;
  const sc_core::sc_time clock_;
  std::vector<unsigned char> storage_;
  TrafficLedger read_bytes_;
  TrafficLedger write_bytes_;
  std::uint64_t accesses_ = 0;  // port-width words
  std::uint64_t busy_cycles_ = 0;
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_reads_ = 0, vcd_writes_ = 0;  // bytes per rate window
};

}  // namespace models
