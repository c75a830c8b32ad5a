#include "workloads/network/network.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

namespace workloads {

const char* layer_type_name(LayerType type) {
  switch (type) {
    case LayerType::kConv2d:
      return "conv2d";
    case LayerType::kDepthwiseConv2d:
      return "depthwise_conv2d";
    case LayerType::kGemm:
      return "gemm";
    case LayerType::kFc:
      return "fc";
    case LayerType::kVector:
      return "vector";
    case LayerType::kLayout:
      return "layout";
    case LayerType::kTtm:
      return "ttm";
  }
  return "conv2d";
}

const std::vector<std::string>& vector_op_names() {
  static const std::vector<std::string> names = {
      "relu",          "leakyrelu", "prelu",        "clip",      "sigmoid",     "hardsigmoid",
      "hardswish",     "tanh",      "gelu",         "erf",       "elu",         "selu",
      "softplus",      "exp",       "log",          "sqrt",      "reciprocal",  "neg",
      "abs",           "cast",      "add",          "sub",       "mul",         "div",
      "pow",           "max",       "min",          "maxpool",   "averagepool", "globalaveragepool",
      "globalmaxpool", "batchnorm", "instancenorm", "layernorm", "softmax",     "logsoftmax",
      "reducemean",    "reducesum", "reducemax",    "pad",       "gather",      "lppool",
      "lrn",           "where",     "compare",      "logical",   "resize",      "col2im"};
  return names;
}

const std::vector<std::string>& layout_op_names() {
  static const std::vector<std::string> names = {"flatten", "reshape", "transpose",
                                                 "concat",  "squeeze", "unsqueeze",
                                                 "split",   "slice",   "expand"};
  return names;
}

namespace {

/// Rows or columns a window of `kernel` taps spaced `dilation` apart spans.
std::uint64_t window_extent(std::uint32_t kernel, std::uint32_t dilation) {
  return std::uint64_t{dilation} * (kernel - 1) + 1;
}

std::uint32_t window_out(std::uint32_t in, std::uint32_t pad, std::uint32_t extra,
                         std::uint32_t kernel, std::uint32_t dilation, std::uint32_t stride) {
  const std::uint64_t padded = std::uint64_t{in} + 2ULL * pad + extra;
  const std::uint64_t extent = window_extent(kernel, dilation);
  if (padded < extent || stride == 0) return 0;
  return static_cast<std::uint32_t>((padded - extent) / stride + 1);
}

}  // namespace

std::uint32_t Layer::out_h() const {
  if (type == LayerType::kLayout) return layout_h;
  if (!has_conv_geometry() && type != LayerType::kVector) return 1;
  return window_out(in_h, pad_h, extra_pad_h, kernel_h, dilation_h, stride_h);
}

std::uint32_t Layer::out_w() const {
  if (type == LayerType::kLayout) return layout_w;
  if (!has_conv_geometry() && type != LayerType::kVector) return 1;
  return window_out(in_w, pad_w, extra_pad_w, kernel_w, dilation_w, stride_w);
}

GemmShape Layer::gemm(std::uint32_t batch) const {
  GemmShape g;
  const std::uint64_t copies = instances(batch);
  switch (base_type()) {
    case LayerType::kConv2d:
      g.m = std::uint64_t{out_h()} * out_w() * copies;
      g.n = out_c;
      g.k = std::uint64_t{kernel_h} * kernel_w * in_c;
      break;
    case LayerType::kDepthwiseConv2d:
      g.m = std::uint64_t{out_h()} * out_w() * copies;
      g.n = 1;
      g.k = std::uint64_t{kernel_h} * kernel_w;
      g.groups = in_c;
      break;
    case LayerType::kGemm:
      g.m = m * copies;
      g.n = n;
      g.k = k;
      break;
    case LayerType::kFc:
      g.m = copies;
      g.n = n;
      g.k = k;
      break;
    case LayerType::kVector:
    case LayerType::kLayout:
    case LayerType::kTtm:
      g = GemmShape{0, 0, 0, 0};
      break;
  }
  return g;
}

std::uint64_t Layer::macs(std::uint32_t batch) const {
  if (is_ttm()) return ttm_forward_macs(tt_shape(), tt_order, ttm_batch_rows(*this, batch));
  return gemm(batch).macs();
}

std::uint64_t Layer::weight_elements() const {
  if (is_ttm()) return ttm_parameters(tt_shape());
  switch (type) {
    case LayerType::kConv2d:
      return std::uint64_t{kernel_h} * kernel_w * in_c * out_c * repeat;
    case LayerType::kDepthwiseConv2d:
      return std::uint64_t{kernel_h} * kernel_w * in_c * repeat;
    case LayerType::kGemm:
    case LayerType::kFc:
      return b_is_weight ? k * n * repeat : 0;
    case LayerType::kVector:
    case LayerType::kLayout:
      return const_elements;
    case LayerType::kTtm:
      break;
  }
  return 0;
}

std::uint64_t Layer::input_elements(std::uint32_t batch) const {
  const std::uint64_t copies = instances(batch);
  switch (base_type()) {
    case LayerType::kConv2d:
    case LayerType::kDepthwiseConv2d:
      return std::uint64_t{in_h} * in_w * in_c * copies;
    case LayerType::kGemm:
    case LayerType::kFc:
      return gemm(batch).m * k + (b_is_weight ? 0 : k * n * copies);
    case LayerType::kVector:
    case LayerType::kLayout:
      return (in_elements != 0 ? in_elements : std::uint64_t{operands} * in_h * in_w * in_c) *
             copies;
    case LayerType::kTtm:
      break;
  }
  return 0;
}

std::uint64_t Layer::output_elements(std::uint32_t batch) const {
  if (has_conv_geometry() || !runs_on_pe_array()) {
    return std::uint64_t{out_h()} * out_w() * out_c * instances(batch);
  }
  return gemm(batch).m * n;
}

std::uint64_t Network::total_macs() const {
  std::uint64_t total = 0;
  for (const auto& layer : layers) total += layer.macs(batch);
  return total;
}

std::uint64_t Network::total_weight_elements() const {
  std::uint64_t total = 0;
  for (const auto& layer : layers) total += layer.weight_elements();
  return total;
}

namespace {

std::uint32_t get_dim(const sim::ConfigNode& node, const char* key, std::uint32_t fallback) {
  const std::uint64_t value = node.get_positive(key, fallback);
  if (value > (1U << 24)) node.fail(key, "must be at most 16777216, got " + node.raw(key));
  return static_cast<std::uint32_t>(value);
}

/// The per-instance output shape a layer hands to the next one: h x w x c (a matrix is
/// 1 x rows x columns); false when the layer has none (first layer).
bool output_shape(const Layer* previous, std::uint32_t& h, std::uint32_t& w, std::uint32_t& c) {
  if (previous == nullptr) return false;
  if (previous->has_conv_geometry() || !previous->runs_on_pe_array()) {
    h = previous->out_h();
    w = previous->out_w();
    c = previous->out_c;
  } else if (previous->base_type() == LayerType::kGemm) {
    h = 1;
    w = static_cast<std::uint32_t>(std::min<std::uint64_t>(previous->m, 1U << 24));
    c = static_cast<std::uint32_t>(std::min<std::uint64_t>(previous->n, 1U << 24));
  } else {
    h = 1;
    w = 1;
    c = static_cast<std::uint32_t>(std::min<std::uint64_t>(previous->n, 1U << 24));
  }
  return true;
}

/// Reads the sliding window (kernel, stride, padding, dilation) of a conv or vector layer
/// and checks that it fits the padded input.
void parse_window(const sim::ConfigNode& node, Layer& layer, std::uint32_t default_kernel) {
  layer.kernel_h = get_dim(node, "kernel", default_kernel);
  layer.kernel_w = get_dim(node, "kernel_w", layer.kernel_h);
  layer.stride_h = get_dim(node, "stride", 1);
  layer.stride_w = get_dim(node, "stride_w", layer.stride_h);
  layer.pad_h = node.get<std::uint32_t>("padding", 0);
  layer.pad_w = node.get<std::uint32_t>("padding_w", layer.pad_h);
  layer.extra_pad_h = node.get<std::uint32_t>("extra_padding", 0);
  layer.extra_pad_w = node.get<std::uint32_t>("extra_padding_w", layer.extra_pad_h);
  layer.dilation_h = get_dim(node, "dilation", 1);
  layer.dilation_w = get_dim(node, "dilation_w", layer.dilation_h);
  const std::uint64_t padded_h = std::uint64_t{layer.in_h} + 2ULL * layer.pad_h + layer.extra_pad_h;
  const std::uint64_t padded_w = std::uint64_t{layer.in_w} + 2ULL * layer.pad_w + layer.extra_pad_w;
  if (window_extent(layer.kernel_h, layer.dilation_h) > padded_h) {
    node.fail("kernel",
              "must fit the padded input height " + std::to_string(padded_h) + ", got " +
                  std::to_string(layer.kernel_h) +
                  (layer.dilation_h > 1 ? " (dilation " + std::to_string(layer.dilation_h) + ")"
                                        : std::string()));
  }
  if (window_extent(layer.kernel_w, layer.dilation_w) > padded_w) {
    node.fail("kernel_w",
              "must fit the padded input width " + std::to_string(padded_w) + ", got " +
                  std::to_string(layer.kernel_w) +
                  (layer.dilation_w > 1 ? " (dilation " + std::to_string(layer.dilation_w) + ")"
                                        : std::string()));
  }
}

/// Keys every layer type accepts: instances per sample and batch scaling.
void parse_instances(const sim::ConfigNode& node, Layer& layer, const Layer* inherit) {
  layer.repeat = node.get_positive("repeat", inherit != nullptr ? inherit->repeat : 1);
  layer.scales_with_batch =
      node.get<bool>("scales_with_batch", inherit != nullptr ? inherit->scales_with_batch : true);
}

void parse_tt_spec(const sim::ConfigNode& node, Layer& layer);

Layer parse_layer(const sim::ConfigNode& node, const Layer* previous, std::size_t index) {
  Layer layer;
  layer.name = node.get<std::string>("name", "layer" + std::to_string(index));
  std::string type = node.get_choice(
      "type", "conv2d", {"conv2d", "depthwise_conv2d", "gemm", "fc", "vector", "layout", "ttm"});
  const bool ttm = type == "ttm";
  // A ttm layer has the geometry keys of its source layer and its cores under `tt`.
  if (ttm) type = node.get_choice("source", "fc", {"fc", "gemm", "conv2d"});
  if (type == "conv2d") layer.type = LayerType::kConv2d;
  if (type == "depthwise_conv2d") layer.type = LayerType::kDepthwiseConv2d;
  if (type == "gemm") layer.type = LayerType::kGemm;
  if (type == "fc") layer.type = LayerType::kFc;
  if (type == "vector") layer.type = LayerType::kVector;
  if (type == "layout") layer.type = LayerType::kLayout;

  std::uint32_t prev_h = 1, prev_w = 1, prev_c = 1;
  if (layer.is_conv()) {
    // Without an explicit input shape a convolution continues from the previous layer.
    const bool chained = previous != nullptr &&
                         (previous->has_conv_geometry() || !previous->runs_on_pe_array()) &&
                         output_shape(previous, prev_h, prev_w, prev_c);
    if (!chained && !(node.has("in_h") && node.has("in_w") && node.has("in_c"))) {
      node.fail("in_h", "a " + type +
                            " layer that does not follow a convolution, vector or "
                            "layout layer needs in_h, in_w and in_c");
    }
    layer.in_h = get_dim(node, "in_h", prev_h);
    layer.in_w = get_dim(node, "in_w", prev_w);
    layer.in_c = get_dim(node, "in_c", prev_c);
    if (layer.type == LayerType::kConv2d) {
      layer.out_c = get_dim(node, "out_c", 1);
      if (!node.has("out_c")) node.fail("out_c", "is required for conv2d, got nothing");
    } else {
      layer.out_c = layer.in_c;
    }
    parse_window(node, layer, 3);
    parse_instances(node, layer, nullptr);
  } else if (layer.type == LayerType::kVector || layer.type == LayerType::kLayout) {
    const bool vector = layer.type == LayerType::kVector;
    if (!node.has("op")) node.fail("op", "is required for a " + type + " layer, got nothing");
    const auto& ops = vector ? vector_op_names() : layout_op_names();
    layer.op = node.get_choice("op", ops.front(), ops);
    const bool chained = output_shape(previous, prev_h, prev_w, prev_c);
    if (!chained && !(node.has("in_h") && node.has("in_w") && node.has("in_c"))) {
      node.fail("in_h", "the first layer needs in_h, in_w and in_c");
    }
    layer.in_h = get_dim(node, "in_h", prev_h);
    layer.in_w = get_dim(node, "in_w", prev_w);
    layer.in_c = get_dim(node, "in_c", prev_c);
    if (vector) {
      parse_window(node, layer, 1);
    } else {
      layer.layout_h = get_dim(node, "out_h", layer.in_h);
      layer.layout_w = get_dim(node, "out_w", layer.in_w);
    }
    layer.out_c = get_dim(node, "out_c", layer.in_c);
    layer.operands = static_cast<std::uint32_t>(get_dim(node, "operands", 1));
    layer.in_elements = node.get<std::uint64_t>("in_elements", 0);
    layer.const_elements = node.get<std::uint64_t>("const_elements", 0);
    const bool same_kind = previous != nullptr && !previous->runs_on_pe_array();
    parse_instances(
        node, layer,
        chained && (same_kind || previous->base_type() == LayerType::kGemm) ? previous : nullptr);
  } else if (layer.type == LayerType::kFc) {
    const std::uint64_t chained =
        previous != nullptr ? previous->output_elements(1) : std::uint64_t{0};
    if (chained == 0 && !node.has("in_features")) {
      node.fail("in_features", "is required for the first fc layer, got nothing");
    }
    layer.k = node.get_positive("in_features", chained);
    layer.n = node.get_positive("out_features", 1);
    if (!node.has("out_features")) node.fail("out_features", "is required for fc, got nothing");
    layer.b_is_weight =
        node.get_choice("b_operand", "weight", {"weight", "activation"}) == "weight";
    parse_instances(node, layer, nullptr);
  } else {
    for (const char* key : {"m", "n", "k"}) {
      if (!node.has(key)) node.fail(key, "is required for gemm, got nothing");
    }
    layer.m = node.get_positive("m", 1);
    layer.n = node.get_positive("n", 1);
    layer.k = node.get_positive("k", 1);
    layer.b_is_weight =
        node.get_choice("b_operand", "weight", {"weight", "activation"}) == "weight";
    parse_instances(node, layer, nullptr);
  }
  if (ttm) parse_tt_spec(node.child("tt"), layer);
  return layer;
}

/// The dense weight matrix a ttm layer would replace: rows M (outputs) and columns N (the
/// reduction); false (with why) when the layer has no weight matrix to tensorise.
bool tensorizable_dims(const Layer& layer, std::uint64_t& rows, std::uint64_t& cols,
                       std::string& why) {
  switch (layer.base_type()) {
    case LayerType::kFc:
    case LayerType::kGemm:
      if (!layer.b_is_weight) {
        why = "its second operand is an activation, not a weight matrix";
        return false;
      }
      rows = layer.n;
      cols = layer.k;
      break;
    case LayerType::kConv2d:
      rows = layer.out_c;
      cols = std::uint64_t{layer.kernel_h} * layer.kernel_w * layer.in_c;
      break;
    default:
      why = std::string("it is a ") + layer_type_name(layer.base_type()) +
            " layer; only fc, gemm and conv2d layers can be tensorised";
      return false;
  }
  if (layer.repeat != 1) {
    why = "it has repeat " + std::to_string(layer.repeat) + " (instances with their own weights)";
    return false;
  }
  return true;
}

std::string factor_text(const std::vector<std::uint32_t>& v) {
  std::string text = "[";
  for (std::size_t i = 0; i < v.size(); ++i) text += (i ? "," : "") + std::to_string(v[i]);
  return text + "]";
}

std::uint64_t factor_product(const std::vector<std::uint32_t>& v) {
  std::uint64_t p = 1;
  for (auto x : v) p *= x;
  return p;
}

/// A list of positive integers (a single number is a one-element list).
std::vector<std::uint32_t> get_factor_list(const sim::ConfigNode& node, const char* key) {
  std::vector<std::uint32_t> out;
  if (!node.has(key)) return out;
  for (const auto& item : node.get_string_list(key, {})) {
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
      value = std::stoull(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value == 0 || value > (1U << 24)) {
      node.fail(key, "must be a list of positive integers, got '" + item + "' in it");
    }
    out.push_back(static_cast<std::uint32_t>(value));
  }
  if (out.empty()) node.fail(key, "must list at least one factor, got an empty list");
  return out;
}

/// Reads a TT specification (m, n, cores, rank, ranks, max_rank, order) for `layer` and turns
/// the layer into a ttm layer.
void parse_tt_spec(const sim::ConfigNode& node, Layer& layer) {
  std::uint64_t rows = 0, cols = 0;
  std::string why;
  if (!tensorizable_dims(layer, rows, cols, why)) {
    node.fail("", "layer '" + layer.name + "' cannot be tensorised: " + why);
  }
  std::vector<std::uint32_t> m = get_factor_list(node, "m");
  std::vector<std::uint32_t> n = get_factor_list(node, "n");
  const std::size_t given = !m.empty() ? m.size() : n.size();
  const std::uint64_t cores = node.get_positive("cores", given != 0 ? given : 3);
  if (cores > 16) node.fail("cores", "must be at most 16, got " + std::to_string(cores));
  if (given != 0 && node.has("cores") && cores != given) {
    node.fail("cores", "must equal the number of factors given (" + std::to_string(given) +
                           "), got " + std::to_string(cores));
  }
  if (m.empty()) m = ttm_balanced_factors(rows, cores);
  if (n.empty()) n = ttm_balanced_factors(cols, cores);
  if (n.size() != m.size()) {
    node.fail("n", "must have as many factors as m (" + std::to_string(m.size()) + "), got " +
                       factor_text(n));
  }
  if (factor_product(m) != rows) {
    node.fail("m", "must multiply to the layer's " + std::to_string(rows) + " outputs, got " +
                       factor_text(m) + " = " + std::to_string(factor_product(m)));
  }
  if (factor_product(n) != cols) {
    node.fail("n", "must multiply to the layer's reduction size " + std::to_string(cols) +
                       ", got " + factor_text(n) + " = " + std::to_string(factor_product(n)));
  }
  const auto max_rank = node.get<std::uint32_t>("max_rank", 0);
  std::vector<std::uint32_t> ranks;
  if (node.has("ranks")) {
    if (node.has("rank")) node.fail("rank", "give either rank or ranks, not both");
    ranks = get_factor_list(node, "ranks");
    if (ranks.size() != m.size() + 1 || ranks.front() != 1 || ranks.back() != 1) {
      node.fail("ranks", "must be " + std::to_string(m.size() + 1) +
                             " ranks r_0..r_d with r_0 = r_d = 1, got " + factor_text(ranks));
    }
  } else {
    if (!node.has("rank") && max_rank == 0) {
      node.fail("rank", "is required (or ranks, or max_rank) to tensorise layer '" + layer.name +
                            "', got nothing");
    }
    const std::uint64_t rank = node.get_positive("rank", max_rank);
    if (rank > (1U << 20)) node.fail("rank", "must be at most 1048576, got " + node.raw("rank"));
    ranks = ttm_uniform_ranks(m.size(), static_cast<std::uint32_t>(rank));
  }
  if (max_rank != 0) {
    for (const auto r : ranks) {
      if (r > max_rank) {
        node.fail(
            node.has("ranks") ? "ranks" : "rank",
            "must not exceed max_rank " + std::to_string(max_rank) + ", got " + factor_text(ranks));
      }
    }
  }
  const std::string order =
      node.get_choice("order", "auto", {"auto", "right_to_left", "left_to_right", "rebuild_dense"});
  const TtmOrder chosen = order == "left_to_right"   ? TtmOrder::kLeftToRight
                          : order == "rebuild_dense" ? TtmOrder::kRebuildDense
                                                     : TtmOrder::kRightToLeft;
  tensorize_layer(layer, TtmShape{m, n, ranks}, order == "auto", chosen);
  layer.tt_max_rank = max_rank;
}

/// A YAML double-quoted scalar.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static const char* const hex = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void window_to_yaml(std::ostream& out, const Layer& l, bool always) {
  if (always || l.kernel_h != 1 || l.kernel_w != 1) {
    out << ", kernel: " << l.kernel_h << ", kernel_w: " << l.kernel_w;
  }
  if (always || l.stride_h != 1 || l.stride_w != 1) {
    out << ", stride: " << l.stride_h << ", stride_w: " << l.stride_w;
  }
  if (always || l.pad_h != 0 || l.pad_w != 0) {
    out << ", padding: " << l.pad_h << ", padding_w: " << l.pad_w;
  }
  if (l.extra_pad_h != 0 || l.extra_pad_w != 0) {
    out << ", extra_padding: " << l.extra_pad_h << ", extra_padding_w: " << l.extra_pad_w;
  }
  if (l.dilation_h != 1 || l.dilation_w != 1) {
    out << ", dilation: " << l.dilation_h << ", dilation_w: " << l.dilation_w;
  }
}

}  // namespace

