// DRAM model speed (issue 4, item 6): bursts served per second of wall time.
//
// BM_DramLtModel calls the DRAM's b_transport directly (no kernel), one 1-burst request per
// iteration, arriving like a DMA with 16 requests in flight. BM_DramHarness runs the whole
// dram-bench simulation (SystemC issuer, LT or AT) once; SystemC elaborates once per process,
// so run one harness benchmark per process:
//   bench_dram_speed --benchmark_filter=LtModel
//   bench_dram_speed --benchmark_filter=Harness/lt
//   bench_dram_speed --benchmark_filter=Harness/at
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "models/memory/dram/dram.h"
#include "models/memory/dram/dram_bench.h"
#include "sim/core/config.h"

namespace {

models::DramParams preset_params(const std::string& preset) {
  sim::Config config;
  config.apply_override("dram.preset=" + preset);
  models::DramParams params = models::parse_dram(config.root().child("dram"));
  config.check_all_read();
  return params;
}

const std::vector<std::string> kPresets = {"lpddr4-3200", "lpddr5-6400", "ddr4-3200", "hbm2"};

void lt_model(benchmark::State& state, const std::string& preset, bool random) {
  static int instance = 0;
  const models::DramParams params = preset_params(preset);
  sim::Stats stats;
  models::Dram dram(("dram_" + std::to_string(instance++)).c_str(), params, stats);
  tlm::tlm_fw_transport_if<>& fw = dram.in.get_base_interface();
  const std::uint64_t burst = params.burst_bytes();
  const std::uint64_t slots = params.size_bytes / burst;
  std::vector<unsigned char> data(burst);
  tlm::tlm_generic_payload payload;
  payload.set_command(tlm::TLM_READ_COMMAND);
  payload.set_data_ptr(data.data());
  payload.set_data_length(static_cast<unsigned int>(burst));
  payload.set_streaming_width(static_cast<unsigned int>(burst));
  constexpr std::size_t kInFlight = 16;
  std::uint64_t completion[kInFlight] = {};
  std::uint64_t arrival = 0;
  std::uint64_t index = 0;
  std::uint64_t seed = 12345;
  for (auto _ : state) {
    std::uint64_t slot = index % slots;
    if (random) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      slot = (seed >> 17) % slots;
    }
    payload.set_address(slot * burst);
    arrival = std::max(arrival, completion[index % kInFlight]);
    sc_core::sc_time delay = sc_core::sc_time::from_value(arrival);  // 1 ps resolution
    fw.b_transport(payload, delay);
    completion[index % kInFlight] = delay.value();
    ++index;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["row_hit_rate"] = dram.row_hit_rate();
}

bool simulation_ran = false;

void harness(benchmark::State& state, models::DramMode mode) {
  if (simulation_ran) {
    state.SkipWithError("one harness simulation per process: use --benchmark_filter");
    return;
  }
  simulation_ran = true;
  models::DramBenchOptions options;
  options.mode = mode;
  options.pattern = models::TrafficPattern::kRandom;
  options.request_bytes = 32;  // one LPDDR4 burst per request: the worst case per burst
  options.total_bytes = mode == models::DramMode::kAt ? (16ull << 20) : (64ull << 20);
  options.outstanding = 16;
  models::DramBenchResult result;
  for (auto _ : state) {
    result = models::run_dram_bench(preset_params("lpddr4-3200"), options);
    state.SetIterationTime(result.wall_seconds);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(result.bursts));
  state.counters["bursts_per_second"] = result.bursts_per_wall_second;
  state.counters["bandwidth_gbps"] = result.bandwidth_gbps;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  for (const auto& preset : kPresets) {
    benchmark::RegisterBenchmark(("BM_DramLtModel/" + preset + "/seq").c_str(), lt_model, preset,
                                 false)
        ->UseRealTime();
    benchmark::RegisterBenchmark(("BM_DramLtModel/" + preset + "/random").c_str(), lt_model, preset,
                                 true)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_DramHarness/lt", harness, models::DramMode::kLt)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_DramHarness/at", harness, models::DramMode::kAt)
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
