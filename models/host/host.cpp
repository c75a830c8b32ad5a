#include "models/host/host.h"

#include <random>

#include "sim/core/timeline.h"

namespace models {

HostParams parse_host(const sim::ConfigNode& node) {
  HostParams p;
  p.clock_mhz = static_cast<std::uint32_t>(node.get_positive("clock_mhz", p.clock_mhz));
  p.command_overhead_cycles =
      node.get<std::uint32_t>("command_overhead_cycles", p.command_overhead_cycles);
  p.irq_latency_cycles = node.get<std::uint32_t>("irq_latency_cycles", p.irq_latency_cycles);
  return p;
}

Host::Host(const sc_core::sc_module_name& name, const HostParams& params,
           std::vector<HostCommand> commands, std::uint64_t accelerator_base, std::uint64_t seed,
           sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name),
      params_(params),
      commands_(std::move(commands)),
      accelerator_base_(accelerator_base),
      seed_(seed),
      clock_(sc_core::sc_time(1e6 / params.clock_mhz, sc_core::SC_PS)),
      vcd_(vcd) {
  SC_THREAD(run);
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "commands_issued", commands_issued_, sim::Unit::kCount,
            "command descriptors written to the accelerator");
  stats.add(prefix + "checked_ops", checked_ops_, sim::Unit::kCount,
            "ops whose result was checked against a reference product (functional mode)");
  if (vcd_) {
    vcd_op_ = vcd_->add_signal(this->name(), "op_index", 32, sim::TraceLevel::kLayer);
    vcd_phase_ = vcd_->add_signal(this->name(), "phase", 3, sim::TraceLevel::kLayer);
    vcd_iteration_ = vcd_->add_signal(this->name(), "iteration", 32, sim::TraceLevel::kLayer);
    if (auto* timeline = vcd_->timeline(sim::TraceLevel::kLayer)) {
      timeline_track_ = timeline->track(this->name());
    }
  }
}

void Host::write(std::uint64_t address, const void* data, std::uint64_t length,
                 sc_core::sc_time& delay) {
  tlm::tlm_generic_payload gp;
  gp.set_command(tlm::TLM_WRITE_COMMAND);
  gp.set_address(address);
  gp.set_data_ptr(static_cast<unsigned char*>(const_cast<void*>(data)));
  gp.set_data_length(static_cast<unsigned int>(length));
  gp.set_streaming_width(static_cast<unsigned int>(length));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  bus->b_transport(gp, delay);
  EDGESIM_CHECK(!gp.is_response_error(),
                std::string(name()) + ": register write failed: " + gp.get_response_string());
}

void Host::debug(tlm::tlm_command command, std::uint64_t address, void* data,
                 std::uint64_t length) {
  tlm::tlm_generic_payload gp;
  gp.set_command(command);
  gp.set_address(address);
  gp.set_data_ptr(static_cast<unsigned char*>(data));
  gp.set_data_length(static_cast<unsigned int>(length));
  const unsigned int done = bus->transport_dbg(gp);
  EDGESIM_CHECK(done == length, std::string(name()) + ": debug access to DRAM failed");
}

void Host::run() {
  std::mt19937_64 random(seed_);
  for (const HostCommand& command : commands_) {
    const CommandDescriptor& d = command.descriptor;
    std::vector<std::int8_t> a, b;
    if (command.check) {
      // Place fresh operands in DRAM (backdoor: the data is the test, not the workload).
      std::uniform_int_distribution<int> value(-128, 127);
      a.resize(d.m * d.k);
      b.resize(d.k * d.n);
      for (auto& x : a) x = static_cast<std::int8_t>(value(random));
      for (auto& x : b) x = static_cast<std::int8_t>(value(random));
      debug(tlm::TLM_WRITE_COMMAND, d.a_address, a.data(), a.size());
      debug(tlm::TLM_WRITE_COMMAND, d.b_address, b.data(), b.size());
    }
    const sc_core::sc_time command_start = sc_core::sc_time_stamp();
    sc_core::sc_time delay = clock_ * static_cast<double>(params_.command_overhead_cycles);
    if (vcd_) {
      const auto now = static_cast<std::uint64_t>((sc_core::sc_time_stamp() + delay).value());
      vcd_->change(vcd_op_, now, d.op_index);
      vcd_->change(vcd_phase_, now, d.phase);
    }
    write(accelerator_base_ + kRegDescriptor, &d, sizeof(d), delay);
    const std::uint32_t one = 1;
    write(accelerator_base_ + kRegDoorbell, &one, sizeof(one), delay);
    ++commands_issued_;
    sc_core::wait(delay);
    while (!irq.read()) sc_core::wait(irq.value_changed_event());
    delay = clock_ * static_cast<double>(params_.irq_latency_cycles);
    write(accelerator_base_ + kRegIrqAck, &one, sizeof(one), delay);
    sc_core::wait(delay);
    if (sim::Timeline* timeline = vcd_ ? vcd_->timeline(sim::TraceLevel::kLayer) : nullptr) {
      timeline->slice(timeline_track_, "command", command_start.value(),
                      sc_core::sc_time_stamp().value(), {{"op_index", d.op_index}});
    }
    if (command.check) {
      std::vector<std::int32_t> c(d.m * d.n);
      debug(tlm::TLM_READ_COMMAND, d.c_address, c.data(), c.size() * sizeof(std::int32_t));
      for (std::uint64_t i = 0; i < d.m; ++i) {
        for (std::uint64_t j = 0; j < d.n; ++j) {
          std::int32_t expected = 0;
          for (std::uint64_t x = 0; x < d.k; ++x) expected += a[i * d.k + x] * b[x * d.n + j];
          EDGESIM_CHECK(c[i * d.n + j] == expected,
                        "functional mismatch in op " + std::to_string(d.op_index) + " at (" +
                            std::to_string(i) + "," + std::to_string(j) + "): got " +
                            std::to_string(c[i * d.n + j]) + ", expected " +
                            std::to_string(expected));
        }
      }
      ++checked_ops_;
    }
  }
  finish_ = sc_core::sc_time_stamp();
}

}  // namespace models