std::string network_to_yaml(const Network& network) {
  std::ostringstream out;
  out << "name: " << quoted(network.name) << "\nbatch: " << network.batch << "\n";
  if (network.tt_order_by != "macs") out << "tensorize_order_by: " << network.tt_order_by << "\n";
  out << "layers:\n";
  for (const auto& l : network.layers) {
    out << "  - {name: " << quoted(l.name) << ", type: " << layer_type_name(l.type);
    if (l.is_ttm()) out << ", source: " << layer_type_name(l.tt_source);
    const LayerType base = l.base_type();
    if (l.has_conv_geometry()) {
      out << ", in_h: " << l.in_h << ", in_w: " << l.in_w << ", in_c: " << l.in_c;
      if (base == LayerType::kConv2d) out << ", out_c: " << l.out_c;
      window_to_yaml(out, l, true);
    } else if (base == LayerType::kFc) {
      out << ", in_features: " << l.k << ", out_features: " << l.n;
    } else if (base == LayerType::kGemm) {
      out << ", m: " << l.m << ", n: " << l.n << ", k: " << l.k;
    } else {
      out << ", op: " << l.op << ", in_h: " << l.in_h << ", in_w: " << l.in_w
          << ", in_c: " << l.in_c;
      if (l.type == LayerType::kVector) {
        window_to_yaml(out, l, false);
      } else {
        out << ", out_h: " << l.layout_h << ", out_w: " << l.layout_w;
      }
      out << ", out_c: " << l.out_c;
      if (l.operands != 1) out << ", operands: " << l.operands;
      if (l.in_elements != 0) out << ", in_elements: " << l.in_elements;
      if (l.const_elements != 0) out << ", const_elements: " << l.const_elements;
    }
    if (!l.runs_on_pe_array() || l.repeat != 1) out << ", repeat: " << l.repeat;
    if (!l.runs_on_pe_array() || !l.scales_with_batch) {
      out << ", scales_with_batch: " << (l.scales_with_batch ? "true" : "false");
    }
    if (!l.b_is_weight) out << ", b_operand: activation";
    if (l.is_ttm()) {
      out << ", tt: {m: " << factor_text(l.tt_m) << ", n: " << factor_text(l.tt_n)
          << ", ranks: " << factor_text(l.tt_ranks)
          << ", order: " << (l.tt_order_auto ? "auto" : ttm_order_name(l.tt_order));
      if (l.tt_max_rank != 0) out << ", max_rank: " << l.tt_max_rank;
      out << "}";
    }
    out << "}\n";
  }
  if (!network.skipped_nodes.empty()) {
    out << "skipped_nodes:\n";
    for (const auto& node : network.skipped_nodes) out << "  - " << quoted(node) << "\n";
  }
  return out.str();
}

