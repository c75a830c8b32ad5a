#include "workloads/numerics/trainer.h"

#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

#include "sim/core/config.h"
#include "workloads/numerics/loss.h"

namespace workloads::numerics {
namespace {

constexpr std::uint64_t kStreamInit = 1;
constexpr std::uint64_t kStreamShuffle = 2;
constexpr std::uint64_t kStreamRounding = 3;
constexpr Eigen::Index kEvalChunk = 1000;

std::string option_error(const std::string& option, const std::string& what) {
  return "edgesim train: --" + option + ": " + what;
}

// The QAT weight quantiser; other schemes build it too (unused), at a width it accepts.
quant::WeightQuantizerParams weight_quantizer_params(const TrainOptions& options) {
  quant::WeightQuantizerParams params;
  params.kind = options.w_quantizer;
  params.bits = options.w_bits;
  params.uniform_scale = options.scale;
  return params;
}

std::string json_number(double value) {
  return std::isfinite(value) ? sim::format_double(value) : std::string("null");
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Training state of one parameterised layer under the run's scheme.
struct LayerState {
  ParamLayer* layer = nullptr;
  Matrix master;                       // qat: FP32 master weights
  std::vector<std::uint8_t> ste_mask;  // qat: 1 where the weight quantiser passes the gradient
  std::size_t ste_clipped = 0;         // qat: zeros in ste_mask this iteration
  Matrix masked_grad_w;                // qat: the weight gradient after the mask
  Matrix velocity_w;                   // momentum buffers (FP32 optimizer state)
  RowVector velocity_b;
  std::vector<std::int32_t> codes_w, codes_b;  // rct: the only copy of the parameters
  quant::FixedPointFormat format;              // rct: current; qat: this iteration's copy
  std::uint32_t w_bits = 32;
  // The open schedule window.
  std::uint64_t window_begin = 0;
  std::uint32_t window_w_bits = 32;
  double window_g_sum = 0.0;
  double window_underflow_sum = 0.0;
  std::uint32_t window_count = 0;
  // Over the run.
  double bits_iteration_sum = 0.0;
  std::uint64_t saturated = 0;
  std::uint64_t clipped_sum = 0;
  double last_underflow = 0.0;
};

class Trainer {
 public:
  Trainer(const TrainOptions& options, const FashionMnist& data)
      : options_(options),
        data_(data),
        net_(build_model(options.model)),
        shuffle_rng_(quant::Rng::derive(options.seed, kStreamShuffle)),
        rounding_rng_(quant::Rng::derive(options.seed, kStreamRounding)),
        policy_(options.policy, net_.param_layers.size()),
        w_quantizer_(weight_quantizer_params(options)) {
    quant::Rng init_rng = quant::Rng::derive(options.seed, kStreamInit);
    const bool quantized = options.scheme != TrainScheme::kFp32;
    for (ParamLayer* layer : net_.param_layers) {
      layer->init_he_uniform(init_rng);
      LayerQuantization q;
      q.scale = options.scale;
      q.rng = &rounding_rng_;
      if (quantized) q.act_bits = options.a_bits;
      q.act_unsigned = options.unsigned_activations;
      if (options.scheme == TrainScheme::kRct) q.grad_bits = effective_g_bits(options);
      layer->set_quantization(q);

      LayerState state;
      state.layer = layer;
      if (options.momentum > 0.0) {
        state.velocity_w = Matrix::Zero(layer->fan_in(), layer->fan_out());
        state.velocity_b = RowVector::Zero(layer->fan_out());
      }
      if (options.scheme == TrainScheme::kQat) {
        state.master = layer->weight();
        state.ste_mask.assign(layer->weight_count(), 1);
        state.w_bits = w_quantizer_.storage_bits();
      } else if (options.scheme == TrainScheme::kRct) {
        state.w_bits = options.policy.initial_bits;
        const double range =
            options.rct_headroom * quant::max_abs(layer->weight().data(), layer->weight_count());
        state.format = {state.w_bits, quant::choose_step(range, state.w_bits, options.scale)};
        state.codes_w.resize(layer->weight_count());
        state.codes_b.assign(layer->bias_count(), 0);
        quant::quantize_to_codes(layer->weight().data(), state.codes_w.data(), state.codes_w.size(),
                                 state.format, quant::RoundingMode::kNearestEven);
      }
      state.window_w_bits = state.w_bits;
      layers_.push_back(std::move(state));
    }
  }

  TrainResult run(const std::function<void(const EpochMetrics&)>& on_epoch) {
    TrainResult result;
    const std::size_t n = data_.train.count();
    const std::size_t pixels = data_.train.pixels();
    const std::uint64_t per_epoch = (n + options_.batch - 1) / options_.batch;
    total_iterations_ = per_epoch * options_.epochs;
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    Matrix batch_x;
    std::vector<std::uint8_t> batch_y;
    Matrix dlogits;
    std::uint64_t total_weights = 0;
    for (const auto& s : layers_) total_weights += s.layer->weight_count();

    for (std::uint32_t epoch = 1; epoch <= options_.epochs; ++epoch) {
      const auto start = std::chrono::steady_clock::now();
      for (std::size_t i = n; i > 1; --i)
        std::swap(order[i - 1], order[shuffle_rng_.uniform_index(i)]);
      double loss_sum = 0.0, bits_sum = 0.0, underflow_sum = 0.0;
      std::size_t correct = 0;
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
        prepare_weights();
        const Matrix& logits = network_forward(net_, batch_x, work_);
        const LossResult loss = softmax_cross_entropy(logits, batch_y.data(), &dlogits);
        network_backward(net_, dlogits, work_);
        update(lr);
        loss_sum += loss.loss_sum;
        correct += loss.correct;
        for (const auto& s : layers_) {
          const double share = static_cast<double>(s.layer->weight_count()) / total_weights;
          bits_sum += share * s.window_w_bits;
          underflow_sum += share * s.last_underflow;
        }
        end_iteration();
      }
      EpochMetrics metrics;
      metrics.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics.epoch = epoch;
      metrics.iterations = iteration_;
      metrics.lr = lr;
      metrics.train_loss = loss_sum / static_cast<double>(n);
      metrics.train_accuracy = static_cast<double>(correct) / static_cast<double>(n);
      metrics.mean_w_bits = bits_sum / static_cast<double>(per_epoch);
      metrics.underflow_fraction = underflow_sum / static_cast<double>(per_epoch);
      evaluate(metrics);
      result.train_seconds += metrics.seconds;
      result.epochs.push_back(metrics);
      if (on_epoch) on_epoch(metrics);
    }
    finish(result, total_weights);
    return result;
  }

 private:
  double learning_rate() const {
    if (options_.lr_schedule == LrSchedule::kConstant) return options_.lr;
    const double progress =
        static_cast<double>(iteration_) / static_cast<double>(total_iterations_);
    return options_.lr * 0.5 * (1.0 + std::cos(M_PI * progress));
  }

  // Writes the weights the GEMMs use: the quantised copy (qat) or the decoded codes (rct).
  void prepare_weights() {
    for (auto& s : layers_) {
      ParamLayer& layer = *s.layer;
      if (options_.scheme == TrainScheme::kQat) {
        const quant::WeightQuantization q = w_quantizer_.quantize(
            s.master.data(), layer.weight().data(), s.ste_mask.data(), layer.weight_count());
        // The step of the copy: what G_avg and the underflow fraction are measured against.
        s.format = {s.w_bits, w_quantizer_.level_spacing(q)};
        s.ste_clipped = q.clipped;
      } else if (options_.scheme == TrainScheme::kRct) {
        quant::dequantize_codes(s.codes_w.data(), layer.weight().data(), s.codes_w.size(),
                                s.format);
        quant::dequantize_codes(s.codes_b.data(), layer.bias().data(), s.codes_b.size(), s.format);
      }
    }
  }

  // The weight gradient the update uses: qat zeroes it where the quantiser's STE mask is 0.
  const Matrix& effective_grad_w(LayerState& s) {
    const Matrix& grad = s.layer->grad_weight();
    if (options_.scheme != TrainScheme::kQat || s.ste_clipped == 0) return grad;
    s.masked_grad_w.resize(grad.rows(), grad.cols());
    const float* g = grad.data();
    float* out = s.masked_grad_w.data();
    for (Eigen::Index i = 0; i < grad.size(); ++i) out[i] = s.ste_mask[i] ? g[i] : 0.0f;
    s.clipped_sum += s.ste_clipped;
    return s.masked_grad_w;
  }

  // The direction SGD moves along: the gradient, or the momentum buffer fed with it.
  const Matrix& direction_w(LayerState& s, const Matrix& grad) {
    if (options_.momentum <= 0.0) return grad;
    s.velocity_w = static_cast<float>(options_.momentum) * s.velocity_w + grad;
    return s.velocity_w;
  }
  const RowVector& direction_b(LayerState& s) {
    if (options_.momentum <= 0.0) return s.layer->grad_bias();
    s.velocity_b = static_cast<float>(options_.momentum) * s.velocity_b + s.layer->grad_bias();
    return s.velocity_b;
  }

  void update(double lr) {
    const auto lr_f = static_cast<float>(lr);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      LayerState& s = layers_[l];
      ParamLayer& layer = *s.layer;
      const std::size_t count = layer.weight_count();
      const Matrix& grad_w = effective_grad_w(s);
      double g = std::nan("");
      if (options_.scheme != TrainScheme::kFp32 && s.format.step > 0.0)
        g = quant::g_avg(grad_w.data(), count, s.format.step);
      const Matrix& dir_w = direction_w(s, grad_w);
      const RowVector& dir_b = direction_b(s);
      s.last_underflow = 0.0;
      if (options_.scheme == TrainScheme::kFp32) {
        layer.weight().noalias() -= lr_f * dir_w;
        layer.bias().noalias() -= lr_f * dir_b;
      } else if (options_.scheme == TrainScheme::kQat) {
        // Sub-step updates are not lost here (the master is FP32); counted for comparison.
        const float threshold = static_cast<float>(s.format.step) / lr_f;
        std::size_t nonzero = 0, below = 0;
        const float* d = dir_w.data();
        for (std::size_t i = 0; i < count; ++i) {
          const float magnitude = std::fabs(d[i]);
          nonzero += magnitude > 0.0f;
          below += (magnitude > 0.0f) & (magnitude < threshold);
        }
        s.last_underflow = nonzero > 0 ? static_cast<double>(below) / nonzero : 0.0;
        s.master.noalias() -= lr_f * dir_w;
        layer.bias().noalias() -= lr_f * dir_b;
      } else {
        const float scale = -lr_f / static_cast<float>(s.format.step);
        const bool stochastic = options_.rct_update_rounding == quant::RoundingMode::kStochastic;
        const auto add = [&](std::int32_t* codes, const float* values, std::size_t n) {
          return stochastic
                     ? quant::add_stochastic(codes, values, scale, n, s.format, rounding_rng_)
                     : quant::add_nearest(codes, values, scale, n, s.format);
        };
        const auto stats_w = add(s.codes_w.data(), dir_w.data(), count);
        const auto stats_b = add(s.codes_b.data(), dir_b.data(), s.codes_b.size());
        s.saturated += stats_w.saturated + stats_b.saturated;
        s.last_underflow =
            stats_w.nonzero > 0 ? static_cast<double>(stats_w.underflow) / stats_w.nonzero : 0.0;
        policy_.observe(l, g);
      }
      if (!std::isnan(g)) s.window_g_sum += g;
      s.window_underflow_sum += s.last_underflow;
      ++s.window_count;
      s.bits_iteration_sum += s.w_bits;
    }
  }

