#include "workloads/network/rank_schedule.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/core/config.h"
#include "sim/core/csv_row.h"

namespace workloads {
namespace {

constexpr const char* kColumns[] = {"layer", "layer_name", "iter_begin", "iter_end",
                                    "m",     "n",          "ranks",      "parameters"};
constexpr std::size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

std::uint64_t tt_parameters(const RankScheduleRow& row) {
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < row.m.size(); ++k) {
    total += std::uint64_t{row.ranks[k]} * row.m[k] * row.n[k] * row.ranks[k + 1];
  }
  return total;
}

/// A rank schedule row: the shared CSV row with ';'-separated factor lists.
class RowParser : public sim::CsvRow {
 public:
  RowParser(const std::string& origin, int line, const std::vector<std::string>& fields)
      : sim::CsvRow(origin, line, fields, kColumns) {}

  /// A ';'-separated list of integers >= 1.
  std::vector<std::uint32_t> factors_at(std::size_t column) const {
    std::vector<std::uint32_t> values;
    for (const auto& part : sim::split_fields((*this)[column], ';')) {
      std::uint64_t value = 0;
      if (!sim::parse_unsigned(part, value) || value == 0 || value > 0xFFFFFFFFULL)
        fail(column, "expected integers >= 1 separated by ';' (e.g. 1;20;20;1)");
      values.push_back(static_cast<std::uint32_t>(value));
    }
    if (values.empty()) fail(column, "expected integers >= 1 separated by ';' (e.g. 1;20;20;1)");
    return values;
  }
};

}  // namespace

std::uint32_t RankSchedule::layer_count() const {
  std::uint32_t count = 0;
  for (const auto& row : rows) count = std::max(count, row.layer + 1);
  return count;
}

std::uint64_t RankSchedule::iteration_count() const {
  std::uint64_t count = 0;
  for (const auto& row : rows) count = std::max(count, row.iter_end);
  return count;
}

const RankScheduleRow* RankSchedule::find(const std::string& layer_name,
                                          std::uint64_t iteration) const {
  for (const auto& row : rows) {
    if (row.layer_name == layer_name && iteration >= row.iter_begin && iteration < row.iter_end)
      return &row;
  }
  return nullptr;
}

std::vector<quant::IterationRange> RankSchedule::constant_rank_ranges() const {
  std::vector<std::uint64_t> starts;
  for (const auto& row : rows) starts.push_back(row.iter_begin);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  std::vector<std::string> names;
  for (const auto& row : rows) {
    if (std::find(names.begin(), names.end(), row.layer_name) == names.end())
      names.push_back(row.layer_name);
  }
  const auto same_ranks = [](const RankScheduleRow* a, const RankScheduleRow* b) {
    if (!a || !b) return a == b;
    return a->ranks == b->ranks;
  };
  std::vector<quant::IterationRange> ranges;
  for (std::uint64_t start : starts) {
    bool changes = ranges.empty();
    for (std::size_t i = 0; i < names.size() && !changes; ++i)
      changes = !same_ranks(find(names[i], start - 1), find(names[i], start));
    if (!changes) continue;
    if (!ranges.empty()) ranges.back().end = start;
    ranges.push_back({start, 0});
  }
  if (!ranges.empty()) ranges.back().end = iteration_count();
  return ranges;
}

std::string join_factors(const std::vector<std::uint32_t>& values) {
  std::string text;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text += ';';
    text += std::to_string(values[i]);
  }
  return text;
}

const char* rank_schedule_csv_header() {
  return "layer,layer_name,iter_begin,iter_end,m,n,ranks,parameters";
}

void write_rank_schedule_csv(std::ostream& out, const RankSchedule& schedule) {
  out << rank_schedule_csv_header() << '\n';
  for (const auto& row : schedule.rows) {
    out << row.layer << ',' << row.layer_name << ',' << row.iter_begin << ',' << row.iter_end << ','
        << join_factors(row.m) << ',' << join_factors(row.n) << ',' << join_factors(row.ranks)
        << ',' << tt_parameters(row) << '\n';
  }
}

void write_rank_schedule_csv(const std::string& path, const RankSchedule& schedule) {
  std::ofstream out(path);
  if (!out) throw sim::ConfigError(path + ": cannot open for writing");
  write_rank_schedule_csv(out, schedule);
  if (!out) throw sim::ConfigError(path + ": write failed");
}

