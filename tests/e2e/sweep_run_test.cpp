// edgesim sweep end to end: every point in its own process, results files, failures as rows,
// resume after an interruption, shards merged, errors before anything runs.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli_harness.h"
#include "sweep_test_util.h"

namespace fs = std::filesystem;

namespace {

using e2e::read_file;
using e2e::run_edgesim;

class SweepRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = e2e::make_temp_dir("edgesim-sweep");
    unsetenv("EDGESIM_SWEEP_WORKER");
  }
  void TearDown() override {
    unsetenv("EDGESIM_SWEEP_WORKER");
    fs::remove_all(dir_);
  }
  std::string write_sweep(const std::string& text, const std::string& name = "sweep.yaml") {
    e2e::write_file(dir_ + "/" + name, text);
    return dir_ + "/" + name;
  }
  /// A worker script that runs the real binary after a shell snippet.
  void use_worker(const std::string& snippet) {
    const std::string path = dir_ + "/worker.sh";
    e2e::write_file(
        path, "#!/bin/bash\n" + snippet + "\nexec '" + std::string(EDGESIM_BINARY) + "' \"$@\"\n");
    fs::permissions(path, fs::perms::owner_all);
    setenv("EDGESIM_SWEEP_WORKER", path.c_str(), 1);
  }
  std::string dir_;
};

TEST_F(SweepRun, RunsEveryPointInItsOwnProcessAndWritesResults) {
  const std::string file = write_sweep(e2e::small_sweep());
  const auto r =
      run_edgesim("sweep '" + file + "' --jobs 2 --no-progress --out '" + dir_ + "/out'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 points (4 run, 0 reused"), std::string::npos) << r.out;
  const std::string csv = read_file(dir_ + "/out/results.csv");
  EXPECT_EQ(
      csv.substr(0, csv.find('\n'))
          .rfind("point,status,reason,config_hash,wall_seconds,accelerator.pe_array.rows,"
                 "accelerator.pe_array.cols,accelerator.pe_array.dataflow,total_cycles,pe_count,",
                 0),
      0u)
      << csv.substr(0, 300);
  EXPECT_EQ(e2e::count_lines(csv), 5u);
  EXPECT_NE(csv.find("\n3,ok,,"), std::string::npos);
  EXPECT_EQ(e2e::count_lines(read_file(dir_ + "/out/results.jsonl")), 4u);
  for (const char* p : {"p000000", "p000001", "p000002", "p000003"}) {
    EXPECT_TRUE(fs::exists(dir_ + "/out/points/" + p + "/summary.json")) << p;
  }
  // The bigger array is faster, the smaller one cheaper: both are on the front.
  const std::string pareto = read_file(dir_ + "/out/pareto.csv");
  EXPECT_GE(e2e::count_lines(pareto), 3u) << pareto;
  EXPECT_NE(read_file(dir_ + "/out/sweep.json").find("\"complete\": true"), std::string::npos);
}

