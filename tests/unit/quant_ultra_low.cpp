// Ultra-low-bitwidth weight quantisers: levels, scales, the uL2Q step and the STE masks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sim/core/config.h"
#include "workloads/numerics/mnist.h"
#include "workloads/numerics/trainer.h"
#include "workloads/quant/fixed_point.h"
#include "workloads/quant/ultra_low.h"

namespace q = workloads::quant;
namespace n = workloads::numerics;
using Kind = q::WeightQuantizerKind;

namespace {

q::WeightQuantizerParams params(Kind kind, std::uint32_t bits,
                                q::ScaleKind scale = q::ScaleKind::kFloat) {
  q::WeightQuantizerParams p;
  p.kind = kind;
  p.bits = bits;
  p.uniform_scale = scale;
  return p;
}

// Standard normal samples (Box-Muller over the project's generator).
std::vector<float> normal_samples(std::size_t count, double mean, double sigma,
                                  std::uint64_t seed) {
  q::Rng rng(seed);
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    const double u1 = 1.0 - rng.uniform_double();
    const double u2 = rng.uniform_double();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    out[i] = static_cast<float>(mean + sigma * z);
  }
  return out;
}

std::string config_error(Kind kind, std::uint32_t bits) {
  try {
    q::validate_weight_bits(kind, bits, "edgesim train: --w-bits");
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "";
}

double nearest(const std::vector<double>& levels, double w) {
  return *std::min_element(levels.begin(), levels.end(),
                           [w](double a, double b) { return std::fabs(a - w) < std::fabs(b - w); });
}

}  // namespace

TEST(WeightQuantizer, NamesParseAndUnknownNamesAreConfigErrors) {
  for (auto kind : {Kind::kUniform, Kind::kUl2q, Kind::kBinary, Kind::kTernary})
    EXPECT_EQ(q::parse_weight_quantizer(q::weight_quantizer_name(kind), "x"), kind);
  try {
    q::parse_weight_quantizer("int3", "edgesim train: --w-quantizer");
    FAIL() << "int3 accepted";
  } catch (const sim::ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "edgesim train: --w-quantizer: must be one of uniform, ul2q, binary, ternary, "
                 "got int3");
  }
}

TEST(WeightQuantizer, EachKindAcceptsOnlyItsWidths) {
  EXPECT_EQ(config_error(Kind::kBinary, 1), "");
  EXPECT_EQ(config_error(Kind::kBinary, 4),
            "edgesim train: --w-bits: binary weights are 1 bit, got 4");
  EXPECT_EQ(config_error(Kind::kTernary, 2), "");
  EXPECT_EQ(config_error(Kind::kTernary, 1),
            "edgesim train: --w-bits: ternary weights are 2 bits, got 1");
  EXPECT_EQ(config_error(Kind::kUl2q, 1), "");
  EXPECT_EQ(config_error(Kind::kUl2q, 16), "");
  EXPECT_NE(config_error(Kind::kUl2q, 17).find("ul2q needs a width in [1, 16], got 17"),
            std::string::npos);
  EXPECT_NE(config_error(Kind::kUniform, 1).find("uniform needs a width in [2, 32]"),
            std::string::npos);
  EXPECT_EQ(config_error(Kind::kUniform, 32), "");
  EXPECT_THROW(q::WeightQuantizer(params(Kind::kBinary, 2)), sim::ConfigError);
}

TEST(Ul2qStep, OneBitStepIsTwiceTheMeanAbsoluteValueOfANormal) {
  // With two levels +-alpha/2 the L2-optimal level is E|x| = sqrt(2 / pi), error 1 - 2 / pi.
  const double alpha = q::ul2q_step(1);
  EXPECT_NEAR(alpha, 2.0 * std::sqrt(2.0 / M_PI), 1e-7);
  EXPECT_NEAR(q::gaussian_midrise_mse(alpha, 1), 1.0 - 2.0 / M_PI, 1e-12);
}

TEST(Ul2qStep, MinimisesTheGaussianL2ErrorAgainstItsNeighbours) {
  for (std::uint32_t bits = 1; bits <= 16; ++bits) {
    const double alpha = q::ul2q_step(bits);
    const double best = q::gaussian_midrise_mse(alpha, bits);
    for (double factor : {0.9, 0.99, 0.999, 1.001, 1.01, 1.1})
      EXPECT_LT(best, q::gaussian_midrise_mse(alpha * factor, bits)) << bits << " " << factor;
    if (bits > 1) {
      EXPECT_LT(alpha, q::ul2q_step(bits - 1));  // finer grid per extra bit
      EXPECT_LT(best, q::gaussian_midrise_mse(q::ul2q_step(bits - 1), bits - 1));
    }
  }
}

