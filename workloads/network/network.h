#pragma once
// The network IR: layers with shapes, independent of how they are executed.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.h"
#include "workloads/network/tensor_train.h"

namespace workloads {

/// Kind of layer. fc is a gemm whose M is the batch. vector layers are elementwise, pooling
/// and normalisation work; layout layers move data without arithmetic (reshape, transpose,
/// concat); neither does MACs on the PE array. ttm is a tensor-train-matrix layer that
/// replaces the weight matrix of an fc, gemm or conv2d layer (its `tt_source`) by TT cores.
enum class LayerType { kConv2d, kDepthwiseConv2d, kGemm, kFc, kVector, kLayout, kTtm };

/// Name used in config files ("conv2d", "depthwise_conv2d", "gemm", "fc", "vector", "layout",
/// "ttm").
const char* layer_type_name(LayerType type);

/// The `op` values a vector layer accepts ("relu", "maxpool", "add", ...).
const std::vector<std::string>& vector_op_names();
/// The `op` values a layout layer accepts ("reshape", "flatten", "transpose", "concat", ...).
const std::vector<std::string>& layout_op_names();

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
  // Convolution (conv2d, depthwise_conv2d); also the input shape and window of vector and
  // layout layers (a matrix is 1 x rows x columns).
  std::uint32_t in_h = 1, in_w = 1, in_c = 1;
  std::uint32_t out_c = 1;  // filters (depthwise: equals in_c; vector/layout: output channels)
  std::uint32_t kernel_h = 1, kernel_w = 1;
  std::uint32_t stride_h = 1, stride_w = 1;
  std::uint32_t pad_h = 0, pad_w = 0;
  std::uint32_t dilation_h = 1, dilation_w = 1;    // window taps every dilation-th input
  std::uint32_t extra_pad_h = 0, extra_pad_w = 0;  // asymmetric padding: more at bottom/right
  // Matrix product (gemm, fc): output M x N, reduction K; gemm's M is per sample.
  std::uint64_t m = 1, n = 1, k = 1;
  bool b_is_weight = true;  // false: operand B is an activation (attention's K^T and V)
  // Independent instances per sample, each with its own weights: grouped convolution groups,
  // batched MatMul products (attention heads). gemm() folds them into M.
  std::uint64_t repeat = 1;
  bool scales_with_batch = true;  // false: the layer's tensors have no batch dimension
  // Vector and layout layers.
  std::string op;                    // one of vector_op_names() / layout_op_names()
  std::uint32_t operands = 1;        // input tensors read
  std::uint64_t in_elements = 0;     // elements read per instance, all operands (0: operands x in)
  std::uint64_t const_elements = 0;  // constant operands (batch-norm statistics, biases)
  std::uint32_t layout_h = 1, layout_w = 1;  // layout: output is layout_h x layout_w x out_c
  // Tensor-train matrix layers (ttm): the layer type whose weight matrix the cores replace
  // (fc, gemm or conv2d, whose geometry fields above stay meaningful), the factorisation of
  // the weight matrix (rows M = prod tt_m: the outputs, columns N = prod tt_n: the
  // reduction) and the TT ranks r_0..r_d. tt_order is the contraction order in use: the
  // user's choice, or with tt_order_auto the cheapest (resolve_ttm_orders).
  LayerType tt_source = LayerType::kFc;
  std::vector<std::uint32_t> tt_m, tt_n, tt_ranks;
  std::uint32_t tt_max_rank = 0;  // ranks are capped at this when they change (0: none)
  bool tt_order_auto = true;
  TtmOrder tt_order = TtmOrder::kRightToLeft;

  std::uint32_t out_h() const;
  std::uint32_t out_w() const;
  bool is_conv() const { return type == LayerType::kConv2d || type == LayerType::kDepthwiseConv2d; }
  bool is_ttm() const { return type == LayerType::kTtm; }
  /// The layer type whose shapes it has: tt_source for ttm layers, else its own type.
  LayerType base_type() const { return is_ttm() ? tt_source : type; }
  /// True for convolutions and for ttm layers made from one (output is h x w x channels).
  bool has_conv_geometry() const {
    return is_conv() || (is_ttm() && tt_source == LayerType::kConv2d);
  }
  /// The TT shape of a ttm layer (m, n, ranks).
  TtmShape tt_shape() const { return TtmShape{tt_m, tt_n, tt_ranks}; }
  /// True for layers that run as a GEMM on the PE array (conv2d, depthwise_conv2d, gemm, fc).
  bool runs_on_pe_array() const { return type != LayerType::kVector && type != LayerType::kLayout; }
  /// Instances of the layer in one run: repeat, times the batch when it scales with it.
  std::uint64_t instances(std::uint32_t batch) const {
    return repeat * (scales_with_batch ? batch : 1);
  }
  /// The layer's GEMM for a given batch; all zero (no MACs) for vector and layout layers. For a
  /// ttm layer: the dense product it replaces (rows x M outputs, reduction N).
  GemmShape gemm(std::uint32_t batch) const;
  /// MACs of the forward pass; a ttm layer counts its contraction steps in tt_order.
  std::uint64_t macs(std::uint32_t batch) const;
  std::uint64_t weight_elements() const;
  std::uint64_t input_elements(std::uint32_t batch) const;
  std::uint64_t output_elements(std::uint32_t batch) const;
};

/// A network: an ordered list of layers and the batch it runs with.
struct Network {
  std::string name;
  std::uint32_t batch = 1;
  std::vector<Layer> layers;
  /// Nodes of an imported model that were left out, as "name (op_type X)".
  std::vector<std::string> skipped_nodes;
  std::uint64_t total_macs() const;
  std::uint64_t total_weight_elements() const;
  /// How auto contraction orders of ttm layers are chosen: "macs" (fewest MACs, default) or
  /// "latency" (the platform's modelled latency, decided when a platform is known).
  std::string tt_order_by = "macs";
};

/// The network as a workload YAML document (name, batch, layers) that parse_network reads
/// back to the same network; used to turn imported models into reproducible configs.
std::string network_to_yaml(const Network& network);

/// Parses the `workload` section (name, batch, layers, skipped_nodes, tensorize,
/// tensorize_order_by) and checks every shape. A layer may omit its input shape; it then takes
/// the previous layer's output. `tensorize` turns the named fc/gemm/conv2d layers into ttm
/// layers (docs/tensorized.md).
Network parse_network(const sim::ConfigNode& workload);

/// Turns `layer` (fc, gemm or conv2d with its weights) into a ttm layer with `shape`, whose
/// factor products must equal the layer's output and reduction sizes. Throws
/// std::invalid_argument naming what does not match.
void tensorize_layer(Layer& layer, const TtmShape& shape, bool order_auto = true,
                     TtmOrder order = TtmOrder::kRightToLeft);

/// Rows of the dense product a ttm layer contracts per run: batch for fc, m x batch for gemm,
/// output pixels x batch for conv2d (the GEMM's M).
std::uint64_t ttm_batch_rows(const Layer& layer, std::uint32_t batch);

/// Sets tt_order of every ttm layer with tt_order_auto to its cheapest order by MACs at the
/// network's batch; `training` limits the choice to the sequential orders (the core gradients
/// need their partial products), where the cheaper forward order is also the cheaper
/// iteration (backward data and core gradients cost as much as the forward pass).
void resolve_ttm_orders(Network& network, bool training);

}  // namespace workloads
