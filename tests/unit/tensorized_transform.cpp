// Tensorising network layers: the `tensorize:` transform, ttm layers in the IR, their
// parameter and MAC counts against the hand-computed values of issue 10, the factorisation
// helper, errors, and the YAML round trip.
#include <gtest/gtest.h>

#include "workloads/network/network.h"
#include "workloads/network/tensor_train.h"

namespace {

workloads::Network parse(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  sim::Config config;
  config.load_text(yaml, "net.yaml", "workload");
  for (const auto& s : sets) config.apply_override(s);
  auto network = workloads::parse_network(config.root().child("workload"));
  config.check_all_read();
  return network;
}

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  try {
    parse(yaml, sets);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

const std::string kMlp =
    "name: mlp\nbatch: 1\nlayers:\n"
    "  - {name: fc1, type: fc, in_features: 784, out_features: 512}\n"
    "  - {name: relu1, type: vector, op: relu, in_h: 1, in_w: 1, in_c: 512}\n"
    "  - {name: fc2, type: fc, in_features: 512, out_features: 10}\n";

const std::string kTtMlp = kMlp +
                           "tensorize:\n"
                           "  fc1: {m: [4, 4, 8, 4], n: [4, 7, 4, 7], rank: 20, max_rank: 20}\n"
                           "  fc2: {m: [2, 5], n: [16, 32], ranks: [1, 20, 1], max_rank: 20}\n";

TEST(Tensorize, Fc1AtRank20HasTheIssuesParameterAndMacCounts) {
  const auto net = parse(kTtMlp);
  const auto& fc1 = net.layers[0];
  ASSERT_TRUE(fc1.is_ttm());
  EXPECT_EQ(fc1.tt_source, workloads::LayerType::kFc);
  EXPECT_STREQ(workloads::layer_type_name(fc1.type), "ttm");
  // 4*4*20 + 20*4*7*20 + 20*8*4*20 + 20*4*7 = 320 + 11200 + 12800 + 560.
  EXPECT_EQ(fc1.weight_elements(), 24880u);
  // Batch 1: the cheapest order is left to right, 2,822,400 MACs per sample.
  EXPECT_EQ(fc1.tt_order, workloads::TtmOrder::kLeftToRight);
  EXPECT_EQ(fc1.macs(1), 2822400u);
  // The shapes the rest of the network sees are the dense layer's.
  EXPECT_EQ(fc1.output_elements(1), 512u);
  EXPECT_EQ(fc1.input_elements(1), 784u);
  EXPECT_EQ(net.layers[2].weight_elements(), 2u * 16 * 20 + 20u * 5 * 32);
  EXPECT_EQ(net.total_weight_elements(), 24880u + 3840u);
}

TEST(Tensorize, RankOverrideFromTheCommandLineGivesRank8Counts) {
  const auto net = parse(kTtMlp, {"workload.tensorize.fc1.rank=8"});
  EXPECT_EQ(net.layers[0].weight_elements(), 4192u);
  EXPECT_EQ(net.layers[0].macs(1), 483840u);
}

TEST(Tensorize, BalancedFactorsWhenNoneAreGiven) {
  const auto net = parse(kMlp + "tensorize:\n  fc1: {cores: 4, rank: 8}\n");
  const auto& fc1 = net.layers[0];
  EXPECT_EQ(fc1.tt_m, (std::vector<std::uint32_t>{4, 4, 4, 8}));
  EXPECT_EQ(fc1.tt_n, (std::vector<std::uint32_t>{4, 4, 7, 7}));
  EXPECT_EQ(fc1.tt_ranks, (std::vector<std::uint32_t>{1, 8, 8, 8, 1}));
  EXPECT_EQ(fc1.weight_elements(), workloads::ttm_parameters(fc1.tt_shape()));
  // Given only m, n is split into as many factors.
  const auto half = parse(kMlp + "tensorize:\n  fc2: {m: [2, 5], rank: 4}\n");
  EXPECT_EQ(half.layers[2].tt_n, (std::vector<std::uint32_t>{16, 32}));
}

TEST(Tensorize, MaxRankAloneSetsUniformRanks) {
  const auto net = parse(kMlp + "tensorize:\n  fc2: {m: [2, 5], n: [16, 32], max_rank: 6}\n");
  EXPECT_EQ(net.layers[2].tt_ranks, (std::vector<std::uint32_t>{1, 6, 1}));
  EXPECT_EQ(net.layers[2].tt_max_rank, 6u);
}

TEST(Tensorize, ExplicitOrderIsKeptAndAutoPicksRebuildAtLargeBatches) {
  auto net = parse(kTtMlp, {"workload.tensorize.fc1.order=right_to_left", "workload.batch=32"});
  EXPECT_FALSE(net.layers[0].tt_order_auto);
  EXPECT_EQ(net.layers[0].tt_order, workloads::TtmOrder::kRightToLeft);
  EXPECT_EQ(net.layers[0].macs(32), 32u * 2970880u);
  // fc2 is auto: at batch 32 rebuilding W once beats contracting every sample.
  EXPECT_EQ(net.layers[2].tt_order, workloads::TtmOrder::kRebuildDense);
  // Training keeps to the sequential orders.
  workloads::resolve_ttm_orders(net, true);
  EXPECT_EQ(net.layers[2].tt_order, workloads::TtmOrder::kLeftToRight);
  EXPECT_EQ(net.layers[0].tt_order, workloads::TtmOrder::kRightToLeft);
}

TEST(Tensorize, ConvLayerBecomesTtmOverItsKernelMatrix) {
  const auto net = parse(
      "name: c\nbatch: 2\nlayers:\n"
      "  - {name: c1, type: conv2d, in_h: 8, in_w: 8, in_c: 16, out_c: 32, kernel: 3, "
      "padding: 1}\n"
      "  - {name: c2, type: conv2d, out_c: 8, kernel: 1}\n"
      "tensorize:\n  c1: {m: [4, 8], n: [12, 12], rank: 4}\n");
  const auto& c1 = net.layers[0];
  ASSERT_TRUE(c1.is_ttm());
  EXPECT_EQ(c1.tt_source, workloads::LayerType::kConv2d);
  EXPECT_TRUE(c1.has_conv_geometry());
  EXPECT_EQ(c1.out_h(), 8u);
  EXPECT_EQ(c1.output_elements(2), 2u * 8 * 8 * 32);
  EXPECT_EQ(c1.weight_elements(), 4u * 12 * 4 + 4u * 8 * 12);
  // Rows of the contraction: every output pixel of the batch.
  EXPECT_EQ(workloads::ttm_batch_rows(c1, 2), 2u * 64);
  EXPECT_EQ(c1.macs(2), workloads::ttm_forward_macs(c1.tt_shape(), c1.tt_order, 128));
  // The next convolution still chains from its output.
  EXPECT_EQ(net.layers[1].in_c, 32u);
  EXPECT_EQ(net.layers[1].in_h, 8u);
}

TEST(Tensorize, GemmLayerContractsItsRowsTimesTheBatch) {
  const auto net = parse(
      "name: g\nbatch: 3\nlayers:\n"
      "  - {name: proj, type: gemm, m: 16, n: 64, k: 48}\n"
      "  - {name: attn, type: gemm, m: 16, n: 16, k: 64, b_operand: activation}\n"
      "tensorize:\n  proj: {m: [8, 8], n: [6, 8], rank: 5}\n");
  const auto& proj = net.layers[0];
  ASSERT_TRUE(proj.is_ttm());
  EXPECT_EQ(proj.tt_source, workloads::LayerType::kGemm);
  EXPECT_EQ(workloads::ttm_batch_rows(proj, 3), 48u);
  EXPECT_EQ(proj.weight_elements(), 8u * 6 * 5 + 5u * 8 * 8);
  EXPECT_EQ(proj.macs(3), workloads::ttm_forward_macs(proj.tt_shape(), proj.tt_order, 48));
  EXPECT_EQ(proj.output_elements(3), 48u * 64);
  // A product of two activations has no weight matrix to factorise.
  EXPECT_NE(error_of("name: g\nlayers:\n  - {name: attn, type: gemm, m: 16, n: 16, k: 64, "
                     "b_operand: activation}\ntensorize:\n  attn: {rank: 2}\n")
                .find("second operand is an activation"),
            std::string::npos);
}

TEST(Tensorize, YamlRoundTripKeepsTtmLayers) {
  const auto net = parse(kTtMlp, {"workload.tensorize.fc2.order=left_to_right"});
  const std::string yaml = workloads::network_to_yaml(net);
  EXPECT_NE(yaml.find("type: ttm, source: fc"), std::string::npos) << yaml;
  const auto again = parse(yaml);
  ASSERT_EQ(again.layers.size(), net.layers.size());
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    EXPECT_EQ(again.layers[i].type, net.layers[i].type);
    EXPECT_EQ(again.layers[i].tt_m, net.layers[i].tt_m);
    EXPECT_EQ(again.layers[i].tt_n, net.layers[i].tt_n);
    EXPECT_EQ(again.layers[i].tt_ranks, net.layers[i].tt_ranks);
    EXPECT_EQ(again.layers[i].tt_order_auto, net.layers[i].tt_order_auto);
    EXPECT_EQ(again.layers[i].tt_max_rank, net.layers[i].tt_max_rank);
    EXPECT_EQ(again.layers[i].weight_elements(), net.layers[i].weight_elements());
  }
}

TEST(Tensorize, UnknownLayerNameIsOneLineNamingTheLayers) {
  const std::string e = error_of(kMlp + "tensorize:\n  fc3: {rank: 4}\n");
  EXPECT_NE(e.find("net.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("workload.tensorize.fc3"), std::string::npos) << e;
  EXPECT_NE(e.find("fc1, fc2"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'fc1'"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(Tensorize, FactorProductsMustMatchTheLayer) {
  const std::string e = error_of(kMlp +
                                 "tensorize:\n  fc1: {m: [4, 4, 8, 2], n: [4, 7, 4, 7], "
                                 "rank: 4}\n");
  EXPECT_NE(e.find("workload.tensorize.fc1.m"), std::string::npos) << e;
  EXPECT_NE(e.find("must multiply to the layer's 512 outputs, got [4,4,8,2] = 256"),
            std::string::npos)
      << e;
  const std::string n = error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, 29], rank: 4}\n");
  EXPECT_NE(n.find("workload.tensorize.fc1.n: must multiply to the layer's reduction size 784"),
            std::string::npos)
      << n;
}

TEST(Tensorize, BadSpecificationsAreRejected) {
  EXPECT_NE(error_of(kMlp + "tensorize:\n  relu1: {rank: 4}\n").find("cannot be tensorised"),
            std::string::npos);
  EXPECT_NE(error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, 28]}\n")
                .find("workload.tensorize.fc1.rank: is required"),
            std::string::npos);
  EXPECT_NE(error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, 28], rank: 30, "
                            "max_rank: 20}\n")
                .find("must not exceed max_rank 20"),
            std::string::npos);
  EXPECT_NE(error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, 28], ranks: [2, 4, 1]}\n")
                .find("r_0 = r_d = 1"),
            std::string::npos);
  EXPECT_NE(error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, 28], rank: 4, order: "
                            "sideways}\n")
                .find("workload.tensorize.fc1.order"),
            std::string::npos);
  EXPECT_NE(error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, x], rank: 4}\n")
                .find("list of positive integers"),
            std::string::npos);
  EXPECT_NE(error_of(kMlp + "tensorize:\n  fc1: {m: [16, 32], n: [28, 28], rank: 4, bogus: 1}\n")
                .find("bogus"),
            std::string::npos);
}

TEST(Tensorize, FactorisationHelperIsBalanced) {
  EXPECT_EQ(workloads::ttm_balanced_factors(784, 4), (std::vector<std::uint32_t>{4, 4, 7, 7}));
  EXPECT_EQ(workloads::ttm_balanced_factors(512, 2), (std::vector<std::uint32_t>{16, 32}));
  EXPECT_EQ(workloads::ttm_balanced_factors(10, 2), (std::vector<std::uint32_t>{2, 5}));
}

}  // namespace
