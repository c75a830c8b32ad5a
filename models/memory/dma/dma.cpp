#include "models/memory/dma/dma.h"

#include <algorithm>

#include "models/common/tagged_transport.h"
#include "sim/core/timeline.h"

namespace models {

DmaParams parse_dma(const sim::ConfigNode& node) {
  DmaParams p;
  p.channels = static_cast<std::uint32_t>(node.get_positive("channels", p.channels));
  if (p.channels < 2)
    node.fail("channels", "must be at least 2 (loads and stores), got " + node.raw("channels"));
  p.max_transaction_bytes = static_cast<std::uint32_t>(
      node.get_positive("max_transaction_bytes", p.max_transaction_bytes));
  p.bytes_per_cycle =
      static_cast<std::uint32_t>(node.get_positive("bytes_per_cycle", p.bytes_per_cycle));
  p.setup_cycles = node.get<std::uint32_t>("setup_cycles", p.setup_cycles);
  p.max_outstanding =
      static_cast<std::uint32_t>(node.get_positive("max_outstanding", p.max_outstanding));
  return p;
}

Dma::Dma(const sc_core::sc_module_name& name, const DmaParams& params, sc_core::sc_time clock,
         sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name),
      params_(params),
      clock_(clock),
      buffer_(params.max_transaction_bytes),
      vcd_(vcd) {
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "dram_read_bytes", dram_read_bytes_.total(), sim::Unit::kBytes,
            "bytes the DMA read from DRAM");
  stats.add(prefix + "dram_write_bytes", dram_write_bytes_.total(), sim::Unit::kBytes,
            "bytes the DMA wrote to DRAM");
  stats.add(prefix + "local_bytes", local_bytes_, sim::Unit::kBytes,
            "bytes the DMA moved to or from the on-chip buffers");
  stats.add(prefix + "descriptors", descriptors_, sim::Unit::kCount, "descriptors executed");
  stats.add(prefix + "transactions", transactions_, sim::Unit::kCount, "TLM requests issued");
  for (std::uint32_t i = 0; i < params_.channels; ++i) {
    channels_.push_back(std::make_unique<Channel>());
    if (vcd_) {
      const std::string scope = std::string(this->name()) + ".ch" + std::to_string(i);
      channels_[i]->vcd_in_flight = vcd_->add_signal(scope, "bytes_in_flight", 32);
      channels_[i]->vcd_descriptor = vcd_->add_signal(scope, "descriptor", 32);
      channels_[i]->vcd_bytes = vcd_->add_rate_signal(scope, "bytes_per_window");
      if (vcd_->timeline()) channels_[i]->timeline_track = vcd_->timeline()->track(scope);
    }
    sc_core::sc_spawn([this, i] { channel_thread(i); }, sc_core::sc_gen_unique_name("channel"));
  }
}

void Dma::submit(std::uint32_t channel, DmaJob* job) {
  EDGESIM_CHECK(channel < channels_.size(), "DMA channel out of range");
  job->done = false;
  channels_[channel]->queue.push_back(job);
  channels_[channel]->wake.notify(sc_core::SC_ZERO_TIME);
}

void Dma::wait_for(DmaJob& job) {
  while (!job.done) sc_core::wait(job.done_event);
}

void Dma::channel_thread(std::uint32_t index) {
  Channel& channel = *channels_[index];
  while (true) {
    while (channel.queue.empty()) sc_core::wait(channel.wake);
    DmaJob* job = channel.queue.front();
    channel.queue.pop_front();
    execute(channel, *job);
    job->done = true;
    job->done_event.notify(sc_core::SC_ZERO_TIME);
  }
}

void Dma::transport(tlm_utils::simple_initiator_socket<Dma>& socket, tlm::tlm_command command,
                    std::uint64_t address, unsigned char* data, std::uint64_t length,
                    TrafficTag* tag, sc_core::sc_time& delay) {
  // One payload reused for every request: constructing and destroying payloads dominated the
  // cost of a transfer.
  tlm::tlm_generic_payload& gp = payload_;
  tagged_transport(socket, gp, command, address, data, length, *tag, delay);
  ++transactions_;
  if (gp.is_response_error()) {
    char text[32];
    std::snprintf(text, sizeof(text), "%llx", static_cast<unsigned long long>(address));
    throw sim::InternalError(std::string(name()) + ": DMA transfer at 0x" + text +
                             " failed: " + gp.get_response_string());
  }
}