  void close_window(std::size_t l, LayerState& s) {
    quant::ScheduleRow row;
    row.layer = static_cast<std::uint32_t>(l);
    row.layer_name = s.layer->name();
    row.iter_begin = s.window_begin;
    row.iter_end = iteration_;
    row.w_bits = s.window_w_bits;
    const bool quantized = options_.scheme != TrainScheme::kFp32;
    row.a_bits = quantized ? options_.a_bits : 32;
    row.g_bits = effective_g_bits(options_);
    row.g_avg = quantized ? s.window_g_sum / s.window_count : std::nan("");
    row.underflow_fraction = s.window_underflow_sum / s.window_count;
    schedule_.rows.push_back(row);
    s.window_begin = iteration_;
    s.window_g_sum = 0.0;
    s.window_underflow_sum = 0.0;
    s.window_count = 0;
  }

  void end_iteration() {
    ++iteration_;
    const bool decided = options_.scheme == TrainScheme::kRct && policy_.end_iteration();
    if (iteration_ % options_.policy.k_iterations != 0) return;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      LayerState& s = layers_[l];
      close_window(l, s);
      if (decided && policy_.bits(l) != s.w_bits) {
        const quant::FixedPointFormat old = s.format;
        s.format = quant::change_bits(s.codes_w.data(), s.codes_w.size(), old, policy_.bits(l));
        quant::change_bits(s.codes_b.data(), s.codes_b.size(), old, policy_.bits(l));
        s.w_bits = policy_.bits(l);
      }
      s.window_w_bits = s.w_bits;
    }
  }

