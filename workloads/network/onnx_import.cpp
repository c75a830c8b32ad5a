#include "workloads/network/onnx_import.h"

#include <google/protobuf/stubs/logging.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace workloads {

namespace {

using Dims = std::vector<std::int64_t>;

/// Largest dimension and element count the importer accepts (far beyond any edge model).
constexpr std::int64_t kMaxDim = std::int64_t{1} << 40;
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 50;
/// Integer tensors up to this size keep their values, so shape arithmetic can be folded.
constexpr std::uint64_t kMaxValues = 4096;

/// What the importer knows about one tensor.
struct Tensor {
  bool known = false;     // shape inferred
  Dims dims;              // every dimension fixed
  bool constant = false;  // computed from initializers and constants only
  bool has_values = false;
  std::vector<double> values;  // row-major, when has_values
  int elem_type = 0;           // onnx::TensorProto::DataType
  std::string skipped_by;      // set when the tensor comes out of a skipped node

  std::uint64_t elements() const {
    std::uint64_t n = 1;
    for (const auto d : dims) n *= static_cast<std::uint64_t>(d);
    return n;
  }
};

const std::vector<std::string> kSupportedOps = {
    // PE-array layers
    "Conv", "ConvTranspose", "Gemm", "MatMul",
    // vector
    "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization",
    "InstanceNormalization", "LayerNormalization", "LRN", "Relu", "LeakyRelu", "PRelu", "Clip",
    "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Gelu", "Erf", "Elu", "Selu", "Softplus", "Exp",
    "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Cast", "Add", "Sub", "Mul", "Div", "Pow", "Max",
    "Min", "Sum", "Mean", "Where", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
    "And", "Or", "Xor", "Not", "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum",
    "ReduceSumSquare", "ReduceL2", "ReduceMax", "ReduceMin", "Pad", "Resize", "Upsample", "Gather",
    // layout
    "Flatten", "Reshape", "Transpose", "Concat", "Squeeze", "Unsqueeze", "Split", "Slice", "Expand",
    // no layer: identities and constant producers
    "Identity", "Dropout", "Shape", "Size", "Constant", "ConstantOfShape", "Range"};

/// Nearest supported alternative for ops users commonly meet.
std::string nearest_supported(const std::string& op_type) {
  static const std::map<std::string, std::string> table = {
      {"ConvInteger", "Conv"},
      {"QLinearConv", "Conv"},
      {"MatMulInteger", "MatMul"},
      {"QLinearMatMul", "MatMul"},
      {"Einsum", "MatMul"},
      {"LSTM", "MatMul (export the recurrence unrolled into Gemm nodes)"},
      {"GRU", "MatMul (export the recurrence unrolled into Gemm nodes)"},
      {"RNN", "MatMul (export the recurrence unrolled into Gemm nodes)"},
      {"QuantizeLinear", "Cast"},
      {"DequantizeLinear", "Cast"},
      {"DepthToSpace", "Reshape"},
      {"SpaceToDepth", "Reshape"},
      {"Tile", "Expand"},
      {"ReduceProd", "ReduceMean"},
      {"ReduceL1", "ReduceSum"},
      {"ReduceLogSumExp", "ReduceSum"},
      {"GlobalLpPool", "GlobalAveragePool"},
      {"MaxRoiPool", "MaxPool"},
      {"MaxUnpool", "Resize"},
      {"Mish", "Softplus"},
      {"ThresholdedRelu", "Relu"},
      {"Celu", "Elu"},
      {"Softsign", "Tanh"},
      {"HardMax", "Softmax"},
      {"Hardmax", "Softmax"},
      {"ArgMax", "ReduceMax"},
      {"ArgMin", "ReduceMin"},
  };
  const auto it = table.find(op_type);
  if (it != table.end()) return it->second;
  const std::string close = sim::closest_match(op_type, kSupportedOps);
  return close.empty() ? std::string("none") : close;
}

std::string dims_text(const Dims& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(dims[i]);
  }
  return text + "]";
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// Little-endian decoding of raw_data, independent of the host's byte order.
std::uint64_t load_le(const std::string& raw, std::size_t offset, std::size_t bytes) {
  std::uint64_t v = 0;
  for (std::size_t b = 0; b < bytes; ++b) {
    v |= std::uint64_t{static_cast<unsigned char>(raw[offset + b])} << (8 * b);
  }
  return v;
}

/// The values of a small initializer or constant; false when they are not available
/// (external data, unsupported type, too large).
bool tensor_values(const onnx::TensorProto& t, std::uint64_t count, std::vector<double>& out) {
  if (count > kMaxValues) return false;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) return false;
  out.clear();
  const std::string& raw = t.raw_data();
  const bool use_raw = t.has_raw_data();
  auto take = [&](std::size_t bytes, const std::function<double(std::uint64_t)>& decode,
                  int field_size, const std::function<double(int)>& field) {
    if (use_raw) {
      if (raw.size() != count * bytes) return false;
      for (std::uint64_t i = 0; i < count; ++i)
        out.push_back(decode(load_le(raw, i * bytes, bytes)));
      return true;
    }
    if (static_cast<std::uint64_t>(field_size) != count) return false;
    for (int i = 0; i < field_size; ++i) out.push_back(field(i));
    return true;
  };
  switch (t.data_type()) {
    case onnx::TensorProto::INT64:
      return take(
          8, [](std::uint64_t v) { return static_cast<double>(static_cast<std::int64_t>(v)); },
          t.int64_data_size(), [&](int i) { return static_cast<double>(t.int64_data(i)); });
    case onnx::TensorProto::INT32:
      return take(
          4,
          [](std::uint64_t v) {
            return static_cast<double>(static_cast<std::int32_t>(static_cast<std::uint32_t>(v)));
          },
          t.int32_data_size(), [&](int i) { return static_cast<double>(t.int32_data(i)); });
    case onnx::TensorProto::INT8:
      return take(
          1,
          [](std::uint64_t v) {
            return static_cast<double>(static_cast<std::int8_t>(static_cast<std::uint8_t>(v)));
          },
          t.int32_data_size(), [&](int i) { return static_cast<double>(t.int32_data(i)); });
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      return take(
          1, [](std::uint64_t v) { return static_cast<double>(v); }, t.int32_data_size(),
          [&](int i) { return static_cast<double>(t.int32_data(i)); });
    case onnx::TensorProto::FLOAT:
      return take(
          4,
          [](std::uint64_t v) {
            const auto bits = static_cast<std::uint32_t>(v);
            float f = 0;
            std::memcpy(&f, &bits, sizeof f);
            return static_cast<double>(f);
          },
          t.float_data_size(), [&](int i) { return static_cast<double>(t.float_data(i)); });
    case onnx::TensorProto::DOUBLE:
      return take(
          8,
          [](std::uint64_t v) {
            double d = 0;
            std::memcpy(&d, &v, sizeof d);
            return d;
          },
          t.double_data_size(), [&](int i) { return t.double_data(i); });
    default:
      return false;
  }
}

/// Per-instance view of a tensor for the IR: dimension 0 split into batch x repeat, the rest
/// folded into h x w x c (NCHW -> H, W, C; a matrix -> 1 x rows x columns).
struct InstanceShape {
  bool scales_with_batch = true;
  std::uint64_t repeat = 1;
  std::uint64_t h = 1, w = 1, c = 1;
  std::uint64_t elements() const { return h * w * c; }
};

/// `spatial`: the tensor is N x C x spatial..., so a 1-D signal [N, C, L] is 1 x L x C.
InstanceShape instance_shape(const Dims& dims, std::uint32_t batch, bool spatial = false) {
  InstanceShape s;
  if (dims.empty()) {
    s.scales_with_batch = false;
    return s;
  }
  const auto d0 = static_cast<std::uint64_t>(dims[0]);
  if (d0 > 0 && d0 % batch == 0) {
    s.repeat = d0 / batch;
  } else {
    s.scales_with_batch = false;
    s.repeat = std::max<std::uint64_t>(d0, 1);
  }
  const Dims rest(dims.begin() + 1, dims.end());
  if (rest.size() == 1) {
    s.c = static_cast<std::uint64_t>(rest[0]);
  } else if (rest.size() == 2) {
    s.w = static_cast<std::uint64_t>(rest[spatial ? 1 : 0]);
    s.c = static_cast<std::uint64_t>(rest[spatial ? 0 : 1]);
  } else if (rest.size() >= 3) {
    s.c = static_cast<std::uint64_t>(rest[0]);
    s.w = static_cast<std::uint64_t>(rest.back());
    for (std::size_t i = 1; i + 1 < rest.size(); ++i) s.h *= static_cast<std::uint64_t>(rest[i]);
  }
  return s;
}

/// Walks the graph once in order: binds the inputs, infers each node's outputs, emits its layer.
class Importer {
 public:
  Importer(const onnx::ModelProto& model, const std::string& origin,
           const OnnxImportOptions& options)
      : graph_(model.graph()), origin_(origin), options_(options) {}

  OnnxImport run() {
    bind_inputs();
    for (int i = 0; i < graph_.node_size(); ++i) {
      index_ = i;
      visit(graph_.node(i));
    }
    OnnxImport result;
    result.network = std::move(network_);
    for (const auto& [name, tensor] : tensors_) {
      if (tensor.known) result.shapes[name] = tensor.dims;
    }
    for (const auto& output : graph_.output()) result.graph_outputs.push_back(output.name());
    return result;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw sim::ConfigError(origin_ + ": " + what);
  }

  std::string node_label(const onnx::NodeProto& node) const {
    return "node '" + display_name(node) + "' (op_type " + op_label(node) + ")";
  }

