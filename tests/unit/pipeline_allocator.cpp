// Layer-pipelined accelerator (issue 11): resource costs follow the bitwidth rules, streams follow
// the windows, the allocator stays within its budget and balances stages (kernel-window unroll
// included), infeasible budgets and bad overrides carry a reason.
#include "workloads/mapping/pipeline_allocator.h"

#include <gtest/gtest.h>

namespace {

using workloads::AllocationResult;
using workloads::FpgaBudget;
using workloads::Layer;
using workloads::LayerBits;
using workloads::LayerType;
using workloads::Network;
using workloads::ResourceRules;

Layer conv(const char* name, std::uint32_t hw, std::uint32_t in_c, std::uint32_t out_c,
           std::uint32_t k) {
  Layer l;
  l.name = name;
  l.type = LayerType::kConv2d;
  l.in_h = l.in_w = hw;
  l.in_c = in_c;
  l.out_c = out_c;
  l.kernel_h = l.kernel_w = k;
  return l;
}

Layer fc(const char* name, std::uint64_t k, std::uint64_t n) {
  Layer l;
  l.name = name;
  l.type = LayerType::kFc;
  l.k = k;
  l.n = n;
  return l;
}

// LeNet-5 style: conv 5x5 on 28x28x1 -> 6, pool 2/2, conv 5x5 on 12x12x6 -> 16, fc 256-120-84-10.
Network lenet() {
  Network net;
  net.name = "lenet5";
  net.layers = {conv("conv1", 28, 1, 6, 5), conv("conv2", 12, 6, 16, 5), fc("fc1", 256, 120),
                fc("fc2", 120, 84), fc("fc3", 84, 10)};
  Layer pool;
  pool.name = "pool1";
  pool.type = LayerType::kVector;
  pool.op = "maxpool";
  pool.in_h = pool.in_w = 24;
  pool.in_c = pool.out_c = 6;
  pool.kernel_h = pool.kernel_w = 2;
  pool.stride_h = pool.stride_w = 2;
  net.layers.insert(net.layers.begin() + 1, pool);
  return net;
}

bool within(const FpgaBudget& used, const FpgaBudget& budget) {
  return used.luts <= budget.luts && used.dsps <= budget.dsps && used.bram_bits <= budget.bram_bits;
}

TEST(PipelineAllocator, PresetsHaveDataSheetCounts) {
  const FpgaBudget* z = workloads::find_fpga_preset("xc7z020");
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->luts, 53200u);
  EXPECT_EQ(z->dsps, 220u);
  EXPECT_EQ(z->bram_bits, 140u * 36 * 1024);
  ASSERT_NE(workloads::find_fpga_preset("xczu3eg"), nullptr);
  ASSERT_NE(workloads::find_fpga_preset("xc7a100t"), nullptr);
  EXPECT_EQ(workloads::find_fpga_preset("nope"), nullptr);
}

