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
    if (previous >= 0) EXPECT_LE(bytes, previous) << kib << " KiB";
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

}  // namespace
