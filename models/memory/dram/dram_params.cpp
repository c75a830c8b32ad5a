#include "models/memory/dram/dram_params.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace models {

namespace generated {
struct EmbeddedDramPreset {
  const char* name;
  const char* yaml;
};
extern const EmbeddedDramPreset kDramPresets[];
extern const std::size_t kDramPresetCount;
}  // namespace generated

namespace {

constexpr std::array<DramField, 6> kAllFields = {DramField::kChannel,   DramField::kRank,
                                                 DramField::kBankGroup, DramField::kBank,
                                                 DramField::kRow,       DramField::kColumn};

bool is_power_of_two(std::uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

std::uint32_t log2_exact(std::uint64_t value) {
  std::uint32_t bits = 0;
  while ((std::uint64_t{1} << bits) < value) ++bits;
  return bits;
}

const std::vector<std::string>& type_names() {
  static const std::vector<std::string> names = {"simple", "lpddr4", "lpddr5", "ddr4", "hbm2"};
  return names;
}

DramType type_from_name(const std::string& name) {
  if (name == "simple") return DramType::kSimple;
  if (name == "lpddr5") return DramType::kLpddr5;
  if (name == "ddr4") return DramType::kDdr4;
  if (name == "hbm2") return DramType::kHbm2;
  return DramType::kLpddr4;
}

std::string default_preset_for(DramType type) {
  switch (type) {
    case DramType::kLpddr5:
      return "lpddr5-6400";
    case DramType::kDdr4:
      return "ddr4-3200";
    case DramType::kHbm2:
      return "hbm2";
    case DramType::kSimple:
    case DramType::kLpddr4:
      break;
  }
  return "lpddr4-3200";
}

bool field_from_name(const std::string& name, DramField& field) {
  if (name == "channel" || name == "ch") {
    field = DramField::kChannel;
  } else if (name == "rank") {
    field = DramField::kRank;
  } else if (name == "bankgroup" || name == "bank_group" || name == "bg") {
    field = DramField::kBankGroup;
  } else if (name == "bank") {
    field = DramField::kBank;
  } else if (name == "row") {
    field = DramField::kRow;
  } else if (name == "column" || name == "col") {
    field = DramField::kColumn;
  } else {
    return false;
  }
  return true;
}

std::uint32_t field_bits(DramField field, const DramParams& p) {
  switch (field) {
    case DramField::kChannel:
      return log2_exact(p.channels);
    case DramField::kRank:
      return log2_exact(p.ranks);
    case DramField::kBankGroup:
      return log2_exact(p.bank_groups);
    case DramField::kBank:
      return log2_exact(p.banks);
    case DramField::kRow:
      return log2_exact(p.rows);
    case DramField::kColumn:
      return log2_exact(p.columns / p.burst_length);
  }
  return 0;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

/// Reads every key except `type` and `preset`, each falling back to the value already in `p`.
void read_fields(const sim::ConfigNode& node, DramParams& p) {
  p.mode = node.get_choice("mode", p.mode == DramMode::kAt ? "at" : "lt", {"lt", "at"}) == "at"
               ? DramMode::kAt
               : DramMode::kLt;
  p.base_address = node.get<std::uint64_t>("base_address", p.base_address);
  p.size_bytes = node.get<std::uint64_t>("size_bytes", p.size_bytes);
  p.channels = static_cast<std::uint32_t>(node.get_positive("channels", p.channels));
  p.ranks = static_cast<std::uint32_t>(node.get_positive("ranks", p.ranks));
  p.bank_groups = static_cast<std::uint32_t>(node.get_positive("bank_groups", p.bank_groups));
  p.banks = static_cast<std::uint32_t>(node.get_positive("banks", p.banks));
  p.rows = node.get_positive("rows", p.rows);
  p.columns = static_cast<std::uint32_t>(node.get_positive("columns", p.columns));
  p.bus_width_bits =
      static_cast<std::uint32_t>(node.get_positive("bus_width_bits", p.bus_width_bits));
  p.burst_length = static_cast<std::uint32_t>(node.get_positive("burst_length", p.burst_length));
  p.transfers_per_clock =
      static_cast<std::uint32_t>(node.get_positive("transfers_per_clock", p.transfers_per_clock));
  p.page_policy =
      node.get_choice("page_policy", p.page_policy == PagePolicy::kClose ? "close" : "open",
                      {"open", "close"}) == "close"
          ? PagePolicy::kClose
          : PagePolicy::kOpen;
  p.address_mapping = node.get_string_list("address_mapping", p.address_mapping);
  p.tck_ps = static_cast<std::uint32_t>(node.get_positive("tck_ps", p.tck_ps));
  const auto cycles = [&](const char* key, std::uint32_t& field) {
    field = node.get<std::uint32_t>(key, field);
  };
  cycles("cl", p.cl);
  cycles("cwl", p.cwl);
  cycles("trcd", p.trcd);
  cycles("trp", p.trp);
  cycles("tras", p.tras);
  cycles("trc", p.trc);
  cycles("trrd", p.trrd);
  cycles("tfaw", p.tfaw);
  cycles("twr", p.twr);
  cycles("twtr", p.twtr);
  cycles("trtp", p.trtp);
  cycles("tccd", p.tccd);
  cycles("tccd_l", p.tccd_l);
  cycles("trfc", p.trfc);
  cycles("trefi", p.trefi);
  p.refresh_mode =
      node.get_choice("refresh_mode",
                      p.refresh_mode == RefreshMode::kPerBank ? "per_bank" : "all_bank",
                      {"all_bank", "per_bank"}) == "per_bank"
          ? RefreshMode::kPerBank
          : RefreshMode::kAllBank;
  cycles("trfc_pb", p.trfc_pb);
  p.queue_depth = static_cast<std::uint32_t>(node.get_positive("queue_depth", p.queue_depth));
  p.store_data = node.get<bool>("store_data", p.store_data);
  p.write_buffer_bursts = node.get<std::uint32_t>("write_buffer_bursts", p.write_buffer_bursts);
  p.write_hold_ns = node.get<std::uint32_t>("write_hold_ns", p.write_hold_ns);
  const double kHuge = 1e15;
  p.activate_pj = node.get_in_range("activate_pj", p.activate_pj, 0.0, kHuge);
  p.precharge_pj = node.get_in_range("precharge_pj", p.precharge_pj, 0.0, kHuge);
  p.read_pj_per_bit = node.get_in_range("read_pj_per_bit", p.read_pj_per_bit, 0.0, kHuge);
  p.write_pj_per_bit = node.get_in_range("write_pj_per_bit", p.write_pj_per_bit, 0.0, kHuge);
  p.refresh_pj = node.get_in_range("refresh_pj", p.refresh_pj, 0.0, kHuge);
  p.background_mw = node.get_in_range("background_mw", p.background_mw, 0.0, kHuge);
  p.energy_source = node.get<std::string>("energy_source", p.energy_source);
  p.latency_ns = node.get_in_range("latency_ns", p.latency_ns, 0.0, kHuge);
  p.bandwidth_gbps = node.get<double>("bandwidth_gbps", p.bandwidth_gbps);
}

void validate(const sim::ConfigNode& node, DramParams& p) {
  const auto power_of_two = [&](const char* key, std::uint64_t value) {
    if (!is_power_of_two(value)) {
      node.fail(key, "must be a power of two (the address mapping slices bits), got " +
                         std::to_string(value));
    }
  };
  power_of_two("channels", p.channels);
  power_of_two("ranks", p.ranks);
  power_of_two("bank_groups", p.bank_groups);
  power_of_two("banks", p.banks);
  power_of_two("rows", p.rows);
  power_of_two("columns", p.columns);
  power_of_two("burst_length", p.burst_length);
  if (p.bus_width_bits % 8 != 0 || !is_power_of_two(p.bus_width_bits / 8)) {
    node.fail("bus_width_bits",
              "must be 8 times a power of two, got " + std::to_string(p.bus_width_bits));
  }
  if (p.columns < p.burst_length) {
    node.fail("columns", "must be >= burst_length (" + std::to_string(p.burst_length) + "), got " +
                             std::to_string(p.columns));
  }
  if (p.burst_length % p.transfers_per_clock != 0) {
    node.fail("transfers_per_clock", "must divide burst_length (" + std::to_string(p.burst_length) +
                                         "), got " + std::to_string(p.transfers_per_clock));
  }
  if (p.trc < p.tras) {
    node.fail("trc",
              "must be >= tras (" + std::to_string(p.tras) + "), got " + std::to_string(p.trc));
  }
  if (p.trefi != 0 && p.trfc >= p.trefi) {
    node.fail("trfc", "must be < trefi (" + std::to_string(p.trefi) + ") when refresh is on, got " +
                          std::to_string(p.trfc));
  }
  if (p.refresh_mode == RefreshMode::kPerBank && p.bank_groups * p.banks > 64) {
    node.fail("refresh_mode", "per_bank supports up to 64 banks per rank, got " +
                                  std::to_string(p.bank_groups * p.banks));
  }
  if (p.trefi != 0 && p.refresh_mode == RefreshMode::kPerBank) {
    const std::uint64_t interval = p.trefi / (static_cast<std::uint64_t>(p.bank_groups) * p.banks);
    if (p.trfc_pb == 0 || p.trfc_pb >= interval) {
      node.fail("trfc_pb", "must be in (0, trefi / banks per rank = " + std::to_string(interval) +
                               ") for per-bank refresh, got " + std::to_string(p.trfc_pb));
    }
  }
  if (p.write_buffer_bursts == 1) {
    node.fail("write_buffer_bursts", "must be 0 (no buffer) or >= 2, got 1");
  }
  if (p.bandwidth_gbps <= 0.0) {
    node.fail("bandwidth_gbps", "must be > 0, got " + sim::format_double(p.bandwidth_gbps));
  }
  const std::uint64_t capacity = p.capacity_bytes();
  if (p.size_bytes == 0) {
    if (node.has("size_bytes")) node.fail("size_bytes", "must be > 0, got 0");
    p.size_bytes = capacity;
    node.set_resolved("size_bytes", p.size_bytes);  // so config.resolved.yaml reproduces it
  } else if (p.size_bytes > capacity) {
    node.fail("size_bytes", "must be <= the geometry's capacity (" + std::to_string(capacity) +
                                " bytes), got " + std::to_string(p.size_bytes));
  }
  std::string error;
  p.mapping_segments = decode_address_mapping(p.address_mapping, p, error);
  if (!error.empty()) {
    node.fail("address_mapping", error + ", got [" + join(p.address_mapping, ", ") + "]");
  }
}

}  // namespace

const char* dram_type_name(DramType type) {
  switch (type) {
    case DramType::kSimple:
      return "simple";
    case DramType::kLpddr4:
      return "lpddr4";
    case DramType::kLpddr5:
      return "lpddr5";
    case DramType::kDdr4:
      return "ddr4";
    case DramType::kHbm2:
      return "hbm2";
  }
  return "lpddr4";
}

const char* dram_field_name(DramField field) {
  switch (field) {
    case DramField::kChannel:
      return "channel";
    case DramField::kRank:
      return "rank";
    case DramField::kBankGroup:
      return "bankgroup";
    case DramField::kBank:
      return "bank";
    case DramField::kRow:
      return "row";
    case DramField::kColumn:
      return "column";
  }
  return "row";
}

std::uint64_t DramParams::capacity_bytes() const {
  return static_cast<std::uint64_t>(channels) * ranks * bank_groups * banks * rows * row_bytes();
}

double DramParams::peak_bandwidth_gbps() const {
  // bytes per beat x beats per tCK / tCK; bytes per ps x 1000 = GB/s.
  return static_cast<double>(channels) * (bus_width_bits / 8.0) * transfers_per_clock /
         static_cast<double>(tck_ps) * 1000.0;
}

std::vector<std::string> dram_preset_names() {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < generated::kDramPresetCount; ++i) {
    names.emplace_back(generated::kDramPresets[i].name);
  }
  return names;
}

std::string dram_preset_yaml(const std::string& name) {
  for (std::size_t i = 0; i < generated::kDramPresetCount; ++i) {
    if (name == generated::kDramPresets[i].name) return generated::kDramPresets[i].yaml;
  }
  return {};
}

std::vector<DramBitSegment> decode_address_mapping(const std::vector<std::string>& mapping,
                                                   const DramParams& params, std::string& error) {
  error.clear();
  std::vector<DramField> bit_fields;  // field of each burst-index bit, LSB first
  std::array<std::uint32_t, kAllFields.size()> needed{};
  for (DramField field : kAllFields) {
    needed[static_cast<std::size_t>(field)] = field_bits(field, params);
  }
  if (mapping.size() == 1) {
    std::vector<std::string> order;
    std::string current;
    for (char c : mapping.front() + ":") {
      if (c == ':') {
        order.push_back(current);
        current.clear();
      } else if (c != ' ') {
        current += c;
      }
    }
    std::array<bool, kAllFields.size()> seen{};
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      DramField field;
      if (!field_from_name(*it, field)) {
        error = "must name fields among row, rank, bankgroup, bank, column, channel ('" + *it +
                "' is none of them)";
        return {};
      }
      const auto index = static_cast<std::size_t>(field);
      if (seen[index]) {
        error = "must name each field once ('" + *it + "' appears twice)";
        return {};
      }
      seen[index] = true;
      bit_fields.insert(bit_fields.end(), needed[index], field);
    }
    for (DramField field : kAllFields) {
      const auto index = static_cast<std::size_t>(field);
      if (!seen[index] && needed[index] > 0) {
        error = std::string("must place field '") + dram_field_name(field) + "' (" +
                std::to_string(needed[index]) + " bits for this geometry)";
        return {};
      }
    }
  } else {
    std::array<std::uint32_t, kAllFields.size()> given{};
    for (const auto& name : mapping) {
      DramField field;
      if (!field_from_name(name, field)) {
        error =
            "must list one field name per address bit, LSB first ('" + name + "' is not a field)";
        return {};
      }
      ++given[static_cast<std::size_t>(field)];
      bit_fields.push_back(field);
    }
    for (DramField field : kAllFields) {
      const auto index = static_cast<std::size_t>(field);
      if (given[index] != needed[index]) {
        error = std::string("must give field '") + dram_field_name(field) + "' " +
                std::to_string(needed[index]) + " bits for this geometry (it has " +
                std::to_string(given[index]) + ")";
        return {};
      }
    }
  }
  std::vector<DramBitSegment> segments;
  std::array<std::uint32_t, kAllFields.size()> filled{};
  for (std::uint32_t bit = 0; bit < bit_fields.size(); ++bit) {
    const DramField field = bit_fields[bit];
    const auto index = static_cast<std::size_t>(field);
    if (!segments.empty() && segments.back().field == field &&
        segments.back().source_shift + segments.back().width == bit) {
      ++segments.back().width;
    } else {
      segments.push_back({field, bit, 1, filled[index]});
    }
    ++filled[index];
  }
  return segments;
}

