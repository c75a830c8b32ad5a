#include "workloads/numerics/tt_trainer.h"

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>

#include "sim/core/config.h"
#include "workloads/numerics/loss.h"

namespace workloads::numerics {
namespace {

// Streams of the seed; the dense trainer's numbering, so the shuffles match for one seed.
constexpr std::uint64_t kStreamInit = 1;
constexpr std::uint64_t kStreamShuffle = 2;
constexpr std::uint64_t kStreamRounding = 3;
constexpr Eigen::Index kEvalChunk = 1000;

std::string option_error(const std::string& option, const std::string& what) {
  return "edgesim train: --" + option + ": " + what;
}

std::string json_number(double value) {
  return std::isfinite(value) ? sim::format_double(value) : std::string("null");
}

std::string json_factors(const std::vector<std::uint32_t>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

class TtTrainer {
 public:
  TtTrainer(const TtTrainOptions& options, const FashionMnist& data)
      : options_(options),
        data_(data),
        layers_(build_tt_mlp_layers(options.max_rank)),
        relu_("relu1"),
        shuffle_rng_(quant::Rng::derive(options.seed, kStreamShuffle)),
        rounding_rng_(quant::Rng::derive(options.seed, kStreamRounding)) {
    quant::Rng init_rng = quant::Rng::derive(options.seed, kStreamInit);
    penalty_scale_ = options.prior_strength / static_cast<double>(data.train.count());
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      TtLinear& layer = layers_[l];
      layer.init_uniform(init_rng);
      if (options.precision == TtPrecision::kFixed8) {
        layer.use_fixed_point(kTtFixedBits, options.core_headroom, options.bias_range,
                              quant::ScaleKind::kPowerOfTwo);
        LayerQuantization q;
        q.act_bits = kTtFixedBits;
        q.grad_bits = kTtFixedBits;
        q.scale = quant::ScaleKind::kPowerOfTwo;
        q.rng = &rounding_rng_;
        layer.set_quantization(q);
      }
      layer.update_slice_variances(options.prior);
      open_rows_.push_back(schedule_row(l));
      dense_parameters_ += layer.dense_parameter_count();
    }
  }

  TtTrainResult run(const std::function<void(const TtEpochMetrics&)>& on_epoch) {
    TtTrainResult result;
    for (const TtLinear& layer : layers_) {
      TtLayerSummary summary;
      summary.name = layer.name();
      summary.m = layer.shape().m;
      summary.n = layer.shape().n;
      summary.initial_ranks = layer.shape().ranks;
      summary.initial_parameters = layer.parameter_count();
      result.layers.push_back(summary);
    }
    const std::size_t n = data_.train.count();
    const std::size_t pixels = data_.train.pixels();
    const std::uint64_t per_epoch = (n + options_.batch - 1) / options_.batch;
    total_iterations_ = per_epoch * options_.epochs;
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    Matrix batch_x, dlogits;
    std::vector<std::uint8_t> batch_y;
    for (std::uint32_t epoch = 1; epoch <= options_.epochs; ++epoch) {
      const auto start = std::chrono::steady_clock::now();
      for (std::size_t i = n; i > 1; --i)
        std::swap(order[i - 1], order[shuffle_rng_.uniform_index(i)]);
      double loss_sum = 0.0;
      std::size_t correct = 0;
      std::size_t nonzero = 0, underflow = 0;
      std::uint64_t saturated = 0;
      double lr = options_.lr;
      for (std::size_t first = 0; first < n; first += options_.batch) {
        const std::size_t rows = std::min<std::size_t>(options_.batch, n - first);
        batch_x.resize(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(pixels));
        batch_y.resize(rows);
        for (std::size_t r = 0; r < rows; ++r) {
          const std::uint32_t sample = order[first + r];
          std::copy_n(data_.train.images.data() + sample * pixels, pixels,
                      batch_x.row(static_cast<Eigen::Index>(r)).data());
          batch_y[r] = data_.train.labels[sample];
        }
        lr = learning_rate();
        const Matrix& logits = forward(batch_x);
        const LossResult loss = softmax_cross_entropy(logits, batch_y.data(), &dlogits);
        backward(dlogits);
        const bool prior_on = options_.prior_epochs == 0 || epoch <= options_.prior_epochs;
        for (TtLinear& layer : layers_) {
          if (prior_on) layer.add_prior_gradient(penalty_scale_);
          const auto stats = layer.sgd_step(static_cast<float>(lr), &rounding_rng_);
          nonzero += stats.nonzero;
          underflow += stats.underflow;
          saturated += stats.saturated;
        }
        loss_sum += loss.loss_sum;
        correct += loss.correct;
        ++iteration_;
        // No pruning after the last iteration: the schedule's last rows are the final model.
        if (prior_on && iteration_ % options_.prune_interval == 0 && iteration_ < total_iterations_)
          adapt_ranks(result);
      }
      TtEpochMetrics metrics;
      metrics.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics.epoch = epoch;
      metrics.iterations = iteration_;
      metrics.lr = lr;
      metrics.train_loss = loss_sum / static_cast<double>(n);
      metrics.train_accuracy = static_cast<double>(correct) / static_cast<double>(n);
      metrics.underflow_fraction = nonzero > 0 ? static_cast<double>(underflow) / nonzero : 0.0;
      metrics.saturated_updates = saturated;
      for (const TtLinear& layer : layers_) {
        metrics.ranks.push_back(layer.shape().ranks);
        std::vector<double> spread;
        for (std::size_t b = 0; b < layer.bond_count(); ++b) {
          const auto& lambdas = layer.slice_variances(b);
          const auto [lo, hi] = std::minmax_element(lambdas.begin(), lambdas.end());
          spread.push_back(*hi > 0.0 ? *lo / *hi : 0.0);
        }
        metrics.variance_spread.push_back(spread);
        metrics.tt_parameters += layer.parameter_count();
        metrics.dense_parameters += layer.dense_parameter_count();
        metrics.prior_penalty += layer.prior_penalty(penalty_scale_);
      }
      evaluate(metrics);
      result.train_seconds += metrics.seconds;
      result.epochs.push_back(metrics);
      if (on_epoch) on_epoch(metrics);
    }
    finish(result);
    return result;
  }

 private:
  double learning_rate() const {
    if (options_.lr_schedule == LrSchedule::kConstant) return options_.lr;
    const double progress =
        static_cast<double>(iteration_) / static_cast<double>(total_iterations_);
    return options_.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
  }

  const Matrix& forward(const Matrix& x) {
    layers_[0].forward(x, hidden_);
    relu_.forward(hidden_, activated_);
    layers_[1].forward(activated_, logits_);
    return logits_;
  }

  void backward(const Matrix& dlogits) {
    layers_[1].backward(dlogits, &grad_activated_);
    relu_.backward(grad_activated_, &grad_hidden_);
    layers_[0].backward(grad_hidden_, nullptr);
  }

  RankScheduleRow schedule_row(std::size_t l) const {
    RankScheduleRow row;
    row.layer = static_cast<std::uint32_t>(l);
    row.layer_name = layers_[l].name();
    row.iter_begin = iteration_;
    row.m = layers_[l].shape().m;
    row.n = layers_[l].shape().n;
    row.ranks = layers_[l].shape().ranks;
    row.parameters = layers_[l].parameter_count();
    return row;
  }

  // Closed-form variance update, then pruning; a layer whose ranks changed starts a new row.
  void adapt_ranks(TtTrainResult& result) {
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      TtLinear& layer = layers_[l];
      layer.update_slice_variances(options_.prior);
      const std::size_t removed = layer.prune_slices(options_.prune_threshold);
      if (removed == 0) continue;
      result.slices_pruned += removed;
      // The row ending here covers [iter_begin, iteration_): non-empty, as adapt_ranks runs at
      // most once per iteration and never before the first.
      open_rows_[l].iter_end = iteration_;
      closed_rows_.push_back(open_rows_[l]);
      open_rows_[l] = schedule_row(l);
    }
  }

