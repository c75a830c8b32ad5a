#include "workloads/network/scalesim_topology.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

#include "sim/core/text.h"

namespace workloads {

namespace {

using sim::lower;
using sim::trim;

/// The fields of one row. SCALE-Sim drops the last field of every row (the empty one after
/// the trailing comma, or a `#comment`); edgesim drops it only when it is empty or a comment,
/// so a row without the trailing comma keeps its last value.
std::vector<std::string> split_row(const std::string& row) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(row);
  while (std::getline(in, field, ',')) fields.push_back(trim(field));
  if (!row.empty() && row.back() == ',') fields.emplace_back();
  if (!fields.empty() && (fields.back().empty() || fields.back().front() == '#')) {
    fields.pop_back();
  }
  return fields;
}

class RowParser {
 public:
  RowParser(const std::string& origin, std::size_t line, const std::vector<std::string>& fields)
      : origin_(origin), line_(line), fields_(fields) {}

  [[noreturn]] void fail(const std::string& column, const std::string& expected,
                         const std::string& value) const {
    throw sim::ConfigError(origin_ + ":" + std::to_string(line_) + ": column '" + column +
                           "': expected " + expected + ", got '" + value + "'");
  }

  /// A positive integer in field `index` (SCALE-Sim reads it with int()).
  std::uint32_t positive(std::size_t index, const std::string& column) const {
    if (index >= fields_.size()) fail(column, "a positive integer", "");
    const std::string& text = fields_[index];
    if (text.empty() || text.size() > 9) fail(column, "a positive integer", text);
    std::uint64_t value = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) fail(column, "a positive integer", text);
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value == 0 || value > (1U << 24)) {
      fail(column, "a positive integer of at most 16777216", text);
    }
    return static_cast<std::uint32_t>(value);
  }

 private:
  const std::string& origin_;
  std::size_t line_;
  const std::vector<std::string>& fields_;
};

const char* const kConvColumns[] = {"Layer name",    "IFMAP Height", "IFMAP Width",
                                    "Filter Height", "Filter Width", "Channels",
                                    "Num Filter",    "Strides",      "Stride Width"};
const char* const kGemmColumns[] = {"Layer", "M", "N", "K"};

Layer conv_layer(const std::string& origin, std::size_t line,
                 const std::vector<std::string>& fields) {
  const RowParser p(origin, line, fields);
  if (fields.size() < 8) p.fail(kConvColumns[fields.size()], "a value (8 or 9 columns)", "");
  if (fields.size() > 9) {
    p.fail("(column 10)", "at most 9 columns (name, 6 shape values, 1 or 2 strides)", fields[9]);
  }
  Layer layer;
  layer.name = fields[0];
  if (layer.name.empty()) p.fail(kConvColumns[0], "a layer name", "");
  layer.in_h = p.positive(1, kConvColumns[1]);
  layer.in_w = p.positive(2, kConvColumns[2]);
  layer.kernel_h = p.positive(3, kConvColumns[3]);
  layer.kernel_w = p.positive(4, kConvColumns[4]);
  layer.in_c = p.positive(5, kConvColumns[5]);
  const std::uint32_t filters = p.positive(6, kConvColumns[6]);
  layer.stride_h = p.positive(7, kConvColumns[7]);
  layer.stride_w = fields.size() > 8 ? p.positive(8, kConvColumns[8]) : layer.stride_h;
  if (layer.kernel_h > layer.in_h) {
    p.fail(kConvColumns[3], "at most the IFMAP Height " + std::to_string(layer.in_h), fields[3]);
  }
  if (layer.kernel_w > layer.in_w) {
    p.fail(kConvColumns[4], "at most the IFMAP Width " + std::to_string(layer.in_w), fields[4]);
  }
  layer.pad_h = scalesim_equivalent_padding(layer.in_h, layer.kernel_h, layer.stride_h);
  layer.pad_w = scalesim_equivalent_padding(layer.in_w, layer.kernel_w, layer.stride_w);
  if (layer.name.find("DP") != std::string::npos) {
    // SCALE-Sim runs one single-channel layer per channel, each with Num Filter filters.
    // One filter per channel is the depthwise layer; other values have no depthwise meaning.
    layer.type = LayerType::kDepthwiseConv2d;
    if (filters != 1 && filters != layer.in_c) {
      p.fail(kConvColumns[6],
             "1 or the channel count " + std::to_string(layer.in_c) + " for a depthwise (DP) layer",
             fields[6]);
    }
    layer.out_c = layer.in_c;
  } else {
    layer.type = LayerType::kConv2d;
    layer.out_c = filters;
  }
  return layer;
}

