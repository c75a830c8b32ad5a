#include "platforms/scalesim_config.h"

#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "models/pe_array/systolic_model.h"
#include "sim/core/text.h"

namespace platforms {

namespace {

using sim::lower;
using sim::trim;

struct Entry {
  std::string key;  // as written
  std::string value;
  int line = 0;
};

// Every key SCALE-Sim v2 (and the configs it ships) uses, per section, lower case.
std::map<std::string, std::set<std::string>> known_keys() {
  return {
      {"general", {"run_name"}},
      {"architecture_presets",
       {"arrayheight",
        "arraywidth",
        "ifmapsramszkb",
        "filtersramszkb",
        "ofmapsramszkb",
        "ifmapoffset",
        "filteroffset",
        "ofmapoffset",
        "bandwidth",
        "dataflow",
        "memorybanks",
        "onchipmemorybanks",
        "onchipmemorybankports",
        "ifmapcustomlayout",
        "filtercustomlayout",
        "ifmapsrambankbandwidth",
        "ifmapsrambanknum",
        "filtersrambankbandwidth",
        "filtersrambanknum",
        "ifmapsrambankport",
        "filtersrambankport",
        "readrequestbuffer",
        "writerequestbuffer"}},
      {"run_presets",
       {"interfacebandwidth", "sram_row_size", "sram_bank_size", "dram_row_size", "dram_bank_size",
        "useramulatortrace"}},
      {"sparsity",
       {"sparsitysupport", "sparserep", "optimizedmapping", "blocksize",
        "randomnumbergeneratorseed"}},
      {"layout",
       {"ifmapcustomlayout", "filtercustomlayout", "ifmapsrambankbandwidth", "ifmapsrambanknum",
        "ifmapsrambankport", "filtersrambankbandwidth", "filtersrambanknum", "filtersrambankport"}},
      {"network_presets", {"topologycsvloc"}},
  };
}

std::string join(const std::set<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

class CfgFile {
 public:
  explicit CfgFile(const std::string& path) : path_(path), known_(known_keys()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw sim::ConfigError(path +
                             ": cannot open SCALE-Sim config (does it exist and is it "
                             "readable?)");
    }
    std::string line;
    std::string section;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (number == 1 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
      const std::string text = trim(line);
      if (text.empty() || text[0] == '#' || text[0] == ';') continue;
      if (text.front() == '[') {
        if (text.back() != ']')
          fail(number, "expected a section header like [general], got '" + text + "'");
        section = lower(trim(text.substr(1, text.size() - 2)));
        if (known_.count(section) == 0) {
          std::set<std::string> sections;
          for (const auto& [name, keys] : known_) sections.insert(name);
          fail(number, "unknown section [" + section + "]; expected one of: " + join(sections));
        }
        continue;
      }
      const auto split = text.find_first_of("=:");
      if (split == std::string::npos || split == 0) {
        fail(number, "expected 'key = value' or 'key: value', got '" + text + "'");
      }
      if (section.empty()) fail(number, "key outside a section: '" + text + "'");
      Entry entry{trim(text.substr(0, split)), trim(text.substr(split + 1)), number};
      const std::string key = lower(entry.key);
      const auto& keys = known_.at(section);
      if (keys.count(key) == 0) {
        const std::vector<std::string> candidates(keys.begin(), keys.end());
        const std::string suggestion = sim::closest_match(key, candidates);
        fail(number, "[" + section + "] " + entry.key + ": unknown SCALE-Sim key" +
                         (suggestion.empty() ? "" : " (did you mean '" + suggestion + "'?)") +
                         "; expected one of: " + join(keys));
      }
      auto& slot = entries_[section + "." + key];
      if (slot.line != 0) {
        fail(number, "[" + section + "] " + entry.key + ": given twice (first on line " +
                         std::to_string(slot.line) + ")");
      }
      slot = entry;
    }
  }

  [[noreturn]] void fail(int line, const std::string& what) const {
    throw sim::ConfigError(path_ + ":" + std::to_string(line) + ": " + what);
  }

  const Entry* find(const std::string& section, const std::string& key) const {
    auto it = entries_.find(section + "." + key);
    return it == entries_.end() ? nullptr : &it->second;
  }

  const Entry& require(const std::string& section, const std::string& key,
                       const std::string& display) const {
    const Entry* entry = find(section, key);
    if (entry == nullptr) {
      throw sim::ConfigError(path_ + ": [" + section + "] " + display +
                             ": required by SCALE-Sim, missing");
    }
    return *entry;
  }

  std::uint64_t integer(const Entry& entry, std::uint64_t min, std::uint64_t max) const {
    const std::string& v = entry.value;
    bool ok = !v.empty() && v.size() <= 18;
    std::uint64_t value = 0;
    for (char c : v) {
      if (!std::isdigit(static_cast<unsigned char>(c))) ok = false;
      if (ok) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || value < min || value > max) {
      fail(entry.line, entry.key + ": expected an integer in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "], got '" + v + "'");
    }
    return value;
  }

  bool boolean(const Entry& entry) const {
    const std::string v = lower(entry.value);
    if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
    if (v == "false" || v == "no" || v == "off" || v == "0") return false;
    fail(entry.line, entry.key + ": expected true or false, got '" + entry.value + "'");
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, std::set<std::string>> known_;
  std::map<std::string, Entry> entries_;
};

/// Merges `key: yaml_value` under `parent`, located at `line` of the SCALE-Sim file.
void put(sim::Config& config, const CfgFile& cfg, const std::string& parent, const std::string& key,
         const std::string& yaml_value, int line) {
  // Blank lines in front make YAML report the SCALE-Sim file's own line number.
  const std::string text =
      std::string(static_cast<std::size_t>(line - 1), '\n') + key + ": " + yaml_value + "\n";
  config.load_text(text, cfg.path(), parent);
}

std::string yaml_quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void apply_scalesim_config(const std::string& cfg_path, sim::Config& config, double clock_mhz) {
  const CfgFile cfg(cfg_path);
  constexpr std::uint64_t kMaxDim = 1U << 16;
  constexpr std::uint64_t kMaxKb = std::uint64_t{1} << 32;

  if (const Entry* e = cfg.find("general", "run_name")) {
    if (e->value.empty()) cfg.fail(e->line, "run_name: expected a name, got ''");
    put(config, cfg, "", "name", yaml_quoted(e->value), e->line);
  }

  const Entry& height = cfg.require("architecture_presets", "arrayheight", "ArrayHeight");
  const Entry& width = cfg.require("architecture_presets", "arraywidth", "ArrayWidth");
  put(config, cfg, "accelerator.pe_array", "rows", std::to_string(cfg.integer(height, 1, kMaxDim)),
      height.line);
  put(config, cfg, "accelerator.pe_array", "cols", std::to_string(cfg.integer(width, 1, kMaxDim)),
      width.line);

  const Entry& dataflow_entry = cfg.require("architecture_presets", "dataflow", "Dataflow");
  models::Dataflow dataflow;
  if (!models::parse_dataflow(dataflow_entry.value, dataflow)) {
    cfg.fail(dataflow_entry.line,
             dataflow_entry.key + ": expected os, ws or is, got '" + dataflow_entry.value + "'");
  }
  put(config, cfg, "accelerator.pe_array", "dataflow", models::dataflow_name(dataflow),
      dataflow_entry.line);

  const struct {
    const char* key;
    const char* display;
    const char* target;
  } buffers[] = {{"ifmapsramszkb", "IfmapSramSzkB", "ifmap_bytes"},
                 {"filtersramszkb", "FilterSramSzkB", "weight_bytes"},
                 {"ofmapsramszkb", "OfmapSramSzkB", "ofmap_bytes"}};
  for (const auto& buffer : buffers) {
    const Entry& e = cfg.require("architecture_presets", buffer.key, buffer.display);
    put(config, cfg, "accelerator.sram", buffer.target,
        std::to_string(cfg.integer(e, 1, kMaxKb) * 1024), e.line);
  }

  // Read and checked like SCALE-Sim does, without effect on edgesim's results.
  for (const char* key :
       {"ifmapoffset", "filteroffset", "ofmapoffset", "memorybanks", "onchipmemorybanks",
        "onchipmemorybankports", "ifmapsrambankbandwidth", "ifmapsrambanknum",
        "filtersrambankbandwidth", "filtersrambanknum", "ifmapsrambankport", "filtersrambankport",
        "readrequestbuffer", "writerequestbuffer"}) {
    if (const Entry* e = cfg.find("architecture_presets", key)) cfg.integer(*e, 0, kMaxKb);
  }
  for (const char* key : {"sram_row_size", "sram_bank_size", "dram_row_size", "dram_bank_size"}) {
    if (const Entry* e = cfg.find("run_presets", key)) cfg.integer(*e, 0, kMaxKb);
  }
  for (const char* key : {"ifmapsrambankbandwidth", "ifmapsrambanknum", "ifmapsrambankport",
                          "filtersrambankbandwidth", "filtersrambanknum", "filtersrambankport"}) {
    if (const Entry* e = cfg.find("layout", key)) cfg.integer(*e, 0, kMaxKb);
  }
  for (const char* section : {"architecture_presets", "layout"}) {
    for (const char* key : {"ifmapcustomlayout", "filtercustomlayout"}) {
      if (const Entry* e = cfg.find(section, key); e != nullptr && cfg.boolean(*e)) {
        cfg.fail(e->line, e->key +
                              ": custom SRAM layouts are not modelled; set it to False "
                              "to run without them, got '" +
                              e->value + "'");
      }
    }
  }
  if (const Entry* e = cfg.find("sparsity", "sparsitysupport"); e != nullptr && cfg.boolean(*e)) {
    cfg.fail(e->line, e->key +
                          ": sparse layers are not modelled; set it to false to run them "
                          "dense, got '" +
                          e->value + "'");
  }
  // Ramulator latency traces: edgesim times its own DRAM model instead, either way.
  if (const Entry* e = cfg.find("run_presets", "useramulatortrace")) cfg.boolean(*e);

  const Entry& mode = cfg.require("run_presets", "interfacebandwidth", "InterfaceBandwidth");
  const std::string mode_value = lower(mode.value);
  if (mode_value != "user" && mode_value != "calc") {
    cfg.fail(mode.line, mode.key + ": expected USER or CALC, got '" + mode.value + "'");
  }
  const Entry* bandwidth = cfg.find("architecture_presets", "bandwidth");
  std::uint64_t words_per_cycle = 0;
  if (bandwidth != nullptr) {
    // One figure per memory bank; SCALE-Sim uses the first.
    std::istringstream in(bandwidth->value);
    std::string item;
    bool first = true;
    while (std::getline(in, item, ',')) {
      Entry one = *bandwidth;
      one.value = trim(item);
      const std::uint64_t value = cfg.integer(one, 1, kMaxKb);
      if (first) words_per_cycle = value;
      first = false;
    }
    if (first) cfg.integer(*bandwidth, 1, kMaxKb);  // empty value: report it
  }
  if (mode_value == "user") {
    if (bandwidth == nullptr) {
      throw sim::ConfigError(cfg_path + ":" + std::to_string(mode.line) +
                             ": InterfaceBandwidth USER needs [architecture_presets] Bandwidth "
                             "(words per cycle), missing");
    }
    put(config, cfg, "dram", "type", "simple", bandwidth->line);
    // Words are one byte; SCALE-Sim has no clock, edgesim's accelerator clock gives one.
    put(config, cfg, "dram", "bandwidth_gbps",
        sim::format_double(static_cast<double>(words_per_cycle) * clock_mhz / 1000.0),
        bandwidth->line);
  }
  if (mode_value == "calc") {
    // CALC: SCALE-Sim sizes the interface so the array never waits; a simple DRAM far faster
    // than any array here stands for that (and skips the bank-state model's cost).
    put(config, cfg, "dram", "type", "simple", mode.line);
    put(config, cfg, "dram", "bandwidth_gbps", "4096.0", mode.line);
  }
  put(config, cfg, "sim", "scalesim_compat", "true", mode.line);
}

}  // namespace platforms