Network parse_network(const sim::ConfigNode& workload) {
  Network network;
  network.name = workload.get<std::string>("name", "workload");
  network.batch = static_cast<std::uint32_t>(workload.get_positive("batch", 1));
  const auto layer_nodes = workload.child_list("layers");
  if (layer_nodes.empty()) workload.fail("layers", "must list at least one layer, got none");
  std::set<std::string> names;
  for (std::size_t i = 0; i < layer_nodes.size(); ++i) {
    const Layer* previous = network.layers.empty() ? nullptr : &network.layers.back();
    Layer layer = parse_layer(layer_nodes[i], previous, i);
    if (!names.insert(layer.name).second) {
      layer_nodes[i].fail("name",
                          "must be unique within the network, got '" + layer.name + "' twice");
    }
    network.layers.push_back(layer);
  }
  if (workload.has("skipped_nodes")) {
    network.skipped_nodes = workload.get_string_list("skipped_nodes", {});
  }
  // tensorize: {layer name: TT specification}, applied after every shape is known.
  const sim::ConfigNode tensorize = workload.child("tensorize");
  for (const auto& name : tensorize.given_keys()) {
    const auto found = std::find_if(network.layers.begin(), network.layers.end(),
                                    [&](const Layer& l) { return l.name == name; });
    if (found == network.layers.end()) {
      std::vector<std::string> candidates;
      std::string list;
      for (const auto& l : network.layers) {
        if (!l.runs_on_pe_array()) continue;
        candidates.push_back(l.name);
        if (candidates.size() <= 8) list += (list.empty() ? "" : ", ") + l.name;
      }
      if (candidates.size() > 8) list += ", ... " + std::to_string(candidates.size()) + " in all";
      const std::string suggestion = sim::closest_match(name, candidates);
      tensorize.fail(name, "must name a layer of the network (" + list + ")" +
                               (suggestion.empty() ? "" : ", did you mean '" + suggestion + "'") +
                               ", got '" + name + "'");
    }
    if (found->is_ttm()) {
      tensorize.fail(name, "names layer '" + name + "', which is already a ttm layer");
    }
    parse_tt_spec(tensorize.child(name), *found);
  }
  network.tt_order_by =
      workload.get_choice("tensorize_order_by", network.tt_order_by, {"macs", "latency"});
  resolve_ttm_orders(network, false);
  return network;
}

