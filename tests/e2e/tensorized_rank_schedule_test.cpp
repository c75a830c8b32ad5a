// `edgesim run --rank-schedule`: ranges of identical ranks simulated once and counted, with
// memory, traffic and energy per iteration falling as the ranks shrink; schedules that do not
// match the workload exit 2 with one line.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

const std::string kSchedule =
    std::string(EDGESIM_SOURCE_DIR) + "/examples/tensorized/mlp_rank_schedule.csv";

long long json_int(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\": (-?[0-9]+)"))) return -1;
  return std::stoll(match[1]);
}

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream l(line);
    for (std::string f; std::getline(l, f, ',');) fields.push_back(f);
    rows.push_back(fields);
  }
  return rows;
}

std::size_t column(const std::vector<std::string>& header, const std::string& name) {
  return std::find(header.begin(), header.end(), name) - header.begin();
}

class RankSchedule : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-rank"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RankSchedule, RangesAreSimulatedOnceAndFiguresFallAsRanksShrink) {
  const auto r = e2e::run_edgesim(
      "run --workload tt_mlp --scheme fp32 --set workload.batch=4 "
      "--rank-schedule '" +
      kSchedule + "' --out '" + dir_ + "/rs'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rank phases    4 ranges"), std::string::npos) << r.out;
  const std::string summary = e2e::read_file(dir_ + "/rs/summary.json");
  EXPECT_EQ(json_int(summary, "iterations"), 600);
  EXPECT_EQ(json_int(summary, "simulated_phases"), 4);
  const auto rows = csv_rows(e2e::read_file(dir_ + "/rs/phases.csv"));
  ASSERT_EQ(rows.size(), 5u);
  const auto& h = rows[0];
  // fc1 20 -> 12 -> 6 at iterations 200 and 400, fc2 20 -> 8 at 300: four ranges.
  const std::vector<long long> first = {0, 200, 300, 400}, count = {200, 100, 100, 200};
  // fp32 parameters and momentum: 8 bytes per TT parameter of both layers.
  const std::vector<long long> params = {24880 + 3840, 9168 + 3840, 9168 + 1536, 2424 + 1536};
  long long macs_total = 0, iterations = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& row = rows[i];
    EXPECT_EQ(std::stoll(row[column(h, "first_iteration")]), first[i - 1]);
    EXPECT_EQ(std::stoll(row[column(h, "iterations")]), count[i - 1]);
    EXPECT_EQ(std::stoll(row[column(h, "param_memory_bytes")]), params[i - 1] * 8);
    macs_total += std::stoll(row[column(h, "macs")]) * count[i - 1];
    iterations += count[i - 1];
    if (i == 1) continue;
    const auto& before = rows[i - 1];
    for (const char* falling :
         {"intermediate_memory_bytes", "macs", "dram_read_bytes", "dram_write_bytes", "cycles"}) {
      EXPECT_LT(std::stoll(row[column(h, falling)]), std::stoll(before[column(h, falling)]))
          << falling << " in phase " << i - 1;
    }
    EXPECT_LT(std::stod(row[column(h, "energy_pj")]), std::stod(before[column(h, "energy_pj")]));
  }
  EXPECT_EQ(iterations, 600);
  // The run's totals are every range's iteration counted.
  EXPECT_EQ(json_int(summary, "macs"), macs_total);
  EXPECT_NE(rows[4][column(h, "ranks")].find("fc1=1;6;6;6;1 fc2=1;8;1"), std::string::npos);
}

TEST_F(RankSchedule, RctSplitsAtRankAndBitwidthBoundariesAlike) {
  const auto r = e2e::run_edgesim(
      "run -q --workload tt_mlp --scheme rct --set workload.batch=2 --set "
      "training.iterations=600 --rank-schedule '" +
      kSchedule + "' --out '" + dir_ + "/rct'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = csv_rows(e2e::read_file(dir_ + "/rct/phases.csv"));
  ASSERT_GE(rows.size(), 5u);
  const auto& h = rows[0];
  std::set<long long> starts;
  long long covered = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    starts.insert(std::stoll(rows[i][column(h, "first_iteration")]));
    covered += std::stoll(rows[i][column(h, "iterations")]);
  }
  EXPECT_EQ(covered, 600);
  // Every rank boundary is a phase boundary, whatever the widths do.
  for (const long long b : {0, 200, 300, 400}) EXPECT_EQ(starts.count(b), 1u) << b;
  const std::string summary = e2e::read_file(dir_ + "/rct/summary.json");
  EXPECT_EQ(json_int(summary, "simulated_phases"), static_cast<long long>(rows.size() - 1));
  // training.iterations must agree with the schedule.
  const auto bad = e2e::run_edgesim(
      "run -q --workload tt_mlp --set training.iterations=100 "
      "--rank-schedule '" +
      kSchedule + "' --out '" + dir_ + "/bad'");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("training.iterations: must equal the 600 iterations"), std::string::npos)
      << bad.err;
}

TEST_F(RankSchedule, ScheduleMustMatchTheWorkloadsFactors) {
  std::string text = e2e::read_file(kSchedule);
  ASSERT_FALSE(text.empty());
  const std::string wrong = std::regex_replace(text, std::regex("2;5,16;32"), "5;2,32;16");
  e2e::write_file(dir_ + "/wrong.csv", wrong);
  const auto r = e2e::run_edgesim("run -q --workload tt_mlp --rank-schedule '" + dir_ +
                                  "/wrong.csv' --out '" + dir_ + "/w'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("wrong.csv: layer 'fc2': m and n must match the workload's tensorize "
                       "factors m=2;5 n=16;32, got m=5;2 n=32;16"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/w"));
  // The dense MLP has no ttm layers to schedule.
  const auto dense = e2e::run_edgesim("run -q --workload mlp --rank-schedule '" + kSchedule +
                                      "' --out '" + dir_ + "/d'");
  EXPECT_EQ(dense.exit_code, 2);
  EXPECT_NE(dense.err.find("must name a ttm layer"), std::string::npos) << dense.err;
  // Ranks above the workload's max_rank.
  const auto capped = e2e::run_edgesim(
      "run -q --workload tt_mlp --set workload.tensorize.fc1.max_rank=16 "
      "--set workload.tensorize.fc1.rank=16 --rank-schedule '" +
      kSchedule + "' --out '" + dir_ + "/c'");
  EXPECT_EQ(capped.exit_code, 2);
  EXPECT_NE(capped.err.find("must not exceed its max_rank 16"), std::string::npos) << capped.err;
}

}  // namespace
