#pragma once
// Descriptor-driven DMA engine: several channels move 2-D strided blocks between DRAM (system
// bus) and the on-chip buffers (local bus) as TLM transactions, concurrently with compute.

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/common/traffic_ledger.h"
#include "sim/core/config.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// DMA parameters (`accelerator.dma`).
struct DmaParams {
  std::uint32_t channels = 2;
  std::uint32_t max_transaction_bytes = 4096;  // one TLM request; the DRAM splits it in bursts
  std::uint32_t bytes_per_cycle = 32;          // issue rate of the engine
  std::uint32_t setup_cycles = 16;             // per descriptor
  std::uint32_t max_outstanding = 16;          // requests in flight per channel
};
DmaParams parse_dma(const sim::ConfigNode& node);

/// A 2-D strided block transfer.
struct DmaDescriptor {
  bool to_local = true;  // DRAM -> SRAM (load) or SRAM -> DRAM (store)
  std::uint64_t dram_address = 0;
  std::uint64_t local_address = 0;
  std::uint64_t rows = 1;
  std::uint64_t row_bytes = 0;
  std::uint64_t dram_stride = 0;   // bytes between rows in DRAM
  std::uint64_t local_stride = 0;  // bytes between rows on chip
  TrafficTag tag;
  std::uint64_t bytes() const { return rows * row_bytes; }
};

/// A submitted transfer; the submitter waits on `done_event` until `done`.
struct DmaJob {
  DmaDescriptor descriptor;
  bool done = false;
  sc_core::sc_event done_event;
};

/// The DMA engine.
class Dma : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Dma> mem{"mem"};      // to DRAM through the system bus
  tlm_utils::simple_initiator_socket<Dma> local{"local"};  // to the on-chip buffers

  Dma(const sc_core::sc_module_name& name, const DmaParams& params, sc_core::sc_time clock,
      sim::Stats& stats, sim::VcdWriter* vcd);
  /// Queues a job on `channel` (0 = loads, 1 = stores by convention); returns at once.
  void submit(std::uint32_t channel, DmaJob* job);
  /// Blocks the calling thread until `job` has completed.
  static void wait_for(DmaJob& job);

  const TrafficLedger& dram_reads() const { return dram_read_bytes_; }
  const TrafficLedger& dram_writes() const { return dram_write_bytes_; }
  /// DRAM bursts, row hits and latency (ps, summed over requests) of the DMA's requests.
  const TrafficLedger& dram_bursts() const { return dram_bursts_; }
  const TrafficLedger& dram_row_hits() const { return dram_row_hits_; }
  const TrafficLedger& dram_latency_ps() const { return dram_latency_ps_; }
  const TrafficLedger& dram_requests() const { return dram_requests_; }

 private:
  struct Channel {
    std::deque<DmaJob*> queue;
    sc_core::sc_event wake;
    sim::VcdWriter::SignalId vcd_in_flight = 0;
    sim::VcdWriter::SignalId vcd_descriptor = 0;
    sim::VcdWriter::SignalId vcd_bytes = 0;  // bytes moved per rate window
    std::uint32_t timeline_track = 0;
  };
  void channel_thread(std::uint32_t index);
  void execute(Channel& channel, DmaJob& job);
  void account_dram(const TrafficTag& tag, const sc_core::sc_time& sent,
                    const sc_core::sc_time& done);
  void transport(tlm_utils::simple_initiator_socket<Dma>& socket, tlm::tlm_command command,
                 std::uint64_t address, unsigned char* data, std::uint64_t length, TrafficTag* tag,
                 sc_core::sc_time& delay);

  const DmaParams params_;
  const sc_core::sc_time clock_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<unsigned char> buffer_;
  tlm::tlm_generic_payload payload_;
  TrafficLedger dram_read_bytes_;
  TrafficLedger dram_write_bytes_;
  TrafficLedger dram_bursts_, dram_row_hits_, dram_latency_ps_, dram_requests_;
  std::uint64_t local_bytes_ = 0;
  std::uint64_t descriptors_ = 0;
  std::uint64_t transactions_ = 0;
  std::uint64_t descriptor_counter_ = 0;
  sim::VcdWriter* vcd_;
};

}  // namespace models
