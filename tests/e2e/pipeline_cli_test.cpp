// The pipelined platform from the command line: the built-in preset runs and reports its
// pipeline figures; on LeNet-5 at batch 1 it beats the systolic overlay of the same device
// class; fewer bits buy latency under a small budget; an infeasible budget is a result with a
// reason; bad pipeline keys and training schemes are one-line errors with exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "cli_harness.h"

namespace fs = std::filesystem;
using e2e::read_file;
using e2e::run_edgesim;

namespace {

/// A number field of summary.json (the first one with that key).
double json_number(const std::string& json, const std::string& key) {
  std::smatch match;
  const std::regex pattern("\"" + key + "\": (-?[0-9.eE+-]+)");
  if (!std::regex_search(json, match, pattern)) return -1;
  return std::stod(match[1]);
}

/// `"used": {"luts": L, "dsps": D, "bram_bits": B}` (or "budget").
std::vector<double> resources(const std::string& json, const std::string& which) {
  std::smatch match;
  const std::regex pattern(
      "\"" + which + "\": \\{\"luts\": ([0-9]+), \"dsps\": ([0-9]+), \"bram_bits\": ([0-9]+)\\}");
  if (!std::regex_search(json, match, pattern)) return {};
  return {std::stod(match[1]), std::stod(match[2]), std::stod(match[3])};
}

class PipelineCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-pipe"); }
  void TearDown() override { fs::remove_all(dir_); }
  /// Runs and returns summary.json (empty when the run failed).
  std::string run(const std::string& args, const std::string& name) {
    const auto r = run_edgesim("run -q " + args + " --out '" + dir_ + "/" + name + "'", dir_);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return read_file(dir_ + "/" + name + "/summary.json");
  }
  std::string dir_;
};