  void evaluate(EpochMetrics& metrics) {
    prepare_weights();
    const Dataset& test = data_.test;
    const auto pixels = static_cast<Eigen::Index>(test.pixels());
    double loss_sum = 0.0;
    std::size_t correct = 0;
    for (std::size_t first = 0; first < test.count(); first += kEvalChunk) {
      const auto rows = std::min<Eigen::Index>(kEvalChunk, test.count() - first);
      const Matrix inputs =
          Eigen::Map<const Matrix>(test.images.data() + first * pixels, rows, pixels);
      const Matrix& logits = network_forward(net_, inputs, work_);
      const LossResult loss = softmax_cross_entropy(logits, test.labels.data() + first, nullptr);
      loss_sum += loss.loss_sum;
      correct += loss.correct;
    }
    const double count = static_cast<double>(test.count());
    metrics.test_loss = count > 0 ? loss_sum / count : 0.0;
    metrics.test_accuracy = count > 0 ? static_cast<double>(correct) / count : 0.0;
  }

  void finish(TrainResult& result, std::uint64_t total_weights) {
    for (std::size_t l = 0; l < layers_.size(); ++l)
      if (layers_[l].window_count > 0) close_window(l, layers_[l]);
    result.schedule = std::move(schedule_);
    result.iterations = iteration_;
    result.train_samples = data_.train.count();
    result.test_samples = data_.test.count();
    double weighted_bits = 0.0;
    std::uint64_t clipped = 0;
    for (auto& s : layers_) {
      LayerSummary summary;
      summary.name = s.layer->name();
      summary.weights = s.layer->weight_count();
      summary.biases = s.layer->bias_count();
      summary.final_w_bits = s.w_bits;
      summary.mean_w_bits = iteration_ > 0 ? s.bits_iteration_sum / iteration_ : s.w_bits;
      summary.saturated_updates = s.saturated;
      weighted_bits += summary.mean_w_bits * summary.weights;
      const std::uint64_t params = summary.weights + summary.biases;
      switch (options_.scheme) {
        case TrainScheme::kFp32:
          result.param_memory_bits += 32 * params;
          result.model_bits += 32 * params;
          break;
        case TrainScheme::kQat:
          result.param_memory_bits += 32 * params + s.w_bits * summary.weights;
          result.model_bits += s.w_bits * summary.weights + 32 * summary.biases;
          result.weight_scale_bits += w_quantizer_.scalar_bits();
          clipped += s.clipped_sum;
          break;
        case TrainScheme::kRct:
          result.param_memory_bits += s.w_bits * params + 32;  // codes + one FP32 step
          result.model_bits += s.w_bits * params + 32;
          break;
      }
      if (options_.momentum > 0.0) result.optimizer_state_bits += 32 * params;
      result.layers.push_back(summary);
    }
    result.mean_w_bits = total_weights > 0 ? weighted_bits / total_weights : 32.0;
    const double gradient_entries = static_cast<double>(total_weights) * iteration_;
    result.ste_clipped_fraction = gradient_entries > 0 ? clipped / gradient_entries : 0.0;
    if (options_.scheme == TrainScheme::kQat)
      result.w_quantizer = quant::weight_quantizer_name(options_.w_quantizer);
    else if (options_.scheme == TrainScheme::kRct)
      result.w_quantizer = quant::weight_quantizer_name(quant::WeightQuantizerKind::kUniform);
    const double samples = static_cast<double>(data_.train.count()) * options_.epochs;
    result.samples_per_second = result.train_seconds > 0 ? samples / result.train_seconds : 0.0;
  }

