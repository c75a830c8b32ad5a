#pragma once
// The DRAM timing engine: bank state, row buffers, data-bus occupancy and refresh, computed
// per burst in picoseconds. Plain C++ (no SystemC), shared by the LT and AT front ends.

#include <cstdint>
#include <vector>

#include "models/memory/dram/dram_params.h"

namespace models {

/// Location of one burst in the DRAM hierarchy.
struct DramAddress {
  std::uint32_t channel = 0;
  std::uint32_t rank = 0;
  std::uint32_t bank_group = 0;
  std::uint32_t bank = 0;  // within its bank group
  std::uint64_t row = 0;
  std::uint32_t column = 0;  // in bursts
};

/// Splits a burst index (byte offset / burst bytes) into DRAM coordinates and back.
class DramAddressMapper {
 public:
  explicit DramAddressMapper(const DramParams& params);
  DramAddress decode(std::uint64_t burst_index) const;
  std::uint64_t encode(const DramAddress& address) const;

 private:
  std::vector<DramBitSegment> segments_;
};

/// Event counts of one DRAM; the Dram module registers each with sim::Stats.
struct DramCounters {
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t read_bursts = 0;
  std::uint64_t write_bursts = 0;
  std::uint64_t activates = 0;
  std::uint64_t precharges = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t row_hits = 0;       // the bank had the burst's row open
  std::uint64_t row_misses = 0;     // the bank was closed: activate only
  std::uint64_t row_conflicts = 0;  // another row was open: precharge + activate
  std::uint64_t transactions = 0;
  std::uint64_t latency_total_ps = 0;  // sum over transactions of completion - arrival
  std::uint64_t data_bus_busy_ps = 0;  // sum over channels of data-bus occupancy
  std::uint64_t background_ps = 0;     // simulated time accounted (standby energy accrues)
  std::uint64_t error_responses = 0;
  std::uint64_t queue_full_waits = 0;  // AT: requests that found the queue full
};

/// Energy in pJ of the counted events plus background power over background_ps.
double dram_energy_pj(const DramParams& params, const DramCounters& counters);

/// How a burst found its bank.
enum class RowOutcome { kHit, kMiss, kConflict };

/// When the commands of one burst happen.
struct BurstTiming {
  std::uint64_t column_ps;    // the RD/WR command
  std::uint64_t data_end_ps;  // the last data beat
  RowOutcome outcome;
};

/// Reserved time intervals of one resource (a bus, a command slot); finds the earliest
/// free slot at or after a time, so a later-processed burst can use an earlier gap.
class BusyCalendar {
 public:
  /// Earliest t >= earliest with [t, t + length) free.
  std::uint64_t find(std::uint64_t earliest, std::uint64_t length) const;
  /// Reserves [start, start + length), which must be free.
  void reserve(std::uint64_t start, std::uint64_t length);
  /// Forgets intervals that end at or before `time`.
  void forget_before(std::uint64_t time);
  std::size_t size() const { return intervals_.size() - head_; }

 private:
  struct Interval {
    std::uint64_t start;
    std::uint64_t end;
  };
  std::vector<Interval> intervals_;  // sorted, disjoint, not touching, from head_ on
  std::size_t head_ = 0;             // forgotten prefix, compacted in batches
};

/// Per-burst analytic timing with bank state. Bursts are scheduled in call order; each
/// takes the earliest time all its resources allow, filling earlier gaps on shared resources
/// (data bus, column and activate slots), so independent bursts overlap and a burst to an
/// idle bank is not held behind one waiting for a busy bank. Bank state itself is kept in
/// call order.
/// Told of bank state changes as the timing model decides them (tracing only; times in ps,
/// banks by their global index: channel, rank, bank group, bank).
class DramObserver {
 public:
  virtual ~DramObserver() = default;
  virtual void row_opened(std::size_t bank, std::uint64_t row, std::uint64_t at_ps) = 0;
  virtual void row_closed(std::size_t bank, std::uint64_t at_ps) = 0;
  virtual void refreshed(std::size_t first_bank, std::size_t banks, std::uint64_t start_ps,
                         std::uint64_t end_ps) = 0;
};

class DramTiming {
 public:
  DramTiming(const DramParams& params, DramCounters& counters);
  /// Reports bank state changes to `observer` (nullptr: none, the default).
  void set_observer(DramObserver* observer) { observer_ = observer; }

  /// Schedules one burst arriving at `arrival_ps`. `keep_row_open` tells a close-page
  /// controller that another pending burst hits the same row.
  BurstTiming schedule(const DramAddress& address, bool is_write, std::uint64_t arrival_ps,
                       bool keep_row_open = false);
  /// True when the burst's bank has its row open (the FR-FCFS "first ready" test).
  bool is_row_hit(const DramAddress& address) const {
    return row_state(address) == RowOutcome::kHit;
  }
  /// How the burst would find its bank if scheduled next.
  RowOutcome row_state(const DramAddress& address) const;
  /// True when the burst's bank group would not hold its column command back (tCCD_L)
  /// beyond the channel's next column slot (tCCD_S).
  bool bank_group_ready(const DramAddress& address) const;
  /// Earliest time the burst's bank could take its next command (column for a hit,
  /// precharge/activate otherwise).
  std::uint64_t bank_ready_ps(const DramAddress& address) const {
    return bank_view(address).ready_ps;
  }
  /// What a scheduler needs to know about the burst's bank.
  struct BankView {
    RowOutcome state;
    std::uint64_t ready_ps;
    std::size_t bank_in_channel;  // index among the banks of its channel
  };
  BankView bank_view(const DramAddress& address) const;
  /// Earliest free column-command slot of `channel` at or after `from_ps`.
  std::uint64_t next_column_slot_ps(std::uint32_t channel, std::uint64_t from_ps) const {
    const Channel& c = channels_[channel];
    const std::uint64_t slot =
        check_column_slots_ ? c.column_slots.find(from_ps, tccd_ps_) : from_ps;
    return c.data_bus.find(slot + cl_ps_, burst_ps_) - cl_ps_;
  }
  /// Drains the write buffers, performs the refreshes due up to `now_ps` and accounts
  /// background time to it.
  void advance_to(std::uint64_t now_ps);
  /// Data-bus time of one burst, in ps.
  std::uint64_t burst_ps() const { return burst_ps_; }

