// The register-transfer array against the fold formula and a reference product.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "models/pe_array/cycle_array.h"
#include "sim/core/vcd_writer.h"

namespace {

using models::Accounting;
using models::Dataflow;

struct Case {
  std::uint64_t m, n, k, groups;
  std::uint32_t rows, cols;
};

// Edge cases: smaller than the array, not multiples, 1x1, K = 1, single row / column arrays.
const std::vector<Case> kCases = {
    {1, 1, 1, 1, 1, 1},   {1, 1, 1, 1, 4, 4},   {5, 3, 1, 1, 4, 4},  {3, 5, 7, 1, 4, 4},
    {17, 9, 13, 1, 4, 4}, {8, 8, 8, 1, 4, 4},   {9, 4, 4, 1, 4, 4},  {2, 11, 3, 1, 3, 5},
    {20, 1, 9, 3, 4, 2},  {6, 7, 40, 1, 1, 8},  {33, 2, 5, 1, 8, 1}, {12, 12, 12, 2, 16, 16},
    {1, 30, 30, 1, 4, 4}, {30, 1, 30, 1, 4, 4}, {64, 3, 27, 1, 8, 8}};

std::vector<std::int8_t> random_int8(std::size_t count, std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<std::int8_t> v(count);
  for (auto& x : v) x = static_cast<std::int8_t>(dist(rng));
  return v;
}

workloads::GemmShape shape_of(const Case& c) {
  workloads::GemmShape g;
  g.m = c.m;
  g.n = c.n;
  g.k = c.k;
  g.groups = c.groups;
  return g;
}

class CycleArrayAllDataflows : public ::testing::TestWithParam<Dataflow> {};

TEST_P(CycleArrayAllDataflows, CyclesAndSramAccessesEqualTheTileFormula) {
  const Dataflow dataflow = GetParam();
  for (const Case& c : kCases) {
    SCOPED_TRACE("m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                 " k=" + std::to_string(c.k) + " g=" + std::to_string(c.groups) + " on " +
                 std::to_string(c.rows) + "x" + std::to_string(c.cols));
    const auto shape = shape_of(c);
    const auto run = models::run_gemm_cycles(shape, c.rows, c.cols, dataflow, nullptr, nullptr,
                                             nullptr, nullptr);
    const auto formula =
        models::gemm_metrics(shape, c.rows, c.cols, dataflow, Accounting::kEdgesim);
    EXPECT_EQ(run.cycles, formula.true_cycles);
    EXPECT_EQ(run.folds, formula.fold.folds * c.groups);
    EXPECT_EQ(run.macs, shape.macs());
    EXPECT_EQ(run.sram.ifmap_reads, formula.sram.ifmap_reads);
    EXPECT_EQ(run.sram.filter_reads, formula.sram.filter_reads);
    EXPECT_EQ(run.sram.ofmap_writes, formula.sram.ofmap_writes);
    EXPECT_EQ(run.sram.ofmap_reads, formula.sram.ofmap_reads);
  }
}

TEST_P(CycleArrayAllDataflows, FunctionalModeProducesTheReferenceProduct) {
  const Dataflow dataflow = GetParam();
  std::mt19937 rng(1234);
  for (const Case& c : kCases) {
    SCOPED_TRACE("m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                 " k=" + std::to_string(c.k));
    const auto shape = shape_of(c);
    const auto a = random_int8(c.groups * c.m * c.k, rng);
    const auto b = random_int8(c.groups * c.k * c.n, rng);
    std::vector<std::int32_t> expected(c.groups * c.m * c.n, 0);
    std::vector<std::int32_t> actual(expected.size(), -7);
    models::reference_gemm(shape, a.data(), b.data(), expected.data());
    const auto run = models::run_gemm_cycles(shape, c.rows, c.cols, dataflow, a.data(), b.data(),
                                             actual.data(), nullptr);
    EXPECT_EQ(actual, expected);
    EXPECT_EQ(run.cycles, models::fold_timing(shape, c.rows, c.cols, dataflow).cycles * c.groups);
  }
}

INSTANTIATE_TEST_SUITE_P(Dataflows, CycleArrayAllDataflows,
                         ::testing::Values(Dataflow::kOs, Dataflow::kWs, Dataflow::kIs),
                         [](const auto& info) { return models::dataflow_name(info.param); });

TEST_P(CycleArrayAllDataflows, AccumulateAddsToThePartialSumsInC) {
  const Dataflow dataflow = GetParam();
  std::mt19937 rng(99);
  for (const Case& c : kCases) {
    SCOPED_TRACE("m=" + std::to_string(c.m) + " n=" + std::to_string(c.n) +
                 " k=" + std::to_string(c.k));
    const auto shape = shape_of(c);
    const auto a = random_int8(c.groups * c.m * c.k, rng);
    const auto b = random_int8(c.groups * c.k * c.n, rng);
    std::vector<std::int32_t> expected(c.groups * c.m * c.n);
    models::reference_gemm(shape, a.data(), b.data(), expected.data());
    std::vector<std::int32_t> actual(expected.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      actual[i] = static_cast<std::int32_t>(i * 7) - 100;
      expected[i] += actual[i];
    }
    const auto run = models::run_gemm_cycles(shape, c.rows, c.cols, dataflow, a.data(), b.data(),
                                             actual.data(), nullptr, /*accumulate=*/true);
    EXPECT_EQ(actual, expected);
    const auto formula =
        models::gemm_metrics(shape, c.rows, c.cols, dataflow, Accounting::kEdgesim);
    EXPECT_EQ(run.cycles, formula.true_cycles);
    EXPECT_EQ(run.sram.ofmap_reads, formula.sram.ofmap_reads + shape.m * shape.n * c.groups);
    EXPECT_EQ(run.sram.ofmap_writes, formula.sram.ofmap_writes);
  }
}

TEST(CycleArray, ExtremeOperandsAccumulateInInt32) {
  workloads::GemmShape shape;
  shape.m = 3;
  shape.n = 2;
  shape.k = 300;  // 300 x (-128 x -128) = 4915200 needs more than 16 bits
  std::vector<std::int8_t> a(shape.m * shape.k, -128), b(shape.k * shape.n, -128);
  std::vector<std::int32_t> c(shape.m * shape.n, 0);
  models::run_gemm_cycles(shape, 4, 4, Dataflow::kWs, a.data(), b.data(), c.data(), nullptr);
  for (auto value : c) EXPECT_EQ(value, 300 * 128 * 128);
}

/// Counts cycles and MAC activity of PE (0, 0) as a hook sees them.
class CountingHook : public models::CycleTraceHook {
 public:
  void on_cycle(std::uint64_t cycle, const models::PeArrayState& state) const override {
    ++calls;
    last_cycle = cycle;
    if (state.pe(0, 0).mac) ++corner_macs;
  }
  mutable std::uint64_t calls = 0, last_cycle = 0, corner_macs = 0;
};

TEST(CycleArray, HookSeesEveryCycleAndPeActivity) {
  workloads::GemmShape shape;
  shape.m = 10;
  shape.n = 6;
  shape.k = 7;
  CountingHook hook;
  const auto run =
      models::run_gemm_cycles(shape, 4, 4, Dataflow::kOs, nullptr, nullptr, nullptr, &hook);
  EXPECT_EQ(hook.calls, run.cycles);
  EXPECT_EQ(hook.last_cycle, run.cycles - 1);
  // os: PE (0, 0) does k MACs in every fold.
  EXPECT_EQ(hook.corner_macs, run.folds * shape.k);
}

TEST(CycleArray, VcdTracerRecordsTracedRowAndColumn) {
  workloads::GemmShape shape;
  shape.m = 5;
  shape.n = 3;
  shape.k = 4;
  std::vector<std::int8_t> a(shape.m * shape.k, 2), b(shape.k * shape.n, 3);
  std::vector<std::int32_t> c(shape.m * shape.n);
  sim::VcdWriter vcd;
  models::VcdPeTracer tracer(vcd, "top.accel.pe_array", 4, 4, 1, 2, 1000);
  tracer.set_start_ps(5000);
  models::run_gemm_cycles(shape, 4, 4, Dataflow::kWs, a.data(), b.data(), c.data(), &tracer);
  const std::string text = vcd.to_string();
  EXPECT_NE(text.find("pe_r1_c0"), std::string::npos);
  EXPECT_NE(text.find("pe_r3_c2"), std::string::npos);
  EXPECT_EQ(text.find("pe_r3_c3"), std::string::npos);  // neither traced row nor column
  EXPECT_NE(text.find("#5000"), std::string::npos);
  EXPECT_GT(vcd.change_count(), 50u);
}

}  // namespace