  void evaluate(TtEpochMetrics& metrics) {
    const Dataset& test = data_.test;
    const auto pixels = static_cast<Eigen::Index>(test.pixels());
    double loss_sum = 0.0;
    std::size_t correct = 0;
    for (std::size_t first = 0; first < test.count(); first += kEvalChunk) {
      const auto rows = std::min<Eigen::Index>(kEvalChunk, test.count() - first);
      const Matrix inputs =
          Eigen::Map<const Matrix>(test.images.data() + first * pixels, rows, pixels);
      const LossResult loss =
          softmax_cross_entropy(forward(inputs), test.labels.data() + first, nullptr);
      loss_sum += loss.loss_sum;
      correct += loss.correct;
    }
    const double count = static_cast<double>(test.count());
    metrics.test_loss = count > 0 ? loss_sum / count : 0.0;
    metrics.test_accuracy = count > 0 ? static_cast<double>(correct) / count : 0.0;
  }

  void finish(TtTrainResult& result) {
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      open_rows_[l].iter_end = iteration_;
      closed_rows_.push_back(open_rows_[l]);
      TtLayerSummary& summary = result.layers[l];
      summary.final_ranks = layers_[l].shape().ranks;
      summary.final_parameters = layers_[l].parameter_count();
      summary.dense_parameters = layers_[l].dense_parameter_count();
      summary.biases = static_cast<std::uint64_t>(layers_[l].bias().size());
    }
    std::stable_sort(
        closed_rows_.begin(), closed_rows_.end(),
        [](const RankScheduleRow& a, const RankScheduleRow& b) { return a.layer < b.layer; });
    result.schedule.rows = closed_rows_;
    result.iterations = iteration_;
    result.train_samples = data_.train.count();
    result.test_samples = data_.test.count();
    result.dense_parameters = dense_parameters_;
  }