  std::string op_label(const onnx::NodeProto& node) const {
    const std::string& domain = node.domain();
    if (domain.empty() || domain == "ai.onnx") return node.op_type();
    return domain + "." + node.op_type();
  }

  std::string display_name(const onnx::NodeProto& node) const {
    if (!node.name().empty()) return node.name();
    return node.op_type() + "_" + std::to_string(index_);
  }

  [[noreturn]] void fail_node(const onnx::NodeProto& node, const std::string& what) const {
    fail(node_label(node) + ": " + what);
  }

  std::int64_t checked_dim(std::int64_t value, const std::string& where) const {
    if (value < 0 || value > kMaxDim) {
      fail(where + ": expected a dimension from 0 to 2^40, got " + std::to_string(value));
    }
    return value;
  }

  void check_elements(const Dims& dims, const std::string& where) const {
    std::uint64_t n = 1;
    for (const auto d : dims) {
      if (d != 0 && n > kMaxElements / static_cast<std::uint64_t>(d)) {
        fail(where + ": tensor of " + dims_text(dims) + " is too large");
      }
      n *= static_cast<std::uint64_t>(d);
    }
  }

  void bind_inputs() {
    std::set<std::string> initializers;
    for (const auto& init : graph_.initializer()) {
      Tensor t;
      t.known = true;
      t.constant = true;
      t.elem_type = init.data_type();
      for (const auto d : init.dims()) {
        t.dims.push_back(checked_dim(d, "initializer '" + init.name() + "'"));
      }
      check_elements(t.dims, "initializer '" + init.name() + "'");
      t.has_values = tensor_values(init, t.elements(), t.values);
      tensors_[init.name()] = t;
      initializers.insert(init.name());
    }
    std::map<std::string, std::int64_t> symbols;
    for (const auto& [name, value] : options_.dims) {
      if (value > static_cast<std::uint64_t>(kMaxDim)) {
        fail("workload.onnx.dims." + name + ": must be at most 2^40, got " + std::to_string(value));
      }
      symbols[name] = static_cast<std::int64_t>(value);
    }
    bool batch_known = false;
    std::uint32_t batch = options_.batch;
    for (const auto& input : graph_.input()) {
      if (initializers.count(input.name())) continue;
      const std::string where = "input '" + input.name() + "'";
      if (!input.type().has_tensor_type()) {
        fail(where + ": only tensor inputs are supported, got a sequence, map or optional");
      }
      Tensor t;
      t.known = true;
      t.elem_type = input.type().tensor_type().elem_type();
      const auto& shape = input.type().tensor_type().shape();
      if (!input.type().tensor_type().has_shape()) {
        fail(where +
             ": has no shape; edgesim needs the input shape (re-export with a fixed "
             "input size)");
      }
      for (int d = 0; d < shape.dim_size(); ++d) {
        const auto& dim = shape.dim(d);
        std::int64_t value = -1;
        if (d == 0 && options_.batch > 0) {
          value = options_.batch;
        } else if (dim.has_dim_value()) {
          value = checked_dim(dim.dim_value(), where + " dimension " + std::to_string(d));
        } else if (dim.has_dim_param() && symbols.count(dim.dim_param())) {
          value = symbols[dim.dim_param()];
        } else if (d == 0) {
          value = batch > 0 ? batch : 1;  // a symbolic batch
        } else if (dim.has_dim_param()) {
          fail(where + " dimension " + std::to_string(d) + " is symbolic ('" + dim.dim_param() +
               "'); give its size with --set workload.onnx.dims." + dim.dim_param() + "=N");
        } else {
          fail(where + " dimension " + std::to_string(d) +
               " has no size; edgesim needs fixed shapes (re-export with a fixed input size)");
        }
        if (dim.has_dim_param() && !symbols.count(dim.dim_param())) {
          symbols[dim.dim_param()] = value;
        }
        t.dims.push_back(value);
      }
      check_elements(t.dims, where);
      if (!batch_known && !t.dims.empty()) {
        batch = static_cast<std::uint32_t>(
            std::max<std::int64_t>(1, std::min<std::int64_t>(t.dims[0], 1 << 24)));
        batch_known = true;
      }
      tensors_[input.name()] = t;
    }
    network_.batch = batch_known ? batch : 1;
    if (options_.batch > 0) network_.batch = options_.batch;
  }

  bool has_input(const onnx::NodeProto& node, int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }

  const Tensor& in(const onnx::NodeProto& node, int i) const {
    if (!has_input(node, i)) {
      fail_node(node, "expected input " + std::to_string(i) + ", got none");
    }
    const auto it = tensors_.find(node.input(i));
    if (it == tensors_.end()) {
      fail_node(node, "input '" + node.input(i) +
                          "' is not a graph input, an initializer or an earlier node's output");
    }
    if (!it->second.known) {
      fail_node(node, "input '" + node.input(i) + "' has no known shape" +
                          (it->second.skipped_by.empty() ? std::string()
                                                         : " (it comes from the skipped node " +
                                                               it->second.skipped_by + ")"));
    }
    return it->second;
  }

  void set_out(const onnx::NodeProto& node, int i, Tensor t) {
    if (i >= node.output_size() || node.output(i).empty()) return;
    for (const auto d : t.dims) {
      if (d < 0 || d > kMaxDim) {
        fail_node(node, "inferred an invalid output shape " + dims_text(t.dims));
      }
    }
    check_elements(t.dims, node_label(node));
    t.known = true;
    if (t.has_values && t.values.size() != t.elements()) {
      t.has_values = false;
      t.values.clear();
    }
    if (t.has_values && t.values.size() > kMaxValues) {
      t.has_values = false;
      t.values.clear();
    }
    tensors_[node.output(i)] = std::move(t);
  }

  std::vector<std::int64_t> int_values(const onnx::NodeProto& node, int i,
                                       const std::string& what) const {
    const Tensor& t = in(node, i);
    if (!t.has_values) {
      fail_node(node, what + " (input '" + node.input(i) +
                          "') is computed at run time; edgesim needs it constant (export "
                          "with constant folding and fixed input shapes)");
    }
    std::vector<std::int64_t> out;
    for (const double v : t.values) out.push_back(to_int(node, v, what));
    return out;
  }

