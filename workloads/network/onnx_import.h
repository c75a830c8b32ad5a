#pragma once
// ONNX models as edgesim networks (docs/onnx.md).
//
// The importer reads a ModelProto with Debian's libonnx protobuf classes, infers every
// tensor's shape itself from the graph inputs and initializers (folding the small integer
// tensors that feed Reshape, Slice and friends), and turns each computing node into a layer:
// Conv -> conv2d / depthwise_conv2d (grouped convolutions repeat per group), Gemm and MatMul
// -> gemm or fc (batched MatMul repeats per product), pooling, normalisation, activations and
// elementwise arithmetic -> vector, Flatten/Reshape/Transpose/Concat/... -> layout. Nodes that
// only compute constants (shape arithmetic, weight transposes) produce no layer.
//
// Dimension 0 of every graph input that is not an initializer is the batch.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/core/config.h"
#include "workloads/network/network.h"

namespace workloads {

/// How to import an ONNX model.
struct OnnxImportOptions {
  /// workload.batch: replaces dimension 0 of every graph input (symbolic or fixed); 0 keeps
  /// the model's own batch (a symbolic batch becomes 1).
  std::uint32_t batch = 0;
  /// workload.onnx.unsupported: false (error, the default) stops at the first node edgesim
  /// cannot represent; true (skip) leaves it out, passes its first input through unchanged and
  /// lists it in Network::skipped_nodes.
  bool skip_unsupported = false;
  /// workload.onnx.dims.<name>: sizes of symbolic dimensions other than the batch.
  std::map<std::string, std::uint64_t> dims;
};

/// Reads the import options from the `workload` section: batch, onnx.unsupported
/// (skip | error), onnx.dims (a map of symbolic dimension name to size).
OnnxImportOptions parse_onnx_import_options(const sim::ConfigNode& workload);

/// An imported model: the network and every tensor's inferred shape.
struct OnnxImport {
  Network network;
  std::map<std::string, std::vector<std::int64_t>> shapes;  // tensor name -> dims
  std::vector<std::string> graph_outputs;                   // names of the graph's outputs
};

/// Reads and imports `path`. Throws sim::ConfigError with one line naming the file (and the
/// node) for a missing, corrupt or unsupported model; never crashes on a bad file.
Network import_onnx(const std::string& path, const OnnxImportOptions& options);

/// The same, with the inferred shapes; the network may have no layers (a graph that only
/// computes constants).
OnnxImport import_onnx_model(const std::string& path, const OnnxImportOptions& options);

/// Imports a serialised ModelProto already in memory; `origin` names it in error messages.
OnnxImport import_onnx_bytes(const std::string& bytes, const std::string& origin,
                             const OnnxImportOptions& options);

/// The ONNX operator types the importer represents (as layers or as constant folding).
const std::vector<std::string>& onnx_supported_ops();

}  // namespace workloads
