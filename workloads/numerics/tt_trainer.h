#pragma once
// Real rank-adaptive tensorised training on Fashion-MNIST: the MLP 784-512-10 with both layers
// in tensor-train-matrix format (fc1 m=(4,4,8,4), n=(4,7,4,7); fc2 m=(2,5), n=(16,32); the
// benchmark of arXiv 2105.06250), a rank-shrinking prior on every rank slice whose variances get
// their closed-form MAP update every K iterations, and pruning of the slices the prior shrank.
// Two precisions: fp32, and fixed8 (8-bit core codes with stochastic-rounding updates, 8-bit
// activations and gradients in the GEMMs; arXiv 2104.03420 trains TT layers at 8 bits).
// Outputs: per-epoch metrics with ranks and parameter counts, and the rank schedule that
// `edgesim run --rank-schedule` replays.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "workloads/network/rank_schedule.h"
#include "workloads/numerics/mnist.h"
#include "workloads/numerics/trainer.h"
#include "workloads/numerics/tt_layer.h"

namespace workloads::numerics {

/// Number formats of a tensorised training run.
enum class TtPrecision { kFp32, kFixed8 };
const char* tt_precision_name(TtPrecision precision);
/// Parses "fp32" or "fixed8"; ConfigError otherwise.
TtPrecision parse_tt_precision(const std::string& text);

/// Everything a tensorised training run depends on; defaults are the documented ones.
struct TtTrainOptions {
  TtPrecision precision = TtPrecision::kFp32;
  std::uint32_t max_rank = 20;  // every inner rank at the start
  RankPriorParams prior;
  // Multiplies the prior's log density; 1 is the Bayesian weight (the penalty enters the
  // batch-mean loss divided by the training-set size). The default 2 with prior_epochs 3 was
  // tuned on the full data set (docs/tensorized.md).
  double prior_strength = 2.0;
  // A slice goes when its lambda falls below this fraction of its bond's largest lambda.
  double prune_threshold = 0.01;
  std::uint32_t prune_interval = 100;  // K: iterations between variance updates and pruning
  // The prior and pruning act in the first prior_epochs epochs (0 = all); the remaining epochs
  // fine-tune the pruned ranks without the prior.
  std::uint32_t prior_epochs = 3;
  std::uint32_t epochs = 10;
  std::uint32_t batch = 64;
  double lr = 0.1;
  LrSchedule lr_schedule = LrSchedule::kCosine;
  std::uint64_t seed = 1;
  // fixed8: every core's step covers headroom x its initial max |value|; biases cover
  // [-bias_range, bias_range].
  double core_headroom = 2.0;
  double bias_range = 4.0;
};
/// Throws sim::ConfigError ("edgesim train: --option: ...") for an inconsistent option set.
void validate_tt_train_options(const TtTrainOptions& options);

/// Bits of the fixed8 formats (cores, biases, activations, gradients).
inline constexpr std::uint32_t kTtFixedBits = 8;

/// One epoch's figures (train figures are means over the epoch's minibatches; ranks and
/// parameters are those at the end of the epoch).
struct TtEpochMetrics {
  std::uint32_t epoch = 0;
  std::uint64_t iterations = 0;
  double lr = 0.0;
  double train_loss = 0.0;  // cross-entropy only
  double train_accuracy = 0.0;
  double test_loss = 0.0;
  double test_accuracy = 0.0;
  double prior_penalty = 0.0;                     // per-sample prior term at the end of the epoch
  std::vector<std::vector<std::uint32_t>> ranks;  // per TT layer, r_0..r_d
  // Per TT layer and bond: smallest lambda_r / largest lambda_r (how close the next pruning is).
  std::vector<std::vector<double>> variance_spread;
  std::uint64_t tt_parameters = 0;      // TT weights (biases excluded)
  std::uint64_t dense_parameters = 0;   // weights of the dense layers replaced
  double underflow_fraction = 0.0;      // fixed8: sub-step share of non-zero updates in the epoch
  std::uint64_t saturated_updates = 0;  // fixed8: codes clamped in the epoch
  double seconds = 0.0;                 // wall time of the epoch's training (not in metrics.csv)
};

/// A TT layer at the end of the run.
struct TtLayerSummary {
  std::string name;
  std::vector<std::uint32_t> m, n, initial_ranks, final_ranks;
  std::uint64_t initial_parameters = 0, final_parameters = 0, dense_parameters = 0, biases = 0;
};

/// Result of a tensorised training run.
struct TtTrainResult {
  std::vector<TtEpochMetrics> epochs;
  RankSchedule schedule;
  std::vector<TtLayerSummary> layers;
  std::uint64_t iterations = 0;
  std::uint64_t train_samples = 0;
  std::uint64_t test_samples = 0;
  std::uint64_t dense_parameters = 0;  // weights of the dense MLP the TT layers replace
  std::uint64_t slices_pruned = 0;
  double train_seconds = 0.0;
};

/// The TT MLP: fc1 and fc2 at `max_rank` (uniform inner ranks).
std::vector<TtLinear> build_tt_mlp_layers(std::uint32_t max_rank);

/// Trains the TT MLP on `data`; calls `on_epoch` after each epoch.
TtTrainResult train_tt(const TtTrainOptions& options, const FashionMnist& data,
                       const std::function<void(const TtEpochMetrics&)>& on_epoch = {});

/// Header and one line per epoch; deterministic for a seed (no timings).
void write_tt_metrics_csv(const std::string& path, const TtTrainResult& result);
/// summary.json: options, final accuracy, ranks and parameters per layer, timings.
/// `evaluated_on` names the set the test_* figures come from: "test", or "validation" (the
/// last training images held out with `edgesim train --validation`).
void write_tt_summary_json(const std::string& path, const TtTrainOptions& options,
                           const TtTrainResult& result, const std::string& evaluated_on = "test");
/// One stdout line for an epoch.
std::string format_tt_epoch_line(const TtEpochMetrics& metrics, std::uint32_t epochs);

}  // namespace workloads::numerics