  /// A folded value as an integer; values beyond +-2^50 (or not finite) are an error, not
  /// an overflow.
  std::int64_t to_int(const onnx::NodeProto& node, double v, const std::string& what) const {
    if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(kMaxElements)) {
      fail_node(node, what + " holds a value out of range");
    }
    return static_cast<std::int64_t>(v);
  }

  /// Window attributes (kernel, strides, dilations: 1..2^40; pads: 0..2^40).
  void check_window_attr(const onnx::NodeProto& node, const Dims& values, const char* name,
                         std::int64_t lowest) const {
    for (const auto v : values) {
      if (v < lowest || v > kMaxDim) {
        fail_node(node, std::string(name) + " " + dims_text(values) + " must be from " +
                            std::to_string(lowest) + " to 2^40");
      }
    }
  }

  const onnx::AttributeProto* attr(const onnx::NodeProto& node, const std::string& name) const {
    for (const auto& a : node.attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }

  std::int64_t attr_int(const onnx::NodeProto& node, const std::string& name,
                        std::int64_t fallback) const {
    const auto* a = attr(node, name);
    return a != nullptr ? a->i() : fallback;
  }

  Dims attr_ints(const onnx::NodeProto& node, const std::string& name, const Dims& fallback) const {
    const auto* a = attr(node, name);
    if (a == nullptr) return fallback;
    return Dims(a->ints().begin(), a->ints().end());
  }

  std::string attr_string(const onnx::NodeProto& node, const std::string& name,
                          const std::string& fallback) const {
    const auto* a = attr(node, name);
    return a != nullptr ? a->s() : fallback;
  }

  std::int64_t norm_axis(const onnx::NodeProto& node, std::int64_t axis, std::size_t rank) const {
    const auto r = static_cast<std::int64_t>(rank);
    const std::int64_t a = axis < 0 ? axis + r : axis;
    if (a < 0 || a >= r) {
      fail_node(node, "axis " + std::to_string(axis) + " is out of range for rank " +
                          std::to_string(rank));
    }
    return a;
  }

  static bool one_of(const std::string& op, std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (op == n) return true;
    }
    return false;
  }

  void visit(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    const bool default_domain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!default_domain ||
        std::find(kSupportedOps.begin(), kSupportedOps.end(), op) == kSupportedOps.end()) {
      unsupported(node, nearest_supported(op));
      return;
    }
    if (one_of(op, {"Conv"})) return conv(node);
    if (one_of(op, {"ConvTranspose"})) return conv_transpose(node);
    if (one_of(op, {"Gemm", "MatMul"})) return matmul(node);
    if (one_of(op, {"MaxPool", "AveragePool", "LpPool"})) return pool(node);
    if (one_of(op, {"GlobalAveragePool", "GlobalMaxPool"})) return global_pool(node);
    if (one_of(op,
               {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal",
                "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor"})) {
      return broadcast_op(node);
    }
    if (one_of(op, {"Flatten"})) return flatten(node);
    if (one_of(op, {"Reshape"})) return reshape(node);
    if (one_of(op, {"Transpose"})) return transpose(node);
    if (one_of(op, {"Concat"})) return concat(node);
    if (one_of(op, {"Squeeze", "Unsqueeze"})) return squeeze(node);
    if (one_of(op, {"Split"})) return split(node);
    if (one_of(op, {"Slice"})) return slice(node);
    if (one_of(op, {"Gather"})) return gather(node);
    if (one_of(op, {"Expand"})) return expand(node);
    if (one_of(op, {"Pad"})) return pad(node);
    if (one_of(op, {"Resize", "Upsample"})) return resize(node);
    if (one_of(op, {"ReduceMean", "ReduceSum", "ReduceSumSquare", "ReduceL2", "ReduceMax",
                    "ReduceMin"})) {
      return reduce(node);
    }
    if (one_of(op, {"Shape", "Size", "Constant", "ConstantOfShape", "Range"})) {
      return constant_op(node);
    }
    if (one_of(op, {"Identity", "Dropout"})) return identity(node);
    return unary(node);
  }

  void unsupported(const onnx::NodeProto& node, const std::string& nearest) {
    if (!options_.skip_unsupported) {
      fail(node_label(node) + ": not supported; nearest supported: " + nearest +
           " (or --set workload.onnx.unsupported=skip)");
    }
    network_.skipped_nodes.push_back(display_name(node) + " (op_type " + op_label(node) + ")");
    Tensor pass;
    if (has_input(node, 0) && tensors_.count(node.input(0)) && tensors_[node.input(0)].known) {
      pass = tensors_[node.input(0)];
      pass.has_values = false;
      pass.values.clear();
    }
    pass.skipped_by = "'" + display_name(node) + "'";
    for (int i = 0; i < node.output_size(); ++i) {
      if (node.output(i).empty()) continue;
      if (pass.known) {
        set_out(node, i, pass);
        tensors_[node.output(i)].skipped_by = pass.skipped_by;
      } else {
        tensors_[node.output(i)] = pass;
      }
    }
  }

  /// True when every present input is constant: the node folds and makes no layer.
  bool all_constant(const onnx::NodeProto& node) const {
    for (int i = 0; i < node.input_size(); ++i) {
      if (has_input(node, i) && !in(node, i).constant) return false;
    }
    return true;
  }

  std::string unique_name(const onnx::NodeProto& node, const std::string& suffix_text = "") {
    const std::string base = display_name(node) + suffix_text;
    std::string name = base;
    for (int suffix = 2; !layer_names_.insert(name).second; ++suffix) {
      name = base + "_" + std::to_string(suffix);
    }
    return name;
  }

  std::uint32_t ir_dim(const onnx::NodeProto& node, std::uint64_t value) const {
    if (value == 0 || value > (1U << 24)) {
      fail_node(node, "a dimension of " + std::to_string(value) +
                          " does not fit edgesim's layer IR (1 to 16777216)");
    }
    return static_cast<std::uint32_t>(value);
  }

  void add_layer(const onnx::NodeProto& node, Layer layer, const std::string& suffix = "") {
    layer.name = unique_name(node, suffix);
    if (layer.repeat == 0 || layer.repeat > (std::uint64_t{1} << 32)) {
      fail_node(node, "repeat count " + std::to_string(layer.repeat) + " is out of range");
    }
    network_.layers.push_back(std::move(layer));
  }

  /// Sets extra padding so that a window layer's output size equals `target`, or returns
  /// false when the window cannot give it.
  static bool reach_output(std::uint32_t in, std::uint32_t pad, std::uint32_t& extra,
                           std::uint32_t kernel, std::uint32_t dilation, std::uint32_t stride,
                           std::uint64_t target) {
    const std::uint64_t extent = std::uint64_t{dilation} * (kernel - 1) + 1;
    const std::uint64_t needed = (target - 1) * stride + extent;  // padded size for target
    const std::uint64_t padded = std::uint64_t{in} + 2ULL * pad;
    if (needed < padded) {
      // Floor division may already give the target with less padding.
      if ((padded - extent) / stride + 1 != target) return false;
      extra = 0;
      return true;
    }
    extra = static_cast<std::uint32_t>(needed - padded);
    return true;
  }

  /// A window (conv or vector) layer over an input h x w, with ONNX pads and the output
  /// size ONNX gives; the IR's padding is the symmetric part plus the bottom/right excess.
  void set_window(const onnx::NodeProto& node, Layer& layer, const Dims& kernel,
                  const Dims& strides, const Dims& pads, const Dims& dilations, std::uint64_t out_h,
                  std::uint64_t out_w) const {
    const std::size_t n = kernel.size();  // 1 or 2 spatial dims
    const auto at = [&](const Dims& v, std::size_t i, std::int64_t fallback) {
      return i < v.size() ? v[i] : fallback;
    };
    layer.kernel_h = n == 2 ? ir_dim(node, static_cast<std::uint64_t>(kernel[0])) : 1;
    layer.kernel_w = ir_dim(node, static_cast<std::uint64_t>(kernel[n - 1]));
    layer.stride_h = n == 2 ? ir_dim(node, static_cast<std::uint64_t>(at(strides, 0, 1))) : 1;
    layer.stride_w = ir_dim(node, static_cast<std::uint64_t>(at(strides, n - 1, 1)));
    layer.dilation_h = n == 2 ? ir_dim(node, static_cast<std::uint64_t>(at(dilations, 0, 1))) : 1;
    layer.dilation_w = ir_dim(node, static_cast<std::uint64_t>(at(dilations, n - 1, 1)));
    const std::int64_t pad_h = n == 2 ? at(pads, 0, 0) + at(pads, 2, 0) : 0;
    const std::int64_t pad_w = at(pads, n - 1, 0) + at(pads, 2 * n - 1, 0);
    layer.pad_h = static_cast<std::uint32_t>(pad_h / 2);
    layer.pad_w = static_cast<std::uint32_t>(pad_w / 2);
    if (!reach_output(layer.in_h, layer.pad_h, layer.extra_pad_h, layer.kernel_h, layer.dilation_h,
                      layer.stride_h, out_h) ||
        !reach_output(layer.in_w, layer.pad_w, layer.extra_pad_w, layer.kernel_w, layer.dilation_w,
                      layer.stride_w, out_w) ||
        layer.out_h() != out_h || layer.out_w() != out_w) {
      fail_node(node, "cannot express the window (kernel " + dims_text(kernel) + ", strides " +
                          dims_text(strides) + ", pads " + dims_text(pads) +
                          ") as edgesim padding");
    }
  }

  /// Spatial output sizes of a conv/pool window by the ONNX rules (auto_pad, pads,
  /// ceil_mode); fills `pads` with the explicit begin/end pads actually used.
  Dims window_output(const onnx::NodeProto& node, const Dims& spatial, const Dims& kernel,
                     const Dims& strides, Dims& pads, const Dims& dilations, bool ceil_mode) const {
    const std::size_t n = spatial.size();
    const std::string auto_pad = attr_string(node, "auto_pad", "NOTSET");
    if (pads.empty()) pads.assign(2 * n, 0);
    if (pads.size() != 2 * n) {
      fail_node(node,
                "pads " + dims_text(pads) + " must have " + std::to_string(2 * n) + " values");
    }
    check_window_attr(node, kernel, "kernel_shape", 1);
    check_window_attr(node, strides, "strides", 1);
    check_window_attr(node, dilations, "dilations", 1);
    check_window_attr(node, pads, "pads", 0);
    Dims out(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t s = strides[i], d = dilations[i], k = kernel[i];
      if (s <= 0 || d <= 0 || k <= 0) {
        fail_node(node, "kernel, strides and dilations must be positive, got kernel " +
                            dims_text(kernel) + ", strides " + dims_text(strides) + ", dilations " +
                            dims_text(dilations));
      }
      const std::int64_t extent = d * (k - 1) + 1;
      if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        const std::int64_t o = (spatial[i] + s - 1) / s;
        const std::int64_t total = std::max<std::int64_t>(0, (o - 1) * s + extent - spatial[i]);
        const std::int64_t small = total / 2;
        pads[i] = auto_pad == "SAME_UPPER" ? small : total - small;
        pads[i + n] = total - pads[i];
      } else if (auto_pad == "VALID") {
        pads[i] = pads[i + n] = 0;
      } else if (auto_pad != "NOTSET") {
        fail_node(node, "auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '" +
                            auto_pad + "'");
      }
      if (pads[i] < 0 || pads[i + n] < 0) {
        fail_node(node, "negative pads " + dims_text(pads) + " are not supported");
      }
      const std::int64_t span = spatial[i] + pads[i] + pads[i + n] - extent;
      if (span < 0) {
        fail_node(node, "the window " + dims_text(kernel) + " does not fit the padded input " +
                            dims_text(spatial));
      }
      out[i] = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    }
    return out;
  }

  void conv(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const Tensor& w = in(node, 1);
    if (x.dims.size() < 3 || x.dims.size() > 4) {
      unsupported(node, "Conv with 1 or 2 spatial dimensions");
      return;
    }
    const std::size_t n = x.dims.size() - 2;
    if (w.dims.size() != x.dims.size()) {
      fail_node(node,
                "weight shape " + dims_text(w.dims) + " does not match input " + dims_text(x.dims));
    }
    const std::int64_t group = attr_int(node, "group", 1);
    const std::int64_t c = x.dims[1], m = w.dims[0];
    if (group <= 0 || group > c || c % group != 0 || m % group != 0 || w.dims[1] * group != c) {
      fail_node(node, "group " + std::to_string(group) + " does not divide input " +
                          dims_text(x.dims) + " and weights " + dims_text(w.dims));
    }
    const Dims kernel = attr_ints(node, "kernel_shape", Dims(w.dims.begin() + 2, w.dims.end()));
    if (kernel.size() != n || !std::equal(kernel.begin(), kernel.end(), w.dims.begin() + 2)) {
      fail_node(node, "kernel_shape " + dims_text(kernel) + " does not match the weights " +
                          dims_text(w.dims));
    }
    const Dims strides = attr_ints(node, "strides", Dims(n, 1));
    const Dims dilations = attr_ints(node, "dilations", Dims(n, 1));
    if (strides.size() != n || dilations.size() != n) {
      fail_node(node, "strides and dilations need " + std::to_string(n) + " values");
    }
    Dims pads = attr_ints(node, "pads", {});
    const Dims spatial(x.dims.begin() + 2, x.dims.end());
    const Dims out_spatial = window_output(node, spatial, kernel, strides, pads, dilations, false);
    Tensor y;
    y.dims = {x.dims[0], m};
    y.dims.insert(y.dims.end(), out_spatial.begin(), out_spatial.end());
    y.constant = all_constant(node);
    set_out(node, 0, y);
    if (y.constant || y.elements() == 0) return;

    Layer layer;
    const InstanceShape s = instance_shape(x.dims, network_.batch);
    layer.scales_with_batch = s.scales_with_batch;
    layer.repeat = s.repeat;
    layer.in_h = n == 2 ? ir_dim(node, static_cast<std::uint64_t>(spatial[0])) : 1;
    layer.in_w = ir_dim(node, static_cast<std::uint64_t>(spatial[n - 1]));
    if (group == 1) {
      layer.type = LayerType::kConv2d;
      layer.in_c = ir_dim(node, static_cast<std::uint64_t>(c));
      layer.out_c = ir_dim(node, static_cast<std::uint64_t>(m));
    } else if (group == c && m == c) {
      layer.type = LayerType::kDepthwiseConv2d;
      layer.in_c = ir_dim(node, static_cast<std::uint64_t>(c));
      layer.out_c = layer.in_c;
    } else {
      // Grouped convolution (and depthwise with a channel multiplier): one conv per group.
      layer.type = LayerType::kConv2d;
      layer.in_c = ir_dim(node, static_cast<std::uint64_t>(c / group));
      layer.out_c = ir_dim(node, static_cast<std::uint64_t>(m / group));
      layer.repeat *= static_cast<std::uint64_t>(group);
    }
    set_window(node, layer, kernel, strides, pads, dilations,
               n == 2 ? static_cast<std::uint64_t>(out_spatial[0]) : 1,
               static_cast<std::uint64_t>(out_spatial[n - 1]));
    add_layer(node, layer);
  }

  /// A transposed convolution as GEMM + col2im: every input pixel times the weights gives
  /// kernel x kernel x filters partial outputs (a 1x1 conv2d with out_c = filters x kernel
  /// area, exactly the MACs), which a col2im vector layer scatter-adds into the output.
  void conv_transpose(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const Tensor& w = in(node, 1);
    if (x.dims.size() < 3 || x.dims.size() > 4) {
      unsupported(node, "ConvTranspose with 1 or 2 spatial dimensions");
      return;
    }
    const std::size_t n = x.dims.size() - 2;
    if (w.dims.size() != x.dims.size()) {
      fail_node(node,
                "weight shape " + dims_text(w.dims) + " does not match input " + dims_text(x.dims));
    }
    const std::int64_t group = attr_int(node, "group", 1);
    const std::int64_t c = x.dims[1];
    if (group <= 0 || group > c || c % group != 0 || w.dims[0] != c) {
      fail_node(node, "group " + std::to_string(group) + " does not fit input " +
                          dims_text(x.dims) + " and weights " + dims_text(w.dims));
    }
    const std::int64_t m = w.dims[1] * group;
    const Dims kernel = attr_ints(node, "kernel_shape", Dims(w.dims.begin() + 2, w.dims.end()));
    if (kernel.size() != n || !std::equal(kernel.begin(), kernel.end(), w.dims.begin() + 2)) {
      fail_node(node, "kernel_shape " + dims_text(kernel) + " does not match the weights " +
                          dims_text(w.dims));
    }
    const Dims strides = attr_ints(node, "strides", Dims(n, 1));
    const Dims dilations = attr_ints(node, "dilations", Dims(n, 1));
    const Dims output_padding = attr_ints(node, "output_padding", Dims(n, 0));
    const Dims pads = attr_ints(node, "pads", Dims(2 * n, 0));
    const Dims output_shape = attr_ints(node, "output_shape", {});
    if (strides.size() != n || dilations.size() != n || output_padding.size() != n ||
        pads.size() != 2 * n || (!output_shape.empty() && output_shape.size() != n)) {
      fail_node(node, "strides, dilations, output_padding, pads and output_shape need " +
                          std::to_string(n) + " values per spatial dimension");
    }
    check_window_attr(node, kernel, "kernel_shape", 1);
    check_window_attr(node, strides, "strides", 1);
    check_window_attr(node, dilations, "dilations", 1);
    check_window_attr(node, pads, "pads", 0);
    check_window_attr(node, output_padding, "output_padding", 0);
    const std::string auto_pad = attr_string(node, "auto_pad", "NOTSET");
    Tensor y;
    y.dims = {x.dims[0], m};
    for (std::size_t i = 0; i < n; ++i) {
      const std::int64_t extent = dilations[i] * (kernel[i] - 1) + 1;
      const std::int64_t full = strides[i] * (x.dims[i + 2] - 1) + output_padding[i] + extent;
      std::int64_t out = full - pads[i] - pads[i + n];
      if (!output_shape.empty()) {
        out = output_shape[i];
      } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
        out = x.dims[i + 2] * strides[i];
      } else if (auto_pad == "VALID") {
        out = full;
      }
      if (out <= 0 || out > kMaxDim) {
        fail_node(node, "gives an output size of " + std::to_string(out));
      }
      y.dims.push_back(out);
    }
    y.constant = all_constant(node);
    set_out(node, 0, y);
    if (y.constant || y.elements() == 0) return;

    const InstanceShape s = instance_shape(x.dims, network_.batch, true);
    const std::uint64_t area = static_cast<std::uint64_t>(n == 2 ? kernel[0] : 1) *
                               static_cast<std::uint64_t>(kernel[n - 1]);
    Layer gemm;
    gemm.type = LayerType::kConv2d;
    gemm.scales_with_batch = s.scales_with_batch;
    gemm.repeat = s.repeat * static_cast<std::uint64_t>(group);
    gemm.in_h = ir_dim(node, s.h);
    gemm.in_w = ir_dim(node, s.w);
    gemm.in_c = ir_dim(node, static_cast<std::uint64_t>(c / group));
    gemm.out_c = ir_dim(node, static_cast<std::uint64_t>(m / group) * area);
    gemm.kernel_h = gemm.kernel_w = 1;
    add_layer(node, gemm);

    Layer col2im;
    col2im.type = LayerType::kVector;
    col2im.op = "col2im";
    const InstanceShape out = instance_shape(y.dims, network_.batch, true);
    col2im.scales_with_batch = out.scales_with_batch;
    col2im.repeat = out.repeat;
    col2im.in_h = gemm.in_h;
    col2im.in_w = gemm.in_w;
    col2im.in_c = ir_dim(node, static_cast<std::uint64_t>(m) * area);
    col2im.out_c = ir_dim(node, out.c);
    col2im.in_elements = std::uint64_t{col2im.in_h} * col2im.in_w * col2im.in_c;
    fit_dimension(col2im.in_h, out.h, col2im.kernel_h, col2im.extra_pad_h);
    fit_dimension(col2im.in_w, out.w, col2im.kernel_w, col2im.extra_pad_w);
    add_layer(node, col2im, ".col2im");
  }

  void matmul(const onnx::NodeProto& node) {
    const bool gemm = node.op_type() == "Gemm";
    const Tensor& a = in(node, 0);
    const Tensor& b = in(node, 1);
    Dims da = a.dims, db = b.dims;
    if (gemm) {
      if (da.size() != 2 || db.size() != 2) {
        fail_node(node, "Gemm needs 2-D inputs, got " + dims_text(da) + " and " + dims_text(db));
      }
      if (attr_int(node, "transA", 0)) std::swap(da[0], da[1]);
      if (attr_int(node, "transB", 0)) std::swap(db[0], db[1]);
    }
    if (da.empty() || db.empty()) fail_node(node, "MatMul inputs must not be scalars");
    const bool a_vector = da.size() == 1, b_vector = db.size() == 1;
    if (a_vector) da.insert(da.begin(), 1);
    if (b_vector) db.push_back(1);
    const std::int64_t rows = da[da.size() - 2], depth = da.back();
    const std::int64_t cols = db.back();
    if (db[db.size() - 2] != depth) {
      fail_node(node, "inner dimensions differ: " + dims_text(a.dims) + " x " + dims_text(b.dims));
    }
    const Dims batch_a(da.begin(), da.end() - 2), batch_b(db.begin(), db.end() - 2);
    const Dims batch_dims = broadcast(node, batch_a, batch_b);
    Tensor y;
    y.dims = batch_dims;
    if (!a_vector) y.dims.push_back(rows);
    if (!b_vector) y.dims.push_back(cols);
    y.constant = a.constant && b.constant;
    set_out(node, 0, y);
    if (y.constant || y.elements() == 0 || depth == 0) return;

    // The weight operand (if any) decides which side gives the rows of the edgesim GEMM.
    const bool weight_b = b.constant;
    const bool weight_a = a.constant && !b.constant;
    const Dims& weight_batch = weight_a ? batch_a : batch_b;
    std::uint64_t weight_copies = 1;
    for (const auto d : weight_batch) weight_copies *= static_cast<std::uint64_t>(d);
    const std::uint64_t m_rows = static_cast<std::uint64_t>(weight_a ? cols : rows);
    const std::uint64_t n_cols = static_cast<std::uint64_t>(weight_a ? rows : cols);
    std::uint64_t products = 1;
    for (const auto d : batch_dims) products *= static_cast<std::uint64_t>(d);
    const std::uint32_t batch = network_.batch;

    Layer layer;
    layer.b_is_weight = weight_a || weight_b;
    layer.k = static_cast<std::uint64_t>(depth);
    layer.n = n_cols;
    if (layer.b_is_weight && weight_copies == 1) {
      // One weight matrix shared by every product: all batch dimensions are more rows.
      const std::uint64_t total = products * m_rows;
      layer.scales_with_batch = total % batch == 0;
      layer.m = layer.scales_with_batch ? total / batch : total;
    } else if (!batch_dims.empty()) {
      // Independent products (attention heads): repeat per product.
      const auto d0 = static_cast<std::uint64_t>(batch_dims[0]);
      layer.scales_with_batch = d0 % batch == 0;
      layer.repeat = layer.scales_with_batch ? products / batch : products;
      layer.m = m_rows;
    } else {
      layer.scales_with_batch = m_rows % batch == 0;
      layer.m = layer.scales_with_batch ? m_rows / batch : m_rows;
    }
    if (layer.m == 0 || layer.n == 0 || layer.k == 0) {
      fail_node(node, "a matrix product with an empty dimension is not supported");
    }
    layer.type = layer.m == 1 && layer.scales_with_batch ? LayerType::kFc : LayerType::kGemm;
    if (layer.type == LayerType::kFc) layer.m = 1;
    add_layer(node, layer);
  }

  Dims broadcast(const onnx::NodeProto& node, const Dims& a, const Dims& b) const {
    Dims out(std::max(a.size(), b.size()));
    for (std::size_t i = 0; i < out.size(); ++i) {
      const std::int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
      const std::int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
      if (da != db && da != 1 && db != 1) {
        fail_node(node, "shapes " + dims_text(a) + " and " + dims_text(b) + " do not broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /// A vector or layout layer for a node whose output 0 is `y`: the input shape is the
  /// largest activation operand, constant operands count as const_elements.
  void data_layer(const onnx::NodeProto& node, LayerType type, const std::string& op,
                  const Tensor& y, const Layer* window = nullptr) {
    if (y.elements() == 0) return;  // an empty output: nothing to compute or move
    Layer layer = window != nullptr ? *window : Layer{};
    layer.type = type;
    layer.op = op;
    const InstanceShape out = instance_shape(y.dims, network_.batch, window != nullptr);
    layer.scales_with_batch = out.scales_with_batch;
    layer.repeat = out.repeat;
    const std::uint64_t copies = out.repeat * (out.scales_with_batch ? network_.batch : 1);
    const Tensor* primary = nullptr;
    std::uint64_t activation_elements = 0, constant_elements = 0;
    std::uint32_t operands = 0;
    for (int i = 0; i < node.input_size(); ++i) {
      if (!has_input(node, i)) continue;
      const Tensor& t = in(node, i);
      const bool metadata = type == LayerType::kLayout && i > 0;  // shapes, axes, splits
      if (metadata) continue;
      ++operands;
      if (t.constant) {
        constant_elements += t.elements();
      } else {
        activation_elements += t.elements();
        if (primary == nullptr || t.elements() > primary->elements()) primary = &t;
      }
    }
    if (primary == nullptr) primary = &y;
    InstanceShape in = instance_shape(primary->dims, network_.batch, window != nullptr);
    if (in.repeat * (in.scales_with_batch ? network_.batch : 1) != copies) {
      // The operand splits differently from the output: view it as one row per instance.
      in = InstanceShape{};
      in.c = std::max<std::uint64_t>(1, (primary->elements() + copies - 1) / copies);
    }
    if (window == nullptr) {
      layer.in_h = ir_dim(node, in.h);
      layer.in_w = ir_dim(node, in.w);
      layer.in_c = ir_dim(node, in.c);
    }
    layer.out_c = ir_dim(node, out.c);
    layer.operands = std::max<std::uint32_t>(operands, 1);
    layer.in_elements = std::max<std::uint64_t>(1, (activation_elements + copies - 1) / copies);
    layer.const_elements = type == LayerType::kVector ? constant_elements : 0;
    if (type == LayerType::kLayout) {
      layer.layout_h = ir_dim(node, out.h);
      layer.layout_w = ir_dim(node, out.w);
    } else if (window == nullptr) {
      // Elementwise or reducing: a window of (in - out + 1) or extra padding reaches `out`.
      fit_dimension(layer.in_h, out.h, layer.kernel_h, layer.extra_pad_h);
      fit_dimension(layer.in_w, out.w, layer.kernel_w, layer.extra_pad_w);
    }
    if (layer.out_h() != out.h || layer.out_w() != out.w) {
      fail_node(node, "internal shape mismatch for " + dims_text(y.dims));
    }
    add_layer(node, layer);
  }

  static void fit_dimension(std::uint32_t in, std::uint64_t out, std::uint32_t& kernel,
                            std::uint32_t& extra) {
    if (out <= in) {
      kernel = static_cast<std::uint32_t>(in - out + 1);
    } else {
      extra = static_cast<std::uint32_t>(out - in);
    }
  }

  void pool(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    if (x.dims.size() < 3 || x.dims.size() > 4) {
      unsupported(node, node.op_type() + " with 1 or 2 spatial dimensions");
      return;
    }
    const std::size_t n = x.dims.size() - 2;
    const Dims kernel = attr_ints(node, "kernel_shape", {});
    if (kernel.size() != n) {
      fail_node(node, "kernel_shape " + dims_text(kernel) + " must have " + std::to_string(n) +
                          " values");
    }
    const Dims strides = attr_ints(node, "strides", Dims(n, 1));
    const Dims dilations = attr_ints(node, "dilations", Dims(n, 1));
    if (strides.size() != n || dilations.size() != n) {
      fail_node(node, "strides and dilations need " + std::to_string(n) + " values");
    }
    Dims pads = attr_ints(node, "pads", {});
    const Dims spatial(x.dims.begin() + 2, x.dims.end());
    const Dims out_spatial = window_output(node, spatial, kernel, strides, pads, dilations,
                                           attr_int(node, "ceil_mode", 0) != 0);
    Tensor y;
    y.dims = {x.dims[0], x.dims[1]};
    y.dims.insert(y.dims.end(), out_spatial.begin(), out_spatial.end());
    y.constant = x.constant;
    set_out(node, 0, y);
    Tensor indices = y;
    indices.elem_type = onnx::TensorProto::INT64;
    set_out(node, 1, indices);
    if (y.constant) return;
    Layer window;
    const InstanceShape s = instance_shape(x.dims, network_.batch, true);
    window.in_h = ir_dim(node, s.h);
    window.in_w = ir_dim(node, s.w);
    window.in_c = ir_dim(node, s.c);
    set_window(node, window, kernel, strides, pads, dilations,
               n == 2 ? static_cast<std::uint64_t>(out_spatial[0]) : 1,
               static_cast<std::uint64_t>(out_spatial[n - 1]));
    data_layer(node, LayerType::kVector, lower(node.op_type()), y, &window);
  }

  void global_pool(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    if (x.dims.size() < 3)
      fail_node(node, "needs an N x C x spatial input, got " + dims_text(x.dims));
    Tensor y;
    y.dims = {x.dims[0], x.dims[1]};
    y.dims.resize(x.dims.size(), 1);
    y.constant = x.constant;
    set_out(node, 0, y);
    if (y.constant) return;
    Layer window;
    const InstanceShape s = instance_shape(x.dims, network_.batch, true);
    window.in_h = ir_dim(node, s.h);
    window.in_w = ir_dim(node, s.w);
    window.in_c = ir_dim(node, s.c);
    window.kernel_h = window.in_h;
    window.kernel_w = window.in_w;
    data_layer(node, LayerType::kVector, lower(node.op_type()), y, &window);
  }

  static std::string vector_name(const std::string& op) {
    static const std::map<std::string, std::string> names = {
        {"BatchNormalization", "batchnorm"},
        {"InstanceNormalization", "instancenorm"},
        {"LayerNormalization", "layernorm"},
        {"Sum", "add"},
        {"Mean", "add"},
        {"Equal", "compare"},
        {"Less", "compare"},
        {"Greater", "compare"},
        {"LessOrEqual", "compare"},
        {"GreaterOrEqual", "compare"},
        {"And", "logical"},
        {"Or", "logical"},
        {"Xor", "logical"},
        {"Not", "logical"},
        {"ReduceSumSquare", "reducesum"},
        {"ReduceL2", "reducesum"},
        {"ReduceMin", "reducemax"},
        {"Upsample", "resize"}};
    const auto it = names.find(op);
    return it != names.end() ? it->second : lower(op);
  }

  void unary(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    Tensor y;
    y.dims = x.dims;
    y.elem_type = x.elem_type;
    y.constant = all_constant(node);
    const std::string& op = node.op_type();
    if (op == "Cast") y.elem_type = static_cast<int>(attr_int(node, "to", x.elem_type));
    if (x.has_values && one_of(op, {"Cast", "Neg", "Abs", "Relu", "Not", "Sqrt", "Exp"})) {
      y.has_values = true;
      for (const double v : x.values) {
        double r = v;
        if (op == "Neg") r = -v;
        if (op == "Abs") r = std::fabs(v);
        if (op == "Relu") r = std::max(0.0, v);
        if (op == "Not") r = v == 0 ? 1 : 0;
        if (op == "Sqrt") r = std::sqrt(v);
        if (op == "Exp") r = std::exp(v);
        if (op == "Cast" &&
            (y.elem_type == onnx::TensorProto::INT64 || y.elem_type == onnx::TensorProto::INT32)) {
          r = std::trunc(v);
        }
        y.values.push_back(r);
      }
    }
    set_out(node, 0, y);
    if (op == "BatchNormalization" && node.output_size() > 1 && x.dims.size() >= 2) {
      Tensor stat;
      stat.dims = {x.dims[1]};
      stat.constant = y.constant;
      for (int i = 1; i < node.output_size(); ++i) set_out(node, i, stat);
    }
    if (op == "LayerNormalization" && node.output_size() > 1) {
      const auto axis = norm_axis(node, attr_int(node, "axis", -1), x.dims.size());
      Tensor stat;
      stat.dims = x.dims;
      for (std::size_t i = static_cast<std::size_t>(axis); i < stat.dims.size(); ++i) {
        stat.dims[i] = 1;
      }
      stat.constant = y.constant;
      for (int i = 1; i < node.output_size(); ++i) set_out(node, i, stat);
    }
    if (y.constant) return;
    data_layer(node, LayerType::kVector, vector_name(op), y);
  }

  void identity(const onnx::NodeProto& node) {
    Tensor y = in(node, 0);
    set_out(node, 0, y);
    if (node.op_type() == "Dropout") {
      Tensor mask = y;
      mask.has_values = false;
      mask.elem_type = onnx::TensorProto::BOOL;
      set_out(node, 1, mask);
    }
  }

  void broadcast_op(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    Dims dims;
    bool first = true;
    bool values = true;
    int count = 0;
    for (int i = 0; i < node.input_size(); ++i) {
      if (!has_input(node, i)) continue;
      const Tensor& t = in(node, i);
      dims = first ? t.dims : broadcast(node, dims, t.dims);
      first = false;
      values = values && t.has_values;
      ++count;
    }
    if (count == 0) fail_node(node, "expected at least one input, got none");
    Tensor y;
    y.dims = dims;
    y.elem_type = in(node, op == "Where" ? 1 : 0).elem_type;
    y.constant = all_constant(node);
    if (values && y.elements() <= kMaxValues && op != "PRelu") {
      y.has_values = true;
      const std::size_t rank = dims.size();
      for (std::uint64_t flat = 0; flat < y.elements(); ++flat) {
        // Index of `flat` in each input under broadcasting.
        std::vector<double> operand;
        for (int i = 0; i < node.input_size(); ++i) {
          if (!has_input(node, i)) continue;
          const Tensor& t = in(node, i);
          std::uint64_t rem = flat, index = 0, stride = 1;
          for (std::size_t d = rank; d-- > 0;) {
            const std::uint64_t coord = rem % static_cast<std::uint64_t>(dims[d]);
            rem /= static_cast<std::uint64_t>(dims[d]);
            const std::size_t offset = rank - t.dims.size();
            if (d >= offset) {
              const auto extent = static_cast<std::uint64_t>(t.dims[d - offset]);
              index += (extent == 1 ? 0 : coord) * stride;
              stride *= extent;
            }
          }
          operand.push_back(t.values[index]);
        }
        y.values.push_back(combine(op, operand, y.elem_type));
      }
    }
    set_out(node, 0, y);
    if (y.constant) return;
    data_layer(node, LayerType::kVector, vector_name(op), y);
  }

  static double combine(const std::string& op, const std::vector<double>& v, int elem_type) {
    const bool integer =
        elem_type == onnx::TensorProto::INT64 || elem_type == onnx::TensorProto::INT32;
    if (op == "Where") return v[0] != 0 ? v[1] : v[2];
    double r = v[0];
    for (std::size_t i = 1; i < v.size(); ++i) {
      const double b = v[i];
      if (op == "Add" || op == "Sum" || op == "Mean") r += b;
      if (op == "Sub") r -= b;
      if (op == "Mul") r *= b;
      if (op == "Div") r = b == 0 ? 0 : (integer ? std::trunc(r / b) : r / b);
      if (op == "Pow") r = std::pow(r, b);
      if (op == "Max") r = std::max(r, b);
      if (op == "Min") r = std::min(r, b);
      if (op == "Equal") r = r == b;
      if (op == "Less") r = r < b;
      if (op == "Greater") r = r > b;
      if (op == "LessOrEqual") r = r <= b;
      if (op == "GreaterOrEqual") r = r >= b;
      if (op == "And") r = (r != 0) && (b != 0);
      if (op == "Or") r = (r != 0) || (b != 0);
      if (op == "Xor") r = (r != 0) != (b != 0);
    }
    if (op == "Mean") r /= static_cast<double>(v.size());
    return r;
  }

  /// Layout nodes that keep the values (Reshape, Flatten, Squeeze...) also keep them folded.
  void layout_out(const onnx::NodeProto& node, Tensor y, bool keep_values) {
    const Tensor& x = in(node, 0);
    y.elem_type = x.elem_type;
    y.constant = x.constant;
    if (keep_values && x.has_values) {
      y.has_values = true;
      y.values = x.values;
    }
    set_out(node, 0, y);
    if (!y.constant) data_layer(node, LayerType::kLayout, lower(node.op_type()), y);
  }

  void flatten(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const auto rank = x.dims.size();
    std::int64_t axis = attr_int(node, "axis", 1);
    if (axis < 0) axis += static_cast<std::int64_t>(rank);
    if (axis < 0 || axis > static_cast<std::int64_t>(rank)) {
      fail_node(node, "axis " + std::to_string(attr_int(node, "axis", 1)) +
                          " is out of range for rank " + std::to_string(rank));
    }
    std::int64_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < rank; ++i) {
      (static_cast<std::int64_t>(i) < axis ? outer : inner) *= x.dims[i];
    }
    Tensor y;
    y.dims = {outer, inner};
    layout_out(node, y, true);
  }

  void reshape(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    Dims shape =
        has_input(node, 1) ? int_values(node, 1, "the target shape") : attr_ints(node, "shape", {});
    const bool allow_zero = attr_int(node, "allowzero", 0) != 0;
    std::int64_t known = 1;
    int infer = -1;
    for (std::size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allow_zero) {
        if (i >= x.dims.size())
          fail_node(node, "shape " + dims_text(shape) + " copies a missing dimension");
        shape[i] = x.dims[i];
      }
      if (shape[i] == -1) {
        if (infer >= 0) fail_node(node, "shape " + dims_text(shape) + " has two -1 entries");
        infer = static_cast<int>(i);
        continue;
      }
      if (shape[i] < 0) fail_node(node, "shape " + dims_text(shape) + " has a negative size");
      if (shape[i] > kMaxDim ||
          (shape[i] > 0 && static_cast<std::uint64_t>(known) >
                               kMaxElements / static_cast<std::uint64_t>(shape[i]))) {
        fail_node(node, "shape " + dims_text(shape) + " is too large");
      }
      known *= shape[i];
    }
    const auto total = static_cast<std::int64_t>(x.elements());
    if (infer >= 0) {
      if (known == 0 || total % known != 0) {
        fail_node(node, "cannot reshape " + dims_text(x.dims) + " to " + dims_text(shape));
      }
      shape[static_cast<std::size_t>(infer)] = total / known;
    } else if (known != total) {
      fail_node(node, "cannot reshape " + dims_text(x.dims) + " (" + std::to_string(total) +
                          " elements) to " + dims_text(shape) +
                          (options_.batch > 0 ? " (the shape is fixed in the model; does it "
                                                "hard-code the batch?)"
                                              : ""));
    }
    Tensor y;
    y.dims = shape;
    layout_out(node, y, true);
  }

  void transpose(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const std::size_t rank = x.dims.size();
    Dims perm(rank);
    for (std::size_t i = 0; i < rank; ++i) perm[i] = static_cast<std::int64_t>(rank - 1 - i);
    perm = attr_ints(node, "perm", perm);
    std::vector<bool> used(rank, false);
    if (perm.size() != rank)
      fail_node(node, "perm " + dims_text(perm) + " does not match rank " + std::to_string(rank));
    Tensor y;
    for (const auto p : perm) {
      if (p < 0 || p >= static_cast<std::int64_t>(rank) || used[static_cast<std::size_t>(p)]) {
        fail_node(node, "perm " + dims_text(perm) + " is not a permutation");
      }
      used[static_cast<std::size_t>(p)] = true;
      y.dims.push_back(x.dims[static_cast<std::size_t>(p)]);
    }
    layout_out(node, y, rank <= 1);
  }

  void concat(const onnx::NodeProto& node) {
    const Tensor& first = in(node, 0);
    const auto axis =
        static_cast<std::size_t>(norm_axis(node, attr_int(node, "axis", 0), first.dims.size()));
    Tensor y;
    y.dims = first.dims;
    y.dims[axis] = 0;
    bool values = first.dims.size() == 1;
    for (int i = 0; i < node.input_size(); ++i) {
      if (!has_input(node, i)) continue;
      const Tensor& t = in(node, i);
      if (t.dims.size() != first.dims.size()) {
        fail_node(node, "inputs " + dims_text(first.dims) + " and " + dims_text(t.dims) +
                            " have different ranks");
      }
      for (std::size_t d = 0; d < t.dims.size(); ++d) {
        if (d != axis && t.dims[d] != first.dims[d]) {
          fail_node(node, "inputs " + dims_text(first.dims) + " and " + dims_text(t.dims) +
                              " differ outside axis " + std::to_string(axis));
        }
      }
      y.dims[axis] += t.dims[axis];
      values = values && t.has_values;
      if (values) y.values.insert(y.values.end(), t.values.begin(), t.values.end());
    }
    y.has_values = values;
    y.elem_type = first.elem_type;
    y.constant = all_constant(node);
    set_out(node, 0, y);
    if (y.constant) return;
    // Concat reads every operand: count them all, not only the first.
    data_layer_multi(node, y);
  }

  void data_layer_multi(const onnx::NodeProto& node, const Tensor& y) {
    data_layer(node, LayerType::kLayout, lower(node.op_type()), y);
    Layer& layer = network_.layers.back();
    std::uint64_t elements = 0;
    std::uint32_t operands = 0;
    for (int i = 0; i < node.input_size(); ++i) {
      if (!has_input(node, i)) continue;
      elements += in(node, i).elements();
      ++operands;
    }
    const std::uint64_t copies = layer.instances(network_.batch);
    layer.operands = operands;
    layer.in_elements = std::max<std::uint64_t>(1, (elements + copies - 1) / copies);
  }

  Dims axes_of(const onnx::NodeProto& node, int input, const std::string& what) const {
    if (has_input(node, input)) return int_values(node, input, what);
    return attr_ints(node, "axes", {});
  }

  void squeeze(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    Dims axes = axes_of(node, 1, "the axes");
    Tensor y;
    if (node.op_type() == "Squeeze") {
      std::vector<bool> drop(x.dims.size(), false);
      for (auto a : axes) drop[static_cast<std::size_t>(norm_axis(node, a, x.dims.size()))] = true;
      for (std::size_t i = 0; i < x.dims.size(); ++i) {
        if (axes.empty() ? x.dims[i] == 1 : drop[i]) {
          if (x.dims[i] != 1) {
            fail_node(node,
                      "cannot squeeze dimension " + std::to_string(i) + " of " + dims_text(x.dims));
          }
          continue;
        }
        y.dims.push_back(x.dims[i]);
      }
    } else {
      const std::size_t rank = x.dims.size() + axes.size();
      std::vector<bool> insert(rank, false);
      for (auto a : axes) {
        const auto i = static_cast<std::size_t>(norm_axis(node, a, rank));
        if (insert[i]) fail_node(node, "axes " + dims_text(axes) + " repeat an axis");
        insert[i] = true;
      }
      std::size_t next = 0;
      for (std::size_t i = 0; i < rank; ++i) {
        y.dims.push_back(insert[i] ? 1 : x.dims[next++]);
      }
    }
    layout_out(node, y, true);
  }

  void split(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const auto axis =
        static_cast<std::size_t>(norm_axis(node, attr_int(node, "axis", 0), x.dims.size()));
    Dims parts =
        has_input(node, 1) ? int_values(node, 1, "the split sizes") : attr_ints(node, "split", {});
    const int outputs = node.output_size();
    if (parts.empty()) {
      if (outputs <= 0) fail_node(node, "has no outputs");
      const std::int64_t whole = x.dims[axis];
      const std::int64_t each = (whole + outputs - 1) / outputs;
      for (int i = 0; i < outputs; ++i) {
        parts.push_back(std::max<std::int64_t>(0, std::min(each, whole - each * i)));
      }
    }
    std::int64_t total = 0;
    for (const auto p : parts) total += p;
    if (static_cast<int>(parts.size()) != outputs || total != x.dims[axis]) {
      fail_node(node, "split " + dims_text(parts) + " does not divide dimension " +
                          std::to_string(axis) + " of " + dims_text(x.dims) + " into " +
                          std::to_string(outputs) + " outputs");
    }
    for (int i = 0; i < outputs; ++i) {
      Tensor y;
      y.dims = x.dims;
      y.dims[axis] = parts[static_cast<std::size_t>(i)];
      y.elem_type = x.elem_type;
      y.constant = x.constant;
      set_out(node, i, y);
    }
    if (x.constant) return;
    // One layout layer that reads the input once and writes all parts.
    Tensor whole = x;
    whole.has_values = false;
    data_layer(node, LayerType::kLayout, "split", whole);
  }

  void slice(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const std::size_t rank = x.dims.size();
    Dims starts, ends, axes, steps;
    if (has_input(node, 1)) {
      starts = int_values(node, 1, "starts");
      ends = int_values(node, 2, "ends");
      if (has_input(node, 3)) axes = int_values(node, 3, "axes");
      if (has_input(node, 4)) steps = int_values(node, 4, "steps");
    } else {
      starts = attr_ints(node, "starts", {});
      ends = attr_ints(node, "ends", {});
      axes = attr_ints(node, "axes", {});
    }
    if (axes.empty()) {
      for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size()) {
      fail_node(node, "starts, ends, axes and steps must have the same length");
    }
    Tensor y;
    y.dims = x.dims;
    Dims begin(rank, 0), step(rank, 1);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      const auto a = static_cast<std::size_t>(norm_axis(node, axes[i], rank));
      const std::int64_t dim = x.dims[a];
      const std::int64_t s = steps[i];
      if (s == 0) fail_node(node, "a step of 0 is not allowed");
      auto clamp = [](std::int64_t v, std::int64_t lo, std::int64_t hi) {
        return std::max(lo, std::min(v, hi));
      };
      std::int64_t start = starts[i] < 0 ? starts[i] + dim : starts[i];
      std::int64_t end = ends[i] < 0 ? ends[i] + dim : ends[i];
      std::int64_t length = 0;
      if (s > 0) {
        start = clamp(start, 0, dim);
        end = clamp(end, 0, dim);
        length = end > start ? (end - start + s - 1) / s : 0;
      } else {
        start = clamp(start, 0, dim - 1);
        end = clamp(end, -1, dim - 1);
        length = start > end ? (start - end - s - 1) / (-s) : 0;
      }
      y.dims[a] = length;
      begin[a] = start;
      step[a] = s;
    }
    if (x.has_values && rank == 1) {
      y.has_values = true;
      for (std::int64_t i = 0; i < y.dims[0]; ++i) {
        y.values.push_back(x.values[static_cast<std::size_t>(begin[0] + i * step[0])]);
      }
    }
    y.elem_type = x.elem_type;
    y.constant = x.constant;
    set_out(node, 0, y);
    if (!y.constant && y.elements() > 0) data_layer(node, LayerType::kLayout, "slice", y);
  }

  void gather(const onnx::NodeProto& node) {
    const Tensor& data = in(node, 0);
    const Tensor& indices = in(node, 1);
    if (data.dims.empty()) fail_node(node, "cannot gather from a scalar");
    const auto axis =
        static_cast<std::size_t>(norm_axis(node, attr_int(node, "axis", 0), data.dims.size()));
    Tensor y;
    y.dims.assign(data.dims.begin(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis));
    y.dims.insert(y.dims.end(), indices.dims.begin(), indices.dims.end());
    y.dims.insert(y.dims.end(), data.dims.begin() + static_cast<std::ptrdiff_t>(axis) + 1,
                  data.dims.end());
    y.elem_type = data.elem_type;
    y.constant = data.constant && indices.constant;
    if (data.has_values && indices.has_values && data.dims.size() == 1) {
      y.has_values = true;
      for (const double v : indices.values) {
        auto i = to_int(node, v, "the indices");
        if (i < 0) i += data.dims[0];
        if (i < 0 || i >= data.dims[0])
          fail_node(node, "index " + std::to_string(v) + " is out of range");
        y.values.push_back(data.values[static_cast<std::size_t>(i)]);
      }
    }
    set_out(node, 0, y);
    if (!y.constant && y.elements() > 0) data_layer(node, LayerType::kVector, "gather", y);
  }

  void expand(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const Dims shape = int_values(node, 1, "the target shape");
    Tensor y;
    y.dims = broadcast(node, x.dims, shape);
    // Expand's shape may hold 1 where the input is larger: numpy rules keep the input size.
    y.elem_type = x.elem_type;
    y.constant = x.constant;
    if (x.has_values && x.elements() == 1) {
      y.has_values = y.elements() <= kMaxValues;
      if (y.has_values) y.values.assign(y.elements(), x.values[0]);
    }
    set_out(node, 0, y);
    if (!y.constant) data_layer(node, LayerType::kLayout, "expand", y);
  }

  void pad(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    Dims pads = has_input(node, 1) ? int_values(node, 1, "the pads") : attr_ints(node, "pads", {});
    const std::size_t rank = x.dims.size();
    Dims axes;
    if (has_input(node, 3)) axes = int_values(node, 3, "the axes");
    if (axes.empty()) {
      for (std::size_t i = 0; i < rank; ++i) axes.push_back(static_cast<std::int64_t>(i));
    }
    if (pads.size() != 2 * axes.size()) {
      fail_node(node, "pads " + dims_text(pads) + " must have 2 values per padded axis");
    }
    Tensor y;
    y.dims = x.dims;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      const auto a = static_cast<std::size_t>(norm_axis(node, axes[i], rank));
      y.dims[a] += pads[i] + pads[i + axes.size()];
      if (y.dims[a] < 0) fail_node(node, "pads " + dims_text(pads) + " remove more than the input");
    }
    y.elem_type = x.elem_type;
    y.constant = x.constant;
    set_out(node, 0, y);
    if (!y.constant) data_layer(node, LayerType::kVector, "pad", y);
  }

  void resize(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    const std::size_t rank = x.dims.size();
    Tensor y;
    y.dims = x.dims;
    const bool upsample = node.op_type() == "Upsample";
    const int scales_input = upsample ? 1 : 2;
    std::vector<double> scales;
    if (!upsample && has_input(node, 3)) {
      const Dims sizes = int_values(node, 3, "the sizes");
      if (sizes.size() != rank)
        fail_node(node, "sizes " + dims_text(sizes) + " must have rank " + std::to_string(rank));
      y.dims = sizes;
    } else {
      if (has_input(node, scales_input)) {
        const Tensor& s = in(node, scales_input);
        if (!s.has_values) {
          fail_node(node, "the scales are computed at run time; edgesim needs them constant");
        }
        scales = s.values;
      } else if (const auto* a = attr(node, "scales")) {
        scales.assign(a->floats().begin(), a->floats().end());
      }
      if (scales.size() != rank) {
        fail_node(node, "needs " + std::to_string(rank) + " scales, got " +
                            std::to_string(scales.size()));
      }
      for (std::size_t i = 0; i < rank; ++i) {
        y.dims[i] =
            to_int(node, std::floor(static_cast<double>(x.dims[i]) * scales[i]), "the scales");
      }
    }
    y.elem_type = x.elem_type;
    y.constant = x.constant;
    set_out(node, 0, y);
    if (!y.constant) data_layer(node, LayerType::kVector, "resize", y);
  }

  void reduce(const onnx::NodeProto& node) {
    const Tensor& x = in(node, 0);
    Dims axes = axes_of(node, 1, "the axes");
    const bool keep = attr_int(node, "keepdims", 1) != 0;
    const bool noop = attr_int(node, "noop_with_empty_axes", 0) != 0;
    std::vector<bool> reduced(x.dims.size(), axes.empty() && !noop);
    for (const auto a : axes)
      reduced[static_cast<std::size_t>(norm_axis(node, a, x.dims.size()))] = true;
    Tensor y;
    for (std::size_t i = 0; i < x.dims.size(); ++i) {
      if (!reduced[i]) {
        y.dims.push_back(x.dims[i]);
      } else if (keep) {
        y.dims.push_back(1);
      }
    }
    y.elem_type = x.elem_type;
    y.constant = x.constant;
    set_out(node, 0, y);
    if (!y.constant) data_layer(node, LayerType::kVector, vector_name(node.op_type()), y);
  }

  void constant_op(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    Tensor y;
    y.constant = true;
    y.elem_type = onnx::TensorProto::INT64;
    if (op == "Shape") {
      const Tensor& x = in(node, 0);
      const auto rank = static_cast<std::int64_t>(x.dims.size());
      std::int64_t start = attr_int(node, "start", 0), end = attr_int(node, "end", rank);
      if (start < 0) start += rank;
      if (end < 0) end += rank;
      start = std::max<std::int64_t>(0, std::min(start, rank));
      end = std::max<std::int64_t>(start, std::min(end, rank));
      y.dims = {end - start};
      y.has_values = true;
      for (auto i = start; i < end; ++i) {
        y.values.push_back(static_cast<double>(x.dims[static_cast<std::size_t>(i)]));
      }
    } else if (op == "Size") {
      y.has_values = true;
      y.values = {static_cast<double>(in(node, 0).elements())};
    } else if (op == "Constant") {
      constant_value(node, y);
    } else if (op == "ConstantOfShape") {
      y.dims = int_values(node, 0, "the shape");
      double fill = 0;
      y.elem_type = onnx::TensorProto::FLOAT;
      if (const auto* a = attr(node, "value"); a != nullptr && a->has_t()) {
        std::vector<double> v;
        y.elem_type = a->t().data_type();
        if (tensor_values(a->t(), 1, v) && v.size() == 1) fill = v[0];
      }
      for (const auto d : y.dims) {
        if (d < 0) fail_node(node, "shape " + dims_text(y.dims) + " has a negative size");
      }
      check_elements(y.dims, node_label(node));
      if (y.elements() <= kMaxValues) {
        y.has_values = true;
        y.values.assign(y.elements(), fill);
      }
    } else if (op == "Range") {
      const Tensor& start = in(node, 0);
      const Tensor& limit = in(node, 1);
      const Tensor& delta = in(node, 2);
      if (!start.has_values || !limit.has_values || !delta.has_values || start.values.size() != 1 ||
          limit.values.size() != 1 || delta.values.size() != 1) {
        fail_node(node,
                  "start, limit and delta are computed at run time; edgesim needs them "
                  "constant");
      }
      const double d = delta.values[0];
      if (d == 0) fail_node(node, "delta must not be 0");
      const std::int64_t count = to_int(
          node, std::max(0.0, std::ceil((limit.values[0] - start.values[0]) / d)), "the range");
      y.dims = {count};
      y.elem_type = start.elem_type;
      if (static_cast<std::uint64_t>(count) <= kMaxValues) {
        y.has_values = true;
        for (std::int64_t i = 0; i < count; ++i) y.values.push_back(start.values[0] + i * d);
      }
    }
    set_out(node, 0, y);
  }

  void constant_value(const onnx::NodeProto& node, Tensor& y) const {
    const auto* a = node.attribute_size() > 0 ? &node.attribute(0) : nullptr;
    if (a == nullptr) fail_node(node, "has no value attribute");
    const std::string& name = a->name();
    if (name == "value") {
      const auto& t = a->t();
      y.elem_type = t.data_type();
      for (const auto d : t.dims()) y.dims.push_back(d);
      for (const auto d : y.dims) {
        if (d < 0 || d > kMaxDim) fail_node(node, "invalid constant shape " + dims_text(y.dims));
      }
      check_elements(y.dims, node_label(node));
      y.has_values = tensor_values(t, y.elements(), y.values);
    } else if (name == "sparse_value") {
      for (const auto d : a->sparse_tensor().dims()) y.dims.push_back(d);
      for (const auto d : y.dims) {
        if (d < 0 || d > kMaxDim) fail_node(node, "invalid constant shape " + dims_text(y.dims));
      }
    } else if (name == "value_int") {
      y.has_values = true;
      y.values = {static_cast<double>(a->i())};
    } else if (name == "value_ints") {
      y.dims = {a->ints_size()};
      y.has_values = true;
      for (const auto v : a->ints()) y.values.push_back(static_cast<double>(v));
    } else if (name == "value_float") {
      y.elem_type = onnx::TensorProto::FLOAT;
      y.has_values = true;
      y.values = {static_cast<double>(a->f())};
    } else if (name == "value_floats") {
      y.elem_type = onnx::TensorProto::FLOAT;
      y.dims = {a->floats_size()};
      y.has_values = true;
      for (const auto v : a->floats()) y.values.push_back(static_cast<double>(v));
    } else {
      fail_node(node, "constant attribute '" + name + "' is not supported");
    }
  }

  const onnx::GraphProto& graph_;
  const std::string& origin_;
  const OnnxImportOptions& options_;
  std::map<std::string, Tensor> tensors_;
  std::set<std::string> layer_names_;
  Network network_;
  int index_ = 0;
};

