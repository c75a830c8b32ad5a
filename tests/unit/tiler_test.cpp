// The software tiler: tiles fit the buffers, traffic falls as buffers grow, infeasible points.
#include "workloads/mapping/tiler.h"

#include <gtest/gtest.h>

namespace {

using workloads::GemmOp;
using workloads::Layer;
using workloads::LayerType;

Layer fc_layer(std::uint64_t k, std::uint64_t n) {
  Layer layer;
  layer.name = "fc";
  layer.type = LayerType::kFc;
  layer.k = k;
  layer.n = n;
  return layer;
}

Layer conv_layer() {
  Layer layer;
  layer.name = "conv";
  layer.type = LayerType::kConv2d;
  layer.in_h = layer.in_w = 56;
  layer.in_c = 64;
  layer.out_c = 128;
  layer.kernel_h = layer.kernel_w = 3;
  layer.pad_h = layer.pad_w = 1;
  return layer;
}

GemmOp op_for(const Layer& layer, std::uint32_t batch) {
  workloads::Network network;
  network.batch = batch;
  network.layers = {layer};
  return workloads::lower_inference(network, {}).ops.front();
}

workloads::TilerParams buffers(std::uint64_t each) {
  workloads::TilerParams p;
  p.ifmap_bytes = p.weight_bytes = p.ofmap_bytes = each;
  return p;
}

TEST(Tiler, TilesFitTheirBuffersWithDoubleBuffering) {
  const Layer layer = conv_layer();
  const GemmOp op = op_for(layer, 1);
  const auto params = buffers(32 * 1024);
  const auto plan = workloads::plan_tiles(layer, op, params);
  ASSERT_TRUE(plan.feasible) << plan.reason;
  const auto f = workloads::tile_footprint(layer, op, 0, plan.tile_m, plan.tile_n, plan.tile_k);
  EXPECT_LE(2 * workloads::packed_bytes(f.a_elements, 8), params.ifmap_bytes);
  EXPECT_LE(2 * workloads::packed_bytes(f.b_elements, 8), params.weight_bytes);
  EXPECT_LE(2 * workloads::packed_bytes(f.c_elements, 32), params.ofmap_bytes);
  EXPECT_EQ(plan.tile_k % 9, 0u);  // whole input channels
}

TEST(Tiler, DramTrafficFallsAsBuffersGrowUntilEverythingFits) {
  const Layer layer = conv_layer();
  const GemmOp op = op_for(layer, 1);
  std::uint64_t previous = UINT64_MAX;
  std::uint64_t smallest = 0;
  for (std::uint64_t kib : {8, 16, 32, 64, 128, 256, 512, 1024, 4096}) {
    const auto plan = workloads::plan_tiles(layer, op, buffers(kib * 1024));
    ASSERT_TRUE(plan.feasible) << kib;
    const std::uint64_t bytes = plan.dram_read_bytes + plan.dram_write_bytes;
    EXPECT_LE(bytes, previous) << kib;
    previous = bytes;
    smallest = bytes;
  }
  // With everything on chip each operand crosses DRAM once.
  const std::uint64_t compulsory =
      layer.input_elements(1) + layer.weight_elements() + layer.output_elements(1);
  EXPECT_EQ(smallest, compulsory);
}

TEST(Tiler, GemmWithRoomyBuffersIsOneTile) {
  const Layer layer = fc_layer(64, 32);
  const auto plan = workloads::plan_tiles(layer, op_for(layer, 4), buffers(1 << 20));
  ASSERT_TRUE(plan.feasible);
  EXPECT_EQ(plan.tile_count(), 1u);
  EXPECT_EQ(plan.dram_read_bytes, 4u * 64 + 64u * 32);
  EXPECT_EQ(plan.dram_write_bytes, 4u * 32);
}

TEST(Tiler, SmallestTileThatDoesNotFitIsInfeasibleWithAReason) {
  const Layer layer = fc_layer(64, 32);
  auto params = buffers(1 << 20);
  params.weight_bytes = 1;
  const auto plan = workloads::plan_tiles(layer, op_for(layer, 1), params);
  EXPECT_FALSE(plan.feasible);
  EXPECT_NE(plan.reason.find("layer 'fc': its smallest tile does not fit"), std::string::npos)
      << plan.reason;
}

TEST(Tiler, PackedBytesFollowBitwidthAndContainer) {
  EXPECT_EQ(workloads::packed_bytes(10, 4), 5u);
  EXPECT_EQ(workloads::packed_bytes(3, 4), 2u);
  EXPECT_EQ(workloads::packed_bytes(10, 4, 8), 10u);
  EXPECT_EQ(workloads::packed_bytes(10, 32), 40u);
}

TEST(Tiler, DepthwiseTilesChannelsAlongN) {
  Layer layer = conv_layer();
  layer.type = LayerType::kDepthwiseConv2d;
  layer.out_c = layer.in_c;
  const GemmOp op = op_for(layer, 1);
  EXPECT_EQ(op.shape.groups, 64u);
  const auto plan = workloads::plan_tiles(layer, op, buffers(16 * 1024));
  ASSERT_TRUE(plan.feasible);
  EXPECT_EQ(plan.tile_k, 9u);
  const auto g = workloads::tile_gemm(layer, op, plan.tile_m, plan.tile_n, plan.tile_k);
  EXPECT_EQ(g.groups, plan.tile_n);
  EXPECT_EQ(g.n, 1u);
}

}  // namespace
