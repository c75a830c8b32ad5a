#include "workloads/quant/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/core/config.h"
#include "sim/core/csv_row.h"
#include "workloads/quant/fixed_point.h"

namespace workloads::quant {
namespace {

constexpr const char* kColumns[] = {"layer",    "layer_name", "iter_begin",
                                    "iter_end", "w_bits",     "a_bits",
                                    "g_bits",   "g_avg",      "underflow_fraction"};
constexpr std::size_t kColumnCount = sizeof(kColumns) / sizeof(kColumns[0]);

std::string format_metric(double value) {
  return std::isnan(value) ? std::string() : sim::format_double(value);
}

/// A schedule row: the shared CSV row with the width and metric columns.
class RowParser : public sim::CsvRow {
 public:
  RowParser(const std::string& origin, int line, const std::vector<std::string>& fields)
      : sim::CsvRow(origin, line, fields, kColumns) {}

  std::uint32_t bits_at(std::size_t column) const {
    const auto value = unsigned_at(column);
    // 1 bit: binary weights (the ultra-low-bitwidth quantisers); the hardware formats take
    // integer widths 1 to 32 as well.
    if (value < 1 || value > kMaxBits) fail(column, "expected a width in [1, 32]");
    return static_cast<std::uint32_t>(value);
  }
  double double_at(std::size_t column, bool allow_empty) const {
    const std::string& text = (*this)[column];
    if (text.empty()) {
      if (allow_empty) return std::nan("");
      fail(column, "expected a number");
    }
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value)) fail(column, "expected a finite number");
    return value;
  }
};

}  // namespace

std::uint32_t BitwidthSchedule::layer_count() const {
  std::uint32_t count = 0;
  for (const auto& row : rows) count = std::max(count, row.layer + 1);
  return count;
}

std::uint64_t BitwidthSchedule::iteration_count() const {
  std::uint64_t count = 0;
  for (const auto& row : rows) count = std::max(count, row.iter_end);
  return count;
}

const ScheduleRow* BitwidthSchedule::find(std::uint32_t layer, std::uint64_t iteration) const {
  for (const auto& row : rows)
    if (row.layer == layer && iteration >= row.iter_begin && iteration < row.iter_end) return &row;
  return nullptr;
}

double BitwidthSchedule::mean_w_bits(std::uint32_t layer) const {
  double weighted = 0.0;
  std::uint64_t iterations = 0;
  for (const auto& row : rows) {
    if (row.layer != layer) continue;
    weighted +=
        static_cast<double>(row.w_bits) * static_cast<double>(row.iter_end - row.iter_begin);
    iterations += row.iter_end - row.iter_begin;
  }
  return iterations == 0 ? 0.0 : weighted / static_cast<double>(iterations);
}

std::vector<IterationRange> BitwidthSchedule::constant_width_ranges() const {
  // Candidate boundaries: every row start; keep those where some layer's widths change.
  std::vector<std::uint64_t> starts;
  for (const auto& row : rows) starts.push_back(row.iter_begin);
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  const auto same_widths = [](const ScheduleRow* a, const ScheduleRow* b) {
    if (!a || !b) return a == b;
    return a->w_bits == b->w_bits && a->a_bits == b->a_bits && a->g_bits == b->g_bits;
  };
  const std::uint32_t layers = layer_count();
  std::vector<IterationRange> ranges;
  for (std::uint64_t start : starts) {
    bool changes = ranges.empty();
    for (std::uint32_t layer = 0; layer < layers && !changes; ++layer)
      changes = !same_widths(find(layer, start - 1), find(layer, start));
    if (!changes) continue;
    if (!ranges.empty()) ranges.back().end = start;
    ranges.push_back({start, 0});
  }
  if (!ranges.empty()) ranges.back().end = iteration_count();
  return ranges;
}

const char* schedule_csv_header() {
  return "layer,layer_name,iter_begin,iter_end,w_bits,a_bits,g_bits,g_avg,underflow_fraction";
}

