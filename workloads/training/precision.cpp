#include "workloads/training/precision.h"

#include <cctype>

#include "workloads/quant/schedule.h"

namespace workloads {

std::string NumberFormat::name() const {
  switch (kind) {
    case NumberKind::kFp32:
      return "fp32";
    case NumberKind::kFp16:
      return "fp16";
    case NumberKind::kBf16:
      return "bf16";
    case NumberKind::kInt:
      break;
  }
  return std::to_string(bits);
}

bool parse_number_format(const std::string& text, NumberFormat& out) {
  if (text == "fp32") {
    out = {NumberKind::kFp32, 32};
    return true;
  }
  if (text == "fp16") {
    out = {NumberKind::kFp16, 16};
    return true;
  }
  if (text == "bf16") {
    out = {NumberKind::kBf16, 16};
    return true;
  }
  std::string digits = text.rfind("int", 0) == 0 ? text.substr(3) : text;
  if (digits.empty() || digits.size() > 2) return false;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  const int bits = std::stoi(digits);
  if (bits < 1 || bits > 32) return false;
  out = {NumberKind::kInt, static_cast<std::uint32_t>(bits)};
  return true;
}

namespace {

constexpr const char* kFormatExpected =
    "must be an integer width from 1 to 32 or one of fp32|fp16|bf16";

NumberFormat read_format(const sim::ConfigNode& node, const char* key,
                         const NumberFormat& fallback) {
  const std::string text = node.get<std::string>(key, fallback.name());
  NumberFormat format;
  if (!parse_number_format(text, format))
    node.fail(key, std::string(kFormatExpected) + ", got '" + text + "'");
  return format;
}

LayerPrecision read_layer(const sim::ConfigNode& node, const LayerPrecision& fallback) {
  LayerPrecision p;
  p.w = read_format(node, "w_bits", fallback.w);
  p.a = read_format(node, "a_bits", fallback.a);
  p.g = read_format(node, "g_bits", fallback.g);
  p.acc = read_format(node, "acc_bits", fallback.acc);
  return p;
}

}  // namespace

std::vector<LayerPrecision> parse_precision(const sim::ConfigNode& precision,
                                            const Network& network) {
  const LayerPrecision global = read_layer(precision, LayerPrecision{});
  std::vector<LayerPrecision> layers(network.layers.size(), global);

  const std::string schedule_file = precision.get<std::string>("schedule", "");
  if (!schedule_file.empty()) {
    const quant::BitwidthSchedule schedule = quant::read_schedule_csv(schedule_file);
    for (const auto& row : schedule.rows) {
      if (row.iter_begin != 0) continue;  // inference uses the widths training started with
      std::size_t index = network.layers.size();
      for (std::size_t i = 0; i < network.layers.size(); ++i) {
        if (network.layers[i].name == row.layer_name) index = i;
      }
      if (index == network.layers.size()) {
        std::vector<std::string> names;
        for (const auto& l : network.layers) names.push_back(l.name);
        std::string message = "names layer '" + row.layer_name + "', which the network '" +
                              network.name + "' does not have";
        const std::string suggestion = sim::closest_match(row.layer_name, names);
        if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
        precision.fail("schedule", schedule_file + " " + message);
      }
      // schedule.csv records 32 for full precision.
      auto format_of = [](std::uint32_t bits) {
        return bits >= 32 ? NumberFormat{NumberKind::kFp32, 32}
                          : NumberFormat{NumberKind::kInt, bits};
      };
      layers[index].w = format_of(row.w_bits);
      layers[index].a = format_of(row.a_bits);
      layers[index].g = format_of(row.g_bits);
    }
  }

  const sim::ConfigNode per_layer = precision.child("layers");
  std::vector<std::string> names;
  for (const auto& l : network.layers) names.push_back(l.name);
  for (const auto& key : per_layer.given_keys()) {
    std::size_t index = network.layers.size();
    for (std::size_t i = 0; i < network.layers.size(); ++i) {
      if (network.layers[i].name == key || std::to_string(i) == key) index = i;
    }
    if (index == network.layers.size()) {
      per_layer.child(key);  // mark it read so the error below is the one reported
      std::string message = "is not a layer name or index of network '" + network.name + "'";
      const std::string suggestion = sim::closest_match(key, names);
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
      per_layer.fail(key, message);
    }
    layers[index] = read_layer(per_layer.child(key), layers[index]);
  }
  return layers;
}

}  // namespace workloads
