#pragma once
// The layer-pipelined accelerator platform (`accelerator.type: pipelined`, issue 11): its
// parameters (`accelerator.pipeline`), its results, and the run that allocates the stages
// within an FPGA budget, elaborates one engine per layer and streams frames through them.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.h"
#include "sim/core/vcd_writer.h"
#include "workloads/mapping/pipeline_allocator.h"
#include "workloads/network/network.h"
#include "workloads/training/program.h"

namespace platforms {

/// A per-layer unroll override and where it was written (for error messages).
struct PipelineUnroll {
  workloads::UnrollOverride unroll;
  std::string where;  // "file:line:col: accelerator.pipeline.unroll.conv1"
};

/// `accelerator.pipeline`.
struct PipelineParams {
  std::string device = "xc7z020";  // an FPGA preset, or "custom" with the budget_* keys
  std::uint64_t budget_luts = 0;   // device: custom only
  std::uint64_t budget_dsps = 0;
  std::uint64_t budget_bram36 = 0;          // 36-Kb block RAMs
  std::uint64_t fifo_depth_rows = 2;        // every FIFO between stages, in feature-map rows
  std::uint32_t frames = 0;                 // frames streamed; 0: workload.batch
  std::uint64_t frame_interval_cycles = 0;  // frame arrival period (0: all wait at the start)
  std::uint32_t input_stream_bits = 64;     // input stream width per cycle (AXI-Stream style)
  std::uint32_t output_stream_bits = 64;    // output stream width per cycle
  std::vector<PipelineUnroll> unroll;       // `unroll.<layer>: {pi, po, pk, pw}`
  std::string objective = "latency";        // latency | interval: what the spare budget buys
  workloads::ResourceRules rules;           // `resources.*` (docs/ull.md)
  /// The device budget these params name.
  workloads::FpgaBudget budget() const;
};
/// Parses `accelerator.pipeline` (device preset or custom budget, FIFO depth, frames, stream
/// widths, unroll overrides, resource rules).
PipelineParams parse_pipeline(const sim::ConfigNode& node);

/// One stage of a pipelined run.
struct PipelineStageResult {
  std::uint32_t layer = 0;  // index into Network::layers
  std::string name;
  std::string fused;  // vector/layout layers fused into the stage, '+'-joined
  std::uint32_t pi = 1, po = 1, pk = 1, pw = 1;
  std::uint64_t multipliers = 0;
  bool lut_multipliers = false;  // built from LUTs (by the width rule or lut_fallback)
  std::uint32_t w_bits = 8, a_bits = 8;
  std::uint64_t interval_cycles = 0;  // busy cycles per frame
  std::uint64_t busy_cycles = 0, input_wait_cycles = 0, output_stall_cycles = 0;
  std::uint64_t macs = 0;
  double utilization = 0;  // macs / (multipliers x run cycles)
  std::uint64_t luts = 0, dsps = 0, bram_bits = 0;
  std::uint64_t fifo_depth_rows = 0, fifo_max_rows = 0, fifo_full_stall_cycles = 0;  // output
};

/// Figures of a pipelined run (RunResult::pipeline); `enabled` is false on other platforms.
struct PipelineResult {
  bool enabled = false;
  std::string device;
  workloads::FpgaBudget budget, used;
  std::uint32_t frames = 0;
  std::uint64_t latency_cycles = 0;      // frame 0: first input row in to last output row out
  std::uint64_t interval_cycles = 0;     // between frame completions in the stream
  std::uint64_t max_latency_cycles = 0;  // the slowest frame of the stream, queueing included
  double latency_ns = 0;
  double throughput_fps = 0;
  std::uint64_t estimated_latency_cycles = 0;  // the allocator's analytic figures
  std::uint64_t estimated_interval_cycles = 0;
  std::uint64_t fifo_full_stall_cycles = 0;  // all FIFOs, input FIFO included
  std::uint64_t input_fifo_max_rows = 0, input_stall_cycles = 0;
  std::uint32_t slowest_stage = 0;  // index into stages
  std::vector<PipelineStageResult> stages;
};

struct PlatformParams;
struct RunResult;

/// Runs `program` (inference) on the pipelined platform: allocates the stages within the
/// budget (infeasible result with the allocator's reason when it cannot), elaborates the
/// engines and streams the frames. Once per process, like simulate().
/// With `vcd`, the engines record busy/stalled/frame signals, the FIFOs their occupancy, and
/// the attached timeline one slice per engine and frame.
RunResult simulate_pipelined(const PlatformParams& params, const workloads::Network& network,
                             const workloads::Program& program, sim::VcdWriter* vcd = nullptr);

}  // namespace platforms
