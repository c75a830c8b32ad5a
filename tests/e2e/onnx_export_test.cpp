// `edgesim export`: ONNX (and other) workloads as SCALE-Sim topologies on stdout, read back
// with SCALE-Sim's own rules; ONNX errors as one line and exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <vector>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

const std::string kModels = std::string(EDGESIM_SOURCE_DIR) + "/tests/data/onnx/";

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header, skipped as SCALE-Sim does
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::istringstream row(line);
    std::string field;
    while (std::getline(row, field, ',')) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

/// MACs of a conv topology by SCALE-Sim's reading: ofmap = ceil((ifmap - filter + stride) /
/// stride), no padding; a DP layer is one single-channel layer per channel.
std::uint64_t conv_topology_macs(const std::string& csv) {
  std::uint64_t macs = 0;
  for (const auto& f : csv_rows(csv)) {
    EXPECT_GE(f.size(), 8u);
    if (f.size() < 8) continue;
    const std::uint64_t ih = std::stoull(f[1]), iw = std::stoull(f[2]), fh = std::stoull(f[3]),
                        fw = std::stoull(f[4]), c = std::stoull(f[5]), n = std::stoull(f[6]),
                        sh = std::stoull(f[7]);
    const std::uint64_t sw = f.size() > 8 && !f[8].empty() ? std::stoull(f[8]) : sh;
    const std::uint64_t oh = (ih - fh + sh + sh - 1) / sh, ow = (iw - fw + sw + sw - 1) / sw;
    // A DP layer runs c single-channel layers of n filters: the same product.
    macs += oh * ow * fh * fw * c * n;
  }
  return macs;
}

std::uint64_t gemm_topology_macs(const std::string& csv) {
  std::uint64_t macs = 0;
  for (const auto& f : csv_rows(csv)) {
    EXPECT_GE(f.size(), 4u);
    if (f.size() < 4) continue;
    macs += std::stoull(f[1]) * std::stoull(f[2]) * std::stoull(f[3]);
  }
  return macs;
}

std::uint64_t conv_macs(std::uint64_t out_hw, std::uint64_t out_c, std::uint64_t k,
                        std::uint64_t in_c) {
  return out_hw * out_hw * out_c * k * k * in_c;
}

/// ResNet-style model of scripts/make_onnx_models.py, per sample.
const std::uint64_t kResnetMacs = conv_macs(32, 8, 3, 3) + 2 * conv_macs(16, 8, 3, 8) +
                                  conv_macs(8, 16, 3, 8) + conv_macs(8, 16, 3, 16) +
                                  conv_macs(8, 16, 1, 8) + 16 * 10;

class OnnxExport : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-onnx"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(OnnxExport, ConvTopologyKeepsEveryMacUnderScalesimRules) {
  const auto r = e2e::run_edgesim("export --workload '" + kModels +
                                  "resnet_tiny.onnx' --format scalesim-conv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                        "Channels, Num Filter, Strides,\n",
                        0),
            0u)
      << r.out;
  EXPECT_EQ(csv_rows(r.out).size(), 7u) << r.out;  // 6 convolutions and the classifier
  EXPECT_EQ(conv_topology_macs(r.out), kResnetMacs) << r.out;
  // Padding: the stem's 32x32 input padded by 1 is a 34x34 SCALE-Sim ifmap.
  EXPECT_NE(r.out.find("\nstem,34,34,3,3,3,8,1,\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("vector/layout layers have no SCALE-Sim equivalent"), std::string::npos);
}

TEST_F(OnnxExport, GemmTopologyFoldsTheBatchIntoM) {
  const auto one = e2e::run_edgesim("export --workload '" + kModels +
                                    "resnet_tiny.onnx' --format scalesim-gemm");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out.rfind("Layer name, M, N, K,\n", 0), 0u);
  EXPECT_EQ(gemm_topology_macs(one.out), kResnetMacs);
  const auto three = e2e::run_edgesim("export --workload '" + kModels +
                                      "resnet_tiny.onnx' --format scalesim-gemm --set "
                                      "workload.batch=3");
  ASSERT_EQ(three.exit_code, 0) << three.err;
  EXPECT_EQ(gemm_topology_macs(three.out), 3 * kResnetMacs);
  EXPECT_NE(three.out.find("\nstem,3072,8,27,\n"), std::string::npos) << three.out;
}

TEST_F(OnnxExport, DepthwiseLayersAreScalesimDpLayers) {
  const auto r = e2e::run_edgesim("export --workload '" + kModels +
                                  "mobilenet_tiny.onnx' --format scalesim-conv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\nsep.dw_DP,18,18,3,3,8,1,1,\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nhead.dw_s2_DP,17,17,3,3,16,1,2,\n"), std::string::npos) << r.out;
  const auto gemm = e2e::run_edgesim("export --workload '" + kModels +
                                     "mobilenet_tiny.onnx' --format scalesim-gemm");
  ASSERT_EQ(gemm.exit_code, 0) << gemm.err;
  EXPECT_EQ(conv_topology_macs(r.out), gemm_topology_macs(gemm.out));
}

