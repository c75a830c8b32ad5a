#pragma once
// Runs a sweep on this machine: each design point is its own `edgesim run` process (SystemC
// elaborates one simulation per process), N at a time, with a per-point timeout, a progress
// line, Ctrl-C handling and resumption by resolved-config hash.

#include <cstdint>
#include <iosfwd>
#include <string>

#include "sim/sweep/space.h"
#include "sim/sweep/spec.h"

namespace sweep {

/// How to run a sweep.
struct RunSettings {
  std::string out_dir = "sweep-out";
  unsigned jobs = 1;
  bool resume = false;
  double timeout_per_point_seconds = 0;  // 0: no limit
  Shard shard;
  std::string edgesim_exe;  // the binary that runs one point (`run ... --out DIR -q`)
  bool progress = true;     // progress bar on a terminal, periodic lines otherwise
  bool keep_runs = true;    // keep each point's run directory under points/
};

/// What a finished sweep did.
struct SweepOutcome {
  std::uint64_t points = 0;  // admitted points of this shard
  std::uint64_t ran = 0;     // simulated now
  std::uint64_t reused = 0;  // taken from an earlier run (--resume)
  std::uint64_t failed = 0;  // error, crashed or timeout
  std::uint64_t infeasible = 0;
  std::uint64_t skipped_by_constraints = 0;
  std::uint64_t pareto_points = 0;
  double wall_seconds = 0;
  double point_seconds = 0;  // sum of the points' own wall time
  bool interrupted = false;
};

/// Runs the points of `settings.shard`, writes results.jsonl as they finish and, at the end
/// (or when interrupted), results.csv, pareto.csv and sweep.json. `resolve` computes a
/// point's resolved config (for its hash) in-process. Throws sim::ConfigError for user
/// mistakes found before running.
SweepOutcome run_sweep(const SweepSpec& spec, const RunSettings& settings, const Resolver& resolve,
                       std::ostream& log);

}  // namespace sweep
