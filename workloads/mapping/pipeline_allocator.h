#pragma once
// Resource model, stream plan and stage allocator of a layer-pipelined accelerator (issue 11):
// every conv/fc layer gets its own engine with input-channel unroll pi, output-channel unroll po,
// kernel-window unroll pk and output-pixel unroll pw, weights resident on chip, line buffers for
// convolution windows and FIFOs of feature-map rows between stages. The allocator chooses the
// unrolls per layer to minimise the slowest stage within an FPGA budget; a budget that cannot hold
// even pi = po = pk = 1 is infeasible, a result with a reason. Plain C++: the SystemC engines in
// models/pipeline/ take their timing from here.

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
  // A w x a multiplier with w * a <= lut_mult_max_product partial-product bits is built from
  // LUTs (4 x 4, 8 x 2, 8 x 1: a 1-bit weight only adds or subtracts), costing
  // ceil(luts_per_bit_product * w * a) LUTs (an array multiplier has w x a partial-product bits).
  std::uint32_t lut_mult_max_product = 16;
  double luts_per_bit_product = 1.0;
  // Larger multipliers use DSP blocks. max(w, a) <= dsp_pack4_max_bits packs four products per
  // DSP, <= dsp_pack2_max_bits two (INT8 packing with a shared operand), else one; operands
  // wider than the DSP's multiplier (dsp_a_bits x dsp_b_bits) take several DSPs.
  std::uint32_t dsp_pack4_max_bits = 4;
  std::uint32_t dsp_pack2_max_bits = 8;
  std::uint32_t dsp_a_bits = 25;  // DSP48E1 multiplier: 25 x 18 (signed)
  std::uint32_t dsp_b_bits = 18;
  // When true, a stage whose multipliers would take DSP slices may build them from LUTs
  // instead, at the same ceil(luts_per_bit_product * w * a) each (what synthesis does when the
  // DSPs run out); the allocator tries DSPs first.
  bool lut_fallback = false;
  std::uint64_t bram_block_bits = kBram36Bits;  // weights round up to whole blocks per layer
  // Widest port of one block (36-Kb BRAM in simple dual-port mode: 72 bits). A stage reading
  // pi * po * pk weights of w_bits per cycle needs at least that many bits of ports, so its
  // weights occupy at least ceil(pi * po * pk * w_bits / bram_port_bits) blocks (the pw pixels
  // computed in parallel share each weight read).
  std::uint32_t bram_port_bits = 72;
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
/// Weight memory of a stage that reads `parallel_reads` weights per cycle: the packed size, or
/// the blocks whose ports deliver parallel_reads x w_bits per cycle, whichever is larger.
std::uint64_t weight_memory_bits(std::uint64_t elements, std::uint32_t w_bits,
                                 std::uint64_t parallel_reads, const ResourceRules& rules);
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

/// How one stage streams: the rows it takes in and gives out per frame, and, per unit of work
/// (a convolution output row, or for fc/gemm one input row's share of the product), how many
/// input rows must have arrived before the unit starts and how many output rows exist after
/// it ends. Vector and layout layers after a stage are fused into it (ReLU is free; pooling and
/// reshapes change which output rows exist when).
struct StageStream {
  std::size_t layer_index = 0;        // the stage's conv/fc/gemm layer in Network::layers
  std::vector<std::size_t> fused;     // vector/layout layers fused after it
  std::uint32_t in_rows = 1;          // tokens (rows) per frame on its input stream
  std::uint64_t in_row_elements = 1;  // elements per input token
  std::uint32_t out_rows = 1;         // tokens per frame on its output stream
  std::uint64_t out_row_elements = 1;
  std::vector<std::uint32_t> need_in;     // per unit: input tokens needed before it starts
  std::vector<std::uint32_t> emit_after;  // per unit: output tokens existing after it ends
  std::uint32_t units() const { return static_cast<std::uint32_t>(need_in.size()); }
};

/// The network as a chain of stages: one per conv/fc/gemm layer with MACs. Layers before the
/// first stage are fused into the input stream; skip connections are not modelled (the chain
/// follows the layer list).
std::vector<StageStream> plan_streams(const Network& network);

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

/// Unroll factors fixed by the user for one layer (0: the allocator chooses that factor).
struct UnrollOverride {
  std::string layer;  // layer name
  std::uint32_t pi = 0, po = 0, pk = 0, pw = 0;
};

