// Sweep results: rows, the append-only journal, Pareto fronts, results files, merging shards,
// the HTML report and the Slurm scripts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/sweep/json.h"
#include "sim/sweep/report_html.h"
#include "sim/sweep/results.h"
#include "sim/sweep/slurm.h"

namespace fs = std::filesystem;

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sweep-unit-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string num(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

sweep::Row make_row(std::uint64_t point, double cycles, double energy,
                    const std::string& status = "ok") {
  sweep::Row row;
  row.point = point;
  row.status = status;
  row.config_hash = sweep::hash_text(std::to_string(point));
  row.wall_seconds = 0.5;
  row.params = {{"rows", std::to_string(8 << point % 3)}, {"dataflow", point % 2 ? "os" : "ws"}};
  if (status == "ok") {
    row.figures = {{"feasible", sweep::scalar_from_text("true")},
                   {"total_cycles", sweep::scalar_from_text(num(cycles))},
                   {"dram_read_bytes", sweep::scalar_from_text(num(energy))}};
  } else {
    row.reason = "exit code 3";
  }
  return row;
}

sweep::SweepMeta make_meta(std::uint64_t points, sweep::Shard shard = {}) {
  sweep::SweepMeta meta;
  meta.sweep_id = "abc";
  meta.sweep_file = "s.yaml";
  meta.space_size = points;
  meta.shard = shard;
  meta.points = points;
  meta.complete = true;
  meta.axis_keys = {"rows", "dataflow"};
  meta.axis_log = {true, false};
  meta.objectives = {{"total_cycles", true, ""}, {"dram_read_bytes", true, ""}};
  return meta;
}

// Points 0..9 with a known front: cycles = 10 - i, bytes = i * i (every point is a trade-off)
// except odd points, which are made worse in bytes than their even neighbours (point 9 keeps
// the fewest cycles, so it stays on the front).
std::vector<sweep::Row> sample_rows() {
  std::vector<sweep::Row> rows;
  for (std::uint64_t i = 0; i < 10; ++i) {
    const double cycles = 10.0 - static_cast<double>(i);
    const double bytes = static_cast<double>(i * i) + (i % 2 ? 50.0 : 0.0);
    rows.push_back(make_row(i, cycles, bytes, i == 7 ? "crashed" : "ok"));
  }
  return rows;
}

TEST(SweepJson, ParsesAndWritesBackSummaryStyleDocuments) {
  const auto v = sweep::parse_json(
      R"({"feasible": true, "reason": "a \"b\"\n", "x": -1.5e3, "counters": {"top.dram.hits": 7}})");
  ASSERT_NE(v.find("x"), nullptr);
  EXPECT_EQ(v.find("x")->text, "-1.5e3");
  EXPECT_EQ(v.find("reason")->text, "a \"b\"\n");
  std::vector<std::pair<std::string, sweep::JsonValue>> flat;
  sweep::flatten_json(v, "", flat);
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[3].first, "counters.top.dram.hits");
  EXPECT_EQ(sweep::parse_json(sweep::to_json(v)).find("reason")->text, "a \"b\"\n");
  EXPECT_THROW(sweep::parse_json("{\"a\": }"), std::runtime_error);
}

TEST(SweepRow, RoundTripsThroughJsonl) {
  const sweep::Row row = make_row(3, 1234, 99);
  const sweep::Row back = sweep::row_from_json(sweep::row_to_json(row));
  EXPECT_EQ(back.point, 3u);
  EXPECT_EQ(back.params, row.params);
  ASSERT_NE(back.figure("total_cycles"), nullptr);
  EXPECT_EQ(back.figure("total_cycles")->text, "1234");
  EXPECT_TRUE(back.figure("total_cycles")->is_number());
}

TEST(SweepRow, SummaryMarksInfeasiblePointsWithTheirReason) {
  sweep::Row row;
  sweep::fill_from_summary(
      row, R"({"feasible": false, "reason": "tile does not fit", "total_cycles": 0})");
  EXPECT_EQ(row.status, "infeasible");
  EXPECT_EQ(row.reason, "tile does not fit");
  EXPECT_EQ(row.figure("reason"), nullptr);
}

