// Training throughput of workloads/numerics (issue 9 targets: MLP fp32 >= 5,000 samples/s on
// this machine; an RCT epoch at most 3x an fp32 epoch). Synthetic images have the same cost
// as Fashion-MNIST, so the benchmark needs no dataset.
#include <benchmark/benchmark.h>

#include "workloads/numerics/trainer.h"

namespace n = workloads::numerics;

namespace {

constexpr std::size_t kTrainSamples = 6400;  // 100 iterations of batch 64

const n::FashionMnist& synthetic() {
  static const n::FashionMnist data = [] {
    n::FashionMnist d;
    workloads::quant::Rng rng(1);
    for (n::Dataset* set : {&d.train, &d.test}) {
      const std::size_t count = set == &d.train ? kTrainSamples : 100;
      set->rows = set->cols = 28;
      set->images.resize(count * 784);
      for (auto& v : set->images) v = static_cast<float>(rng.uniform_double() * 2.0 - 0.5);
      set->labels.resize(count);
      for (auto& l : set->labels) l = static_cast<std::uint8_t>(rng.uniform_index(10));
    }
    return d;
  }();
  return data;
}

void train_epoch(benchmark::State& state, const char* model, n::TrainScheme scheme) {
  n::TrainOptions options;
  options.model = model;
  options.scheme = scheme;
  options.epochs = 1;
  for (auto _ : state) {
    const auto result = n::train(options, synthetic());
    benchmark::DoNotOptimize(result.epochs.back().train_loss);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kTrainSamples));
}

}  // namespace

BENCHMARK_CAPTURE(train_epoch, mlp_fp32, "mlp", n::TrainScheme::kFp32)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(train_epoch, mlp_qat, "mlp", n::TrainScheme::kQat)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(train_epoch, mlp_rct, "mlp", n::TrainScheme::kRct)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(train_epoch, lenet5_fp32, "lenet5", n::TrainScheme::kFp32)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(train_epoch, lenet5_rct, "lenet5", n::TrainScheme::kRct)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
