#pragma once
// Writes a run directory (config.resolved.yaml, summary.json, layers.csv, trace.vcd) and the
// human summary on stdout.

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "platforms/platform.h"
#include "sim/app/run_setup.h"

namespace app {

/// Identity and timing of a run, beside its results.
struct RunInfo {
  std::string platform;
  std::string workload;
  std::string scheme;
  double sim_wall_seconds = 0;
  std::uint64_t param_memory_bytes = 0;  // every copy of the parameters plus optimizer state
  std::uint64_t iterations = 1;          // training iterations the run stands for
  std::uint64_t simulated_phases = 1;    // distinct bitwidth configurations simulated
  std::vector<std::string> skipped_nodes;  // imported model nodes left out
  /// More top-level summary.json fields: key and JSON value (tensorized layers, rank phases).
  std::vector<std::pair<std::string, std::string>> extra_json;
};

/// summary.json text.
std::string summary_json(const RunInfo& info, const platforms::RunResult& result,
                         const platforms::PlatformParams& params);
/// layers.csv text.
std::string layers_csv(const platforms::RunResult& result);
/// The short human summary.
void print_summary(std::ostream& out, const RunInfo& info, const platforms::RunResult& result,
                   const platforms::PlatformParams& params, const std::string& run_dir);

}  // namespace app