DramParams parse_dram(const sim::ConfigNode& node) {
  DramParams p;
  std::string preset;
  DramType type;
  if (node.has("preset")) {
    preset = node.get_choice("preset", "", dram_preset_names());
    sim::Config preset_config;
    preset_config.load_text(dram_preset_yaml(preset), "platforms/dram/" + preset + ".yaml");
    const sim::ConfigNode preset_node = preset_config.root();
    const DramType preset_type =
        type_from_name(preset_node.get_choice("type", "lpddr4", type_names()));
    type = type_from_name(node.get_choice("type", dram_type_name(preset_type), type_names()));
    if (type != preset_type && type != DramType::kSimple) {
      node.fail("type", std::string("must match preset '") + preset + "' (type " +
                            dram_type_name(preset_type) + ") or be simple, got '" +
                            dram_type_name(type) + "'");
    }
    read_fields(preset_node, p);
    preset_config.check_all_read();
  } else {
    type = type_from_name(node.get_choice("type", "lpddr4", type_names()));
    preset = node.get_choice("preset", default_preset_for(type), dram_preset_names());
    sim::Config preset_config;
    preset_config.load_text(dram_preset_yaml(preset), "platforms/dram/" + preset + ".yaml");
    const sim::ConfigNode preset_node = preset_config.root();
    preset_node.get_choice("type", "lpddr4", type_names());
    read_fields(preset_node, p);
    preset_config.check_all_read();
  }
  p.type = type;
  p.preset = preset;
  p.size_bytes = 0;  // a preset's size is its capacity unless the section says otherwise
  read_fields(node, p);
  validate(node, p);
  return p;
}

}  // namespace models
