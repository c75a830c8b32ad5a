#pragma once
// Traffic for the DRAM model alone (edgesim dram-bench): a plain C++ generator of
// sequential, random or strided requests, one thin SystemC issuer that keeps K requests in
// flight over LT or AT, and the figures a memory engineer reads off such a run.

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "models/memory/dram/dram_params.h"

namespace models {

/// Address pattern of generated requests.
enum class TrafficPattern { kSequential, kRandom, kStrided };

/// What dram-bench runs.
struct DramBenchOptions {
  TrafficPattern pattern = TrafficPattern::kSequential;
  std::uint64_t total_bytes = 16ull << 20;
  std::uint64_t request_bytes = 64;
  double read_ratio = 1.0;         // fraction of requests that read
  std::uint32_t outstanding = 16;  // requests in flight
  std::uint64_t stride_bytes = 4096;
  std::uint64_t seed = 1;
  DramMode mode = DramMode::kLt;
};

/// One generated request.
struct DramRequest {
  std::uint64_t address = 0;
  bool is_write = false;
};

/// Deterministic request stream over [0, footprint_bytes).
class DramTrafficGenerator {
 public:
  DramTrafficGenerator(const DramBenchOptions& options, std::uint64_t footprint_bytes);
  /// The next request; false when total_bytes have been generated.
  bool next(DramRequest& request);
  std::uint64_t request_count() const { return count_; }

 private:
  std::uint64_t random();

  const DramBenchOptions options_;
  const std::uint64_t slots_;  // footprint in requests
  const std::uint64_t count_;
  std::uint64_t index_ = 0;
  std::uint64_t state_;
};

/// Issues a generator's requests into a target, keeping `outstanding` in flight, and records
/// each request's latency (arrival at the target to last data beat).
class DramBenchIssuer : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DramBenchIssuer> out{"out"};

  SC_HAS_PROCESS(DramBenchIssuer);
  DramBenchIssuer(const sc_core::sc_module_name& name, DramTrafficGenerator& generator,
                  const DramBenchOptions& options);

  const std::vector<std::uint64_t>& latencies_ps() const { return latencies_ps_; }
  std::uint64_t first_arrival_ps() const { return first_arrival_ps_; }
  std::uint64_t last_completion_ps() const { return last_completion_ps_; }
  std::uint64_t error_responses() const { return errors_; }

 private:
  struct Slot {
    tlm::tlm_generic_payload payload;
    std::vector<unsigned char> data;
    std::uint64_t arrival_ps = 0;
  };

  void run_lt();
  void run_at();
  void prepare(Slot& slot, const DramRequest& request);
  void complete(Slot& slot, std::uint64_t completion_ps);
  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& payload, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  std::uint64_t now_ps() const;

  DramTrafficGenerator& generator_;
  const DramBenchOptions options_;
  std::vector<Slot> slots_;
  std::vector<Slot*> free_slots_;
  std::vector<std::uint64_t> latencies_ps_;
  std::uint64_t first_arrival_ps_ = 0;
  std::uint64_t last_completion_ps_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t resolution_ps_ = 1;
  bool request_in_progress_ = false;
  sc_core::sc_event end_request_event_;
  sc_core::sc_event response_event_;
};

/// Figures of one dram-bench run.
struct DramBenchResult {
  std::string preset;
  std::string type;
  std::string mode;
  std::string pattern;
  std::string page_policy;
  std::uint64_t total_bytes = 0;
  std::uint64_t request_bytes = 0;
  double read_ratio = 0.0;
  std::uint32_t outstanding = 0;
  std::uint64_t requests = 0;
  std::uint64_t bursts = 0;
  double sim_time_ns = 0.0;
  double bandwidth_gbps = 0.0;
  double peak_bandwidth_gbps = 0.0;
  double avg_latency_ns = 0.0;
  double min_latency_ns = 0.0;
  double p50_latency_ns = 0.0;
  double p99_latency_ns = 0.0;
  double max_latency_ns = 0.0;
  double row_hit_rate = 0.0;
  std::uint64_t row_hits = 0;
  std::uint64_t row_misses = 0;
  std::uint64_t row_conflicts = 0;
  std::uint64_t activates = 0;
  std::uint64_t precharges = 0;
  std::uint64_t refreshes = 0;
  double energy_pj = 0.0;
  double energy_pj_per_bit = 0.0;
  std::uint64_t error_responses = 0;
  double wall_seconds = 0.0;
  double bursts_per_wall_second = 0.0;
};

/// Parses "seq" | "random" | "strided"; false for anything else.
bool parse_traffic_pattern(const std::string& text, TrafficPattern& pattern);
const char* traffic_pattern_name(TrafficPattern pattern);

/// Builds a Dram and an issuer, runs the simulation to the end and measures it. SystemC
/// elaborates once per process, so call this at most once per process.
DramBenchResult run_dram_bench(const DramParams& params, const DramBenchOptions& options);
/// The result as one JSON object.
std::string dram_bench_json(const DramBenchResult& result);
/// The result as a few readable lines.
std::string dram_bench_summary(const DramBenchResult& result);

}  // namespace models
