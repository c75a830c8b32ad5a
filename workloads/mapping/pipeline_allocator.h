#pragma once
// Resource model and stage allocator of a layer-pipelined accelerator (issue 11 item 2): every
// conv/fc layer gets its own engine with input-channel unroll pi and output-channel unroll po,
// weights resident on chip, line buffers for convolution windows and FIFOs between stages. The
// allocator chooses pi/po per layer to minimise the slowest stage within an FPGA budget; a
// budget that cannot hold even pi = po = 1 is infeasible, a result with a reason.

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/network/network.h"

namespace workloads {

/// Resources of an FPGA device (or used by a design).
struct FpgaBudget {
  std::string name;
  std::uint64_t luts = 0;
  std::uint64_t dsps = 0;
  std::uint64_t bram_bits = 0;
};

/// Presets with vendor-published resource counts (see pipeline_allocator.cpp for sources).
const std::vector<FpgaBudget>& fpga_presets();
/// The preset called `name` ("xc7z020", "xczu3eg", "xc7a100t"); nullptr when unknown.
const FpgaBudget* find_fpga_preset(const std::string& name);

/// Bits of 36-Kb block RAM (36 x 1024).
constexpr std::uint64_t kBram36Bits = 36ull * 1024;

/// The rules that turn bitwidths into resources. Defaults are documented in docs/ull.md.
struct ResourceRules {
  // A w x a multiplier with max(w, a) <= lut_mult_max_bits is built from LUTs, costing
  // ceil(luts_per_bit_product * w * a) LUTs (an array multiplier has w x a partial-product bits).
  std::uint32_t lut_mult_max_bits = 4;
  double luts_per_bit_product = 1.0;
  // Wider multipliers use DSP blocks. max(w, a) <= dsp_pack4_max_bits packs four products per
  // DSP, <= dsp_pack2_max_bits two (INT8 packing with a shared operand), else one; operands
  // wider than the DSP's multiplier (dsp_a_bits x dsp_b_bits) take several DSPs.
  std::uint32_t dsp_pack4_max_bits = 4;
  std::uint32_t dsp_pack2_max_bits = 8;
  std::uint32_t dsp_a_bits = 25;  // DSP48E1 multiplier: 25 x 18 (signed)
  std::uint32_t dsp_b_bits = 18;
  std::uint64_t bram_block_bits = kBram36Bits;  // weights round up to whole blocks per layer
};

/// Resources of one w_bits x a_bits multiplier: LUTs or a fraction of DSPs, as
/// `products_per_dsp` products sharing `dsps_per_group` DSP blocks.
struct MultiplierCost {
  bool in_luts = false;
  std::uint64_t luts = 0;              // per multiplier, when in_luts
  std::uint32_t products_per_dsp = 1;  // packing, when in DSPs
  std::uint32_t dsps_per_group = 1;    // DSPs one packed group (or one wide product) needs
};
MultiplierCost multiplier_cost(std::uint32_t w_bits, std::uint32_t a_bits,
                               const ResourceRules& rules = {});

/// LUTs and DSPs of `count` multipliers of w_bits x a_bits.
FpgaBudget multipliers_resources(std::uint64_t count, std::uint32_t w_bits, std::uint32_t a_bits,
                                 const ResourceRules& rules = {});
/// On-chip memory of `elements` weights of w_bits, packed, rounded up to whole blocks.
std::uint64_t weight_memory_bits(std::uint64_t elements, std::uint32_t w_bits,
                                 const ResourceRules& rules = {});
/// Line buffer of a convolution: (kernel_h - 1) rows x in_w x in_c x a_bits (0 for kernel_h 1
/// and for non-convolution layers).
std::uint64_t line_buffer_bits(const Layer& layer, std::uint32_t a_bits);
/// A FIFO of depth x width bits.
inline std::uint64_t fifo_bits(std::uint64_t depth, std::uint64_t width_bits) {
  return depth * width_bits;
}

/// Bitwidths of one layer: weights and input activations.
struct LayerBits {
  std::uint32_t w_bits = 8;
  std::uint32_t a_bits = 8;
};

/// Timing of one pipeline stage: its initiation interval (cycles per frame) and its fill (cycles
/// from its first input to its first output).
struct StageTiming {
  std::uint64_t interval_cycles = 0;
  std::uint64_t fill_cycles = 0;
};
/// Timing of a pipeline of stages.
struct PipelineTiming {
  std::uint64_t interval_cycles = 0;  // slowest stage: one frame per interval
  std::uint64_t latency_cycles = 0;   // batch 1, first input to last output (estimate)
  std::size_t slowest_stage = 0;
};
/// interval = max over stages of interval_cycles; latency = max over stages i of
/// (sum of the fills of stages before i + interval of i), which is the sum of the fills when
/// every stage's fill is its whole interval (no overlap inside a frame).
PipelineTiming pipeline_timing(const std::vector<StageTiming>& stages);

struct AllocatorOptions {
  std::uint64_t fifo_depth = 16;  // elements per FIFO between consecutive stages
  std::uint32_t max_iterations = 100000;
};

/// The choice for one stage (one conv/fc/gemm layer of the network).
struct StageChoice {
  std::size_t layer_index = 0;  // in Network::layers
  std::string name;
  std::uint32_t pi = 1;  // input-channel unroll (reduction)
  std::uint32_t po = 1;  // output-channel unroll (filters)
  std::uint32_t pi_max = 1, po_max = 1;
  std::uint64_t macs = 0;  // per frame
  std::uint64_t multipliers = 0;
  std::uint64_t interval_cycles = 0;  // ceil(macs / (pi * po))
  std::uint64_t fill_cycles = 0;
  FpgaBudget resources;  // multipliers, weights, line buffer and the FIFO after the stage
};

struct AllocationResult {
  bool feasible = false;
  std::string reason;  // why infeasible; empty when feasible
  std::vector<StageChoice> stages;
  FpgaBudget used;
  std::uint64_t interval_cycles = 0;
  std::uint64_t latency_cycles = 0;
  std::size_t slowest_stage = 0;  // index into stages
};

/// Stage resources for a given unroll (pi, po) of `layer` with its bits; the FIFO
/// after the stage carries `next_a_bits` wide elements (0: last stage, no FIFO).
FpgaBudget stage_resources(const Layer& layer, std::uint32_t pi, std::uint32_t po,
                           const LayerBits& bits, std::uint32_t next_a_bits,
                           const ResourceRules& rules = {}, const AllocatorOptions& options = {});

/// Chooses pi/po for every layer that runs on a PE array (conv, depthwise, gemm, fc; others are
/// not stages). `bits` has one entry per Network::layers entry, or a single entry for all.
/// Greedy: start at pi = po = 1, repeatedly double the smaller unroll (capped at the channel
/// count) of the slowest stage, or the other one when that does not fit; stop when the slowest
/// stage can no longer grow within the budget.
AllocationResult allocate_pipeline(const Network& network, const std::vector<LayerBits>& bits,
                                   const FpgaBudget& budget, const ResourceRules& rules = {},
                                   const AllocatorOptions& options = {});

}  // namespace workloads
