// ONNX import against the node-level test models of Debian's libonnx-testdata (written by
// the ONNX project, not here): for every model built only from supported ops, the shape
// edgesim infers for each graph output equals the shape of the expected output stored
// beside the model (test_data_set_0/output_N.pb).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "workloads/network/onnx_import.h"

namespace fs = std::filesystem;

namespace {

/// Where libonnx-testdata installs its models (Debian's path; EDGESIM_ONNX_TESTDATA overrides).
std::string testdata_root() {
  const char* env = std::getenv("EDGESIM_ONNX_TESTDATA");
  return env != nullptr ? env : "/usr/share/libonnx-testdata/data";
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_float(int type) {
  return type == onnx::TensorProto::FLOAT || type == onnx::TensorProto::DOUBLE ||
         type == onnx::TensorProto::FLOAT16 || type == onnx::TensorProto::BFLOAT16;
}

/// One node-level test case prepared for import.
struct Case {
  std::string name;
  std::string bytes;                                // model with bound inputs
  std::vector<std::vector<std::int64_t>> expected;  // output shapes from output_N.pb
  std::set<std::string> ops;
};

/// Loads a test directory. Inputs other than the first float one (the data the node works
/// on) are bound as initializers from input_N.pb, as an exporter would have folded them:
/// weights, shapes, axes, scales. False when the case does not apply (non-tensor inputs or
/// outputs, ops outside the supported set, missing data).
bool load_case(const fs::path& dir, const std::set<std::string>& supported, Case& c) {
  onnx::ModelProto model;
  if (!model.ParseFromString(slurp(dir / "model.onnx"))) return false;
  const auto& graph = model.graph();
  for (const auto& node : graph.node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx") return false;
    if (!supported.count(node.op_type())) return false;
    c.ops.insert(node.op_type());
  }
  for (const auto& value : graph.input()) {
    if (!value.type().has_tensor_type()) return false;
  }
  for (const auto& value : graph.output()) {
    if (!value.type().has_tensor_type()) return false;
  }
  const fs::path data = dir / "test_data_set_0";
  bool kept_data = false;
  std::set<std::string> initialized;
  for (const auto& init : graph.initializer()) initialized.insert(init.name());
  int index = 0;
  for (const auto& value : graph.input()) {
    if (initialized.count(value.name())) continue;
    const fs::path file = data / ("input_" + std::to_string(index++) + ".pb");
    if (!kept_data && is_float(value.type().tensor_type().elem_type())) {
      kept_data = true;
      continue;
    }
    onnx::TensorProto tensor;
    if (!fs::exists(file) || !tensor.ParseFromString(slurp(file))) return false;
    tensor.set_name(value.name());
    *model.mutable_graph()->add_initializer() = tensor;
  }
  for (int i = 0; i < graph.output_size(); ++i) {
    onnx::TensorProto tensor;
    const fs::path file = data / ("output_" + std::to_string(i) + ".pb");
    if (!fs::exists(file) || !tensor.ParseFromString(slurp(file))) return false;
    c.expected.emplace_back(tensor.dims().begin(), tensor.dims().end());
  }
  c.name = dir.parent_path().filename().string() + "/" + dir.filename().string();
  c.bytes = model.SerializeAsString();
  return true;
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  std::string text = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? "," : "") + std::to_string(dims[i]);
  return text + "]";
}

/// Cases whose import must fail, with the reason the error names: run-time values edgesim
/// cannot fold, and shapes its layer IR cannot hold.
/// (Range on a float input is such a run-time value here: the first float input is data.)
const std::map<std::string, std::string> kExpectedErrors = {
    {"node/test_range_float_type_positive_delta", "computed at run time"},
    {"node/test_averagepool_3d_default", "with 1 or 2 spatial dimensions"},
    {"node/test_convtranspose_3d", "with 1 or 2 spatial dimensions"},
    {"node/test_maxpool_3d_default", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_AvgPool3d", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_AvgPool3d_stride", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d_dilated", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d_dilated_strided", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d_groups", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d_no_bias", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d_stride", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_Conv3d_stride_padding", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_MaxPool3d", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_MaxPool3d_stride", "with 1 or 2 spatial dimensions"},
    {"pytorch-converted/test_MaxPool3d_stride_padding", "with 1 or 2 spatial dimensions"},
};

/// Supported ops that libonnx-testdata 1.12 has no node model for, with the reason.
const std::map<std::string, std::string> kUntested = {
    {"Gelu", "added in opset 20, after ONNX 1.12; the transformer model covers its erf form"},
    {"LpPool", "no LpPool node model in libonnx-testdata 1.12; it shares MaxPool's window code"},
};

TEST(OnnxTestdata, EverySupportedNodeModelInfersTheExpectedOutputShapes) {
  const fs::path root = testdata_root();
  ASSERT_TRUE(fs::is_directory(root / "node"))
      << root << " is missing: install Debian's libonnx-testdata (scripts/install-deps.sh)";
  const auto& ops = workloads::onnx_supported_ops();
  const std::set<std::string> supported(ops.begin(), ops.end());
  std::set<std::string> covered;
  std::vector<std::string> failures;
  int checked = 0;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    if (!fs::is_directory(root / suite)) continue;
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(root / suite)) dirs.push_back(entry.path());
    std::sort(dirs.begin(), dirs.end());
    for (const auto& dir : dirs) {
      Case c;
      if (!load_case(dir, supported, c)) continue;
      const auto expected_error = kExpectedErrors.find(c.name);
      try {
        const auto result = workloads::import_onnx_bytes(c.bytes, c.name, {});
        if (expected_error != kExpectedErrors.end()) {
          failures.push_back(c.name + ": imported, expected an error naming '" +
                             expected_error->second + "'");
          continue;
        }
        bool ok = result.graph_outputs.size() == c.expected.size();
        for (std::size_t i = 0; ok && i < c.expected.size(); ++i) {
          const auto it = result.shapes.find(result.graph_outputs[i]);
          if (it == result.shapes.end() || it->second != c.expected[i]) {
            failures.push_back(c.name + ": output " + std::to_string(i) + " inferred " +
                               (it == result.shapes.end() ? "nothing" : dims_text(it->second)) +
                               ", expected " + dims_text(c.expected[i]));
            ok = false;
          }
        }
        if (ok) {
          ++checked;
          covered.insert(c.ops.begin(), c.ops.end());
        }
      } catch (const sim::ConfigError& e) {
        const std::string what = e.what();
        if (expected_error == kExpectedErrors.end() ||
            what.find(expected_error->second) == std::string::npos) {
          failures.push_back(c.name + ": " + what);
        }
      }
    }
  }
  std::string report;
  for (const auto& f : failures) report += "\n  " + f;
  EXPECT_TRUE(failures.empty()) << failures.size() << " node models failed:" << report;
  EXPECT_GT(checked, 300) << "fewer node models than expected were checked";
  std::string missing;
  for (const auto& op : ops) {
    if (!covered.count(op) && !kUntested.count(op)) missing += " " + op;
  }
  EXPECT_TRUE(missing.empty()) << "supported ops without a passing node model:" << missing;
  std::cout << "checked " << checked << " libonnx-testdata models covering " << covered.size()
            << " of " << ops.size() << " supported ops\n";
}

}  // namespace
