#include "workloads/quant/fixed_point.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/config.h"

namespace workloads::quant {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Scaled value clamped to one code beyond the range, so rounding never overflows an int64;
// NaN maps to 0.
double clamp_scaled(double scaled, const FixedPointFormat& format) {
  if (std::isnan(scaled)) return 0.0;
  const double lo = static_cast<double>(format.min_code()) - 1.0;
  const double hi = static_cast<double>(format.max_code()) + 1.0;
  return std::min(std::max(scaled, lo), hi);
}

template <typename Sink>
QuantizeStats quantize_tensor(const float* in, std::size_t n, const FixedPointFormat& format,
                              RoundingMode mode, Rng* rng, Sink sink) {
  check_format(format);
  EDGESIM_CHECK(mode != RoundingMode::kStochastic || rng != nullptr,
                "stochastic rounding needs a generator");
  QuantizeStats stats;
  const double inv_step = 1.0 / format.step;
  const auto lo = format.min_code();
  const auto hi = format.max_code();
  for (std::size_t i = 0; i < n; ++i) {
    const double scaled = clamp_scaled(static_cast<double>(in[i]) * inv_step, format);
    const double rounded = mode == RoundingMode::kNearestEven
                               ? round_nearest_even(scaled)
                               : round_stochastic(scaled, rng->uniform_double());
    auto code = static_cast<std::int64_t>(rounded);
    if (code < lo || code > hi) {
      ++stats.saturated;
      code = code < lo ? lo : hi;
    }
    sink(i, code);
  }
  return stats;
}

}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t state = seed;
  for (auto& word : s_) word = splitmix64(state);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::uniform_index(std::uint64_t bound) {
  EDGESIM_CHECK(bound > 0, "uniform_index bound must be > 0");
  // Rejection sampling: accept draws below the largest multiple of bound.
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t draw = next_u64();
  while (draw >= limit) draw = next_u64();
  return draw % bound;
}

Rng Rng::derive(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));
  return Rng(splitmix64(state));
}

const char* scale_kind_name(ScaleKind kind) {
  return kind == ScaleKind::kPowerOfTwo ? "pow2" : "float";
}

ScaleKind parse_scale_kind(const std::string& text, const std::string& what) {
  if (text == "pow2") return ScaleKind::kPowerOfTwo;
  if (text == "float") return ScaleKind::kFloat;
  throw sim::ConfigError(what + ": must be one of pow2, float, got " + text);
}

const char* rounding_mode_name(RoundingMode mode) {
  return mode == RoundingMode::kNearestEven ? "nearest_even" : "stochastic";
}

void check_format(const FixedPointFormat& format) {
  EDGESIM_CHECK(format.bits >= kMinBits && format.bits <= kMaxBits,
                "fixed-point bits out of [2, 32]: " + std::to_string(format.bits));
  EDGESIM_CHECK(std::isfinite(format.step) && format.step > 0.0,
                "fixed-point step must be finite and > 0");
}

double round_nearest_even(double x) {
  const double floor_x = std::floor(x);
  const double fraction = x - floor_x;
  if (fraction > 0.5) return floor_x + 1.0;
  if (fraction < 0.5) return floor_x;
  return std::fmod(floor_x, 2.0) == 0.0 ? floor_x : floor_x + 1.0;
}

std::int64_t saturate(std::int64_t code, const FixedPointFormat& format) {
  return std::min(std::max(code, format.min_code()), format.max_code());
}

std::int64_t quantize(double value, const FixedPointFormat& format, RoundingMode mode, Rng* rng) {
  check_format(format);
  EDGESIM_CHECK(mode != RoundingMode::kStochastic || rng != nullptr,
                "stochastic rounding needs a generator");
  const double scaled = clamp_scaled(value / format.step, format);
  const double rounded = mode == RoundingMode::kNearestEven
                             ? round_nearest_even(scaled)
                             : round_stochastic(scaled, rng->uniform_double());
  return saturate(static_cast<std::int64_t>(rounded), format);
}

double choose_step(double max_abs, std::uint32_t bits, ScaleKind kind) {
  EDGESIM_CHECK(bits >= kMinBits && bits <= kMaxBits, "bits out of [2, 32]");
  if (!std::isfinite(max_abs) || max_abs <= 0.0) return 1.0;
  const double max_code = static_cast<double>((std::int64_t{1} << (bits - 1)) - 1);
  const double exact = max_abs / max_code;
  if (kind == ScaleKind::kFloat) return exact;
  // Smallest power of two >= exact.
  int exponent = 0;
  const double mantissa = std::frexp(exact, &exponent);  // exact = mantissa * 2^exponent
  return mantissa == 0.5 ? exact : std::ldexp(1.0, exponent);
}