  const TrainOptions& options_;
  const FashionMnist& data_;
  Network net_;
  Workspace work_;
  quant::Rng shuffle_rng_;
  quant::Rng rounding_rng_;
  quant::RctBitwidthPolicy policy_;
  quant::WeightQuantizer w_quantizer_;
  std::vector<LayerState> layers_;
  quant::BitwidthSchedule schedule_;
  std::uint64_t iteration_ = 0;
  std::uint64_t total_iterations_ = 1;
};

}  // namespace

const char* train_scheme_name(TrainScheme scheme) {
  switch (scheme) {
    case TrainScheme::kFp32:
      return "fp32";
    case TrainScheme::kQat:
      return "qat";
    case TrainScheme::kRct:
      return "rct";
  }
  return "?";
}

TrainScheme parse_train_scheme(const std::string& text) {
  if (text == "fp32") return TrainScheme::kFp32;
  if (text == "qat") return TrainScheme::kQat;
  if (text == "rct") return TrainScheme::kRct;
  throw sim::ConfigError(option_error("scheme", "must be one of fp32, qat, rct, got " + text));
}

std::uint32_t effective_g_bits(const TrainOptions& options) {
  if (options.scheme == TrainScheme::kFp32) return 32;
  if (options.g_bits != 0) return options.g_bits;
  return options.scheme == TrainScheme::kRct ? 8 : 32;
}

