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
  if (std::uint64_t{w_bits} * a_bits <= rules.lut_mult_max_product) {
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

std::uint64_t weight_memory_bits(std::uint64_t elements, std::uint32_t w_bits,
                                 std::uint64_t parallel_reads, const ResourceRules& rules) {
  if (elements == 0) return 0;
  const std::uint64_t by_size = ceil_div(elements * w_bits, rules.bram_block_bits);
  const std::uint64_t by_ports =
      ceil_div(parallel_reads * w_bits, std::max<std::uint32_t>(1, rules.bram_port_bits));
  return std::max(by_size, by_ports) * rules.bram_block_bits;
}

std::uint64_t line_buffer_bits(const Layer& layer, std::uint32_t a_bits) {
  if (!layer.is_conv() || layer.kernel_h <= 1) return 0;
  const std::uint64_t channels =
      layer.type == LayerType::kConv2d ? std::uint64_t{layer.in_c} * layer.repeat : layer.in_c;
  return std::uint64_t{layer.kernel_h - 1} * layer.in_w * channels * a_bits;
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

namespace {

bool is_stage(const Layer& layer) { return layer.runs_on_pe_array() && layer.macs(1) > 0; }

/// Rows of its input a layer needs for its first `outputs` output rows: the window reach for
/// convolutions and pooling, a proportional share for anything else (reshapes, fc).
std::uint32_t rows_needed(const Layer& layer, std::uint32_t outputs, std::uint32_t in_rows,
                          std::uint32_t out_rows) {
  if (outputs == 0) return 0;
  const bool windowed = layer.is_conv() || (layer.type == LayerType::kVector &&
                                            (layer.kernel_h > 1 || layer.stride_h > 1));
  std::uint64_t need = 0;
  if (windowed && layer.in_h == in_rows) {
    const std::int64_t last = std::int64_t{outputs - 1} * layer.stride_h - layer.pad_h +
                              std::int64_t{layer.kernel_h - 1} * layer.dilation_h + 1;
    need = static_cast<std::uint64_t>(std::max<std::int64_t>(last, 1));
  } else {
    need = ceil_div(std::uint64_t{outputs} * in_rows, std::max(1u, out_rows));
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(need, in_rows));
}

/// Natural rows of a layer's output (1 for fc/gemm: one product per frame).
std::uint32_t natural_out_rows(const Layer& layer) {
  if (layer.type == LayerType::kFc || layer.type == LayerType::kGemm) return 1;
  return std::max(1u, layer.out_h());
}

}  // namespace

std::vector<StageStream> plan_streams(const Network& network) {
  std::vector<StageStream> streams;
  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    if (is_stage(network.layers[i])) {
      StageStream s;
      s.layer_index = i;
      streams.push_back(s);
    } else if (!streams.empty()) {
      streams.back().fused.push_back(i);
    }
  }
  for (std::size_t k = 0; k < streams.size(); ++k) {
    StageStream& s = streams[k];
    const Layer& layer = network.layers[s.layer_index];
    const bool conv = layer.is_conv();
    // Input tokens: the producer's output rows, or the layer's own rows for the first stage.
    const std::uint32_t natural_in = conv ? std::max(1u, layer.in_h) : 1;
    s.in_rows = k > 0 ? streams[k - 1].out_rows : natural_in;
    s.in_row_elements = ceil_div(std::max<std::uint64_t>(1, layer.input_elements(1)), s.in_rows);

    // The fused layers after the stage: output rows and how many stage rows each one needs.
    const std::uint32_t stage_rows = natural_out_rows(layer);
    std::vector<std::uint32_t> rows_after{stage_rows};  // rows after the stage, then each fused
    for (std::size_t f : s.fused) rows_after.push_back(natural_out_rows(network.layers[f]));
    s.out_rows = rows_after.back();
    const Layer& last = s.fused.empty() ? layer : network.layers[s.fused.back()];
    s.out_row_elements = ceil_div(std::max<std::uint64_t>(1, last.output_elements(1)), s.out_rows);
    // Stage output rows needed for the first q final rows, for every q.
    std::vector<std::uint32_t> stage_rows_for(s.out_rows + 1, 0);
    for (std::uint32_t q = 1; q <= s.out_rows; ++q) {
      std::uint32_t need = q;
      for (std::size_t j = s.fused.size(); j-- > 0;) {
        const Layer& f = network.layers[s.fused[j]];
        need = rows_needed(f, need, rows_after[j], rows_after[j + 1]);
      }
      stage_rows_for[q] = need;
    }

    if (conv) {
      const std::uint32_t units = stage_rows;
      std::uint32_t running = 0;
      for (std::uint32_t u = 0; u < units; ++u) {
        const std::uint32_t natural = rows_needed(layer, u + 1, layer.in_h, stage_rows);
        const auto tokens = static_cast<std::uint32_t>(
            ceil_div(std::uint64_t{natural} * s.in_rows, std::max(1u, layer.in_h)));
        running = std::max(running, std::min(tokens, s.in_rows));
        s.need_in.push_back(running);
      }
    } else {
      for (std::uint32_t u = 0; u < s.in_rows; ++u) s.need_in.push_back(u + 1);
    }
    s.need_in.back() = s.in_rows;  // a frame's tokens are all consumed within the frame
    const std::uint32_t units = s.units();
    for (std::uint32_t u = 0; u < units; ++u) {
      // Stage rows finished after unit u: conv units are rows; fc/gemm finishes at the end.
      const std::uint32_t done = conv ? u + 1 : (u + 1 == units ? stage_rows : 0);
      std::uint32_t emitted = 0;
      while (emitted < s.out_rows && stage_rows_for[emitted + 1] <= done) ++emitted;
      s.emit_after.push_back(emitted);
    }
    s.emit_after.back() = s.out_rows;
  }
  return streams;
}

std::uint64_t stage_interval_cycles(const StageChoice& s) {
  return s.rows * ceil_div(s.cols, s.pw) * s.groups * ceil_div(s.channels, s.pi) *
         ceil_div(s.filters, s.po) * ceil_div(s.taps, s.pk);
}

std::vector<std::uint64_t> unit_cycles(const StageStream& stream, const StageChoice& stage) {
  const std::uint64_t total = stage.interval_cycles;
  const std::uint64_t units = std::max(1u, stream.units());
  std::vector<std::uint64_t> cycles;
  for (std::uint64_t u = 0; u < units; ++u)
    cycles.push_back(total * (u + 1) / units - total * u / units);
  return cycles;
}

FpgaBudget stage_resources(const Layer& layer, std::uint32_t pi, std::uint32_t po, std::uint32_t pk,
                           std::uint32_t pw, const LayerBits& bits, std::uint32_t next_a_bits,
                           std::uint64_t out_row_elements, const ResourceRules& rules,
                           const AllocatorOptions& options, bool fabric) {
  const std::uint64_t parallel = std::uint64_t{pi} * po * pk;  // distinct weights per cycle
  FpgaBudget r;
  if (fabric) {
    r.luts = parallel * pw *
             static_cast<std::uint64_t>(std::ceil(rules.luts_per_bit_product *
                                                  static_cast<double>(bits.w_bits) * bits.a_bits));
  } else {
    r = multipliers_resources(parallel * pw, bits.w_bits, bits.a_bits, rules);
  }
  r.bram_bits = weight_memory_bits(layer.weight_elements(), bits.w_bits, parallel, rules) +
                line_buffer_bits(layer, bits.a_bits) +
                fifo_bits(options.fifo_depth_rows, out_row_elements * next_a_bits);
  return r;
}

namespace {

void time_stage(const Layer& layer, const StageStream& stream, StageChoice& s) {
  s.multipliers = std::uint64_t{s.pi} * s.po * s.pk * s.pw;
  s.interval_cycles = stage_interval_cycles(s);
  s.fill_cycles = layer.is_conv() ? ceil_div(s.interval_cycles, std::max(1u, stream.units()))
                                  : s.interval_cycles;
}

std::uint32_t cap32(std::uint64_t v) {
  return static_cast<std::uint32_t>(
      std::max<std::uint64_t>(1, std::min<std::uint64_t>(v, UINT32_MAX)));
}

/// The smallest unroll above `p` that folds `size` into fewer passes (p itself when none).
std::uint32_t next_unroll(std::uint64_t size, std::uint32_t p, std::uint32_t cap) {
  const std::uint64_t folds = ceil_div(size, p);
  if (folds <= 1 || p >= cap) return p;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(ceil_div(size, folds - 1), cap));
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
  result.streams = plan_streams(network);
  if (result.streams.empty()) {
    result.reason = "the network has no conv/fc/gemm layer to map onto a stage";
    return result;
  }
  const std::size_t n = result.streams.size();
  for (std::size_t k = 0; k < n; ++k) {
    const StageStream& stream = result.streams[k];
    const Layer& layer = network.layers[stream.layer_index];
    const GemmShape g = layer.gemm(1);
    StageChoice s;
    s.layer_index = stream.layer_index;
    s.name = layer.name;
    s.macs = layer.macs(1);
    s.bits = bits_of(stream.layer_index);
    s.next_a_bits = k + 1 < n ? bits_of(result.streams[k + 1].layer_index).a_bits : 0;
    switch (layer.type) {
      case LayerType::kConv2d:
        s.channels = layer.in_c;
        s.filters = layer.out_c;
        s.taps = std::uint64_t{layer.kernel_h} * layer.kernel_w;
        s.groups = layer.repeat;
        s.rows = layer.out_h();
        s.cols = layer.out_w();
        break;
      case LayerType::kDepthwiseConv2d:
        s.channels = layer.in_c;
        s.taps = std::uint64_t{layer.kernel_h} * layer.kernel_w;
        s.groups = layer.repeat;
        s.rows = layer.out_h();
        s.cols = layer.out_w();
        break;
      default:
        s.channels = g.k;
        s.filters = g.n;
        s.groups = g.groups;
        s.rows = g.m;
        break;
    }
    s.pi_max = cap32(s.channels);
    s.po_max = cap32(s.filters);
    s.pk_max = cap32(s.taps);
    s.pw_max = cap32(s.cols);
    for (const UnrollOverride& o : options.overrides) {
      if (o.layer != s.name) continue;
      auto set = [&](const char* what, std::uint32_t value, std::uint32_t cap,
                     std::uint32_t& factor) {
        if (value == 0) return true;
        if (value > cap) {
          result.reason = "unroll override " + std::string(what) + " = " + std::to_string(value) +
                          " for layer '" + s.name + "' exceeds its " + std::to_string(cap);
          return false;
        }
        factor = value;
        return true;
      };
      if (!set("pi", o.pi, s.pi_max, s.pi) || !set("po", o.po, s.po_max, s.po) ||
          !set("pk", o.pk, s.pk_max, s.pk) || !set("pw", o.pw, s.pw_max, s.pw))
        return result;
      s.fixed = true;
    }
    time_stage(layer, stream, s);
    result.stages.push_back(s);
  }
  for (const UnrollOverride& o : options.overrides) {
    bool found = false;
    for (const StageChoice& s : result.stages) found = found || s.name == o.layer;
    if (!found) {
      result.reason = "unroll override names layer '" + o.layer +
                      "', which is not a conv/fc/gemm stage of network '" + network.name + "'";
      return result;
    }
  }

  auto resources_of = [&](std::size_t k, const StageChoice& s) {
    return stage_resources(network.layers[s.layer_index], s.pi, s.po, s.pk, s.pw, s.bits,
                           s.next_a_bits, result.streams[k].out_row_elements, rules, options,
                           s.fabric);
  };
  result.input_fifo.bram_bits = fifo_bits(
      options.fifo_depth_rows, result.streams[0].in_row_elements * result.stages[0].bits.a_bits);
  add(result.used, result.input_fifo);
  for (std::size_t k = 0; k < n; ++k) {
    StageChoice& s = result.stages[k];
    s.resources = resources_of(k, s);
    add(result.used, s.resources);
  }
  // Out of DSPs at the smallest unrolls: move the stages that use most of them to LUTs.
  auto can_move = [&](const StageChoice& s) {
    return rules.lut_fallback && !s.fabric &&
           !multiplier_cost(s.bits.w_bits, s.bits.a_bits, rules).in_luts;
  };
  while (!fits(result.used, budget) && result.used.dsps > budget.dsps) {
    std::size_t move = n;
    for (std::size_t k = 0; k < n; ++k) {
      if (can_move(result.stages[k]) &&
          (move == n || result.stages[k].resources.dsps > result.stages[move].resources.dsps))
        move = k;
    }
    if (move == n) break;
    StageChoice& s = result.stages[move];
    const FpgaBudget before = s.resources;
    s.fabric = true;
    s.resources = resources_of(move, s);
    result.used.luts = result.used.luts - before.luts + s.resources.luts;
    result.used.dsps = result.used.dsps - before.dsps + s.resources.dsps;
  }
  if (!fits(result.used, budget)) {
    result.reason = "even pi = po = pk = pw = 1 in every stage exceeds the budget " + budget.name +
                    ": " + over_budget(result.used, budget);
    return result;
  }

  struct Candidate {
    StageChoice choice;
    FpgaBudget total;
  };
  // The fitting ways to grow stage k by the smallest step of one factor that shortens it (DSPs
  // first; with lut_fallback, LUTs when the DSP version does not fit).
  auto candidates_of = [&](std::size_t k) {
    std::vector<Candidate> out;
    const StageChoice& s = result.stages[k];
    const Layer& layer = network.layers[s.layer_index];
    for (int factor = 0; factor < 4; ++factor) {
      StageChoice c = s;
      if (factor == 0) c.pi = next_unroll(s.channels, s.pi, s.pi_max);
      if (factor == 1) c.po = next_unroll(s.filters, s.po, s.po_max);
      if (factor == 2) c.pk = next_unroll(s.taps, s.pk, s.pk_max);
      if (factor == 3) c.pw = next_unroll(s.cols, s.pw, s.pw_max);
      if (c.pi == s.pi && c.po == s.po && c.pk == s.pk && c.pw == s.pw) continue;
      time_stage(layer, result.streams[k], c);
      if (c.interval_cycles >= s.interval_cycles) continue;
      for (const bool fabric : {false, true}) {
        if (fabric && !rules.lut_fallback) break;
        c.fabric = fabric;
        c.resources = resources_of(k, c);
        FpgaBudget total = result.used;
        total.luts = total.luts - s.resources.luts + c.resources.luts;
        total.dsps = total.dsps - s.resources.dsps + c.resources.dsps;
        total.bram_bits = total.bram_bits - s.resources.bram_bits + c.resources.bram_bits;
        if (fits(total, budget)) {
          out.push_back({c, total});
          break;
        }
      }
    }
    return out;
  };
  auto added = [](const StageChoice& from, const StageChoice& to) {
    return static_cast<double>(std::max<std::uint64_t>(1, to.multipliers - from.multipliers));
  };

  // Phase 1, the interval: grow the slowest stage by the step with the most cycles saved per
  // added multiplier until it cannot shorten within the budget.
  for (std::uint32_t iter = 0; iter < options.max_iterations; ++iter) {
    std::size_t slow = n;
    for (std::size_t k = 0; k < n; ++k) {
      if (result.stages[k].fixed) continue;
      if (slow == n || result.stages[k].interval_cycles > result.stages[slow].interval_cycles)
        slow = k;
    }
    if (slow == n) break;
    // A fixed stage slower than every free one bounds the interval: stop growing.
    bool fixed_slower = false;
    for (const StageChoice& s : result.stages)
      fixed_slower =
          fixed_slower || (s.fixed && s.interval_cycles >= result.stages[slow].interval_cycles);
    if (fixed_slower) break;
    StageChoice& s = result.stages[slow];
    const Candidate* best = nullptr;
    double best_gain = 0;
    const std::vector<Candidate> candidates = candidates_of(slow);
    for (const Candidate& c : candidates) {
      const double gain =
          static_cast<double>(s.interval_cycles - c.choice.interval_cycles) / added(s, c.choice);
      if (!best || gain > best_gain) {
        best = &c;
        best_gain = gain;
      }
    }
    if (!best) break;  // the slowest stage cannot shorten within the budget
    s = best->choice;
    result.used = best->total;
  }

  // Phase 2, the latency: spend what is left on any stage whose growth shortens the estimated
  // batch-1 latency most per added multiplier (stages never slow down, so the interval holds).
  auto latency_with = [&](std::size_t k, const StageChoice* replacement) {
    std::vector<StageTiming> timings;
    for (std::size_t j = 0; j < n; ++j) {
      const StageChoice& x = j == k && replacement ? *replacement : result.stages[j];
      timings.push_back({x.interval_cycles, x.fill_cycles});
    }
    return pipeline_timing(timings).latency_cycles;
  };
  for (std::uint32_t iter = 0; options.spend_on_latency && iter < options.max_iterations; ++iter) {
    const std::uint64_t now = latency_with(n, nullptr);
    std::size_t best_stage = n;
    Candidate best;
    double best_gain = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (result.stages[k].fixed) continue;
      for (const Candidate& c : candidates_of(k)) {
        const std::uint64_t after = latency_with(k, &c.choice);
        if (after >= now) continue;
        const double gain = static_cast<double>(now - after) / added(result.stages[k], c.choice);
        if (best_stage == n || gain > best_gain) {
          best_stage = k;
          best = c;
          best_gain = gain;
        }
      }
    }
    if (best_stage == n) break;
    result.stages[best_stage] = best.choice;
    result.used = best.total;
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
