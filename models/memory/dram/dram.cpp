#include "models/memory/dram/dram.h"

#include "models/common/payload_extension.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace models {

namespace {

constexpr std::uint64_t kCloseLookaheadBursts = 64;

bool same_row(const DramAddress& a, const DramAddress& b) {
  return a.channel == b.channel && a.rank == b.rank && a.bank_group == b.bank_group &&
         a.bank == b.bank && a.row == b.row;
}

}  // namespace

Dram::Dram(const sc_core::sc_module_name& name, const DramParams& params, sim::Stats& stats)
    : sc_core::sc_module(name),
      params_(params),
      timing_(params_, counters_),
      mapper_(params_),
      burst_bytes_(params.burst_bytes()),
      request_peq_("request_peq"),
      response_peq_("response_peq"),
      channel_queues_(params.channels),
      next_decision_ps_(params.channels, 0),
      last_was_write_(params.channels, false),
      bank_has_hit_(static_cast<std::size_t>(params.ranks) * params.bank_groups * params.banks, 0) {
  EDGESIM_CHECK(params_.size_bytes > 0 && params_.size_bytes <= params_.capacity_bytes(),
                "Dram built from params that parse_dram did not validate");
  resolution_ps_ = static_cast<std::uint64_t>(
      std::llround(sc_core::sc_get_time_resolution().to_seconds() * 1e12));
  EDGESIM_CHECK(resolution_ps_ >= 1, "the DRAM model needs a time resolution of 1 ps or coarser");
  // The controller commits a burst once its column command is within the time it takes to
  // open a row, so activates to other banks overlap with data transfers in flight.
  lookahead_ps_ = static_cast<std::uint64_t>(params_.trp + params_.trcd) * params_.tck_ps;

  in.register_b_transport(this, &Dram::b_transport);
  in.register_transport_dbg(this, &Dram::transport_dbg);
  in.register_nb_transport_fw(this, &Dram::nb_transport_fw);

  SC_METHOD(request_arrived);
  sensitive << request_peq_.get_event();
  dont_initialize();
  SC_METHOD(schedule_bursts);
  sensitive << schedule_event_;
  dont_initialize();
  SC_METHOD(response_ready);
  sensitive << response_peq_.get_event();
  dont_initialize();
  SC_METHOD(send_responses);
  sensitive << response_free_event_;
  dont_initialize();

  const std::string prefix = std::string(this->name()) + ".";
  using sim::Unit;
  stats.add(prefix + "bytes_read", counters_.bytes_read, Unit::kBytes, "bytes read by requests");
  stats.add(prefix + "bytes_written", counters_.bytes_written, Unit::kBytes,
            "bytes written by requests");
  stats.add(prefix + "read_bursts", counters_.read_bursts, Unit::kCount, "read bursts served");
  stats.add(prefix + "write_bursts", counters_.write_bursts, Unit::kCount, "write bursts served");
  stats.add(prefix + "activates", counters_.activates, Unit::kCount, "row activations");
  stats.add(prefix + "precharges", counters_.precharges, Unit::kCount, "bank precharges");
  stats.add(prefix + "refreshes", counters_.refreshes, Unit::kCount,
            "refresh commands (all-bank, or per-bank where the preset refreshes per bank)");
  stats.add(prefix + "row_hits", counters_.row_hits, Unit::kCount,
            "bursts that found their row open");
  stats.add(prefix + "row_misses", counters_.row_misses, Unit::kCount,
            "bursts that found their bank closed (activate)");
  stats.add(prefix + "row_conflicts", counters_.row_conflicts, Unit::kCount,
            "bursts that found another row open (precharge + activate)");
  stats.add(prefix + "transactions", counters_.transactions, Unit::kCount,
            "TLM transactions served");
  stats.add(prefix + "latency_total_ps", counters_.latency_total_ps, Unit::kPicoseconds,
            "sum of transaction latencies (arrival to last data beat)");
  stats.add(prefix + "data_bus_busy_ps", counters_.data_bus_busy_ps, Unit::kPicoseconds,
            "data-bus occupancy summed over channels");
  stats.add(prefix + "background_ps", counters_.background_ps, Unit::kPicoseconds,
            "simulated time over which background power is counted");
  stats.add(prefix + "error_responses", counters_.error_responses, Unit::kCount,
            "transactions answered with a TLM error");
  stats.add(prefix + "queue_full_waits", counters_.queue_full_waits, Unit::kCount,
            "AT requests that waited for a free request-queue slot");
}

