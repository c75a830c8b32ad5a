#pragma once
// SCALE-Sim v2's three CSV reports (COMPUTE_REPORT, BANDWIDTH_REPORT, DETAILED_ACCESS_REPORT)
// with its column names and its number formatting (docs/scalesim.md).

#include <cstdint>
#include <string>
#include <vector>

#include "models/pe_array/scalesim_memory.h"
#include "models/pe_array/systolic_model.h"
#include "workloads/network/network.h"

namespace report {

/// Accesses of one operand at one memory level: first and last cycle and the element count.
struct ScalesimAccess {
  std::int64_t start_cycle = 0;  // may be negative: SCALE-Sim prefetches before cycle 0
  std::int64_t stop_cycle = 0;
  std::uint64_t count = 0;  // reads (ifmap, filter) or writes (ofmap), one-byte words
};

/// One row of the reports. LayerID is the row's position in the vector (as in SCALE-Sim).
struct ScalesimLayerRow {
  std::string layer_name;          // not printed (SCALE-Sim prints the index); for callers
  std::uint64_t total_cycles = 0;  // as reported: compat = last cycle index, else the count
  std::uint64_t stall_cycles = 0;
  double overall_util_pct = 0;
  double mapping_efficiency_pct = 0;
  double compute_util_pct = 0;
  ScalesimAccess sram_ifmap, sram_filter, sram_ofmap;
  ScalesimAccess dram_ifmap, dram_filter, dram_ofmap;
};

/// Writes the three reports into `dir` (created if missing). Throws std::runtime_error when
/// a file cannot be written.
void write_scalesim_reports(const std::string& dir, const std::vector<ScalesimLayerRow>& rows);

/// The report texts, as write_scalesim_reports writes them (for tests and in-memory use).
std::string scalesim_compute_report(const std::vector<ScalesimLayerRow>& rows);
std::string scalesim_bandwidth_report(const std::vector<ScalesimLayerRow>& rows);
std::string scalesim_detailed_access_report(const std::vector<ScalesimLayerRow>& rows);

/// Formats a double as Python's str() does (shortest round trip, "100.0", "1e-05").
std::string python_float(double value);

/// The compute and SRAM columns of one layer's rows, from the fold model; DRAM columns and
/// stall cycles are left for the caller (they come from the simulated memory system).
/// In compat mode a layer with groups > 1 becomes one row per group named
/// `<name>Channel_<i>`, as SCALE-Sim splits a depthwise layer; otherwise one row.
/// SRAM start/stop cycles follow SCALE-Sim's definitions (cycle 0 = the layer's start).
std::vector<ScalesimLayerRow> scalesim_rows_for_layer(
    const workloads::Layer& layer, std::uint32_t batch, std::uint32_t rows, std::uint32_t cols,
    models::Dataflow dataflow, models::Accounting accounting,
    models::PythonSum python_sum = models::PythonSum::kCompensated);

/// Compat-mode rows with every column SCALE-Sim's CALC mode reports, the DRAM columns and
/// stall cycles included, by replaying the layer through SCALE-Sim's buffers
/// (models::scalesim_calc_memory). Costs time in proportion to the layer's SRAM accesses.
std::vector<ScalesimLayerRow> scalesim_replayed_rows_for_layer(
    const workloads::Layer& layer, std::uint32_t batch, std::uint32_t rows, std::uint32_t cols,
    models::Dataflow dataflow, const models::ScalesimMemoryConfig& memory,
    models::PythonSum python_sum = models::PythonSum::kCompensated);

}  // namespace report