RankSchedule read_rank_schedule_csv(std::istream& in, const std::string& origin) {
  std::string line;
  if (!std::getline(in, line)) {
    throw sim::ConfigError(origin + ":1: empty file, expected the header " +
                           rank_schedule_csv_header());
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != rank_schedule_csv_header()) {
    throw sim::ConfigError(origin + ":1: expected the header " +
                           std::string(rank_schedule_csv_header()) + ", got '" + line + "'");
  }
  RankSchedule schedule;
  std::map<std::uint32_t, std::uint64_t> next_begin;  // per layer: where its next row starts
  std::vector<RankScheduleRow> rows;
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = sim::split_fields(line);
    if (fields.size() != kColumnCount) {
      throw sim::ConfigError(origin + ":" + std::to_string(line_number) + ": expected " +
                             std::to_string(kColumnCount) + " columns (" +
                             rank_schedule_csv_header() + "), got " +
                             std::to_string(fields.size()));
    }
    const RowParser parser(origin, line_number, fields);
    RankScheduleRow row;
    row.layer = static_cast<std::uint32_t>(parser.unsigned_at(0));
    row.layer_name = fields[1];
    if (row.layer_name.empty()) parser.fail(1, "expected a layer name");
    row.iter_begin = parser.unsigned_at(2);
    row.iter_end = parser.unsigned_at(3);
    if (row.iter_end <= row.iter_begin) parser.fail(3, "expected a value > iter_begin");
    row.m = parser.factors_at(4);
    row.n = parser.factors_at(5);
    if (row.n.size() != row.m.size())
      parser.fail(5, "expected " + std::to_string(row.m.size()) + " factors, as many as m");
    row.ranks = parser.factors_at(6);
    if (row.ranks.size() != row.m.size() + 1)
      parser.fail(6, "expected " + std::to_string(row.m.size() + 1) + " ranks r_0..r_d");
    if (row.ranks.front() != 1 || row.ranks.back() != 1)
      parser.fail(6, "expected the first and last rank to be 1");
    row.parameters = parser.unsigned_at(7);
    if (row.parameters != tt_parameters(row))
      parser.fail(7, "expected " + std::to_string(tt_parameters(row)) +
                         " (sum of r_{k-1} m_k n_k r_k for these factors and ranks)");
    const auto expected = next_begin.count(row.layer) ? next_begin[row.layer] : 0;
    if (row.iter_begin != expected) {
      parser.fail(2, "expected " + std::to_string(expected) +
                         " (each layer's rows must cover iterations contiguously from 0)");
    }
    for (const auto& earlier : rows) {
      if (earlier.layer == row.layer &&
          (earlier.layer_name != row.layer_name || earlier.m != row.m || earlier.n != row.n)) {
        parser.fail(1, "expected layer " + std::to_string(row.layer) + " to keep the name '" +
                           earlier.layer_name + "' and factors m " + join_factors(earlier.m) +
                           ", n " + join_factors(earlier.n) + " of its earlier rows");
      }
      if (earlier.layer != row.layer && earlier.layer_name == row.layer_name)
        parser.fail(1, "expected a name not used by layer " + std::to_string(earlier.layer));
    }
    next_begin[row.layer] = row.iter_end;
    rows.push_back(std::move(row));
  }
  if (rows.empty()) throw sim::ConfigError(origin + ": no rows after the header");
  schedule.rows = std::move(rows);
  const auto layers = schedule.layer_count();
  const auto iterations = schedule.iteration_count();
  for (std::uint32_t layer = 0; layer < layers; ++layer) {
    if (!next_begin.count(layer)) {
      throw sim::ConfigError(origin + ": layer " + std::to_string(layer) +
                             " has no rows (layers must be numbered 0..N-1)");
    }
    if (next_begin[layer] != iterations) {
      throw sim::ConfigError(origin + ": layer " + std::to_string(layer) + " ends at iteration " +
                             std::to_string(next_begin[layer]) + ", expected " +
                             std::to_string(iterations) + " like the longest layer");
    }
  }
  return schedule;
}

RankSchedule read_rank_schedule_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw sim::ConfigError(path + ": cannot open the rank schedule");
  return read_rank_schedule_csv(in, path);
}

}  // namespace workloads
