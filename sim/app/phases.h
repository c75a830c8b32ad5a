#pragma once
// Simulating a run's phases: a run over many iterations simulates each run of iterations with
// identical bitwidths once, in its own process when there are several (SystemC elaborates one
// simulation per process), and counts it for its iterations.

#include <functional>
#include <string>
#include <vector>

#include "platforms/platform.h"
#include "sim/app/run_setup.h"
#include "sim/core/vcd_writer.h"

namespace app {

/// The program of phase `index` (functional-mode adjustments included).
workloads::Program phase_program(const RunSetup& setup, std::size_t index);

/// Simulates every phase and returns the weighted total. `vcd` (nullable) traces the first
/// phase, and `write_traces` runs right after that phase's simulation, in the process that
/// simulated it; `scratch_dir` holds the children's results while they run. `per_phase`
/// (nullable) receives each phase's result for one iteration, in phase order.
platforms::RunResult simulate_phases(const RunSetup& setup, const std::string& scratch_dir,
                                     sim::VcdWriter* vcd, const std::function<void()>& write_traces,
                                     std::vector<platforms::RunResult>* per_phase = nullptr);

}  // namespace app