  const TtTrainOptions& options_;
  const FashionMnist& data_;
  std::vector<TtLinear> layers_;
  Relu relu_;
  quant::Rng shuffle_rng_;
  quant::Rng rounding_rng_;
  double penalty_scale_ = 0.0;
  std::uint64_t dense_parameters_ = 0;
  std::vector<RankScheduleRow> open_rows_, closed_rows_;
  Matrix hidden_, activated_, logits_, grad_activated_, grad_hidden_;
  std::uint64_t iteration_ = 0;
  std::uint64_t total_iterations_ = 1;
};

}  // namespace

const char* tt_precision_name(TtPrecision precision) {
  return precision == TtPrecision::kFp32 ? "fp32" : "fixed8";
}

TtPrecision parse_tt_precision(const std::string& text) {
  if (text == "fp32") return TtPrecision::kFp32;
  if (text == "fixed8") return TtPrecision::kFixed8;
  throw sim::ConfigError(option_error("precision", "must be one of fp32, fixed8, got " + text));
}

void validate_tt_train_options(const TtTrainOptions& o) {
  auto positive = [](const char* option, double value) {
    if (!(value > 0.0) || !std::isfinite(value))
      throw sim::ConfigError(option_error(option, "must be > 0, got " + sim::format_double(value)));
  };
  if (o.max_rank == 0) throw sim::ConfigError(option_error("max-rank", "must be >= 1, got 0"));
  if (o.epochs == 0) throw sim::ConfigError(option_error("epochs", "must be > 0, got 0"));
  if (o.batch == 0) throw sim::ConfigError(option_error("batch", "must be > 0, got 0"));
  if (o.prune_interval == 0)
    throw sim::ConfigError(option_error("prune-every", "must be > 0, got 0"));
  positive("lr", o.lr);
  positive("half-cauchy-scale", o.prior.half_cauchy_scale);
  if (!(o.prior_strength >= 0.0) || !std::isfinite(o.prior_strength))
    throw sim::ConfigError(
        option_error("prior-strength",
                     "must be >= 0 (0 = no prior), got " + sim::format_double(o.prior_strength)));
  if (!(o.prune_threshold >= 0.0 && o.prune_threshold < 1.0))
    throw sim::ConfigError(option_error(
        "prune-threshold",
        "must be in [0, 1) (0 = never prune), got " + sim::format_double(o.prune_threshold)));
  if (!(o.core_headroom >= 1.0) || !std::isfinite(o.core_headroom))
    throw sim::ConfigError(
        option_error("core-headroom", "must be >= 1, got " + sim::format_double(o.core_headroom)));
  positive("bias-range", o.bias_range);
}