TEST(SweepJournal, KeepsWholeLinesAndIgnoresATornLastOne) {
  TempDir dir;
  {
    sweep::Journal journal(dir / "results.jsonl");
    journal.append(make_row(0, 5, 5));
    journal.append(make_row(1, 6, 6));
  }
  std::ofstream(dir / "results.jsonl", std::ios::app) << "{\"point\":2,\"sta";
  const auto rows = sweep::read_journal(dir / "results.jsonl");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].point, 1u);
}

TEST(SweepPareto, DominanceRespectsTheSenseOfEachObjective) {
  const std::vector<sweep::Objective> min_min = {{"a", true, ""}, {"b", true, ""}};
  const std::vector<sweep::Objective> min_max = {{"a", true, ""}, {"b", false, ""}};
  EXPECT_TRUE(sweep::dominates({1, 1}, {2, 2}, min_min));
  EXPECT_FALSE(sweep::dominates({1, 1}, {1, 1}, min_min));
  EXPECT_FALSE(sweep::dominates({1, 3}, {2, 2}, min_min));
  EXPECT_TRUE(sweep::dominates({1, 3}, {2, 2}, min_max));
}

TEST(SweepResults, WritesCsvInPointOrderWithSweptKeysThenObjectivesAndTheFront) {
  TempDir dir;
  const auto rows = sample_rows();
  const auto n = sweep::write_results(dir.path(), make_meta(10), [&](const auto& sink) {
    for (const auto& r : rows) sink(r);
  });
  const std::string csv = read(dir / "results.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "point,status,reason,config_hash,wall_seconds,rows,dataflow,total_cycles,"
            "dram_read_bytes,feasible");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 11);
  // Even points trade cycles for bytes; odd ones are dominated but 9; point 7 crashed.
  const std::string pareto = read(dir / "pareto.csv");
  EXPECT_EQ(n, 6u);
  for (const char* p : {"\n0,", "\n2,", "\n4,", "\n6,", "\n8,", "\n9,"}) {
    EXPECT_NE(pareto.find(p), std::string::npos) << p;
  }
  EXPECT_EQ(pareto.find("\n1,"), std::string::npos);
  EXPECT_NE(csv.find("\n7,crashed,exit code 3,"), std::string::npos);
}

TEST(SweepMerge, ShardsMergeToTheSameFilesAsOneRun) {
  TempDir dir;
  const auto rows = sample_rows();
  fs::create_directories(dir / "single");
  sweep::write_results(dir / "single", make_meta(10), [&](const auto& sink) {
    for (const auto& r : rows) sink(r);
  });
  std::vector<std::string> shards;
  for (std::uint64_t s = 0; s < 3; ++s) {
    const std::string shard_dir = dir / ("shards/shard-" + std::to_string(s));
    fs::create_directories(shard_dir);
    std::uint64_t count = 0;
    for (const auto& r : rows) count += r.point % 3 == s;
    auto meta = make_meta(10, sweep::Shard{s, 3});
    meta.points = count;
    sweep::write_results(shard_dir, meta, [&](const auto& sink) {
      for (const auto& r : rows) {
        if (r.point % 3 == s) sink(r);
      }
    });
    sweep::write_meta(shard_dir + "/sweep.json", meta);
    shards.push_back(shard_dir);
  }
  std::reverse(shards.begin(), shards.end());
  EXPECT_EQ(sweep::merge_results(shards, dir / "merged"), 10u);
  for (const char* f : {"results.csv", "pareto.csv", "results.jsonl"}) {
    EXPECT_EQ(read(dir / (std::string("merged/") + f)), read(dir / (std::string("single/") + f)))
        << f;
  }
  EXPECT_EQ(sweep::read_meta(dir / "merged/sweep.json").shard.count, 1u);

  EXPECT_THROW(sweep::merge_results({shards[0], shards[1]}, dir / "partial"), sim::ConfigError);
  auto foreign = sweep::read_meta(shards[0] + "/sweep.json");
  foreign.sweep_id = "other";
  sweep::write_meta(shards[0] + "/sweep.json", foreign);
  try {
    sweep::merge_results(shards, dir / "mixed");
    FAIL() << "merged shards of different sweeps";
  } catch (const sim::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("different sweep"), std::string::npos);
  }
}

