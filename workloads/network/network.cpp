#include "workloads/network/network.h"

#include <algorithm>
#include <set>
#include <sstream>

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
  if (!is_conv() && type != LayerType::kVector) return 1;
  return window_out(in_h, pad_h, extra_pad_h, kernel_h, dilation_h, stride_h);
}

std::uint32_t Layer::out_w() const {
  if (type == LayerType::kLayout) return layout_w;
  if (!is_conv() && type != LayerType::kVector) return 1;
  return window_out(in_w, pad_w, extra_pad_w, kernel_w, dilation_w, stride_w);
}

GemmShape Layer::gemm(std::uint32_t batch) const {
  GemmShape g;
  const std::uint64_t copies = instances(batch);
  switch (type) {
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
      g = GemmShape{0, 0, 0, 0};
      break;
  }
  return g;
}

std::uint64_t Layer::weight_elements() const {
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
  }
  return 0;
}

std::uint64_t Layer::input_elements(std::uint32_t batch) const {
  const std::uint64_t copies = instances(batch);
  switch (type) {
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
  }
  return 0;
}

std::uint64_t Layer::output_elements(std::uint32_t batch) const {
  if (is_conv() || !runs_on_pe_array()) {
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
  if (previous->is_conv() || !previous->runs_on_pe_array()) {
    h = previous->out_h();
    w = previous->out_w();
    c = previous->out_c;
  } else if (previous->type == LayerType::kGemm) {
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

Layer parse_layer(const sim::ConfigNode& node, const Layer* previous, std::size_t index) {
  Layer layer;
  layer.name = node.get<std::string>("name", "layer" + std::to_string(index));
  const std::string type = node.get_choice(
      "type", "conv2d", {"conv2d", "depthwise_conv2d", "gemm", "fc", "vector", "layout"});
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
                         (previous->is_conv() || !previous->runs_on_pe_array()) &&
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
        chained && (same_kind || previous->type == LayerType::kGemm) ? previous : nullptr);
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
  return layer;
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
  out << "name: " << quoted(network.name) << "\nbatch: " << network.batch << "\nlayers:\n";
  for (const auto& l : network.layers) {
    out << "  - {name: " << quoted(l.name) << ", type: " << layer_type_name(l.type);
    if (l.is_conv()) {
      out << ", in_h: " << l.in_h << ", in_w: " << l.in_w << ", in_c: " << l.in_c;
      if (l.type == LayerType::kConv2d) out << ", out_c: " << l.out_c;
      window_to_yaml(out, l, true);
    } else if (l.type == LayerType::kFc) {
      out << ", in_features: " << l.k << ", out_features: " << l.n;
    } else if (l.type == LayerType::kGemm) {
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
  return network;
}

}  // namespace workloads
