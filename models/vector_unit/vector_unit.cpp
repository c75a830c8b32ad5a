#include "models/vector_unit/vector_unit.h"

#include <algorithm>

#include "models/common/tagged_transport.h"
#include "sim/core/timeline.h"

namespace models {

VectorUnitParams parse_vector_unit(const sim::ConfigNode& node) {
  VectorUnitParams p;
  p.ops_per_cycle = static_cast<std::uint32_t>(node.get_positive("ops_per_cycle", p.ops_per_cycle));
  p.latency_cycles = node.get<std::uint32_t>("latency_cycles", p.latency_cycles);
  return p;
}

VectorUnit::VectorUnit(const sc_core::sc_module_name& name, const VectorUnitParams& params,
                       sc_core::sc_time clock, sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name), params_(params), clock_(clock), vcd_(vcd) {
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "elements", elements_, sim::Unit::kCount, "elements processed");
  stats.add(prefix + "ops", ops_, sim::Unit::kCount, "elementwise arithmetic operations");
  stats.add(prefix + "busy_cycles", busy_cycles_, sim::Unit::kCycles, "cycles the unit worked");
  if (vcd_) {
    vcd_busy_ = vcd_->add_signal(this->name(), "busy", 1);
    if (vcd_->timeline()) timeline_track_ = vcd_->timeline()->track(this->name());
  }
}

std::uint64_t VectorUnit::run(const VectorJob& job) {
  // Operands stream through the buffer ports while the unit computes; the slower sets the time.
  sc_core::sc_time port_time = sc_core::SC_ZERO_TIME;
  auto access = [&](tlm::tlm_command command, const VectorStream& s) {
    TrafficTag tag = job.tag;
    tag.cls = s.cls;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    tagged_transport(local, payload_, command, s.address, nullptr, s.bytes, tag, delay);
    const tlm::tlm_generic_payload& gp = payload_;
    EDGESIM_CHECK(!gp.is_response_error(),
                  std::string(name()) + ": buffer access failed: " + gp.get_response_string());
    port_time = std::max(port_time, delay);
  };
  for (const auto& s : job.inputs) access(tlm::TLM_READ_COMMAND, s);
  for (const auto& s : job.outputs) access(tlm::TLM_WRITE_COMMAND, s);
  const std::uint64_t ops = job.elements * job.ops_per_element;
  const std::uint64_t compute =
      params_.latency_cycles + (ops + params_.ops_per_cycle - 1) / params_.ops_per_cycle;
  const sc_core::sc_time duration = std::max(clock_ * static_cast<double>(compute), port_time);
  const auto cycles = static_cast<std::uint64_t>(duration / clock_ + 0.5);
  elements_ += job.elements;
  ops_ += ops;
  busy_cycles_ += cycles;
  if (vcd_) {
    const auto start = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
    vcd_->change(vcd_busy_, start, 1);
    vcd_->change(vcd_busy_, start + static_cast<std::uint64_t>(duration.value()), 0);
    if (vcd_->timeline()) {
      vcd_->timeline()->slice(timeline_track_, "chunk", start,
                              start + static_cast<std::uint64_t>(duration.value()),
                              {{"elements", job.elements}, {"cycles", cycles}});
    }
  }
  sc_core::wait(duration);
  return cycles;
}

}  // namespace models
