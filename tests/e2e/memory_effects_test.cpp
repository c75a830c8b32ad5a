// Memory effects seen across runs (each run is its own process): buffer size drives DRAM
// traffic, DRAM width drives stalls.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

long long json_int(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\": (-?[0-9]+)"))) return -1;
  return std::stoll(match[1]);
}

class MemoryEffects : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-mem"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string run(const std::string& workload, const std::string& sets, const std::string& name) {
    e2e::write_file(dir_ + "/w.yaml", workload);
    const auto r = e2e::run_edgesim("run -q --workload '" + dir_ + "/w.yaml' " + sets + " --out '" +
                                    dir_ + "/" + name + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return e2e::read_file(dir_ + "/" + name + "/summary.json");
  }
  std::string dir_;
};

const char* kConvNet =
    "name: c\nlayers:\n"
    "  - {name: c1, in_h: 28, in_w: 28, in_c: 32, out_c: 64, kernel: 3, padding: 1}\n"
    "  - {name: c2, out_c: 64, kernel: 3, padding: 1}\n";

TEST_F(MemoryEffects, DramTrafficFallsAsBuffersGrow) {
  long long previous = -1;
  long long first = 0, last = 0;
  for (int kib : {4, 16, 64, 256}) {
    const std::string b = std::to_string(kib * 1024);
    const auto summary = run(kConvNet,
                             "--set accelerator.sram.ifmap_bytes=" + b +
                                 " --set accelerator.sram.weight_bytes=" + b +
                                 " --set accelerator.sram.ofmap_bytes=" + b,
                             "b" + std::to_string(kib));
    const long long bytes =
        json_int(summary, "dram_read_bytes") + json_int(summary, "dram_write_bytes");
    if (previous >= 0) {
      EXPECT_LE(bytes, previous) << kib << " KiB";
    }
    if (previous < 0) first = bytes;
    previous = last = bytes;
  }
  EXPECT_LT(last, first);
}

TEST_F(MemoryEffects, NarrowDramStallsTheArrayAndAWideOneDoesNot) {
  const char* gemm = "name: g\nlayers:\n  - {name: g, type: gemm, m: 64, n: 512, k: 512}\n";
  const std::string array = "--set accelerator.pe_array.rows=8 --set accelerator.pe_array.cols=8";
  const auto wide = run(gemm, array, "wide");
  const auto narrow =
      run(gemm, array + " --set dram.channels=1 --set dram.bus_width_bits=8", "narrow");
  EXPECT_EQ(json_int(wide, "compute_cycles"), json_int(narrow, "compute_cycles"));
  EXPECT_GT(json_int(narrow, "stall_cycles"), json_int(wide, "stall_cycles"));
  EXPECT_GT(json_int(narrow, "total_cycles"), json_int(wide, "total_cycles"));
  // The compute-bound run spends under a tenth of its time stalled.
  EXPECT_LT(json_int(wide, "stall_cycles") * 10, json_int(wide, "total_cycles"));
}

TEST_F(MemoryEffects, MemoryBoundLayerStallsAsTheBandwidthBoundPredicts) {
  // A batch-8 fully connected layer reads 1 MiB of weights for little compute; on one 8-bit
  // LPDDR4 channel (3.2 GB/s) memory sets the pace.
  const char* fc = "name: f\nbatch: 8\nlayers:\n"
                   "  - {name: fc, type: fc, in_features: 1024, out_features: 1024}\n";
  const auto narrow = run(fc, "--set dram.channels=1 --set dram.bus_width_bits=8", "narrow");
  const auto wide = run(fc, "", "wide");
  const double bytes = json_int(narrow, "dram_read_bytes") + json_int(narrow, "dram_write_bytes");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(narrow, match,
                                std::regex("\"dram_peak_bandwidth_gbps\": ([0-9.]+)")));
  const double bytes_per_cycle = std::stod(match[1]);  // GB/s at a 1 GHz accelerator clock
  const double bound = bytes / bytes_per_cycle;          // analytic lower bound in cycles
  const double total = json_int(narrow, "total_cycles");
  const double compute = json_int(narrow, "compute_cycles");
  EXPECT_GE(total, bound);
  EXPECT_LE(total, 1.25 * bound);  // stated tolerance: within 25% of the bandwidth bound
  EXPECT_NEAR(json_int(narrow, "stall_cycles"), bound - compute, 0.25 * (bound - compute));
  // The same layer on the default two x16 channels is compute-bound: almost no stalls.
  EXPECT_LT(json_int(wide, "stall_cycles") * 20, json_int(wide, "total_cycles"));
}

}  // namespace
