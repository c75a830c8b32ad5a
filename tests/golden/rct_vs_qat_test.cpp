// Golden: the RCT-vs-QAT savings of docs/rct-vs-qat.md for the MLP configuration. These
// references change only with a reason in the commit message.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

double saving(const std::string& json, const std::string& pair, const std::string& metric) {
  const std::size_t at = json.find("\"" + pair + "\"");
  std::smatch match;
  const std::string rest = json.substr(at == std::string::npos ? json.size() : at);
  if (!std::regex_search(rest, match, std::regex("\"" + metric + "\": (-?[0-9.]+)"))) return -1e9;
  return std::stod(match[1]);
}

TEST(GoldenRctVsQat, MlpSavingsMatchTheDocumentedFigures) {
  const std::string dir = e2e::make_temp_dir("edgesim-golden");
  const auto r = e2e::run_edgesim(
      "compare -q --workload mlp --schemes fp32,qat,rct --set workload.precision.w_bits=8 "
      "--set workload.precision.a_bits=8 --set workload.precision.g_bits=8 "
      "--set training.optimizer=sgd --out '" +
      dir + "/cmp'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string json = e2e::read_file(dir + "/cmp/compare.json");
  EXPECT_NEAR(saving(json, "rct_vs_fp32", "gemm_energy_pj"), 90.3, 0.5);
  EXPECT_NEAR(saving(json, "rct_vs_qat", "param_memory_bytes"), 80.0, 0.5);
  EXPECT_NEAR(saving(json, "rct_vs_qat", "param_movement_energy_pj"), 70.1, 0.5);
  fs::remove_all(dir);
}

}  // namespace
