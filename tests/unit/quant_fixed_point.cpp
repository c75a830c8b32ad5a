#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "sim/core/config.h"
#include "workloads/quant/fixed_point.h"

namespace q = workloads::quant;

TEST(FixedPoint, RoundNearestBreaksTiesToEven) {
  EXPECT_EQ(q::round_nearest_even(0.5), 0.0);
  EXPECT_EQ(q::round_nearest_even(1.5), 2.0);
  EXPECT_EQ(q::round_nearest_even(2.5), 2.0);
  EXPECT_EQ(q::round_nearest_even(3.5), 4.0);
  EXPECT_EQ(q::round_nearest_even(-0.5), 0.0);
  EXPECT_EQ(q::round_nearest_even(-1.5), -2.0);
  EXPECT_EQ(q::round_nearest_even(-2.5), -2.0);
  EXPECT_EQ(q::round_nearest_even(2.4999), 2.0);
  EXPECT_EQ(q::round_nearest_even(2.5001), 3.0);
  EXPECT_EQ(q::round_nearest_even(-2.6), -3.0);
}

TEST(FixedPoint, QuantizeNearestUsesTheStepAndTies) {
  const q::FixedPointFormat format{8, 0.25};
  EXPECT_EQ(q::quantize(0.375, format, q::RoundingMode::kNearestEven), 2);  // 1.5 steps
  EXPECT_EQ(q::quantize(0.625, format, q::RoundingMode::kNearestEven), 2);  // 2.5 steps
  EXPECT_EQ(q::quantize(-0.625, format, q::RoundingMode::kNearestEven), -2);
  EXPECT_EQ(q::quantize(0.7, format, q::RoundingMode::kNearestEven), 3);
  EXPECT_DOUBLE_EQ(q::dequantize(3, format), 0.75);
}

TEST(FixedPoint, SaturatesToTwosComplementRange) {
  const q::FixedPointFormat format{8, 0.5};
  EXPECT_EQ(format.max_code(), 127);
  EXPECT_EQ(format.min_code(), -128);
  EXPECT_EQ(q::quantize(1e9, format, q::RoundingMode::kNearestEven), 127);
  EXPECT_EQ(q::quantize(-1e9, format, q::RoundingMode::kNearestEven), -128);
  EXPECT_EQ(q::quantize(63.5, format, q::RoundingMode::kNearestEven), 127);
  EXPECT_EQ(q::quantize(64.0, format, q::RoundingMode::kNearestEven), 127);
  EXPECT_EQ(q::quantize(-64.0, format, q::RoundingMode::kNearestEven), -128);
  EXPECT_EQ(q::quantize(std::nan(""), format, q::RoundingMode::kNearestEven), 0);
  const std::vector<float> in = {100.0f, -100.0f, 1.0f, 63.0f};
  std::vector<float> out(in.size());
  const auto stats =
      q::fake_quantize(in.data(), out.data(), in.size(), format, q::RoundingMode::kNearestEven);
  EXPECT_EQ(stats.saturated, 2u);
  EXPECT_FLOAT_EQ(out[0], 63.5f);
  EXPECT_FLOAT_EQ(out[1], -64.0f);
  EXPECT_FLOAT_EQ(out[2], 1.0f);
  EXPECT_FLOAT_EQ(out[3], 63.0f);
  const q::FixedPointFormat wide{32, 1.0};
  EXPECT_EQ(q::quantize(1e12, wide, q::RoundingMode::kNearestEven), 2147483647);
}

TEST(FixedPoint, StochasticRoundingIsUnbiasedOverManyDraws) {
  q::Rng rng(42);
  const q::FixedPointFormat format{16, 0.125};
  for (double value : {0.3 * 0.125, -1.7 * 0.125, 5.9 * 0.125, 0.01 * 0.125}) {
    const int draws = 200000;
    double sum = 0.0;
    const double scaled = value / format.step;
    for (int i = 0; i < draws; ++i) {
      const auto code = q::quantize(value, format, q::RoundingMode::kStochastic, &rng);
      ASSERT_TRUE(code == std::floor(scaled) || code == std::floor(scaled) + 1) << code;
      sum += static_cast<double>(code);
    }
    // Standard error of the mean is at most 0.5 / sqrt(draws) ~ 0.0011; allow 5 sigma.
    EXPECT_NEAR(sum / draws, scaled, 0.0056) << "value " << value;
  }
}

