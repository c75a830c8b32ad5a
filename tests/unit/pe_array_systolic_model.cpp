// Fold formulas and SCALE-Sim-compatible metrics against SCALE-Sim v2's published outputs.
#include <gtest/gtest.h>

#include "models/pe_array/systolic_model.h"

namespace {

using models::Accounting;
using models::Dataflow;

workloads::GemmShape gemm(std::uint64_t m, std::uint64_t n, std::uint64_t k,
                          std::uint64_t groups = 1) {
  workloads::GemmShape g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.groups = groups;
  return g;
}

// AlexNet Conv1 as SCALE-Sim sees it: 224x224x3 input, 11x11 filters, 96 of them, stride 4,
// no padding, so the ofmap is ceil((224 - 11 + 4) / 4) = 55 on a side.
models::ScalesimConvGeometry alexnet_conv1() {
  models::ScalesimConvGeometry g;
  g.ifmap_h = g.ifmap_w = 224;
  g.filter_h = g.filter_w = 11;
  g.channels = 3;
  g.filters = 96;
  g.stride_h = g.stride_w = 4;
  return g;
}

TEST(PeArrayModel, AlexNetConv1WsMatchesScaleSimGolden) {
  const auto geometry = alexnet_conv1();
  EXPECT_EQ(geometry.ofmap_h(), 55u);
  // SCALE-Sim v2 test/golden_trace/COMPUTE_REPORT.csv and DETAILED_ACCESS_REPORT.csv, written
  // by a Python before 3.12 (plain float sums; Python 3.12 prints 90.78000992063492).
  const auto m = models::gemm_metrics(geometry.gemm(), 32, 32, Dataflow::kWs,
                                      Accounting::kScalesimCompat, models::PythonSum::kNaive);
  EXPECT_EQ(m.reported_cycles, 112283u);
  EXPECT_EQ(m.true_cycles, 112284u);
  EXPECT_EQ(m.overall_util_pct, 91.68309650614964);
  EXPECT_EQ(m.mapping_efficiency_pct, 94.53125);
  EXPECT_EQ(m.compute_util_pct, 90.78000992063485);
  EXPECT_EQ(m.sram.ifmap_reads, 3294225u);
  EXPECT_EQ(m.sram.filter_reads, 34848u);
  EXPECT_EQ(m.sram.ofmap_writes, 3484800u);
  EXPECT_EQ(m.sram.ofmap_reads, 0u);
  const auto modern =
      models::gemm_metrics(geometry.gemm(), 32, 32, Dataflow::kWs, Accounting::kScalesimCompat);
  EXPECT_EQ(modern.compute_util_pct, 90.78000992063492);
  EXPECT_NE(modern.compute_util_pct, m.compute_util_pct);
}

TEST(PeArrayModel, AlexNetConv1SramWindowMatchesScaleSimGolden) {
  const auto w = models::scalesim_sram_window(alexnet_conv1(), 32, 32, Dataflow::kWs);
  EXPECT_EQ(w.ifmap_start, 33u);
  EXPECT_EQ(w.ifmap_stop, 112176u);  // moved by the window elements outside the ifmap
  EXPECT_EQ(w.filter_start, 1u);
  EXPECT_EQ(w.filter_stop, 109197u);
  EXPECT_EQ(w.ofmap_start, 63u);
  EXPECT_EQ(w.ofmap_stop, 112283u);
}

TEST(PeArrayModel, GemmGoldenCyclesPerDataflow) {
  const auto g = gemm(256, 128, 256);
  EXPECT_EQ(
      models::gemm_metrics(g, 32, 32, Dataflow::kOs, Accounting::kScalesimCompat).reported_cycles,
      10175u);
  EXPECT_EQ(
      models::gemm_metrics(g, 32, 32, Dataflow::kWs, Accounting::kScalesimCompat).reported_cycles,
      11199u);
  EXPECT_EQ(
      models::gemm_metrics(g, 32, 32, Dataflow::kIs, Accounting::kScalesimCompat).reported_cycles,
      14207u);
  // The default mode reports the count, one more.
  EXPECT_EQ(models::gemm_metrics(g, 32, 32, Dataflow::kOs, Accounting::kEdgesim).reported_cycles,
            10176u);
}

// SCALE-Sim v2 test/general/golden_trace_user_{os,ws,is} (written by Python 3.12 or later,
// compensated float sums): the same GEMM on 32x32 in USER mode. Total cycles there include stalls
// (Total - Stall = the stall-free figure above); the compute utilisation, SRAM counts and
// first-access cycles do not depend on them.
TEST(PeArrayModel, GemmGoldenUtilisationSramCountsAndStartCycles) {
  const auto g = gemm(256, 128, 256);
  models::ScalesimConvGeometry geometry;  // SCALE-Sim's reading of a GEMM row
  geometry.ifmap_h = 256;
  geometry.ifmap_w = 256;
  geometry.filter_w = 256;
  geometry.filters = 128;
  struct Golden {
    Dataflow dataflow;
    std::uint64_t total, stalls;
    double compute_util;
    std::uint64_t ifmap_reads, filter_reads, ofmap_writes;
    std::uint64_t ifmap_start, filter_start, ofmap_start;
  };
  const Golden goldens[] = {
      {Dataflow::kOs, 52447, 42272, 80.50314465408806, 262144, 262144, 34816, 1, 1, 255},
      {Dataflow::kWs, 52447, 41248, 67.19160104986877, 262144, 32768, 262144, 33, 1, 63},
      {Dataflow::kIs, 19984, 5777, 50.59288537549407, 65536, 262144, 262144, 1, 33, 63}};
  for (const Golden& golden : goldens) {
    SCOPED_TRACE(models::dataflow_name(golden.dataflow));
    const auto m = models::gemm_metrics(g, 32, 32, golden.dataflow, Accounting::kScalesimCompat);
    EXPECT_EQ(m.reported_cycles, golden.total - golden.stalls);
    EXPECT_EQ(m.mapping_efficiency_pct, 100.0);
    EXPECT_EQ(m.compute_util_pct, golden.compute_util);
    EXPECT_EQ(m.sram.ifmap_reads, golden.ifmap_reads);
    EXPECT_EQ(m.sram.filter_reads, golden.filter_reads);
    EXPECT_EQ(m.sram.ofmap_writes, golden.ofmap_writes);
    const auto w = models::scalesim_sram_window(geometry, 32, 32, golden.dataflow);
    EXPECT_EQ(w.ifmap_start, golden.ifmap_start);
    EXPECT_EQ(w.filter_start, golden.filter_start);
    EXPECT_EQ(w.ofmap_start, golden.ofmap_start);
  }
}

TEST(PeArrayModel, FoldDimensionsFollowTheDataflow) {
  const auto g = gemm(100, 20, 300);  // P, F, W
  const auto os = models::fold_timing(g, 8, 4, Dataflow::kOs);
  EXPECT_EQ(os.spatial_rows, 100u);
  EXPECT_EQ(os.spatial_cols, 20u);
  EXPECT_EQ(os.temporal, 300u);
  EXPECT_EQ(os.folds, 13u * 5u);
  EXPECT_EQ(os.cycles_per_fold, 8u + 4u + 300u - 2u);
  const auto ws = models::fold_timing(g, 8, 4, Dataflow::kWs);
  EXPECT_EQ(ws.row_folds, 38u);  // ceil(300 / 8)
  EXPECT_EQ(ws.col_folds, 5u);
  EXPECT_EQ(ws.cycles_per_fold, 16u + 4u + 100u - 2u);
  const auto is = models::fold_timing(g, 8, 4, Dataflow::kIs);
  EXPECT_EQ(is.spatial_cols, 100u);
  EXPECT_EQ(is.temporal, 20u);
  EXPECT_EQ(is.col_folds, 25u);
}

TEST(PeArrayModel, OsCompatAddsRowsPlusColsOfmapWritesPerFold) {
  const auto g = gemm(70, 40, 9);
  const auto compat = models::gemm_metrics(g, 16, 16, Dataflow::kOs, Accounting::kScalesimCompat);
  const auto real = models::gemm_metrics(g, 16, 16, Dataflow::kOs, Accounting::kEdgesim);
  EXPECT_EQ(real.sram.ofmap_writes, 70u * 40u);
  EXPECT_EQ(compat.sram.ofmap_writes, 70u * 40u + compat.fold.folds * 32u);
  EXPECT_EQ(real.sram.ifmap_reads, 3u * 70u * 9u);   // ceil(40/16) column folds
  EXPECT_EQ(real.sram.filter_reads, 5u * 9u * 40u);  // ceil(70/16) row folds
}

TEST(PeArrayModel, WsDefaultModeReadsPartialSumsBack) {
  const auto g = gemm(50, 10, 70);  // 70 / 32 -> 3 reduction folds
  const auto real = models::gemm_metrics(g, 32, 32, Dataflow::kWs, Accounting::kEdgesim);
  const auto compat = models::gemm_metrics(g, 32, 32, Dataflow::kWs, Accounting::kScalesimCompat);
  EXPECT_EQ(real.sram.ofmap_writes, 3u * 50u * 10u);
  EXPECT_EQ(real.sram.ofmap_reads, 2u * 50u * 10u);
  EXPECT_EQ(compat.sram.ofmap_reads, 0u);
  EXPECT_EQ(compat.sram.ofmap_writes, real.sram.ofmap_writes);
}

TEST(PeArrayModel, ComputeUtilUsesScaleSimLengthOnlyInCompatMode) {
  const auto g = gemm(64, 32, 32);  // one full ws fold, T = 64
  const auto compat = models::gemm_metrics(g, 32, 32, Dataflow::kWs, Accounting::kScalesimCompat);
  const auto real = models::gemm_metrics(g, 32, 32, Dataflow::kWs, Accounting::kEdgesim);
  EXPECT_DOUBLE_EQ(compat.compute_util_pct, 64.0 * 100 / (64 + 64 + 64 - 3));
  EXPECT_DOUBLE_EQ(real.compute_util_pct, 64.0 * 100 / (64 + 32 + 64 - 2));
  EXPECT_DOUBLE_EQ(real.mapping_efficiency_pct, 100.0);
}

TEST(PeArrayModel, GroupsRunBackToBackLikeScaleSimPerChannelLayers) {
  // A depthwise 3x3 layer on 56x56 with 32 channels: SCALE-Sim runs 32 one-channel layers.
  const auto one =
      models::gemm_metrics(gemm(56 * 56, 1, 9), 16, 16, Dataflow::kOs, Accounting::kScalesimCompat);
  const auto all = models::gemm_metrics(gemm(56 * 56, 1, 9, 32), 16, 16, Dataflow::kOs,
                                        Accounting::kScalesimCompat);
  EXPECT_EQ(all.compat_cycles, 32 * one.compat_cycles);
  EXPECT_EQ(all.true_cycles, 32 * one.true_cycles);
  EXPECT_EQ(all.macs, 32 * one.macs);
  EXPECT_EQ(all.sram.ifmap_reads, 32 * one.sram.ifmap_reads);
  EXPECT_DOUBLE_EQ(all.overall_util_pct, one.overall_util_pct);
  EXPECT_DOUBLE_EQ(all.mapping_efficiency_pct, one.mapping_efficiency_pct);
}

TEST(PeArrayModel, BatchMultipliesPixels) {
  workloads::Layer conv;
  conv.in_h = conv.in_w = 8;
  conv.in_c = 4;
  conv.out_c = 8;
  conv.kernel_h = conv.kernel_w = 3;
  const auto b1 = models::fold_timing(conv.gemm(1), 8, 8, Dataflow::kWs);
  const auto b4 = models::fold_timing(conv.gemm(4), 8, 8, Dataflow::kWs);
  EXPECT_EQ(b4.temporal, 4 * b1.temporal);
  EXPECT_EQ(b4.cycles - b1.cycles, b1.folds * 3 * b1.temporal);
}

TEST(PeArrayModel, GemmSramWindowWithoutPadding) {
  // GEMM M=256, N=128, K=256 as SCALE-Sim's conv: ifmap M x K, filter 1 x K, N filters.
  models::ScalesimConvGeometry g;
  g.ifmap_h = 256;
  g.ifmap_w = 256;
  g.filter_h = 1;
  g.filter_w = 256;
  g.filters = 128;
  const auto os = models::scalesim_sram_window(g, 32, 32, Dataflow::kOs);
  EXPECT_EQ(os.ifmap_start, 1u);
  EXPECT_EQ(os.ofmap_stop, 10175u);  // the last write is the last cycle
  const auto is = models::scalesim_sram_window(g, 32, 32, Dataflow::kIs);
  EXPECT_EQ(is.ofmap_stop, 14207u);
  EXPECT_EQ(is.filter_start, 33u);
}

TEST(PeArrayModel, OneCycleGemmReportsZeroUtilisationInsteadOfDividingByZero) {
  const auto m =
      models::gemm_metrics(gemm(1, 1, 1), 1, 1, Dataflow::kOs, Accounting::kScalesimCompat);
  EXPECT_EQ(m.true_cycles, 1u);
  EXPECT_EQ(m.reported_cycles, 0u);
  EXPECT_EQ(m.overall_util_pct, 0.0);
}

TEST(PeArrayModel, ParsesDataflowNames) {
  Dataflow d = Dataflow::kOs;
  EXPECT_TRUE(models::parse_dataflow("WS", d));
  EXPECT_EQ(d, Dataflow::kWs);
  EXPECT_FALSE(models::parse_dataflow("rs", d));
}

}  // namespace
