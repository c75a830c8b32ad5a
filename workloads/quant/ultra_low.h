#pragma once
// Weight quantisers for ultra-low bitwidths (1 - 8 bits), one interface for four methods:
//   uniform  symmetric fixed point, 2^(b-1) - 1 levels per side, step from the tensor's max |w|
//            (scale kind pow2 or float as for every other format; 2 <= b <= 32);
//   ul2q     uL2Q-style (Gong et al., IJCNN 2019): w is standardised by its mean mu and standard
//            deviation sigma, then mapped to the 2^b-level midrise grid mu + sigma alpha_b (k -
//            1/2), k in [-2^(b-1) + 1, 2^(b-1)], whose step alpha_b minimises the expected L2 error
//            for a standard normal input (computed here numerically; 1 <= b <= 16);
//   binary   alpha sign(w), alpha = mean |w| (XNOR-Net's scale; sign(0) = +1; 1 bit);
//   ternary  Ternary Weight Networks: delta = 0.7 mean |w|, alpha = mean |w| over |w| > delta,
//            w -> alpha sign(w) above delta, else 0 (2 bits).
// Every quantiser also returns the straight-through estimator's gradient mask: the gradient
// passes where w lies within half a level spacing beyond the outermost levels, and is zero
// outside. Formulas, rules and the alpha_b values: docs/ull.md.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/quant/fixed_point.h"

namespace workloads::quant {

/// The weight quantiser a layer uses.
enum class WeightQuantizerKind { kUniform, kUl2q, kBinary, kTernary };
const char* weight_quantizer_name(WeightQuantizerKind kind);
/// Parses "uniform", "ul2q", "binary" or "ternary"; throws sim::ConfigError naming `what`.
WeightQuantizerKind parse_weight_quantizer(const std::string& text, const std::string& what);
/// Smallest and largest weight width a kind accepts (binary 1-1, ternary 2-2, uniform 2-32,
/// ul2q 1-16).
std::uint32_t min_weight_bits(WeightQuantizerKind kind);
std::uint32_t max_weight_bits(WeightQuantizerKind kind);
/// Throws sim::ConfigError ("`what`: ...") unless `bits` suits `kind`.
void validate_weight_bits(WeightQuantizerKind kind, std::uint32_t bits, const std::string& what);

/// E[(x - Q(x))^2] for x ~ N(0, 1) and Q the `bits`-bit midrise grid of step `alpha`
/// (levels (k - 1/2) alpha, k in [-2^(bits-1) + 1, 2^(bits-1)], nearest level).
double gaussian_midrise_mse(double alpha, std::uint32_t bits);
/// alpha_b: the step minimising gaussian_midrise_mse for `bits` (1..16), by golden-section
/// search over log(alpha); relative accuracy about 1e-9.
double ul2q_step(std::uint32_t bits);

/// Which quantiser and width.
struct WeightQuantizerParams {
  WeightQuantizerKind kind = WeightQuantizerKind::kUniform;
  std::uint32_t bits = 8;
  ScaleKind uniform_scale = ScaleKind::kPowerOfTwo;  // uniform only: how its step is chosen
};

/// How one tensor was quantised: value = offset + scale * code, codes from level_codes().
struct WeightQuantization {
  double scale = 0.0;      // uniform: step; ul2q: alpha_b sigma; binary, ternary: alpha
  double offset = 0.0;     // ul2q: mu; otherwise 0
  double threshold = 0.0;  // ternary: delta; otherwise 0
  double clip_low = 0.0;   // the STE passes the gradient for clip_low <= w <= clip_high
  double clip_high = 0.0;
  std::size_t clipped = 0;  // elements whose gradient is zeroed
};

/// One quantiser, built once (ul2q computes alpha_b here) and applied to many tensors.
class WeightQuantizer {
 public:
  /// Throws sim::ConfigError if the width does not suit the kind.
  explicit WeightQuantizer(const WeightQuantizerParams& params);
  /// out[i] = Q(in[i]) (in == out allowed); mask[i] = 1 where the straight-through estimator
  /// passes the gradient, 0 where it is zeroed (mask may be nullptr).
  WeightQuantization quantize(const float* in, float* out, std::uint8_t* mask, std::size_t n) const;
  /// The codes c of value = offset + scale * c, ascending: uniform -m..m (m = 2^(b-1) - 1),
  /// ul2q -2^(b-1) + 1/2 .. 2^(b-1) - 1/2, binary {-1, 1}, ternary {-1, 0, 1}.
  std::vector<double> level_codes() const;
  /// The level set of one quantisation, ascending (a single value when the scale is 0).
  std::vector<double> levels(const WeightQuantization& q) const;
  /// Distance between adjacent levels of a quantisation (binary: 2 alpha).
  double level_spacing(const WeightQuantization& q) const;
  /// ul2q: alpha_b, the step in standard deviations; 0 for the other kinds.
  double step_in_sigmas() const { return alpha_; }
  /// Bits stored per weight: binary 1, ternary 2, otherwise the width.
  std::uint32_t storage_bits() const;
  /// FP32 scalars stored with each tensor's codes, in bits: ul2q 64 (mu and its step),
  /// otherwise 32 (the step or alpha).
  std::uint32_t scalar_bits() const;
  const WeightQuantizerParams& params() const { return params_; }

 private:
  WeightQuantizerParams params_;
  double alpha_ = 0.0;
};

/// A quantised copy of a tensor with its mask and level set (for tests and tools).
struct QuantizedTensor {
  std::vector<float> values;
  std::vector<std::uint8_t> mask;
  std::vector<double> levels;
  WeightQuantization quantization;
};
/// Quantises `weights` with a quantiser built from `params`.
QuantizedTensor quantize_weights(const std::vector<float>& weights,
                                 const WeightQuantizerParams& params);

}  // namespace workloads::quant