TEST(PipelineAllocator, MultiplierCostsFollowBitRules) {
  // Up to 16 partial-product bits (4 x 4): LUTs, w * a per multiply with the default rule.
  auto m4 = workloads::multiplier_cost(4, 4);
  EXPECT_TRUE(m4.in_luts);
  EXPECT_EQ(m4.luts, 16u);
  EXPECT_EQ(workloads::multiplier_cost(2, 3).luts, 6u);
  EXPECT_EQ(workloads::multiplier_cost(1, 1).luts, 1u);
  // 8 bits: DSPs, two products per DSP.
  auto m8 = workloads::multiplier_cost(8, 8);
  EXPECT_FALSE(m8.in_luts);
  EXPECT_EQ(m8.products_per_dsp, 2u);
  EXPECT_EQ(workloads::multipliers_resources(5, 8, 8).dsps, 3u);
  EXPECT_EQ(workloads::multipliers_resources(5, 8, 8).luts, 0u);
  EXPECT_EQ(workloads::multipliers_resources(10, 4, 4).luts, 160u);
  EXPECT_EQ(workloads::multipliers_resources(10, 4, 4).dsps, 0u);
  // 4 x 8 has 32 partial-product bits: DSPs. A binary or 2-bit weight with 8-bit activations
  // is an adder-sized LUT circuit.
  EXPECT_FALSE(workloads::multiplier_cost(4, 8).in_luts);
  EXPECT_TRUE(workloads::multiplier_cost(1, 8).in_luts);
  EXPECT_EQ(workloads::multiplier_cost(1, 8).luts, 8u);
  EXPECT_EQ(workloads::multiplier_cost(8, 2).luts, 16u);
  EXPECT_FALSE(workloads::multiplier_cost(8, 3).in_luts);
  // 16 bits: one product per DSP; 32 bits: several DSPs per product.
  EXPECT_EQ(workloads::multipliers_resources(3, 16, 16).dsps, 3u);
  EXPECT_EQ(workloads::multiplier_cost(32, 32).dsps_per_group, 4u);  // ceil(32/25)*ceil(32/18)
  // With LUT multipliers disabled, four 4-bit products share one DSP.
  ResourceRules dsp_only;
  dsp_only.lut_mult_max_product = 0;
  EXPECT_EQ(workloads::multiplier_cost(4, 4, dsp_only).products_per_dsp, 4u);
  EXPECT_EQ(workloads::multipliers_resources(9, 4, 4, dsp_only).dsps, 3u);
  // The LUT rule is a parameter.
  ResourceRules half;
  half.luts_per_bit_product = 0.5;
  EXPECT_EQ(workloads::multiplier_cost(3, 3, half).luts, 5u);  // ceil(4.5)
}

TEST(PipelineAllocator, MemoryCosts) {
  // Weights: packed bits rounded up to whole 36-Kb blocks.
  EXPECT_EQ(workloads::weight_memory_bits(150, 8), workloads::kBram36Bits);
  EXPECT_EQ(workloads::weight_memory_bits(36864, 1), workloads::kBram36Bits);
  EXPECT_EQ(workloads::weight_memory_bits(36865, 1), 2 * workloads::kBram36Bits);
  EXPECT_EQ(workloads::weight_memory_bits(0, 8), 0u);
  // Line buffer: (kernel_h - 1) rows x in_w x in_c x a_bits.
  EXPECT_EQ(workloads::line_buffer_bits(conv("c", 12, 6, 16, 5), 4), 4u * 12 * 6 * 4);
  EXPECT_EQ(workloads::line_buffer_bits(conv("c", 12, 6, 16, 1), 4), 0u);
  EXPECT_EQ(workloads::line_buffer_bits(fc("f", 10, 10), 8), 0u);
  EXPECT_EQ(workloads::fifo_bits(16, 8), 128u);
}

TEST(PipelineAllocator, KnownStagesGiveIntervalOfSlowestStage) {
  const auto t = workloads::pipeline_timing({{100, 100}, {400, 400}, {50, 50}});
  EXPECT_EQ(t.interval_cycles, 400u);
  EXPECT_EQ(t.slowest_stage, 1u);
  EXPECT_EQ(t.latency_cycles, 550u);  // fills equal intervals: sum of the fills
  // Overlapping stages: the last stage cannot finish before upstream fills plus its interval.
  const auto o = workloads::pipeline_timing({{100, 10}, {400, 20}, {50, 5}});
  EXPECT_EQ(o.interval_cycles, 400u);
  EXPECT_EQ(o.latency_cycles, 410u);  // fill 10 + interval 400 of stage 1
}

