#include "sim/report/scalesim_report.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace report {

std::string python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  if (value == 0) return std::signbit(value) ? "-0.0" : "0.0";
  char buffer[64];
  const auto result =
      std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  std::string text(buffer, result.ptr);  // shortest round trip, e.g. "-9.1683e+01"
  const bool negative = text[0] == '-';
  if (negative) text.erase(0, 1);
  const auto e = text.find('e');
  const int exponent = std::atoi(text.c_str() + e + 1);
  std::string digits;
  for (std::size_t i = 0; i < e; ++i) {
    if (text[i] != '.') digits += text[i];
  }
  std::string out;
  // Python's repr switches to exponent notation below 1e-4 and from 1e16 on.
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      const auto integer_digits = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() <= integer_digits) {
        out = digits + std::string(integer_digits - digits.size(), '0') + ".0";
      } else {
        out = digits.substr(0, integer_digits) + "." + digits.substr(integer_digits);
      }
    } else {
      out = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    }
  } else {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    std::string exp_text = std::to_string(std::abs(exponent));
    if (exp_text.size() < 2) exp_text = "0" + exp_text;
    out += std::string("e") + (exponent < 0 ? "-" : "+") + exp_text;
  }
  return negative ? "-" + out : out;
}

namespace {

/// Python's int / int: a correctly rounded double; a zero divisor gives 0 (SCALE-Sim raises).
double ratio(std::uint64_t numerator, std::int64_t denominator) {
  if (denominator == 0) return 0.0;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

double dram_bandwidth(const ScalesimAccess& access) {
  return ratio(access.count, access.stop_cycle - access.start_cycle + 1);
}

/// Cycles are floats in SCALE-Sim's detailed report ("33.0").
std::string cycle(std::int64_t value) { return python_float(static_cast<double>(value)); }

std::string access_columns(const ScalesimAccess& a) {
  return cycle(a.start_cycle) + ", " + cycle(a.stop_cycle) + ", " + std::to_string(a.count);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error(path + ": cannot write SCALE-Sim report");
}

}  // namespace

std::string scalesim_compute_report(const std::vector<ScalesimLayerRow>& rows) {
  std::string out =
      "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util "
      "%,\n";
  for (std::size_t id = 0; id < rows.size(); ++id) {
    const auto& r = rows[id];
    out += std::to_string(id) + ", " + std::to_string(r.total_cycles) + ", " +
           std::to_string(r.stall_cycles) + ", " + python_float(r.overall_util_pct) + ", " +
           python_float(r.mapping_efficiency_pct) + ", " + python_float(r.compute_util_pct) + ",\n";
  }
  return out;
}

std::string scalesim_bandwidth_report(const std::vector<ScalesimLayerRow>& rows) {
  std::string out =
      "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
      "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  for (std::size_t id = 0; id < rows.size(); ++id) {
    const auto& r = rows[id];
    const auto total = static_cast<std::int64_t>(r.total_cycles);
    out += std::to_string(id) + ", " + python_float(ratio(r.sram_ifmap.count, total)) + ", " +
           python_float(ratio(r.sram_filter.count, total)) + ", " +
           python_float(ratio(r.sram_ofmap.count, total)) + ", " +
           python_float(dram_bandwidth(r.dram_ifmap)) + ", " +
           python_float(dram_bandwidth(r.dram_filter)) + ", " +
           python_float(dram_bandwidth(r.dram_ofmap)) + ",\n";
  }
  return out;
}

std::string scalesim_detailed_access_report(const std::vector<ScalesimLayerRow>& rows) {
  std::string out =
      "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter "
      "Start Cycle, SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM "
      "OFMAP Stop Cycle, SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM "
      "IFMAP Reads, DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM "
      "OFMAP Start Cycle, DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  for (std::size_t id = 0; id < rows.size(); ++id) {
    const auto& r = rows[id];
    out += std::to_string(id) + ", " + access_columns(r.sram_ifmap) + ", " +
           access_columns(r.sram_filter) + ", " + access_columns(r.sram_ofmap) + ", " +
           access_columns(r.dram_ifmap) + ", " + access_columns(r.dram_filter) + ", " +
           access_columns(r.dram_ofmap) + ",\n";
  }
  return out;
}

void write_scalesim_reports(const std::string& dir, const std::vector<ScalesimLayerRow>& rows) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw std::runtime_error(dir + ": cannot create directory: " + error.message());
  write_file(dir + "/COMPUTE_REPORT.csv", scalesim_compute_report(rows));
  write_file(dir + "/BANDWIDTH_REPORT.csv", scalesim_bandwidth_report(rows));
  write_file(dir + "/DETAILED_ACCESS_REPORT.csv", scalesim_detailed_access_report(rows));
}

