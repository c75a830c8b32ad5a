// Golden: the LeNet-5 figures of the pipelined accelerator in docs/ull.md (batch-1 latency,
// stream interval, resources, FIFO depth effect, bits vs latency). These references change only
// with a reason in the commit message.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

double number(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\": (-?[0-9.]+)"))) return -1;
  return std::stod(match[1]);
}

class GoldenPipeline : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-golden-ull"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string run(const std::string& sets, const std::string& name) {
    const auto r =
        e2e::run_edgesim("run -q --platform ull_z7020 --workload lenet5 --set workload.batch=1 " +
                             sets + " --out '" + dir_ + "/" + name + "'",
                         dir_);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return e2e::read_file(dir_ + "/" + name + "/summary.json");
  }
  std::string dir_;
};

TEST_F(GoldenPipeline, LenetEightBitMatchesTheDocumentedFigures) {
  const std::string s = run("--set accelerator.pipeline.frames=16", "b8");
  EXPECT_EQ(number(s, "latency_cycles"), 2266);
  EXPECT_EQ(number(s, "interval_cycles"), 1350);
  EXPECT_EQ(number(s, "estimated_interval_cycles"), 1250);
  EXPECT_EQ(number(s, "multipliers"), 440);
  EXPECT_NE(s.find("\"used\": {\"luts\": 0, \"dsps\": 220,"), std::string::npos) << s;
}

TEST_F(GoldenPipeline, IntervalObjectiveKeepsTheBalancedDesign) {
  const std::string s = run("--set accelerator.pipeline.objective=interval", "iv");
  EXPECT_EQ(number(s, "latency_cycles"), 3770);
  EXPECT_EQ(number(s, "multipliers"), 410);
}

TEST_F(GoldenPipeline, FourRowFifosRunAtTheSlowestStage) {
  const std::string s = run(
      "--set accelerator.pipeline.frames=64 --set accelerator.pipeline.fifo_depth_rows=4", "d4");
  EXPECT_EQ(number(s, "interval_cycles"), 1250);
}

TEST_F(GoldenPipeline, TwoBitLenetMatchesTheDocumentedFigures) {
  const std::string s =
      run("--set workload.precision.w_bits=2 --set workload.precision.a_bits=2", "b2");
  EXPECT_EQ(number(s, "latency_cycles"), 88);
  EXPECT_EQ(number(s, "multipliers"), 13248);
  EXPECT_NE(s.find("\"used\": {\"luts\": 52992, \"dsps\": 0,"), std::string::npos) << s;
}

}  // namespace
