#pragma once
// The RCT per-layer bitwidth policy (Huang et al., arXiv 2103.14493): per layer,
// G_avg = mean |weight gradient| / the layer's quantisation step. Every K iterations the policy
// looks at the G_avg of the window that just ended (the mean of the per-iteration values): a
// layer whose G_avg is below T_min gains one bit (updates are mostly smaller than a step and
// would underflow), one whose G_avg is above T_max loses one bit, always within
// [b_min, b_max]. Thresholds, interval and initial width are not given by the paper; the
// defaults below are edgesim's, documented in docs/numerics.md.

#include <cstdint>
#include <vector>

namespace sim {
class ConfigNode;
}

namespace workloads::quant {

/// Parameters of the G_avg policy; YAML keys equal the field names.
struct RctPolicyParams {
  std::uint32_t initial_bits = 8;
  std::uint32_t b_min = 4;
  std::uint32_t b_max = 16;
  double t_min = 2.0;
  double t_max = 16.0;
  std::uint32_t k_iterations = 100;
};
/// Reads the policy from `node`; rejects bad values (ConfigError with the key's location).
RctPolicyParams parse_rct_policy(const sim::ConfigNode& node);
/// Throws sim::ConfigError (prefixed with `what`) unless the parameters are consistent.
void validate_rct_policy(const RctPolicyParams& params, const char* what);

/// G_avg of one gradient tensor: mean |g| / step.
double g_avg(const float* gradient, std::size_t n, double step);

/// The width a layer gets after a window with metric `g_avg`: +1 below t_min, -1 above
/// t_max, clamped to [b_min, b_max]; unchanged otherwise.
std::uint32_t next_bits(std::uint32_t bits, double g_avg, const RctPolicyParams& params);

/// Runs the policy over training: accumulates each layer's per-iteration G_avg and, at the
/// end of every window of K iterations, decides each layer's next width.
class RctBitwidthPolicy {
 public:
  RctBitwidthPolicy(const RctPolicyParams& params, std::size_t layers);

  /// Records layer `layer`'s G_avg for the current iteration.
  void observe(std::size_t layer, double g_avg_value);
  /// Ends an iteration. Returns true when it closed a window; then window_g_avg() holds the
  /// window's metric and bits() the widths for the next window.
  bool end_iteration();

  std::uint32_t bits(std::size_t layer) const { return bits_[layer]; }
  /// Mean G_avg over the window that end_iteration() last closed.
  double window_g_avg(std::size_t layer) const { return window_g_avg_[layer]; }
  std::uint64_t iteration() const { return iteration_; }
  const RctPolicyParams& params() const { return params_; }

 private:
  RctPolicyParams params_;
  std::vector<std::uint32_t> bits_;
  std::vector<double> sum_;
  std::vector<std::uint32_t> count_;
  std::vector<double> window_g_avg_;
  std::uint64_t iteration_ = 0;
  std::uint32_t in_window_ = 0;
};

}  // namespace workloads::quant