TEST_F(PipelineCli, PresetReportsConsistentPipelineFigures) {
  const std::string s =
      run("--platform ull_z7020 --workload lenet5 --set workload.batch=1 "
          "--set accelerator.pipeline.frames=4",
          "run");
  ASSERT_NE(s.find("\"feasible\": true"), std::string::npos) << s;
  ASSERT_NE(s.find("\"pipeline\": {\"device\": \"xc7z020\""), std::string::npos) << s;
  const double latency = json_number(s, "latency_cycles");
  const double interval = json_number(s, "interval_cycles");
  EXPECT_GT(latency, 0);
  EXPECT_GT(interval, 0);
  EXPECT_LE(interval, latency);
  EXPECT_EQ(json_number(s, "frames"), 4);
  // Throughput is the clock over the interval; the run is at least latency + 3 intervals.
  EXPECT_NEAR(json_number(s, "throughput_fps"), 200e6 / interval, 200e6 / interval * 1e-5);
  EXPECT_GE(json_number(s, "total_cycles"), latency + 3 * interval);
  EXPECT_NEAR(json_number(s, "latency_ns"), latency * 5, 1);
  const auto used = resources(s, "used");
  const auto budget = resources(s, "budget");
  ASSERT_EQ(used.size(), 3u);
  ASSERT_EQ(budget.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_LE(used[i], budget[i]) << i;
  EXPECT_EQ(budget[1], 220);  // xc7z020 DSP48E1 slices
  EXPECT_EQ(json_number(s, "dram_read_bytes"), 0);
  EXPECT_GT(json_number(s, "total"), 0);  // energy_pj.total
  // layers.csv: one row per stage with the pipeline columns.
  const std::string csv = read_file(dir_ + "/run/layers.csv");
  EXPECT_NE(csv.find(",pi,po,pk,pw,multipliers,"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);  // header + 5 stages
  // config.resolved.yaml records the pipeline section.
  EXPECT_NE(read_file(dir_ + "/run/config.resolved.yaml").find("fifo_depth_rows: 2"),
            std::string::npos);
}

TEST_F(PipelineCli, ResolvedConfigReproducesThePipelinedRun) {
  const std::string first =
      run("--platform ull_z7020 --workload lenet5 --set workload.batch=3 "
          "--set accelerator.pipeline.unroll.conv2.pk=5 --set workload.precision.w_bits=4",
          "a");
  const std::string again = run("--config '" + dir_ + "/a/config.resolved.yaml'", "b");
  for (const char* key : {"latency_cycles", "interval_cycles", "total_cycles", "frames", "pk"}) {
    EXPECT_EQ(json_number(first, key), json_number(again, key)) << key;
  }
  EXPECT_EQ(json_number(first, "frames"), 3);  // frames: 0 streams workload.batch
  EXPECT_NE(again.find("\"conv2\": {\"layer\": 3, \"fused\": \"relu2+pool2\", \"pi\""),
            std::string::npos)
      << again;
  EXPECT_NE(again.find("\"pk\": 5"), std::string::npos) << again;
}

TEST_F(PipelineCli, TracesShowEnginesAndFifosWithoutChangingTheRun) {
  const std::string args =
      "--platform ull_z7020 --workload lenet5 --set workload.batch=1 "
      "--set accelerator.pipeline.frames=3";
  const std::string plain = run(args, "plain");
  const std::string traced = run(args + " --vcd --set trace.timeline=true", "traced");
  for (const char* key : {"latency_cycles", "interval_cycles", "total_cycles"}) {
    EXPECT_EQ(json_number(plain, key), json_number(traced, key)) << key;
  }
  const std::string vcd = read_file(dir_ + "/traced/trace.vcd");
  for (const char* text : {"$scope module conv2 $end", "busy $end", "output_stalled $end",
                           "$scope module fifo1 $end", "occupancy_rows", "frames_done"}) {
    EXPECT_NE(vcd.find(text), std::string::npos) << text;
  }
  const std::string timeline = read_file(dir_ + "/traced/timeline.json");
  EXPECT_NE(timeline.find("top.fc1"), std::string::npos);
  EXPECT_NE(timeline.find("frame 2"), std::string::npos);
}

TEST_F(PipelineCli, PipelinedBatchOneLatencyBeatsTheSystolicOverlayOnLenet) {
  const std::string pipelined =
      run("--platform ull_z7020 --workload lenet5 --set workload.batch=1", "pipe");
  const std::string systolic =
      run("--platform fpga_systolic --workload lenet5 --set workload.batch=1", "sys");
  const double pipe_ns = json_number(pipelined, "latency_ns");
  const double sys_ns = json_number(systolic, "simulated_ns");
  ASSERT_GT(pipe_ns, 0);
  ASSERT_GT(sys_ns, 0);
  EXPECT_LT(pipe_ns * 2, sys_ns) << "pipelined " << pipe_ns << " ns, systolic " << sys_ns << " ns";
  // Same work on both.
  EXPECT_EQ(json_number(pipelined, "macs"), json_number(systolic, "macs"));
}

TEST_F(PipelineCli, FewerBitsBuyLatencyUnderASmallBudget) {
  const std::string budget =
      "--platform ull_z7020 --workload lenet5 --set workload.batch=1 "
      "--set accelerator.pipeline.device=custom --set accelerator.pipeline.budget_luts=4000 "
      "--set accelerator.pipeline.budget_dsps=20 --set accelerator.pipeline.budget_bram36=40 ";
  const std::string b8 = run(budget +
                                 "--set workload.precision.w_bits=8 "
                                 "--set workload.precision.a_bits=8",
                             "b8");
  const std::string b4 = run(budget +
                                 "--set workload.precision.w_bits=4 "
                                 "--set workload.precision.a_bits=4",
                             "b4");
  const std::string b2 = run(budget +
                                 "--set workload.precision.w_bits=2 "
                                 "--set workload.precision.a_bits=2",
                             "b2");
  const double l8 = json_number(b8, "latency_cycles");
  const double l4 = json_number(b4, "latency_cycles");
  const double l2 = json_number(b2, "latency_cycles");
  EXPECT_LT(l4, l8);
  EXPECT_LT(l2, l4);
  for (const auto* s : {&b8, &b4, &b2}) {
    const auto used = resources(*s, "used");
    ASSERT_EQ(used.size(), 3u);
    EXPECT_LE(used[0], 4000);
    EXPECT_LE(used[1], 20);
    EXPECT_LE(used[2], 40 * 36 * 1024);
  }
}

TEST_F(PipelineCli, InfeasibleBudgetIsAResultWithAReason) {
  const auto r = run_edgesim(
      "run --platform ull_z7020 --workload lenet5 --set accelerator.pipeline.device=custom "
      "--set accelerator.pipeline.budget_luts=50 --set accelerator.pipeline.budget_dsps=1 "
      "--set accelerator.pipeline.budget_bram36=2 --out '" +
          dir_ + "/inf'",
      dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("infeasible design point"), std::string::npos) << r.out;
  const std::string s = read_file(dir_ + "/inf/summary.json");
  EXPECT_NE(s.find("\"feasible\": false"), std::string::npos) << s;
  EXPECT_NE(s.find("exceeds the budget custom"), std::string::npos) << s;
}

TEST_F(PipelineCli, BadPipelineKeysAndTrainingSchemesAreOneLineErrors) {
  struct Case {
    std::string args, expected;
  };
  const std::vector<Case> cases = {
      {"--set accelerator.pipeline.fifo_depth=4", "accelerator.pipeline.fifo_depth"},
      {"--set accelerator.pipeline.fifo_depth_rows=0", "must be > 0"},
      {"--set accelerator.pipeline.device=xc9999", "accelerator.pipeline.device"},
      {"--set accelerator.pipeline.device=custom", "budget_luts: is required"},
      {"--set accelerator.pipeline.unroll.conv9.pi=2", "unroll.conv9"},
      {"--scheme qat", "must be inference with accelerator.type pipelined"},
      {"--report scalesim", "--report scalesim: needs a systolic accelerator"},
  };
  for (const auto& c : cases) {
    const auto r = run_edgesim(
        "run --platform ull_z7020 --workload lenet5 " + c.args + " --out '" + dir_ + "/bad'", dir_);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/bad")) << c.args;
    EXPECT_FALSE(fs::exists(dir_ + "/bad.incomplete")) << c.args;
  }
}

TEST_F(PipelineCli, UtilisationCountsMultipliersNotASystolicArray) {
  const std::string s =
      run("--platform ull_z7020 --workload lenet5 --set workload.batch=1 "
          "--set accelerator.pipeline.frames=4",
          "util");
  const double macs = json_number(s, "macs");
  const double cycles = json_number(s, "total_cycles");
  const double multipliers = json_number(s, "multipliers");
  ASSERT_GT(macs, 0);
  ASSERT_GT(multipliers, 0);
  EXPECT_NEAR(json_number(s, "pe_utilization"), macs / (cycles * multipliers), 1e-4);
  EXPECT_EQ(s.find("\"pe_rows\""), std::string::npos);
  // Each layers.csv row carries its stage's utilisation: above 0, at most 1.
  std::istringstream csv(read_file(dir_ + "/util/layers.csv"));
  std::string line, cell;
  std::getline(csv, line);
  std::size_t column = 0;
  for (std::istringstream header(line); std::getline(header, cell, ','); ++column) {
    if (cell == "pe_utilization") break;
  }
  int rows = 0;
  while (std::getline(csv, line)) {
    std::istringstream fields(line);
    for (std::size_t i = 0; i <= column; ++i) std::getline(fields, cell, ',');
    const double utilization = std::stod(cell);
    EXPECT_GT(utilization, 0.0) << line;
    EXPECT_LE(utilization, 1.0) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 5);  // conv1, conv2, fc1, fc2, fc3
}

}  // namespace
