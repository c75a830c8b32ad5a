// edgesim sweep --slurm against a real one-node Slurm cluster (slurm-wlm and munge from
// Debian) that tests/slurm/run_slurm_test.sh starts on localhost. Needs root; skipped when not
// root or when the cluster cannot be started.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli_harness.h"
#include "sweep_test_util.h"

namespace fs = std::filesystem;

namespace {

TEST(SweepSlurm, ArrayJobAndMergeOnARealClusterMatchASingleMachineRun) {
  if (geteuid() != 0) GTEST_SKIP() << "starting slurmctld and slurmd needs root";
  const std::string dir = e2e::make_temp_dir("edgesim-slurm-sweep");
  e2e::write_file(dir + "/sweep.yaml", e2e::small_sweep());
  const std::string command = "bash '" + std::string(EDGESIM_SOURCE_DIR) +
                              "/tests/slurm/run_slurm_test.sh' '" + EDGESIM_BINARY + "' '" + dir +
                              "/sweep.yaml' 2 >'" + dir + "/log' 2>&1";
  const int status = std::system(command.c_str());
  const std::string log = e2e::read_file(dir + "/log");
  fs::remove_all(dir);
  ASSERT_TRUE(WIFEXITED(status)) << log;
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << log;
  EXPECT_EQ(WEXITSTATUS(status), 0) << log;
  EXPECT_NE(log.find("PASS: 4 points over 2 Slurm array tasks"), std::string::npos) << log;
}

}  // namespace
