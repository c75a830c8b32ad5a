#include "sim/core/gtkw_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "sim/core/config.h"

namespace sim {

namespace {

// GTKWave trace flags (its TraceEntFlagBits).
constexpr unsigned kHex = 1U << 1, kDec = 1U << 2, kBin = 1U << 3, kRightJustify = 1U << 5;
constexpr unsigned kBlank = 1U << 9, kSigned = 1U << 10, kTranslated = 1U << 13;
constexpr unsigned kAnalogStep = 1U << 15, kAnalogStretch = 1U << 17;
constexpr unsigned kGroupBegin = 1U << 23, kGroupEnd = 1U << 24;

/// Position of a component in the view (unknown components last, by name).
int component_rank(const std::string& component) {
  static const char* const kOrder[] = {"host",         "controller", "pe_array",    "vector_unit",
                                       "dma",          "ifmap_sram", "weight_sram", "ofmap_sram",
                                       "unified_sram", "dram",       "energy"};
  for (int i = 0; i < static_cast<int>(std::size(kOrder)); ++i) {
    if (component == kOrder[i]) return i;
  }
  return static_cast<int>(std::size(kOrder));
}

std::string flags(unsigned value) {
  char text[16];
  std::snprintf(text, sizeof(text), "@%x\n", value);
  return text;
}

std::string reference(const VcdSignalInfo& s) {
  std::string name = s.full_name();
  if (s.width > 1) name += "[" + std::to_string(s.width - 1) + ":0]";
  return name;
}

unsigned format_of(const VcdSignalInfo& s) {
  if (s.width == 1) return kBin | kRightJustify;
  if (!s.legend.empty()) return kTranslated | kDec | kRightJustify;
  if (s.rate || s.name.find("energy") != std::string::npos) {
    return kAnalogStep | kDec | kRightJustify;
  }
  if (s.name == "psum") return kSigned | kDec | kRightJustify;
  if (s.name.find("data") != std::string::npos || s.name == "stationary") {
    return kHex | kRightJustify;
  }
  return kDec | kRightJustify;
}

}  // namespace

std::string gtkw_text(const VcdWriter& vcd, const std::string& dump_file,
                      const std::string& filter_dir, std::vector<GtkwFilter>* filters) {
  const std::vector<VcdSignalInfo> signals = vcd.declared_signals();
  // component -> sub-scope ("" for the component itself) -> signals in declaration order.
  std::map<std::pair<int, std::string>, std::map<std::string, std::vector<const VcdSignalInfo*>>>
      groups;
  for (const auto& s : signals) {
    const auto parts = split_key_path(s.scope);
    const std::string component = parts.size() > 1 ? parts[1] : parts[0];
    std::string sub;
    for (std::size_t i = 2; i < parts.size(); ++i) sub += (sub.empty() ? "" : ".") + parts[i];
    groups[{component_rank(component), component}][sub].push_back(&s);
  }
  std::string out;
  out += "[*] edgesim trace view: gtkwave " + dump_file + " <this file>\n";
  out += "[dumpfile] \"" + dump_file + "\"\n";
  out += "[timestart] " + std::to_string(vcd.options().window_start_ps) + "\n";
  out += "[size] 1600 900\n[pos] -1 -1\n";
  // Zoom to show the whole trace: GTKWave's zoom z shows about 4.5 x 2^-z time units across
  // the waves pane of a window this size.
  const std::uint64_t start = vcd.options().window_start_ps;
  const std::uint64_t end = std::min(vcd.end_time(), vcd.options().window_end_ps);
  if (end > start) {
    char zoom[64];
    std::snprintf(zoom, sizeof(zoom), "*%.6f %llu\n",
                  -std::log2(static_cast<double>(end - start) / 4.5),
                  static_cast<unsigned long long>(start));
    out += zoom;
  }
  out +=
      "[treeopen] top.\n[sst_width] 240\n[signals_width] 300\n[sst_expanded] 1\n"
      "[sst_vpaned_height] 250\n";
  int filter_index = 0;
  for (const auto& [key, subs] : groups) {
    const std::string& component = key.second;
    out += flags(kGroupBegin | kBlank) + "-" + component + "\n";
    for (const auto& [sub, members] : subs) {
      // Sub-scopes (DMA channels, traced PEs) are groups of their own.
      if (!sub.empty()) out += flags(kGroupBegin | kBlank) + "-" + component + "." + sub + "\n";
      for (const VcdSignalInfo* s : members) {
        if (!s->legend.empty()) {
          ++filter_index;
          std::string file_name = s->full_name();
          std::replace(file_name.begin(), file_name.end(), '.', '_');
          file_name = "trace." + file_name + ".txt";
          const std::string file = filter_dir.empty() ? file_name : filter_dir + "/" + file_name;
          out += "^" + std::to_string(filter_index) + " " + file + "\n";
          if (filters) {
            GtkwFilter filter{file, ""};
            for (std::size_t v = 0; v < s->legend.size(); ++v) {
              filter.text += std::to_string(v) + " " + s->legend[v] + "\n";
            }
            filters->push_back(filter);
          }
        }
        const unsigned format = format_of(*s);
        out += flags(format) + reference(*s) + "\n";
        if (format & kAnalogStep) out += flags(kAnalogStretch | kBlank) + "-\n-\n";
      }
      if (!sub.empty()) out += flags(kGroupEnd | kBlank) + "-" + component + "." + sub + "\n";
    }
    out += flags(kGroupEnd | kBlank) + "-" + component + "\n";
  }
  out += "[pattern_trace] 1\n[pattern_trace] 0\n";
  return out;
}

void write_gtkw(const VcdWriter& vcd, const std::string& gtkw_file, const std::string& dump_name,
                const std::string& final_dir) {
  std::vector<GtkwFilter> filters;
  const std::string text = gtkw_text(vcd, final_dir + "/" + dump_name, final_dir, &filters);
  const std::filesystem::path dir = std::filesystem::path(gtkw_file).parent_path();
  auto write = [](const std::filesystem::path& file, const std::string& content) {
    std::ofstream out(file);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + file.string());
  };
  write(gtkw_file, text);
  for (const auto& filter : filters) {
    write(dir / std::filesystem::path(filter.file).filename(), filter.text);
  }
}

}  // namespace sim
