#pragma once
// The host CPU side of the co-design: runs the program by writing one command descriptor per
// op to the accelerator's registers over TLM, then sleeping until the completion interrupt.
// In functional mode it also places operand data in DRAM and checks the results.

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/common/command.h"
#include "sim/core/config.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// Host parameters (`host`).
struct HostParams {
  std::uint32_t clock_mhz = 1000;
  std::uint32_t command_overhead_cycles = 200;  // driver work per command
  std::uint32_t irq_latency_cycles = 100;       // interrupt entry to the waiting thread
};
HostParams parse_host(const sim::ConfigNode& node);

/// One command the host will issue, with the data it checks in functional mode.
struct HostCommand {
  CommandDescriptor descriptor;
  bool check = false;  // functional: write random A/B, compare C with the reference
};

/// The host CPU.
class Host : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Host> bus{"bus"};
  sc_core::sc_in<bool> irq{"irq"};

  SC_HAS_PROCESS(Host);
  Host(const sc_core::sc_module_name& name, const HostParams& params,
       std::vector<HostCommand> commands, std::uint64_t accelerator_base, std::uint64_t seed,
       sim::Stats& stats, sim::VcdWriter* vcd);
  /// Simulated time at which the last command completed.
  sc_core::sc_time finish_time() const { return finish_; }
  std::uint64_t checked_ops() const { return checked_ops_; }

 private:
  void run();
  void write(std::uint64_t address, const void* data, std::uint64_t length,
             sc_core::sc_time& delay);
  void debug(tlm::tlm_command command, std::uint64_t address, void* data, std::uint64_t length);

  const HostParams params_;
  const std::vector<HostCommand> commands_;
  const std::uint64_t accelerator_base_;
  std::uint64_t seed_;
  const sc_core::sc_time clock_;
  sc_core::sc_time finish_;
  std::uint64_t commands_issued_ = 0;
  std::uint64_t checked_ops_ = 0;
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_op_ = 0, vcd_phase_ = 0, vcd_iteration_ = 0;
  std::uint32_t timeline_track_ = 0;
};

}  // namespace models