TEST(Ul2qStep, AgreesWithMaxsOptimumUniformQuantizerTable) {
  // J. Max, "Quantizing for minimum distortion", IRE Trans. Inf. Theory 6(1), 1960: optimum
  // uniform step of a unit normal for N = 2, 4, 8, 16, 32 levels.
  const double published[] = {1.596, 0.9957, 0.5860, 0.3352, 0.1881};
  for (std::uint32_t bits = 1; bits <= 5; ++bits)
    EXPECT_NEAR(q::ul2q_step(bits), published[bits - 1], 6e-4) << bits;
}

TEST(Ul2qStep, FormulaMatchesTheQuantizersErrorOnNormalSamples) {
  const auto w = normal_samples(200000, 0.0, 1.0, 7);
  for (std::uint32_t bits : {1u, 2u, 4u}) {
    const q::WeightQuantizer quantizer(params(Kind::kUl2q, bits));
    const double alpha = q::ul2q_step(bits);
    // Quantise with the true mu = 0 and sigma = 1: compare with the closed form at alpha.
    double error = 0.0;
    const double half = std::ldexp(1.0, static_cast<int>(bits) - 1);
    for (float x : w) {
      const double k = std::clamp(std::floor(x / alpha) + 1.0, 1.0 - half, half);
      error += (x - alpha * (k - 0.5)) * (x - alpha * (k - 0.5));
    }
    error /= static_cast<double>(w.size());
    EXPECT_NEAR(error, q::gaussian_midrise_mse(alpha, bits), 0.02 * error) << bits;
    // The quantiser itself (mu and sigma estimated from the samples) gives the same error.
    std::vector<float> out(w.size());
    quantizer.quantize(w.data(), out.data(), nullptr, w.size());
    double measured = 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) measured += (w[i] - out[i]) * (w[i] - out[i]);
    EXPECT_NEAR(measured / w.size(), error, 0.02 * error) << bits;
  }
}

TEST(Ul2qQuantizer, MapsToTheNearestLevelOfTheStandardisedGrid) {
  const auto w = normal_samples(5000, 0.3, 0.05, 11);
  const auto result = q::quantize_weights(w, params(Kind::kUl2q, 2));
  double mean = 0.0, var = 0.0;
  for (float x : w) mean += x;
  mean /= w.size();
  for (float x : w) var += (x - mean) * (x - mean);
  const double sigma = std::sqrt(var / w.size());
  const double alpha = q::ul2q_step(2);
  EXPECT_NEAR(result.quantization.offset, mean, 1e-9);
  EXPECT_NEAR(result.quantization.scale, alpha * sigma, 1e-9);
  ASSERT_EQ(result.levels.size(), 4u);
  const double codes[] = {-1.5, -0.5, 0.5, 1.5};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(result.levels[i], mean + codes[i] * alpha * sigma, 1e-9);
  std::size_t clipped = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    EXPECT_NEAR(result.values[i], nearest(result.levels, w[i]), 1e-6) << w[i];
    const bool inside = std::fabs(w[i] - mean) <= 2.0 * alpha * sigma;
    EXPECT_EQ(result.mask[i], inside ? 1 : 0) << w[i];
    clipped += !inside;
  }
  EXPECT_EQ(result.quantization.clipped, clipped);
  EXPECT_GT(clipped, 0u);  // 2 alpha sigma is about 2 sigma: a few percent lie outside
  EXPECT_LT(clipped, w.size() / 10);
}

TEST(Ul2qQuantizer, OneBitIsAMeanCentredBinaryQuantizer) {
  const std::vector<float> w = {-1.0f, -0.5f, 0.5f, 1.0f, 3.0f};
  const auto r = q::quantize_weights(w, params(Kind::kUl2q, 1));
  ASSERT_EQ(r.levels.size(), 2u);
  EXPECT_NEAR(r.levels[1] - r.levels[0], r.quantization.scale, 1e-12);
  EXPECT_NEAR(0.5 * (r.levels[0] + r.levels[1]), 0.6, 1e-6);  // the mean of w
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_FLOAT_EQ(r.values[i], w[i] >= 0.6f ? r.levels[1] : r.levels[0]);
}

