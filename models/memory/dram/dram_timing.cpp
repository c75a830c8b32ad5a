#include "models/memory/dram/dram_timing.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace models {

DramAddressMapper::DramAddressMapper(const DramParams& params)
    : segments_(params.mapping_segments) {}

DramAddress DramAddressMapper::decode(std::uint64_t burst_index) const {
  DramAddress a;
  for (const auto& s : segments_) {
    const std::uint64_t bits =
        (burst_index >> s.source_shift) & ((std::uint64_t{1} << s.width) - 1);
    switch (s.field) {
      case DramField::kChannel:
        a.channel |= static_cast<std::uint32_t>(bits << s.field_shift);
        break;
      case DramField::kRank:
        a.rank |= static_cast<std::uint32_t>(bits << s.field_shift);
        break;
      case DramField::kBankGroup:
        a.bank_group |= static_cast<std::uint32_t>(bits << s.field_shift);
        break;
      case DramField::kBank:
        a.bank |= static_cast<std::uint32_t>(bits << s.field_shift);
        break;
      case DramField::kRow:
        a.row |= bits << s.field_shift;
        break;
      case DramField::kColumn:
        a.column |= static_cast<std::uint32_t>(bits << s.field_shift);
        break;
    }
  }
  return a;
}

std::uint64_t DramAddressMapper::encode(const DramAddress& a) const {
  std::uint64_t index = 0;
  for (const auto& s : segments_) {
    std::uint64_t value = 0;
    switch (s.field) {
      case DramField::kChannel:
        value = a.channel;
        break;
      case DramField::kRank:
        value = a.rank;
        break;
      case DramField::kBankGroup:
        value = a.bank_group;
        break;
      case DramField::kBank:
        value = a.bank;
        break;
      case DramField::kRow:
        value = a.row;
        break;
      case DramField::kColumn:
        value = a.column;
        break;
    }
    index |= ((value >> s.field_shift) & ((std::uint64_t{1} << s.width) - 1)) << s.source_shift;
  }
  return index;
}

namespace {

/// First element of [first, last) for which `after(element)` holds, `after` being false then
/// true along the range; searched from the back, since queries are mostly about recent times.
template <typename Iterator, typename Predicate>
Iterator partition_from_back(Iterator first, Iterator last, Predicate after) {
  std::ptrdiff_t step = 1;
  Iterator high = last;
  while (high != first) {
    const Iterator probe = high - std::min<std::ptrdiff_t>(step, high - first);
    if (!after(*probe)) {
      return std::partition_point(probe, high, [&](const auto& x) { return !after(x); });
    }
    high = probe;
    step *= 2;
  }
  return first;
}

}  // namespace

std::uint64_t BusyCalendar::find(std::uint64_t earliest, std::uint64_t length) const {
  if (length == 0) return earliest;
  auto it =
      partition_from_back(intervals_.begin() + static_cast<std::ptrdiff_t>(head_), intervals_.end(),
                          [&](const Interval& i) { return i.end > earliest; });
  std::uint64_t t = earliest;
  for (; it != intervals_.end(); ++it) {
    if (it->start >= t + length) return t;
    t = std::max(t, it->end);
  }
  return t;
}

void BusyCalendar::reserve(std::uint64_t start, std::uint64_t length) {
  if (length == 0) return;
  const std::uint64_t end = start + length;
  if (intervals_.size() == head_ || intervals_.back().end < start) {
    intervals_.push_back({start, end});
    return;
  }
  if (intervals_.back().end == start) {
    intervals_.back().end = end;
    return;
  }
  const auto first = intervals_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = partition_from_back(first, intervals_.end(),
                                [&](const Interval& i) { return i.start > start; });
  // `it` is the first interval starting after `start`; merge with touching neighbours.
  const bool joins_previous = it != first && std::prev(it)->end == start;
  const bool joins_next = it != intervals_.end() && it->start == end;
  if (joins_previous && joins_next) {
    std::prev(it)->end = it->end;
    intervals_.erase(it);
  } else if (joins_previous) {
    std::prev(it)->end = end;
  } else if (joins_next) {
    it->start = start;
  } else {
    intervals_.insert(it, {start, end});
  }
}

