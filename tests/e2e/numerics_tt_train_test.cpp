// `edgesim train --model tt_mlp` driven as a user would: help, the three outputs, determinism
// for a seed, and one-line errors with exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace fs = std::filesystem;
using e2e::run_edgesim;

namespace {

constexpr const char* kSmallRun =
    "train --model tt_mlp --epochs 2 --train-subset 640 --test-subset 200 --prune-every 4 "
    "--prior-strength 20 --prune-threshold 0.3";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

class TtTrainCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-tt"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(TtTrainCli, HelpExplainsTheTensorisedOptions) {
  const auto r = run_edgesim("train --model tt_mlp --help");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* text : {"--precision", "fixed8", "--max-rank", "--prior", "half_cauchy",
                           "--prior-strength", "--prune-threshold", "--prune-every", "Examples:",
                           "edgesim train --model tt_mlp --precision fp32", "rank_schedule.csv"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
  // The --model=VALUE spelling reaches the same command.
  const auto joined = run_edgesim("train --model=tt_mlp --help");
  EXPECT_EQ(joined.exit_code, 0) << joined.err;
  EXPECT_NE(joined.out.find("--prune-threshold"), std::string::npos) << joined.out;
}

TEST_F(TtTrainCli, WritesMetricsRankScheduleAndSummaryAndIsDeterministicForASeed) {
  const auto a = run_edgesim(std::string(kSmallRun) + " --seed 3 --out a", dir_);
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("epoch 2/2"), std::string::npos) << a.out;
  for (const char* name : {"metrics.csv", "rank_schedule.csv", "summary.json"})
    EXPECT_TRUE(fs::exists(dir_ + "/a/" + name)) << name;
  const auto metrics = lines_of(e2e::read_file(dir_ + "/a/metrics.csv"));
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[0].rfind("epoch,iterations,lr,train_loss,train_accuracy,test_loss,"
                             "test_accuracy,prior_penalty,fc1_ranks,fc2_ranks,fc1_variance_spread,"
                             "fc2_variance_spread,tt_parameters",
                             0),
            0u)
      << metrics[0];
  EXPECT_EQ(metrics[2].rfind("2,20,", 0), 0u) << metrics[2];  // 640 / 64 = 10 per epoch
  const auto schedule = lines_of(e2e::read_file(dir_ + "/a/rank_schedule.csv"));
  ASSERT_GE(schedule.size(), 3u);
  EXPECT_EQ(schedule[0], "layer,layer_name,iter_begin,iter_end,m,n,ranks,parameters");
  EXPECT_EQ(schedule[1].rfind("0,fc1,0,", 0), 0u) << schedule[1];
  EXPECT_NE(schedule[1].find(",4;4;8;4,4;7;4;7,1;20;20;20;1,24880"), std::string::npos)
      << schedule[1];
  const auto summary = e2e::read_file(dir_ + "/a/summary.json");
  EXPECT_NE(summary.find("\"model\": \"tt_mlp\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"dense_parameters\": 406528"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"iterations\": 20"), std::string::npos) << summary;

  // The same seed gives byte-identical outputs; another seed does not.
  const auto b = run_edgesim(std::string(kSmallRun) + " --seed 3 --out b", dir_);
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(e2e::read_file(dir_ + "/a/metrics.csv"), e2e::read_file(dir_ + "/b/metrics.csv"));
  EXPECT_EQ(e2e::read_file(dir_ + "/a/rank_schedule.csv"),
            e2e::read_file(dir_ + "/b/rank_schedule.csv"));
  const auto c = run_edgesim(std::string(kSmallRun) + " --seed 4 --out c", dir_);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(e2e::read_file(dir_ + "/a/metrics.csv"), e2e::read_file(dir_ + "/c/metrics.csv"));
}

TEST_F(TtTrainCli, BadOptionsExitWithCodeTwoAndOneLine) {
  const std::pair<const char*, const char*> cases[] = {
      {"--precision int4", "--precision: must be one of fp32, fixed8, got int4"},
      {"--prior gaussian", "--prior: must be one of log_uniform, half_cauchy, got gaussian"},
      {"--prune-threshold 1.5", "--prune-threshold: must be in [0, 1) (0 = never prune), got 1.5"},
      {"--max-rank 0", "--max-rank: must be in [1, 64], got 0"},
      {"--prune-every -2", "--prune-every: must be in [1, 2147483648], got -2"},
      {"--half-cauchy-scale 0", "--half-cauchy-scale: must be > 0, got 0"},
      {"--rct-k 5", "unrecognised option '--rct-k'"},
      {"--data-dir /nonexistent-edgesim-data", "install the Debian package dataset-fashion-mnist"},
      {"--train-subset 300 --validation 300",
       "--validation: must be between 1 and 299 (fewer than the training images loaded), got "
       "300"},
  };
  for (const auto& [option, message] : cases) {
    const auto r = run_edgesim(std::string("train --model tt_mlp ") + option + " --out run", dir_);
    EXPECT_EQ(r.exit_code, 2) << option << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir_ + "/run")) << option;
  }
}

TEST_F(TtTrainCli, ValidationHoldsOutTheLastTrainingImagesInsteadOfTheTestSet) {
  const auto r = run_edgesim(std::string(kSmallRun) + " --validation 140 --out v", dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string summary = e2e::read_file(dir_ + "/v/summary.json");
  EXPECT_NE(summary.find("\"train_samples\": 500,"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"test_samples\": 140,"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\"evaluated_on\": \"validation\""), std::string::npos) << summary;
  EXPECT_NE(r.out.find("val_acc"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("test_acc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("final validation accuracy"), std::string::npos) << r.out;
  // Without --validation the run is evaluated on the test set.
  const auto t = run_edgesim(std::string(kSmallRun) + " --out t", dir_);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(e2e::read_file(dir_ + "/t/summary.json").find("\"evaluated_on\": \"test\""),
            std::string::npos);
}

}  // namespace