TEST(BinaryQuantizer, SignTimesMeanAbsoluteValueWithClippedGradient) {
  const std::vector<float> w = {0.1f, -0.3f, 0.0f, 0.2f, -2.0f};
  const auto r = q::quantize_weights(w, params(Kind::kBinary, 1));
  const double alpha = (0.1 + 0.3 + 0.0 + 0.2 + 2.0) / 5.0;
  EXPECT_NEAR(r.quantization.scale, alpha, 1e-7);
  ASSERT_EQ(r.levels.size(), 2u);
  EXPECT_NEAR(r.levels[0], -alpha, 1e-7);
  EXPECT_NEAR(r.levels[1], alpha, 1e-7);
  const float a = static_cast<float>(alpha);
  EXPECT_EQ(r.values, (std::vector<float>{a, -a, a, a, -a}));  // sign(0) = +1
  // Gradient passes for |w| <= 2 alpha = 1.04: all but -2.0.
  EXPECT_EQ(r.mask, (std::vector<std::uint8_t>{1, 1, 1, 1, 0}));
  EXPECT_EQ(r.quantization.clipped, 1u);
}

TEST(TernaryQuantizer, ThresholdAndScaleFollowTernaryWeightNetworks) {
  const std::vector<float> w = {0.05f, -0.5f, 0.6f, -0.02f, 1.0f, -0.1f};
  const auto r = q::quantize_weights(w, params(Kind::kTernary, 2));
  const double mean_abs = (0.05 + 0.5 + 0.6 + 0.02 + 1.0 + 0.1) / 6.0;
  EXPECT_NEAR(r.quantization.threshold, 0.7 * mean_abs, 1e-7);
  EXPECT_NEAR(r.quantization.scale, (0.5 + 0.6 + 1.0) / 3.0, 1e-7);  // mean above delta
  const float a = static_cast<float>(r.quantization.scale);
  EXPECT_EQ(r.values, (std::vector<float>{0.0f, -a, a, 0.0f, a, 0.0f}));
  ASSERT_EQ(r.levels.size(), 3u);
  EXPECT_EQ(r.levels[1], 0.0);
  // Gradient passes for |w| <= 1.5 alpha = 1.05.
  EXPECT_EQ(r.mask, (std::vector<std::uint8_t>(6, 1)));
  const auto wide = q::quantize_weights({0.1f, -0.1f, 0.1f, 5.0f}, params(Kind::kTernary, 2));
  EXPECT_NEAR(wide.quantization.scale, 5.0, 1e-6);  // only 5.0 exceeds delta = 0.9275
  EXPECT_EQ(wide.mask, (std::vector<std::uint8_t>{1, 1, 1, 1}));
  const auto spread = q::quantize_weights({1.0f, -1.0f, 2.0f, 3.5f}, params(Kind::kTernary, 2));
  // delta = 0.7 * 1.875 = 1.3125; alpha = (2 + 3.5) / 2 = 2.75; limit 4.125; 1.0 -> 0.
  EXPECT_NEAR(spread.quantization.scale, 2.75, 1e-6);
  EXPECT_EQ(spread.values, (std::vector<float>{0.0f, 0.0f, 2.75f, 2.75f}));
}

TEST(UniformQuantizer, IsTheFixedPointFormatWithItsStepFromMaxAbs) {
  const auto w = normal_samples(1000, 0.0, 0.1, 3);
  for (auto scale : {q::ScaleKind::kFloat, q::ScaleKind::kPowerOfTwo}) {
    for (std::uint32_t bits : {2u, 4u, 8u}) {
      const auto r = q::quantize_weights(w, params(Kind::kUniform, bits, scale));
      const q::FixedPointFormat format{bits,
                                       q::choose_step(q::max_abs(w.data(), w.size()), bits, scale)};
      std::vector<float> expected(w.size());
      q::fake_quantize(w.data(), expected.data(), w.size(), format, q::RoundingMode::kNearestEven);
      EXPECT_EQ(r.values, expected);
      EXPECT_EQ(r.quantization.scale, format.step);
      EXPECT_EQ(r.levels.size(), (std::size_t{1} << bits) - 1);  // symmetric: -m..m
      EXPECT_DOUBLE_EQ(r.levels.back(), format.max_value());
      EXPECT_EQ(r.quantization.clipped, 0u);  // the range covers max |w|
      EXPECT_EQ(std::count(r.mask.begin(), r.mask.end(), 1), static_cast<long>(w.size()));
    }
  }
}

