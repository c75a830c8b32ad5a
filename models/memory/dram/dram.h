#pragma once
// DRAM target: TLM-2.0 socket, bank-state timing (DramTiming), sparse functional storage.
// LT: b_transport returns the burst-accurate completion time without wait(). AT: four-phase
// protocol through a payload event queue into an FR-FCFS controller with a request queue.

#include <tlm_utils/peq_with_get.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <map>
#include <memory>
#include <deque>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/memory/dram/dram_params.h"
#include "models/memory/dram/dram_storage.h"
#include "models/memory/dram/dram_timing.h"
#include "sim/core/stats.h"
#include "sim/core/timeline.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// A DRAM device with its controller. Addresses are byte offsets from the DRAM's base.
class Dram : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Dram> in{"in"};

  SC_HAS_PROCESS(Dram);
  /// Registers its counters in `stats` as "<module name>.<counter>".
  Dram(const sc_core::sc_module_name& name, const DramParams& params, sim::Stats& stats);

  const DramParams& params() const { return params_; }
  const DramCounters& counters() const { return counters_; }
  /// Energy in pJ of everything counted so far (call account_until first: it drains the
  /// write buffers and counts refreshes and background time up to the end of the run).
  double energy_pj() const { return dram_energy_pj(params_, counters_); }
  /// Row hits over all bursts that needed a row (0 when none).
  double row_hit_rate() const;
  /// Mean transaction latency in ns (0 when none).
  double average_latency_ns() const;
  /// Sends buffered writes to the DRAM, performs refreshes due until `now` and accounts
  /// background time up to it. Call it after sc_start() returns, before reading counters;
  /// end_of_simulation() does it too, but SystemC calls that only after sc_stop().
  void account_until(const sc_core::sc_time& now);
  /// The functional memory (tests and loaders).
  DramStorage& storage() { return storage_; }
  /// Traces every bank's state (0 idle, 1 row open, 2 refreshing) and open row into `vcd`
  /// under `<name>.bankN`, and refreshes as timeline slices on `<name>.rankN` (all-bank) or
  /// `<name>.bankN` (per-bank) tracks (tile level).
  void attach_trace(sim::VcdWriter& vcd);

 private:
  struct AtBurst {
    tlm::tlm_generic_payload* payload;
    DramAddress address;
    bool is_write;
  };
  /// AT bookkeeping kept on the payload (a sticky extension: allocated once per payload,
  /// freed with it), so the controller needs no lookup table.
  struct AtTransaction : tlm::tlm_extension<AtTransaction> {
    std::uint64_t arrival_ps = 0;
    std::uint64_t end_ps = 0;
    std::uint32_t bursts_to_issue = 0;
    tlm::tlm_extension_base* clone() const override { return new AtTransaction(*this); }
    void copy_from(const tlm::tlm_extension_base& other) override {
      *this = static_cast<const AtTransaction&>(other);
    }
  };
  static AtTransaction& at_state(tlm::tlm_generic_payload& payload);

  /// Bank-state signals for the VCD and refresh slices for the timeline.
  class BankTracer : public DramObserver {
   public:
    BankTracer(sim::VcdWriter& vcd, const std::string& scope, std::size_t banks,
               std::size_t banks_per_rank);
    void row_opened(std::size_t bank, std::uint64_t row, std::uint64_t at_ps) override;
    void row_closed(std::size_t bank, std::uint64_t at_ps) override;
    void refreshed(std::size_t first_bank, std::size_t banks, std::uint64_t start_ps,
                   std::uint64_t end_ps) override;

   private:
    sim::VcdWriter& vcd_;
    std::vector<sim::VcdWriter::SignalId> state_, open_row_;
    sim::Timeline* timeline_;
    // Refresh slices: one track per rank for all-bank refreshes, one per bank for per-bank
    // refreshes (which may overlap in time on different banks), created on first use.
    std::map<std::string, sim::Timeline::TrackId> tracks_;
    std::string scope_;
    std::size_t banks_per_rank_;
  };
  std::unique_ptr<BankTracer> tracer_;

  void b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& payload);
  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& payload, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  /// Checks command, range, streaming width and byte enables; sets an error status on failure.
  bool check(tlm::tlm_generic_payload& payload);
  /// Copies the payload's data to or from storage.
  void access_storage(tlm::tlm_generic_payload& payload);

  void request_arrived();  // AT: BEGIN_REQ reached its annotated time
  /// Queues the payload's bursts; sends END_REQ on the backward path when `send_end_request`.
  void accept(tlm::tlm_generic_payload& payload, bool send_end_request);
  void schedule_bursts();  // AT: FR-FCFS controller
  void response_ready();   // AT: a transaction's data is complete
  void send_responses();
  void end_of_simulation() override;

  std::uint64_t now_ps() const;
  sc_core::sc_time to_time(std::uint64_t ps) const;

  const DramParams params_;
  DramCounters counters_;
  DramTiming timing_;
  DramAddressMapper mapper_;
  DramStorage storage_;
  const std::uint64_t burst_bytes_;
  std::uint64_t resolution_ps_ = 1;

  // AT controller.
  tlm_utils::peq_with_get<tlm::tlm_generic_payload> request_peq_;
  tlm_utils::peq_with_get<tlm::tlm_generic_payload> response_peq_;
  sc_core::sc_event schedule_event_;
  sc_core::sc_event response_free_event_;
  std::vector<std::vector<AtBurst>> channel_queues_;
  std::vector<std::uint64_t> next_decision_ps_;
  std::vector<bool> last_was_write_;  // direction of each channel's last burst
  std::vector<char> bank_has_hit_;    // scratch of the scheduler, one entry per bank of a channel
  std::vector<DramTiming::BankView> views_;  // scratch of the scheduler, one per queued burst
  std::uint64_t lookahead_ps_ = 0;
  std::deque<tlm::tlm_generic_payload*> waiting_for_queue_;
  std::deque<tlm::tlm_generic_payload*> responses_;
  std::uint32_t queued_transactions_ = 0;
  bool response_in_progress_ = false;
};

}  // namespace models
