// SCALE-Sim topology CSVs: the shipped files and the mistakes users make.
#include "workloads/network/scalesim_topology.h"

#include <gtest/gtest.h>

#include <string>

#include "sim/core/config.h"

namespace {

const std::string kData = std::string(EDGESIM_SOURCE_DIR) + "/tests/unit/scalesim_data/";

std::string error_of(const std::string& text, const std::string& format = "conv") {
  try {
    workloads::parse_scalesim_topology(text, "topo.csv", format);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "";
}

const char* const kHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
    "Strides,\n";

TEST(ScalesimTopology, ReadsShippedAlexNet) {
  const auto net = workloads::load_scalesim_topology(kData + "topology_alexnet.csv", "auto");
  EXPECT_EQ(net.name, "topology_alexnet");
  ASSERT_EQ(net.layers.size(), 5u);
  const auto& conv1 = net.layers[0];
  EXPECT_EQ(conv1.name, "Conv1");  // padded with spaces in the file
  EXPECT_EQ(conv1.type, workloads::LayerType::kConv2d);
  EXPECT_EQ(conv1.in_h, 224u);
  EXPECT_EQ(conv1.kernel_w, 11u);
  EXPECT_EQ(conv1.in_c, 3u);
  EXPECT_EQ(conv1.out_c, 96u);
  EXPECT_EQ(conv1.stride_w, 4u);
  // SCALE-Sim: ceil((224 - 11 + 4) / 4) = 55, not floor((224 - 11) / 4) + 1 = 54.
  EXPECT_EQ(conv1.out_h(), 55u);
  EXPECT_EQ(conv1.gemm(1).m, 55u * 55u);
  EXPECT_EQ(conv1.gemm(1).k, 363u);
  EXPECT_EQ(net.layers[1].out_h(), 23u);  // 27 - 5 + 1
}

TEST(ScalesimTopology, ReadsShippedResNet18) {
  const auto net = workloads::load_scalesim_topology(kData + "topology_resnet18.csv", "conv");
  ASSERT_EQ(net.layers.size(), 21u);
  EXPECT_EQ(net.layers[0].out_h(), 110u);  // ceil((224 - 7 + 2) / 2): no padding
  EXPECT_EQ(net.layers[7].name, "Conv3_s");
  EXPECT_EQ(net.layers[7].out_h(), 29u);  // 1x1 stride 2 on 56: ceil(57 / 2)
  EXPECT_EQ(net.layers[20].gemm(1).n, 1000u);
  EXPECT_EQ(net.layers[20].gemm(1).k, 512u);
}

TEST(ScalesimTopology, ReadsGemmFormatByHeader) {
  const auto net = workloads::load_scalesim_topology(kData + "topology_gemm3.csv", "auto");
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_EQ(net.layers[2].type, workloads::LayerType::kGemm);
  EXPECT_EQ(net.layers[2].gemm(1).m, 49u);
  EXPECT_EQ(net.layers[2].gemm(1).n, 512u);
  EXPECT_EQ(net.layers[2].gemm(1).k, 4608u);
}

TEST(ScalesimTopology, AcceptsByteOrderMarkCrlfStrideWidthAndMissingTrailingComma) {
  const std::string text = std::string("\xEF\xBB\xBF") + kHeader +
                           "c1, 10, 12, 3, 3, 2, 4, 1, 2,\r\n"
                           "\r\n"
                           "c2, 8, 8, 1, 1, 4, 4, 2\n"
                           "c3, 8, 8, 3, 3, 4, 4, 1,#comment\n";
  const auto net = workloads::parse_scalesim_topology(text, "t.csv", "auto");
  ASSERT_EQ(net.layers.size(), 3u);
  EXPECT_EQ(net.layers[0].stride_h, 1u);
  EXPECT_EQ(net.layers[0].stride_w, 2u);
  EXPECT_EQ(net.layers[0].out_w(), 6u);  // ceil((12 - 3 + 2) / 2)
  EXPECT_EQ(net.layers[1].stride_h, 2u);
  EXPECT_EQ(net.layers[2].out_h(), 6u);
}

TEST(ScalesimTopology, DpLayersAreDepthwiseWithOneGroupPerChannel) {
  const std::string text = std::string(kHeader) + "Conv2_DP, 112, 112, 3, 3, 32, 1, 1,\n";
  const auto net = workloads::parse_scalesim_topology(text, "t.csv", "conv");
  const auto& layer = net.layers[0];
  EXPECT_EQ(layer.type, workloads::LayerType::kDepthwiseConv2d);
  const auto g = layer.gemm(1);
  EXPECT_EQ(g.groups, 32u);
  EXPECT_EQ(g.n, 1u);
  EXPECT_EQ(g.k, 9u);
  EXPECT_EQ(g.m, 110u * 110u);
}

TEST(ScalesimTopology, EquivalentPaddingReproducesCeil) {
  for (std::uint32_t in = 1; in < 40; ++in) {
    for (std::uint32_t kernel = 1; kernel <= in; ++kernel) {
      for (std::uint32_t stride = 1; stride < 6; ++stride) {
        const std::uint32_t pad = workloads::scalesim_equivalent_padding(in, kernel, stride);
        const std::uint32_t edgesim = (in + 2 * pad - kernel) / stride + 1;
        const std::uint32_t scalesim = (in - kernel + stride + stride - 1) / stride;
        ASSERT_EQ(edgesim, scalesim) << in << " " << kernel << " " << stride;
      }
    }
  }
}

TEST(ScalesimTopology, BadValueNamesFileLineColumnAndValue) {
  EXPECT_EQ(
      error_of(std::string(kHeader) + "c1, 10, 10, 3, 3, 2, 4, 1,\nc2, 10, ten, 3, 3, 2, 4, 1,\n"),
      "topo.csv:3: column 'IFMAP Width': expected a positive integer, got 'ten'");
  EXPECT_EQ(error_of(std::string(kHeader) + "c1, 10, 10, 3, 3, 0, 4, 1,\n"),
            "topo.csv:2: column 'Channels': expected a positive integer of at most 16777216, got "
            "'0'");
  EXPECT_EQ(error_of(std::string(kHeader) + "c1, 10, 10, 3, 3, 2, -4, 1,\n"),
            "topo.csv:2: column 'Num Filter': expected a positive integer, got '-4'");
}

TEST(ScalesimTopology, ShortRowsAndOversizedFiltersAreErrors) {
  EXPECT_EQ(error_of(std::string(kHeader) + "c1, 10, 10, 3, 3, 2,\n"),
            "topo.csv:2: column 'Num Filter': expected a value (8 or 9 columns), got ''");
  EXPECT_EQ(error_of(std::string(kHeader) + "c1, 10, 10, 11, 3, 2, 4, 1,\n"),
            "topo.csv:2: column 'Filter Height': expected at most the IFMAP Height 10, got '11'");
  EXPECT_EQ(error_of("Layer, M, N, K,\ng1, 4, 4,\n", "gemm"),
            "topo.csv:2: column 'K': expected a value (4 columns), got ''");
  EXPECT_NE(error_of(std::string(kHeader) + "c1_DP, 10, 10, 3, 3, 8, 3, 1,\n")
                .find("column 'Num Filter': expected 1 or the channel count 8"),
            std::string::npos);
}

TEST(ScalesimTopology, EmptyFileUnknownFormatAndMissingFileAreErrors) {
  EXPECT_EQ(error_of(kHeader),
            "topo.csv:2: expected a header row and at least one layer row, got none");
  EXPECT_NE(error_of("x", "csv").find("expected conv, gemm or auto, got 'csv'"), std::string::npos);
  EXPECT_THROW(workloads::load_scalesim_topology(kData + "missing.csv", "auto"), sim::ConfigError);
}

}  // namespace
