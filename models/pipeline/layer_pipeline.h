#pragma once
// The layer-pipelined (dataflow) accelerator of issue 11: one engine per conv/fc layer, each
// with its own multipliers and on-chip weights, connected by bounded FIFOs of feature-map rows.
// A frame enters from the input stream at the first engine and flows through; an engine blocks
// when its input FIFO is empty (it waits for the rows its line buffer needs) and when its
// output FIFO is full (back-pressure), so a too-shallow FIFO shows up as stall cycles.
// Token granularity is one row (docs/ull.md): LeNet-5 costs a few hundred events per frame.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "sim/core/stats.h"
#include "sim/core/timeline.h"
#include "sim/core/vcd_writer.h"

namespace models {

/// One token on a stream: row `row` of frame `frame`.
struct RowToken {
  std::uint32_t frame = 0;
  std::uint32_t row = 0;
};

/// A bounded FIFO of row tokens with occupancy and back-pressure counters.
class RowFifo : public sc_core::sc_module {
 public:
  RowFifo(const sc_core::sc_module_name& name, std::uint64_t depth_rows, sc_core::sc_time clock,
          sim::Stats& stats, sim::VcdWriter* vcd = nullptr);
  /// Appends a token; blocks while the FIFO is full (counted as full_stall_cycles).
  void put(const RowToken& token);
  /// Removes the oldest token; blocks while the FIFO is empty.
  RowToken get();
  std::uint64_t depth() const { return depth_; }
  std::uint64_t max_occupancy() const { return max_occupancy_; }
  std::uint64_t full_stall_cycles() const { return full_stall_cycles_; }
  std::uint64_t rows() const { return rows_; }

 private:
  const std::uint64_t depth_;
  const sc_core::sc_time clock_;
  std::deque<RowToken> tokens_;
  sc_core::sc_event written_, freed_;
  std::uint64_t max_occupancy_ = 0;
  std::uint64_t full_stall_cycles_ = 0;  // producer time blocked on a full FIFO
  std::uint64_t rows_ = 0;               // tokens that passed through
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_occupancy_ = 0;
};

/// What one engine does per frame, in units of work (a convolution output row, or one input
/// row's share of an fc product): unit u starts once need_in[u] input rows of the frame have
/// arrived, is busy unit_cycles[u] cycles, and afterwards emit_after[u] output rows exist.
struct EngineSpec {
  std::string name;
  std::vector<std::uint32_t> need_in;
  std::vector<std::uint32_t> emit_after;
  std::vector<std::uint64_t> unit_cycles;
  std::uint64_t macs_per_frame = 0;
};

/// One layer's engine: reads rows into its line buffer, computes, writes rows downstream.
class StageEngine : public sc_core::sc_module {
 public:
  StageEngine(const sc_core::sc_module_name& name, EngineSpec spec, std::uint32_t frames,
              sc_core::sc_time clock, RowFifo& in, RowFifo& out, sim::Stats& stats,
              sim::VcdWriter* vcd = nullptr);
  const EngineSpec& spec() const { return spec_; }
  std::uint64_t busy_cycles() const { return busy_cycles_; }
  std::uint64_t input_wait_cycles() const { return input_wait_cycles_; }
  std::uint64_t output_stall_cycles() const { return output_stall_cycles_; }
  std::uint64_t macs() const { return macs_; }
  std::uint64_t first_output_ps() const { return first_output_ps_; }

 private:
  void run();
  const EngineSpec spec_;
  const std::uint32_t frames_;
  const sc_core::sc_time clock_;
  RowFifo& in_;
  RowFifo& out_;
  std::uint64_t busy_cycles_ = 0;
  std::uint64_t input_wait_cycles_ = 0;    // waiting for rows from upstream
  std::uint64_t output_stall_cycles_ = 0;  // blocked on a full output FIFO
  std::uint64_t macs_ = 0;
  std::uint64_t rows_in_ = 0, rows_out_ = 0, frames_done_ = 0;
  std::uint64_t first_output_ps_ = 0;
  bool any_output_ = false;
  // Tracing (docs/traces.md): busy and output-stalled bits, the frame being worked on, and a
  // timeline slice per frame.
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_busy_ = 0, vcd_stalled_ = 0, vcd_frame_ = 0;
  sim::Timeline::TrackId track_ = 0;
};

/// The whole pipeline's shape: frames streamed, the input and output streams, the engines
/// and the depth of every FIFO (fifo_depth_rows[0] feeds engine 0; the last engine writes the
/// output FIFO, fifo_depth_rows[engines]).
struct PipelineSpec {
  std::uint32_t frames = 1;
  std::uint64_t frame_interval_cycles = 0;  // frame f arrives at f x this (0: back to back)
  std::uint32_t input_rows = 1;             // rows per frame from the input stream
  std::uint64_t input_row_cycles = 1;       // cycles to receive one input row
  std::uint32_t output_rows = 1;            // rows per frame to the output stream
  std::uint64_t output_row_cycles = 1;      // cycles to send one output row
  std::vector<EngineSpec> engines;
  std::vector<std::uint64_t> fifo_depth_rows;  // engines + 1 entries
};

/// Source, engines, FIFOs and sink of one pipeline. Frame timestamps are in picoseconds.
class LayerPipeline : public sc_core::sc_module {
 public:
  LayerPipeline(const sc_core::sc_module_name& name, const PipelineSpec& spec,
                sc_core::sc_time clock, sim::Stats& stats, sim::VcdWriter* vcd = nullptr);
  const std::vector<std::unique_ptr<StageEngine>>& engines() const { return engines_; }
  const std::vector<std::unique_ptr<RowFifo>>& fifos() const { return fifos_; }
  /// When the first row of each frame started entering, and when its last row left.
  const std::vector<std::uint64_t>& frame_start_ps() const { return frame_start_ps_; }
  const std::vector<std::uint64_t>& frame_done_ps() const { return frame_done_ps_; }
  std::uint64_t input_stall_cycles() const { return input_stall_cycles_; }

 private:
  void source();
  void sink();
  const PipelineSpec spec_;
  const sc_core::sc_time clock_;
  std::vector<std::unique_ptr<RowFifo>> fifos_;
  std::vector<std::unique_ptr<StageEngine>> engines_;
  std::vector<std::uint64_t> frame_start_ps_, frame_done_ps_;
  std::uint64_t input_stall_cycles_ = 0;  // input stream blocked by the first FIFO
  std::uint64_t input_rows_ = 0, output_rows_ = 0;
  sim::VcdWriter* vcd_;
  sim::VcdWriter::SignalId vcd_frames_in_ = 0, vcd_frames_done_ = 0;
};

}  // namespace models
