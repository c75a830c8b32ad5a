#pragma once
// Sweep results: one row per design point, appended to results.jsonl as points finish (one
// write per line, so a killed sweep keeps every finished point), then written in point order
// as results.jsonl, results.csv and pareto.csv. Shards of one sweep merge into the same files
// a single-machine run writes, streaming, without holding the points in memory.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/sweep/json.h"
#include "sim/sweep/space.h"
#include "sim/sweep/spec.h"

namespace sweep {

/// The outcome of one design point.
struct Row {
  std::uint64_t point = 0;
  std::string status;  // ok | infeasible | error | crashed | timeout
  std::string reason;
  std::string config_hash;
  double wall_seconds = 0;
  std::vector<std::pair<std::string, std::string>> params;  // axis key -> value
  std::vector<std::pair<std::string, JsonValue>> figures;   // flattened summary.json
  /// The figure named `name`, or nullptr.
  const JsonValue* figure(const std::string& name) const;
};

/// One line of results.jsonl (no newline).
std::string row_to_json(const Row& row);
/// Parses one line of results.jsonl; throws std::runtime_error when malformed.
Row row_from_json(const std::string& line);
/// Fills a row's figures from a summary.json text (flattened; feasible/reason set status).
void fill_from_summary(Row& row, const std::string& summary_json);

/// What a results directory holds, written as sweep.json.
struct SweepMeta {
  std::string sweep_id;
  std::string sweep_file;
  std::uint64_t space_size = 0;  // indices in the space, before constraints
  Shard shard;
  std::uint64_t points = 0;  // admitted points of this shard
  bool complete = false;     // every point of the shard has a row
  std::vector<std::string> axis_keys;
  std::vector<bool> axis_log;
  std::vector<Objective> objectives;
};
void write_meta(const std::string& path, const SweepMeta& meta);
/// Throws sim::ConfigError when missing or malformed.
SweepMeta read_meta(const std::string& path);

/// Appends rows to a results.jsonl, one write() per line.
class Journal {
 public:
  explicit Journal(const std::string& path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  /// Appends the row; returns the byte offset of its line.
  std::uint64_t append(const Row& row);

 private:
  int fd_ = -1;
  std::string path_;
};

/// Calls `visit(offset, row)` for every complete row of a results.jsonl (a torn last line
/// or a malformed one is skipped: its point reruns).
void scan_journal(const std::string& path,
                  const std::function<void(std::uint64_t offset, Row&& row)>& visit);
/// Reads every complete row of a results.jsonl.
std::vector<Row> read_journal(const std::string& path);
/// Reads the row whose line starts at `offset`.
Row read_row_at(std::istream& in, std::uint64_t offset);

/// True when row a is at least as good as b in every objective and better in one.
bool dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<Objective>& objectives);
/// The objective values of a row, when it is a feasible ok row with every objective numeric.
bool objective_values(const Row& row, const std::vector<Objective>& objectives,
                      std::vector<double>& out);

/// Streams rows in point order to a callback; called twice (columns pass, then writing).
using RowSource = std::function<void(const std::function<void(const Row&)>& sink)>;

/// Writes results.jsonl, results.csv and pareto.csv into `dir` (each via a temporary file and
/// a rename), from rows streamed in point order. Returns the number of Pareto points. With
/// `with_jsonl` false, results.jsonl is left alone (a running sweep appends to it).
std::uint64_t write_results(const std::string& dir, const SweepMeta& meta, const RowSource& rows,
                            bool with_jsonl = true);

/// Merges shard (or complete) result directories of one sweep into `out_dir`; checks that
/// they come from the same sweep and together cover every shard. Returns rows written.
std::uint64_t merge_results(const std::vector<std::string>& dirs, const std::string& out_dir);

/// Writes `text` to `path` through `path.tmp` and a rename.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace sweep
