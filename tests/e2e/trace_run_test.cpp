// End-to-end tests of the trace files of `edgesim run` (docs/traces.md): the VCD parsed
// strictly and checked against the run's own summary.json, GTKWave's vcd2fst as a real
// consumer, the GTKWave save file, timeline.json nesting, and the level/window/signal filters.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "cli_harness.h"
#include "trace_readers.h"

namespace fs = std::filesystem;
using e2e::read_file;
using e2e::run_edgesim;

namespace {

/// A number field of summary.json ("key": value), the first occurrence.
long double json_number(const std::string& json, const std::string& key) {
  std::smatch match;
  const std::regex pattern("\"" + key + "\": \\{?\"?[a-z]*\"?:? ?(-?[0-9.eE+]+)");
  if (!std::regex_search(json, match, pattern)) return -1;
  return std::stold(match[1]);
}

class TraceRun : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-trace"); }
  void TearDown() override { fs::remove_all(dir_); }
  /// Runs edgesim with `args` into `<dir>/<name>` and returns the run directory.
  std::string run(const std::string& name, const std::string& args) {
    const std::string out = dir_ + "/" + name;
    const auto r = run_edgesim("run -q " + args + " --out '" + out + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }
  std::string dir_;
};

TEST_F(TraceRun, VcdIsWellFormedAndAgreesWithTheRunsOwnNumbers) {
  const std::string out = run("run", "--vcd");
  const std::string summary = read_file(out + "/summary.json");
  const trace_test::Vcd vcd = trace_test::parse_vcd(read_file(out + "/trace.vcd"));
  EXPECT_EQ(vcd.timescale, "1ps");
  for (const char* scope : {"top", "top.host", "top.controller", "top.pe_array", "top.dma",
                            "top.dma.ch0", "top.dma.ch1", "top.ifmap_sram", "top.weight_sram",
                            "top.ofmap_sram", "top.vector_unit", "top.dram", "top.energy"}) {
    EXPECT_NE(std::find(vcd.scopes.begin(), vcd.scopes.end(), scope), vcd.scopes.end()) << scope;
  }
  for (const char* name :
       {"top.host.op_index", "top.host.phase", "top.controller.layer_index",
        "top.controller.queue_depth", "top.controller.stalled", "top.pe_array.busy",
        "top.pe_array.fold_index", "top.pe_array.fold_utilization_pct", "top.pe_array.a_bits",
        "top.pe_array.w_bits", "top.dma.ch0.bytes_in_flight", "top.dma.ch0.descriptor",
        "top.dma.ch0.bytes_per_window", "top.weight_sram.read_bytes_per_window",
        "top.energy.cumulative_pj"}) {
    EXPECT_TRUE(vcd.has(name)) << name;
  }
  EXPECT_GT(vcd.timestamps, 100u);

  // 1 GHz accelerator clock: one cycle is 1000 ps.
  const auto total_cycles = static_cast<std::uint64_t>(json_number(summary, "total_cycles"));
  const auto compute_cycles = static_cast<std::uint64_t>(json_number(summary, "compute_cycles"));
  const std::uint64_t end = std::max<std::uint64_t>(vcd.last_time, total_cycles * 1000);
  ASSERT_GT(compute_cycles, 0u);
  const std::uint64_t busy =
      vcd.var("top.pe_array.busy").high_time(end) + vcd.var("top.vector_unit.busy").high_time(end);
  EXPECT_EQ(busy, compute_cycles * 1000);

  // The DMA's bytes per 1 us window integrate to the bytes it moved to and from DRAM.
  const auto dma_bytes = static_cast<long double>(json_number(summary, "dram_read_bytes") +
                                                  json_number(summary, "dram_write_bytes"));
  ASSERT_GT(dma_bytes, 0);
  long double integrated = 0;
  for (const char* ch : {"top.dma.ch0.bytes_per_window", "top.dma.ch1.bytes_per_window"}) {
    integrated += vcd.var(ch).integral(end) / 1e6L;
  }
  EXPECT_NEAR(static_cast<double>(integrated), static_cast<double>(dma_bytes), 0.5);

  // What the DRAM counted, per window, integrates to its counters.
  for (const char* counter :
       {"bytes_read", "bytes_written", "row_hits", "row_misses", "row_conflicts", "refreshes"}) {
    std::string name = std::string("top.dram.") + counter + "_per_window";
    if (name == "top.dram.bytes_read_per_window") name = "top.dram.read_bytes_per_window";
    if (name == "top.dram.bytes_written_per_window") name = "top.dram.write_bytes_per_window";
    const long double counted = json_number(summary, std::string("top.dram.") + counter);
    ASSERT_GE(counted, 0) << counter;
    EXPECT_NEAR(static_cast<double>(vcd.var(name).integral(end) / 1e6L),
                static_cast<double>(counted), 0.5)
        << counter;
  }

  // The cumulative energy ends at the run's total (pJ, rounded).
  const auto& energy = vcd.var("top.energy.cumulative_pj").changes;
  ASSERT_FALSE(energy.empty());
  EXPECT_NEAR(static_cast<double>(energy.back().second),
              static_cast<double>(json_number(summary, "energy_pj")), 1.0);
  for (std::size_t i = 1; i < energy.size(); ++i) EXPECT_GE(energy[i].second, energy[i - 1].second);

  // The layer index stays within the network, and the header names every layer.
  const std::string text = read_file(out + "/trace.vcd");
  EXPECT_NE(text.find("$comment legend top.controller.layer_index: 0=conv1"), std::string::npos);
}

TEST_F(TraceRun, GtkwaveConvertsTheVcdToFst) {
  if (std::system("command -v vcd2fst > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "vcd2fst (Debian package gtkwave) is not installed";
  }
  e2e::write_file(dir_ + "/g.yaml",
                  "name: g\nbatch: 3\nlayers:\n"
                  "  - {name: fc1, type: fc, in_features: 37, out_features: 21}\n");
  const std::string out = run("run",
                              "--vcd --set accelerator.pe_array.fidelity=cycle "
                              "--set accelerator.pe_array.rows=4 "
                              "--set accelerator.pe_array.cols=4 --workload '" +
                                  dir_ + "/g.yaml'");
  const std::string command =
      "vcd2fst '" + out + "/trace.vcd' '" + out + "/trace.fst' > '" + out + "/vcd2fst.log' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << read_file(out + "/vcd2fst.log");
  ASSERT_TRUE(fs::exists(out + "/trace.fst"));
  EXPECT_GT(fs::file_size(out + "/trace.fst"), 1000u);
  const std::string log = read_file(out + "/vcd2fst.log");
  EXPECT_EQ(log.find("rror"), std::string::npos) << log;
  // The PE-level signals of the traced row and column are in the dump.
  const trace_test::Vcd vcd = trace_test::parse_vcd(read_file(out + "/trace.vcd"));
  EXPECT_TRUE(vcd.has("top.pe_array.pe_r0_c3.psum_valid"));
  EXPECT_FALSE(vcd.var("top.pe_array.pe_r0_c0.mac").changes.empty());
}

TEST_F(TraceRun, SaveFileShowsOnlyDeclaredSignalsGroupedByComponent) {
  const std::string out = run("run", "--vcd");
  const trace_test::Vcd vcd = trace_test::parse_vcd(read_file(out + "/trace.vcd"));
  const std::string gtkw = read_file(out + "/trace.gtkw");
  ASSERT_NE(gtkw.find("[dumpfile] \""), std::string::npos);
  std::istringstream lines(gtkw);
  std::string line;
  std::vector<std::string> groups;
  std::size_t signals = 0;
  int depth = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("top.", 0) == 0) {
      const std::string name = line.substr(0, line.find('['));
      EXPECT_TRUE(vcd.has(name)) << line;
      ++signals;
    } else if (line.rfind("-", 0) == 0 && line.size() > 1) {
      groups.push_back(line.substr(1));
    } else if (line.rfind("^", 0) == 0) {
      // A translate filter: "value name" lines for every layer.
      const std::string file = line.substr(line.find(' ') + 1);
      EXPECT_TRUE(fs::exists(file)) << file;
    } else if (line.rfind("@", 0) == 0) {
      const unsigned long flags = std::stoul(line.substr(1), nullptr, 16);
      if (flags & (1UL << 23)) ++depth;
      if (flags & (1UL << 24)) --depth;
      EXPECT_GE(depth, 0);
    }
  }
  EXPECT_EQ(depth, 0);
  EXPECT_EQ(signals, vcd.vars.size());
  ASSERT_GE(groups.size(), 4u);
  EXPECT_EQ(groups[0], "host");
  EXPECT_EQ(groups[2], "controller");
  const std::string filter = read_file(out + "/trace.top_controller_layer_index.txt");
  EXPECT_EQ(filter.rfind("0 conv1\n", 0), 0u) << filter;
}

