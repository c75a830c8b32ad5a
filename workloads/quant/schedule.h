#pragma once
// The bitwidth schedule file (schedule.csv): per layer, which widths weights, activations
// and gradients had over which iterations, with the layer's G_avg and update-underflow
// fraction over those iterations. Written by `edgesim train`, read by the hardware side
// (`edgesim run --bitwidth-schedule`). Format in docs/numerics.md.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace workloads::quant {

/// One row: layer `layer` used these widths for iterations [iter_begin, iter_end).
struct ScheduleRow {
  std::uint32_t layer = 0;        // index among the parameterised layers, from 0
  std::string layer_name;         // e.g. "fc1", "conv2"
  std::uint64_t iter_begin = 0;   // first iteration (0-based, inclusive)
  std::uint64_t iter_end = 0;     // one past the last iteration
  std::uint32_t w_bits = 32;      // weight width (32 = FP32)
  std::uint32_t a_bits = 32;      // width of the layer's input activations
  std::uint32_t g_bits = 32;      // width of the output gradients fed to the backward GEMMs
  double g_avg = 0.0;             // mean |dW| / weight step over the rows' iterations (NaN: none)
  double underflow_fraction = 0;  // share of weight updates smaller than one step, in [0, 1]
};

/// Iterations [begin, end).
struct IterationRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

/// A whole schedule: rows grouped by layer, each layer's rows contiguous in iterations.
struct BitwidthSchedule {
  std::vector<ScheduleRow> rows;

  /// Number of layers (largest layer index + 1).
  std::uint32_t layer_count() const;
  /// One past the last iteration any row covers.
  std::uint64_t iteration_count() const;
  /// The row of `layer` covering `iteration`, or nullptr.
  const ScheduleRow* find(std::uint32_t layer, std::uint64_t iteration) const;
  /// Iteration-weighted mean weight width of one layer.
  double mean_w_bits(std::uint32_t layer) const;
  /// The maximal iteration ranges over which no layer's w/a/g widths change, in order and
  /// covering [0, iteration_count()): a simulator runs one iteration per range and counts
  /// it (end - begin) times.
  std::vector<IterationRange> constant_width_ranges() const;
};

/// The header line of schedule.csv, without newline.
const char* schedule_csv_header();
/// Writes the header and every row.
void write_schedule_csv(std::ostream& out, const BitwidthSchedule& schedule);
/// Writes `schedule` to `path`; throws sim::ConfigError when the file cannot be written.
void write_schedule_csv(const std::string& path, const BitwidthSchedule& schedule);
/// Reads and validates a schedule; errors are sim::ConfigError "origin:line: column: what".
BitwidthSchedule read_schedule_csv(std::istream& in, const std::string& origin);
/// Reads and validates schedule.csv at `path`.
BitwidthSchedule read_schedule_csv(const std::string& path);

}  // namespace workloads::quant
