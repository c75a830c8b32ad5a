// Lowering ttm layers: the GEMMs of the forward pass, backward data and core gradients have the
// shapes and MAC totals of the formulas, their operands chain through the intermediate region,
// the on-chip rule for partial products and cores, memory figures, and the tiler's latency
// estimate used to choose orders by latency.
#include <gtest/gtest.h>

#include <map>

#include "workloads/mapping/tiler.h"
#include "workloads/network/network.h"
#include "workloads/training/training.h"
#include "workloads/training/ttm_lowering.h"

namespace {

using workloads::GemmOp;
using workloads::Phase;
using workloads::Scheme;
using workloads::TensorRole;
using workloads::TtmOrder;

workloads::Network tt_mlp(std::uint32_t batch, std::uint32_t rank = 20) {
  sim::Config config;
  config.load_text("name: tt_mlp\nbatch: " + std::to_string(batch) +
                       "\nlayers:\n"
                       "  - {name: fc1, type: fc, in_features: 784, out_features: 512}\n"
                       "  - {name: relu1, type: vector, op: relu, in_h: 1, in_w: 1, in_c: 512}\n"
                       "  - {name: fc2, type: fc, in_features: 512, out_features: 10}\n"
                       "tensorize:\n"
                       "  fc1: {m: [4, 4, 8, 4], n: [4, 7, 4, 7], rank: " +
                       std::to_string(rank) +
                       "}\n"
                       "  fc2: {m: [2, 5], n: [16, 32], rank: " +
                       std::to_string(rank) + "}\n",
                   "net.yaml", "workload");
  return workloads::parse_network(config.root().child("workload"));
}

std::vector<GemmOp> ops_of(const workloads::Program& p, std::uint32_t layer, Phase phase) {
  std::vector<GemmOp> out;
  for (const auto& op : p.ops) {
    if (op.layer == layer && op.phase == phase && op.kind == workloads::OpKind::kGemm) {
      out.push_back(op);
    }
  }
  return out;
}

std::uint64_t macs(const std::vector<GemmOp>& ops) {
  std::uint64_t total = 0;
  for (const auto& op : ops) total += op.shape.macs();
  return total;
}

TEST(TtmLowering, ForwardStepsOfEveryOrderHaveTheFormulaMacs) {
  for (const TtmOrder order :
       {TtmOrder::kRightToLeft, TtmOrder::kLeftToRight, TtmOrder::kRebuildDense}) {
    auto net = tt_mlp(4);
    net.layers[0].tt_order = order;
    net.layers[0].tt_order_auto = false;
    const auto p = workloads::lower_program(net, {}, Scheme::kInference, {});
    const auto fwd = ops_of(p, 0, Phase::kFwd);
    const auto steps = workloads::ttm_forward_steps(net.layers[0].tt_shape(), order, 4);
    ASSERT_EQ(fwd.size(), steps.size()) << workloads::ttm_order_name(order);
    for (std::size_t s = 0; s < steps.size(); ++s) {
      EXPECT_EQ(fwd[s].shape.m, steps[s].gemm_m);
      EXPECT_EQ(fwd[s].shape.n, steps[s].gemm_n);
      EXPECT_EQ(fwd[s].shape.k, steps[s].gemm_k);
      EXPECT_FALSE(fwd[s].conv_geometry);
    }
    EXPECT_EQ(macs(fwd), workloads::ttm_forward_macs(net.layers[0].tt_shape(), order, 4));
    EXPECT_EQ(macs(fwd), net.layers[0].macs(4));
    // The input enters the first contraction and the output leaves the last step.
    if (order != TtmOrder::kRebuildDense) {
      EXPECT_EQ(fwd.front().a_role, TensorRole::kInput);
    }
    EXPECT_EQ(fwd.back().c_role, TensorRole::kOutput);
  }
}

TEST(TtmLowering, Fc1Rank20PerSampleTakesThe2822400MacsOfTheBestOrder) {
  const auto net = tt_mlp(1);
  const auto p = workloads::lower_program(net, {}, Scheme::kInference, {});
  EXPECT_EQ(macs(ops_of(p, 0, Phase::kFwd)), 2822400u);
}

TEST(TtmLowering, EachStepReadsThePartialTheStepBeforeWrote) {
  auto net = tt_mlp(2);
  const auto p = workloads::lower_program(net, {}, Scheme::kInference, {});
  const auto fwd = ops_of(p, 0, Phase::kFwd);
  ASSERT_EQ(fwd.size(), 4u);
  for (std::size_t s = 1; s < fwd.size(); ++s) {
    EXPECT_EQ(fwd[s].a_role, TensorRole::kIntermediate);
    EXPECT_EQ(fwd[s - 1].c_role, TensorRole::kIntermediate);
    EXPECT_EQ(fwd[s].a_offset, fwd[s - 1].c_offset);
    EXPECT_EQ(fwd[s].shape.m * fwd[s].shape.k, fwd[s - 1].shape.m * fwd[s - 1].shape.n);
    EXPECT_EQ(fwd[s].a.cls, workloads::TensorClass::kIntermediate);
  }
  // Cores are read one after another from the layer's weight region.
  const auto shape = net.layers[0].tt_shape();
  for (const auto& op : fwd) EXPECT_EQ(op.b_role, TensorRole::kWeight);
  std::map<std::uint64_t, std::uint64_t> core_at;
  for (std::size_t k = 0; k < 4; ++k) {
    core_at[workloads::ttm_core_offset(shape, k)] = workloads::ttm_core_elements(shape, k);
  }
  for (const auto& op : fwd) {
    ASSERT_EQ(core_at.count(op.b_offset), 1u);
    EXPECT_EQ(core_at[op.b_offset], op.shape.k * op.shape.n);
  }
}

TEST(TtmLowering, TrainingCostsForwardBackwardDataAndCoreGradientsAsTheFormulas) {
  auto net = tt_mlp(8);
  workloads::resolve_ttm_orders(net, true);
  const auto p = workloads::lower_program(net, {}, Scheme::kFp32, {});
  for (const std::uint32_t layer : {0u, 2u}) {
    const auto& l = net.layers[layer];
    const auto shape = l.tt_shape();
    ASSERT_NE(l.tt_order, TtmOrder::kRebuildDense);
    const TtmOrder back = workloads::ttm_opposite_order(l.tt_order);
    EXPECT_EQ(macs(ops_of(p, layer, Phase::kFwd)),
              workloads::ttm_forward_macs(shape, l.tt_order, 8));
    EXPECT_EQ(macs(ops_of(p, layer, Phase::kBwdWeight)),
              workloads::ttm_core_gradient_macs(shape, l.tt_order, 8));
    const auto bwd_steps = workloads::ttm_backward_data_steps(shape, back, 8);
    std::uint64_t expected_bwd = workloads::ttm_backward_data_macs(shape, back, 8);
    // The first layer needs no dX: its last backward-data step is left out.
    if (layer == 0) expected_bwd -= bwd_steps.back().macs();
    EXPECT_EQ(macs(ops_of(p, layer, Phase::kBwdData)), expected_bwd);
  }
  // fc2 is not the first layer: backward data ends in dX.
  EXPECT_EQ(ops_of(p, 2, Phase::kBwdData).back().c_role, TensorRole::kInputGrad);
  // About three forward passes in all: backward data and core gradients cost what the
  // forward pass costs in these orders.
  EXPECT_EQ(macs(ops_of(p, 2, Phase::kBwdData)), macs(ops_of(p, 2, Phase::kFwd)));
}

TEST(TtmLowering, CoreGradientsReadTheKeptPartialsOfBothPasses) {
  auto net = tt_mlp(2);
  workloads::resolve_ttm_orders(net, true);
  const auto p = workloads::lower_program(net, {}, Scheme::kFp32, {});
  std::map<std::uint64_t, std::uint64_t> written;  // intermediate offset -> elements
  for (const auto& op : p.ops) {
    if (op.layer == 0 && op.kind == workloads::OpKind::kGemm &&
        op.c_role == TensorRole::kIntermediate) {
      EXPECT_EQ(written.count(op.c_offset), 0u) << "two partials at one place";
      written[op.c_offset] = op.shape.m * op.shape.n;
    }
  }
  const auto grads = ops_of(p, 0, Phase::kBwdWeight);
  ASSERT_EQ(grads.size(), 4u);
  const auto shape = net.layers[0].tt_shape();
  for (const auto& g : grads) {
    EXPECT_EQ(g.c_role, TensorRole::kWeightGrad);
    if (g.a_role == TensorRole::kIntermediate) {
      ASSERT_EQ(written.count(g.a_offset), 1u);
      EXPECT_EQ(written[g.a_offset], g.shape.m * g.shape.k);
    } else {
      EXPECT_EQ(g.a_role, TensorRole::kInput);
    }
    if (g.b_role == TensorRole::kIntermediate) {
      ASSERT_EQ(written.count(g.b_offset), 1u);
      EXPECT_EQ(written[g.b_offset], g.shape.k * g.shape.n);
    } else {
      EXPECT_EQ(g.b_role, TensorRole::kOutputGrad);
    }
    // dG_k lands on core k's place in the gradient region, with core k's size.
    bool matched = false;
    for (std::size_t k = 0; k < 4; ++k) {
      if (g.c_offset == workloads::ttm_core_offset(shape, k)) {
        matched = g.shape.m * g.shape.n == workloads::ttm_core_elements(shape, k);
      }
    }
    EXPECT_TRUE(matched);
  }
}

TEST(TtmLowering, TrainingRejectsRebuildDense) {
  auto net = tt_mlp(2);
  net.layers[0].tt_order = TtmOrder::kRebuildDense;
  EXPECT_THROW(workloads::lower_program(net, {}, Scheme::kFp32, {}), std::invalid_argument);
}

TEST(TtmLowering, IntermediatesStayOnChipWhenProducerAndConsumerFit) {
  // fc1 at rank 20, batch 1, int8, left to right: partials of 15,680, 8,960 and 17,920 bytes.
  const auto net = tt_mlp(1);
  ASSERT_EQ(net.layers[0].tt_order, TtmOrder::kLeftToRight);
  auto on_chip_flags = [&](std::uint64_t capacity) {
    workloads::TtmPlacement placement;
    placement.intermediate_bytes = capacity;
    const auto p = workloads::lower_program(net, {}, Scheme::kInference, {}, placement);
    std::vector<bool> flags;
    for (const auto& op : ops_of(p, 0, Phase::kFwd)) {
      if (op.c_role == TensorRole::kIntermediate) flags.push_back(op.c_on_chip);
    }
    // A consumer reads on chip exactly what its producer left on chip.
    const auto fwd = ops_of(p, 0, Phase::kFwd);
    for (std::size_t s = 1; s < fwd.size(); ++s) EXPECT_EQ(fwd[s].a_on_chip, fwd[s - 1].c_on_chip);
    return flags;
  };
  EXPECT_EQ(on_chip_flags(0), (std::vector<bool>{false, false, false}));
  // 15,680 + 8,960 fit, 8,960 + 17,920 = 26,880 only just.
  EXPECT_EQ(on_chip_flags(26880), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(on_chip_flags(26879), (std::vector<bool>{true, true, false}));
  // Too small for the first partial: it spills, the second fits alone.
  EXPECT_EQ(on_chip_flags(15679), (std::vector<bool>{false, true, false}));
}

TEST(TtmLowering, TrainingKeepsPartialsOnChipOnlyIfAllFitAndCoresWithTheirState) {
  auto net = tt_mlp(2);
  workloads::resolve_ttm_orders(net, true);
  const workloads::TrainingParams training;  // sgd_momentum: one fp32 state per parameter
  const auto formats = workloads::ttm_formats(net, {}, Scheme::kFp32, training, 0);
  const std::uint64_t partials = workloads::ttm_intermediate_bytes(net.layers[0], 2, formats, true);
  const std::uint64_t cores = 24880u * (4 + 4 + 4);  // fp32 cores, gradients, momentum
  auto flags = [&](std::uint64_t inter, std::uint64_t core) {
    workloads::TtmPlacement placement;
    placement.intermediate_bytes = inter;
    placement.core_bytes = core;
    const auto p = workloads::lower_program(net, {}, Scheme::kFp32, training, placement);
    bool any_partial_on = false, any_partial_off = false, cores_on = true, update_on = false;
    for (const auto& op : p.ops) {
      if (op.layer != 0) continue;
      if (op.kind == workloads::OpKind::kVector) {
        update_on = !op.inputs.empty() && op.inputs.front().on_chip;
        continue;
      }
      if (op.c_role == TensorRole::kIntermediate) {
        (op.c_on_chip ? any_partial_on : any_partial_off) = true;
      }
      if (op.b_role == TensorRole::kWeight) cores_on = cores_on && op.b_on_chip;
    }
    return std::vector<bool>{any_partial_on, any_partial_off, cores_on, update_on};
  };
  EXPECT_EQ(flags(partials, cores), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(flags(partials - 1, cores - 1), (std::vector<bool>{false, true, false, false}));
}

TEST(TtmLowering, SramReservationIsWhatStaysOnChipBesideTheTiles) {
  auto net = tt_mlp(2);
  workloads::resolve_ttm_orders(net, true);
  const workloads::TrainingParams training;  // sgd_momentum
  workloads::TtmPlacement everything;
  everything.intermediate_bytes = 1ULL << 30;
  everything.core_bytes = 1ULL << 30;
  const auto p = workloads::lower_program(net, {}, Scheme::kFp32, training, everything);
  const auto held = workloads::ttm_sram_reservation(net, p);
  // Every core with its fp32 gradient and momentum; the larger layer's kept partials.
  EXPECT_EQ(held.core_bytes, (24880u + 3840u) * 12);
  EXPECT_EQ(
      held.partial_bytes,
      workloads::ttm_intermediate_bytes(
          net.layers[0], 2, workloads::ttm_formats(net, {}, Scheme::kFp32, training, 0), true));
  // QAT also keeps the fp32 master copy of resident cores: int8 cores, fp32 gradient, momentum
  // and master per parameter.
  const std::uint64_t qat_need = (24880u + 3840u) * (1 + 4 + 4 + 4);
  const auto qat = workloads::lower_program(net, {}, Scheme::kQat, training, everything);
  EXPECT_EQ(workloads::ttm_sram_reservation(net, qat).core_bytes, qat_need);
  workloads::TtmPlacement tight = everything;
  tight.core_bytes = 24880u * 13 - 1;  // fc1 alone does not fit; fc2 (second) does
  const auto partly = workloads::lower_program(net, {}, Scheme::kQat, training, tight);
  EXPECT_EQ(workloads::ttm_sram_reservation(net, partly).core_bytes, 3840u * 13);
  // Nothing lent, nothing held.
  const auto none = workloads::lower_program(net, {}, Scheme::kFp32, training);
  EXPECT_EQ(workloads::ttm_sram_reservation(net, none).core_bytes, 0u);
  EXPECT_EQ(workloads::ttm_sram_reservation(net, none).partial_bytes, 0u);
  // Inference holds the largest producer-consumer pair: 8,960 + 17,920 bytes for fc1.
  const auto one = tt_mlp(1);
  const auto inf = workloads::lower_program(one, {}, Scheme::kInference, {}, everything);
  EXPECT_EQ(workloads::ttm_sram_reservation(one, inf).partial_bytes, 8960u + 17920u);
  EXPECT_EQ(workloads::ttm_sram_reservation(one, inf).core_bytes, 24880u + 3840u);
}

TEST(TtmLowering, ActivationMemoryCountsKeptPartialsInTraining) {
  auto net = tt_mlp(4);
  workloads::resolve_ttm_orders(net, true);
  const workloads::TrainingParams training;
  const auto p = workloads::lower_program(net, {}, Scheme::kFp32, training);
  const auto memory = workloads::activation_memory(net, p);
  std::uint64_t expected = 0;
  for (const std::uint32_t l : {0u, 2u}) {
    expected += workloads::ttm_intermediate_bytes(
        net.layers[l], 4, workloads::ttm_formats(net, {}, Scheme::kFp32, training, l), true);
  }
  EXPECT_EQ(memory.intermediate_bytes, expected);
  // Saved activations: the input, fc1's and relu1's outputs and fc2's, all fp32.
  EXPECT_EQ(memory.activation_bytes, 4u * 4 * (784 + 512 + 512 + 10));
  // Rank 8 keeps fewer partials.
  auto small = tt_mlp(4, 8);
  workloads::resolve_ttm_orders(small, true);
  const auto ps = workloads::lower_program(small, {}, Scheme::kFp32, training);
  EXPECT_LT(workloads::activation_memory(small, ps).intermediate_bytes, memory.intermediate_bytes);
}

TEST(TtmLowering, TilerLatencyEstimateLeavesOnChipOperandsOut) {
  auto net = tt_mlp(1);
  const auto p = workloads::lower_program(net, {}, Scheme::kInference, {});
  GemmOp op = ops_of(p, 0, Phase::kFwd)[1];
  workloads::Layer plain;
  plain.type = workloads::LayerType::kGemm;
  plain.m = op.shape.m;
  plain.n = op.shape.n;
  plain.k = op.shape.k;
  const workloads::TilerParams tiler;
  const auto plan = workloads::plan_tiles(plain, op, tiler);
  ASSERT_TRUE(plan.feasible);
  // At a trickle of DRAM bandwidth the traffic decides the latency.
  const std::uint64_t spilled = workloads::estimate_cycles(plan, op, tiler, 0.01);
  op.a_on_chip = true;
  const std::uint64_t kept = workloads::estimate_cycles(plan, op, tiler, 0.01);
  EXPECT_LT(kept, spilled);
  // With DRAM to spare the array's folds decide, wherever the operands are.
  const std::uint64_t compute = workloads::estimate_cycles(plan, op, tiler, 1e12);
  op.a_on_chip = false;
  EXPECT_EQ(workloads::estimate_cycles(plan, op, tiler, 1e12), compute);
  EXPECT_GE(compute, op.shape.macs() / (tiler.array_rows * tiler.array_cols));
}

}  // namespace