TEST_F(TraceRun, TimelineSlicesNestAndCoverOpsTilesAndTransfers) {
  const std::string out = run("run", "--set trace.timeline=true --scheme qat --workload mlp");
  EXPECT_FALSE(fs::exists(out + "/trace.vcd"));
  const trace_test::Json doc = trace_test::parse_json(read_file(out + "/timeline.json"));
  std::map<int, std::string> tracks;
  const auto slices = trace_test::timeline_slices(doc, &tracks);
  EXPECT_EQ(trace_test::check_nesting(slices), "");
  std::map<std::string, std::size_t> per_track;
  for (const auto& s : slices) ++per_track[tracks.at(s.tid)];
  for (const char* track : {"top.host", "top.controller", "top.pe_array", "top.vector_unit",
                            "top.dma.ch0", "top.dma.ch1"}) {
    EXPECT_GT(per_track[track], 0u) << track;
  }
  // One host command and one controller op per op of the program; tiles as the summary says.
  const std::string summary = read_file(out + "/summary.json");
  std::size_t ops = 0;
  for (const auto& s : slices) ops += tracks.at(s.tid) == "top.host";
  std::size_t op_slices = 0;
  for (const auto& s : slices) {
    op_slices += tracks.at(s.tid) == "top.controller" && s.name != "stall";
  }
  EXPECT_EQ(ops, op_slices);
  EXPECT_EQ(static_cast<long double>(per_track["top.pe_array"]),
            json_number(summary, "top.pe_array.tiles"));
}

