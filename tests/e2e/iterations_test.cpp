// Runs over many iterations: identical iterations are simulated once and counted; an RCT run's
// schedule fed back reproduces it.
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

class Iterations : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-it"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string run(const std::string& args, const std::string& name) {
    const auto r = e2e::run_edgesim("run -q --workload mlp --set workload.batch=8 " + args +
                                    " --out '" + dir_ + "/" + name + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return e2e::read_file(dir_ + "/" + name + "/summary.json");
  }
  std::string dir_;
};

TEST_F(Iterations, IdenticalIterationsAreCountedNotResimulated) {
  const auto one = run("--scheme qat", "one");
  const auto three = run("--scheme qat --set training.iterations=3", "three");
  EXPECT_EQ(json_int(three, "simulated_phases"), 1);
  EXPECT_EQ(json_int(three, "iterations"), 3);
  for (const char* key : {"total_cycles", "macs", "dram_read_bytes", "sram_write_bytes"}) {
    EXPECT_EQ(json_int(three, key), 3 * json_int(one, key)) << key;
  }
}

TEST_F(Iterations, RctPolicyPhasesAndTheirScheduleReproduceTheRun) {
  const auto policy =
      run("--scheme rct --set training.iterations=600 "
          "--set training.rct_policy.k_iterations=100",
          "policy");
  EXPECT_GT(json_int(policy, "simulated_phases"), 1);
  const std::string schedule = dir_ + "/policy/schedule.csv";
  ASSERT_TRUE(fs::exists(schedule));
  const auto replay = run("--scheme rct --bitwidth-schedule '" + schedule + "'", "replay");
  EXPECT_EQ(json_int(replay, "iterations"), 600);
  EXPECT_EQ(json_int(replay, "total_cycles"), json_int(policy, "total_cycles"));
  EXPECT_EQ(json_int(replay, "dram_read_bytes"), json_int(policy, "dram_read_bytes"));
}

}  // namespace