QuantizeStats fake_quantize(const float* in, float* out, std::size_t n,
                            const FixedPointFormat& format, RoundingMode mode, Rng* rng) {
  check_format(format);
  if (mode == RoundingMode::kNearestEven && format.bits <= kFastNearestMaxBits) {
    // Single-precision path: identical codes for power-of-two steps (x * 1/step is exact),
    // and ties to even through the float adder's own rounding: for |s| < 2^22,
    // (s + 1.5 * 2^23) - 1.5 * 2^23 is s rounded to the nearest integer, ties to even.
    const auto inv_step = static_cast<float>(1.0 / format.step);
    const auto step = static_cast<float>(format.step);
    const auto lo = static_cast<float>(format.min_code());
    const auto hi = static_cast<float>(format.max_code());
    constexpr float kRoundingMagic = 12582912.0f;  // 1.5 * 2^23
    std::size_t saturated = 0;
    for (std::size_t i = 0; i < n; ++i) {
      float scaled = in[i] * inv_step;
      scaled = scaled == scaled ? scaled : 0.0f;  // NaN -> 0
      scaled = scaled > hi + 1.0f ? hi + 1.0f : scaled;
      scaled = scaled < lo - 1.0f ? lo - 1.0f : scaled;
      float rounded = (scaled + kRoundingMagic) - kRoundingMagic;
      saturated += (rounded > hi) | (rounded < lo);
      rounded = rounded > hi ? hi : rounded;
      rounded = rounded < lo ? lo : rounded;
      out[i] = rounded * step;
    }
    QuantizeStats stats;
    stats.saturated = saturated;
    return stats;
  }
  const double step = format.step;
  return quantize_tensor(in, n, format, mode, rng, [&](std::size_t i, std::int64_t code) {
    out[i] = static_cast<float>(static_cast<double>(code) * step);
  });
}

QuantizeStats quantize_to_codes(const float* in, std::int32_t* codes, std::size_t n,
                                const FixedPointFormat& format, RoundingMode mode, Rng* rng) {
  return quantize_tensor(in, n, format, mode, rng, [&](std::size_t i, std::int64_t code) {
    codes[i] = static_cast<std::int32_t>(code);
  });
}

float max_abs(const float* data, std::size_t n) {
  float result = 0.0f;
  for (std::size_t i = 0; i < n; ++i) result = std::max(result, std::fabs(data[i]));
  return result;
}

double mean_abs(const float* data, std::size_t n) {
  if (n == 0) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(data[i]));
  return sum / static_cast<double>(n);
}

UpdateStats add_stochastic(std::int32_t* codes, const float* values, float scale, std::size_t n,
                           const FixedPointFormat& format, Rng& rng) {
  check_format(format);
  UpdateStats stats;
  const auto lo = format.min_code();
  const auto hi = format.max_code();
  // Updates beyond the whole range saturate anyway; the clamp keeps the int conversion defined.
  const float limit = static_cast<float>(std::ldexp(1.0, static_cast<int>(format.bits) + 1));
  // Branch-free body: the signs of updates are random, so branches would mispredict.
  std::size_t nonzero = 0, underflow = 0, saturated = 0;
  for (std::size_t i = 0; i < n; ++i) {
    float delta = values[i] * scale;
    if (delta == 0.0f || delta != delta) continue;  // no update (or NaN): no draw
    ++nonzero;
    underflow += std::fabs(delta) < 1.0f;
    delta = std::min(std::max(delta, -limit), limit);
    auto floor_delta = static_cast<std::int64_t>(delta);  // truncates toward zero
    floor_delta -= static_cast<float>(floor_delta) > delta;
    const float fraction = delta - static_cast<float>(floor_delta);
    std::int64_t code = codes[i] + floor_delta + (fraction > rng.uniform_float());
    saturated += (code < lo) | (code > hi);
    code = code < lo ? lo : code;
    code = code > hi ? hi : code;
    codes[i] = static_cast<std::int32_t>(code);
  }
  stats.nonzero = nonzero;
  stats.underflow = underflow;
  stats.saturated = saturated;
  return stats;
}

UpdateStats add_nearest(std::int32_t* codes, const float* values, float scale, std::size_t n,
                        const FixedPointFormat& format) {
  check_format(format);
  UpdateStats stats;
  for (std::size_t i = 0; i < n; ++i) {
    const double delta = static_cast<double>(values[i]) * scale;
    if (delta == 0.0 || delta != delta) continue;
    ++stats.nonzero;
    stats.underflow += std::fabs(delta) < 1.0;
    // Updates beyond the whole range saturate anyway; the clamp keeps the conversion defined.
    const double limit = std::ldexp(1.0, static_cast<int>(format.bits) + 1);
    const double clamped = std::min(std::max(delta, -limit), limit);
    const std::int64_t code = codes[i] + static_cast<std::int64_t>(round_nearest_even(clamped));
    const std::int64_t saturated = saturate(code, format);
    stats.saturated += saturated != code;
    codes[i] = static_cast<std::int32_t>(saturated);
  }
  return stats;
}

void dequantize_codes(const std::int32_t* codes, float* values, std::size_t n,
                      const FixedPointFormat& format) {
  const auto step = static_cast<float>(format.step);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<float>(codes[i]) * step;
}

FixedPointFormat change_bits(std::int32_t* codes, std::size_t n, const FixedPointFormat& from,
                             std::uint32_t to_bits) {
  check_format(from);
  FixedPointFormat to{
      to_bits, std::ldexp(from.step, static_cast<int>(from.bits) - static_cast<int>(to_bits))};
  check_format(to);
  if (to_bits >= from.bits) {
    const std::int64_t factor = std::int64_t{1} << (to_bits - from.bits);
    for (std::size_t i = 0; i < n; ++i)
      codes[i] = static_cast<std::int32_t>(saturate(codes[i] * factor, to));
  } else {
    const double divisor = std::ldexp(1.0, static_cast<int>(from.bits - to_bits));
    for (std::size_t i = 0; i < n; ++i) {
      const double rounded = round_nearest_even(static_cast<double>(codes[i]) / divisor);
      codes[i] = static_cast<std::int32_t>(saturate(static_cast<std::int64_t>(rounded), to));
    }
  }
  return to;
}

}  // namespace workloads::quant
