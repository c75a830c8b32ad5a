// Network IR: shapes, GEMM lowering, chaining, validation errors.
#include "workloads/network/network.h"

#include <gtest/gtest.h>

#include "workloads/training/program.h"

namespace {

workloads::Network parse(const std::string& yaml) {
  sim::Config config;
  config.load_text(yaml, "net.yaml", "workload");
  auto network = workloads::parse_network(config.root().child("workload"));
  config.check_all_read();
  return network;
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Network, ConvShapesAndIm2colGemm) {
  const auto net = parse(
      "name: n\nbatch: 2\nlayers:\n"
      "  - {name: c1, type: conv2d, in_h: 224, in_w: 224, in_c: 3, out_c: 96, kernel: 11, "
      "stride: 4}\n");
  const auto& c1 = net.layers[0];
  EXPECT_EQ(c1.out_h(), 54u);
  EXPECT_EQ(c1.out_w(), 54u);
  const auto g = c1.gemm(net.batch);
  EXPECT_EQ(g.m, 2u * 54 * 54);
  EXPECT_EQ(g.n, 96u);
  EXPECT_EQ(g.k, 11u * 11 * 3);
  EXPECT_EQ(net.total_macs(), 2ull * 54 * 54 * 96 * 363);
}

TEST(Network, LayersChainFromThePreviousOutput) {
  const auto net = parse(
      "name: n\nlayers:\n"
      "  - {name: c1, in_h: 32, in_w: 32, in_c: 3, out_c: 16, kernel: 3, padding: 1}\n"
      "  - {name: c2, out_c: 8, kernel: 3, stride: 2, padding: 1}\n"
      "  - {name: dw, type: depthwise_conv2d, kernel: 3, padding: 1}\n"
      "  - {name: fc, type: fc, out_features: 10}\n");
  EXPECT_EQ(net.layers[1].in_c, 16u);
  EXPECT_EQ(net.layers[1].out_h(), 16u);
  EXPECT_EQ(net.layers[2].in_c, 8u);
  EXPECT_EQ(net.layers[2].gemm(1).groups, 8u);
  EXPECT_EQ(net.layers[3].k, 16u * 16 * 8);
}

TEST(Network, InferenceLoweringGivesOneForwardGemmPerLayer) {
  const auto net = parse(
      "name: n\nbatch: 3\nlayers:\n  - {name: g, type: gemm, m: 5, n: 6, k: 7}\n"
      "  - {name: f, type: fc, in_features: 6, out_features: 4}\n");
  const auto program = workloads::lower_inference(net, {});
  ASSERT_EQ(program.ops.size(), 2u);
  EXPECT_EQ(program.ops[0].shape.m, 15u);
  EXPECT_EQ(program.ops[0].shape.macs(), 15u * 6 * 7);
  EXPECT_EQ(program.ops[1].shape.m, 3u);
  EXPECT_EQ(program.ops[1].phase, workloads::Phase::kFwd);
  EXPECT_EQ(program.ops[1].b.cls, workloads::TensorClass::kWeight);
}

TEST(Network, FirstConvNeedsAnInputShape) {
  EXPECT_NE(
      error_of("name: n\nlayers:\n  - {name: c, out_c: 4}\n").find("needs in_h, in_w and in_c"),
      std::string::npos);
}

TEST(Network, KernelLargerThanInputIsRejected) {
  const auto error =
      error_of("name: n\nlayers:\n  - {name: c, in_h: 2, in_w: 2, in_c: 1, out_c: 1, kernel: 5}\n");
  EXPECT_NE(error.find("workload.layers[0].kernel: must fit the padded input height 2, got 5"),
            std::string::npos)
      << error;
}

TEST(Network, DuplicateNamesAndEmptyNetworksAreRejected) {
  EXPECT_NE(error_of("name: n\nlayers:\n  - {name: a, type: gemm, m: 1, n: 1, k: 1}\n"
                     "  - {name: a, type: gemm, m: 1, n: 1, k: 1}\n")
                .find("must be unique"),
            std::string::npos);
  EXPECT_NE(error_of("name: n\nlayers: []\n").find("must list at least one layer"),
            std::string::npos);
}

TEST(Network, UnknownLayerTypeSuggestsTheClosest) {
  EXPECT_NE(error_of("name: n\nlayers:\n  - {name: a, type: conv2, m: 1}\n")
                .find("got 'conv2' (did you mean 'conv2d'?)"),
            std::string::npos);
}

}  // namespace