TEST(SweepReport, PageHasAParetoPlotAndOnePlotPerObjectiveAndKey) {
  TempDir dir;
  const auto rows = sample_rows();
  {
    sweep::Journal journal(dir / "results.jsonl");
    for (const auto& r : rows) journal.append(r);
  }
  sweep::write_meta(dir / "sweep.json", make_meta(10));
  const std::string page = read(sweep::write_report(dir.path()));
  EXPECT_NE(page.find("<svg class=\"plot pareto-plot\""), std::string::npos);
  std::size_t plots = 0, circles = 0, front = 0;
  for (std::size_t at = page.find("<svg class=\"plot axis-plot\""); at != std::string::npos;
       at = page.find("<svg class=\"plot axis-plot\"", at + 1)) {
    ++plots;
  }
  for (std::size_t at = page.find("<circle class=\"pt"); at != std::string::npos;
       at = page.find("<circle class=\"pt", at + 1)) {
    ++circles;
  }
  for (std::size_t at = page.find("class=\"pt pareto\""); at != std::string::npos;
       at = page.find("class=\"pt pareto\"", at + 1)) {
    ++front;
  }
  EXPECT_EQ(plots, 4u);         // 2 objectives x 2 keys
  EXPECT_EQ(circles, 9u * 5u);  // 9 usable points in each of 5 plots
  EXPECT_EQ(front, 6u * 5u);    // the 6 front points highlighted in each
  EXPECT_NE(page.find("exit code 3"), std::string::npos);
  EXPECT_EQ(page.find("http://"), page.find("http://www.w3.org/2000/svg"));  // no fetches
}

TEST(SweepReport, BigSweepsPlotASampleWithEveryParetoPoint) {
  TempDir dir;
  {
    sweep::Journal journal(dir / "results.jsonl");
    for (std::uint64_t i = 0; i < 12000; ++i) {
      journal.append(make_row(i, 20000.0 - static_cast<double>(i), static_cast<double>(i % 97)));
    }
  }
  sweep::write_meta(dir / "sweep.json", make_meta(12000));
  const std::string page = read(sweep::write_report(dir.path()));
  std::size_t circles = 0, front = 0;
  for (auto at = page.find("<circle class=\"pt"); at != std::string::npos;
       at = page.find("<circle class=\"pt", at + 1)) {
    ++circles;
  }
  for (auto at = page.find("class=\"pt pareto\""); at != std::string::npos;
       at = page.find("class=\"pt pareto\"", at + 1)) {
    ++front;
  }
  // Stride 3: 4000 sampled points plus the front points the sample missed, in 5 plots.
  EXPECT_LE(circles, 5u * (4000u + front / 5));
  EXPECT_GE(circles, 5u * 4000u);
  EXPECT_GT(front, 0u);
  EXPECT_NE(page.find("every Pareto point and one in 3 of the others"), std::string::npos);
}

TEST(SweepSlurm, ArrayScriptRunsEveryShardAndMergeScriptCombinesThem) {
  sweep::SlurmPlan plan;
  plan.edgesim_exe = "/opt/edgesim/bin/edgesim";
  plan.sweep_file = "/home/u/my sweep.yaml";
  plan.out_dir = "/scratch/out";
  plan.shards = 4;
  plan.jobs_per_shard = 2;
  plan.sbatch_options = sweep::split_shell_words("--partition=short --time 01:00:00 -A 'proj x'");
  ASSERT_EQ(plan.sbatch_options.size(), 5u);
  EXPECT_EQ(plan.sbatch_options[4], "proj x");
  const std::string array = sweep::array_script(plan);
  EXPECT_EQ(array.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_NE(array.find("#SBATCH --array=0-3\n"), std::string::npos);
  EXPECT_NE(array.find("#SBATCH --partition=short\n#SBATCH --time=01:00:00\n#SBATCH -A 'proj x'\n"),
            std::string::npos)
      << array;
  EXPECT_NE(array.find("sweep '/home/u/my sweep.yaml' --shard \"$shard/4\""), std::string::npos)
      << array;
  const std::string merge = sweep::merge_script(plan);
  EXPECT_NE(
      merge.find("sweep merge /scratch/out/shards/shard-0 /scratch/out/shards/shard-1 "
                 "/scratch/out/shards/shard-2 /scratch/out/shards/shard-3 --out /scratch/out"),
      std::string::npos)
      << merge;
  EXPECT_THROW(sweep::split_shell_words("--x 'open"), sim::ConfigError);
}

}  // namespace
