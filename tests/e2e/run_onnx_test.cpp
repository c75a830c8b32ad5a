// `edgesim run --workload model.onnx`: an ONNX model runs like any workload.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

TEST(RunOnnx, AnImportedResNetRunsWithItsMacsAndAScalesimReport) {
  const std::string dir = e2e::make_temp_dir("edgesim-onnx");
  const std::string model = std::string(EDGESIM_SOURCE_DIR) + "/tests/data/onnx/tv_resnet18.onnx";
  const auto r = e2e::run_edgesim("run -q --workload '" + model +
                                  "' --report scalesim --out '" + dir + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string summary = e2e::read_file(dir + "/run/summary.json");
  // torchvision's ResNet-18: 1.814 G MACs at batch 1.
  EXPECT_NE(summary.find("\"macs\": 1814073344,"), std::string::npos) << summary.substr(0, 600);
  EXPECT_NE(summary.find("\"skipped_nodes\": []"), std::string::npos);
  const std::string compute = e2e::read_file(dir + "/run/scalesim/COMPUTE_REPORT.csv");
  EXPECT_EQ(compute.find("nan"), std::string::npos);
  EXPECT_EQ(std::count(compute.begin(), compute.end(), '\n'), 1 + 21);  // header + conv/fc layers
  // The batch override reaches the import.
  const auto b = e2e::run_edgesim("run -q --workload '" + model + "' --set workload.batch=2 --out '" +
                                  dir + "/b2'");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NE(e2e::read_file(dir + "/b2/summary.json").find("\"macs\": 3628146688,"),
            std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