std::vector<TtLinear> build_tt_mlp_layers(std::uint32_t max_rank) {
  std::vector<TtLinear> layers;
  layers.emplace_back("fc1", std::vector<std::uint32_t>{4, 4, 8, 4},
                      std::vector<std::uint32_t>{4, 7, 4, 7}, max_rank);
  layers.emplace_back("fc2", std::vector<std::uint32_t>{2, 5}, std::vector<std::uint32_t>{16, 32},
                      max_rank);
  return layers;
}

TtTrainResult train_tt(const TtTrainOptions& options, const FashionMnist& data,
                       const std::function<void(const TtEpochMetrics&)>& on_epoch) {
  validate_tt_train_options(options);
  if (data.train.count() == 0) throw sim::ConfigError("edgesim train: no training samples");
  if (data.train.pixels() != 784)
    throw sim::ConfigError("edgesim train: expected 28x28 images, got " +
                           std::to_string(data.train.rows) + "x" + std::to_string(data.train.cols));
  TtTrainer trainer(options, data);
  return trainer.run(on_epoch);
}

void write_tt_metrics_csv(const std::string& path, const TtTrainResult& result) {
  std::ofstream out(path);
  if (!out) throw sim::ConfigError(path + ": cannot open for writing");
  out << "epoch,iterations,lr,train_loss,train_accuracy,test_loss,test_accuracy,prior_penalty";
  for (const auto& layer : result.layers) out << ',' << layer.name << "_ranks";
  for (const auto& layer : result.layers) out << ',' << layer.name << "_variance_spread";
  out << ",tt_parameters,dense_parameters,compression,underflow_fraction,saturated_updates\n";
  for (const auto& m : result.epochs) {
    out << m.epoch << ',' << m.iterations << ',' << sim::format_double(m.lr) << ','
        << sim::format_double(m.train_loss) << ',' << sim::format_double(m.train_accuracy) << ','
        << sim::format_double(m.test_loss) << ',' << sim::format_double(m.test_accuracy) << ','
        << sim::format_double(m.prior_penalty);
    for (const auto& ranks : m.ranks) out << ',' << join_factors(ranks);
    for (const auto& spread : m.variance_spread) {
      out << ',';
      for (std::size_t b = 0; b < spread.size(); ++b)
        out << (b ? ";" : "") << sim::format_double(spread[b]);
    }
    out << ',' << m.tt_parameters << ',' << result.dense_parameters << ','
        << sim::format_double(static_cast<double>(result.dense_parameters) /
                              static_cast<double>(m.tt_parameters))
        << ',' << sim::format_double(m.underflow_fraction) << ',' << m.saturated_updates << '\n';
  }
  if (!out) throw sim::ConfigError(path + ": write failed");
}