TEST(PipelineAllocator, StageIntervalIsFoldedPassesOverUnroll) {
  const Network net = lenet();
  const AllocationResult r =
      workloads::allocate_pipeline(net, {LayerBits{4, 4}}, *workloads::find_fpga_preset("xc7z020"));
  ASSERT_TRUE(r.feasible) << r.reason;
  ASSERT_EQ(r.stages.size(), 5u);  // the pool is not a stage
  std::uint64_t slowest = 0;
  auto ceil_div = [](std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; };
  for (const auto& s : r.stages) {
    const Layer& layer = net.layers[s.layer_index];
    EXPECT_EQ(s.macs, layer.macs(1));
    EXPECT_EQ(s.multipliers, std::uint64_t{s.pi} * s.po * s.pk * s.pw);
    // Cycles per output row (pixels of the row, channel, filter and kernel-tap folds) x rows.
    const std::uint64_t taps = std::uint64_t{layer.kernel_h} * layer.kernel_w;
    const std::uint64_t expected = layer.is_conv()
                                       ? layer.out_h() * ceil_div(layer.out_w(), s.pw) *
                                             ceil_div(layer.in_c, s.pi) *
                                             ceil_div(layer.out_c, s.po) * ceil_div(taps, s.pk)
                                       : ceil_div(layer.k, s.pi) * ceil_div(layer.n, s.po);
    EXPECT_EQ(s.interval_cycles, expected) << s.name;
    EXPECT_GE(s.interval_cycles * s.multipliers, s.macs) << s.name;
    EXPECT_LE(s.pi, s.pi_max);
    EXPECT_LE(s.po, s.po_max);
    EXPECT_LE(s.pk, s.pk_max);
    EXPECT_LE(s.pw, s.pw_max);
    if (!layer.is_conv()) {
      EXPECT_EQ(s.pk, 1u);
      EXPECT_EQ(s.pw, 1u);
    }
    slowest = std::max(slowest, s.interval_cycles);
  }
  EXPECT_EQ(r.interval_cycles, slowest);
  EXPECT_GE(r.latency_cycles, r.interval_cycles);
  // Some parallelism was found: better than conv2 at pi = po = pk = 1.
  EXPECT_LT(r.interval_cycles, net.layers[2].macs(1));
}

TEST(PipelineAllocator, KernelAndPixelUnrollLetBitsBuyLatencyOnSingleChannelConv) {
  // conv1 has one input channel and six filters: channel unrolling alone stops at six
  // multipliers; unrolling the 5x5 window goes on to 150, and pixels of a row beyond that.
  const Network net = lenet();
  const FpgaBudget& z = *workloads::find_fpga_preset("xc7z020");
  const AllocationResult r8 = workloads::allocate_pipeline(net, {LayerBits{8, 8}}, z);
  const AllocationResult r2 = workloads::allocate_pipeline(net, {LayerBits{2, 2}}, z);
  ASSERT_TRUE(r8.feasible) << r8.reason;
  ASSERT_TRUE(r2.feasible) << r2.reason;
  EXPECT_GT(r2.stages[0].multipliers, 6u);
  EXPECT_GT(r2.stages[0].pk, 1u);
  EXPECT_LT(r2.interval_cycles, r8.interval_cycles);
  EXPECT_LT(r2.interval_cycles, 86400u / 6);  // beats the channel-only cap of the last session
  // Past one pixel per cycle (24 x 24 = 576 cycles) only pixel unrolling helps.
  EXPECT_GT(r2.stages[0].pw, 1u);
  EXPECT_LT(r2.stages[0].interval_cycles, 576u);
  // Pixels computed together share their weight reads: the port rule counts pi * po * pk.
  const auto& c1 = r2.stages[0];
  const std::uint64_t parallel_reads = std::uint64_t{c1.pi} * c1.po * c1.pk;
  const FpgaBudget again =
      workloads::stage_resources(net.layers[0], c1.pi, c1.po, c1.pk, c1.pw, c1.bits, c1.next_a_bits,
                                 r2.streams[0].out_row_elements);
  EXPECT_EQ(again.luts, c1.resources.luts);
  EXPECT_EQ(again.bram_bits, c1.resources.bram_bits);
  EXPECT_EQ(again.luts, c1.multipliers * 4);  // 2 x 2-bit LUT multipliers
  EXPECT_GE(c1.resources.bram_bits,
            workloads::weight_memory_bits(150, 2, parallel_reads, ResourceRules{}));
}

TEST(PipelineAllocator, WeightPortsBoundParallelReads) {
  ResourceRules rules;  // 72-bit ports
  // 150 weights of 8 bits fit one block, but 144 parallel 8-bit reads need 16 blocks of ports.
  EXPECT_EQ(workloads::weight_memory_bits(150, 8, 1, rules), workloads::kBram36Bits);
  EXPECT_EQ(workloads::weight_memory_bits(150, 8, 144, rules), 16 * workloads::kBram36Bits);
  // At 2 bits the same reads need a quarter of the ports.
  EXPECT_EQ(workloads::weight_memory_bits(150, 2, 144, rules), 4 * workloads::kBram36Bits);
  EXPECT_EQ(workloads::weight_memory_bits(0, 8, 144, rules), 0u);
}

