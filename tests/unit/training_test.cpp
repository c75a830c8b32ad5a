// Training lowering: GEMM shapes and MACs per phase, which tensors each scheme moves.
#include "workloads/training/training.h"

#include <gtest/gtest.h>

namespace {

using namespace workloads;

Network mlp() {
  Network n;
  n.name = "mlp";
  n.batch = 32;
  Layer fc1;
  fc1.name = "fc1";
  fc1.type = LayerType::kFc;
  fc1.k = 784;
  fc1.n = 512;
  Layer fc2 = fc1;
  fc2.name = "fc2";
  fc2.k = 512;
  fc2.n = 10;
  n.layers = {fc1, fc2};
  return n;
}

const GemmOp* find(const Program& p, std::uint32_t layer, Phase phase, OpKind kind) {
  for (const auto& op : p.ops) {
    if (op.layer == layer && op.phase == phase && op.kind == kind) return &op;
  }
  return nullptr;
}

/// Bits of a class moved by the update of one layer (reads + writes).
std::uint64_t update_bits(const GemmOp& op, TensorClass cls) {
  std::uint64_t bits = 0;
  for (const auto* list : {&op.inputs, &op.outputs}) {
    for (const auto& o : *list) {
      if (o.ref.cls == cls) bits += op.elements * o.ref.bits;
    }
  }
  return bits;
}

TEST(Training, DenseLayerMacsAreEqualInEveryGemmPhase) {
  const Program p = lower_program(mlp(), {}, Scheme::kFp32, {});
  const auto* fwd = find(p, 1, Phase::kFwd, OpKind::kGemm);
  const auto* data = find(p, 1, Phase::kBwdData, OpKind::kGemm);
  const auto* weight = find(p, 1, Phase::kBwdWeight, OpKind::kGemm);
  ASSERT_TRUE(fwd && data && weight);
  EXPECT_EQ(fwd->shape.macs(), 32u * 512 * 10);
  EXPECT_EQ(data->shape.macs(), fwd->shape.macs());
  EXPECT_EQ(weight->shape.macs(), fwd->shape.macs());
  // dX = dY W^T is m x k; dW = X^T dY is k x n.
  EXPECT_EQ(data->shape.m, 32u);
  EXPECT_EQ(data->shape.n, 512u);
  EXPECT_EQ(weight->shape.m, 512u);
  EXPECT_EQ(weight->shape.n, 10u);
  // The first layer needs no input gradient.
  EXPECT_EQ(find(p, 0, Phase::kBwdData, OpKind::kGemm), nullptr);
  EXPECT_EQ(weight->a.cls, TensorClass::kActivation);  // the saved input is re-read
}

TEST(Training, QatMovesTheFp32MasterExactlyTwicePerIteration) {
  std::vector<LayerPrecision> bits(2);
  for (auto& b : bits) b.w = {NumberKind::kInt, 8};
  const Program p = lower_program(mlp(), bits, Scheme::kQat, {});
  for (std::uint32_t l = 0; l < 2; ++l) {
    const auto* update = find(p, l, Phase::kUpdate, OpKind::kVector);
    ASSERT_NE(update, nullptr);
    const std::uint64_t params = mlp().layers[l].weight_elements();
    EXPECT_EQ(update->elements, params);
    EXPECT_EQ(update_bits(*update, TensorClass::kMasterWeight), 2 * 32 * params);
    EXPECT_EQ(update_bits(*update, TensorClass::kWeight), 8 * params);  // the new quantised copy
  }
  EXPECT_EQ(find(p, 0, Phase::kFwd, OpKind::kGemm)->b.bits, 8u);
}

TEST(Training, RctMovesOnlyItsPerLayerBitwidths) {
  std::vector<LayerPrecision> bits(2);
  bits[0].w = {NumberKind::kInt, 6};
  bits[1].w = {NumberKind::kInt, 11};
  const Program p = lower_program(mlp(), bits, Scheme::kRct, {});
  for (std::uint32_t l = 0; l < 2; ++l) {
    const auto* update = find(p, l, Phase::kUpdate, OpKind::kVector);
    const std::uint64_t params = mlp().layers[l].weight_elements();
    EXPECT_EQ(update_bits(*update, TensorClass::kMasterWeight), 0u);
    EXPECT_EQ(update_bits(*update, TensorClass::kOptimizerState), 0u);  // plain SGD by default
    EXPECT_EQ(update_bits(*update, TensorClass::kWeight), 2 * bits[l].w.bits * params);
    EXPECT_EQ(find(p, l, Phase::kFwd, OpKind::kGemm)->b.bits, bits[l].w.bits);
  }
}

TEST(Training, ParameterMemoryFollowsTheScheme) {
  const Network n = mlp();
  const std::uint64_t params = n.total_weight_elements();
  std::vector<LayerPrecision> bits(2);
  for (auto& b : bits) b.w = {NumberKind::kInt, 8};
  TrainingParams t;
  // fp32 with momentum: weights and state; QAT adds the 8-bit copy to the FP32 master.
  EXPECT_EQ(parameter_memory_bytes(n, bits, Scheme::kFp32, t), params * 8);
  EXPECT_EQ(parameter_memory_bytes(n, bits, Scheme::kQat, t), params * (1 + 4 + 4));
  EXPECT_EQ(parameter_memory_bytes(n, bits, Scheme::kRct, t), params * 1);
}

TEST(Training, RecomputeRerunsTheForwardInsteadOfKeepingActivations) {
  TrainingParams t;
  t.recompute_activations = true;
  const Program p = lower_program(mlp(), {}, Scheme::kFp32, t);
  std::size_t fc1_forwards = 0;
  for (const auto& op : p.ops) {
    if (op.layer == 0 && op.kind == OpKind::kGemm && op.shape.k == 784 && op.shape.m == 32) {
      ++fc1_forwards;
    }
  }
  EXPECT_EQ(fc1_forwards, 2u);
}

}  // namespace