double Dram::row_hit_rate() const {
  const std::uint64_t total = counters_.row_hits + counters_.row_misses + counters_.row_conflicts;
  return total == 0 ? 0.0 : static_cast<double>(counters_.row_hits) / static_cast<double>(total);
}

double Dram::average_latency_ns() const {
  return counters_.transactions == 0 ? 0.0
                                     : static_cast<double>(counters_.latency_total_ps) / 1000.0 /
                                           static_cast<double>(counters_.transactions);
}

void Dram::account_until(const sc_core::sc_time& now) {
  timing_.advance_to(now.value() * resolution_ps_);
}

void Dram::end_of_simulation() { account_until(sc_core::sc_time_stamp()); }

std::uint64_t Dram::now_ps() const { return sc_core::sc_time_stamp().value() * resolution_ps_; }

sc_core::sc_time Dram::to_time(std::uint64_t ps) const {
  return sc_core::sc_time::from_value((ps + resolution_ps_ - 1) / resolution_ps_);
}

bool Dram::check(tlm::tlm_generic_payload& payload) {
  const tlm::tlm_command command = payload.get_command();
  const std::uint64_t address = payload.get_address();
  const std::uint64_t length = payload.get_data_length();
  if (command != tlm::TLM_READ_COMMAND && command != tlm::TLM_WRITE_COMMAND) {
    payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
  } else if (length == 0 || payload.get_data_ptr() == nullptr) {
    payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  } else if (address >= params_.size_bytes || length > params_.size_bytes - address) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  } else if (payload.get_streaming_width() != 0 && payload.get_streaming_width() < length) {
    payload.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
  } else if (payload.get_byte_enable_ptr() != nullptr && payload.get_byte_enable_length() == 0) {
    payload.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  } else {
    return true;
  }
  ++counters_.error_responses;
  return false;
}

