// The shipped zoo networks parse cleanly and carry their papers' published sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "sim/core/config.h"
#include "workloads/network/network.h"

namespace {

workloads::Network load_zoo(const std::string& file) {
  sim::Config config;
  config.load_file(std::string(EDGESIM_SOURCE_DIR) + "/workloads/network/zoo/" + file, "workload");
  const auto network = workloads::parse_network(config.root().child("workload"));
  config.check_all_read();  // no key the parser ignores
  return network;
}

void expect_near_relative(double actual, double published, double tolerance) {
  EXPECT_LT(std::abs(actual - published) / published, tolerance)
      << actual << " vs published " << published;
}

TEST(ZooWorkloads, ResNet18HasThePaperMultiplyAdds) {
  const auto net = load_zoo("resnet18.yaml");
  EXPECT_EQ(net.layers.size(), 21u);  // 17 3x3 / 7x7 convolutions, 3 projections, 1 fc
  expect_near_relative(static_cast<double>(net.total_macs()), 1.8e9, 0.02);  // He et al. Table 1
  EXPECT_EQ(net.layers.back().gemm(1).k, 512u);
  EXPECT_EQ(net.layers[19].out_h(), 7u);
}

TEST(ZooWorkloads, MobileNetV2HasThePaperMultiplyAddsAndParameters) {
  const auto net = load_zoo("mobilenet_v2.yaml");
  // Sandler et al. Table 4: 300M multiply-adds, 3.4M parameters (weights, no batch norm).
  expect_near_relative(static_cast<double>(net.total_macs()), 300e6, 0.01);
  expect_near_relative(static_cast<double>(net.total_weight_elements()), 3.4e6, 0.03);
  std::size_t depthwise = 0;
  for (const auto& layer : net.layers) {
    if (layer.type == workloads::LayerType::kDepthwiseConv2d) ++depthwise;
  }
  EXPECT_EQ(depthwise, 17u);  // one per bottleneck
  EXPECT_EQ(net.layers[net.layers.size() - 2].out_h(), 7u);
}

TEST(ZooWorkloads, Vgg16HasThePaperParameters) {
  const auto net = load_zoo("vgg16.yaml");
  EXPECT_EQ(net.layers.size(), 16u);
  // Simonyan and Zisserman Table 2: 138 million parameters (biases add 13 thousand).
  expect_near_relative(static_cast<double>(net.total_weight_elements()), 138e6, 0.005);
}

TEST(ZooWorkloads, AlexNetSingleTowerShapes) {
  const auto net = load_zoo("alexnet.yaml");
  EXPECT_EQ(net.layers.size(), 8u);
  EXPECT_EQ(net.layers[0].out_h(), 55u);  // Krizhevsky et al. Figure 2
  EXPECT_EQ(net.layers[4].out_h(), 13u);
  // "60 million parameters" with two towers; single-tower conv2/4/5 add about 2.3 million.
  expect_near_relative(static_cast<double>(net.total_weight_elements()), 62.4e6, 0.01);
}

TEST(ZooWorkloads, BertBaseEncoderLayerGemms) {
  const auto net = load_zoo("bert_base_encoder.yaml");
  EXPECT_EQ(net.layers.size(), 3u + 24u + 3u);
  // 128 tokens x (4 x 768 x 768 + 2 x 768 x 3072) + 12 heads x 2 x 128 x 128 x 64.
  EXPECT_EQ(net.total_macs(), 128ull * (4 * 768 * 768 + 2 * 768 * 3072) + 24ull * 128 * 128 * 64);
}

}  // namespace
