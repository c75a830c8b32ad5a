// `edgesim train --model tt_mlp` outputs read back with the project's readers: the rank schedule
// parses with read_rank_schedule_csv and agrees with summary.json and metrics.csv.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "workloads/network/rank_schedule.h"

namespace {

struct Run {
  int exit_code = -1;
  std::string output;
};

Run run_edgesim(const std::string& arguments) {
  const std::string command = std::string(EDGESIM_BINARY) + " " + arguments + " 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  char buffer[4096];
  std::size_t got = 0;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, got);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The integer after "key": in the JSON object that starts at `from`.
std::uint64_t json_integer(const std::string& json, const std::string& key, std::size_t from = 0) {
  const std::string needle = "\"" + key + "\": ";
  const auto at = json.find(needle, from);
  EXPECT_NE(at, std::string::npos) << key;
  if (at == std::string::npos) return 0;
  return std::stoull(json.substr(at + needle.size()));
}

void check_run(const std::string& precision) {
  const auto out = std::filesystem::path(::testing::TempDir()) / ("edgesim_tt_cli_" + precision);
  std::filesystem::remove_all(out);
  const auto run = run_edgesim(
      "train --model tt_mlp --precision " + precision +
      " --epochs 2 --train-subset 640 --test-subset 200 --prune-every 4 --prior-strength 20 "
      "--prune-threshold 0.3 --out " +
      out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto schedule = workloads::read_rank_schedule_csv((out / "rank_schedule.csv").string());
  const auto summary = read_text(out / "summary.json");
  EXPECT_NE(summary.find("\"precision\": \"" + precision + "\""), std::string::npos) << summary;
  EXPECT_EQ(schedule.layer_count(), 2u);
  EXPECT_EQ(schedule.iteration_count(), json_integer(summary, "iterations"));
  EXPECT_EQ(schedule.iteration_count(), 20u);
  // Each layer: first row at the initial ranks, last row = the summary's final parameters.
  std::uint64_t final_total = 0;
  for (const char* name : {"fc1", "fc2"}) {
    const auto* first = schedule.find(name, 0);
    const auto* last = schedule.find(name, schedule.iteration_count() - 1);
    ASSERT_TRUE(first && last) << name;
    const auto layer_at = summary.find(std::string("{\"name\": \"") + name + "\"");
    ASSERT_NE(layer_at, std::string::npos) << name;
    EXPECT_EQ(first->parameters, json_integer(summary, "initial_parameters", layer_at)) << name;
    EXPECT_EQ(last->parameters, json_integer(summary, "tt_parameters", layer_at)) << name;
    final_total += last->parameters;
  }
  EXPECT_EQ(schedule.find("fc1", 0)->m, (std::vector<std::uint32_t>{4, 4, 8, 4}));
  EXPECT_EQ(schedule.find("fc2", 0)->n, (std::vector<std::uint32_t>{16, 32}));
  EXPECT_EQ(final_total, json_integer(summary, "tt_parameters"));
  EXPECT_EQ(json_integer(summary, "initial_tt_parameters"), 24880u + 3840u);
  // The strong prior and high threshold prune within 20 iterations: the schedule records it.
  EXPECT_LT(final_total, 24880u + 3840u);
  EXPECT_GT(schedule.rows.size(), 2u);
  EXPECT_GE(schedule.constant_rank_ranges().size(), 2u);
  // metrics.csv's last line names the final ranks and parameters.
  const auto metrics = read_text(out / "metrics.csv");
  const auto last_line = metrics.substr(metrics.rfind('\n', metrics.size() - 2) + 1);
  const auto& fc1_last = *schedule.find("fc1", schedule.iteration_count() - 1);
  const auto& fc2_last = *schedule.find("fc2", schedule.iteration_count() - 1);
  EXPECT_NE(last_line.find("," + workloads::join_factors(fc1_last.ranks) + "," +
                           workloads::join_factors(fc2_last.ranks) + ","),
            std::string::npos)
      << last_line;
  EXPECT_NE(last_line.find("," + std::to_string(final_total) + ",406528,"), std::string::npos)
      << last_line;
}

TEST(TtTrainCli, Fp32RankScheduleParsesAndMatchesTheSummary) { check_run("fp32"); }

TEST(TtTrainCli, Fixed8RankScheduleParsesAndMatchesTheSummary) { check_run("fixed8"); }

}  // namespace
