#include "workloads/quant/ultra_low.h"

#include <algorithm>
#include <cmath>

#include "sim/core/config.h"

namespace workloads::quant {
namespace {

constexpr std::uint32_t kUl2qMaxBits = 16;
constexpr std::uint32_t kLevelListMaxBits = 16;
// Ternary Weight Networks' threshold factor: delta = 0.7 mean |w| (Li & Liu, 2016).
constexpr double kTernaryThresholdFactor = 0.7;

double normal_pdf(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

// P(X > x) for X ~ N(0, 1), accurate in the tail.
double normal_upper_tail(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }

// Integral of (x - y)^2 phi(x) over [a, c) (c = infinity when `open`).
double bin_error(double a, double c, bool open, double y) {
  const double pa = normal_pdf(a);
  const double pc = open ? 0.0 : normal_pdf(c);
  const double mass = normal_upper_tail(a) - (open ? 0.0 : normal_upper_tail(c));
  // Integral of x^2 phi = mass + a phi(a) - c phi(c); of x phi = phi(a) - phi(c).
  const double second = mass + a * pa - (open ? 0.0 : c * pc);
  const double first = pa - pc;
  return second - 2.0 * y * first + y * y * mass;
}

std::uint32_t half_levels(std::uint32_t bits) { return std::uint32_t{1} << (bits - 1); }

}  // namespace

const char* weight_quantizer_name(WeightQuantizerKind kind) {
  switch (kind) {
    case WeightQuantizerKind::kUniform:
      return "uniform";
    case WeightQuantizerKind::kUl2q:
      return "ul2q";
    case WeightQuantizerKind::kBinary:
      return "binary";
    case WeightQuantizerKind::kTernary:
      return "ternary";
  }
  return "?";
}

WeightQuantizerKind parse_weight_quantizer(const std::string& text, const std::string& what) {
  for (auto kind : {WeightQuantizerKind::kUniform, WeightQuantizerKind::kUl2q,
                    WeightQuantizerKind::kBinary, WeightQuantizerKind::kTernary})
    if (text == weight_quantizer_name(kind)) return kind;
  throw sim::ConfigError(what + ": must be one of uniform, ul2q, binary, ternary, got " + text);
}

std::uint32_t min_weight_bits(WeightQuantizerKind kind) {
  switch (kind) {
    case WeightQuantizerKind::kUniform:
      return kMinBits;
    case WeightQuantizerKind::kTernary:
      return 2;
    case WeightQuantizerKind::kUl2q:
    case WeightQuantizerKind::kBinary:
      return 1;
  }
  return 1;
}

std::uint32_t max_weight_bits(WeightQuantizerKind kind) {
  switch (kind) {
    case WeightQuantizerKind::kUniform:
      return kMaxBits;
    case WeightQuantizerKind::kUl2q:
      return kUl2qMaxBits;
    case WeightQuantizerKind::kBinary:
      return 1;
    case WeightQuantizerKind::kTernary:
      return 2;
  }
  return 1;
}

void validate_weight_bits(WeightQuantizerKind kind, std::uint32_t bits, const std::string& what) {
  const auto lo = min_weight_bits(kind);
  const auto hi = max_weight_bits(kind);
  if (bits >= lo && bits <= hi) return;
  const std::string name = weight_quantizer_name(kind);
  std::string expected =
      lo == hi
          ? name + " weights are " + std::to_string(lo) + " bit" + (lo == 1 ? "" : "s")
          : name + " needs a width in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (kind == WeightQuantizerKind::kUniform && bits == 1)
    expected += " (1-bit weights: --w-quantizer binary or ul2q)";
  throw sim::ConfigError(what + ": " + expected + ", got " + std::to_string(bits));
}

double gaussian_midrise_mse(double alpha, std::uint32_t bits) {
  EDGESIM_CHECK(bits >= 1 && bits <= kUl2qMaxBits, "ul2q bits out of [1, 16]");
  EDGESIM_CHECK(std::isfinite(alpha) && alpha > 0.0, "midrise step must be finite and > 0");
  // The grid is symmetric: twice the error over x >= 0, whose bins are [(k - 1) alpha, k alpha)
  // with level (k - 1/2) alpha, the last bin open to infinity.
  const std::uint32_t half = half_levels(bits);
  double sum = 0.0;
  for (std::uint32_t k = 1; k <= half; ++k) {
    const double a = (k - 1) * alpha;
    sum += bin_error(a, k * alpha, k == half, (k - 0.5) * alpha);
  }
  return 2.0 * sum;
}

double ul2q_step(std::uint32_t bits) {
  EDGESIM_CHECK(bits >= 1 && bits <= kUl2qMaxBits, "ul2q bits out of [1, 16]");
  // The error is unimodal in alpha: overload falls and granular error grows with the step.
  // Golden-section search over t = log(alpha) in [log 1e-7, log 4].
  const auto f = [bits](double t) { return gaussian_midrise_mse(std::exp(t), bits); };
  const double inv_phi = (std::sqrt(5.0) - 1.0) / 2.0;
  double lo = std::log(1e-7), hi = std::log(4.0);
  double x1 = hi - inv_phi * (hi - lo), x2 = lo + inv_phi * (hi - lo);
  double f1 = f(x1), f2 = f(x2);
  while (hi - lo > 1e-10) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - inv_phi * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + inv_phi * (hi - lo);
      f2 = f(x2);
    }
  }
  return std::exp(0.5 * (lo + hi));
}

