// SCALE-Sim inputs run unchanged through `edgesim run`, and its reports come out.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(EDGESIM_SOURCE_DIR) + "/tests/unit/scalesim_data/";

class CliScalesim : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-ss"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CliScalesim, AlexNetConfigAndTopologyReproduceTheGoldenReport) {
  const auto r =
      e2e::run_edgesim("run -q --scalesim-config '" + kData + "google_ws_32x32.cfg' --topology '" +
                       kData + "topology_alexnet.csv' --report scalesim --out '" + dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string compute = e2e::read_file(dir_ + "/run/scalesim/COMPUTE_REPORT.csv");
  EXPECT_EQ(compute.rfind("LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping "
                          "Efficiency %, Compute Util %,\n0, 112283, 0, 91.68",
                          0),
            0u)
      << compute;
  EXPECT_TRUE(fs::exists(dir_ + "/run/scalesim/BANDWIDTH_REPORT.csv"));
  const std::string detail = e2e::read_file(dir_ + "/run/scalesim/DETAILED_ACCESS_REPORT.csv");
  EXPECT_NE(detail.find(", 3294225, "), std::string::npos);  // ifmap SRAM reads of Conv1
  EXPECT_NE(detail.find(", 34848, "), std::string::npos);    // filter SRAM reads
  EXPECT_NE(detail.find(", 3484800, "), std::string::npos);  // ofmap SRAM writes
  EXPECT_NE(e2e::read_file(dir_ + "/run/config.resolved.yaml").find("scalesim_compat: true"),
            std::string::npos);
}

TEST_F(CliScalesim, TopologyCsvIsAlsoAWorkload) {
  const auto r = e2e::run_edgesim("run -q --workload '" + kData + "topology_gemm3.csv' --out '" +
                                  dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string layers = e2e::read_file(dir_ + "/run/layers.csv");
  EXPECT_NE(layers.find("G3_49x512x4608,gemm"), std::string::npos) << layers;
}

TEST_F(CliScalesim, BadTopologyRowIsOneLineWithFileAndLine) {
  e2e::write_file(dir_ + "/bad.csv",
                  "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
                  "Num Filter, Strides,\nConv1, 224, 224, 11, 11, three, 96, 4,\n");
  const auto r = e2e::run_edgesim("run --topology '" + dir_ + "/bad.csv' --out '" + dir_ + "/o'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.csv:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("three"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/o"));
}

}  // namespace