 private:
  struct Bank {
    std::int64_t open_row = -1;
    std::uint64_t act_ready = 0;  // earliest ACT (tRC, tRP, refresh)
    std::uint64_t pre_ready = 0;  // earliest PRE (tRAS, tRTP, tWR)
    std::uint64_t col_ready = 0;  // earliest RD/WR (tRCD)
  };
  struct Rank {
    BusyCalendar activate_slots;                  // tRRD
    std::vector<std::uint64_t> recent_activates;  // sorted, for tFAW
    std::uint64_t read_ready = 0;                 // tWTR after the last write data
    std::uint64_t write_ready = 0;                // read-to-write bus turnaround
    std::uint64_t next_refresh_ps = 0;
    std::uint64_t refreshed_banks = 0;  // per-bank refresh: banks done in this round (bit set)
  };
  struct PendingWrite {
    DramAddress address;
    std::uint64_t arrival_ps;
    bool keep_row_open;
  };
  struct Channel {
    std::vector<PendingWrite> pending_writes;    // buffered, not yet scheduled
    std::vector<std::uint64_t> draining_ends;    // min-heap: data end of scheduled buffered writes
    BusyCalendar data_bus;                       // one burst at a time
    BusyCalendar column_slots;                   // tCCD_S
    std::vector<BusyCalendar> bank_group_slots;  // tCCD_L
    std::uint64_t last_column = 0;               // latest RD/WR (bank-group readiness hint)
    std::vector<std::uint64_t> bank_group_last_column;
    std::uint64_t bus_free = 0;  // type simple
  };

  void refresh_rank(std::uint32_t rank_index, std::uint64_t now_ps);
  /// Refreshes due up to `now_ps` (not the write buffers).
  void refresh_until(std::uint64_t now_ps);
  /// Schedules one burst on the DRAM now (no write buffering).
  BurstTiming issue(const DramAddress& address, bool is_write, std::uint64_t arrival_ps,
                    bool keep_row_open);
  /// Schedules every buffered write of `channel` from `now_ps` on.
  void drain_writes(Channel& channel, std::uint64_t now_ps);
  /// Buffers a write; returns when the buffer accepted it.
  std::uint64_t buffer_write(Channel& channel, const DramAddress& address, std::uint64_t arrival_ps,
                             bool keep_row_open);
  /// Precharges `bank` if open and blocks it from `due` (or when it is idle) for `cycle`;
  /// returns when the refresh starts.
  std::uint64_t refresh_bank(Bank& bank, std::uint64_t due);
  std::uint64_t activate(Bank& bank, Rank& rank, std::uint64_t earliest);
  /// Earliest t >= earliest keeping at most four activates in any tFAW window.
  std::uint64_t faw_slot(const std::vector<std::uint64_t>& activates, std::uint64_t earliest) const;
  void forget_history(Channel& channel, Rank& rank, std::uint64_t arrival_ps);
  BurstTiming schedule_simple(const DramAddress& address, bool is_write, std::uint64_t arrival_ps);

  const DramParams params_;
  DramObserver* observer_ = nullptr;
  DramCounters& counters_;
  const bool simple_;
  const bool close_page_;
  const std::uint64_t tck_;
  const std::uint64_t burst_ps_;
  const std::uint64_t cl_ps_, cwl_ps_, trcd_ps_, trp_ps_, tras_ps_, trc_ps_, trrd_ps_;
  const std::uint64_t tfaw_ps_, twr_ps_, twtr_ps_, trtp_ps_, tccd_ps_, tccd_l_ps_;
  const std::uint64_t trfc_ps_, trefi_ps_;
  const bool per_bank_refresh_;
  const std::uint64_t trfc_pb_ps_;
  const std::uint64_t refresh_interval_ps_;  // between refresh commands of one rank
  // Constraints implied by others are skipped: tCCD_S by the data bus when a burst lasts at
  // least tCCD_S, tCCD_L without bank groups, tFAW when four tRRD already span it.
  const bool check_column_slots_;
  const bool check_bank_group_slots_;
  const bool check_faw_;
  const std::uint32_t write_buffer_bursts_;
  const std::uint64_t write_hold_ps_;
  const double simple_burst_ps_;
  const std::uint64_t simple_latency_ps_;
  std::vector<Bank> banks_;  // [channel][rank][bank_group][bank]
  std::vector<Rank> ranks_;  // [channel][rank]
  std::vector<Channel> channels_;
  std::uint64_t earliest_refresh_ps_ = 0;  // min over ranks of next_refresh_ps
  std::uint64_t forget_calls_ = 0;         // history is trimmed every 32 bursts
};

}  // namespace models