std::string file_stem(const std::string& path) {
  std::string stem = std::filesystem::path(path).filename().string();
  if (const auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0) {
    stem.erase(dot);
  }
  return stem.empty() ? std::string("onnx_model") : stem;
}

}  // namespace

const std::vector<std::string>& onnx_supported_ops() { return kSupportedOps; }

OnnxImportOptions parse_onnx_import_options(const sim::ConfigNode& workload) {
  OnnxImportOptions options;
  if (workload.has("batch")) {
    const std::uint64_t batch = workload.get_positive("batch", 1);
    if (batch > (1U << 24))
      workload.fail("batch", "must be at most 16777216, got " + workload.raw("batch"));
    options.batch = static_cast<std::uint32_t>(batch);
  }
  const sim::ConfigNode onnx = workload.child("onnx");
  options.skip_unsupported = onnx.get_choice("unsupported", "error", {"error", "skip"}) == "skip";
  const sim::ConfigNode dims = onnx.child("dims");
  for (const auto& name : dims.given_keys()) {
    options.dims[name] = dims.get_positive(name, 1);
  }
  return options;
}

namespace {

/// Checks and imports a parsed model.
OnnxImport import_parsed(const onnx::ModelProto& model, const std::string& origin,
                         const OnnxImportOptions& options) {
  if (!model.has_graph() || model.graph().node_size() == 0) {
    throw sim::ConfigError(origin + ": not a valid ONNX model (it has no graph nodes)");
  }
  for (const auto& opset : model.opset_import()) {
    if ((opset.domain().empty() || opset.domain() == "ai.onnx") && opset.version() > 30) {
      throw sim::ConfigError(origin + ": opset " + std::to_string(opset.version()) +
                             " is newer than edgesim understands");
    }
  }
  OnnxImport result = Importer(model, origin, options).run();
  result.network.name = file_stem(origin);
  return result;
}

[[noreturn]] void not_a_model(const std::string& origin, bool empty) {
  throw sim::ConfigError(origin + ": not a valid ONNX model (the protobuf data is " +
                         (empty ? std::string("empty") : "corrupt or truncated") + ")");
}

}  // namespace

