#include "platforms/pipelined.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <systemc>

#include "models/energy/energy.h"
#include "models/pipeline/layer_pipeline.h"
#include "platforms/platform.h"

namespace platforms {

workloads::FpgaBudget PipelineParams::budget() const {
  workloads::FpgaBudget b;
  if (const workloads::FpgaBudget* preset = workloads::find_fpga_preset(device)) b = *preset;
  b.name = device;
  if (budget_luts) b.luts = budget_luts;
  if (budget_dsps) b.dsps = budget_dsps;
  if (budget_bram36) b.bram_bits = budget_bram36 * workloads::kBram36Bits;
  return b;
}

PipelineParams parse_pipeline(const sim::ConfigNode& node) {
  PipelineParams p;
  std::vector<std::string> devices;
  for (const auto& preset : workloads::fpga_presets()) devices.push_back(preset.name);
  devices.push_back("custom");
  p.device = node.get_choice("device", p.device, devices);
  // A preset's figures can be cut down key by key; a custom device needs all three.
  const bool custom = p.device == "custom";
  auto budget_key = [&](const char* key, std::uint64_t& value) {
    if (custom && !node.has(key)) {
      node.fail(key, "is required with device: custom (a whole number, 0 allowed only for DSPs)");
    }
    value = node.get<std::uint64_t>(key, value);
  };
  budget_key("budget_luts", p.budget_luts);
  budget_key("budget_dsps", p.budget_dsps);
  budget_key("budget_bram36", p.budget_bram36);
  if (custom && p.budget_luts == 0)
    node.fail("budget_luts", "must be > 0 with device: custom, got 0");
  if (custom && p.budget_bram36 == 0) {
    node.fail("budget_bram36", "must be > 0 with device: custom, got 0");
  }
  p.fifo_depth_rows = node.get_positive("fifo_depth_rows", p.fifo_depth_rows);
  if (p.fifo_depth_rows > 1u << 20) {
    node.fail("fifo_depth_rows", "must be at most 1048576, got " + node.raw("fifo_depth_rows"));
  }
  const std::uint64_t frames = node.get<std::uint64_t>("frames", p.frames);
  if (frames > 1u << 20) node.fail("frames", "must be at most 1048576, got " + node.raw("frames"));
  p.frames = static_cast<std::uint32_t>(frames);
  p.frame_interval_cycles = node.get<std::uint64_t>("frame_interval_cycles", 0);
  if (p.frame_interval_cycles > (1ull << 40)) {
    node.fail("frame_interval_cycles",
              "must be at most 2^40 cycles, got " + node.raw("frame_interval_cycles"));
  }
  p.input_stream_bits =
      static_cast<std::uint32_t>(node.get_positive("input_stream_bits", p.input_stream_bits));
  p.output_stream_bits =
      static_cast<std::uint32_t>(node.get_positive("output_stream_bits", p.output_stream_bits));

  p.objective = node.get_choice("objective", p.objective, {"latency", "interval"});
  const sim::ConfigNode unroll = node.child("unroll");
  for (const auto& layer : unroll.given_keys()) {
    const sim::ConfigNode u = unroll.child(layer);
    PipelineUnroll entry;
    entry.unroll.layer = layer;
    // A --set override records its origin at the factor's key, a file at the layer's.
    const std::vector<std::string> given = u.given_keys();
    const sim::SourceLocation at = given.empty() ? unroll.location(layer) : u.location(given[0]);
    entry.where = at.to_string() + ": " + unroll.path_of(layer);
    auto factor = [&](const char* key) {
      const std::uint64_t v = u.get<std::uint64_t>(key, 0);
      if (v > (1u << 24)) u.fail(key, "must be at most 16777216 (0: chosen), got " + u.raw(key));
      return static_cast<std::uint32_t>(v);
    };
    entry.unroll.pi = factor("pi");
    entry.unroll.po = factor("po");
    entry.unroll.pk = factor("pk");
    entry.unroll.pw = factor("pw");
    p.unroll.push_back(entry);
  }

  const sim::ConfigNode r = node.child("resources");
  auto bits = [&](const char* key, std::uint32_t fallback) {
    const std::uint64_t v = r.get<std::uint64_t>(key, fallback);
    if (v > 64) r.fail(key, "must be a width from 0 to 64, got " + r.raw(key));
    return static_cast<std::uint32_t>(v);
  };
  p.rules.lut_mult_max_product =
      static_cast<std::uint32_t>(r.get<std::uint64_t>("lut_mult_max_product", 16));
  if (p.rules.lut_mult_max_product > 4096) {
    r.fail("lut_mult_max_product",
           "must be at most 4096 (0: no LUT multipliers), got " + r.raw("lut_mult_max_product"));
  }
  p.rules.luts_per_bit_product =
      r.get_in_range("luts_per_bit_product", p.rules.luts_per_bit_product, 0.01, 100.0);
  p.rules.dsp_pack4_max_bits = bits("dsp_pack4_max_bits", p.rules.dsp_pack4_max_bits);
  p.rules.dsp_pack2_max_bits = bits("dsp_pack2_max_bits", p.rules.dsp_pack2_max_bits);
  p.rules.lut_fallback = r.get<bool>("lut_fallback", p.rules.lut_fallback);
  p.rules.bram_port_bits =
      static_cast<std::uint32_t>(r.get_positive("bram_port_bits", p.rules.bram_port_bits));
  return p;
}

namespace {

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

/// A SystemC-safe module name from a layer name (ONNX names carry '/' and '.').
std::string module_name(const std::string& layer, std::set<std::string>& taken) {
  std::string name;
  for (const char c : layer) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) name = "l_" + name;
  std::string unique = name;
  for (int k = 2; taken.count(unique); ++k) unique = name + "_" + std::to_string(k);
  taken.insert(unique);
  return unique;
}

}  // namespace

