// Whole simulations of the DRAM with the dram-bench traffic generator: bandwidth, latency,
// row-buffer locality and the AT controller. One simulation per test process.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/memory/dram/dram_bench.h"
#include "sim/core/config.h"

namespace {

models::DramParams preset(const std::string& name, const std::vector<std::string>& overrides = {}) {
  sim::Config config;
  config.load_text("dram:\n  preset: " + name + "\n", "test.yaml");
  for (const auto& assignment : overrides) config.apply_override("dram." + assignment);
  models::DramParams params = models::parse_dram(config.root().child("dram"));
  config.check_all_read();
  return params;
}

models::DramBenchOptions stream(models::DramMode mode = models::DramMode::kLt) {
  models::DramBenchOptions options;
  options.pattern = models::TrafficPattern::kSequential;
  options.total_bytes = 8ull << 20;
  options.request_bytes = 256;
  options.outstanding = 64;  // enough bytes in flight to cover HBM2's latency at 256 GB/s
  options.mode = mode;
  return options;
}

void expect_streaming_reaches_90_percent(const std::string& name) {
  const auto result = models::run_dram_bench(preset(name), stream());
  EXPECT_GE(result.bandwidth_gbps, 0.9 * result.peak_bandwidth_gbps)
      << name << ": " << result.bandwidth_gbps << " of " << result.peak_bandwidth_gbps;
  EXPECT_LE(result.bandwidth_gbps, result.peak_bandwidth_gbps * 1.0000001);
  EXPECT_GT(result.row_hit_rate, 0.9);
  EXPECT_GT(result.refreshes, 0u);
  EXPECT_EQ(result.error_responses, 0u);
}

}  // namespace

TEST(DramStream, SequentialLpddr4ReachesNinetyPercentOfPeak) {
  expect_streaming_reaches_90_percent("lpddr4-3200");
}
TEST(DramStream, SequentialLpddr5ReachesNinetyPercentOfPeak) {
  expect_streaming_reaches_90_percent("lpddr5-6400");
}
TEST(DramStream, SequentialDdr4ReachesNinetyPercentOfPeak) {
  expect_streaming_reaches_90_percent("ddr4-3200");
}
TEST(DramStream, SequentialHbm2ReachesNinetyPercentOfPeak) {
  expect_streaming_reaches_90_percent("hbm2");
}

TEST(DramStream, RandomAccessGetsMarkedlyLessAndFewRowHits) {
  auto options = stream();
  options.pattern = models::TrafficPattern::kRandom;
  options.request_bytes = 64;
  options.total_bytes = 2ull << 20;
  const auto result = models::run_dram_bench(preset("lpddr4-3200"), options);
  EXPECT_LT(result.bandwidth_gbps, 0.6 * result.peak_bandwidth_gbps) << result.bandwidth_gbps;
  EXPECT_LT(result.row_hit_rate, 0.6) << result.row_hit_rate;
  EXPECT_GT(result.row_conflicts, result.requests / 2);
}

TEST(DramStream, OneOutstandingRequestMeasuresUnloadedLatency) {
  const auto params = preset("lpddr4-3200", {"trefi=0"});
  auto options = stream();
  options.outstanding = 1;
  options.request_bytes = 32;
  options.total_bytes = 32 * 1000;
  const auto result = models::run_dram_bench(params, options);
  // Each request waits for the previous: a row hit costs CL + burst; the first of each row
  // pays an activate as well.
  const double hit_ns = (params.cl + params.burst_length / 2) * params.tck_ps / 1000.0;
  EXPECT_DOUBLE_EQ(result.p50_latency_ns, hit_ns);
  EXPECT_GT(result.max_latency_ns, hit_ns);
  EXPECT_LT(result.bandwidth_gbps, 0.3 * result.peak_bandwidth_gbps);
}

TEST(DramStream, WritesAndReadsMixedStillStream) {
  auto options = stream();
  options.read_ratio = 0.5;
  const auto result = models::run_dram_bench(preset("lpddr4-3200"), options);
  EXPECT_GT(result.bandwidth_gbps, 0.5 * result.peak_bandwidth_gbps);
  EXPECT_LT(result.bandwidth_gbps, 0.95 * result.peak_bandwidth_gbps);  // turnarounds cost
}

TEST(DramStream, AtModeStreamsSequentialTraffic) {
  const auto result = models::run_dram_bench(preset("lpddr4-3200"), stream(models::DramMode::kAt));
  EXPECT_GE(result.bandwidth_gbps, 0.85 * result.peak_bandwidth_gbps) << result.bandwidth_gbps;
  EXPECT_EQ(result.requests, (8ull << 20) / 256);
  EXPECT_EQ(result.error_responses, 0u);
}

TEST(DramStream, AtModeLatencyGrowsWithLoad) {
  auto options = stream(models::DramMode::kAt);
  options.pattern = models::TrafficPattern::kRandom;
  options.request_bytes = 64;
  options.total_bytes = 1ull << 20;
  options.outstanding = 64;
  const auto loaded = models::run_dram_bench(preset("lpddr4-3200", {"queue_depth=8"}), options);
  // 64 requests in flight but 8 queue slots: the rest wait, so latency far exceeds a miss.
  const double conflict_ns = (34 + 29 + 28 + 8) * 0.625;
  EXPECT_GT(loaded.avg_latency_ns, 3 * conflict_ns) << loaded.avg_latency_ns;
  EXPECT_GT(loaded.p99_latency_ns, loaded.avg_latency_ns);
}

TEST(DramStream, AtFrFcfsServesRowHitsFirst) {
  // Random traffic over a few rows of one bank: FR-FCFS reorders for hits, so the hit rate
  // beats what in-order service of the same stream gets (LT serves in arrival order).
  auto options = stream(models::DramMode::kAt);
  options.pattern = models::TrafficPattern::kRandom;
  options.request_bytes = 32;
  options.total_bytes = 32 * 20000;
  options.outstanding = 32;
  const auto params = preset("lpddr4-3200", {"channels=1", "banks=1", "rows=4", "trefi=0"});
  const auto result = models::run_dram_bench(params, options);
  // In order, a random row out of 4 matches the open one 1 time in 4.
  EXPECT_GT(result.row_hit_rate, 0.6) << result.row_hit_rate;
}

TEST(DramStream, AtControllerInterleavesBankGroups) {
  // LPDDR5: tCCD_L is twice tCCD_S, so a controller that drains one bank group's row hits
  // before opening the others loses a third of the bandwidth.
  const auto result = models::run_dram_bench(preset("lpddr5-6400"), stream(models::DramMode::kAt));
  EXPECT_GE(result.bandwidth_gbps, 0.85 * result.peak_bandwidth_gbps) << result.bandwidth_gbps;
}

TEST(DramStream, NoTrafficExceedsThePeak) {
  // Mixed reads and writes in a strided walk on the preset with the most channels, where
  // bursts overlap the most: the data buses are never double-booked.
  auto options = stream();
  options.pattern = models::TrafficPattern::kStrided;
  options.stride_bytes = 96;
  options.request_bytes = 32;
  options.read_ratio = 0.7;
  options.total_bytes = 4ull << 20;
  const auto result = models::run_dram_bench(preset("hbm2"), options);
  EXPECT_LE(result.bandwidth_gbps, result.peak_bandwidth_gbps);
  EXPECT_GT(result.bandwidth_gbps, 0.1 * result.peak_bandwidth_gbps);
}
