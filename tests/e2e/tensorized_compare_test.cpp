// `edgesim compare --tensorize`: the dense MLP against its tensorised variant on the tt_edge
// preset; memory figures follow from the ranks (hand-computed here), resident cores move no
// parameter bytes, and the inference case where TT saves memory but costs about 7x the MACs.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

const std::string kTt20 = std::string(EDGESIM_SOURCE_DIR) + "/examples/tensorized/mlp_tt20.yaml";
const std::string kTt8 = std::string(EDGESIM_SOURCE_DIR) + "/examples/tensorized/mlp_tt8.yaml";

/// compare.csv as variant -> figure -> value.
std::map<std::string, std::map<std::string, double>> read_compare(const std::string& file) {
  std::map<std::string, std::map<std::string, double>> out;
  std::istringstream in(e2e::read_file(file));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream h(line);
  for (std::string f; std::getline(h, f, ',');) header.push_back(f);
  while (std::getline(in, line)) {
    std::stringstream l(line);
    std::vector<std::string> fields;
    for (std::string f; std::getline(l, f, ',');) fields.push_back(f);
    for (std::size_t i = 1; i < fields.size() && i < header.size(); ++i) {
      out[fields[0]][header[i]] = std::stod(fields[i]);
    }
  }
  return out;
}

class TensorizedCompare : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-ttcmp"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::map<std::string, std::map<std::string, double>> compare(const std::string& args,
                                                               const std::string& name) {
    const auto r = e2e::run_edgesim("compare --platform tt_edge --workload mlp " + args +
                                    " --out '" + dir_ + "/" + name + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("tensorized vs dense"), std::string::npos) << r.out;
    return read_compare(dir_ + "/" + name + "/compare.csv");
  }
  std::string dir_;
};

TEST_F(TensorizedCompare, TrainingMemoryFiguresFollowFromTheRanks) {
  auto c = compare("--schemes fp32 --set workload.batch=1 --tensorize '" + kTt20 + "'", "t20");
  ASSERT_EQ(c.count("dense"), 1u);
  ASSERT_EQ(c.count("tensorized"), 1u);
  // fp32 weights and momentum: 8 bytes per parameter.
  EXPECT_EQ(c["dense"]["param_memory_bytes"], (784.0 * 512 + 512 * 10) * 8);
  EXPECT_EQ(c["tensorized"]["param_memory_bytes"], (24880.0 + 3840) * 8);
  // Kept partials at batch 1, fp32: fc1 forward (15,680 + 8,960 + 17,920) and backward data
  // (17,920 + 8,960 + 15,680), fc2 1,280 each way.
  EXPECT_EQ(c["tensorized"]["intermediate_memory_bytes"], (2.0 * 42560 + 2 * 1280) * 4);
  EXPECT_EQ(c["dense"]["intermediate_memory_bytes"], 0);
  // Same saved activations either way: input, fc1, relu1 and fc2 outputs.
  EXPECT_EQ(c["dense"]["activation_memory_bytes"], (784.0 + 512 + 512 + 10) * 4);
  EXPECT_EQ(c["tensorized"]["activation_memory_bytes"], c["dense"]["activation_memory_bytes"]);
  // tt_edge keeps every core with its gradient and momentum on chip: no parameter traffic.
  EXPECT_EQ(c["tensorized"]["param_dram_bytes"], 0);
  EXPECT_GT(c["dense"]["param_dram_bytes"], 4 * 406528.0);
  // The partials do not fit the 128 KiB lent to them: they spill and are counted.
  EXPECT_GT(c["tensorized"]["dram_intermediate_bytes"], 0);
  EXPECT_LT(c["tensorized"]["dram_bytes_per_iteration"], c["dense"]["dram_bytes_per_iteration"]);
  EXPECT_GT(c["tensorized"]["macs_per_iteration"], 7 * c["dense"]["macs_per_iteration"]);

  auto r8 = compare("--schemes fp32 --set workload.batch=1 --tensorize '" + kTt8 + "'", "t8");
  EXPECT_EQ(r8["tensorized"]["param_memory_bytes"], (4192.0 + 8 * 192) * 8);
  EXPECT_LT(r8["tensorized"]["intermediate_memory_bytes"],
            c["tensorized"]["intermediate_memory_bytes"]);
  EXPECT_LT(r8["tensorized"]["macs_per_iteration"], c["tensorized"]["macs_per_iteration"]);
}

TEST_F(TensorizedCompare, InferenceSavesParametersButCostsAboutSevenTimesTheMacs) {
  auto c = compare("--schemes inference --set workload.batch=1 --tensorize '" + kTt20 + "'", "i");
  EXPECT_EQ(c["dense"]["macs_per_iteration"], 784.0 * 512 + 512 * 10);
  // fc1 left to right 2,822,400 + fc2 26,880.
  EXPECT_EQ(c["tensorized"]["macs_per_iteration"], 2822400.0 + 26880);
  EXPECT_EQ(c["dense"]["param_memory_bytes"], 406528);
  EXPECT_EQ(c["tensorized"]["param_memory_bytes"], 28720);
  // Batch 1 partials fit on chip: none of them reach DRAM.
  EXPECT_EQ(c["tensorized"]["dram_intermediate_bytes"], 0);
  EXPECT_LT(c["tensorized"]["dram_bytes_per_iteration"], c["dense"]["dram_bytes_per_iteration"]);
}

TEST_F(TensorizedCompare, BadTensorizeOptionsExitTwo) {
  const auto two = e2e::run_edgesim("compare --workload mlp --schemes fp32,qat --tensorize '" +
                                    kTt20 + "' --out '" + dir_ + "/x'");
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("one scheme"), std::string::npos) << two.err;
  e2e::write_file(dir_ + "/bad.yaml", "tensorize: {fc1: {rank: 4}}\nlayers: []\n");
  const auto keys = e2e::run_edgesim("compare --workload mlp --tensorize '" + dir_ +
                                     "/bad.yaml' --out '" + dir_ + "/y'");
  EXPECT_EQ(keys.exit_code, 2);
  EXPECT_NE(keys.err.find("bad.yaml:2:9: layers: --tensorize files hold only tensorize"),
            std::string::npos)
      << keys.err;
}

}  // namespace
