#include "workloads/mapping/pipeline_allocator.h"

#include <algorithm>
#include <cmath>

namespace workloads {

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

void add(FpgaBudget& total, const FpgaBudget& part) {
  total.luts += part.luts;
  total.dsps += part.dsps;
  total.bram_bits += part.bram_bits;
}

bool fits(const FpgaBudget& used, const FpgaBudget& budget) {
  return used.luts <= budget.luts && used.dsps <= budget.dsps && used.bram_bits <= budget.bram_bits;
}

std::string over_budget(const FpgaBudget& used, const FpgaBudget& budget) {
  std::string what;
  auto item = [&](const char* name, std::uint64_t u, std::uint64_t b) {
    if (u <= b) return;
    if (!what.empty()) what += ", ";
    what += std::string(name) + " " + std::to_string(u) + " > " + std::to_string(b);
  };
  item("LUTs", used.luts, budget.luts);
  item("DSPs", used.dsps, budget.dsps);
  item("BRAM bits", used.bram_bits, budget.bram_bits);
  return what;
}

}  // namespace

const std::vector<FpgaBudget>& fpga_presets() {
  // Xilinx DS190 (Zynq-7000 SoC Data Sheet: Overview), XC7Z020: 53,200 LUTs, 220 DSP48E1
  // slices, 140 36-Kb block RAMs (4.9 Mb).
  // Xilinx DS891 (Zynq UltraScale+ MPSoC Data Sheet: Overview), XCZU3EG: 70,560 CLB LUTs,
  // 360 DSP48E2 slices, 216 36-Kb block RAMs (7.6 Mb), no UltraRAM.
  // Xilinx DS180 (7 Series FPGAs Data Sheet: Overview), XC7A100T: 63,400 LUTs, 240 DSP48E1
  // slices, 135 36-Kb block RAMs (4,860 Kb).
  static const std::vector<FpgaBudget> presets = {
      {"xc7z020", 53200, 220, 140 * kBram36Bits},
      {"xczu3eg", 70560, 360, 216 * kBram36Bits},
      {"xc7a100t", 63400, 240, 135 * kBram36Bits},
  };
  return presets;
}

const FpgaBudget* find_fpga_preset(const std::string& name) {
  for (const FpgaBudget& preset : fpga_presets())
    if (preset.name == name) return &preset;
  return nullptr;
}

MultiplierCost multiplier_cost(std::uint32_t w_bits, std::uint32_t a_bits,
                               const ResourceRules& rules) {
  MultiplierCost cost;
  const std::uint32_t wide = std::max(w_bits, a_bits);
  const std::uint32_t narrow = std::min(w_bits, a_bits);
  if (wide <= rules.lut_mult_max_bits) {
    cost.in_luts = true;
    cost.luts = static_cast<std::uint64_t>(
        std::ceil(rules.luts_per_bit_product * static_cast<double>(w_bits) * a_bits));
    return cost;
  }
  if (wide <= rules.dsp_pack4_max_bits)
    cost.products_per_dsp = 4;
  else if (wide <= rules.dsp_pack2_max_bits)
    cost.products_per_dsp = 2;
  // The wider operand goes to the DSP's wider port.
  cost.dsps_per_group = static_cast<std::uint32_t>(ceil_div(wide, rules.dsp_a_bits) *
                                                   ceil_div(narrow, rules.dsp_b_bits));
  return cost;
}

FpgaBudget multipliers_resources(std::uint64_t count, std::uint32_t w_bits, std::uint32_t a_bits,
                                 const ResourceRules& rules) {
  FpgaBudget r;
  const MultiplierCost cost = multiplier_cost(w_bits, a_bits, rules);
  if (cost.in_luts)
    r.luts = count * cost.luts;
  else
    r.dsps = ceil_div(count, cost.products_per_dsp) * cost.dsps_per_group;
  return r;
}

std::uint64_t weight_memory_bits(std::uint64_t elements, std::uint32_t w_bits,
                                 const ResourceRules& rules) {
  return ceil_div(elements * w_bits, rules.bram_block_bits) * rules.bram_block_bits;
}

std::uint64_t line_buffer_bits(const Layer& layer, std::uint32_t a_bits) {
  if (!layer.is_conv() || layer.kernel_h <= 1) return 0;
  return std::uint64_t{layer.kernel_h - 1} * layer.in_w * layer.in_c * a_bits;
}

PipelineTiming pipeline_timing(const std::vector<StageTiming>& stages) {
  PipelineTiming t;
  std::uint64_t fills_before = 0;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].interval_cycles > t.interval_cycles) {
      t.interval_cycles = stages[i].interval_cycles;
      t.slowest_stage = i;
    }
    t.latency_cycles = std::max(t.latency_cycles, fills_before + stages[i].interval_cycles);
    fills_before += stages[i].fill_cycles;
  }
  return t;
}

FpgaBudget stage_resources(const Layer& layer, std::uint32_t pi, std::uint32_t po,
                           const LayerBits& bits, std::uint32_t next_a_bits,
                           const ResourceRules& rules, const AllocatorOptions& options) {
  FpgaBudget r = multipliers_resources(std::uint64_t{pi} * po, bits.w_bits, bits.a_bits, rules);
  r.bram_bits = weight_memory_bits(layer.weight_elements(), bits.w_bits, rules) +
                line_buffer_bits(layer, bits.a_bits) + fifo_bits(options.fifo_depth, next_a_bits);
  return r;
}