void write_schedule_csv(std::ostream& out, const BitwidthSchedule& schedule) {
  out << schedule_csv_header() << '\n';
  for (const auto& row : schedule.rows) {
    out << row.layer << ',' << row.layer_name << ',' << row.iter_begin << ',' << row.iter_end << ','
        << row.w_bits << ',' << row.a_bits << ',' << row.g_bits << ',' << format_metric(row.g_avg)
        << ',' << format_metric(row.underflow_fraction) << '\n';
  }
}

void write_schedule_csv(const std::string& path, const BitwidthSchedule& schedule) {
  std::ofstream out(path);
  if (!out) throw sim::ConfigError(path + ": cannot open for writing");
  write_schedule_csv(out, schedule);
  if (!out) throw sim::ConfigError(path + ": write failed");
}

BitwidthSchedule read_schedule_csv(std::istream& in, const std::string& origin) {
  std::string line;
  if (!std::getline(in, line))
    throw sim::ConfigError(origin + ":1: empty file, expected the header " + schedule_csv_header());
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line != schedule_csv_header())
    throw sim::ConfigError(origin + ":1: expected the header " +
                           std::string(schedule_csv_header()) + ", got '" + line + "'");
  BitwidthSchedule schedule;
  std::map<std::uint32_t, std::uint64_t> next_begin;  // per layer: where its next row must start
  std::map<std::uint32_t, std::string> names;
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto fields = sim::split_fields(line);
    if (fields.size() != kColumnCount)
      throw sim::ConfigError(origin + ":" + std::to_string(line_number) + ": expected " +
                             std::to_string(kColumnCount) + " columns, got " +
                             std::to_string(fields.size()));
    const RowParser parser(origin, line_number, fields);
    ScheduleRow row;
    row.layer = static_cast<std::uint32_t>(parser.unsigned_at(0));
    row.layer_name = fields[1];
    if (row.layer_name.empty()) parser.fail(1, "expected a layer name");
    row.iter_begin = parser.unsigned_at(2);
    row.iter_end = parser.unsigned_at(3);
    if (row.iter_end <= row.iter_begin) parser.fail(3, "expected a value > iter_begin");
    row.w_bits = parser.bits_at(4);
    row.a_bits = parser.bits_at(5);
    row.g_bits = parser.bits_at(6);
    row.g_avg = parser.double_at(7, true);
    if (row.g_avg < 0.0) parser.fail(7, "expected a value >= 0");
    row.underflow_fraction = parser.double_at(8, true);
    if (row.underflow_fraction < 0.0 || row.underflow_fraction > 1.0)
      parser.fail(8, "expected a fraction in [0, 1]");
    const auto expected = next_begin.count(row.layer) ? next_begin[row.layer] : 0;
    if (row.iter_begin != expected)
      parser.fail(2, "expected " + std::to_string(expected) +
                         " (each layer's rows must cover iterations contiguously from 0)");
    if (names.count(row.layer) && names[row.layer] != row.layer_name)
      parser.fail(1, "expected the name '" + names[row.layer] + "' used earlier for layer " +
                         std::to_string(row.layer));
    names[row.layer] = row.layer_name;
    next_begin[row.layer] = row.iter_end;
    schedule.rows.push_back(std::move(row));
  }
  if (schedule.rows.empty()) throw sim::ConfigError(origin + ": no rows after the header");
  const auto layers = schedule.layer_count();
  for (std::uint32_t layer = 0; layer < layers; ++layer)
    if (!next_begin.count(layer))
      throw sim::ConfigError(origin + ": layer " + std::to_string(layer) +
                             " has no rows (layers must be numbered 0..N-1)");
  return schedule;
}

BitwidthSchedule read_schedule_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw sim::ConfigError(path + ": cannot open the bitwidth schedule");
  return read_schedule_csv(in, path);
}

}  // namespace workloads::quant
