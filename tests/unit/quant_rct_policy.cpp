#include <gtest/gtest.h>

#include <vector>

#include "sim/core/config.h"
#include "workloads/quant/rct_policy.h"

namespace q = workloads::quant;

namespace {
q::RctPolicyParams params(std::uint32_t k) {
  q::RctPolicyParams p;
  p.initial_bits = 8;
  p.b_min = 6;
  p.b_max = 10;
  p.t_min = 2.0;
  p.t_max = 16.0;
  p.k_iterations = k;
  return p;
}
// A gradient whose mean |g| is `g_over_step` steps.
std::vector<float> crafted_gradient(double g_over_step, double step) {
  std::vector<float> g(1000);
  for (std::size_t i = 0; i < g.size(); ++i)
    g[i] = static_cast<float>((i % 2 ? 1.5 : -0.5) * g_over_step * step);  // mean |.| = 1x
  return g;
}
}  // namespace

TEST(RctPolicy, GAvgIsMeanAbsoluteGradientOverStep) {
  const auto g = crafted_gradient(3.0, 0.0625);
  EXPECT_DOUBLE_EQ(q::g_avg(g.data(), g.size(), 0.0625), 3.0);
}

TEST(RctPolicy, NextBitsFollowsTheThresholdsAndBounds) {
  const auto p = params(1);
  EXPECT_EQ(q::next_bits(8, 1.99, p), 9u);   // below t_min: gain a bit
  EXPECT_EQ(q::next_bits(8, 2.0, p), 8u);    // at t_min: keep
  EXPECT_EQ(q::next_bits(8, 16.0, p), 8u);   // at t_max: keep
  EXPECT_EQ(q::next_bits(8, 16.01, p), 7u);  // above t_max: lose a bit
  EXPECT_EQ(q::next_bits(10, 0.1, p), 10u);  // already b_max
  EXPECT_EQ(q::next_bits(6, 100.0, p), 6u);  // already b_min
}

TEST(RctPolicy, DecidesOnlyAtTheEndOfEachWindowOfKIterations) {
  const double step = 1.0 / 128;  // a power of two keeps the crafted values exact
  q::RctBitwidthPolicy policy(params(3), 2);
  const auto small = crafted_gradient(0.5, step);   // layer 0: G_avg 0.5 < t_min
  const auto large = crafted_gradient(40.0, step);  // layer 1: G_avg 40 > t_max
  for (int it = 0; it < 2; ++it) {
    policy.observe(0, q::g_avg(small.data(), small.size(), step));
    policy.observe(1, q::g_avg(large.data(), large.size(), step));
    EXPECT_FALSE(policy.end_iteration());
    EXPECT_EQ(policy.bits(0), 8u);
    EXPECT_EQ(policy.bits(1), 8u);
  }
  policy.observe(0, q::g_avg(small.data(), small.size(), step));
  policy.observe(1, q::g_avg(large.data(), large.size(), step));
  EXPECT_TRUE(policy.end_iteration());
  EXPECT_EQ(policy.bits(0), 9u);
  EXPECT_EQ(policy.bits(1), 7u);
  EXPECT_DOUBLE_EQ(policy.window_g_avg(0), 0.5);
  EXPECT_DOUBLE_EQ(policy.window_g_avg(1), 40.0);
  EXPECT_EQ(policy.iteration(), 3u);
}

TEST(RctPolicy, UsesTheWindowMeanNotTheLastIteration) {
  q::RctBitwidthPolicy policy(params(2), 1);
  policy.observe(0, 0.5);  // below t_min alone
  policy.end_iteration();
  policy.observe(0, 5.5);  // window mean 3.0 lies within [t_min, t_max]
  EXPECT_TRUE(policy.end_iteration());
  EXPECT_DOUBLE_EQ(policy.window_g_avg(0), 3.0);
  EXPECT_EQ(policy.bits(0), 8u);
}

TEST(RctPolicy, StaysWithinBoundsOverManyWindows) {
  q::RctBitwidthPolicy policy(params(1), 2);
  for (int it = 0; it < 20; ++it) {
    policy.observe(0, 0.0);
    policy.observe(1, 1e6);
    policy.end_iteration();
  }
  EXPECT_EQ(policy.bits(0), 10u);
  EXPECT_EQ(policy.bits(1), 6u);
}

TEST(RctPolicy, ParsesYamlAndRejectsInconsistentBounds) {
  sim::Config config;
  config.load_text("rct: {b_min: 5, b_max: 12, t_min: 1.5, t_max: 9, k_iterations: 50}\n",
                   "policy.yaml");
  const auto p = q::parse_rct_policy(config.root().child("rct"));
  EXPECT_EQ(p.b_min, 5u);
  EXPECT_EQ(p.b_max, 12u);
  EXPECT_EQ(p.initial_bits, 8u);
  EXPECT_DOUBLE_EQ(p.t_min, 1.5);
  EXPECT_EQ(p.k_iterations, 50u);

  sim::Config bad;
  bad.load_text("rct: {b_min: 12, b_max: 6}\n", "policy.yaml");
  try {
    q::parse_rct_policy(bad.root().child("rct"));
    FAIL() << "expected ConfigError";
  } catch (const sim::ConfigError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("policy.yaml:1:"), std::string::npos) << text;
    EXPECT_NE(text.find("rct.b_min: must be <= b_max (6), got 12"), std::string::npos) << text;
  }
  EXPECT_THROW(q::validate_rct_policy(q::RctPolicyParams{8, 4, 16, 5.0, 5.0, 10}, "x"),
               sim::ConfigError);
}
