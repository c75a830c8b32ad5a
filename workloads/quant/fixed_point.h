#pragma once
// Signed fixed-point number formats shared by real quantised training (workloads/numerics)
// and the hardware model: a value is code * step, code a two's-complement integer of `bits`
// bits. Rounding to nearest breaks ties to even; stochastic rounding draws from a seeded
// generator, so a run is reproducible bit for bit.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace workloads::quant {

/// Seeded pseudo-random generator (xoshiro256**, seeded through splitmix64). Its output is
/// the same on every platform and standard library, unlike std:: distributions.
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0);
  /// Next 64 random bits.
  std::uint64_t next_u64();
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform float in [0, 1) with 24 random bits.
  float uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  /// Uniform integer in [0, bound) (bound > 0), without modulo bias.
  std::uint64_t uniform_index(std::uint64_t bound);
  /// An independent generator derived from this one's seed and `stream` (for per-purpose streams).
  static Rng derive(std::uint64_t seed, std::uint64_t stream);

 private:
  std::uint64_t s_[4];
};

/// How a format's step is chosen from a value range.
enum class ScaleKind {
  kPowerOfTwo,  // step = 2^k: requantisation is a shift in hardware
  kFloat,       // step = max_abs / max_code: uses the whole range
};
const char* scale_kind_name(ScaleKind kind);
/// Parses "pow2" or "float"; throws sim::ConfigError naming `what` otherwise.
ScaleKind parse_scale_kind(const std::string& text, const std::string& what);

/// How a real value becomes a code.
enum class RoundingMode {
  kNearestEven,  // round to nearest, ties to the even code
  kStochastic,   // floor(x / step + u), u uniform in [0, 1): unbiased in expectation
};
const char* rounding_mode_name(RoundingMode mode);

/// Smallest and largest bit widths a format supports.
inline constexpr std::uint32_t kMinBits = 2;
inline constexpr std::uint32_t kMaxBits = 32;

/// Signed fixed point: value = code * step, code in [-2^(bits-1), 2^(bits-1) - 1].
struct FixedPointFormat {
  std::uint32_t bits = 8;
  double step = 1.0;

  /// Largest code, 2^(bits-1) - 1.
  std::int64_t max_code() const { return (std::int64_t{1} << (bits - 1)) - 1; }
  /// Smallest code, -2^(bits-1).
  std::int64_t min_code() const { return -(std::int64_t{1} << (bits - 1)); }
  /// Largest representable value.
  double max_value() const { return static_cast<double>(max_code()) * step; }
  /// Smallest (most negative) representable value.
  double min_value() const { return static_cast<double>(min_code()) * step; }
};

/// Throws sim::InternalError unless 2 <= bits <= 32 and step is finite and > 0.
void check_format(const FixedPointFormat& format);

/// Round to nearest integer, ties to even (2.5 -> 2, 3.5 -> 4, -2.5 -> -2).
double round_nearest_even(double x);
/// Stochastic rounding of x with uniform draw u in [0, 1): floor(x + u). Rounds up with
/// probability frac(x), so the expected result is x.
inline double round_stochastic(double x, double u);
/// Clamps `code` into the format's code range.
std::int64_t saturate(std::int64_t code, const FixedPointFormat& format);

/// Quantises one value to a code (round, then saturate). `rng` is used only when stochastic.
std::int64_t quantize(double value, const FixedPointFormat& format, RoundingMode mode,
                      Rng* rng = nullptr);
/// The value a code stands for.
inline double dequantize(std::int64_t code, const FixedPointFormat& format) {
  return static_cast<double>(code) * format.step;
}

/// Step of a `bits`-bit format whose largest code covers `max_abs` (max_abs <= max_value).
/// A zero or non-finite range gives step 1 for float and 2^0 for power-of-two scales.
double choose_step(double max_abs, std::uint32_t bits, ScaleKind kind);

/// Statistics of quantising a tensor.
struct QuantizeStats {
  std::size_t saturated = 0;  // elements clamped to the range
};

/// Widest format fake_quantize rounds to nearest in single precision (faster, same codes for
/// power-of-two steps; a float step may differ from the double path in the last ulp).
inline constexpr std::uint32_t kFastNearestMaxBits = 22;
/// out[i] = quantize(in[i]) * step (fake quantisation; in == out allowed).
QuantizeStats fake_quantize(const float* in, float* out, std::size_t n,
                            const FixedPointFormat& format, RoundingMode mode, Rng* rng = nullptr);
/// codes[i] = quantize(in[i]).
QuantizeStats quantize_to_codes(const float* in, std::int32_t* codes, std::size_t n,
                                const FixedPointFormat& format, RoundingMode mode,
                                Rng* rng = nullptr);
/// Largest |x| of a tensor (0 for an empty one).
float max_abs(const float* data, std::size_t n);
/// Mean |x| of a tensor (0 for an empty one), accumulated in double in index order.
double mean_abs(const float* data, std::size_t n);

/// What an in-place stochastic update of codes did.
struct UpdateStats {
  std::size_t nonzero = 0;    // elements whose update (in steps) was not zero
  std::size_t underflow = 0;  // of those, updates smaller than one step (survive only by chance)
  std::size_t saturated = 0;  // elements clamped to the range
};
/// codes[i] = saturate(codes[i] + stochastic_round(values[i] * scale)): an update of
/// values[i] * scale steps applied directly to quantised weights (RCT), with one uniform
/// draw per element. Single precision; the rounding rule is round_stochastic's.
UpdateStats add_stochastic(std::int32_t* codes, const float* values, float scale, std::size_t n,
                           const FixedPointFormat& format, Rng& rng);
/// codes[i] = saturate(codes[i] + round_nearest_even(values[i] * scale)): the deterministic
/// counterpart of add_stochastic, under which every update below half a step is lost.
UpdateStats add_nearest(std::int32_t* codes, const float* values, float scale, std::size_t n,
                        const FixedPointFormat& format);
/// values[i] = codes[i] * step.
void dequantize_codes(const std::int32_t* codes, float* values, std::size_t n,
                      const FixedPointFormat& format);
/// Re-expresses codes of format `from` at `to_bits` bits over the same range: the step halves
/// per bit gained (codes shift left, exact) and doubles per bit lost (codes divided with
/// round-to-nearest-even, then saturated). Returns the new format.
FixedPointFormat change_bits(std::int32_t* codes, std::size_t n, const FixedPointFormat& from,
                             std::uint32_t to_bits);

inline double round_stochastic(double x, double u) {
  const double floor_x = std::floor(x);
  return (x - floor_x) > u ? floor_x + 1.0 : floor_x;
}

}  // namespace workloads::quant