TEST_F(OnnxExport, ExportedTopologyReadsBackAsTheSameWork) {
  const auto conv = e2e::run_edgesim("export --workload '" + kModels +
                                     "transformer_encoder_tiny.onnx' --format scalesim-conv "
                                     "--set workload.batch=2");
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  e2e::write_file(dir_ + "/topo.csv", conv.out);
  const auto back =
      e2e::run_edgesim("export --workload '" + dir_ + "/topo.csv' --format scalesim-gemm");
  ASSERT_EQ(back.exit_code, 0) << back.err;
  // d = 32, 4 heads of 8, feed-forward 64, 16 tokens, batch 2.
  const std::uint64_t expected =
      2 * (4ull * 16 * 32 * 32 + 2ull * 4 * 16 * 16 * 8 + 2ull * 16 * 32 * 64);
  EXPECT_EQ(conv_topology_macs(conv.out), expected);
  EXPECT_EQ(gemm_topology_macs(back.out), expected);
  EXPECT_NE(back.out.find("\nattn.scores,128,16,8,\n"), std::string::npos) << back.out;
}

TEST_F(OnnxExport, YamlFormatIsAWorkloadThatRuns) {
  const auto yaml = e2e::run_edgesim("export --workload '" + kModels +
                                     "mobilenet_tiny.onnx' --format yaml --set workload.batch=2");
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_EQ(yaml.out.rfind("name: \"mobilenet_tiny\"\nbatch: 2\nlayers:\n", 0), 0u) << yaml.out;
  EXPECT_NE(yaml.out.find("{name: \"sep.dw\", type: depthwise_conv2d, in_h: 16, in_w: 16, in_c: 8"),
            std::string::npos)
      << yaml.out;
  EXPECT_NE(yaml.out.find("{name: \"ir.add\", type: vector, op: add"), std::string::npos);
  e2e::write_file(dir_ + "/m.yaml", yaml.out);
  const auto run =
      e2e::run_edgesim("run -q --workload '" + dir_ + "/m.yaml' --out '" + dir_ + "/run'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string layers = e2e::read_file(dir_ + "/run/layers.csv");
  EXPECT_NE(layers.find(",sep.dw,depthwise_conv2d,"), std::string::npos) << layers;
  EXPECT_NE(layers.find(",classifier,fc,"), std::string::npos) << layers;
}

TEST_F(OnnxExport, UnsupportedNodeIsOneLineAndSkipModeContinues) {
  const std::string model = kModels + "pixel_shuffle_tiny.onnx";
  const auto r = e2e::run_edgesim("export --workload '" + model + "' --format scalesim-conv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "error: " + model +
                       ": node 'shuffle' (op_type DepthToSpace): not supported; nearest "
                       "supported: Reshape (or --set workload.onnx.unsupported=skip)\n");
  EXPECT_TRUE(r.out.empty());
  const auto skip = e2e::run_edgesim("export --workload '" + model +
                                     "' --format scalesim-conv --set "
                                     "workload.onnx.unsupported=skip");
  ASSERT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_NE(skip.out.find("\nenc,10,10,3,3,4,8,1,\n"), std::string::npos) << skip.out;
  EXPECT_NE(skip.err.find("1 unsupported ONNX nodes were skipped"), std::string::npos) << skip.err;
}

TEST_F(OnnxExport, CorruptOrMissingModelIsOneLine) {
  e2e::write_file(dir_ + "/garbage.onnx", "\x08\x07\x12\x03\xff\xff\xff this is not protobuf");
  const auto bad =
      e2e::run_edgesim("export --workload '" + dir_ + "/garbage.onnx' --format scalesim-conv");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.rfind("error: " + dir_ + "/garbage.onnx: not a valid ONNX model", 0), 0u)
      << bad.err;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
  const auto missing =
      e2e::run_edgesim("export --workload '" + dir_ + "/none.onnx' --format scalesim-gemm");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("none.onnx: cannot open ONNX model"), std::string::npos);
}

TEST_F(OnnxExport, UsageErrorsAndHelp) {
  const auto help = e2e::run_edgesim("export --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("edgesim export --workload model.onnx --format scalesim-conv"),
            std::string::npos);
  const auto format = e2e::run_edgesim("export --workload tiny_cnn --format csv");
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.err.find("--format: expected scalesim-conv, scalesim-gemm or yaml, got 'csv'"),
            std::string::npos);
  const auto key =
      e2e::run_edgesim("export --workload tiny_cnn --format scalesim-gemm --set workload.bacth=2");
  EXPECT_EQ(key.exit_code, 2);
  EXPECT_NE(key.err.find("bacth"), std::string::npos) << key.err;
  const auto builtin = e2e::run_edgesim("export --workload tiny_cnn --format scalesim-gemm");
  ASSERT_EQ(builtin.exit_code, 0) << builtin.err;
  EXPECT_NE(builtin.out.find("\ndw3_ch31,256,1,9,\n"), std::string::npos) << builtin.out;
}

}  // namespace