TEST(FixedPoint, StochasticRoundingOfAnExactCodeNeverMoves) {
  q::Rng rng(7);
  const q::FixedPointFormat format{8, 0.5};
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(q::quantize(1.5, format, q::RoundingMode::kStochastic, &rng), 3);
}

TEST(FixedPoint, StochasticUpdateOfCodesIsUnbiasedAndCountsUnderflow) {
  q::Rng rng(3);
  const q::FixedPointFormat format{16, 1.0};
  const std::size_t n = 100000;
  std::vector<std::int32_t> codes(n, 0);
  std::vector<float> values(n, 0.25f);
  values[0] = 0.0f;  // no update: neither nonzero nor underflow
  values[1] = 3.0f;  // a whole number of steps: moves exactly, no underflow
  const auto stats = q::add_stochastic(codes.data(), values.data(), -1.0f, n, format, rng);
  EXPECT_EQ(stats.nonzero, n - 1);
  EXPECT_EQ(stats.underflow, n - 2);
  EXPECT_EQ(codes[0], 0);
  EXPECT_EQ(codes[1], -3);
  double sum = 0.0;
  for (std::size_t i = 2; i < n; ++i) {
    ASSERT_TRUE(codes[i] == 0 || codes[i] == -1);
    sum += codes[i];
  }
  EXPECT_NEAR(sum / (n - 2), -0.25, 0.01);
}

TEST(FixedPoint, StochasticUpdateSaturates) {
  q::Rng rng(3);
  const q::FixedPointFormat format{4, 1.0};
  std::vector<std::int32_t> codes = {6, -7, 0};
  std::vector<float> values = {5.0f, -5.0f, 1e30f};
  const auto stats = q::add_stochastic(codes.data(), values.data(), 1.0f, 3, format, rng);
  EXPECT_EQ(stats.saturated, 3u);
  EXPECT_EQ(codes[0], 7);
  EXPECT_EQ(codes[1], -8);
  EXPECT_EQ(codes[2], 7);
}

TEST(FixedPoint, PowerOfTwoStepIsTheSmallestThatCoversTheRange) {
  const double step = q::choose_step(1.0, 8, q::ScaleKind::kPowerOfTwo);
  EXPECT_DOUBLE_EQ(step, 1.0 / 64);  // 1/128 * 127 < 1 <= 1/64 * 127
  const double exact = q::choose_step(127.0 / 64, 8, q::ScaleKind::kPowerOfTwo);
  EXPECT_DOUBLE_EQ(exact, 1.0 / 64);
  const double float_step = q::choose_step(1.0, 8, q::ScaleKind::kFloat);
  EXPECT_DOUBLE_EQ(float_step * 127, 1.0);
  EXPECT_DOUBLE_EQ(q::choose_step(0.0, 8, q::ScaleKind::kPowerOfTwo), 1.0);
  for (double range : {0.003, 0.7, 3.0, 1000.0}) {
    const double s = q::choose_step(range, 6, q::ScaleKind::kPowerOfTwo);
    int exponent = 0;
    EXPECT_EQ(std::frexp(s, &exponent), 0.5) << "not a power of two: " << s;
    EXPECT_GE(s * 31, range);
    EXPECT_LT(s / 2 * 31, range);
  }
}