TEST_F(TraceRun, LevelWindowAndSignalFiltersCutTheTrace) {
  const std::string all = run("all", "--vcd");
  const std::string layer = run("layer", "--vcd --set trace.level=layer --set trace.timeline=true");
  const std::string window = run("window", "--vcd --set trace.window=20000:40000");
  const std::string dma = run("dma", "--vcd --set 'trace.signals=[top.dma.*]'");
  const auto changes = [](const std::string& d) {
    return trace_test::parse_vcd(read_file(d + "/trace.vcd")).value_changes;
  };
  EXPECT_LT(changes(layer), changes(all) / 2);
  // The window keeps the full trace's changes inside it, plus one initial value per signal.
  const auto full = trace_test::parse_vcd(read_file(all + "/trace.vcd"));
  std::size_t inside = 0;
  for (const auto& [name, var] : full.vars) {
    for (const auto& [time, value] : var.changes) inside += time > 20000000 && time <= 40000000;
  }
  EXPECT_LE(changes(window), inside + full.vars.size());
  EXPECT_LT(changes(window), changes(all));
  EXPECT_LT(changes(dma), changes(all));
  EXPECT_LT(fs::file_size(dma + "/trace.vcd"), fs::file_size(all + "/trace.vcd"));

  const auto layer_vcd = trace_test::parse_vcd(read_file(layer + "/trace.vcd"));
  EXPECT_TRUE(layer_vcd.has("top.controller.layer_index"));
  EXPECT_FALSE(layer_vcd.has("top.pe_array.busy"));
  EXPECT_FALSE(layer_vcd.has("top.dma.ch0.bytes_in_flight"));
  EXPECT_FALSE(layer_vcd.has("top.dram.row_hits_per_window"));
  // A layer-level timeline has the host commands and the ops, nothing finer.
  std::map<int, std::string> tracks;
  const auto slices = trace_test::timeline_slices(
      trace_test::parse_json(read_file(layer + "/timeline.json")), &tracks);
  ASSERT_FALSE(slices.empty());
  for (const auto& s : slices) {
    const std::string& track = tracks.at(s.tid);
    EXPECT_TRUE(track == "top.host" || (track == "top.controller" && s.name != "stall"))
        << track << " " << s.name;
  }

  const auto window_vcd = trace_test::parse_vcd(read_file(window + "/trace.vcd"));
  EXPECT_EQ(window_vcd.first_time, 20000000u);
  EXPECT_LE(window_vcd.last_time, 40000000u);
  // The value at the window's start is the one the full trace has there.
  const auto& full_vcd = full;
  EXPECT_EQ(window_vcd.var("top.controller.layer_index").at(20000000),
            full_vcd.var("top.controller.layer_index").at(20000000));
  EXPECT_EQ(window_vcd.var("top.pe_array.fold_index").at(30000000),
            full_vcd.var("top.pe_array.fold_index").at(30000000));

  const auto dma_vcd = trace_test::parse_vcd(read_file(dma + "/trace.vcd"));
  ASSERT_FALSE(dma_vcd.vars.empty());
  for (const auto& [name, var] : dma_vcd.vars) EXPECT_EQ(name.rfind("top.dma.", 0), 0u) << name;
}

TEST_F(TraceRun, TracingDoesNotChangeTheSimulation) {
  // Trace points record timestamped changes; they add no event, wait or synchronisation, and
  // the DRAM probe passes transactions through untouched.
  for (const char* workload : {"tiny_cnn", "mlp --scheme qat"}) {
    const std::string name = std::string(workload).substr(0, 3);
    const std::string off = run(name + "_off", std::string("--workload ") + workload);
    const std::string on = run(
        name + "_on", std::string("--workload ") + workload + " --vcd --set trace.timeline=true");
    EXPECT_FALSE(fs::exists(off + "/trace.vcd"));
    EXPECT_FALSE(fs::exists(off + "/timeline.json"));
    EXPECT_EQ(read_file(off + "/layers.csv"), read_file(on + "/layers.csv")) << workload;
    for (const char* key : {"total_cycles", "stall_cycles", "dram_read_bytes"}) {
      EXPECT_EQ(json_number(read_file(off + "/summary.json"), key),
                json_number(read_file(on + "/summary.json"), key))
          << workload << " " << key;
    }
  }
}

TEST_F(TraceRun, BadTraceKeysAreConfigErrors) {
  const auto window = run_edgesim("run --vcd --set trace.window=50:10 --out '" + dir_ + "/a'");
  EXPECT_EQ(window.exit_code, 2);
  EXPECT_NE(window.err.find("trace.window"), std::string::npos) << window.err;
  const auto level = run_edgesim("run --vcd --set trace.level=fold --out '" + dir_ + "/b'");
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_NE(level.err.find("trace.level"), std::string::npos) << level.err;
}

}  // namespace