void validate_train_options(const TrainOptions& options) {
  if (options.model != "mlp" && options.model != "lenet5")
    throw sim::ConfigError(
        option_error("model", "must be one of mlp, lenet5, got " + options.model));
  if (options.epochs == 0) throw sim::ConfigError(option_error("epochs", "must be > 0, got 0"));
  if (options.batch == 0) throw sim::ConfigError(option_error("batch", "must be > 0, got 0"));
  if (!(options.lr > 0.0) || !std::isfinite(options.lr))
    throw sim::ConfigError(
        option_error("lr", "must be > 0, got " + sim::format_double(options.lr)));
  if (!(options.momentum >= 0.0 && options.momentum < 1.0))
    throw sim::ConfigError(
        option_error("momentum", "must be in [0, 1), got " + sim::format_double(options.momentum)));
  auto check_bits = [](const char* option, std::uint32_t bits, bool allow_zero) {
    if ((bits == 0 && allow_zero) || (bits >= quant::kMinBits && bits <= quant::kMaxBits)) return;
    throw sim::ConfigError(option_error(option, std::string("must be in [2, 32]") +
                                                    (allow_zero ? " or 0" : "") + ", got " +
                                                    std::to_string(bits)));
  };
  if (options.scheme == TrainScheme::kQat) {
    quant::validate_weight_bits(options.w_quantizer, options.w_bits, "edgesim train: --w-bits");
  } else {
    check_bits("w-bits", options.w_bits, false);
    if (options.w_quantizer != quant::WeightQuantizerKind::kUniform)
      throw sim::ConfigError(option_error(
          "w-quantizer", std::string("only --scheme qat quantises weights this way, got ") +
                             quant::weight_quantizer_name(options.w_quantizer) + " with --scheme " +
                             train_scheme_name(options.scheme)));
  }
  check_bits("a-bits", options.a_bits, false);
  check_bits("g-bits", options.g_bits, true);
  if (!(options.rct_headroom >= 1.0) || !std::isfinite(options.rct_headroom))
    throw sim::ConfigError(option_error(
        "rct-headroom", "must be >= 1, got " + sim::format_double(options.rct_headroom)));
  quant::validate_rct_policy(options.policy, "edgesim train: --rct-*");
}