struct AllocatorOptions {
  std::uint64_t fifo_depth_rows = 2;  // tokens (feature-map rows) per FIFO between stages
  std::uint32_t max_iterations = 100000;
  std::vector<UnrollOverride> overrides;
  // After balancing the interval, spend the rest of the budget on the batch-1 latency estimate
  // (false: stop once the slowest stage cannot shorten).
  bool spend_on_latency = true;
};

/// The choice for one stage (one conv/fc/gemm layer of the network).
struct StageChoice {
  std::size_t layer_index = 0;  // in Network::layers
  std::string name;
  std::uint32_t pi = 1;  // input-channel unroll (reduction over channels / features)
  std::uint32_t po = 1;  // output-channel unroll (filters / output features)
  std::uint32_t pk = 1;  // kernel-window unroll (reduction over the kernel_h x kernel_w taps)
  std::uint32_t pw = 1;  // output-pixel unroll (pixels of an output row at once; conv only)
  std::uint32_t pi_max = 1, po_max = 1, pk_max = 1, pw_max = 1;
  bool fixed = false;   // unrolls set by an override
  bool fabric = false;  // DSP-sized multipliers built from LUTs (ResourceRules::lut_fallback)
  // The reduction and output sizes the unrolls fold: cycles per output row (or per fc
  // product) are ceil(cols / pw) * ceil(channels / pi) * ceil(filters / po) * ceil(taps / pk) *
  // groups, and a frame has `rows` of them.
  std::uint64_t channels = 1, filters = 1, taps = 1, groups = 1, rows = 1, cols = 1;
  std::uint64_t macs = 0;  // per frame
  std::uint64_t multipliers = 0;
  std::uint64_t interval_cycles = 0;  // busy cycles per frame: pixels x cycles per pixel
  std::uint64_t fill_cycles = 0;      // estimate: one unit of work's share of the interval
  LayerBits bits;
  std::uint32_t next_a_bits = 0;  // width of the FIFO after the stage (0: last stage)
  FpgaBudget resources;           // multipliers, weights, line buffer and the FIFO after the stage
};

struct AllocationResult {
  bool feasible = false;
  std::string reason;                // why infeasible; empty when feasible
  std::vector<StageStream> streams;  // one per stage, same order
  std::vector<StageChoice> stages;
  FpgaBudget input_fifo;  // the FIFO between the input stream and the first stage
  FpgaBudget used;        // stages plus the input FIFO
  std::uint64_t interval_cycles = 0;
  std::uint64_t latency_cycles = 0;
  std::size_t slowest_stage = 0;  // index into stages
};

/// Busy cycles per frame of a stage with its current unrolls.
std::uint64_t stage_interval_cycles(const StageChoice& stage);
/// The busy cycles of each unit of work of a stage, summing to its interval: a convolution's
/// output rows share it equally; an fc/gemm stage's units (input rows) share it in proportion.
std::vector<std::uint64_t> unit_cycles(const StageStream& stream, const StageChoice& stage);

/// Stage resources for unrolls (pi, po, pk, pw) of `layer` with its bits; the FIFO after the
/// stage holds fifo_depth_rows tokens of `out_row_elements` at `next_a_bits` (0: last stage).
/// `fabric`: the multipliers are LUTs whatever their width.
FpgaBudget stage_resources(const Layer& layer, std::uint32_t pi, std::uint32_t po, std::uint32_t pk,
                           std::uint32_t pw, const LayerBits& bits, std::uint32_t next_a_bits,
                           std::uint64_t out_row_elements, const ResourceRules& rules = {},
                           const AllocatorOptions& options = {}, bool fabric = false);

/// Chooses pi/po/pk/pw for every stage (plan_streams). `bits` has one entry per Network::layers
/// entry, or a single entry for all. Greedy: start at 1 everywhere (or the overrides), then
/// repeatedly grow the slowest stage by the smallest step of one factor that shortens it,
/// picking the factor with the most cycles saved per added multiplier that still fits, until the
/// slowest stage cannot shorten within the budget; then (spend_on_latency) grow whichever stage
/// shortens the estimated batch-1 latency most per added multiplier, until nothing fits.
AllocationResult allocate_pipeline(const Network& network, const std::vector<LayerBits>& bits,
                                   const FpgaBudget& budget, const ResourceRules& rules = {},
                                   const AllocatorOptions& options = {});

}  // namespace workloads
