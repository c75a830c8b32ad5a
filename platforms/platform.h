#pragma once
// A platform: the typed parameters of every component, and the SystemC top that instantiates
// and binds them. Only this folder wires models together.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/controller/controller.h"
#include "models/energy/energy.h"
#include "models/host/host.h"
#include "models/interconnect/router.h"
#include "models/memory/dma/dma.h"
#include "models/memory/dram/dram_params.h"
#include "models/memory/sram/sram.h"
#include "models/pe_array/pe_array.h"
#include "platforms/pipelined.h"
#include "sim/core/config.h"
#include "sim/core/stats.h"
#include "sim/core/vcd_writer.h"
#include "workloads/mapping/tiler.h"
#include "workloads/network/network.h"
#include "workloads/training/program.h"

namespace platforms {

/// `accelerator` section.
struct AcceleratorParams {
  std::string type = "systolic";
  std::uint32_t clock_mhz = 1000;
  models::PeArrayParams pe_array;
  models::BufferParams sram;
  models::DmaParams dma;
  models::VectorUnitParams vector_unit;
  std::uint32_t container_bits = 0;  // storage container per element (0: packed)
  PipelineParams pipeline;           // type pipelined only (docs/ull.md)
};

/// `sim` section: how the simulation runs.
struct SimParams {
  double quantum_ns = 1000.0;  // global quantum for temporal decoupling
  bool functional = false;     // real int8 data through DMA, SRAM and PE array (gemm/fc)
  bool scalesim_compat = false;
  bool scalesim_replay = false;  // SCALE-Sim's own DRAM prefetch model for its report columns
  std::uint64_t seed = 1;
  std::uint64_t max_functional_macs = 1ULL << 26;
};

/// `trace` section (docs/traces.md).
struct TraceParams {
  bool vcd = false;         // write trace.vcd and trace.gtkw
  bool timeline = false;    // write timeline.json (Perfetto / chrome://tracing)
  std::string level = "";   // layer | tile | cycle; "" = cycle at cycle fidelity, else tile
  std::string window = "";  // "START_NS:END_NS" (either side may be empty); "" = all
  std::vector<std::string> signals;   // glob patterns over full signal names; empty = all
  double rate_window_ns = 1000.0;     // window of the per-window (rate) signals
  std::uint64_t window_start_ps = 0;  // derived from `window`
  std::uint64_t window_end_ps = ~std::uint64_t{0};
};
/// The VcdWriter options a trace section asks for.
sim::VcdOptions vcd_options(const TraceParams& trace);

/// Every parameter of a platform.
struct PlatformParams {
  std::string name = "platform";
  models::HostParams host;
  models::RouterParams interconnect;
  AcceleratorParams accelerator;
  models::DramParams dram;
  SimParams sim;
  TraceParams trace;
  models::EnergyParams energy;
};

/// Parses the platform sections of a run's config (name, host, interconnect, accelerator,
/// dram, sim, trace).
PlatformParams parse_platform(const sim::ConfigNode& root);

/// The tiler's view of a platform.
workloads::TilerParams tiler_params(const PlatformParams& params);

/// Address of the accelerator's register block on the system bus.
inline constexpr std::uint64_t kAcceleratorBase = 0xF0'0000'0000ULL;

/// Per-layer figures of a run (one row of layers.csv).
struct LayerResult {
  std::uint32_t layer = 0;        // index into Network::layers
  std::uint32_t phase_index = 0;  // workloads::Phase
  std::string name;
  std::string type;
  std::string phase;
  std::uint64_t cycles = 0;
  std::uint64_t compute_cycles = 0;
  std::uint64_t stall_cycles = 0;
  std::uint64_t macs = 0;
  std::uint64_t vector_ops = 0;
  std::uint64_t tiles = 0;
  // DRAM requests of this row: bursts, bursts that hit an open row, requests, summed latency.
  std::uint64_t dram_bursts = 0, dram_row_hits = 0, dram_requests = 0, dram_latency_ps = 0;
  double pe_utilization = 0;
  std::uint64_t dram_read_bytes = 0;
  std::uint64_t dram_write_bytes = 0;
  std::uint64_t sram_read_bytes = 0;
  std::uint64_t sram_write_bytes = 0;
  std::uint64_t tile_m = 0, tile_n = 0, tile_k = 0;
  std::string loop_order;
  std::string w_format, a_format;  // operand formats ("8", "4", "fp16", ...)
  models::Femtojoules energy_mac = 0, energy_sram = 0, energy_dram = 0, energy_leakage = 0,
                      energy_vector = 0;
  // DRAM bytes (read + write) by tensor class, and the read and write parts of them.
  std::uint64_t dram_bytes_by_class[workloads::kTensorClassCount] = {};
  std::uint64_t dram_read_bytes_by_class[workloads::kTensorClassCount] = {};
  std::uint64_t dram_write_bytes_by_class[workloads::kTensorClassCount] = {};
  std::uint64_t weight_elements = 0;  // the layer's parameters (TT parameters for ttm layers)
};

/// Results of one simulation.
struct RunResult {
  bool feasible = true;
  std::string reason;
  std::uint64_t total_cycles = 0;
  std::uint64_t stall_cycles = 0;
  std::uint64_t compute_cycles = 0;
  std::uint64_t macs = 0;
  double pe_utilization = 0;
  std::uint64_t dram_read_bytes = 0;
  std::uint64_t dram_write_bytes = 0;
  std::uint64_t sram_read_bytes = 0;
  std::uint64_t sram_write_bytes = 0;
  std::uint64_t dram_bytes_by_class[workloads::kTensorClassCount] = {};
  std::uint64_t checked_ops = 0;
  double simulated_ns = 0;
  double dram_row_hit_rate = 0;     // bursts that found their row open
  double dram_avg_latency_ns = 0;   // per DRAM transaction, arrival to last data beat
  double dram_peak_gbps = 0;        // the preset's theoretical peak
  models::EnergyBreakdown energy;
  std::vector<LayerResult> layers;
  std::vector<std::pair<std::string, std::uint64_t>> counters;  // every registered statistic
  PipelineResult pipeline;  // accelerator.type pipelined only (enabled)
};

/// Plans every op of `program`; the first infeasible op makes the result infeasible.
struct PlannedProgram {
  bool feasible = true;
  std::string reason;
  std::vector<workloads::TilePlan> plans;
};
PlannedProgram plan_program(const PlatformParams& params, const workloads::Network& network,
                            const workloads::Program& program);

/// Elaborates the platform, runs the program to completion and collects the results.
/// A process can do this once (SystemC elaborates one simulation per process).
/// With `vcd` (tracing on), components record their signals in it and slices in its attached
/// timeline; once the run's figures are known the writer also gets the layer and op legends,
/// the cumulative energy and the end time, and the timeline one slice per op.
RunResult simulate(const PlatformParams& params, const workloads::Network& network,
                   const workloads::Program& program, const PlannedProgram& planned,
                   sim::VcdWriter* vcd);

}  // namespace platforms
