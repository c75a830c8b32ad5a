// The per-layer bitwidth sweep of docs/ull.md (examples/sweeps/ull_bits.yaml) runs as shipped:
// every point fits the xc7z020 budget, and on the uniform points fewer bits give a lower
// batch-1 latency (cheaper multipliers, more of them within the same budget).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream in(line);
  std::string cell;
  while (std::getline(in, cell, ',')) cells.push_back(cell);
  return cells;
}

TEST(PipelineSweep, UllBitsExampleTradesBitsForLatencyWithinTheBudget) {
  const std::string dir = e2e::make_temp_dir("edgesim-ullsweep");
  const auto r = e2e::run_edgesim("sweep '" + std::string(EDGESIM_SOURCE_DIR) +
                                      "/examples/sweeps/ull_bits.yaml' --jobs 2 --no-progress "
                                      "--discard-runs --out '" +
                                      dir + "/sweep'",
                                  dir);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::stringstream csv(e2e::read_file(dir + "/sweep/results.csv"));
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  const auto header = split_csv_line(line);
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* name :
       {"status", "workload.precision.layers.conv1.w_bits", "workload.precision.layers.fc1.w_bits",
        "workload.precision.a_bits", "total_cycles", "pipeline.latency_cycles",
        "pipeline.used.luts", "pipeline.used.dsps", "pipeline.used.bram_bits"}) {
    ASSERT_TRUE(column.count(name)) << name;
  }
  std::map<int, double> uniform_latency;
  int rows = 0;
  while (std::getline(csv, line)) {
    const auto cells = split_csv_line(line);
    ASSERT_EQ(cells.size(), header.size()) << line;
    auto value = [&](const char* name) { return std::stod(cells[column[name]]); };
    EXPECT_EQ(cells[column["status"]], "ok") << line;
    ++rows;
    // One frame: the run is the batch-1 latency.
    EXPECT_EQ(value("total_cycles"), value("pipeline.latency_cycles"));
    EXPECT_LE(value("pipeline.used.luts"), 53200);
    EXPECT_LE(value("pipeline.used.dsps"), 220);
    EXPECT_LE(value("pipeline.used.bram_bits"), 140 * 36 * 1024);
    const int conv = static_cast<int>(value("workload.precision.layers.conv1.w_bits"));
    const int fc = static_cast<int>(value("workload.precision.layers.fc1.w_bits"));
    const int a = static_cast<int>(value("workload.precision.a_bits"));
    if (conv == fc && fc == a) uniform_latency[a] = value("pipeline.latency_cycles");
  }
  EXPECT_EQ(rows, 64);
  ASSERT_EQ(uniform_latency.size(), 4u);
  EXPECT_LT(uniform_latency[4], uniform_latency[8]);
  EXPECT_LT(uniform_latency[2], uniform_latency[4]);
  EXPECT_LE(uniform_latency[1], uniform_latency[2]);
  fs::remove_all(dir);
}

}  // namespace
