// Speed of the PE array models: the register-transfer cycle model (target: 10 million
// PE-cycles per second on a 16x16 array) and the analytic fold model on whole networks.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "models/pe_array/cycle_array.h"
#include "models/pe_array/systolic_model.h"
#include "sim/report/scalesim_report.h"
#include "workloads/network/scalesim_topology.h"

namespace {

workloads::GemmShape bench_shape() {
  workloads::GemmShape g;
  g.m = 96;
  g.n = 64;
  g.k = 72;
  return g;
}

void run_cycles(benchmark::State& state, bool functional) {
  const auto dataflow = static_cast<models::Dataflow>(state.range(0));
  const auto shape = bench_shape();
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<std::int8_t> a(shape.m * shape.k), b(shape.k * shape.n);
  for (auto& x : a) x = static_cast<std::int8_t>(dist(rng));
  for (auto& x : b) x = static_cast<std::int8_t>(dist(rng));
  std::vector<std::int32_t> c(shape.m * shape.n);
  std::uint64_t pe_cycles = 0;
  for (auto _ : state) {
    const auto result = functional ? models::run_gemm_cycles(shape, 16, 16, dataflow, a.data(),
                                                             b.data(), c.data(), nullptr)
                                   : models::run_gemm_cycles(shape, 16, 16, dataflow, nullptr,
                                                             nullptr, nullptr, nullptr);
    pe_cycles += result.pe_cycles;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["pe_cycles_per_s"] =
      benchmark::Counter(static_cast<double>(pe_cycles), benchmark::Counter::kIsRate);
  state.SetLabel(models::dataflow_name(dataflow));
}

void BM_CycleArray16x16Functional(benchmark::State& state) { run_cycles(state, true); }
void BM_CycleArray16x16CountsOnly(benchmark::State& state) { run_cycles(state, false); }
BENCHMARK(BM_CycleArray16x16Functional)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CycleArray16x16CountsOnly)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The analytic model over ResNet-18's 21 SCALE-Sim layers on 32x32 (what tile fidelity adds
// per layer on top of the simulation kernel).
void BM_FoldModelResNet18(benchmark::State& state) {
  const std::uint64_t layers[][3] = {
      {12100, 64, 147}, {2916, 64, 576},  {2916, 64, 576}, {2916, 64, 576},  {2916, 64, 576},
      {729, 128, 576},  {676, 128, 1152}, {841, 128, 64},  {676, 128, 1152}, {676, 128, 1152},
      {169, 256, 1152}, {144, 256, 2304}, {196, 256, 128}, {144, 256, 2304}, {144, 256, 2304},
      {36, 512, 2304},  {25, 512, 4608},  {49, 512, 256},  {25, 512, 4608},  {25, 512, 4608},
      {1, 1000, 512}};
  for (auto _ : state) {
    std::uint64_t cycles = 0;
    for (const auto& l : layers) {
      workloads::GemmShape g;
      g.m = l[0];
      g.n = l[1];
      g.k = l[2];
      cycles += models::gemm_metrics(g, 32, 32, models::Dataflow::kWs,
                                     models::Accounting::kScalesimCompat)
                    .reported_cycles;
    }
    benchmark::DoNotOptimize(cycles);
  }
}
BENCHMARK(BM_FoldModelResNet18)->Unit(benchmark::kMicrosecond);

// The SCALE-Sim path of one run without the simulation kernel: parse a ResNet-18 topology
// (SCALE-Sim's conv format, 21 layers), compute every layer's compat rows (SRAM windows
// included) and render the three reports.
std::string resnet18_topology_csv() {
  const int rows[][8] = {
      {224, 224, 7, 7, 3, 64, 2},  {56, 56, 3, 3, 64, 64, 1},   {56, 56, 3, 3, 64, 64, 1},
      {56, 56, 3, 3, 64, 64, 1},   {56, 56, 3, 3, 64, 64, 1},   {56, 56, 3, 3, 64, 128, 2},
      {28, 28, 3, 3, 128, 128, 1}, {56, 56, 1, 1, 64, 128, 2},  {28, 28, 3, 3, 128, 128, 1},
      {28, 28, 3, 3, 128, 128, 1}, {28, 28, 3, 3, 128, 256, 2}, {14, 14, 3, 3, 256, 256, 1},
      {28, 28, 1, 1, 128, 256, 2}, {14, 14, 3, 3, 256, 256, 1}, {14, 14, 3, 3, 256, 256, 1},
      {14, 14, 3, 3, 256, 512, 2}, {7, 7, 3, 3, 512, 512, 1},   {14, 14, 1, 1, 256, 512, 2},
      {7, 7, 3, 3, 512, 512, 1},   {7, 7, 3, 3, 512, 512, 1},   {1, 1, 1, 1, 512, 1000, 1}};
  std::string csv =
      "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
      "Channels, Num Filter, Strides,\n";
  int index = 0;
  for (const auto& r : rows) {
    csv += "L" + std::to_string(index++);
    for (int i = 0; i < 7; ++i) csv += "," + std::to_string(r[i]);
    csv += ",\n";
  }
  return csv;
}

void BM_ScalesimPipelineResNet18(benchmark::State& state) {
  const std::string csv = resnet18_topology_csv();
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto net = workloads::parse_scalesim_topology(csv, "resnet18.csv", "conv");
    std::vector<report::ScalesimLayerRow> report_rows;
    for (const auto& layer : net.layers) {
      for (auto& row : report::scalesim_rows_for_layer(layer, 1, 32, 32, models::Dataflow::kWs,
                                                       models::Accounting::kScalesimCompat)) {
        report_rows.push_back(row);
      }
    }
    bytes += report::scalesim_compute_report(report_rows).size() +
             report::scalesim_bandwidth_report(report_rows).size() +
             report::scalesim_detailed_access_report(report_rows).size();
  }
  benchmark::DoNotOptimize(bytes);
}
BENCHMARK(BM_ScalesimPipelineResNet18)->Unit(benchmark::kMicrosecond);

// The opt-in replay of SCALE-Sim's CALC-mode buffers (exact DRAM columns) over ResNet-18.
void BM_ScalesimReplayResNet18(benchmark::State& state) {
  const auto net = workloads::parse_scalesim_topology(resnet18_topology_csv(), "r.csv", "conv");
  std::uint64_t dram_reads = 0;
  for (auto _ : state) {
    for (const auto& layer : net.layers) {
      for (const auto& row : report::scalesim_replayed_rows_for_layer(
               layer, 1, 32, 32, models::Dataflow::kWs, models::ScalesimMemoryConfig{})) {
        dram_reads += row.dram_ifmap.count;
      }
    }
  }
  benchmark::DoNotOptimize(dram_reads);
}
BENCHMARK(BM_ScalesimReplayResNet18)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
