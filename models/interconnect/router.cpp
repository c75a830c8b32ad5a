#include "models/interconnect/router.h"

namespace models {

RouterParams parse_router(const sim::ConfigNode& node) {
  RouterParams p;
  p.latency_cycles = node.get<std::uint32_t>("latency_cycles", p.latency_cycles);
  p.width_bytes = static_cast<std::uint32_t>(node.get_positive("width_bytes", p.width_bytes));
  return p;
}

Router::Router(const sc_core::sc_module_name& name, const RouterParams& params,
               sc_core::sc_time clock, sim::Stats& stats)
    : sc_module(name), params_(params), clock_(clock) {
  in.register_b_transport(this, &Router::b_transport);
  in.register_transport_dbg(this, &Router::transport_dbg);
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "transactions", transactions_, sim::Unit::kCount, "transactions forwarded");
  stats.add(prefix + "bytes", bytes_, sim::Unit::kBytes, "bytes forwarded");
  stats.add(prefix + "decode_errors", decode_errors_, sim::Unit::kCount,
            "transactions to unmapped addresses");
}

void Router::map(std::uint64_t base, std::uint64_t size, const std::string& target_name) {
  for (const auto& r : ranges_) {
    EDGESIM_CHECK(base + size <= r.base || r.base + r.size <= base,
                  "address ranges of " + target_name + " and " + r.name + " overlap");
  }
  ranges_.push_back({base, size, target_name});
}

int Router::decode(std::uint64_t address) const {
  for (std::size_t i = 0; i < ranges_.size(); ++i) {
    if (address >= ranges_[i].base && address - ranges_[i].base < ranges_[i].size) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void Router::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t address = gp.get_address();
  const int port = decode(address);
  if (port < 0 || address + gp.get_data_length() > ranges_[port].base + ranges_[port].size) {
    ++decode_errors_;
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  ++transactions_;
  bytes_ += gp.get_data_length();
  delay += clock_ * static_cast<double>(params_.latency_cycles);
  gp.set_address(address - ranges_[port].base);
  out[port]->b_transport(gp, delay);
  gp.set_address(address);
}

unsigned int Router::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const std::uint64_t address = gp.get_address();
  const int port = decode(address);
  if (port < 0) return 0;
  gp.set_address(address - ranges_[port].base);
  const unsigned int done = out[port]->transport_dbg(gp);
  gp.set_address(address);
  return done;
}

}  // namespace models
