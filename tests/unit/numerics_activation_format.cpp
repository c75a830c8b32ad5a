// The unsigned activation grid (`edgesim train --a-format unsigned`): levels, step, rounding,
// and the fall-back to the signed grid for inputs with negative values.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "workloads/numerics/layers.h"

namespace {

namespace n = workloads::numerics;
namespace q = workloads::quant;

TEST(UnsignedActivations, TwoBitsGiveFourLevelsFromZeroToTheMaximum) {
  std::vector<float> x = {0.0f, 0.4f, 1.1f, 1.6f, 2.2f, 3.0f, 2.9f, 0.2f};
  ASSERT_TRUE(n::fake_quantize_unsigned(x.data(), x.size(), 2, q::ScaleKind::kFloat));
  // step = 3 / (2^2 - 1) = 1: levels 0, 1, 2, 3.
  const std::vector<float> expected = {0.0f, 0.0f, 1.0f, 2.0f, 2.0f, 3.0f, 3.0f, 0.0f};
  EXPECT_EQ(x, expected);
  // The signed 2-bit grid of the same tensor has one positive level (the maximum): ReLU
  // outputs below half the maximum all become 0.
  std::vector<float> s = {0.0f, 0.4f, 1.1f, 1.6f, 2.2f, 3.0f, 2.9f, 0.2f};
  n::fake_quantize_tensor(s.data(), s.size(), 2, q::ScaleKind::kFloat,
                          q::RoundingMode::kNearestEven, nullptr);
  EXPECT_EQ(std::set<float>(s.begin(), s.end()), (std::set<float>{0.0f, 3.0f}));
}

TEST(UnsignedActivations, PowerOfTwoStepCoversTheMaximum) {
  std::vector<float> x = {0.0f, 0.5f, 5.0f};
  // 4 bits: step = 5 / 15 = 0.333, rounded up to 0.5; 5.0 is code 10.
  ASSERT_TRUE(n::fake_quantize_unsigned(x.data(), x.size(), 4, q::ScaleKind::kPowerOfTwo));
  EXPECT_EQ(x, (std::vector<float>{0.0f, 0.5f, 5.0f}));
  std::vector<float> y = {0.0f, 0.3f, 5.0f};
  ASSERT_TRUE(n::fake_quantize_unsigned(y.data(), y.size(), 4, q::ScaleKind::kPowerOfTwo));
  EXPECT_EQ(y[1], 0.5f);  // 0.3 / 0.5 = 0.6 rounds to code 1
  // Every value lands on k x step with k in [0, 15].
  std::vector<float> z(100);
  for (int i = 0; i < 100; ++i) z[i] = 0.07f * i;
  ASSERT_TRUE(n::fake_quantize_unsigned(z.data(), z.size(), 4, q::ScaleKind::kPowerOfTwo));
  for (float v : z) {
    const float code = v / 0.5f;
    EXPECT_EQ(code, static_cast<float>(static_cast<int>(code))) << v;
    EXPECT_LE(code, 15.0f);
  }
}

TEST(UnsignedActivations, NegativeInputsAreLeftForTheSignedGrid) {
  std::vector<float> x = {0.5f, -0.1f, 2.0f};
  const std::vector<float> before = x;
  EXPECT_FALSE(n::fake_quantize_unsigned(x.data(), x.size(), 4, q::ScaleKind::kFloat));
  EXPECT_EQ(x, before);
  std::vector<float> zeros(5, 0.0f);
  EXPECT_TRUE(n::fake_quantize_unsigned(zeros.data(), zeros.size(), 2, q::ScaleKind::kFloat));
  EXPECT_EQ(zeros, std::vector<float>(5, 0.0f));
}

}  // namespace