Layer gemm_layer(const std::string& origin, std::size_t line,
                 const std::vector<std::string>& fields) {
  const RowParser p(origin, line, fields);
  if (fields.size() < 4) p.fail(kGemmColumns[fields.size()], "a value (4 columns)", "");
  if (fields.size() > 4) p.fail("(column 5)", "4 columns: Layer, M, N, K", fields[4]);
  Layer layer;
  layer.type = LayerType::kGemm;
  layer.name = fields[0];
  if (layer.name.empty()) p.fail(kGemmColumns[0], "a layer name", "");
  layer.m = p.positive(1, kGemmColumns[1]);
  layer.n = p.positive(2, kGemmColumns[2]);
  layer.k = p.positive(3, kGemmColumns[3]);
  return layer;
}

}  // namespace

std::uint32_t scalesim_equivalent_padding(std::uint32_t in, std::uint32_t kernel,
                                          std::uint32_t stride) {
  // ceil(x / s) = floor((x + r) / s) with r = (s - x mod s) mod s; 2 pad in {r, r + 1}
  // never reaches the next multiple of s because r + 1 < s + 1 and r is 0 when s is 1.
  const std::uint32_t excess = in - kernel;
  const std::uint32_t missing = (stride - excess % stride) % stride;
  return (missing + 1) / 2;
}

Network parse_scalesim_topology(const std::string& text, const std::string& origin,
                                const std::string& format) {
  if (format != "conv" && format != "gemm" && format != "auto") {
    throw sim::ConfigError(origin + ": topology format: expected conv, gemm or auto, got '" +
                           format + "'");
  }
  std::string body = text;
  if (body.compare(0, 3, "\xEF\xBB\xBF") == 0) body.erase(0, 3);  // UTF-8 byte-order mark

  Network network;
  // The network is named after the file, as SCALE-Sim names its topology.
  std::string stem = origin.substr(origin.find_last_of('/') + 1);
  if (const auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0) {
    stem.erase(dot);
  }
  network.name = stem;
  network.batch = 1;

  std::istringstream in(body);
  std::string row;
  std::size_t line = 0;
  bool header_seen = false;
  bool gemm = format == "gemm";
  while (std::getline(in, row)) {
    ++line;
    row = trim(row);
    if (!header_seen) {
      // SCALE-Sim skips the first line, whatever it holds.
      header_seen = true;
      if (format == "auto") {
        const auto header = split_row(row);
        gemm = header.size() == 4 && lower(header[1]) == "m" && lower(header[2]) == "n" &&
               lower(header[3]) == "k";
      }
      continue;
    }
    if (row.empty()) continue;
    const auto fields = split_row(row);
    network.layers.push_back(gemm ? gemm_layer(origin, line, fields)
                                  : conv_layer(origin, line, fields));
  }
  if (network.layers.empty()) {
    throw sim::ConfigError(origin + ":" + std::to_string(line + 1) +
                           ": expected a header row and at least one layer row, got none");
  }
  return network;
}

Network load_scalesim_topology(const std::string& path, const std::string& format) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    throw sim::ConfigError(path +
                           ": cannot open topology file (does it exist and is it readable?)");
  }
  std::stringstream buffer;
  buffer << file.rdbuf();
  return parse_scalesim_topology(buffer.str(), path, format);
}

}  // namespace workloads