WeightQuantizer::WeightQuantizer(const WeightQuantizerParams& params) : params_(params) {
  validate_weight_bits(params.kind, params.bits, "weight quantizer");
  if (params.kind == WeightQuantizerKind::kUl2q) alpha_ = ul2q_step(params.bits);
}

WeightQuantization WeightQuantizer::quantize(const float* in, float* out, std::uint8_t* mask,
                                             std::size_t n) const {
  WeightQuantization q;
  // Marks the gradient mask for [clip_low, clip_high]; called before `out` is written, since
  // in == out is allowed.
  const auto mark = [&]() {
    for (std::size_t i = 0; i < n; ++i) {
      const double w = in[i];
      const bool pass = w >= q.clip_low && w <= q.clip_high;
      q.clipped += !pass;
      if (mask) mask[i] = pass ? 1 : 0;
    }
  };
  switch (params_.kind) {
    case WeightQuantizerKind::kUniform: {
      const FixedPointFormat format{
          params_.bits, choose_step(max_abs(in, n), params_.bits, params_.uniform_scale)};
      q.scale = format.step;
      q.clip_high = (static_cast<double>(format.max_code()) + 0.5) * format.step;
      q.clip_low = -q.clip_high;
      mark();
      fake_quantize(in, out, n, format, RoundingMode::kNearestEven);
      break;
    }
    case WeightQuantizerKind::kUl2q: {
      double mean = 0.0;
      for (std::size_t i = 0; i < n; ++i) mean += in[i];
      mean = n > 0 ? mean / static_cast<double>(n) : 0.0;
      double var = 0.0;
      for (std::size_t i = 0; i < n; ++i) var += (in[i] - mean) * (in[i] - mean);
      const double sigma = n > 0 ? std::sqrt(var / static_cast<double>(n)) : 0.0;
      const double half = half_levels(params_.bits);
      q.offset = mean;
      q.scale = alpha_ * sigma;
      q.clip_low = mean - half * q.scale;
      q.clip_high = mean + half * q.scale;
      mark();
      if (q.scale > 0.0) {
        const double inv = 1.0 / q.scale;
        for (std::size_t i = 0; i < n; ++i) {
          // Nearest half-integer level k - 1/2 (ties upwards), k clamped to the grid.
          const double k = std::clamp(std::floor((in[i] - mean) * inv) + 1.0, 1.0 - half, half);
          out[i] = static_cast<float>(mean + q.scale * (k - 0.5));
        }
      } else {
        // sigma = 0: every weight equals mu already.
        std::copy(in, in + n, out);
      }
      break;
    }
    case WeightQuantizerKind::kBinary: {
      q.scale = mean_abs(in, n);
      q.clip_high = 2.0 * q.scale;
      q.clip_low = -q.clip_high;
      mark();
      const auto alpha = static_cast<float>(q.scale);
      for (std::size_t i = 0; i < n; ++i) out[i] = in[i] >= 0.0f ? alpha : -alpha;
      break;
    }
    case WeightQuantizerKind::kTernary: {
      q.threshold = kTernaryThresholdFactor * mean_abs(in, n);
      double sum = 0.0;
      std::size_t count = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const double magnitude = std::fabs(static_cast<double>(in[i]));
        if (magnitude > q.threshold) {
          sum += magnitude;
          ++count;
        }
      }
      q.scale = count > 0 ? sum / static_cast<double>(count) : 0.0;
      q.clip_high = 1.5 * q.scale;
      q.clip_low = -q.clip_high;
      mark();
      const auto alpha = static_cast<float>(q.scale);
      for (std::size_t i = 0; i < n; ++i) {
        const double w = in[i];
        out[i] = std::fabs(w) > q.threshold ? (w > 0.0 ? alpha : -alpha) : 0.0f;
      }
      break;
    }
  }
  return q;
}