TEST(PipelineAllocator, StreamsFollowWindowsAndFusedPooling) {
  // conv 5x5 on 28 rows (no padding) -> 24 rows -> pool 2/2 -> 12 rows -> conv 5x5 -> 8 rows.
  const Network net = lenet();
  const auto streams = workloads::plan_streams(net);
  ASSERT_EQ(streams.size(), 5u);
  const auto& c1 = streams[0];
  EXPECT_EQ(c1.in_rows, 28u);
  EXPECT_EQ(c1.units(), 24u);
  ASSERT_EQ(c1.fused.size(), 1u);  // pool1
  EXPECT_EQ(c1.out_rows, 12u);
  EXPECT_EQ(c1.need_in[0], 5u);  // a 5-row window before the first output row
  EXPECT_EQ(c1.need_in[1], 6u);
  EXPECT_EQ(c1.need_in.back(), 28u);
  EXPECT_EQ(c1.emit_after[0], 0u);  // pooling needs two conv rows
  EXPECT_EQ(c1.emit_after[1], 1u);
  EXPECT_EQ(c1.emit_after.back(), 12u);
  const auto& c2 = streams[1];
  EXPECT_EQ(c2.in_rows, 12u);
  EXPECT_EQ(c2.in_row_elements, 12u * 6);
  EXPECT_EQ(c2.units(), 8u);
  EXPECT_EQ(c2.need_in[0], 5u);
  // fc1 takes conv2's rows as they come (flattened input), one unit per row, one output.
  const auto& f1 = streams[2];
  EXPECT_EQ(f1.in_rows, 8u);
  EXPECT_EQ(f1.units(), 8u);
  EXPECT_EQ(f1.out_rows, 1u);
  EXPECT_EQ(f1.emit_after[6], 0u);
  EXPECT_EQ(f1.emit_after[7], 1u);
  // Needs never fall and never exceed the rows of the frame.
  for (const auto& s : streams) {
    for (std::size_t u = 1; u < s.need_in.size(); ++u) {
      EXPECT_GE(s.need_in[u], s.need_in[u - 1]);
      EXPECT_GE(s.emit_after[u], s.emit_after[u - 1]);
    }
    EXPECT_EQ(s.need_in.back(), s.in_rows);
    EXPECT_EQ(s.emit_after.back(), s.out_rows);
  }
}

TEST(PipelineAllocator, OverridesFixUnrollsOrExplainWhy) {
  const Network net = lenet();
  const FpgaBudget& z = *workloads::find_fpga_preset("xc7z020");
  workloads::AllocatorOptions options;
  options.overrides = {{"conv2", 2, 4, 5}};
  const AllocationResult r = workloads::allocate_pipeline(net, {LayerBits{8, 8}}, z, {}, options);
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_EQ(r.stages[1].pi, 2u);
  EXPECT_EQ(r.stages[1].po, 4u);
  EXPECT_EQ(r.stages[1].pk, 5u);
  options.overrides = {{"conv1", 2, 0, 0}};  // one input channel
  const AllocationResult bad = workloads::allocate_pipeline(net, {LayerBits{8, 8}}, z, {}, options);
  EXPECT_FALSE(bad.feasible);
  EXPECT_NE(bad.reason.find("conv1"), std::string::npos) << bad.reason;
  options.overrides = {{"pool1", 1, 1, 1}};
  EXPECT_NE(
      workloads::allocate_pipeline(net, {LayerBits{8, 8}}, z, {}, options).reason.find("pool1"),
      std::string::npos);
}

