#include "models/memory/dram/dram_bench.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

#include "models/memory/dram/dram.h"
#include "sim/core/stats.h"

namespace models {

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double percentile_ns(const std::vector<std::uint64_t>& sorted_ps, double fraction) {
  if (sorted_ps.empty()) return 0.0;
  const std::size_t rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted_ps.size())));
  const std::size_t index = rank == 0 ? 0 : std::min(rank - 1, sorted_ps.size() - 1);
  return static_cast<double>(sorted_ps[index]) / 1000.0;
}

std::string number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

}  // namespace

bool parse_traffic_pattern(const std::string& text, TrafficPattern& pattern) {
  if (text == "seq" || text == "sequential") {
    pattern = TrafficPattern::kSequential;
  } else if (text == "random") {
    pattern = TrafficPattern::kRandom;
  } else if (text == "strided") {
    pattern = TrafficPattern::kStrided;
  } else {
    return false;
  }
  return true;
}

const char* traffic_pattern_name(TrafficPattern pattern) {
  switch (pattern) {
    case TrafficPattern::kSequential:
      return "seq";
    case TrafficPattern::kRandom:
      return "random";
    case TrafficPattern::kStrided:
      return "strided";
  }
  return "seq";
}

DramTrafficGenerator::DramTrafficGenerator(const DramBenchOptions& options,
                                           std::uint64_t footprint_bytes)
    : options_(options),
      slots_(std::max<std::uint64_t>(1, footprint_bytes / options.request_bytes)),
      count_((options.total_bytes + options.request_bytes - 1) / options.request_bytes),
      state_(options.seed) {}

std::uint64_t DramTrafficGenerator::random() { return splitmix64(state_); }

bool DramTrafficGenerator::next(DramRequest& request) {
  if (index_ >= count_) return false;
  std::uint64_t slot = 0;
  switch (options_.pattern) {
    case TrafficPattern::kSequential:
      slot = index_ % slots_;
      break;
    case TrafficPattern::kRandom:
      slot = random() % slots_;
      break;
    case TrafficPattern::kStrided: {
      // Walk with the stride; each wrap around the footprint shifts by one request.
      const std::uint64_t stride_slots =
          std::max<std::uint64_t>(1, options_.stride_bytes / options_.request_bytes);
      const std::uint64_t per_pass = std::max<std::uint64_t>(1, slots_ / stride_slots);
      slot = ((index_ % per_pass) * stride_slots + index_ / per_pass) % slots_;
      break;
    }
  }
  request.address = slot * options_.request_bytes;
  if (options_.read_ratio >= 1.0) {
    request.is_write = false;
  } else if (options_.read_ratio <= 0.0) {
    request.is_write = true;
  } else {
    request.is_write = static_cast<double>(random() >> 11) * 0x1.0p-53 >= options_.read_ratio;
  }
  ++index_;
  return true;
}

DramBenchIssuer::DramBenchIssuer(const sc_core::sc_module_name& name,
                                 DramTrafficGenerator& generator, const DramBenchOptions& options)
    : sc_core::sc_module(name),
      generator_(generator),
      options_(options),
      slots_(std::max<std::uint32_t>(1, options.outstanding)) {
  resolution_ps_ = static_cast<std::uint64_t>(
      std::llround(sc_core::sc_get_time_resolution().to_seconds() * 1e12));
  for (auto& slot : slots_) {
    slot.data.assign(options.request_bytes, 0);
    free_slots_.push_back(&slot);
  }
  latencies_ps_.reserve(generator.request_count());
  out.register_nb_transport_bw(this, &DramBenchIssuer::nb_transport_bw);
  if (options.mode == DramMode::kAt) {
    SC_THREAD(run_at);
  } else {
    SC_THREAD(run_lt);
  }
}

std::uint64_t DramBenchIssuer::now_ps() const {
  return sc_core::sc_time_stamp().value() * resolution_ps_;
}

