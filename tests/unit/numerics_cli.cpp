// `edgesim train` driven as a user would: exit codes, error lines and the three output files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "workloads/quant/schedule.h"

namespace {

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr
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

}  // namespace

TEST(TrainCli, HelpExplainsTheOptionsWithAnExample) {
  const auto run = run_edgesim("train --help");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  for (const char* text : {"--model", "--scheme", "--epochs", "--batch", "--lr", "--seed",
                           "--train-subset", "--data-dir", "--out", "--rct-t-min", "--rct-k",
                           "Examples:", "edgesim train --model mlp --scheme fp32"})
    EXPECT_NE(run.output.find(text), std::string::npos) << text;
}

TEST(TrainCli, BadOptionsExitWithCodeTwoAndOneLine) {
  const auto run = run_edgesim("train --epochs -3");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.output.find("--epochs: must be in [1, 100000], got -3"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find('\n'), run.output.size() - 1) << run.output;
  const auto scheme = run_edgesim("train --scheme int4");
  EXPECT_EQ(scheme.exit_code, 2);
  EXPECT_NE(scheme.output.find("--scheme: must be one of fp32, qat, rct, got int4"),
            std::string::npos);
  const auto missing = run_edgesim("train --data-dir /nonexistent-edgesim-data");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("install the Debian package dataset-fashion-mnist"),
            std::string::npos)
      << missing.output;
}

TEST(TrainCli, WritesMetricsScheduleAndSummary) {
  const auto out = std::filesystem::path(::testing::TempDir()) / "edgesim_numerics_cli";
  std::filesystem::remove_all(out);
  const auto run = run_edgesim(
      "train --model mlp --scheme rct --epochs 2 --train-subset 640 "
      "--test-subset 200 --rct-k 4 --out " +
      out.string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("epoch 2/2"), std::string::npos) << run.output;
  const auto metrics = read_text(out / "metrics.csv");
  EXPECT_EQ(metrics.rfind("epoch,iterations,lr,train_loss", 0), 0u) << metrics;
  EXPECT_NE(metrics.find("\n2,20,"), std::string::npos) << metrics;
  const auto schedule = workloads::quant::read_schedule_csv((out / "schedule.csv").string());
  EXPECT_EQ(schedule.layer_count(), 2u);
  EXPECT_EQ(schedule.iteration_count(), 20u);
  EXPECT_EQ(schedule.rows.size(), 2u * 5);
  const auto summary = read_text(out / "summary.json");
  EXPECT_NE(summary.find("\"scheme\": \"rct\""), std::string::npos);
  EXPECT_NE(summary.find("\"param_memory_bits\": "), std::string::npos);
  std::filesystem::remove_all(out);
}