TEST(PipelineAllocator, NeverExceedsBudgetAndImprovesWithBudget) {
  const Network net = lenet();
  std::uint64_t previous = UINT64_MAX;
  for (std::uint64_t scale : {1, 2, 4, 8, 16, 64}) {
    FpgaBudget budget{"scaled", 100 * scale, 8 * scale, 16 * workloads::kBram36Bits};
    for (LayerBits bits : {LayerBits{4, 4}, LayerBits{8, 8}, LayerBits{2, 2}}) {
      const AllocationResult r = workloads::allocate_pipeline(net, {bits}, budget);
      ASSERT_TRUE(r.feasible) << r.reason;
      EXPECT_TRUE(within(r.used, budget));
      FpgaBudget sum = r.input_fifo;  // the stages plus the FIFO from the input stream
      EXPECT_GT(sum.bram_bits, 0u);
      for (const auto& s : r.stages) {
        sum.luts += s.resources.luts;
        sum.dsps += s.resources.dsps;
        sum.bram_bits += s.resources.bram_bits;
      }
      EXPECT_EQ(sum.luts, r.used.luts);
      EXPECT_EQ(sum.dsps, r.used.dsps);
      EXPECT_EQ(sum.bram_bits, r.used.bram_bits);
    }
    const AllocationResult r = workloads::allocate_pipeline(net, {LayerBits{4, 4}}, budget);
    EXPECT_LE(r.interval_cycles, previous) << "scale " << scale;
    previous = r.interval_cycles;
  }
  // Across that range the interval really improved.
  FpgaBudget small{"small", 100, 8, 16 * workloads::kBram36Bits};
  FpgaBudget big{"big", 100 * 64, 128, 16 * workloads::kBram36Bits};
  EXPECT_LT(workloads::allocate_pipeline(net, {LayerBits{4, 4}}, big).interval_cycles,
            workloads::allocate_pipeline(net, {LayerBits{4, 4}}, small).interval_cycles);
}

TEST(PipelineAllocator, FewerBitsGiveLowerOrEqualInterval) {
  const Network net = lenet();
  for (const char* device : {"xc7z020", "xczu3eg", "xc7a100t"}) {
    const FpgaBudget& budget = *workloads::find_fpga_preset(device);
    std::uint64_t previous = UINT64_MAX;
    for (std::uint32_t b : {16u, 8u, 4u, 2u, 1u}) {
      const AllocationResult r = workloads::allocate_pipeline(net, {LayerBits{b, b}}, budget);
      ASSERT_TRUE(r.feasible) << r.reason;
      EXPECT_LE(r.interval_cycles, previous) << device << " " << b << " bits";
      previous = r.interval_cycles;
    }
  }
  // A DSP-starved budget: 4-bit LUT multipliers beat 8-bit DSP ones strictly.
  FpgaBudget lut_rich{"lut_rich", 20000, 8, 16 * workloads::kBram36Bits};
  EXPECT_LT(workloads::allocate_pipeline(net, {LayerBits{4, 4}}, lut_rich).interval_cycles,
            workloads::allocate_pipeline(net, {LayerBits{8, 8}}, lut_rich).interval_cycles);
}

TEST(PipelineAllocator, LutFallbackBuildsWideMultipliersFromLutsWhenDspsRunOut) {
  const Network net = lenet();
  const FpgaBudget& z = *workloads::find_fpga_preset("xc7z020");
  ResourceRules fallback;
  fallback.lut_fallback = true;
  const AllocationResult dsp_only = workloads::allocate_pipeline(net, {LayerBits{8, 8}}, z);
  const AllocationResult both = workloads::allocate_pipeline(net, {LayerBits{8, 8}}, z, fallback);
  ASSERT_TRUE(both.feasible) << both.reason;
  EXPECT_TRUE(within(both.used, z));
  EXPECT_EQ(dsp_only.used.luts, 0u);
  EXPECT_GT(both.used.luts, 0u);
  EXPECT_LT(both.interval_cycles, dsp_only.interval_cycles);
  for (const auto& s : both.stages) {
    if (!s.fabric) continue;
    EXPECT_EQ(s.resources.dsps, 0u) << s.name;
    EXPECT_EQ(s.resources.luts, s.multipliers * 64) << s.name;  // 8 x 8 partial-product bits
  }
  // Without any DSP, 8-bit LeNet-5 is infeasible unless LUTs may stand in.
  FpgaBudget no_dsp{"no_dsp", 53200, 0, 140 * workloads::kBram36Bits};
  EXPECT_FALSE(workloads::allocate_pipeline(net, {LayerBits{8, 8}}, no_dsp).feasible);
  const AllocationResult lut_only =
      workloads::allocate_pipeline(net, {LayerBits{8, 8}}, no_dsp, fallback);
  ASSERT_TRUE(lut_only.feasible) << lut_only.reason;
  EXPECT_EQ(lut_only.used.dsps, 0u);
  EXPECT_LE(lut_only.used.luts, 53200u);
}

