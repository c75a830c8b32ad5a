#include "workloads/quant/rct_policy.h"

#include <cmath>
#include <string>

#include "sim/core/config.h"
#include "workloads/quant/fixed_point.h"

namespace workloads::quant {

RctPolicyParams parse_rct_policy(const sim::ConfigNode& node) {
  RctPolicyParams params;
  auto bits = [&](const char* key, std::uint32_t fallback) {
    const auto value = node.get_positive(key, fallback);
    if (value < kMinBits || value > kMaxBits)
      node.fail(key, "must be in [2, 32], got " + std::to_string(value));
    return static_cast<std::uint32_t>(value);
  };
  params.initial_bits = bits("initial_bits", params.initial_bits);
  params.b_min = bits("b_min", params.b_min);
  params.b_max = bits("b_max", params.b_max);
  params.t_min = node.get_in_range("t_min", params.t_min, 0.0, 1e30);
  params.t_max = node.get_in_range("t_max", params.t_max, 0.0, 1e30);
  params.k_iterations =
      static_cast<std::uint32_t>(node.get_positive("k_iterations", params.k_iterations));
  if (params.b_min > params.b_max)
    node.fail("b_min", "must be <= b_max (" + std::to_string(params.b_max) + "), got " +
                           std::to_string(params.b_min));
  if (params.initial_bits < params.b_min || params.initial_bits > params.b_max)
    node.fail("initial_bits",
              "must be in [b_min, b_max], got " + std::to_string(params.initial_bits));
  if (params.t_min >= params.t_max)
    node.fail("t_min", "must be < t_max (" + sim::format_double(params.t_max) + "), got " +
                           sim::format_double(params.t_min));
  return params;
}

void validate_rct_policy(const RctPolicyParams& params, const char* what) {
  const std::string prefix = std::string(what) + ": ";
  auto in_range = [](std::uint32_t b) { return b >= kMinBits && b <= kMaxBits; };
  if (!in_range(params.b_min) || !in_range(params.b_max) || !in_range(params.initial_bits))
    throw sim::ConfigError(prefix + "bit widths must be in [2, 32], got b_min " +
                           std::to_string(params.b_min) + ", b_max " +
                           std::to_string(params.b_max) + ", initial " +
                           std::to_string(params.initial_bits));
  if (params.b_min > params.b_max || params.initial_bits < params.b_min ||
      params.initial_bits > params.b_max)
    throw sim::ConfigError(
        prefix + "need b_min <= initial bits <= b_max, got " + std::to_string(params.b_min) +
        " <= " + std::to_string(params.initial_bits) + " <= " + std::to_string(params.b_max));
  if (!(params.t_min >= 0.0) || !(params.t_min < params.t_max) || !std::isfinite(params.t_max))
    throw sim::ConfigError(prefix + "need 0 <= t_min < t_max, got t_min " +
                           sim::format_double(params.t_min) + ", t_max " +
                           sim::format_double(params.t_max));
  if (params.k_iterations == 0) throw sim::ConfigError(prefix + "K must be > 0, got 0");
}

double g_avg(const float* gradient, std::size_t n, double step) {
  EDGESIM_CHECK(step > 0.0, "G_avg needs a step > 0");
  return mean_abs(gradient, n) / step;
}

std::uint32_t next_bits(std::uint32_t bits, double g_avg_value, const RctPolicyParams& params) {
  if (g_avg_value < params.t_min && bits < params.b_max) return bits + 1;
  if (g_avg_value > params.t_max && bits > params.b_min) return bits - 1;
  return bits;
}

RctBitwidthPolicy::RctBitwidthPolicy(const RctPolicyParams& params, std::size_t layers)
    : params_(params),
      bits_(layers, params.initial_bits),
      sum_(layers, 0.0),
      count_(layers, 0),
      window_g_avg_(layers, 0.0) {
  validate_rct_policy(params, "rct policy");
}

void RctBitwidthPolicy::observe(std::size_t layer, double g_avg_value) {
  EDGESIM_CHECK(layer < bits_.size(), "policy layer out of range");
  sum_[layer] += g_avg_value;
  ++count_[layer];
}

bool RctBitwidthPolicy::end_iteration() {
  ++iteration_;
  if (++in_window_ < params_.k_iterations) return false;
  in_window_ = 0;
  for (std::size_t layer = 0; layer < bits_.size(); ++layer) {
    // A layer without observations in the window keeps its width (G_avg reported as NaN).
    if (count_[layer] == 0) {
      window_g_avg_[layer] = std::nan("");
      continue;
    }
    window_g_avg_[layer] = sum_[layer] / count_[layer];
    bits_[layer] = next_bits(bits_[layer], window_g_avg_[layer], params_);
    sum_[layer] = 0.0;
    count_[layer] = 0;
  }
  return true;
}

}  // namespace workloads::quant
