#pragma once
// GTKWave save file (.gtkw) for a trace written by VcdWriter: signals grouped by component
// (host, controller, PE array, vector unit, DMA, buffers, DRAM, energy), in a fixed order, with
// formats that read well (bits as lines, counts in decimal, rates and energy as analog steps,
// indices with a legend translated to names through GTKWave translate filter files).

#include <string>
#include <vector>

#include "sim/core/vcd_writer.h"

namespace sim {

/// A translate filter file the save file refers to: "value name" lines.
struct GtkwFilter {
  std::string file;  // as referenced from the save file
  std::string text;
};

/// The save file for `vcd`, opening `dump_file`; `filter_dir` prefixes the translate filter
/// files (one per signal with a legend, listed in `filters` when given).
std::string gtkw_text(const VcdWriter& vcd, const std::string& dump_file,
                      const std::string& filter_dir, std::vector<GtkwFilter>* filters = nullptr);

/// Writes `gtkw_file` and its translate filters into the directory of `gtkw_file`; the save
/// file refers to the dump and the filters under `final_dir` (where the files will live once
/// the run directory is complete). Throws std::runtime_error when a file cannot be written.
void write_gtkw(const VcdWriter& vcd, const std::string& gtkw_file, const std::string& dump_name,
                const std::string& final_dir);

}  // namespace sim