TEST(PipelineAllocator, SpareBudgetBuysLatencyWithoutLosingTheInterval) {
  const Network net = lenet();
  const FpgaBudget& z = *workloads::find_fpga_preset("xc7z020");
  workloads::AllocatorOptions interval_only;
  interval_only.spend_on_latency = false;
  for (std::uint32_t b : {8u, 4u, 2u, 1u}) {
    const AllocationResult balanced =
        workloads::allocate_pipeline(net, {LayerBits{b, b}}, z, {}, interval_only);
    const AllocationResult fast = workloads::allocate_pipeline(net, {LayerBits{b, b}}, z);
    ASSERT_TRUE(balanced.feasible && fast.feasible) << b;
    EXPECT_TRUE(within(fast.used, z)) << b;
    EXPECT_LE(fast.interval_cycles, balanced.interval_cycles) << b;
    EXPECT_LT(fast.latency_cycles, balanced.latency_cycles) << b;
    // Every stage is at least as parallel as after balancing alone.
    for (std::size_t k = 0; k < fast.stages.size(); ++k) {
      EXPECT_GE(fast.stages[k].multipliers, balanced.stages[k].multipliers) << b << " " << k;
    }
  }
}

TEST(PipelineAllocator, PerLayerBits) {
  const Network net = lenet();
  std::vector<LayerBits> bits(net.layers.size(), LayerBits{8, 8});
  bits[2] = LayerBits{4, 4};  // conv2 in LUTs
  const AllocationResult r =
      workloads::allocate_pipeline(net, bits, *workloads::find_fpga_preset("xc7z020"));
  ASSERT_TRUE(r.feasible) << r.reason;
  EXPECT_GT(r.stages[1].resources.luts, 0u);
  EXPECT_EQ(r.stages[1].resources.dsps, 0u);
  EXPECT_EQ(r.stages[0].resources.luts, 0u);
  EXPECT_GT(r.stages[0].resources.dsps, 0u);
  // Wrong number of entries: infeasible with a reason.
  const AllocationResult bad = workloads::allocate_pipeline(
      net, {LayerBits{}, LayerBits{}}, *workloads::find_fpga_preset("xc7z020"));
  EXPECT_FALSE(bad.feasible);
  EXPECT_NE(bad.reason.find("entries"), std::string::npos);
}

TEST(PipelineAllocator, ImpossibleBudgetIsInfeasibleWithReason) {
  const Network net = lenet();
  FpgaBudget no_dsp{"no_dsp", 1000000, 0, 1000 * workloads::kBram36Bits};
  const AllocationResult r = workloads::allocate_pipeline(net, {LayerBits{8, 8}}, no_dsp);
  EXPECT_FALSE(r.feasible);
  EXPECT_NE(r.reason.find("DSPs"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("no_dsp"), std::string::npos) << r.reason;
  FpgaBudget no_ram{"no_ram", 1000000, 1000, workloads::kBram36Bits};
  const AllocationResult m = workloads::allocate_pipeline(net, {LayerBits{4, 4}}, no_ram);
  EXPECT_FALSE(m.feasible);
  EXPECT_NE(m.reason.find("BRAM bits"), std::string::npos) << m.reason;
  // The same network with 4-bit LUT multipliers fits without DSPs.
  EXPECT_TRUE(workloads::allocate_pipeline(net, {LayerBits{4, 4}}, no_dsp).feasible);
  // No compute layers at all.
  Network empty;
  EXPECT_FALSE(workloads::allocate_pipeline(empty, {LayerBits{}}, no_dsp).feasible);
}

}  // namespace
