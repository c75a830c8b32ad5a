#pragma once
// The rank schedule file (rank_schedule.csv): per tensorised (TTM) layer, which TT ranks it had
// over which iterations. Written by `edgesim train --model tt_mlp` (ranks shrink as a prior
// prunes rank slices), or by hand; read by the hardware side (`edgesim run --rank-schedule`),
// which simulates each range of identical shapes once. Format in docs/tensorized.md.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "workloads/quant/schedule.h"

namespace workloads {

/// One row: TTM layer `layer_name` had `ranks` for iterations [iter_begin, iter_end).
struct RankScheduleRow {
  std::uint32_t layer = 0;           // index among the tensorised layers, from 0
  std::string layer_name;            // the network layer, e.g. "fc1"
  std::uint64_t iter_begin = 0;      // first iteration (0-based, inclusive)
  std::uint64_t iter_end = 0;        // one past the last iteration
  std::vector<std::uint32_t> m;      // output factors m_1..m_d
  std::vector<std::uint32_t> n;      // input factors n_1..n_d
  std::vector<std::uint32_t> ranks;  // r_0..r_d, r_0 = r_d = 1
  std::uint64_t parameters = 0;      // sum_k r_{k-1} m_k n_k r_k (checked when read)
};

/// A whole schedule: rows grouped by layer, each layer's rows contiguous in iterations from 0,
/// every layer covering the same iterations.
struct RankSchedule {
  std::vector<RankScheduleRow> rows;

  /// Number of layers (largest layer index + 1).
  std::uint32_t layer_count() const;
  /// One past the last iteration any row covers.
  std::uint64_t iteration_count() const;
  /// The row of the layer named `layer_name` covering `iteration`, or nullptr.
  const RankScheduleRow* find(const std::string& layer_name, std::uint64_t iteration) const;
  /// The maximal iteration ranges over which no layer's ranks change, in order, covering
  /// [0, iteration_count()): a simulator runs one iteration per range and counts it.
  std::vector<quant::IterationRange> constant_rank_ranges() const;
};

/// "1;20;20;20;1" for {1, 20, 20, 20, 1}.
std::string join_factors(const std::vector<std::uint32_t>& values);

/// The header line of rank_schedule.csv, without newline.
const char* rank_schedule_csv_header();
/// Writes the header and every row.
void write_rank_schedule_csv(std::ostream& out, const RankSchedule& schedule);
/// Writes `schedule` to `path`; throws sim::ConfigError when the file cannot be written.
void write_rank_schedule_csv(const std::string& path, const RankSchedule& schedule);
/// Reads and validates a schedule; errors are sim::ConfigError "origin:line: column: what, got
/// 'X'".
RankSchedule read_rank_schedule_csv(std::istream& in, const std::string& origin);
/// Reads and validates rank_schedule.csv at `path`.
RankSchedule read_rank_schedule_csv(const std::string& path);

}  // namespace workloads