void write_tt_summary_json(const std::string& path, const TtTrainOptions& options,
                           const TtTrainResult& result, const std::string& evaluated_on) {
  std::ofstream out(path);
  if (!out) throw sim::ConfigError(path + ": cannot open for writing");
  const TtEpochMetrics last = result.epochs.empty() ? TtEpochMetrics{} : result.epochs.back();
  std::uint64_t initial = 0;
  for (const auto& layer : result.layers) initial += layer.initial_parameters;
  const bool fixed = options.precision == TtPrecision::kFixed8;
  out << "{\n";
  out << "  \"model\": \"tt_mlp\",\n";
  out << "  \"precision\": \"" << tt_precision_name(options.precision) << "\",\n";
  out << "  \"weight_bits\": " << (fixed ? kTtFixedBits : 32) << ",\n";
  out << "  \"activation_bits\": " << (fixed ? kTtFixedBits : 32) << ",\n";
  out << "  \"gradient_bits\": " << (fixed ? kTtFixedBits : 32) << ",\n";
  out << "  \"seed\": " << options.seed << ",\n";
  out << "  \"epochs\": " << options.epochs << ",\n";
  out << "  \"batch\": " << options.batch << ",\n";
  out << "  \"lr\": " << json_number(options.lr) << ",\n";
  out << "  \"lr_schedule\": \""
      << (options.lr_schedule == LrSchedule::kCosine ? "cosine" : "constant") << "\",\n";
  out << "  \"max_rank\": " << options.max_rank << ",\n";
  out << "  \"prior\": \"" << rank_prior_name(options.prior.kind) << "\",\n";
  out << "  \"half_cauchy_scale\": "
      << (options.prior.kind == RankPrior::kHalfCauchy
              ? json_number(options.prior.half_cauchy_scale)
              : std::string("null"))
      << ",\n";
  out << "  \"prior_strength\": " << json_number(options.prior_strength) << ",\n";
  out << "  \"prune_threshold\": " << json_number(options.prune_threshold) << ",\n";
  out << "  \"prune_every\": " << options.prune_interval << ",\n";
  out << "  \"prior_epochs\": " << options.prior_epochs << ",\n";
  out << "  \"core_headroom\": " << (fixed ? json_number(options.core_headroom) : "null") << ",\n";
  out << "  \"bias_range\": " << (fixed ? json_number(options.bias_range) : "null") << ",\n";
  out << "  \"train_samples\": " << result.train_samples << ",\n";
  out << "  \"test_samples\": " << result.test_samples << ",\n";
  out << "  \"evaluated_on\": \"" << evaluated_on << "\",\n";
  out << "  \"iterations\": " << result.iterations << ",\n";
  out << "  \"final_train_loss\": " << json_number(last.train_loss) << ",\n";
  out << "  \"final_test_loss\": " << json_number(last.test_loss) << ",\n";
  out << "  \"final_test_accuracy\": " << json_number(last.test_accuracy) << ",\n";
  out << "  \"initial_tt_parameters\": " << initial << ",\n";
  out << "  \"tt_parameters\": " << last.tt_parameters << ",\n";
  out << "  \"dense_parameters\": " << result.dense_parameters << ",\n";
  out << "  \"compression\": "
      << json_number(static_cast<double>(result.dense_parameters) /
                     static_cast<double>(last.tt_parameters))
      << ",\n";
  out << "  \"slices_pruned\": " << result.slices_pruned << ",\n";
  out << "  \"layers\": [\n";
  for (std::size_t i = 0; i < result.layers.size(); ++i) {
    const auto& layer = result.layers[i];
    out << "    {\"name\": \"" << layer.name << "\", \"m\": " << json_factors(layer.m)
        << ", \"n\": " << json_factors(layer.n)
        << ", \"initial_ranks\": " << json_factors(layer.initial_ranks)
        << ", \"final_ranks\": " << json_factors(layer.final_ranks)
        << ", \"initial_parameters\": " << layer.initial_parameters
        << ", \"tt_parameters\": " << layer.final_parameters
        << ", \"dense_parameters\": " << layer.dense_parameters << ", \"biases\": " << layer.biases
        << "}" << (i + 1 < result.layers.size() ? "," : "") << "\n";
  }
  out << "  ],\n";
  const double samples = static_cast<double>(result.train_samples) * options.epochs;
  out << "  \"train_seconds\": " << json_number(result.train_seconds) << ",\n";
  out << "  \"samples_per_second\": "
      << json_number(result.train_seconds > 0 ? samples / result.train_seconds : 0.0) << "\n";
  out << "}\n";
  if (!out) throw sim::ConfigError(path + ": write failed");
}

std::string format_tt_epoch_line(const TtEpochMetrics& m, std::uint32_t epochs) {
  std::string ranks, spread;
  for (const auto& r : m.ranks) ranks += (ranks.empty() ? "" : " ") + join_factors(r);
  for (const auto& layer : m.variance_spread) {
    spread += spread.empty() ? "" : " ";
    for (std::size_t b = 0; b < layer.size(); ++b) {
      char value[32];
      std::snprintf(value, sizeof value, "%s%.2g", b ? ";" : "", layer[b]);
      spread += value;
    }
  }
  char line[400];
  std::snprintf(
      line, sizeof line,
      "epoch %u/%u  train_loss %.4f  train_acc %.2f%%  test_loss %.4f  test_acc %.2f%%  "
      "ranks %s  min/max lambda %s  params %llu (%.1fx)  %.1f s",
      m.epoch, epochs, m.train_loss, 100.0 * m.train_accuracy, m.test_loss, 100.0 * m.test_accuracy,
      ranks.c_str(), spread.c_str(), static_cast<unsigned long long>(m.tt_parameters),
      static_cast<double>(m.dense_parameters) / static_cast<double>(m.tt_parameters), m.seconds);
  return line;
}

}  // namespace workloads::numerics