void tensorize_layer(Layer& layer, const TtmShape& shape, bool order_auto, TtmOrder order) {
  validate_ttm_shape(shape);
  std::uint64_t rows = 0, cols = 0;
  std::string why;
  if (!tensorizable_dims(layer, rows, cols, why)) {
    throw std::invalid_argument("layer '" + layer.name + "' cannot be tensorised: " + why);
  }
  if (ttm_rows(shape) != rows || ttm_cols(shape) != cols) {
    throw std::invalid_argument("layer '" + layer.name + "': TT factors " + factor_text(shape.m) +
                                " x " + factor_text(shape.n) + " do not give its " +
                                std::to_string(rows) + " x " + std::to_string(cols) +
                                " weight matrix");
  }
  layer.tt_source = layer.base_type();
  layer.type = LayerType::kTtm;
  layer.tt_m = shape.m;
  layer.tt_n = shape.n;
  layer.tt_ranks = shape.ranks;
  layer.tt_order_auto = order_auto;
  layer.tt_order = order;
}

std::uint64_t ttm_batch_rows(const Layer& layer, std::uint32_t batch) {
  return layer.gemm(batch).m;
}

void resolve_ttm_orders(Network& network, bool training) {
  for (auto& layer : network.layers) {
    if (!layer.is_ttm() || !layer.tt_order_auto) continue;
    const std::uint64_t rows = ttm_batch_rows(layer, network.batch);
    const TtmShape shape = layer.tt_shape();
    TtmOrder best = ttm_cheapest_forward_order(shape, rows);
    if (training && best == TtmOrder::kRebuildDense) {
      best = ttm_forward_macs(shape, TtmOrder::kLeftToRight, rows) <
                     ttm_forward_macs(shape, TtmOrder::kRightToLeft, rows)
                 ? TtmOrder::kLeftToRight
                 : TtmOrder::kRightToLeft;
    }
    layer.tt_order = best;
  }
}

}  // namespace workloads