void Dma::account_dram(const TrafficTag& tag, const sc_core::sc_time& sent,
                       const sc_core::sc_time& done) {
  dram_bursts_.add(&tag, tag.dram_bursts);
  dram_row_hits_.add(&tag, tag.dram_row_hits);
  dram_requests_.add(&tag, 1);
  dram_latency_ps_.add(
      &tag, done > sent ? static_cast<std::uint64_t>((done - sent).to_seconds() * 1e12 + 0.5) : 0);
}

void Dma::execute(Channel& channel, DmaJob& job) {
  const DmaDescriptor& d = job.descriptor;
  ++descriptors_;
  TrafficTag tag = d.tag;
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  if (vcd_) {
    const auto now = static_cast<std::uint64_t>(start.value());
    vcd_->change(channel.vcd_in_flight, now, d.bytes());
    vcd_->change(channel.vcd_descriptor, now, ++descriptor_counter_);
  }
  // Requests are issued at the engine's rate, ahead of kernel time (temporal decoupling); each
  // completes when its target says so, and the job ends when the last one has completed.
  sc_core::sc_time issue = clock_ * static_cast<double>(params_.setup_cycles);
  sc_core::sc_time finish = issue;
  const sc_core::sc_time per_byte = clock_ / static_cast<double>(params_.bytes_per_cycle);
  // Completion times of the last max_outstanding requests: a new request waits for a slot.
  std::vector<sc_core::sc_time> in_flight(params_.max_outstanding, sc_core::SC_ZERO_TIME);
  std::uint64_t request = 0;
  for (std::uint64_t row = 0; row < d.rows; ++row) {
    for (std::uint64_t offset = 0; offset < d.row_bytes; offset += params_.max_transaction_bytes) {
      const std::uint64_t length =
          std::min<std::uint64_t>(params_.max_transaction_bytes, d.row_bytes - offset);
      const std::uint64_t dram = d.dram_address + row * d.dram_stride + offset;
      const std::uint64_t local_address = d.local_address + row * d.local_stride + offset;
      sc_core::sc_time& slot = in_flight[request++ % in_flight.size()];
      issue = std::max(issue, slot);
      sc_core::sc_time delay = issue;
      tag.dram_bursts = 0;
      tag.dram_row_hits = 0;
      if (d.to_local) {
        transport(mem, tlm::TLM_READ_COMMAND, dram, buffer_.data(), length, &tag, delay);
        account_dram(tag, issue, delay);
        transport(local, tlm::TLM_WRITE_COMMAND, local_address, buffer_.data(), length, &tag,
                  delay);
        dram_read_bytes_.add(&tag, length);
      } else {
        transport(local, tlm::TLM_READ_COMMAND, local_address, buffer_.data(), length, &tag, delay);
        const sc_core::sc_time sent = delay;
        transport(mem, tlm::TLM_WRITE_COMMAND, dram, buffer_.data(), length, &tag, delay);
        account_dram(tag, sent, delay);
        dram_write_bytes_.add(&tag, length);
      }
      local_bytes_ += length;
      if (vcd_) vcd_->add_amount(channel.vcd_bytes, (start + delay).value(), length);
      finish = std::max(finish, delay);
      issue += per_byte * static_cast<double>(length);
    }
  }
  sc_core::wait(std::max(finish, issue));
  if (vcd_) {
    const auto now = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
    vcd_->change(channel.vcd_in_flight, now, 0);
    if (vcd_->timeline()) {
      vcd_->timeline()->slice(channel.timeline_track, d.to_local ? "load" : "store", start.value(),
                              now, {{"bytes", d.bytes()}, {"layer", d.tag.layer}});
    }
  }
}

}  // namespace models