TrainResult train(const TrainOptions& options, const FashionMnist& data,
                  const std::function<void(const EpochMetrics&)>& on_epoch) {
  validate_train_options(options);
  if (data.train.count() == 0) throw sim::ConfigError("edgesim train: no training samples");
  if (data.train.pixels() != 784)
    throw sim::ConfigError("edgesim train: expected 28x28 images, got " +
                           std::to_string(data.train.rows) + "x" + std::to_string(data.train.cols));
  Trainer trainer(options, data);
  return trainer.run(on_epoch);
}

void write_metrics_csv(const std::string& path, const TrainResult& result) {
  std::ofstream out(path);
  if (!out) throw sim::ConfigError(path + ": cannot open for writing");
  out << "epoch,iterations,lr,train_loss,train_accuracy,test_loss,test_accuracy,mean_w_bits,"
         "underflow_fraction,w_quantizer\n";
  for (const auto& m : result.epochs) {
    out << m.epoch << ',' << m.iterations << ',' << sim::format_double(m.lr) << ','
        << sim::format_double(m.train_loss) << ',' << sim::format_double(m.train_accuracy) << ','
        << sim::format_double(m.test_loss) << ',' << sim::format_double(m.test_accuracy) << ','
        << sim::format_double(m.mean_w_bits) << ',' << sim::format_double(m.underflow_fraction)
        << ',' << result.w_quantizer << '\n';
  }
  if (!out) throw sim::ConfigError(path + ": write failed");
}