TEST(WeightQuantizer, AllZeroAndEmptyTensorsStayZeroWithOpenGradient) {
  const std::vector<float> zeros(16, 0.0f);
  for (auto p : {params(Kind::kBinary, 1), params(Kind::kTernary, 2), params(Kind::kUl2q, 2),
                 params(Kind::kUniform, 4)}) {
    const auto r = q::quantize_weights(zeros, p);
    for (float v : r.values) EXPECT_EQ(v, 0.0f) << q::weight_quantizer_name(p.kind);
    EXPECT_EQ(r.mask, std::vector<std::uint8_t>(16, 1)) << q::weight_quantizer_name(p.kind);
    EXPECT_EQ(r.quantization.clipped, 0u);
    if (p.kind != Kind::kUniform) {
      EXPECT_EQ(r.levels, std::vector<double>{0.0});
    }
    const auto empty = q::quantize_weights({}, p);
    EXPECT_TRUE(empty.values.empty());
  }
  // Constant weights under ul2q: sigma = 0 keeps them unchanged.
  const auto constant = q::quantize_weights(std::vector<float>(8, 0.25f), params(Kind::kUl2q, 4));
  EXPECT_EQ(constant.values, std::vector<float>(8, 0.25f));
  EXPECT_EQ(constant.levels, std::vector<double>{0.25});
}

TEST(WeightQuantizer, QuantisesInPlaceWithTheMaskOfTheInput) {
  for (auto p : {params(Kind::kBinary, 1), params(Kind::kTernary, 2), params(Kind::kUl2q, 2)}) {
    std::vector<float> w = {0.1f, -0.3f, 0.2f, -4.0f, 0.05f, 0.15f};
    const auto copy = q::quantize_weights(w, p);
    const q::WeightQuantizer quantizer(p);
    std::vector<std::uint8_t> mask(w.size());
    quantizer.quantize(w.data(), w.data(), mask.data(), w.size());
    EXPECT_EQ(w, copy.values) << q::weight_quantizer_name(p.kind);
    EXPECT_EQ(mask, copy.mask) << q::weight_quantizer_name(p.kind);
  }
}

TEST(WeightQuantizer, StorageCountsOneAndTwoBitsForBinaryAndTernary) {
  EXPECT_EQ(q::WeightQuantizer(params(Kind::kBinary, 1)).storage_bits(), 1u);
  EXPECT_EQ(q::WeightQuantizer(params(Kind::kTernary, 2)).storage_bits(), 2u);
  EXPECT_EQ(q::WeightQuantizer(params(Kind::kUl2q, 4)).storage_bits(), 4u);
  EXPECT_EQ(q::WeightQuantizer(params(Kind::kUl2q, 4)).scalar_bits(), 64u);
  EXPECT_EQ(q::WeightQuantizer(params(Kind::kUniform, 8)).scalar_bits(), 32u);
  EXPECT_EQ(q::WeightQuantizer(params(Kind::kUl2q, 3)).level_codes().size(), 8u);
}

TEST(WeightQuantizerTraining, EveryQuantizerLearnsUnderQatAndIsRecorded) {
  const auto data = n::load_fashion_mnist(n::kDefaultFashionMnistDir, 2000, 500);
  for (auto [kind, bits] : {std::pair{Kind::kBinary, 1u}, std::pair{Kind::kTernary, 2u},
                            std::pair{Kind::kUl2q, 2u}, std::pair{Kind::kUniform, 4u}}) {
    n::TrainOptions o;
    o.scheme = n::TrainScheme::kQat;
    o.w_quantizer = kind;
    o.w_bits = bits;
    o.scale = q::ScaleKind::kFloat;
    o.epochs = 2;
    const auto result = n::train(o, data);
    EXPECT_GT(result.epochs.back().test_accuracy, 0.6) << q::weight_quantizer_name(kind);
    EXPECT_EQ(result.w_quantizer, q::weight_quantizer_name(kind));
    EXPECT_DOUBLE_EQ(result.mean_w_bits, bits);
    std::uint64_t weights = 0, biases = 0;
    for (const auto& layer : result.layers) {
      weights += layer.weights;
      biases += layer.biases;
    }
    EXPECT_EQ(result.model_bits, bits * weights + 32 * biases);
    EXPECT_EQ(result.weight_scale_bits, (kind == Kind::kUl2q ? 64u : 32u) * result.layers.size());
    EXPECT_GE(result.ste_clipped_fraction, 0.0);
    EXPECT_LT(result.ste_clipped_fraction, 0.2);
    // The uniform range covers max |w|; the 1-bit range 2 alpha cuts off the tails.
    if (kind == Kind::kUniform) {
      EXPECT_EQ(result.ste_clipped_fraction, 0.0);
    }
    if (kind == Kind::kBinary) {
      EXPECT_GT(result.ste_clipped_fraction, 0.001);
    }
  }
  n::TrainOptions bad;
  bad.scheme = n::TrainScheme::kRct;
  bad.w_quantizer = Kind::kTernary;
  EXPECT_THROW(n::validate_train_options(bad), sim::ConfigError);
}