void BusyCalendar::forget_before(std::uint64_t time) {
  while (head_ < intervals_.size() && intervals_[head_].end <= time) ++head_;
  if (head_ > 64 && head_ * 2 > intervals_.size()) {
    intervals_.erase(intervals_.begin(), intervals_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

double dram_energy_pj(const DramParams& p, const DramCounters& c) {
  const double burst_bits = static_cast<double>(p.burst_bytes()) * 8.0;
  // A per-bank refresh refreshes one bank's share of the rows an all-bank refresh covers.
  const double refresh_pj = p.refresh_mode == RefreshMode::kPerBank
                                ? p.refresh_pj / (static_cast<double>(p.bank_groups) * p.banks)
                                : p.refresh_pj;
  // mW x ps = 1e-3 W x 1e-12 s = 1e-15 J = 1e-3 pJ.
  return static_cast<double>(c.activates) * p.activate_pj +
         static_cast<double>(c.precharges) * p.precharge_pj +
         static_cast<double>(c.read_bursts) * burst_bits * p.read_pj_per_bit +
         static_cast<double>(c.write_bursts) * burst_bits * p.write_pj_per_bit +
         static_cast<double>(c.refreshes) * refresh_pj +
         p.background_mw * static_cast<double>(c.background_ps) * 1e-3;
}

DramTiming::DramTiming(const DramParams& params, DramCounters& counters)
    : params_(params),
      counters_(counters),
      simple_(params.type == DramType::kSimple),
      close_page_(params.page_policy == PagePolicy::kClose),
      tck_(params.tck_ps),
      burst_ps_(static_cast<std::uint64_t>(params.burst_length / params.transfers_per_clock) *
                params.tck_ps),
      cl_ps_(tck_ * params.cl),
      cwl_ps_(tck_ * params.cwl),
      trcd_ps_(tck_ * params.trcd),
      trp_ps_(tck_ * params.trp),
      tras_ps_(tck_ * params.tras),
      trc_ps_(tck_ * params.trc),
      trrd_ps_(tck_ * params.trrd),
      tfaw_ps_(tck_ * params.tfaw),
      twr_ps_(tck_ * params.twr),
      twtr_ps_(tck_ * params.twtr),
      trtp_ps_(tck_ * params.trtp),
      tccd_ps_(tck_ * params.tccd),
      tccd_l_ps_(tck_ * params.tccd_l),
      trfc_ps_(tck_ * params.trfc),
      trefi_ps_(tck_ * params.trefi),
      per_bank_refresh_(params.refresh_mode == RefreshMode::kPerBank),
      trfc_pb_ps_(tck_ * params.trfc_pb),
      refresh_interval_ps_(per_bank_refresh_
                               ? trefi_ps_ /
                                     (static_cast<std::uint64_t>(params.bank_groups) * params.banks)
                               : trefi_ps_),
      check_column_slots_(tccd_ps_ > burst_ps_),
      check_bank_group_slots_(params.bank_groups > 1 && tccd_l_ps_ > std::max(tccd_ps_, burst_ps_)),
      check_faw_(tfaw_ps_ > 4 * trrd_ps_),
      write_buffer_bursts_(params.write_buffer_bursts),
      write_hold_ps_(static_cast<std::uint64_t>(params.write_hold_ns) * 1000),
      simple_burst_ps_(static_cast<double>(params.burst_bytes()) * 1000.0 / params.bandwidth_gbps),
      simple_latency_ps_(static_cast<std::uint64_t>(std::llround(params.latency_ns * 1000.0))),
      banks_(params.total_banks()),
      ranks_(static_cast<std::size_t>(params.channels) * params.ranks),
      channels_(params.channels) {
  for (auto& channel : channels_) {
    channel.bank_group_slots.resize(params.bank_groups);
    channel.bank_group_last_column.assign(params.bank_groups, 0);
  }
  // All ranks refresh together: a stream striped over every channel then loses tRFC once
  // per tREFI, not a staggered refresh on some channel nearly all the time.
  for (auto& rank : ranks_) rank.next_refresh_ps = refresh_interval_ps_;
  earliest_refresh_ps_ =
      trefi_ps_ == 0 || simple_ ? std::numeric_limits<std::uint64_t>::max() : refresh_interval_ps_;
}

RowOutcome DramTiming::row_state(const DramAddress& a) const {
  if (simple_) return RowOutcome::kHit;
  const std::size_t rank_index = static_cast<std::size_t>(a.channel) * params_.ranks + a.rank;
  const Bank& bank =
      banks_[(rank_index * params_.bank_groups + a.bank_group) * params_.banks + a.bank];
  if (bank.open_row == static_cast<std::int64_t>(a.row)) return RowOutcome::kHit;
  return bank.open_row < 0 ? RowOutcome::kMiss : RowOutcome::kConflict;
}

DramTiming::BankView DramTiming::bank_view(const DramAddress& a) const {
  const std::size_t in_channel =
      (static_cast<std::size_t>(a.rank) * params_.bank_groups + a.bank_group) * params_.banks +
      a.bank;
  if (simple_) return {RowOutcome::kHit, 0, in_channel};
  const std::size_t banks_per_channel =
      static_cast<std::size_t>(params_.ranks) * params_.bank_groups * params_.banks;
  const Bank& bank = banks_[a.channel * banks_per_channel + in_channel];
  if (bank.open_row == static_cast<std::int64_t>(a.row)) {
    return {RowOutcome::kHit, bank.col_ready, in_channel};
  }
  if (bank.open_row < 0) return {RowOutcome::kMiss, bank.act_ready, in_channel};
  return {RowOutcome::kConflict, bank.pre_ready, in_channel};
}

bool DramTiming::bank_group_ready(const DramAddress& a) const {
  const Channel& channel = channels_[a.channel];
  return channel.bank_group_last_column[a.bank_group] + tccd_l_ps_ <=
         channel.last_column + tccd_ps_;
}

std::uint64_t DramTiming::refresh_bank(Bank& bank, std::uint64_t due) {
  if (bank.open_row >= 0) {
    bank.act_ready = std::max(bank.act_ready, std::max(due, bank.pre_ready) + trp_ps_);
    bank.open_row = -1;
    ++counters_.precharges;
    if (observer_) {
      observer_->row_closed(static_cast<std::size_t>(&bank - banks_.data()),
                            std::max(due, bank.pre_ready));
    }
  }
  return std::max(due, bank.act_ready);  // tRP after PRE, tRC after ACT
}

void DramTiming::refresh_rank(std::uint32_t rank_index, std::uint64_t now_ps) {
  Rank& rank = ranks_[rank_index];
  const std::uint32_t banks_per_rank = params_.bank_groups * params_.banks;
  Bank* const first = &banks_[static_cast<std::size_t>(rank_index) * banks_per_rank];
  const std::uint32_t round = per_bank_refresh_ ? banks_per_rank : 1;
  std::uint32_t done = 0;
  while (rank.next_refresh_ps <= now_ps) {
    const std::uint64_t due = rank.next_refresh_ps;
    if (per_bank_refresh_) {
      // Every bank once per round, in any order (LPDDR4/5 REFpb names its bank): take the
      // bank idle longest, as a controller would, so refresh rarely stalls a stream.
      std::uint32_t pick = banks_per_rank;
      for (std::uint32_t b = 0; b < banks_per_rank; ++b) {
        if ((rank.refreshed_banks >> b) & 1) continue;
        if (pick == banks_per_rank || first[b].pre_ready < first[pick].pre_ready) pick = b;
      }
      const std::uint64_t start = refresh_bank(first[pick], due);
      first[pick].act_ready = start + trfc_pb_ps_;
      if (observer_) {
        observer_->refreshed(static_cast<std::size_t>(&first[pick] - banks_.data()), 1, start,
                             start + trfc_pb_ps_);
      }
      rank.refreshed_banks |= std::uint64_t{1} << pick;
      if (rank.refreshed_banks ==
          (banks_per_rank == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << banks_per_rank) - 1)) {
        rank.refreshed_banks = 0;
      }
    } else {
      // REFab needs every bank precharged; it holds the whole rank for tRFC.
      std::uint64_t start = due;
      for (std::uint32_t b = 0; b < banks_per_rank; ++b) {
        start = std::max(start, refresh_bank(first[b], due));
      }
      for (std::uint32_t b = 0; b < banks_per_rank; ++b) {
        first[b].act_ready = std::max(first[b].act_ready, start + trfc_ps_);
      }
      if (observer_) {
        observer_->refreshed(static_cast<std::size_t>(first - banks_.data()), banks_per_rank,
                             start, start + trfc_ps_);
      }
    }
    ++counters_.refreshes;
    rank.next_refresh_ps += refresh_interval_ps_;
    // A long idle gap: once every bank has been refreshed (and so closed), count the
    // refreshes of the gap at once, leaving the last round to set each bank's state.
    if (++done >= round && now_ps >= rank.next_refresh_ps + (round + 1) * refresh_interval_ps_) {
      const std::uint64_t skipped = (now_ps - rank.next_refresh_ps) / refresh_interval_ps_ - round;
      counters_.refreshes += skipped;
      rank.next_refresh_ps += skipped * refresh_interval_ps_;
    }
  }
}

void DramTiming::refresh_until(std::uint64_t now_ps) {
  if (now_ps < earliest_refresh_ps_) return;
  earliest_refresh_ps_ = std::numeric_limits<std::uint64_t>::max();
  for (std::uint32_t r = 0; r < ranks_.size(); ++r) {
    refresh_rank(r, now_ps);
    earliest_refresh_ps_ = std::min(earliest_refresh_ps_, ranks_[r].next_refresh_ps);
  }
}

void DramTiming::advance_to(std::uint64_t now_ps) {
  for (auto& channel : channels_) {
    if (!channel.pending_writes.empty()) {
      drain_writes(channel,
                   std::min(now_ps, channel.pending_writes.front().arrival_ps + write_hold_ps_));
    }
  }
  refresh_until(now_ps);
  counters_.background_ps = std::max(counters_.background_ps, now_ps);
}

void DramTiming::drain_writes(Channel& channel, std::uint64_t now_ps) {
  std::vector<PendingWrite> batch;
  batch.swap(channel.pending_writes);
  for (const PendingWrite& write : batch) {
    const BurstTiming t =
        issue(write.address, true, std::max(now_ps, write.arrival_ps), write.keep_row_open);
    channel.draining_ends.push_back(t.data_end_ps);
    std::push_heap(channel.draining_ends.begin(), channel.draining_ends.end(),
                   std::greater<std::uint64_t>());
  }
}

std::uint64_t DramTiming::buffer_write(Channel& channel, const DramAddress& address,
                                       std::uint64_t arrival_ps, bool keep_row_open) {
  auto& ends = channel.draining_ends;
  const auto free_slots_until = [&](std::uint64_t t) {
    while (!ends.empty() && ends.front() <= t) {
      std::pop_heap(ends.begin(), ends.end(), std::greater<std::uint64_t>());
      ends.pop_back();
    }
  };
  free_slots_until(arrival_ps);
  std::uint64_t accepted = arrival_ps;
  if (ends.size() + channel.pending_writes.size() >= write_buffer_bursts_) {
    // Full: wait for the earliest buffered write to reach the DRAM.
    if (ends.empty()) drain_writes(channel, arrival_ps);
    accepted = std::max(arrival_ps, ends.front());
    free_slots_until(accepted);
  }
  channel.pending_writes.push_back({address, accepted, keep_row_open});
  if (channel.pending_writes.size() * 2 >= write_buffer_bursts_) drain_writes(channel, accepted);
  return accepted;
}

std::uint64_t DramTiming::faw_slot(const std::vector<std::uint64_t>& activates,
                                   std::uint64_t earliest) const {
  if (tfaw_ps_ == 0) return earliest;
  std::uint64_t t = earliest;
  for (bool moved = true; moved;) {
    moved = false;
    // With t inserted at position k, every run of five activates must span >= tFAW.
    const std::size_t k =
        static_cast<std::size_t>(partition_from_back(activates.begin(), activates.end(),
                                                     [&](std::uint64_t a) { return a > t; }) -
                                 activates.begin());
    const auto at = [&](std::size_t i) {
      return i < k ? activates[i] : i == k ? t : activates[i - 1];
    };
    const std::size_t count = activates.size() + 1;
    for (std::size_t first = k >= 4 ? k - 4 : 0; first <= k && first + 4 < count; ++first) {
      if (at(first + 4) - at(first) >= tfaw_ps_) continue;
      // t last in the window: wait for the window's first activate to age out; otherwise
      // move t past the window's last activate and look again.
      t = first + 4 == k ? at(first) + tfaw_ps_ : at(first + 4) + 1;
      moved = true;
      break;
    }
  }
  return t;
}

std::uint64_t DramTiming::activate(Bank& bank, Rank& rank, std::uint64_t earliest) {
  std::uint64_t act = std::max(earliest, bank.act_ready);
  for (;;) {
    std::uint64_t slot = rank.activate_slots.find(act, trrd_ps_);
    if (check_faw_) slot = faw_slot(rank.recent_activates, slot);
    if (slot == act) break;
    act = slot;
  }
  rank.activate_slots.reserve(act, trrd_ps_);
  if (check_faw_) {
    rank.recent_activates.insert(
        partition_from_back(rank.recent_activates.begin(), rank.recent_activates.end(),
                            [&](std::uint64_t a) { return a > act; }),
        act);
  }
  bank.col_ready = act + trcd_ps_;
  bank.pre_ready = act + tras_ps_;
  bank.act_ready = act + trc_ps_;
  ++counters_.activates;
  return act;
}

void DramTiming::forget_history(Channel& channel, Rank& rank, std::uint64_t arrival_ps) {
  // Requests may arrive a little out of order (several DMA channels); history older than
  // this margin before the current arrival can no longer constrain anything.
  constexpr std::uint64_t kMarginPs = 10000000;
  if (arrival_ps < kMarginPs || (++forget_calls_ & 31) != 0) return;
  const std::uint64_t horizon = arrival_ps - kMarginPs;
  channel.data_bus.forget_before(horizon);
  channel.column_slots.forget_before(horizon);
  for (auto& slots : channel.bank_group_slots) slots.forget_before(horizon);
  rank.activate_slots.forget_before(horizon);
  auto& acts = rank.recent_activates;
  if (acts.size() > 64 && acts[acts.size() / 2] < horizon) {
    acts.erase(acts.begin(), std::lower_bound(acts.begin(), acts.end(), horizon));
  }
}

BurstTiming DramTiming::schedule_simple(const DramAddress& a, bool is_write,
                                        std::uint64_t arrival_ps) {
  Channel& channel = channels_[0];
  const std::uint64_t start = std::max(arrival_ps, channel.bus_free);
  channel.bus_free = start + static_cast<std::uint64_t>(std::ceil(simple_burst_ps_));
  counters_.data_bus_busy_ps += channel.bus_free - start;
  if (is_write) {
    ++counters_.write_bursts;
  } else {
    ++counters_.read_bursts;
  }
  const std::uint64_t end = channel.bus_free + simple_latency_ps_;
  counters_.background_ps = std::max(counters_.background_ps, end);
  return {start, end, RowOutcome::kHit};
}

BurstTiming DramTiming::schedule(const DramAddress& a, bool is_write, std::uint64_t arrival_ps,
                                 bool keep_row_open) {
  if (simple_) return schedule_simple(a, is_write, arrival_ps);
  refresh_until(arrival_ps);
  Channel& channel = channels_[a.channel];
  if (!channel.pending_writes.empty() &&
      channel.pending_writes.front().arrival_ps + write_hold_ps_ <= arrival_ps) {
    drain_writes(channel, channel.pending_writes.front().arrival_ps + write_hold_ps_);
  }
  if (is_write && write_buffer_bursts_ > 0) {
    const std::uint64_t accepted = buffer_write(channel, a, arrival_ps, keep_row_open);
    return {accepted, accepted + burst_ps_, RowOutcome::kHit};
  }
  return issue(a, is_write, arrival_ps, keep_row_open);
}

BurstTiming DramTiming::issue(const DramAddress& a, bool is_write, std::uint64_t arrival_ps,
                              bool keep_row_open) {
  Channel& channel = channels_[a.channel];
  const std::size_t rank_index = static_cast<std::size_t>(a.channel) * params_.ranks + a.rank;
  Rank& rank = ranks_[rank_index];
  Bank& bank = banks_[(rank_index * params_.bank_groups + a.bank_group) * params_.banks + a.bank];
  forget_history(channel, rank, arrival_ps);

  RowOutcome outcome;
  if (bank.open_row == static_cast<std::int64_t>(a.row)) {
    outcome = RowOutcome::kHit;
    ++counters_.row_hits;
  } else {
    if (bank.open_row >= 0) {
      outcome = RowOutcome::kConflict;
      ++counters_.row_conflicts;
      const std::uint64_t precharge = std::max(arrival_ps, bank.pre_ready);
      bank.act_ready = std::max(bank.act_ready, precharge + trp_ps_);
      ++counters_.precharges;
      if (observer_) observer_->row_closed(static_cast<std::size_t>(&bank - banks_.data()), precharge);
    } else {
      outcome = RowOutcome::kMiss;
      ++counters_.row_misses;
    }
    const std::uint64_t activated = activate(bank, rank, arrival_ps);
    bank.open_row = static_cast<std::int64_t>(a.row);
    if (observer_) {
      observer_->row_opened(static_cast<std::size_t>(&bank - banks_.data()), a.row, activated);
    }
  }

  const std::uint64_t latency = is_write ? cwl_ps_ : cl_ps_;
  BusyCalendar& group_slots = channel.bank_group_slots[a.bank_group];
  std::uint64_t column = std::max(arrival_ps, bank.col_ready);
  column = std::max(column, is_write ? rank.write_ready : rank.read_ready);
  for (;;) {
    std::uint64_t slot = column;
    if (check_column_slots_) slot = channel.column_slots.find(slot, tccd_ps_);
    if (check_bank_group_slots_) slot = group_slots.find(slot, tccd_l_ps_);
    slot = channel.data_bus.find(slot + latency, burst_ps_) - latency;
    if (slot == column) break;
    column = slot;
  }
  if (check_column_slots_) channel.column_slots.reserve(column, tccd_ps_);
  if (check_bank_group_slots_) group_slots.reserve(column, tccd_l_ps_);
  channel.data_bus.reserve(column + latency, burst_ps_);
  channel.last_column = std::max(channel.last_column, column);
  channel.bank_group_last_column[a.bank_group] =
      std::max(channel.bank_group_last_column[a.bank_group], column);
  const std::uint64_t data_end = column + latency + burst_ps_;
  counters_.data_bus_busy_ps += burst_ps_;
  if (is_write) {
    bank.pre_ready = std::max(bank.pre_ready, data_end + twr_ps_);
    rank.read_ready = std::max(rank.read_ready, data_end + twtr_ps_);
    ++counters_.write_bursts;
  } else {
    bank.pre_ready = std::max(bank.pre_ready, column + trtp_ps_);
    // Write data may start two clocks after the read data has left the bus (tRTW).
    const std::uint64_t write_column = column + cl_ps_ + burst_ps_ + 2 * tck_;
    rank.write_ready =
        std::max(rank.write_ready, write_column > cwl_ps_ ? write_column - cwl_ps_ : 0);
    ++counters_.read_bursts;
  }
  if (close_page_ && !keep_row_open) {
    bank.act_ready = std::max(bank.act_ready, bank.pre_ready + trp_ps_);
    bank.open_row = -1;
    ++counters_.precharges;
    if (observer_) observer_->row_closed(static_cast<std::size_t>(&bank - banks_.data()), bank.pre_ready);
  }
  if (data_end > counters_.background_ps) counters_.background_ps = data_end;
  return {column, data_end, outcome};
}

}  // namespace models