std::vector<double> WeightQuantizer::level_codes() const {
  EDGESIM_CHECK(params_.bits <= kLevelListMaxBits, "level list limited to 16 bits");
  std::vector<double> codes;
  switch (params_.kind) {
    case WeightQuantizerKind::kUniform: {
      const auto m = static_cast<std::int64_t>(half_levels(params_.bits)) - 1;
      for (std::int64_t c = -m; c <= m; ++c) codes.push_back(static_cast<double>(c));
      break;
    }
    case WeightQuantizerKind::kUl2q: {
      const auto half = static_cast<std::int64_t>(half_levels(params_.bits));
      for (std::int64_t k = 1 - half; k <= half; ++k) codes.push_back(static_cast<double>(k) - 0.5);
      break;
    }
    case WeightQuantizerKind::kBinary:
      codes = {-1.0, 1.0};
      break;
    case WeightQuantizerKind::kTernary:
      codes = {-1.0, 0.0, 1.0};
      break;
  }
  return codes;
}

std::vector<double> WeightQuantizer::levels(const WeightQuantization& q) const {
  if (q.scale <= 0.0) return {q.offset};
  std::vector<double> values = level_codes();
  for (double& v : values) v = q.offset + q.scale * v;
  return values;
}

double WeightQuantizer::level_spacing(const WeightQuantization& q) const {
  return params_.kind == WeightQuantizerKind::kBinary ? 2.0 * q.scale : q.scale;
}

std::uint32_t WeightQuantizer::storage_bits() const {
  switch (params_.kind) {
    case WeightQuantizerKind::kBinary:
      return 1;
    case WeightQuantizerKind::kTernary:
      return 2;
    default:
      return params_.bits;
  }
}

std::uint32_t WeightQuantizer::scalar_bits() const {
  return params_.kind == WeightQuantizerKind::kUl2q ? 64 : 32;
}

QuantizedTensor quantize_weights(const std::vector<float>& weights,
                                 const WeightQuantizerParams& params) {
  const WeightQuantizer quantizer(params);
  QuantizedTensor result;
  result.values.resize(weights.size());
  result.mask.resize(weights.size());
  result.quantization =
      quantizer.quantize(weights.data(), result.values.data(), result.mask.data(), weights.size());
  result.levels = quantizer.levels(result.quantization);
  return result;
}

}  // namespace workloads::quant
