// The RCT policy run over iterations with a statistical gradient model, and schedules as phases.
#include "workloads/training/rct_trajectory.h"

#include <gtest/gtest.h>

namespace {

using namespace workloads;

Network two_layers() {
  Network n;
  n.name = "n";
  Layer a;
  a.name = "fc1";
  a.type = LayerType::kFc;
  a.k = 16;
  a.n = 8;
  Layer b = a;
  b.name = "fc2";
  b.k = 8;
  b.n = 4;
  n.layers = {a, b};
  return n;
}

TEST(RctTrajectory, SmallGradientsRaiseOneBitPerWindowUpToTheMaximum) {
  quant::RctPolicyParams policy;
  policy.initial_bits = 6;
  policy.b_max = 9;
  policy.k_iterations = 10;
  policy.t_min = 1e9;  // every window's G_avg is below T_min: gain a bit each time
  policy.t_max = 2e9;
  GradientModel model;
  quant::BitwidthSchedule schedule;
  const auto phases =
      rct_policy_phases(two_layers(), std::vector<LayerPrecision>(2), policy, model, 50, schedule);
  ASSERT_EQ(phases.size(), 4u);  // 6, 7, 8, 9 bits
  EXPECT_EQ(phases[0].iterations, 10u);
  EXPECT_EQ(phases[0].precision[0].w.bits, 6u);
  EXPECT_EQ(phases[3].precision[1].w.bits, 9u);
  EXPECT_EQ(phases[3].iterations, 20u);  // stays at b_max
  std::uint64_t total = 0;
  for (const auto& p : phases) total += p.iterations;
  EXPECT_EQ(total, 50u);
  // schedule.csv: each layer's rows together and contiguous in iterations.
  ASSERT_EQ(schedule.rows.size(), 8u);
  EXPECT_EQ(schedule.rows[0].layer_name, "fc1");
  EXPECT_EQ(schedule.rows[3].iter_end, 50u);
  EXPECT_EQ(schedule.rows[1].iter_begin, schedule.rows[0].iter_end);
}

TEST(RctTrajectory, LargeGradientsLowerBitsToTheMinimum) {
  quant::RctPolicyParams policy;
  policy.initial_bits = 8;
  policy.b_min = 7;
  policy.k_iterations = 5;
  policy.t_min = 1e-9;
  policy.t_max = 2e-9;  // every G_avg is above T_max: lose a bit
  quant::BitwidthSchedule schedule;
  const auto phases = rct_policy_phases(two_layers(), std::vector<LayerPrecision>(2), policy,
                                        GradientModel{}, 20, schedule);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[1].precision[0].w.bits, 7u);
  EXPECT_EQ(phases[1].first_iteration, 5u);
}

TEST(RctTrajectory, ScheduleRowsBecomePhases) {
  quant::BitwidthSchedule schedule;
  schedule.rows = {{0, "fc1", 0, 30, 8, 8, 8, 0, 0},
                   {0, "fc1", 30, 100, 10, 8, 8, 0, 0},
                   {1, "fc2", 0, 60, 6, 8, 8, 0, 0},
                   {1, "fc2", 60, 100, 6, 8, 8, 0, 0}};
  const auto phases = schedule_phases(two_layers(), std::vector<LayerPrecision>(2), schedule);
  // Boundaries at 30 and 60; 30..60 and 60..100 have equal widths and merge.
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(phases[0].iterations, 30u);
  EXPECT_EQ(phases[1].iterations, 70u);
  EXPECT_EQ(phases[1].precision[0].w.bits, 10u);
  EXPECT_EQ(phases[1].precision[1].w.bits, 6u);
}

}  // namespace