TEST(FixedPoint, ChangingBitsKeepsTheRangeAndRoundsWhenNarrowing) {
  std::vector<std::int32_t> codes = {127, -128, 3, -3, 5, 0};
  const q::FixedPointFormat eight{8, 0.5};
  const auto nine = q::change_bits(codes.data(), codes.size(), eight, 9);
  EXPECT_EQ(nine.bits, 9u);
  EXPECT_DOUBLE_EQ(nine.step, 0.25);
  EXPECT_EQ(codes, (std::vector<std::int32_t>{254, -256, 6, -6, 10, 0}));
  auto back = q::change_bits(codes.data(), codes.size(), nine, 8);
  EXPECT_DOUBLE_EQ(back.step, 0.5);
  EXPECT_EQ(codes, (std::vector<std::int32_t>{127, -128, 3, -3, 5, 0}));
  const auto seven = q::change_bits(codes.data(), codes.size(), back, 7);
  EXPECT_DOUBLE_EQ(seven.step, 1.0);
  // 127/2 = 63.5 -> 64 (tie to even) saturates to 63; 3/2 = 1.5 -> 2; 5/2 = 2.5 -> 2.
  EXPECT_EQ(codes, (std::vector<std::int32_t>{63, -64, 2, -2, 2, 0}));
}

TEST(Rng, SameSeedGivesTheSameSequenceAndStreamsDiffer) {
  q::Rng a(123), b(123), c(124);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
  auto s1 = q::Rng::derive(5, 1), s2 = q::Rng::derive(5, 2);
  EXPECT_NE(s1.next_u64(), s2.next_u64());
  q::Rng d(9);
  for (int i = 0; i < 10000; ++i) {
    const double u = d.uniform_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const float f = d.uniform_float();
    ASSERT_GE(f, 0.0f);
    ASSERT_LT(f, 1.0f);
    ASSERT_LT(d.uniform_index(7), 7u);
  }
}

TEST(FixedPoint, ScaleKindParsingNamesTheOption) {
  EXPECT_EQ(q::parse_scale_kind("pow2", "x"), q::ScaleKind::kPowerOfTwo);
  EXPECT_EQ(q::parse_scale_kind("float", "x"), q::ScaleKind::kFloat);
  try {
    q::parse_scale_kind("log", "edgesim train: --scale");
    FAIL() << "expected ConfigError";
  } catch (const sim::ConfigError& e) {
    EXPECT_STREQ(e.what(), "edgesim train: --scale: must be one of pow2, float, got log");
  }
}

TEST(FixedPoint, FastNearestPathGivesTheScalarCodes) {
  q::Rng rng(11);
  const q::FixedPointFormat format{8, 1.0 / 32};
  std::vector<float> in;
  for (int i = 0; i < 5000; ++i)
    in.push_back(static_cast<float>((rng.uniform_double() * 10.0 - 5.0) * format.step * 30));
  for (int code = -140; code <= 140; ++code)  // every tie, including beyond the range
    in.push_back(static_cast<float>((code + 0.5) * format.step));
  std::vector<float> out(in.size());
  const auto stats =
      q::fake_quantize(in.data(), out.data(), in.size(), format, q::RoundingMode::kNearestEven);
  std::size_t saturated = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto code = q::quantize(in[i], format, q::RoundingMode::kNearestEven);
    const double scaled = q::round_nearest_even(in[i] / format.step);
    saturated += scaled > format.max_code() || scaled < format.min_code();
    ASSERT_EQ(out[i], static_cast<float>(q::dequantize(code, format))) << "input " << in[i];
  }
  EXPECT_EQ(stats.saturated, saturated);
  EXPECT_GT(saturated, 0u);
}

TEST(FixedPoint, NearestUpdateLosesSubHalfStepUpdates) {
  const q::FixedPointFormat format{8, 1.0};
  std::vector<std::int32_t> codes = {0, 0, 0, 0, 126};
  std::vector<float> values = {0.4f, 0.5f, 1.5f, -2.6f, 3.0f};
  const auto stats = q::add_nearest(codes.data(), values.data(), 1.0f, codes.size(), format);
  EXPECT_EQ(codes, (std::vector<std::int32_t>{0, 0, 2, -3, 127}));  // ties to even; saturated
  EXPECT_EQ(stats.nonzero, 5u);
  EXPECT_EQ(stats.underflow, 2u);
  EXPECT_EQ(stats.saturated, 1u);
}
