#pragma once
// Real training of small networks on Fashion-MNIST under three precision schemes:
//   fp32  everything in single precision;
//   qat   FP32 master weights; the GEMMs use a fake-quantised copy (w_bits, by the weight
//         quantiser: uniform with its step from the master's range each iteration, or ul2q,
//         binary, ternary from workloads/quant/ultra_low.h) and fake-quantised input
//         activations (a_bits); straight-through estimator with the quantiser's gradient
//         mask; SGD updates the master;
//   rct   only integer weight codes and one step per layer exist; GEMMs use them, input
//         activations at a_bits and output gradients at g_bits (stochastic rounding); the
//         SGD update is added to the codes with stochastic rounding; the G_avg policy
//         changes each layer's width every K iterations.
// The result holds per-epoch metrics, the per-layer bitwidth schedule and memory figures.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "workloads/numerics/layers.h"
#include "workloads/numerics/mnist.h"
#include "workloads/quant/fixed_point.h"
#include "workloads/quant/rct_policy.h"
#include "workloads/quant/schedule.h"
#include "workloads/quant/ultra_low.h"

namespace workloads::numerics {

/// Precision scheme of a training run.
enum class TrainScheme { kFp32, kQat, kRct };
const char* train_scheme_name(TrainScheme scheme);
/// Parses "fp32", "qat" or "rct"; ConfigError otherwise.
TrainScheme parse_train_scheme(const std::string& text);

/// Learning-rate schedule over the whole run.
enum class LrSchedule { kConstant, kCosine };

/// Everything a training run depends on; defaults are the documented ones.
struct TrainOptions {
  std::string model = "mlp";  // mlp | lenet5
  TrainScheme scheme = TrainScheme::kFp32;
  std::uint32_t epochs = 10;
  std::uint32_t batch = 64;
  double lr = 0.1;
  LrSchedule lr_schedule = LrSchedule::kCosine;
  double momentum = 0.0;
  std::uint64_t seed = 1;
  std::uint32_t w_bits = 8;  // QAT weight width
  // QAT weight quantiser; uniform is the fixed-point format with the step from --scale.
  quant::WeightQuantizerKind w_quantizer = quant::WeightQuantizerKind::kUniform;
  std::uint32_t a_bits = 8;  // QAT and RCT input-activation width
  // Activations that have no negative value (after a ReLU) on an unsigned grid of 2^a_bits
  // levels; false: the symmetric signed grid for every activation (the default).
  bool unsigned_activations = false;
  std::uint32_t g_bits = 0;  // output-gradient width; 0 = scheme default (qat 32, rct 8)
  quant::ScaleKind scale = quant::ScaleKind::kPowerOfTwo;
  quant::RctPolicyParams policy;  // RCT widths and thresholds; K also sets schedule rows
  double rct_headroom = 2.0;      // RCT initial range = headroom * max |initial weight|
  // RCT rounding of the weight update; kNearestEven is an ablation that loses sub-step updates.
  quant::RoundingMode rct_update_rounding = quant::RoundingMode::kStochastic;
};
/// Throws sim::ConfigError ("edgesim train: --option: ...") for an inconsistent option set.
void validate_train_options(const TrainOptions& options);
/// The gradient width a scheme actually uses (32 = FP32).
std::uint32_t effective_g_bits(const TrainOptions& options);

/// One epoch's figures (train figures are means over the epoch's minibatches).
struct EpochMetrics {
  std::uint32_t epoch = 0;       // 1-based
  std::uint64_t iterations = 0;  // cumulative
  double lr = 0.0;               // at the epoch's last iteration
  double train_loss = 0.0;
  double train_accuracy = 0.0;  // in [0, 1]
  double test_loss = 0.0;
  double test_accuracy = 0.0;     // in [0, 1]
  double mean_w_bits = 0.0;       // parameter-weighted weight width over the epoch
  double underflow_fraction = 0;  // parameter-weighted share of sub-step updates (rct, qat)
  double seconds = 0.0;           // wall time of the epoch's training (not in metrics.csv)
};

/// Per-layer figures of a finished run.
struct LayerSummary {
  std::string name;
  std::uint64_t weights = 0;
  std::uint64_t biases = 0;
  std::uint32_t final_w_bits = 32;
  double mean_w_bits = 32.0;            // over all iterations
  std::uint64_t saturated_updates = 0;  // RCT updates clamped to the range
};

/// Result of a training run.
struct TrainResult {
  std::vector<EpochMetrics> epochs;
  quant::BitwidthSchedule schedule;
  std::vector<LayerSummary> layers;
  std::uint64_t iterations = 0;
  std::uint64_t train_samples = 0;
  std::uint64_t test_samples = 0;
  double mean_w_bits = 32.0;            // parameter-weighted over all iterations
  std::uint64_t param_memory_bits = 0;  // what training keeps at the end (masters + copies)
  std::uint64_t model_bits = 0;         // the trained model alone (deployable weights)
  std::uint64_t optimizer_state_bits = 0;
  std::uint64_t weight_scale_bits = 0;  // per-layer FP32 scalars the model's codes need
  // qat: share of weight-gradient entries the quantiser's STE mask zeroed, over all iterations.
  double ste_clipped_fraction = 0.0;
  // The weight quantiser as metrics.csv names it: qat its name, rct "uniform", fp32 "none".
  std::string w_quantizer = "none";
  double train_seconds = 0.0;
  double samples_per_second = 0.0;
};

/// Trains `options.model` on `data`; calls `on_epoch` after each epoch.
TrainResult train(const TrainOptions& options, const FashionMnist& data,
                  const std::function<void(const EpochMetrics&)>& on_epoch = {});

/// Header and one line per epoch; every figure is deterministic for a seed (no timings).
void write_metrics_csv(const std::string& path, const TrainResult& result);
/// summary.json: options, final accuracy, per-layer widths, memory in bits, timings.
void write_summary_json(const std::string& path, const TrainOptions& options,
                        const TrainResult& result);
/// One stdout line for an epoch.
std::string format_epoch_line(const EpochMetrics& metrics, std::uint32_t epochs);

}  // namespace workloads::numerics