void DramBenchIssuer::prepare(Slot& slot, const DramRequest& request) {
  tlm::tlm_generic_payload& payload = slot.payload;
  payload.set_command(request.is_write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  payload.set_address(request.address);
  payload.set_data_ptr(slot.data.data());
  payload.set_data_length(static_cast<unsigned int>(slot.data.size()));
  payload.set_streaming_width(static_cast<unsigned int>(slot.data.size()));
  payload.set_byte_enable_ptr(nullptr);
  payload.set_byte_enable_length(0);
  payload.set_dmi_allowed(false);
  payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

void DramBenchIssuer::complete(Slot& slot, std::uint64_t completion_ps) {
  if (slot.payload.is_response_error()) ++errors_;
  latencies_ps_.push_back(completion_ps - slot.arrival_ps);
  last_completion_ps_ = std::max(last_completion_ps_, completion_ps);
}

void DramBenchIssuer::run_lt() {
  // Temporal decoupling: a request is issued as soon as fewer than K are in flight (when the
  // earliest in-flight one completes); the issuer runs ahead of kernel time and synchronises
  // once per quantum.
  const std::uint64_t quantum_ps = 1000000;
  const std::size_t in_flight = slots_.size();
  std::vector<std::uint64_t> completions;  // min-heap of in-flight completion times
  completions.reserve(in_flight + 1);
  Slot& slot = slots_.front();
  DramRequest request;
  std::uint64_t arrival = 0;
  bool first = true;
  while (generator_.next(request)) {
    if (completions.size() == in_flight) {
      std::pop_heap(completions.begin(), completions.end(), std::greater<std::uint64_t>());
      arrival = std::max(arrival, completions.back());
      completions.pop_back();
    }
    std::uint64_t now = now_ps();
    if (arrival > now + quantum_ps) {
      sc_core::wait(sc_core::sc_time::from_value((arrival - now) / resolution_ps_));
      now = now_ps();
    }
    if (first) {
      first_arrival_ps_ = arrival;
      first = false;
    }
    prepare(slot, request);
    slot.arrival_ps = arrival;
    sc_core::sc_time delay = sc_core::sc_time::from_value((arrival - now) / resolution_ps_);
    out->b_transport(slot.payload, delay);
    const std::uint64_t done = now + delay.value() * resolution_ps_;
    completions.push_back(done);
    std::push_heap(completions.begin(), completions.end(), std::greater<std::uint64_t>());
    complete(slot, done);
  }
}

void DramBenchIssuer::run_at() {
  DramRequest request;
  bool first = true;
  while (generator_.next(request)) {
    while (free_slots_.empty()) sc_core::wait(response_event_);
    while (request_in_progress_) sc_core::wait(end_request_event_);
    Slot* slot = free_slots_.back();
    free_slots_.pop_back();
    prepare(*slot, request);
    slot->arrival_ps = now_ps();
    if (first) {
      first_arrival_ps_ = slot->arrival_ps;
      first = false;
    }
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    const tlm::tlm_sync_enum status = out->nb_transport_fw(slot->payload, phase, delay);
    if (status == tlm::TLM_COMPLETED) {
      complete(*slot, now_ps());
      free_slots_.push_back(slot);
    } else if (status == tlm::TLM_ACCEPTED ||
               (status == tlm::TLM_UPDATED && phase == tlm::BEGIN_REQ)) {
      request_in_progress_ = true;
    }
  }
}

tlm::tlm_sync_enum DramBenchIssuer::nb_transport_bw(tlm::tlm_generic_payload& payload,
                                                    tlm::tlm_phase& phase,
                                                    sc_core::sc_time& delay) {
  if (phase == tlm::END_REQ) {
    request_in_progress_ = false;
    end_request_event_.notify();
    return tlm::TLM_ACCEPTED;
  }
  if (phase == tlm::BEGIN_RESP) {
    // Slots are members of slots_; find the one holding this payload.
    Slot* slot = nullptr;
    for (auto& candidate : slots_) {
      if (&candidate.payload == &payload) {
        slot = &candidate;
        break;
      }
    }
    if (slot != nullptr) {
      complete(*slot, now_ps() + delay.value() * resolution_ps_);
      free_slots_.push_back(slot);
      response_event_.notify();
    }
    phase = tlm::END_RESP;
    return tlm::TLM_COMPLETED;
  }
  return tlm::TLM_ACCEPTED;
}

DramBenchResult run_dram_bench(const DramParams& params, const DramBenchOptions& options) {
  EDGESIM_CHECK(sc_core::sc_get_status() == sc_core::SC_ELABORATION,
                "run_dram_bench runs one simulation per process");
  EDGESIM_CHECK(options.request_bytes > 0 && options.outstanding > 0,
                "dram-bench options not validated");
  sim::Stats stats;
  Dram dram("dram", params, stats);
  DramTrafficGenerator generator(options, params.size_bytes);
  DramBenchIssuer issuer("issuer", generator, options);
  issuer.out.bind(dram.in);

  const auto wall_start = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const std::uint64_t end_ps = issuer.last_completion_ps();
  dram.account_until(sc_core::sc_time::from_value(
      end_ps / std::max<std::uint64_t>(
                   1, static_cast<std::uint64_t>(
                          std::llround(sc_core::sc_get_time_resolution().to_seconds() * 1e12)))));
  const DramCounters& c = dram.counters();
  // Buffered writes reach the DRAM after they completed for the initiator: the run ends
  // when the last data beat of either kind is done.
  const std::uint64_t last_ps = std::max(end_ps, c.background_ps);

  DramBenchResult r;
  r.preset = params.preset;
  r.type = dram_type_name(params.type);
  r.mode = options.mode == DramMode::kAt ? "at" : "lt";
  r.pattern = traffic_pattern_name(options.pattern);
  r.page_policy = params.page_policy == PagePolicy::kClose ? "close" : "open";
  r.total_bytes = c.bytes_read + c.bytes_written;
  r.request_bytes = options.request_bytes;
  r.read_ratio = options.read_ratio;
  r.outstanding = options.outstanding;
  r.requests = issuer.latencies_ps().size();
  r.bursts = c.read_bursts + c.write_bursts;
  const std::uint64_t span_ps = last_ps - std::min(last_ps, issuer.first_arrival_ps());
  r.sim_time_ns = static_cast<double>(span_ps) / 1000.0;
  r.bandwidth_gbps =
      span_ps == 0 ? 0.0
                   : static_cast<double>(r.total_bytes) / static_cast<double>(span_ps) * 1000.0;
  r.peak_bandwidth_gbps =
      params.type == DramType::kSimple ? params.bandwidth_gbps : params.peak_bandwidth_gbps();
  std::vector<std::uint64_t> sorted = issuer.latencies_ps();
  std::sort(sorted.begin(), sorted.end());
  double sum = 0.0;
  for (std::uint64_t latency : sorted) sum += static_cast<double>(latency);
  r.avg_latency_ns = sorted.empty() ? 0.0 : sum / static_cast<double>(sorted.size()) / 1000.0;
  r.min_latency_ns = sorted.empty() ? 0.0 : static_cast<double>(sorted.front()) / 1000.0;
  r.p50_latency_ns = percentile_ns(sorted, 0.50);
  r.p99_latency_ns = percentile_ns(sorted, 0.99);
  r.max_latency_ns = sorted.empty() ? 0.0 : static_cast<double>(sorted.back()) / 1000.0;
  r.row_hit_rate = dram.row_hit_rate();
  r.row_hits = c.row_hits;
  r.row_misses = c.row_misses;
  r.row_conflicts = c.row_conflicts;
  r.activates = c.activates;
  r.precharges = c.precharges;
  r.refreshes = c.refreshes;
  r.energy_pj = dram.energy_pj();
  r.energy_pj_per_bit =
      r.total_bytes == 0 ? 0.0 : r.energy_pj / (static_cast<double>(r.total_bytes) * 8.0);
  r.error_responses = issuer.error_responses();
  r.wall_seconds = wall_seconds;
  r.bursts_per_wall_second =
      wall_seconds > 0.0 ? static_cast<double>(r.bursts) / wall_seconds : 0.0;
  return r;
}

std::string dram_bench_json(const DramBenchResult& r) {
  std::ostringstream out;
  out << "{\n";
  const auto text = [&](const char* key, const std::string& value) {
    out << "  \"" << key << "\": \"" << value << "\",\n";
  };
  const auto integer = [&](const char* key, std::uint64_t value) {
    out << "  \"" << key << "\": " << value << ",\n";
  };
  const auto real = [&](const char* key, double value, bool last = false) {
    out << "  \"" << key << "\": " << number(value) << (last ? "\n" : ",\n");
  };
  text("preset", r.preset);
  text("type", r.type);
  text("mode", r.mode);
  text("pattern", r.pattern);
  text("page_policy", r.page_policy);
  integer("total_bytes", r.total_bytes);
  integer("request_bytes", r.request_bytes);
  real("read_ratio", r.read_ratio);
  integer("outstanding", r.outstanding);
  integer("requests", r.requests);
  integer("bursts", r.bursts);
  real("sim_time_ns", r.sim_time_ns);
  real("bandwidth_gbps", r.bandwidth_gbps);
  real("peak_bandwidth_gbps", r.peak_bandwidth_gbps);
  real("bandwidth_utilisation",
       r.peak_bandwidth_gbps > 0.0 ? r.bandwidth_gbps / r.peak_bandwidth_gbps : 0.0);
  real("avg_latency_ns", r.avg_latency_ns);
  real("min_latency_ns", r.min_latency_ns);
  real("p50_latency_ns", r.p50_latency_ns);
  real("p99_latency_ns", r.p99_latency_ns);
  real("max_latency_ns", r.max_latency_ns);
  real("row_hit_rate", r.row_hit_rate);
  integer("row_hits", r.row_hits);
  integer("row_misses", r.row_misses);
  integer("row_conflicts", r.row_conflicts);
  integer("activates", r.activates);
  integer("precharges", r.precharges);
  integer("refreshes", r.refreshes);
  real("energy_pj", r.energy_pj);
  real("energy_pj_per_bit", r.energy_pj_per_bit);
  integer("error_responses", r.error_responses);
  real("wall_seconds", r.wall_seconds);
  real("bursts_per_wall_second", r.bursts_per_wall_second, true);
  out << "}\n";
  return out.str();
}

std::string dram_bench_summary(const DramBenchResult& r) {
  std::ostringstream out;
  out << "dram-bench: " << (r.preset.empty() ? r.type : r.preset) << " (" << r.type << ", "
      << r.mode << ", " << r.page_policy << " page), " << r.pattern << " " << r.total_bytes
      << " bytes in " << r.requests << " requests of " << r.request_bytes << " B, read ratio "
      << number(r.read_ratio) << ", " << r.outstanding << " outstanding\n";
  out << "  bandwidth   " << number(r.bandwidth_gbps) << " GB/s of "
      << number(r.peak_bandwidth_gbps) << " GB/s peak ("
      << number(r.peak_bandwidth_gbps > 0 ? 100.0 * r.bandwidth_gbps / r.peak_bandwidth_gbps : 0.0)
      << "%)\n";
  out << "  latency     avg " << number(r.avg_latency_ns) << " ns, p50 " << number(r.p50_latency_ns)
      << " ns, p99 " << number(r.p99_latency_ns) << " ns, min " << number(r.min_latency_ns)
      << " ns, max " << number(r.max_latency_ns) << " ns\n";
  out << "  row buffer  hit rate " << number(r.row_hit_rate) << " (" << r.row_hits << " hits, "
      << r.row_misses << " misses, " << r.row_conflicts << " conflicts), " << r.activates
      << " activates, " << r.refreshes << " refreshes\n";
  out << "  energy      " << number(r.energy_pj / 1e6) << " uJ, " << number(r.energy_pj_per_bit)
      << " pJ/bit\n";
  out << "  simulated   " << number(r.sim_time_ns / 1000.0) << " us in " << number(r.wall_seconds)
      << " s wall (" << number(r.bursts_per_wall_second / 1e6) << " M bursts/s)\n";
  if (r.error_responses > 0)
    out << "  errors      " << r.error_responses << " requests answered with a TLM error\n";
  return out.str();
}

}  // namespace models
