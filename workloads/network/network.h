#pragma once
// The network IR: layers with shapes, independent of how they are executed.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.h"

namespace workloads {

/// Kind of layer. fc is a gemm whose M is the batch.
enum class LayerType { kConv2d, kDepthwiseConv2d, kGemm, kFc };

/// Name used in config files ("conv2d", "depthwise_conv2d", "gemm", "fc").
const char* layer_type_name(LayerType type);

/// The matrix product a layer performs (per group), im2col-style for convolutions.
struct GemmShape {
  std::uint64_t m = 1;       // rows of the output: ofmap pixels x batch
  std::uint64_t n = 1;       // columns of the output: filters
  std::uint64_t k = 1;       // reduction: filter window (kernel_h x kernel_w x channels)
  std::uint64_t groups = 1;  // independent products of this shape (depthwise: channels)
  std::uint64_t macs() const { return m * n * k * groups; }
};

/// One layer with its shapes. Convolutions use NHWC tensors.
struct Layer {
  std::string name;
  LayerType type = LayerType::kConv2d;
  // Convolution (conv2d, depthwise_conv2d).
  std::uint32_t in_h = 1, in_w = 1, in_c = 1;
  std::uint32_t out_c = 1;  // filters (depthwise: equals in_c)
  std::uint32_t kernel_h = 1, kernel_w = 1;
  std::uint32_t stride_h = 1, stride_w = 1;
  std::uint32_t pad_h = 0, pad_w = 0;
  // Matrix product (gemm, fc): output M x N, reduction K; gemm's M is per sample.
  std::uint64_t m = 1, n = 1, k = 1;

  std::uint32_t out_h() const;
  std::uint32_t out_w() const;
  bool is_conv() const { return type == LayerType::kConv2d || type == LayerType::kDepthwiseConv2d; }
  /// The layer's GEMM for a given batch.
  GemmShape gemm(std::uint32_t batch) const;
  std::uint64_t macs(std::uint32_t batch) const { return gemm(batch).macs(); }
  std::uint64_t weight_elements() const;
  std::uint64_t input_elements(std::uint32_t batch) const;
  std::uint64_t output_elements(std::uint32_t batch) const;
};

/// A network: an ordered list of layers and the batch it runs with.
struct Network {
  std::string name;
  std::uint32_t batch = 1;
  std::vector<Layer> layers;
  std::uint64_t total_macs() const;
  std::uint64_t total_weight_elements() const;
};

/// The network as a workload YAML document (name, batch, layers) that parse_network reads
/// back to the same network; used to turn imported models into reproducible configs.
std::string network_to_yaml(const Network& network);

/// Parses the `workload` section (name, batch, layers) and checks every shape.
/// A layer may omit its input shape; it then takes the previous layer's output.
Network parse_network(const sim::ConfigNode& workload);

}  // namespace workloads
