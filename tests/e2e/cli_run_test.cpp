// End-to-end tests of `edgesim run` as a user drives it.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;
using e2e::read_file;
using e2e::run_edgesim;

namespace {

/// Extracts an integer field from summary.json text.
long long json_int(const std::string& json, const std::string& key) {
  std::smatch match;
  const std::regex pattern("\"" + key + "\": (-?[0-9]+)");
  if (!std::regex_search(json, match, pattern)) return -1;
  return std::stoll(match[1]);
}

class CliRun : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-e2e"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CliRun, DefaultRunWritesACompleteRunDirectory) {
  const auto r = run_edgesim("run --out '" + dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total cycles"), std::string::npos) << r.out;
  for (const char* file : {"config.resolved.yaml", "summary.json", "layers.csv"}) {
    EXPECT_TRUE(fs::exists(dir_ + "/run/" + file)) << file;
  }
  EXPECT_FALSE(fs::exists(dir_ + "/run/trace.vcd"));
  const std::string summary = read_file(dir_ + "/run/summary.json");
  EXPECT_NE(summary.find("\"feasible\": true"), std::string::npos);
  EXPECT_GT(json_int(summary, "total_cycles"), 0);
  EXPECT_GT(json_int(summary, "macs"), 0);
  EXPECT_GT(json_int(summary, "dram_read_bytes"), 0);
  EXPECT_GT(json_int(summary, "sram_read_bytes"), json_int(summary, "dram_read_bytes"));
  // One row per layer of the default network plus the header.
  const std::string layers = read_file(dir_ + "/run/layers.csv");
  EXPECT_EQ(std::count(layers.begin(), layers.end(), '\n'), 7);
}

TEST_F(CliRun, MacsEqualTheNetworksMacs) {
  // tiny_cnn: conv1 32x32x16x27, conv2 16x16x32x144, dw3 16x16x32x9, pw4 16x16x64x32,
  // conv5 8x8x64x576, fc6 10x4096.
  const long long expected = 32LL * 32 * 16 * 27 + 16LL * 16 * 32 * 144 + 16LL * 16 * 32 * 9 +
                             16LL * 16 * 64 * 32 + 8LL * 8 * 64 * 576 + 10LL * 4096;
  const auto r = run_edgesim("run -q --out '" + dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(json_int(read_file(dir_ + "/run/summary.json"), "macs"), expected);
}

TEST_F(CliRun, ResolvedConfigReproducesTheRunExactly) {
  auto first = run_edgesim("run -q --set accelerator.pe_array.rows=8 --out '" + dir_ + "/a'");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto second =
      run_edgesim("run -q --config '" + dir_ + "/a/config.resolved.yaml' --out '" + dir_ + "/b'");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(read_file(dir_ + "/a/layers.csv"), read_file(dir_ + "/b/layers.csv"));
  EXPECT_EQ(read_file(dir_ + "/a/config.resolved.yaml"),
            read_file(dir_ + "/b/config.resolved.yaml"));
  const std::string a = read_file(dir_ + "/a/summary.json");
  const std::string b = read_file(dir_ + "/b/summary.json");
  EXPECT_EQ(json_int(a, "total_cycles"), json_int(b, "total_cycles"));
  EXPECT_EQ(json_int(a, "pe_rows"), 8);
  EXPECT_NE(read_file(dir_ + "/a/config.resolved.yaml").find("rows: 8"), std::string::npos);
}

TEST_F(CliRun, SetOverridesChangeTheResult) {
  ASSERT_EQ(run_edgesim("run -q --out '" + dir_ + "/small'").exit_code, 0);
  ASSERT_EQ(run_edgesim("run -q --set accelerator.pe_array.rows=32 "
                        "--set accelerator.pe_array.cols=32 --out '" +
                        dir_ + "/big'")
                .exit_code,
            0);
  EXPECT_LT(json_int(read_file(dir_ + "/big/summary.json"), "compute_cycles"),
            json_int(read_file(dir_ + "/small/summary.json"), "compute_cycles"));
}

TEST_F(CliRun, VcdHasScopesAndTheRequiredSignals) {
  const auto r = run_edgesim("run -q --vcd --out '" + dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string vcd = read_file(dir_ + "/run/trace.vcd");
  EXPECT_NE(vcd.find("$scope module pe_array $end"), std::string::npos);
  EXPECT_NE(vcd.find(" busy $end"), std::string::npos);
  EXPECT_NE(vcd.find(" layer_index "), std::string::npos);
  EXPECT_NE(vcd.find(" bytes_in_flight "), std::string::npos);
  EXPECT_NE(vcd.find("$enddefinitions $end"), std::string::npos);
}

TEST_F(CliRun, FunctionalModeChecksGemmResultsEndToEnd) {
  const std::string workload = dir_ + "/mlp.yaml";
  e2e::write_file(workload,
                  "name: small_mlp\nbatch: 8\nlayers:\n"
                  "  - {name: fc1, type: fc, in_features: 100, out_features: 40}\n"
                  "  - {name: g2, type: gemm, m: 3, n: 70, k: 33}\n");
  // Tiny buffers force k-tiling with partial sums, so the data path is really exercised.
  const auto r = run_edgesim("run --workload '" + workload +
                             "' --set sim.functional=true --set accelerator.sram.ifmap_bytes=512 "
                             "--set accelerator.sram.weight_bytes=1024 "
                             "--set accelerator.sram.ofmap_bytes=2048 --out '" +
                             dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2 ops matched the reference product"), std::string::npos) << r.out;
}

TEST_F(CliRun, InfeasibleDesignPointIsAResultNotACrash) {
  const auto r = run_edgesim("run -q --set accelerator.sram.weight_bytes=8 --out '" + dir_ + "/x'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string summary = read_file(dir_ + "/x/summary.json");
  EXPECT_NE(summary.find("\"feasible\": false"), std::string::npos);
  EXPECT_NE(summary.find("does not fit on chip"), std::string::npos);
}

TEST_F(CliRun, VersionNamesSystemC) {
  const auto r = run_edgesim("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("edgesim 0."), std::string::npos);
  EXPECT_NE(r.out.find("SystemC 2.3"), std::string::npos);
}

TEST_F(CliRun, HelpExplainsEveryRunOptionWithAnExample) {
  const auto r = run_edgesim("run --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* option :
       {"--platform", "--workload", "--scheme", "--set", "--out", "--vcd", "--quiet", "Example:"}) {
    EXPECT_NE(r.out.find(option), std::string::npos) << option;
  }
  EXPECT_NE(run_edgesim("--help").out.find("edgesim run"), std::string::npos);
}

}  // namespace