namespace {

// Interval and fill of a stage: a convolution emits its first output row after one row's
// share of its interval; other layers after the whole interval.
void time_stage(const Layer& layer, StageChoice& s) {
  s.multipliers = std::uint64_t{s.pi} * s.po;
  s.interval_cycles = ceil_div(s.macs, s.multipliers);
  s.fill_cycles = layer.is_conv() ? ceil_div(s.interval_cycles, std::max(1u, layer.out_h()))
                                  : s.interval_cycles;
}

}  // namespace

AllocationResult allocate_pipeline(const Network& network, const std::vector<LayerBits>& bits,
                                   const FpgaBudget& budget, const ResourceRules& rules,
                                   const AllocatorOptions& options) {
  AllocationResult result;
  if (bits.size() != 1 && bits.size() != network.layers.size()) {
    result.reason = "bits has " + std::to_string(bits.size()) + " entries, expected 1 or " +
                    std::to_string(network.layers.size());
    return result;
  }
  auto bits_of = [&](std::size_t i) { return bits.size() == 1 ? bits[0] : bits[i]; };

  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& layer = network.layers[i];
    if (!layer.runs_on_pe_array() || layer.macs(1) == 0) continue;
    const GemmShape g = layer.gemm(1);
    StageChoice s;
    s.layer_index = i;
    s.name = layer.name;
    s.macs = layer.macs(1);
    if (layer.type == LayerType::kDepthwiseConv2d) {
      s.pi_max = layer.in_c;
      s.po_max = 1;
    } else if (layer.type == LayerType::kConv2d) {
      s.pi_max = static_cast<std::uint32_t>(std::min<std::uint64_t>(layer.in_c, g.k));
      s.po_max = static_cast<std::uint32_t>(std::min<std::uint64_t>(layer.out_c, g.n));
    } else {
      s.pi_max = static_cast<std::uint32_t>(std::min<std::uint64_t>(g.k, UINT32_MAX));
      s.po_max = static_cast<std::uint32_t>(std::min<std::uint64_t>(g.n, UINT32_MAX));
    }
    s.pi_max = std::max(1u, s.pi_max);
    s.po_max = std::max(1u, s.po_max);
    time_stage(layer, s);
    result.stages.push_back(s);
  }
  if (result.stages.empty()) {
    result.reason = "the network has no conv/fc/gemm layer to map onto a stage";
    return result;
  }

  const std::size_t n = result.stages.size();
  auto resources_of = [&](std::size_t k, std::uint32_t pi, std::uint32_t po) {
    const StageChoice& s = result.stages[k];
    const std::uint32_t next_a = k + 1 < n ? bits_of(result.stages[k + 1].layer_index).a_bits : 0;
    return stage_resources(network.layers[s.layer_index], pi, po, bits_of(s.layer_index), next_a,
                           rules, options);
  };
  for (std::size_t k = 0; k < n; ++k) {
    result.stages[k].resources = resources_of(k, 1, 1);
    add(result.used, result.stages[k].resources);
  }
  if (!fits(result.used, budget)) {
    result.reason = "even pi = po = 1 in every stage exceeds the budget " + budget.name + ": " +
                    over_budget(result.used, budget);
    return result;
  }

  for (std::uint32_t iter = 0; iter < options.max_iterations; ++iter) {
    std::size_t slow = 0;
    for (std::size_t k = 1; k < n; ++k)
      if (result.stages[k].interval_cycles > result.stages[slow].interval_cycles) slow = k;
    StageChoice& s = result.stages[slow];
    // Candidates: double the smaller unroll first, then the other one.
    const std::uint32_t pi2 = std::min(s.pi * 2, s.pi_max);
    const std::uint32_t po2 = std::min(s.po * 2, s.po_max);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> candidates;
    const bool pi_first = s.pi <= s.po;
    if (pi_first && pi2 > s.pi) candidates.emplace_back(pi2, s.po);
    if (po2 > s.po) candidates.emplace_back(s.pi, po2);
    if (!pi_first && pi2 > s.pi) candidates.emplace_back(pi2, s.po);
    bool grown = false;
    for (const auto& [pi, po] : candidates) {
      const FpgaBudget r = resources_of(slow, pi, po);
      FpgaBudget total = result.used;
      total.luts = total.luts - s.resources.luts + r.luts;
      total.dsps = total.dsps - s.resources.dsps + r.dsps;
      total.bram_bits = total.bram_bits - s.resources.bram_bits + r.bram_bits;
      if (!fits(total, budget)) continue;
      s.pi = pi;
      s.po = po;
      s.resources = r;
      result.used = total;
      time_stage(network.layers[s.layer_index], s);
      grown = true;
      break;
    }
    if (!grown) break;  // the slowest stage cannot grow: the interval cannot improve
  }

  std::vector<StageTiming> timings;
  for (const StageChoice& s : result.stages) timings.push_back({s.interval_cycles, s.fill_cycles});
  const PipelineTiming t = pipeline_timing(timings);
  result.interval_cycles = t.interval_cycles;
  result.latency_cycles = t.latency_cycles;
  result.slowest_stage = t.slowest_stage;
  result.feasible = true;
  return result;
}

}  // namespace workloads