TEST_F(SweepRun, InfeasibleCrashedAndHungPointsAreRowsAndTheSweepGoesOn) {
  const std::string file = write_sweep(
      "base: {platform: edge_npu, workload: tiny_cnn}\n"
      "axes:\n"
      "  - {key: accelerator.sram.ifmap_bytes, values: [65536, 16]}\n"
      "  - {key: accelerator.pe_array.dataflow, values: [os, ws, is]}\n");
  // ws with the big buffer crashes, is with the big buffer hangs.
  use_worker(
      "args=\"$*\"\n"
      "case \"$args\" in *ifmap_bytes=65536*dataflow=ws*) kill -SEGV $$ ;; esac\n"
      "case \"$args\" in *ifmap_bytes=65536*dataflow=is*) sleep 30 ;; esac");
  const auto r = run_edgesim("sweep '" + file +
                             "' --jobs 2 --timeout-per-point 1 --no-progress "
                             "--out '" +
                             dir_ + "/out'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(dir_ + "/out/results.csv");
  EXPECT_NE(csv.find("\n0,ok,,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n1,crashed,killed by signal 11"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\n2,timeout,exceeded --timeout-per-point 1 s"), std::string::npos) << csv;
  for (const char* p : {"\n3,infeasible,", "\n4,infeasible,", "\n5,infeasible,"}) {
    EXPECT_NE(csv.find(p), std::string::npos) << p << csv;
  }
  EXPECT_NE(csv.find("does not fit on chip"), std::string::npos);
  EXPECT_NE(r.out.find("3 infeasible, 2 failed"), std::string::npos) << r.out;
}

TEST_F(SweepRun, InterruptedSweepResumesToTheSameResults) {
  const std::string file = write_sweep(e2e::small_sweep());
  auto full = run_edgesim("sweep '" + file + "' --no-progress --out '" + dir_ + "/full'");
  ASSERT_EQ(full.exit_code, 0) << full.err;

  // Slow points so the interruption lands in the middle.
  use_worker("sleep 0.3");
  const std::string out = dir_ + "/cut";
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execl(EDGESIM_BINARY, EDGESIM_BINARY, "sweep", file.c_str(), "--jobs", "1", "--no-progress",
          "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (e2e::count_lines(read_file(out + "/results.jsonl")) < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const std::size_t kept = e2e::count_lines(read_file(out + "/results.jsonl"));
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 4u);
  EXPECT_NE(read_file(out + "/sweep.json").find("\"complete\": false"), std::string::npos);
  EXPECT_FALSE(fs::exists(out + "/points/p000003"));

  unsetenv("EDGESIM_SWEEP_WORKER");
  const auto resumed =
      run_edgesim("sweep '" + file + "' --no-progress --resume --out '" + out + "'");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(
      resumed.out.find(std::to_string(4 - kept) + " run, " + std::to_string(kept) + " reused"),
      std::string::npos)
      << resumed.out;
  EXPECT_EQ(e2e::csv_without_wall_time(out + "/results.csv"),
            e2e::csv_without_wall_time(dir_ + "/full/results.csv"));
  EXPECT_EQ(read_file(out + "/pareto.csv").size() > 0, true);
  EXPECT_EQ(e2e::csv_without_wall_time(out + "/pareto.csv"),
            e2e::csv_without_wall_time(dir_ + "/full/pareto.csv"));
}

TEST_F(SweepRun, ResumeRerunsOnlyPointsWithoutARecordedRow) {
  const std::string file = write_sweep(e2e::small_sweep());
  const std::string out = dir_ + "/out";
  ASSERT_EQ(run_edgesim("sweep '" + file + "' --no-progress --out '" + out + "'").exit_code, 0);
  const std::string before = e2e::csv_without_wall_time(out + "/results.csv");
  // Keep the first and last rows only, as if the sweep had been killed (-9) mid-way.
  std::istringstream in(read_file(out + "/results.jsonl"));
  std::string line, kept;
  for (int i = 0; std::getline(in, line); ++i) {
    if (i == 0 || i == 3) kept += line + "\n";
  }
  e2e::write_file(out + "/results.jsonl", kept + "{\"point\": 1, \"sta");
  const auto r = run_edgesim("sweep '" + file + "' --no-progress --resume --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 points (2 run, 2 reused"), std::string::npos) << r.out;
  EXPECT_EQ(e2e::csv_without_wall_time(out + "/results.csv"), before);
}

TEST_F(SweepRun, ShardsMergeToTheSingleMachineResults) {
  const std::string file = write_sweep(e2e::small_sweep());
  ASSERT_EQ(run_edgesim("sweep '" + file + "' --no-progress --out '" + dir_ + "/single'").exit_code,
            0);
  for (int s = 0; s < 3; ++s) {
    const auto r = run_edgesim("sweep '" + file + "' --no-progress --shard " + std::to_string(s) +
                               "/3 --out '" + dir_ + "/x/shards/shard-" + std::to_string(s) + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto merged = run_edgesim("sweep merge '" + dir_ + "/x/shards/shard-2' '" + dir_ +
                                  "/x/shards/shard-0' '" + dir_ + "/x/shards/shard-1'");
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  for (const char* f : {"/results.csv", "/pareto.csv"}) {
    EXPECT_EQ(e2e::csv_without_wall_time(dir_ + "/x" + f),
              e2e::csv_without_wall_time(dir_ + "/single" + f))
        << f;
  }
  const auto missing =
      run_edgesim("sweep merge '" + dir_ + "/x/shards/shard-0' --out '" + dir_ + "/m'");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("shards missing: 1/3, 2/3"), std::string::npos) << missing.err;
}

TEST_F(SweepRun, InvalidCombinationOfValuesIsAnErrorRowThatResumeKeeps) {
  // Each value is valid alone; functional checking with 4-bit weights is not.
  const std::string file = write_sweep(
      "base: {platform: edge_npu, workload: tiny_cnn}\n"
      "axes:\n"
      "  - {key: sim.functional, values: [false, true]}\n"
      "  - {key: workload.precision.w_bits, values: [8, 4]}\n");
  const std::string out = dir_ + "/out";
  const auto r = run_edgesim("sweep '" + file + "' --no-progress --out '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_file(out + "/results.csv");
  EXPECT_NE(csv.find("\n3,error,\"--set: sim.functional: needs int8 weights"), std::string::npos)
      << csv;
  for (const char* p : {"\n0,ok,", "\n1,ok,", "\n2,ok,"}) EXPECT_NE(csv.find(p), std::string::npos);
  const std::string before = e2e::csv_without_wall_time(out + "/results.csv");
  const auto again = run_edgesim("sweep '" + file + "' --no-progress --resume --out '" + out + "'");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("4 points (0 run, 4 reused"), std::string::npos) << again.out;
  EXPECT_EQ(e2e::csv_without_wall_time(out + "/results.csv"), before);
}

TEST_F(SweepRun, SweepFileErrorsAreOneLineAndNothingRuns) {
  const std::string file = write_sweep(
      "base: {platform: edge_npu, workload: tiny_cnn}\n"
      "axes:\n"
      "  - {key: accelerator.pe_array.rowz, values: [4, 8]}\n");
  const auto r = run_edgesim("sweep '" + file + "' --out '" + dir_ + "/out'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(e2e::count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("sweep.yaml:3:11: axes[0].key:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("did you mean 'rows'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/out"));

  const std::string bad_workload = write_sweep(
      "base: {platform: edge_npu, workload: tiny_cnm}\naxes:\n"
      "  - {key: accelerator.pe_array.rows, values: [4]}\n",
      "bad.yaml");
  const auto w = run_edgesim("sweep '" + bad_workload + "' --out '" + dir_ + "/out'");
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_NE(w.err.find("did you mean 'tiny_cnn'"), std::string::npos) << w.err;
}

TEST_F(SweepRun, UsedOutputDirectoryNeedsResume) {
  const std::string file = write_sweep(e2e::small_sweep());
  fs::create_directories(dir_ + "/out");
  e2e::write_file(dir_ + "/out/x", "x");
  const auto r = run_edgesim("sweep '" + file + "' --out '" + dir_ + "/out'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--resume"), std::string::npos) << r.err;
}

TEST_F(SweepRun, ListShowsTheShardsPointsWithoutRunning) {
  const std::string file = write_sweep(e2e::small_sweep());
  const auto r = run_edgesim("sweep '" + file + "' --list --shard 1/2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "1 accelerator.pe_array.rows=4 accelerator.pe_array.cols=4 "
            "accelerator.pe_array.dataflow=ws\n"
            "3 accelerator.pe_array.rows=8 accelerator.pe_array.cols=8 "
            "accelerator.pe_array.dataflow=ws\n");
}

TEST_F(SweepRun, SlurmDryRunWritesTheArrayAndMergeScripts) {
  const std::string file = write_sweep(e2e::small_sweep());
  const auto r = run_edgesim("sweep '" + file +
                             "' --slurm --dry-run --shards 2 --slurm-opts "
                             "'--partition=debug --time=00:10:00' --out '" +
                             dir_ + "/out'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string array = read_file(dir_ + "/out/slurm/sweep.sbatch");
  EXPECT_NE(array.find("#SBATCH --array=0-1\n"), std::string::npos) << array;
  EXPECT_NE(array.find("#SBATCH --partition=debug\n#SBATCH --time=00:10:00\n"), std::string::npos);
  EXPECT_NE(array.find(" sweep " + file + " --shard \"$shard/2\""), std::string::npos) << array;
  const std::string merge = read_file(dir_ + "/out/slurm/merge.sbatch");
  EXPECT_NE(merge.find(" sweep merge "), std::string::npos) << merge;
  EXPECT_NE(r.out.find("sbatch --dependency=afterany:$jobid"), std::string::npos) << r.out;
}

}  // namespace