void write_summary_json(const std::string& path, const TrainOptions& options,
                        const TrainResult& result) {
  std::ofstream out(path);
  if (!out) throw sim::ConfigError(path + ": cannot open for writing");
  const EpochMetrics last = result.epochs.empty() ? EpochMetrics{} : result.epochs.back();
  std::uint64_t parameters = 0;
  for (const auto& layer : result.layers) parameters += layer.weights + layer.biases;
  out << "{\n";
  out << "  \"model\": " << json_string(options.model) << ",\n";
  out << "  \"scheme\": " << json_string(train_scheme_name(options.scheme)) << ",\n";
  out << "  \"seed\": " << options.seed << ",\n";
  out << "  \"epochs\": " << options.epochs << ",\n";
  out << "  \"batch\": " << options.batch << ",\n";
  out << "  \"lr\": " << json_number(options.lr) << ",\n";
  out << "  \"lr_schedule\": "
      << json_string(options.lr_schedule == LrSchedule::kCosine ? "cosine" : "constant") << ",\n";
  out << "  \"momentum\": " << json_number(options.momentum) << ",\n";
  out << "  \"scale\": " << json_string(quant::scale_kind_name(options.scale)) << ",\n";
  out << "  \"w_bits\": " << options.w_bits << ",\n";
  out << "  \"w_quantizer\": " << json_string(result.w_quantizer) << ",\n";
  const bool ul2q = options.scheme == TrainScheme::kQat &&
                    options.w_quantizer == quant::WeightQuantizerKind::kUl2q;
  out << "  \"ul2q_step_sigmas\": "
      << (ul2q ? json_number(quant::ul2q_step(options.w_bits)) : std::string("null")) << ",\n";
  out << "  \"a_bits\": " << options.a_bits << ",\n";
  out << "  \"a_format\": " << json_string(options.unsigned_activations ? "unsigned" : "signed")
      << ",\n";
  out << "  \"g_bits\": " << effective_g_bits(options) << ",\n";
  out << "  \"rct_policy\": {\"initial_bits\": " << options.policy.initial_bits
      << ", \"b_min\": " << options.policy.b_min << ", \"b_max\": " << options.policy.b_max
      << ", \"t_min\": " << json_number(options.policy.t_min)
      << ", \"t_max\": " << json_number(options.policy.t_max)
      << ", \"k_iterations\": " << options.policy.k_iterations
      << ", \"headroom\": " << json_number(options.rct_headroom) << ", \"update_rounding\": "
      << json_string(quant::rounding_mode_name(options.rct_update_rounding)) << "},\n";
  out << "  \"train_samples\": " << result.train_samples << ",\n";
  out << "  \"test_samples\": " << result.test_samples << ",\n";
  out << "  \"iterations\": " << result.iterations << ",\n";
  out << "  \"final_train_loss\": " << json_number(last.train_loss) << ",\n";
  out << "  \"final_test_loss\": " << json_number(last.test_loss) << ",\n";
  out << "  \"final_test_accuracy\": " << json_number(last.test_accuracy) << ",\n";
  out << "  \"parameters\": " << parameters << ",\n";
  out << "  \"mean_w_bits\": " << json_number(result.mean_w_bits) << ",\n";
  out << "  \"param_memory_bits\": " << result.param_memory_bits << ",\n";
  out << "  \"model_bits\": " << result.model_bits << ",\n";
  out << "  \"optimizer_state_bits\": " << result.optimizer_state_bits << ",\n";
  out << "  \"weight_scale_bits\": " << result.weight_scale_bits << ",\n";
  out << "  \"ste_clipped_fraction\": " << json_number(result.ste_clipped_fraction) << ",\n";
  out << "  \"layers\": [\n";
  for (std::size_t i = 0; i < result.layers.size(); ++i) {
    const auto& layer = result.layers[i];
    out << "    {\"name\": " << json_string(layer.name) << ", \"weights\": " << layer.weights
        << ", \"biases\": " << layer.biases << ", \"final_w_bits\": " << layer.final_w_bits
        << ", \"mean_w_bits\": " << json_number(layer.mean_w_bits)
        << ", \"saturated_updates\": " << layer.saturated_updates << "}"
        << (i + 1 < result.layers.size() ? "," : "") << "\n";
  }
  out << "  ],\n";
  out << "  \"train_seconds\": " << json_number(result.train_seconds) << ",\n";
  out << "  \"samples_per_second\": " << json_number(result.samples_per_second) << "\n";
  out << "}\n";
  if (!out) throw sim::ConfigError(path + ": write failed");
}

std::string format_epoch_line(const EpochMetrics& m, std::uint32_t epochs) {
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %u/%u  train_loss %.4f  train_acc %.2f%%  test_loss %.4f  test_acc %.2f%%  "
                "w_bits %.2f  underflow %.3f  %.1f s",
                m.epoch, epochs, m.train_loss, 100.0 * m.train_accuracy, m.test_loss,
                100.0 * m.test_accuracy, m.mean_w_bits, m.underflow_fraction, m.seconds);
  return line;
}

}  // namespace workloads::numerics