RunResult simulate_pipelined(const PlatformParams& params, const workloads::Network& network,
                             const workloads::Program& program, sim::VcdWriter* vcd) {
  const PipelineParams& pp = params.accelerator.pipeline;
  RunResult result;
  PipelineResult& pipe = result.pipeline;
  pipe.enabled = true;
  pipe.device = pp.device;
  pipe.budget = pp.budget();

  // Per-layer formats from the program's forward GEMMs (workload.precision).
  std::vector<workloads::LayerBits> bits(network.layers.size());
  std::vector<const workloads::GemmOp*> op_of(network.layers.size(), nullptr);
  for (const auto& op : program.ops) {
    if (op.phase != workloads::Phase::kFwd) {
      throw sim::ConfigError(
          "scheme: accelerator.type pipelined runs inference only, got a training program");
    }
    if (op.kind != workloads::OpKind::kGemm) continue;
    bits[op.layer] = {op.b.bits, op.a.bits};
    op_of[op.layer] = &op;
  }

  workloads::AllocatorOptions options;
  options.fifo_depth_rows = pp.fifo_depth_rows;
  options.spend_on_latency = pp.objective == "latency";
  for (const auto& u : pp.unroll) options.overrides.push_back(u.unroll);
  const workloads::AllocationResult alloc =
      workloads::allocate_pipeline(network, bits, pipe.budget, pp.rules, options);
  pipe.used = alloc.used;
  if (!alloc.feasible) {
    for (const auto& u : pp.unroll) {
      if (alloc.reason.find("'" + u.unroll.layer + "'") != std::string::npos &&
          alloc.reason.rfind("unroll override", 0) == 0) {
        throw sim::ConfigError(u.where + ": " + alloc.reason);
      }
    }
    result.feasible = false;
    result.reason = alloc.reason;
    return result;
  }

  // The streams and engines.
  models::PipelineSpec spec;
  spec.frames = pp.frames ? pp.frames : network.batch;
  spec.frame_interval_cycles = pp.frame_interval_cycles;
  const auto& first = alloc.streams.front();
  const auto& last = alloc.streams.back();
  spec.input_rows = first.in_rows;
  spec.input_row_cycles =
      ceil_div(first.in_row_elements * alloc.stages.front().bits.a_bits, pp.input_stream_bits);
  const workloads::GemmOp* last_op = op_of[alloc.stages.back().layer_index];
  const std::uint32_t out_bits = last_op ? last_op->c.bits : 8;
  spec.output_rows = last.out_rows;
  spec.output_row_cycles = ceil_div(last.out_row_elements * out_bits, pp.output_stream_bits);
  std::set<std::string> taken;
  for (std::size_t k = 0; k < alloc.stages.size(); ++k) {
    models::EngineSpec e;
    e.name = module_name(alloc.stages[k].name, taken);
    e.need_in = alloc.streams[k].need_in;
    e.emit_after = alloc.streams[k].emit_after;
    e.unit_cycles = workloads::unit_cycles(alloc.streams[k], alloc.stages[k]);
    e.macs_per_frame = alloc.stages[k].macs;
    spec.engines.push_back(e);
  }
  spec.fifo_depth_rows.assign(spec.engines.size() + 1, pp.fifo_depth_rows);

  sim::Stats stats;
  const sc_core::sc_time clock(1e6 / params.accelerator.clock_mhz, sc_core::SC_PS);
  models::LayerPipeline top("top", spec, clock, stats, vcd);
  sc_core::sc_start();
  if (vcd) vcd->set_end_time(sc_core::sc_time_stamp().value());
  const double clock_ps = clock.to_seconds() * 1e12;
  auto cycles_of = [&](double ps) { return static_cast<std::uint64_t>(ps / clock_ps + 0.5); };

  const double end_ps = static_cast<double>(sc_core::sc_time_stamp().value());
  EDGESIM_CHECK(top.frame_done_ps().size() == spec.frames, "not every frame left the pipeline");
  result.total_cycles = cycles_of(end_ps);
  result.simulated_ns = end_ps / 1000.0;
  pipe.frames = spec.frames;
  pipe.latency_cycles =
      cycles_of(static_cast<double>(top.frame_done_ps()[0] - top.frame_start_ps()[0]));
  for (std::size_t f = 0; f < top.frame_done_ps().size(); ++f) {
    pipe.max_latency_cycles =
        std::max(pipe.max_latency_cycles,
                 cycles_of(static_cast<double>(top.frame_done_ps()[f] - top.frame_start_ps()[f])));
  }
  pipe.latency_ns = static_cast<double>(pipe.latency_cycles) * clock_ps / 1000.0;
  if (spec.frames > 1) {
    pipe.interval_cycles =
        cycles_of(static_cast<double>(top.frame_done_ps().back() - top.frame_done_ps().front()) /
                  (spec.frames - 1));
  } else {
    pipe.interval_cycles = alloc.interval_cycles;  // one frame: the slowest stage's busy time
  }
  pipe.throughput_fps =
      pipe.interval_cycles ? params.accelerator.clock_mhz * 1e6 / pipe.interval_cycles : 0;
  pipe.estimated_latency_cycles = alloc.latency_cycles;
  pipe.estimated_interval_cycles = alloc.interval_cycles;
  pipe.slowest_stage = static_cast<std::uint32_t>(alloc.slowest_stage);
  pipe.input_fifo_max_rows = top.fifos().front()->max_occupancy();
  pipe.input_stall_cycles = top.input_stall_cycles();
  for (const auto& fifo : top.fifos()) pipe.fifo_full_stall_cycles += fifo->full_stall_cycles();

  // Stages, layers.csv rows and energy (docs/ull.md): MACs at their operand widths, weight
  // reads, line-buffer (or fc input buffer) reads and writes, FIFO writes and reads, leakage.
  const models::EnergyParams& e = params.energy;
  using models::EnergyBreakdown;
  const std::size_t fwd = static_cast<std::size_t>(workloads::Phase::kFwd);
  const std::size_t compute = workloads::kTensorClassCount;
  const auto weight_cls = static_cast<std::size_t>(workloads::TensorClass::kWeight);
  const auto act_cls = static_cast<std::size_t>(workloads::TensorClass::kActivation);
  std::uint64_t multipliers = 0;
  for (std::size_t k = 0; k < alloc.stages.size(); ++k) {
    const workloads::StageChoice& s = alloc.stages[k];
    const workloads::StageStream& stream = alloc.streams[k];
    const workloads::Layer& layer = network.layers[s.layer_index];
    const models::StageEngine& engine = *top.engines()[k];
    const models::RowFifo& out_fifo = *top.fifos()[k + 1];
    const models::RowFifo& in_fifo = *top.fifos()[k];
    PipelineStageResult st;
    st.layer = static_cast<std::uint32_t>(s.layer_index);
    st.name = s.name;
    for (std::size_t f : stream.fused) {
      st.fused += (st.fused.empty() ? "" : "+") + network.layers[f].name;
    }
    st.pi = s.pi;
    st.po = s.po;
    st.pk = s.pk;
    st.pw = s.pw;
    st.multipliers = s.multipliers;
    st.lut_multipliers =
        s.fabric || workloads::multiplier_cost(s.bits.w_bits, s.bits.a_bits, pp.rules).in_luts;
    st.w_bits = s.bits.w_bits;
    st.a_bits = s.bits.a_bits;
    st.interval_cycles = s.interval_cycles;
    st.busy_cycles = engine.busy_cycles();
    st.input_wait_cycles = engine.input_wait_cycles();
    st.output_stall_cycles = engine.output_stall_cycles();
    st.macs = engine.macs();
    st.utilization = result.total_cycles
                         ? static_cast<double>(st.macs) /
                               (static_cast<double>(s.multipliers) * result.total_cycles)
                         : 0;
    st.luts = s.resources.luts;
    st.dsps = s.resources.dsps;
    st.bram_bits = s.resources.bram_bits;
    st.fifo_depth_rows = out_fifo.depth();
    st.fifo_max_rows = out_fifo.max_occupancy();
    st.fifo_full_stall_cycles = out_fifo.full_stall_cycles();
    pipe.stages.push_back(st);
    multipliers += s.multipliers;

    LayerResult row;
    row.layer = st.layer;
    row.phase_index = static_cast<std::uint32_t>(fwd);
    row.name = s.name;
    row.type = workloads::layer_type_name(layer.type);
    row.phase = workloads::phase_name(workloads::Phase::kFwd);
    row.cycles = st.busy_cycles;
    row.compute_cycles = st.busy_cycles;
    row.stall_cycles = st.output_stall_cycles;
    row.macs = st.macs;
    row.pe_utilization = st.utilization;
    row.tiles = static_cast<std::uint64_t>(stream.units()) * spec.frames;
    workloads::NumberFormat w{workloads::NumberKind::kInt, s.bits.w_bits};
    workloads::NumberFormat a{workloads::NumberKind::kInt, s.bits.a_bits};
    std::uint32_t acc_bits = 32;
    if (const workloads::GemmOp* op = op_of[s.layer_index]) {
      w = {op->b.kind, op->b.bits};
      a = {op->a.kind, op->a.bits};
      acc_bits = op->acc_bits;
    }
    row.w_format = w.name();
    row.a_format = a.name();

    // Bits moved in the stage's memories over the run.
    const double frames = spec.frames;
    // A weight read feeds the pw pixels computed together; an activation read the po filters.
    const double weight_read_bits =
        static_cast<double>(ceil_div(st.macs, std::max(1u, s.pw))) * s.bits.w_bits;
    const double act_read_bits =
        static_cast<double>(ceil_div(s.macs, s.po)) * frames * s.bits.a_bits;
    const double act_write_bits =
        static_cast<double>(in_fifo.rows()) * stream.in_row_elements * s.bits.a_bits;
    const double fifo_bits = static_cast<double>(out_fifo.rows()) * stream.out_row_elements *
                             (s.next_a_bits ? s.next_a_bits : out_bits);
    const std::uint64_t weight_bytes = ceil_div(layer.weight_elements() * s.bits.w_bits, 8);
    const std::uint64_t buffer_bits = std::max<std::uint64_t>(
        workloads::line_buffer_bits(layer, s.bits.a_bits), stream.in_row_elements * s.bits.a_bits);
    const std::uint64_t fifo_bytes =
        ceil_div(out_fifo.depth() * stream.out_row_elements * std::max(1u, s.next_a_bits), 8);
    row.sram_read_bytes = static_cast<std::uint64_t>((weight_read_bits + act_read_bits) / 8);
    row.sram_write_bytes = static_cast<std::uint64_t>((act_write_bits + fifo_bits) / 8);
    result.sram_read_bytes += row.sram_read_bytes + static_cast<std::uint64_t>(fifo_bits / 8);
    result.sram_write_bytes += row.sram_write_bytes;

    const models::Femtojoules mac =
        models::to_fj(static_cast<double>(st.macs) * models::mac_energy_pj(e, w, a, acc_bits));
    const models::Femtojoules weights =
        models::to_fj(weight_read_bits * models::sram_energy_pj_per_bit(
                                             e, std::max<std::uint64_t>(weight_bytes, 1), false));
    const std::uint64_t buffer_bytes = std::max<std::uint64_t>(1, ceil_div(buffer_bits, 8));
    const models::Femtojoules activations =
        models::to_fj(act_read_bits * models::sram_energy_pj_per_bit(e, buffer_bytes, false) +
                      act_write_bits * models::sram_energy_pj_per_bit(e, buffer_bytes, true));
    const models::Femtojoules fifo = models::to_fj(
        fifo_bits *
        (models::sram_energy_pj_per_bit(e, std::max<std::uint64_t>(fifo_bytes, 1), true) +
         models::sram_energy_pj_per_bit(e, std::max<std::uint64_t>(fifo_bytes, 1), false)));
    result.energy.add(&EnergyBreakdown::mac, compute, fwd, mac);
    result.energy.add(&EnergyBreakdown::sram, weight_cls, fwd, weights);
    result.energy.add(&EnergyBreakdown::sram, act_cls, fwd, activations + fifo);
    row.energy_mac = mac;
    row.energy_sram = weights + activations + fifo;
    result.layers.push_back(row);

    result.macs += st.macs;
    result.compute_cycles += st.busy_cycles;
  }
  result.stall_cycles = pipe.fifo_full_stall_cycles;
  result.pe_utilization = result.total_cycles && multipliers
                              ? static_cast<double>(result.macs) /
                                    (static_cast<double>(multipliers) * result.total_cycles)
                              : 0;
  // mW x ps = 1e-3 pJ.
  result.energy.add(&EnergyBreakdown::leakage, compute, fwd,
                    models::to_fj(e.leakage_mw * end_ps * 1e-3));
  for (const auto& entry : stats.entries()) result.counters.emplace_back(entry.name, *entry.value);
  return result;
}

}  // namespace platforms