namespace {

/// The geometry SCALE-Sim would see for one group of `layer`.
models::ScalesimConvGeometry geometry_for(const workloads::Layer& layer, std::uint32_t batch) {
  const workloads::GemmShape shape = layer.gemm(batch);
  models::ScalesimConvGeometry g;
  const bool depthwise = layer.type == workloads::LayerType::kDepthwiseConv2d;
  if (layer.is_conv() && batch == 1) {
    g.filter_h = layer.kernel_h;
    g.filter_w = layer.kernel_w;
    g.channels = depthwise ? 1 : layer.in_c;
    g.filters = depthwise ? 1 : layer.out_c;
    g.stride_h = layer.stride_h;
    g.stride_w = layer.stride_w;
    // A SCALE-Sim topology row (its padding only stands for SCALE-Sim's ceil) or an unpadded
    // layer: the input itself; a padded layer: the padded input, as a SCALE-Sim user writes it.
    g.ifmap_h = layer.in_h;
    g.ifmap_w = layer.in_w;
    const bool fits = layer.in_h >= layer.kernel_h && layer.in_w >= layer.kernel_w;
    if (fits && g.ofmap_h() == layer.out_h() && g.ofmap_w() == layer.out_w()) return g;
    g.ifmap_h = std::uint64_t{layer.in_h} + 2 * layer.pad_h;
    g.ifmap_w = std::uint64_t{layer.in_w} + 2 * layer.pad_w;
    if (g.ofmap_h() == layer.out_h() && g.ofmap_w() == layer.out_w()) return g;
  }
  // A matrix product: SCALE-Sim's GEMM reading (ifmap M x K, one 1 x K filter per column).
  g = models::ScalesimConvGeometry{};
  g.ifmap_h = shape.m;
  g.ifmap_w = shape.k;
  g.filter_w = shape.k;
  g.filters = shape.n;
  return g;
}

ScalesimLayerRow row_from(const std::string& name, const models::GemmMetrics& m,
                          const models::SramAccessWindow& w, std::uint64_t groups,
                          std::uint64_t group_cycles) {
  ScalesimLayerRow r;
  r.layer_name = name;
  r.total_cycles = m.reported_cycles;
  r.overall_util_pct = m.overall_util_pct;
  r.mapping_efficiency_pct = m.mapping_efficiency_pct;
  r.compute_util_pct = m.compute_util_pct;
  const auto last = static_cast<std::int64_t>((groups - 1) * group_cycles);
  r.sram_ifmap = {static_cast<std::int64_t>(w.ifmap_start),
                  last + static_cast<std::int64_t>(w.ifmap_stop), m.sram.ifmap_reads};
  r.sram_filter = {static_cast<std::int64_t>(w.filter_start),
                   last + static_cast<std::int64_t>(w.filter_stop), m.sram.filter_reads};
  r.sram_ofmap = {static_cast<std::int64_t>(w.ofmap_start),
                  last + static_cast<std::int64_t>(w.ofmap_stop), m.sram.ofmap_writes};
  return r;
}

}  // namespace

std::vector<ScalesimLayerRow> scalesim_rows_for_layer(const workloads::Layer& layer,
                                                      std::uint32_t batch, std::uint32_t rows,
                                                      std::uint32_t cols, models::Dataflow dataflow,
                                                      models::Accounting accounting,
                                                      models::PythonSum python_sum) {
  workloads::GemmShape shape = layer.gemm(batch);
  const models::SramAccessWindow window =
      models::scalesim_sram_window(geometry_for(layer, batch), rows, cols, dataflow);
  std::vector<ScalesimLayerRow> out;
  if (accounting == models::Accounting::kScalesimCompat && shape.groups > 1) {
    const std::uint64_t groups = shape.groups;
    shape.groups = 1;
    const auto metrics = models::gemm_metrics(shape, rows, cols, dataflow, accounting, python_sum);
    for (std::uint64_t g = 0; g < groups; ++g) {
      out.push_back(row_from(layer.name + "Channel_" + std::to_string(g), metrics, window, 1, 0));
    }
    return out;
  }
  const auto metrics = models::gemm_metrics(shape, rows, cols, dataflow, accounting, python_sum);
  out.push_back(row_from(layer.name, metrics, window, shape.groups, metrics.fold.cycles));
  return out;
}

std::vector<ScalesimLayerRow> scalesim_replayed_rows_for_layer(
    const workloads::Layer& layer, std::uint32_t batch, std::uint32_t rows, std::uint32_t cols,
    models::Dataflow dataflow, const models::ScalesimMemoryConfig& memory,
    models::PythonSum python_sum) {
  auto out = scalesim_rows_for_layer(layer, batch, rows, cols, dataflow,
                                     models::Accounting::kScalesimCompat, python_sum);
  // Every group of a layer is the same SCALE-Sim layer, so one replay serves all rows.
  const models::ScalesimMemoryReplay replay =
      models::scalesim_calc_memory(geometry_for(layer, batch), rows, cols, dataflow, memory);
  workloads::GemmShape group = layer.gemm(batch);
  group.groups = 1;
  const auto to_access = [](const models::ScalesimAccessSpan& span) {
    return ScalesimAccess{span.start, span.stop, span.count};
  };
  for (ScalesimLayerRow& row : out) {
    if (row.total_cycles != replay.total_cycles) {
      // Stalls lengthen the layer; SCALE-Sim's utilisation divides by the longer time.
      row.overall_util_pct = static_cast<double>(group.macs() * 100) /
                             static_cast<double>(replay.total_cycles * rows * cols);
    }
    row.total_cycles = replay.total_cycles;
    row.stall_cycles = replay.stall_cycles;
    row.sram_ifmap = to_access(replay.sram_ifmap);
    row.sram_filter = to_access(replay.sram_filter);
    row.sram_ofmap = to_access(replay.sram_ofmap);
    row.dram_ifmap = to_access(replay.dram_ifmap);
    row.dram_filter = to_access(replay.dram_filter);
    row.dram_ofmap = to_access(replay.dram_ofmap);
  }
  return out;
}

}  // namespace report
