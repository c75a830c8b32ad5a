#pragma once
// Address-decoding interconnect: forwards each transaction to the target whose range holds
// its address (offset rebased to the target), adding a fixed latency.

#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "sim/core/config.h"
#include "sim/core/stats.h"

namespace models {

/// Interconnect parameters (`interconnect`).
struct RouterParams {
  std::uint32_t latency_cycles = 2;
  std::uint32_t width_bytes = 16;
};
RouterParams parse_router(const sim::ConfigNode& node);

/// N initiators to M targets by address range.
class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> in{"in"};
  tlm_utils::multi_passthrough_initiator_socket<Router> out{"out"};

  Router(const sc_core::sc_module_name& name, const RouterParams& params, sc_core::sc_time clock,
         sim::Stats& stats);
  /// Maps [base, base + size) to the next bound `out` port; call in bind order.
  void map(std::uint64_t base, std::uint64_t size, const std::string& target_name);

 private:
  struct Range {
    std::uint64_t base, size;
    std::string name;
  };
  int decode(std::uint64_t address) const;
  void b_transport(int id, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int transport_dbg(int id, tlm::tlm_generic_payload& gp);

  const RouterParams params_;
  const sc_core::sc_time clock_;
  std::vector<Range> ranges_;
  std::uint64_t transactions_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t decode_errors_ = 0;
};

}  // namespace models
