#include "workloads/network/network.h"

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
  }
  return "conv2d";
}

std::uint32_t Layer::out_h() const {
  if (!is_conv()) return 1;
  return (in_h + 2 * pad_h - kernel_h) / stride_h + 1;
}

std::uint32_t Layer::out_w() const {
  if (!is_conv()) return 1;
  return (in_w + 2 * pad_w - kernel_w) / stride_w + 1;
}

GemmShape Layer::gemm(std::uint32_t batch) const {
  GemmShape g;
  switch (type) {
    case LayerType::kConv2d:
      g.m = std::uint64_t{out_h()} * out_w() * batch;
      g.n = out_c;
      g.k = std::uint64_t{kernel_h} * kernel_w * in_c;
      break;
    case LayerType::kDepthwiseConv2d:
      g.m = std::uint64_t{out_h()} * out_w() * batch;
      g.n = 1;
      g.k = std::uint64_t{kernel_h} * kernel_w;
      g.groups = in_c;
      break;
    case LayerType::kGemm:
      g.m = m * batch;
      g.n = n;
      g.k = k;
      break;
    case LayerType::kFc:
      g.m = batch;
      g.n = n;
      g.k = k;
      break;
  }
  return g;
}

std::uint64_t Layer::weight_elements() const {
  switch (type) {
    case LayerType::kConv2d:
      return std::uint64_t{kernel_h} * kernel_w * in_c * out_c;
    case LayerType::kDepthwiseConv2d:
      return std::uint64_t{kernel_h} * kernel_w * in_c;
    case LayerType::kGemm:
    case LayerType::kFc:
      return k * n;
  }
  return 0;
}

std::uint64_t Layer::input_elements(std::uint32_t batch) const {
  if (is_conv()) return std::uint64_t{in_h} * in_w * in_c * batch;
  return gemm(batch).m * k;
}

std::uint64_t Layer::output_elements(std::uint32_t batch) const {
  if (is_conv()) return std::uint64_t{out_h()} * out_w() * out_c * batch;
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

Layer parse_layer(const sim::ConfigNode& node, const Layer* previous, std::size_t index) {
  Layer layer;
  layer.name = node.get<std::string>("name", "layer" + std::to_string(index));
  const std::string type =
      node.get_choice("type", "conv2d", {"conv2d", "depthwise_conv2d", "gemm", "fc"});
  if (type == "conv2d") layer.type = LayerType::kConv2d;
  if (type == "depthwise_conv2d") layer.type = LayerType::kDepthwiseConv2d;
  if (type == "gemm") layer.type = LayerType::kGemm;
  if (type == "fc") layer.type = LayerType::kFc;

  if (layer.is_conv()) {
    // Without an explicit input shape a convolution continues from the previous layer.
    const bool chained = previous != nullptr && previous->is_conv();
    if (!chained && !(node.has("in_h") && node.has("in_w") && node.has("in_c"))) {
      node.fail("in_h", "a " + type + " layer that does not follow a convolution needs in_h, "
                        "in_w and in_c");
    }
    layer.in_h = get_dim(node, "in_h", chained ? previous->out_h() : 1);
    layer.in_w = get_dim(node, "in_w", chained ? previous->out_w() : 1);
    layer.in_c = get_dim(node, "in_c", chained ? previous->out_c : 1);
    layer.kernel_h = get_dim(node, "kernel", 3);
    layer.kernel_w = get_dim(node, "kernel_w", layer.kernel_h);
    layer.stride_h = get_dim(node, "stride", 1);
    layer.stride_w = get_dim(node, "stride_w", layer.stride_h);
    layer.pad_h = node.get<std::uint32_t>("padding", 0);
    layer.pad_w = node.get<std::uint32_t>("padding_w", layer.pad_h);
    if (layer.type == LayerType::kConv2d) {
      layer.out_c = get_dim(node, "out_c", 1);
      if (!node.has("out_c")) node.fail("out_c", "is required for conv2d, got nothing");
    } else {
      layer.out_c = layer.in_c;
    }
    if (layer.kernel_h > layer.in_h + 2 * layer.pad_h) {
      node.fail("kernel", "must fit the padded input height " +
                              std::to_string(layer.in_h + 2 * layer.pad_h) + ", got " +
                              std::to_string(layer.kernel_h));
    }
    if (layer.kernel_w > layer.in_w + 2 * layer.pad_w) {
      node.fail("kernel_w", "must fit the padded input width " +
                                std::to_string(layer.in_w + 2 * layer.pad_w) + ", got " +
                                std::to_string(layer.kernel_w));
    }
  } else if (layer.type == LayerType::kFc) {
    const std::uint64_t chained =
        previous != nullptr ? previous->output_elements(1) : std::uint64_t{0};
    if (chained == 0 && !node.has("in_features")) {
      node.fail("in_features", "is required for the first fc layer, got nothing");
    }
    layer.k = node.get_positive("in_features", chained);
    layer.n = node.get_positive("out_features", 1);
    if (!node.has("out_features")) node.fail("out_features", "is required for fc, got nothing");
  } else {
    for (const char* key : {"m", "n", "k"}) {
      if (!node.has(key)) node.fail(key, "is required for gemm, got nothing");
    }
    layer.m = node.get_positive("m", 1);
    layer.n = node.get_positive("n", 1);
    layer.k = node.get_positive("k", 1);
  }
  return layer;
}

}  // namespace

std::string network_to_yaml(const Network& network) {
  std::ostringstream out;
  out << "name: " << network.name << "\nbatch: " << network.batch << "\nlayers:\n";
  for (const auto& l : network.layers) {
    out << "  - {name: \"" << l.name << "\", type: " << layer_type_name(l.type);
    if (l.is_conv()) {
      out << ", in_h: " << l.in_h << ", in_w: " << l.in_w << ", in_c: " << l.in_c;
      if (l.type == LayerType::kConv2d) out << ", out_c: " << l.out_c;
      out << ", kernel: " << l.kernel_h << ", kernel_w: " << l.kernel_w << ", stride: "
          << l.stride_h << ", stride_w: " << l.stride_w << ", padding: " << l.pad_h
          << ", padding_w: " << l.pad_w;
    } else if (l.type == LayerType::kFc) {
      out << ", in_features: " << l.k << ", out_features: " << l.n;
    } else {
      out << ", m: " << l.m << ", n: " << l.n << ", k: " << l.k;
    }
    out << "}\n";
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
      layer_nodes[i].fail("name", "must be unique within the network, got '" + layer.name +
                                      "' twice");
    }
    network.layers.push_back(layer);
  }
  return network;
}

}  // namespace workloads
