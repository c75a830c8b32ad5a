// A bitwidth choice reaches bytes, buffer capacity, cycles and energy (each run its own process).
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

long long json_int(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\": (-?[0-9]+)[,\n}]"))) return -1;
  return std::stoll(match[1]);
}

/// An energy figure in femtojoules, read exactly from its fixed-point text.
long long json_fj(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\": ([0-9]+)\\.([0-9]{3})"))) {
    return -1;
  }
  return std::stoll(match[1]) * 1000 + std::stoll(match[2]);
}

long long dram_class(const std::string& json, const std::string& cls) {
  std::smatch match;
  if (!std::regex_search(
          json, match,
          std::regex("\"dram_bytes_by_tensor_class\": \\{[^}]*\"" + cls + "\": ([0-9]+)"))) {
    return -1;
  }
  return std::stoll(match[1]);
}

class Bitwidth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = e2e::make_temp_dir("edgesim-bits");
    e2e::write_file(dir_ + "/g.yaml",
                    "name: g\nlayers:\n  - {name: g, type: gemm, m: 64, n: 256, k: 256}\n");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string run(const std::string& sets, const std::string& name) {
    const auto r = e2e::run_edgesim("run -q --workload '" + dir_ + "/g.yaml' " + sets + " --out '" +
                                    dir_ + "/" + name + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return e2e::read_file(dir_ + "/" + name + "/summary.json");
  }
  std::string dir_;
};

const char* kRoomy =
    " --set accelerator.sram.ifmap_bytes=1048576 --set accelerator.sram.weight_bytes=1048576 "
    "--set accelerator.sram.ofmap_bytes=1048576";

TEST_F(Bitwidth, FourBitsHalveWeightBytesCutMacEnergyAndKeepFixedCycles) {
  const auto eight = run(kRoomy, "eight");
  const auto four = run(
      std::string(kRoomy) + " --set workload.precision.w_bits=4 --set workload.precision.a_bits=4",
      "four");
  EXPECT_EQ(dram_class(eight, "weight"), 256 * 256);
  EXPECT_EQ(dram_class(four, "weight"), 256 * 256 / 2);
  EXPECT_EQ(json_int(eight, "compute_cycles"), json_int(four, "compute_cycles"));
  // The multiplier falls 4x; adders and registers are linear in bits, so the MAC as a whole
  // falls by less (docs/energy.md).
  const double ratio = static_cast<double>(json_fj(eight, "mac")) / json_fj(four, "mac");
  EXPECT_GT(ratio, 1.5);
  EXPECT_LT(ratio, 4.0);
}

TEST_F(Bitwidth, FusedModeComputesUpToFourTimesFasterAtFourBits) {
  const std::string fused = std::string(kRoomy) + " --set accelerator.pe_array.precision=fused";
  const auto eight = run(fused, "f8");
  const auto four = run(fused +
                            " --set workload.precision.w_bits=4 "
                            "--set workload.precision.a_bits=4",
                        "f4");
  const long long c8 = json_int(eight, "compute_cycles");
  const long long c4 = json_int(four, "compute_cycles");
  EXPECT_LT(c4, c8);
  EXPECT_GE(c4 * 4, c8);
}

TEST_F(Bitwidth, WeightsThatFitAtFourBitsCutDramRefetches) {
  // 64 KiB of 8-bit weights do not fit a 32 KiB double-buffered weight buffer; at 4 bits
  // they do, so the activations are not re-fetched per weight tile.
  const std::string tight =
      " --set accelerator.sram.weight_bytes=65536 "
      "--set accelerator.sram.ifmap_bytes=65536 "
      "--set accelerator.sram.ofmap_bytes=262144";
  e2e::write_file(dir_ + "/g.yaml",
                  "name: g\nlayers:\n  - {name: g, type: gemm, m: 1024, n: 256, k: 256}\n");
  const auto eight = run(tight, "t8");
  const auto four = run(tight + " --set workload.precision.w_bits=4", "t4");
  // Compulsory traffic: A (1024 x 256) and B (256 x 256) read once, C (1024 x 256) written once.
  const long long extra8 =
      dram_class(eight, "activation") + dram_class(eight, "weight") - 256 * 256 - 2 * 1024 * 256;
  const long long extra4 =
      dram_class(four, "activation") + dram_class(four, "weight") - 256 * 256 / 2 - 2 * 1024 * 256;
  EXPECT_GT(extra8, 0);
  EXPECT_LT(extra4, extra8);
}

TEST_F(Bitwidth, EnergyTotalsEqualTheSumOfTheirBreakdownsExactly) {
  const auto s = run("", "e");
  const long long total = json_fj(s, "total");
  ASSERT_GT(total, 0);
  EXPECT_EQ(total, json_fj(s, "mac") + json_fj(s, "sram") + json_fj(s, "dram") +
                       json_fj(s, "vector") + json_fj(s, "leakage"));
  long long by_class = 0;
  for (const char* c : {"weight", "master_weight", "activation", "psum", "gradient",
                        "optimizer_state", "compute"}) {
    by_class += json_fj(s, c);
  }
  EXPECT_EQ(total, by_class);
  long long by_phase = 0;
  for (const char* p : {"fwd", "bwd_data", "bwd_weight", "update", "other"}) {
    by_phase += json_fj(s, p);
  }
  EXPECT_EQ(total, by_phase);
}

TEST_F(Bitwidth, PerLayerBitsComeFromTheCommandLineAndShowInLayersCsv) {
  run("--set workload.precision.layers.g.w_bits=2", "pl");
  const std::string layers = e2e::read_file(dir_ + "/pl/layers.csv");
  EXPECT_TRUE(std::regex_search(layers, std::regex(",[mnk]{3},2,8,"))) << layers;
}

}  // namespace
