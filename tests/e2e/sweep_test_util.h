#pragma once
// Helpers shared by the sweep end-to-end tests: small sweep files, CSV comparison without the
// wall-clock columns, counting lines.

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace e2e {

/// Four tiny_cnn points: two square arrays x two dataflows.
inline std::string small_sweep(const std::string& extra = "") {
  return "base: {platform: edge_npu, workload: tiny_cnn}\n"
         "axes:\n"
         "  - {key: accelerator.pe_array.rows, values: [4, 8], zip: array}\n"
         "  - {key: accelerator.pe_array.cols, values: [4, 8], zip: array}\n"
         "  - {key: accelerator.pe_array.dataflow, values: [os, ws]}\n"
         "objectives:\n"
         "  - {minimize: total_cycles}\n"
         "  - {minimize: pe_count}\n" +
         extra;
}

/// Splits one CSV line (quoted cells may hold commas).
inline std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

/// A CSV file without its wall-clock columns (they differ between any two runs).
inline std::string csv_without_wall_time(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, out;
  std::vector<bool> keep;
  while (std::getline(in, line)) {
    const auto cells = csv_cells(line);
    if (keep.empty()) {
      for (const auto& c : cells) keep.push_back(c != "wall_seconds" && c != "sim_wall_seconds");
    }
    for (std::size_t i = 0; i < cells.size() && i < keep.size(); ++i) {
      if (keep[i]) out += cells[i] + ",";
    }
    out += "\n";
  }
  return out;
}

inline std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace e2e
