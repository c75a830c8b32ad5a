// SCALE-Sim report files: columns, number formatting, and the rows built from the fold model.
#include "sim/report/scalesim_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "workloads/network/scalesim_topology.h"

namespace {

const std::string kData = std::string(EDGESIM_SOURCE_DIR) + "/tests/unit/scalesim_data/";

TEST(ScalesimReport, FormatsFloatsLikePython) {
  EXPECT_EQ(report::python_float(94.53125), "94.53125");
  EXPECT_EQ(report::python_float(91.68309650614964), "91.68309650614964");
  EXPECT_EQ(report::python_float(100.0), "100.0");
  EXPECT_EQ(report::python_float(33.0), "33.0");
  EXPECT_EQ(report::python_float(-3243.0), "-3243.0");
  EXPECT_EQ(report::python_float(0.0), "0.0");
  EXPECT_EQ(report::python_float(0.0001), "0.0001");
  EXPECT_EQ(report::python_float(0.00001), "1e-05");
  EXPECT_EQ(report::python_float(1.5e16), "1.5e+16");
  EXPECT_EQ(report::python_float(1e15), "1000000000000000.0");
  EXPECT_EQ(report::python_float(0.31035864734643714), "0.31035864734643714");
}

// SCALE-Sim v2's published AlexNet Conv1 reports (32x32, ws, CALC), compute and SRAM columns
// from the fold model, DRAM columns as the memory system would fill them.
TEST(ScalesimReport, AlexNetConv1RowsReproduceScaleSimGoldenText) {
  const auto net = workloads::load_scalesim_topology(kData + "topology_alexnet.csv", "conv");
  // The golden was written by a Python before 3.12 (plain float sums).
  auto rows = report::scalesim_rows_for_layer(net.layers[0], 1, 32, 32, models::Dataflow::kWs,
                                              models::Accounting::kScalesimCompat,
                                              models::PythonSum::kNaive);
  ASSERT_EQ(rows.size(), 1u);
  rows[0].dram_ifmap = {-3243, 111824, 1805023};
  rows[0].dram_filter = {-3275, 102937, 34848};
  rows[0].dram_ofmap = {1102, 112639, 3484831};
  EXPECT_EQ(report::scalesim_compute_report(rows),
            "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute "
            "Util %,\n0, 112283, 0, 91.68309650614964, 94.53125, 90.78000992063485,\n");
  EXPECT_EQ(report::scalesim_detailed_access_report(rows),
            "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM "
            "Filter Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start "
            "Cycle, SRAM OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP "
            "Stop Cycle, DRAM IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM "
            "Filter Reads, DRAM OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n"
            "0, 33.0, 112176.0, 3294225, 1.0, 109197.0, 34848, 63.0, 112283.0, 3484800, -3243.0, "
            "111824.0, 1805023, -3275.0, 102937.0, 34848, 1102.0, 112639.0, 3484831,\n");
  EXPECT_EQ(report::scalesim_bandwidth_report(rows),
            "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM "
            "BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n0, 29.338590881967885, "
            "0.31035864734643714, 31.035864734643713, 15.686576632947475, 0.3280954308794592, "
            "31.243441697000126,\n");
}

TEST(ScalesimReport, CompatModeSplitsDepthwiseIntoChannelRows) {
  workloads::Layer dw;
  dw.name = "dw3_DP";
  dw.type = workloads::LayerType::kDepthwiseConv2d;
  dw.in_h = dw.in_w = 14;
  dw.in_c = dw.out_c = 5;
  dw.kernel_h = dw.kernel_w = 3;
  const auto compat = report::scalesim_rows_for_layer(dw, 1, 8, 8, models::Dataflow::kOs,
                                                      models::Accounting::kScalesimCompat);
  ASSERT_EQ(compat.size(), 5u);
  EXPECT_EQ(compat[4].layer_name, "dw3_DPChannel_4");
  EXPECT_EQ(compat[0].total_cycles, compat[4].total_cycles);
  const auto real = report::scalesim_rows_for_layer(dw, 1, 8, 8, models::Dataflow::kOs,
                                                    models::Accounting::kEdgesim);
  ASSERT_EQ(real.size(), 1u);
  EXPECT_EQ(real[0].total_cycles, 5 * (compat[0].total_cycles + 1));
  // os, 144 pixels x 1 filter x 9 on 8x8: 18 folds of 23 cycles per channel; the last write
  // is at T - 1 + R - 1 of the last fold, the unused columns' skew follows it.
  EXPECT_EQ(real[0].total_cycles, 5u * 18u * 23u);
  EXPECT_EQ(real[0].sram_ofmap.stop_cycle, 4 * 414 + 17 * 23 + 8 + 7);
}

TEST(ScalesimReport, WritesTheThreeFiles) {
  const std::string dir = ::testing::TempDir() + "edgesim_scalesim_report";
  std::filesystem::remove_all(dir);
  std::vector<report::ScalesimLayerRow> rows(2);
  rows[1].total_cycles = 10;
  rows[1].sram_ifmap.count = 25;
  report::write_scalesim_reports(dir, rows);
  for (const char* name :
       {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + name)) << name;
  }
  std::ifstream in(dir + "/BANDWIDTH_REPORT.csv");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\n1, 2.5, 0.0, 0.0, 0.0, 0.0, 0.0,\n"), std::string::npos);
}

}  // namespace
