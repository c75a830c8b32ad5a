#include "models/memory/sram/sram.h"

#include <cstring>

namespace models {

BufferParams parse_buffers(const sim::ConfigNode& node) {
  BufferParams p;
  p.organisation = node.get_choice("organisation", p.organisation, {"split", "unified"});
  p.ifmap_bytes = node.get_positive("ifmap_bytes", p.ifmap_bytes);
  p.weight_bytes = node.get_positive("weight_bytes", p.weight_bytes);
  p.ofmap_bytes = node.get_positive("ofmap_bytes", p.ofmap_bytes);
  p.unified_bytes = node.get_positive("unified_bytes", p.unified_bytes);
  p.double_buffer = node.get<bool>("double_buffer", p.double_buffer);
  p.bank.banks = static_cast<std::uint32_t>(node.get_positive("banks", p.bank.banks));
  p.bank.port_width_bytes =
      static_cast<std::uint32_t>(node.get_positive("port_width_bytes", p.bank.port_width_bytes));
  p.bank.read_latency_cycles = node.get<std::uint32_t>("read_latency_cycles", 1);
  p.bank.write_latency_cycles = node.get<std::uint32_t>("write_latency_cycles", 1);
  for (const auto& [key, value] :
       {std::pair<const char*, std::uint64_t>{"ifmap_bytes", p.ifmap_bytes},
        {"weight_bytes", p.weight_bytes},
        {"ofmap_bytes", p.ofmap_bytes},
        {"unified_bytes", p.unified_bytes}}) {
    if (value > (std::uint64_t{1} << 32)) {
      node.fail(key, "must be at most 4 GiB (4294967296), got " + std::to_string(value));
    }
  }
  return p;
}

Sram::Sram(const sc_core::sc_module_name& name, const SramParams& params, sc_core::sc_time clock,
           sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name), params_(params), clock_(clock), storage_(params.size_bytes), vcd_(vcd) {
  in.register_b_transport(this, &Sram::b_transport);
  in.register_transport_dbg(this, &Sram::transport_dbg);
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "bytes_read", read_bytes_.total(), sim::Unit::kBytes,
            "bytes read from the buffer (PE array streams and DMA stores)");
  stats.add(prefix + "bytes_written", write_bytes_.total(), sim::Unit::kBytes,
            "bytes written into the buffer (DMA loads and PE array results)");
  stats.add(prefix + "accesses", accesses_, sim::Unit::kCount, "port-width word accesses");
  stats.add(prefix + "busy_cycles", busy_cycles_, sim::Unit::kCycles, "cycles the ports were busy");
  if (vcd_) {
    vcd_reads_ = vcd_->add_rate_signal(this->name(), "read_bytes_per_window");
    vcd_writes_ = vcd_->add_rate_signal(this->name(), "write_bytes_per_window");
  }
}

void Sram::b_transport(int, tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t address = gp.get_address();
  const std::uint64_t length = gp.get_data_length();
  if (address + length > params_.size_bytes || length == 0) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (gp.get_byte_enable_ptr() != nullptr) {
    gp.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  TrafficTag* tag = nullptr;
  gp.get_extension(tag);
  const std::uint64_t repeat = tag ? tag->repeat : 1;
  const std::uint64_t moved = length * repeat;
  const std::uint64_t bytes_per_cycle = std::uint64_t{params_.port_width_bytes} * params_.banks;
  const std::uint64_t cycles = (moved + bytes_per_cycle - 1) / bytes_per_cycle;
  accesses_ += (moved + params_.port_width_bytes - 1) / params_.port_width_bytes;
  busy_cycles_ += cycles;
  const bool is_read = gp.is_read();
  if (is_read) {
    if (gp.get_data_ptr()) std::memcpy(gp.get_data_ptr(), &storage_[address], length);
    read_bytes_.add(tag, moved);
    delay += clock_ * static_cast<double>(params_.read_latency_cycles + cycles);
  } else if (gp.is_write()) {
    if (gp.get_data_ptr()) std::memcpy(&storage_[address], gp.get_data_ptr(), length);
    write_bytes_.add(tag, moved);
    delay += clock_ * static_cast<double>(params_.write_latency_cycles + cycles);
  } else {
    gp.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (vcd_) {
    const auto now = static_cast<std::uint64_t>((sc_core::sc_time_stamp() + delay).value());
    vcd_->add_amount(is_read ? vcd_reads_ : vcd_writes_, now, moved);
  }
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Sram::transport_dbg(int, tlm::tlm_generic_payload& gp) {
  const std::uint64_t address = gp.get_address();
  std::uint64_t length = gp.get_data_length();
  if (address >= params_.size_bytes) return 0;
  length = std::min<std::uint64_t>(length, params_.size_bytes - address);
  if (gp.is_read()) std::memcpy(gp.get_data_ptr(), &storage_[address], length);
  if (gp.is_write()) std::memcpy(&storage_[address], gp.get_data_ptr(), length);
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(length);
}

}  // namespace models