OnnxImport import_onnx_bytes(const std::string& bytes, const std::string& origin,
                             const OnnxImportOptions& options) {
  onnx::ModelProto model;
  {
    // A corrupt file is reported once, by us, not also by protobuf's logger on stderr.
    google::protobuf::LogSilencer silence;
    if (bytes.empty() || !model.ParseFromString(bytes)) not_a_model(origin, bytes.empty());
  }
  return import_parsed(model, origin, options);
}

OnnxImport import_onnx_model(const std::string& path, const OnnxImportOptions& options) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw sim::ConfigError(path +
                           ": cannot open ONNX model (does it exist and is it a "
                           "readable file?)");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) throw sim::ConfigError(path + ": cannot open ONNX model (is it readable?)");
  const bool empty = std::filesystem::file_size(path, error) == 0 && !error;
  onnx::ModelProto model;
  {
    // Parsed straight from the stream: a large model is not held twice in memory.
    google::protobuf::LogSilencer silence;
    if (empty || !model.ParseFromIstream(&file)) not_a_model(path, empty);
  }
  return import_parsed(model, path, options);
}

Network import_onnx(const std::string& path, const OnnxImportOptions& options) {
  Network network = import_onnx_model(path, options).network;
  if (network.layers.empty()) {
    throw sim::ConfigError(path +
                           ": the model has no node edgesim represents as a layer (it "
                           "computes only constants, or every node was skipped)");
  }
  return network;
}

}  // namespace workloads
