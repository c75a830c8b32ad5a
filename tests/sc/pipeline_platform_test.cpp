// The pipelined platform end to end in one process (one simulation per test): LeNet-5 streams
// through engines sized by the allocator within the device budget; every MAC is counted once
// per frame; the measured interval is the slowest stage's; infeasible budgets are results.
#include <gtest/gtest.h>

#include "platforms/platform.h"

namespace {

platforms::RunResult run(const std::vector<std::string>& overrides) {
  sim::Config config;
  config.load_file(std::string(EDGESIM_SOURCE_DIR) + "/platforms/ull_z7020.yaml");
  config.load_file(std::string(EDGESIM_SOURCE_DIR) + "/workloads/network/zoo/lenet5.yaml",
                   "workload");
  for (const auto& o : overrides) config.apply_override(o);
  auto root = config.root();
  const auto params = platforms::parse_platform(root);
  const auto network = workloads::parse_network(root.child("workload"));
  const auto precision =
      workloads::parse_precision(root.child("workload").child("precision"), network);
  config.check_all_read();
  const auto program = workloads::lower_inference(network, precision);
  const auto planned = platforms::plan_program(params, network, program);
  return platforms::simulate(params, network, program, planned, nullptr);
}

TEST(PipelinePlatform, LenetStreamsWithinBudgetAndCountsEveryMac) {
  const auto r = run({"workload.batch=1", "accelerator.pipeline.frames=8"});
  ASSERT_TRUE(r.feasible) << r.reason;
  const auto& p = r.pipeline;
  ASSERT_TRUE(p.enabled);
  EXPECT_EQ(p.frames, 8u);
  ASSERT_EQ(p.stages.size(), 5u);  // conv1, conv2, fc1, fc2, fc3; ReLU and pooling fused
  EXPECT_EQ(p.stages[0].fused, "relu1+pool1");
  EXPECT_LE(p.used.luts, p.budget.luts);
  EXPECT_LE(p.used.dsps, p.budget.dsps);
  EXPECT_LE(p.used.bram_bits, p.budget.bram_bits);
  std::uint64_t slowest = 0;
  std::uint64_t macs = 0;
  for (const auto& s : p.stages) {
    EXPECT_EQ(s.busy_cycles, 8 * s.interval_cycles) << s.name;
    EXPECT_GT(s.utilization, 0.0);
    EXPECT_LE(s.utilization, 1.0);
    EXPECT_LE(s.fifo_max_rows, s.fifo_depth_rows);
    slowest = std::max(slowest, s.interval_cycles);
    macs += s.macs;
  }
  // 8 frames of LeNet-5's MACs, nothing more, nothing less.
  EXPECT_EQ(macs, r.macs);
  EXPECT_EQ(r.macs % 8, 0u);
  EXPECT_EQ(r.macs / 8, 416520u);  // LeNet-5 (28x28, padded conv1): 117,600 + 240,000 + ...
  // A stream runs at the slowest stage (FIFOs of 2 rows may cost a little more).
  EXPECT_GE(p.interval_cycles, slowest);
  EXPECT_LE(p.interval_cycles, slowest * 5 / 4);
  // Batch-1 latency: at least the slowest stage, and the run is latency + 7 intervals or so.
  EXPECT_GE(p.latency_cycles, slowest);
  EXPECT_GE(r.total_cycles, p.latency_cycles + 7 * slowest);
  EXPECT_LE(p.latency_cycles, p.max_latency_cycles);
  // No DRAM: weights live on chip, frames come and go on streams.
  EXPECT_EQ(r.dram_read_bytes + r.dram_write_bytes, 0u);
  EXPECT_GT(r.energy.mac, 0u);
  EXPECT_GT(r.energy.sram, 0u);
  EXPECT_GT(r.energy.leakage, 0u);
  EXPECT_EQ(r.layers.size(), 5u);
}

TEST(PipelinePlatform, TinyBudgetIsInfeasibleWithReason) {
  const auto r =
      run({"accelerator.pipeline.device=custom", "accelerator.pipeline.budget_luts=100",
           "accelerator.pipeline.budget_dsps=2", "accelerator.pipeline.budget_bram36=4"});
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.reason.find("exceeds the budget custom"), std::string::npos) << r.reason;
  EXPECT_TRUE(r.pipeline.enabled);
  EXPECT_GT(r.pipeline.used.dsps, 2u);
}

TEST(PipelinePlatform, UnrollOverrideOutOfRangeIsAConfigError) {
  try {
    run({"accelerator.pipeline.unroll.conv1.pi=4"});  // conv1 has one input channel
    FAIL() << "expected a ConfigError";
  } catch (const sim::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("accelerator.pipeline.unroll.conv1"), std::string::npos) << what;
    EXPECT_NE(what.find("exceeds its 1"), std::string::npos) << what;
  }
}

}  // namespace