void Dram::access_storage(tlm::tlm_generic_payload& payload) {
  const std::uint64_t length = payload.get_data_length();
  if (payload.is_write()) {
    if (params_.store_data) {
      storage_.write(payload.get_address(), payload.get_data_ptr(), length,
                     payload.get_byte_enable_ptr(), payload.get_byte_enable_length());
    }
    counters_.bytes_written += length;
  } else {
    if (params_.store_data) storage_.read(payload.get_address(), payload.get_data_ptr(), length);
    counters_.bytes_read += length;
  }
  payload.set_dmi_allowed(false);
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Dram::b_transport(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay) {
  if (!check(payload)) return;
  const std::uint64_t arrival = now_ps() + delay.value() * resolution_ps_;
  const std::uint64_t address = payload.get_address();
  const bool is_write = payload.is_write();
  const std::uint64_t first = address / burst_bytes_;
  const std::uint64_t last = (address + payload.get_data_length() - 1) / burst_bytes_;
  std::uint64_t end = arrival;
  const bool close_page = params_.page_policy == PagePolicy::kClose;
  TrafficTag* tag = nullptr;
  payload.get_extension(tag);
  const bool simple = params_.type == DramType::kSimple;
  for (std::uint64_t burst = first; burst <= last; ++burst) {
    // The simple model has no banks: no address to decode.
    const DramAddress current = simple ? DramAddress{} : mapper_.decode(burst);
    bool keep_row_open = false;
    if (close_page) {
      // Close-page controllers keep a row open for bursts already queued to it: look ahead
      // to this request's next burst in the same bank (within one interleave period).
      const std::uint64_t horizon = std::min(last, burst + kCloseLookaheadBursts);
      for (std::uint64_t later = burst + 1; later <= horizon; ++later) {
        const DramAddress other = mapper_.decode(later);
        if (other.channel == current.channel && other.rank == current.rank &&
            other.bank_group == current.bank_group && other.bank == current.bank) {
          keep_row_open = other.row == current.row;
          break;
        }
      }
    }
    const BurstTiming timing = timing_.schedule(current, is_write, arrival, keep_row_open);
    end = std::max(end, timing.data_end_ps);
    if (tag) {
      ++tag->dram_bursts;
      if (timing.outcome == RowOutcome::kHit) ++tag->dram_row_hits;
    }
  }
  access_storage(payload);
  ++counters_.transactions;
  counters_.latency_total_ps += end - arrival;
  delay = to_time(end) - sc_core::sc_time_stamp();
}

unsigned int Dram::transport_dbg(tlm::tlm_generic_payload& payload) {
  const std::uint64_t address = payload.get_address();
  const std::uint64_t length = payload.get_data_length();
  if (address >= params_.size_bytes || payload.get_data_ptr() == nullptr) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  const std::uint64_t count = std::min(length, params_.size_bytes - address);
  if (payload.is_write()) {
    storage_.write(address, payload.get_data_ptr(), count);
  } else if (payload.is_read()) {
    storage_.read(address, payload.get_data_ptr(), count);
  } else {
    payload.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return 0;
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(count);
}

tlm::tlm_sync_enum Dram::nb_transport_fw(tlm::tlm_generic_payload& payload, tlm::tlm_phase& phase,
                                         sc_core::sc_time& delay) {
  if (phase == tlm::BEGIN_REQ) {
    if (!check(payload)) {
      phase = tlm::END_RESP;
      return tlm::TLM_COMPLETED;
    }
    AtTransaction& state = at_state(payload);
    state.arrival_ps = now_ps() + delay.value() * resolution_ps_;
    state.end_ps = 0;
    state.bursts_to_issue = 0;
    if (delay == sc_core::SC_ZERO_TIME && waiting_for_queue_.empty() &&
        queued_transactions_ < params_.queue_depth) {
      // Room in the queue now: accept on the forward path, saving a PEQ round trip.
      accept(payload, false);
      phase = tlm::END_REQ;
      return tlm::TLM_UPDATED;
    }
    request_peq_.notify(payload, delay);
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::END_RESP) {
    response_in_progress_ = false;
    response_free_event_.notify(sc_core::SC_ZERO_TIME);
    return tlm::TLM_COMPLETED;
  }
  // END_REQ or BEGIN_RESP from an initiator breaks the base protocol: answer, do not abort.
  payload.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  ++counters_.error_responses;
  return tlm::TLM_COMPLETED;
}

Dram::AtTransaction& Dram::at_state(tlm::tlm_generic_payload& payload) {
  AtTransaction* state = payload.get_extension<AtTransaction>();
  if (state == nullptr) {
    state = new AtTransaction;
    payload.set_extension(state);
  }
  return *state;
}

void Dram::request_arrived() {
  while (tlm::tlm_generic_payload* payload = request_peq_.get_next_transaction()) {
    if (queued_transactions_ < params_.queue_depth) {
      accept(*payload, true);
    } else {
      ++counters_.queue_full_waits;
      waiting_for_queue_.push_back(payload);
    }
  }
}

void Dram::accept(tlm::tlm_generic_payload& payload, bool send_end_request) {
  ++queued_transactions_;
  AtTransaction& transaction = at_state(payload);
  const std::uint64_t first = payload.get_address() / burst_bytes_;
  const std::uint64_t last = (payload.get_address() + payload.get_data_length() - 1) / burst_bytes_;
  const bool is_write = payload.is_write();
  for (std::uint64_t burst = first; burst <= last; ++burst) {
    const DramAddress address = mapper_.decode(burst);
    channel_queues_[address.channel].push_back({&payload, address, is_write});
  }
  transaction.bursts_to_issue = static_cast<std::uint32_t>(last - first + 1);
  // Data moves at acceptance, so reads and writes keep program order functionally even
  // when FR-FCFS reorders their timing.
  access_storage(payload);
  if (send_end_request) {
    tlm::tlm_phase phase = tlm::END_REQ;
    sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
    in->nb_transport_bw(payload, phase, zero);
  }
  schedule_event_.notify(sc_core::SC_ZERO_TIME);
}

void Dram::schedule_bursts() {
  const std::uint64_t now = now_ps();
  std::uint64_t next_wake = std::numeric_limits<std::uint64_t>::max();
  const bool close_page = params_.page_policy == PagePolicy::kClose;
  for (std::size_t c = 0; c < channel_queues_.size(); ++c) {
    auto& queue = channel_queues_[c];
    while (!queue.empty() && next_decision_ps_[c] <= now) {
      // The controller commits a command once it could issue within the lookahead (the
      // time to open a row); until then bursts wait in the queue, where FR-FCFS reorders.
      const std::uint64_t horizon = now + lookahead_ps_;
      const std::uint64_t column_slot =
          timing_.next_column_slot_ps(static_cast<std::uint32_t>(c), now);
      if (column_slot > horizon) {
        next_decision_ps_[c] = column_slot - lookahead_ps_;
        break;
      }
      // FR-FCFS with bank awareness, among bursts whose bank is ready within the horizon:
      // the oldest row hit whose bank group can take a column command now, in the direction
      // (read/write) of the channel's last burst, then in the other; else the oldest burst
      // that needs a row in a bank no queued hit wants (its activate overlaps with hits
      // elsewhere); else the oldest row hit; else the oldest ready burst.
      const std::size_t none = queue.size();
      std::size_t pick = none;
      std::size_t first_hit = none;
      std::size_t first_ready = none;
      std::size_t other_direction_hit = none;
      std::size_t first_activate = none;
      std::uint64_t earliest_bank = std::numeric_limits<std::uint64_t>::max();
      std::fill(bank_has_hit_.begin(), bank_has_hit_.end(), 0);
      views_.resize(queue.size());
      for (std::size_t i = 0; i < queue.size(); ++i) {
        views_[i] = timing_.bank_view(queue[i].address);
        if (views_[i].state == RowOutcome::kHit) bank_has_hit_[views_[i].bank_in_channel] = 1;
      }
      for (std::size_t i = 0; i < queue.size(); ++i) {
        const DramTiming::BankView& view = views_[i];
        if (view.ready_ps > horizon) {
          earliest_bank = std::min(earliest_bank, view.ready_ps);
          continue;
        }
        if (first_ready == none) first_ready = i;
        if (view.state == RowOutcome::kHit) {
          if (first_hit == none) first_hit = i;
          if (timing_.bank_group_ready(queue[i].address)) {
            // Same direction as the last burst first: each read/write switch costs a bus
            // turnaround.
            if (queue[i].is_write == last_was_write_[c]) {
              pick = i;
              break;
            }
            if (other_direction_hit == none) other_direction_hit = i;
          }
        } else if (first_activate == none && !bank_has_hit_[view.bank_in_channel]) {
          first_activate = i;
        }
      }
      if (pick == none) pick = other_direction_hit;
      if (pick == none) pick = first_activate;
      if (pick == none) pick = first_hit != none ? first_hit : first_ready;
      if (pick == none) {
        next_decision_ps_[c] = earliest_bank - lookahead_ps_;
        break;
      }
      const AtBurst burst = queue[pick];
      last_was_write_[c] = burst.is_write;
      queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(pick));
      bool keep_row_open = false;
      if (close_page) {
        keep_row_open = std::any_of(queue.begin(), queue.end(), [&](const AtBurst& other) {
          return same_row(other.address, burst.address);
        });
      }
      const BurstTiming timing =
          timing_.schedule(burst.address, burst.is_write, now, keep_row_open);
      next_decision_ps_[c] = now;
      AtTransaction& transaction = at_state(*burst.payload);
      transaction.end_ps = std::max(transaction.end_ps, timing.data_end_ps);
      if (--transaction.bursts_to_issue == 0) {
        --queued_transactions_;
        response_peq_.notify(*burst.payload,
                             to_time(transaction.end_ps) - sc_core::sc_time_stamp());
        if (!waiting_for_queue_.empty()) {
          tlm::tlm_generic_payload* waiting = waiting_for_queue_.front();
          waiting_for_queue_.pop_front();
          accept(*waiting, true);
        }
      }
    }
    if (!queue.empty()) next_wake = std::min(next_wake, next_decision_ps_[c]);
  }
  if (next_wake != std::numeric_limits<std::uint64_t>::max()) {
    schedule_event_.notify(to_time(next_wake) - sc_core::sc_time_stamp());
  }
}

void Dram::response_ready() {
  while (tlm::tlm_generic_payload* payload = response_peq_.get_next_transaction()) {
    responses_.push_back(payload);
  }
  send_responses();
}

void Dram::send_responses() {
  while (!response_in_progress_ && !responses_.empty()) {
    tlm::tlm_generic_payload* payload = responses_.front();
    responses_.pop_front();
    const AtTransaction& transaction = at_state(*payload);
    ++counters_.transactions;
    counters_.latency_total_ps += transaction.end_ps - transaction.arrival_ps;
    tlm::tlm_phase phase = tlm::BEGIN_RESP;
    sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
    const tlm::tlm_sync_enum status = in->nb_transport_bw(*payload, phase, zero);
    if (status == tlm::TLM_ACCEPTED || (status == tlm::TLM_UPDATED && phase == tlm::BEGIN_RESP)) {
      response_in_progress_ = true;
    }
  }
}

void Dram::attach_trace(sim::VcdWriter& vcd) {
  tracer_ = std::make_unique<BankTracer>(vcd, name(), params_.total_banks(),
                                         std::size_t{params_.bank_groups} * params_.banks);
  timing_.set_observer(tracer_.get());
}

Dram::BankTracer::BankTracer(sim::VcdWriter& vcd, const std::string& scope, std::size_t banks,
                             std::size_t banks_per_rank)
    : vcd_(vcd),
      timeline_(vcd.timeline(sim::TraceLevel::kTile)),
      scope_(scope),
      banks_per_rank_(banks_per_rank) {
  for (std::size_t b = 0; b < banks; ++b) {
    const std::string bank_scope = scope + ".bank" + std::to_string(b);
    state_.push_back(vcd.add_signal(bank_scope, "state", 2, sim::TraceLevel::kTile));
    open_row_.push_back(vcd.add_signal(bank_scope, "open_row", 32, sim::TraceLevel::kTile));
  }
}

void Dram::BankTracer::row_opened(std::size_t bank, std::uint64_t row, std::uint64_t at_ps) {
  vcd_.change(state_[bank], at_ps, 1);
  vcd_.change(open_row_[bank], at_ps, row);
}

void Dram::BankTracer::row_closed(std::size_t bank, std::uint64_t at_ps) {
  vcd_.change(state_[bank], at_ps, 0);
}

void Dram::BankTracer::refreshed(std::size_t first_bank, std::size_t banks,
                                 std::uint64_t start_ps, std::uint64_t end_ps) {
  for (std::size_t b = first_bank; b < first_bank + banks && b < state_.size(); ++b) {
    vcd_.change(state_[b], start_ps, 2);
    vcd_.change(state_[b], end_ps, 0);
  }
  if (timeline_) {
    const std::string track =
        banks == 1 ? scope_ + ".bank" + std::to_string(first_bank)
                   : scope_ + ".rank" + std::to_string(first_bank / banks_per_rank_);
    auto found = tracks_.find(track);
    if (found == tracks_.end()) found = tracks_.emplace(track, timeline_->track(track)).first;
    timeline_->slice(found->second, banks == 1 ? "refresh (bank)" : "refresh", start_ps, end_ps,
                     {{"first_bank", static_cast<std::uint64_t>(first_bank)},
                      {"banks", static_cast<std::uint64_t>(banks)}});
  }
}

}  // namespace models
