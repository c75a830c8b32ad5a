#include "platforms/platform.h"

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <systemc>
#include <tlm>

#include "models/memory/dram/dram.h"
#include "sim/core/timeline.h"

namespace platforms {

PlatformParams parse_platform(const sim::ConfigNode& root) {
  PlatformParams p;
  p.name = root.get<std::string>("name", p.name);
  p.host = models::parse_host(root.child("host"));
  p.interconnect = models::parse_router(root.child("interconnect"));

  const sim::ConfigNode accel = root.child("accelerator");
  p.accelerator.type = accel.get_choice("type", p.accelerator.type, {"systolic", "pipelined"});
  if (p.accelerator.type == "pipelined") {
    // Layer-pipelined accelerator (docs/ull.md): inference only, no functional data.
    p.accelerator.pipeline = parse_pipeline(accel.child("pipeline"));
    const std::string scheme = root.get<std::string>("scheme", "inference");
    if (scheme != "inference") {
      root.fail("scheme", "must be inference with accelerator.type pipelined, got " + scheme);
    }
    if (root.child("sim").get<bool>("functional", false)) {
      root.child("sim").fail("functional", "is not supported with accelerator.type pipelined");
    }
  }
  p.accelerator.clock_mhz =
      static_cast<std::uint32_t>(accel.get_positive("clock_mhz", p.accelerator.clock_mhz));
  p.accelerator.container_bits =
      accel.get<std::uint32_t>("container_bits", p.accelerator.container_bits);
  if (p.accelerator.container_bits > 64) {
    accel.fail("container_bits",
               "must be 0 (packed) or a width up to 64, got " + accel.raw("container_bits"));
  }
  p.accelerator.pe_array = models::parse_pe_array(accel.child("pe_array"));
  p.accelerator.sram = models::parse_buffers(accel.child("sram"));
  p.accelerator.dma = models::parse_dma(accel.child("dma"));
  p.accelerator.vector_unit = models::parse_vector_unit(accel.child("vector_unit"));

  p.dram = models::parse_dram(root.child("dram"));
  if (p.dram.base_address < kAcceleratorBase + models::kRegBlockBytes &&
      p.dram.base_address + p.dram.size_bytes > kAcceleratorBase) {
    root.child("dram").fail("base_address",
                            "must not overlap the accelerator registers at "
                            "0xF000000000, got " +
                                std::to_string(p.dram.base_address));
  }

  const sim::ConfigNode s = root.child("sim");
  p.sim.quantum_ns = s.get_in_range("quantum_ns", p.sim.quantum_ns, 0.001, 1e9);
  p.sim.functional = s.get<bool>("functional", p.sim.functional);
  p.sim.scalesim_compat = s.get<bool>("scalesim_compat", p.sim.scalesim_compat);
  p.sim.scalesim_replay = s.get<bool>("scalesim_replay", p.sim.scalesim_replay);
  p.sim.seed = s.get<std::uint64_t>("seed", p.sim.seed);
  p.sim.max_functional_macs = s.get_positive("max_functional_macs", p.sim.max_functional_macs);

  const sim::ConfigNode t = root.child("trace");
  p.trace.vcd = t.get<bool>("vcd", p.trace.vcd);
  p.trace.timeline = t.get<bool>("timeline", p.trace.timeline);
  const std::string fidelity_level = p.accelerator.pe_array.fidelity == "cycle" ? "cycle" : "tile";
  p.trace.level = t.get_choice("level", fidelity_level, {"layer", "tile", "cycle"});
  p.trace.window = t.get<std::string>("window", p.trace.window);
  if (!p.trace.window.empty()) {
    const auto colon = p.trace.window.find(':');
    auto ns_to_ps = [&](const std::string& text, std::uint64_t fallback) {
      if (text.empty()) return fallback;
      std::size_t used = 0;
      double ns = -1;
      try {
        ns = std::stod(text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != text.size() || !(ns >= 0)) {
        t.fail("window",
               "must be START_NS:END_NS with non-negative numbers, got " + p.trace.window);
      }
      return static_cast<std::uint64_t>(ns * 1000.0 + 0.5);
    };
    if (colon == std::string::npos) {
      t.fail("window", "must be START_NS:END_NS (e.g. 0:50000), got " + p.trace.window);
    }
    p.trace.window_start_ps = ns_to_ps(p.trace.window.substr(0, colon), 0);
    p.trace.window_end_ps = ns_to_ps(p.trace.window.substr(colon + 1), ~std::uint64_t{0});
    if (p.trace.window_end_ps <= p.trace.window_start_ps) {
      t.fail("window", "END_NS must be greater than START_NS, got " + p.trace.window);
    }
  }
  p.trace.signals = t.get_string_list("signals", p.trace.signals);
  p.trace.rate_window_ns = t.get_in_range("rate_window_ns", p.trace.rate_window_ns, 0.001, 1e9);
  p.energy = models::parse_energy(root.child("energy"));
  return p;
}

sim::VcdOptions vcd_options(const TraceParams& trace) {
  sim::VcdOptions o;
  o.level = sim::parse_trace_level(trace.level).value_or(sim::TraceLevel::kTile);
  o.window_start_ps = trace.window_start_ps;
  o.window_end_ps = trace.window_end_ps;
  o.signals = trace.signals;
  o.rate_window_ps = static_cast<std::uint64_t>(trace.rate_window_ns * 1000.0 + 0.5);
  o.record_signals = trace.vcd;
  return o;
}

workloads::TilerParams tiler_params(const PlatformParams& params) {
  workloads::TilerParams t;
  t.array_rows = params.accelerator.pe_array.rows;
  t.array_cols = params.accelerator.pe_array.cols;
  t.unified = params.accelerator.sram.organisation == "unified";
  t.ifmap_bytes = params.accelerator.sram.ifmap_bytes;
  t.weight_bytes = params.accelerator.sram.weight_bytes;
  t.ofmap_bytes = params.accelerator.sram.ofmap_bytes;
  t.unified_bytes = params.accelerator.sram.unified_bytes;
  t.double_buffer = params.accelerator.sram.double_buffer;
  t.container_bits = params.accelerator.container_bits;
  return t;
}

/// The layer as a GEMM op sees it: backward ops read plain matrices, not convolution inputs.
workloads::Layer op_layer(const workloads::Network& network, const workloads::GemmOp& op) {
  workloads::Layer layer = network.layers[op.layer];
  if (!op.conv_geometry) {
    workloads::Layer plain;
    plain.name = layer.name;
    plain.type = workloads::LayerType::kGemm;
    plain.m = op.shape.m;
    plain.n = op.shape.n;
    plain.k = op.shape.k;
    return plain;
  }
  return layer;
}

PlannedProgram plan_program(const PlatformParams& params, const workloads::Network& network,
                            const workloads::Program& program) {
  PlannedProgram planned;
  if (params.accelerator.type == "pipelined") return planned;  // the allocator plans it
  const workloads::TilerParams tiler = tiler_params(params);
  const std::uint32_t cb = params.accelerator.container_bits;
  for (const auto& op : program.ops) {
    workloads::TilePlan plan;
    if (op.kind == workloads::OpKind::kVector) {
      // Chunks of elements whose operand streams all fit, double-buffered, in the result
      // buffer (the vector unit's scratchpad).
      std::uint64_t bits_per_element = 0;
      for (const auto& o : op.inputs) bits_per_element += std::max(o.ref.bits, cb);
      for (const auto& o : op.outputs) bits_per_element += std::max(o.ref.bits, cb);
      const std::uint64_t buffer = tiler.unified ? tiler.unified_bytes : tiler.ofmap_bytes;
      const std::uint64_t slots = tiler.double_buffer ? 2 : 1;
      // Each stream rounds up to whole bytes: leave a byte per stream of slack.
      const std::uint64_t streams = op.inputs.size() + op.outputs.size();
      const std::uint64_t usable = buffer / slots > streams ? buffer / slots - streams : 0;
      const std::uint64_t fit = bits_per_element ? usable * 8 / bits_per_element : 0;
      plan.tile_m = std::min<std::uint64_t>(std::max<std::uint64_t>(op.elements, 1), fit);
      plan.count_m = plan.tile_m ? (op.elements + plan.tile_m - 1) / plan.tile_m : 0;
      if (plan.tile_m == 0) {
        plan.feasible = false;
        plan.reason = "vector op '" + op.name + "' of layer '" + network.layers[op.layer].name +
                      "': one element of its streams does not fit the result buffer";
      }
    } else {
      plan = workloads::plan_tiles(op_layer(network, op), op, tiler);
    }
    if (!plan.feasible && planned.feasible) {
      planned.feasible = false;
      planned.reason = plan.reason;
    }
    planned.plans.push_back(plan);
  }
  return planned;
}

namespace {

constexpr std::uint64_t kLocalIfmapBase = 0;
constexpr std::uint64_t kLocalWeightBase = 1ULL << 32;
constexpr std::uint64_t kLocalOfmapBase = 2ULL << 32;

/// Lays the program's tensors out in DRAM (the driver's allocator) and builds the commands.
/// Each (layer, role) gets one region sized for the widest format any op uses for it;
/// a layer's input is the previous layer's output when their sizes agree, and likewise for
/// gradients flowing back.
/// Returns false (with the reason) when the tensors do not fit the DRAM: an infeasible point.
bool build_commands(const PlatformParams& params, const workloads::Network& network,
                    const workloads::Program& program, const PlannedProgram& planned,
                    std::vector<models::HostCommand>& commands, std::string& reason) {
  using workloads::TensorRole;
  const std::uint32_t cb = params.accelerator.container_bits;
  const std::size_t roles = workloads::kTensorRoleCount;
  const std::size_t layers = network.layers.size();
  std::vector<std::uint64_t> need(layers * roles, 0);  // bytes per (layer, role)
  auto slot = [&](std::uint32_t layer, TensorRole role) {
    return layer * roles + static_cast<std::size_t>(role);
  };
  // Operands held on chip (ttm partials, resident TT cores) need no DRAM; the others start
  // `offset` elements into their (layer, role) region.
  auto note = [&](std::uint32_t layer, TensorRole role, std::uint64_t elements, std::uint32_t bits,
                  std::uint64_t offset = 0, bool on_chip = false) {
    if (on_chip) return;
    auto& n = need[slot(layer, role)];
    n = std::max(n,
                 workloads::packed_bytes(offset + elements, std::max<std::uint32_t>(bits, 8), cb));
  };
  std::uint64_t psum_bytes = 0;
  for (const auto& op : program.ops) {
    if (op.kind == workloads::OpKind::kVector) {
      for (const auto& o : op.inputs) note(op.layer, o.role, op.elements, o.ref.bits, 0, o.on_chip);
      for (const auto& o : op.outputs) {
        note(op.layer, o.role, op.elements, o.ref.bits, 0, o.on_chip);
      }
      continue;
    }
    const auto& layer = network.layers[op.layer];
    const std::uint64_t a_elements =
        op.conv_geometry && layer.is_conv()
            ? std::max(layer.input_elements(network.batch), op.shape.m * op.shape.k)
            : op.shape.m * op.shape.k * op.shape.groups;
    note(op.layer, op.a_role, a_elements, op.a.bits, op.a_offset, op.a_on_chip);
    note(op.layer, op.b_role,
         op.b_role == TensorRole::kWeight
             ? std::max(op.shape.k * op.shape.n * op.shape.groups, layer.weight_elements())
             : op.shape.k * op.shape.n * op.shape.groups,
         op.b.bits, op.b_offset, op.b_on_chip);
    // Functional runs keep raw int32 accumulators in DRAM so the host can check them.
    note(op.layer, op.c_role, op.shape.m * op.shape.n * op.shape.groups,
         params.sim.functional ? std::max(op.c.bits, 32u) : op.c.bits, op.c_offset, op.c_on_chip);
    psum_bytes = std::max(
        psum_bytes,
        workloads::packed_bytes(op.shape.m * op.shape.n * op.shape.groups, op.acc_bits, cb));
  }
  std::uint64_t next = params.dram.base_address;
  auto allocate = [&](std::uint64_t bytes) {
    const std::uint64_t address = next;
    next += (std::max<std::uint64_t>(bytes, 1) + 4095) / 4096 * 4096;
    return address;
  };
  std::vector<std::uint64_t> address(layers * roles, 0);
  for (std::uint32_t l = 0; l < layers; ++l) {
    for (std::size_t r = 0; r < roles; ++r) {
      const auto role = static_cast<TensorRole>(r);
      const std::size_t here = slot(l, role);
      // Activations and gradients chain through the layer boundary.
      if (l > 0 && role == TensorRole::kInput &&
          need[here] <= need[slot(l - 1, TensorRole::kOutput)]) {
        address[here] = address[slot(l - 1, TensorRole::kOutput)];
        continue;
      }
      if (l > 0 && role == TensorRole::kInputGrad) {
        // Allocated below, together with the previous layer's output gradient.
        continue;
      }
      if (need[here] == 0) continue;
      address[here] = allocate(need[here]);
    }
  }
  for (std::uint32_t l = 1; l < layers; ++l) {
    const std::size_t here = slot(l, TensorRole::kInputGrad);
    const std::size_t previous = slot(l - 1, TensorRole::kOutputGrad);
    if (need[here] == 0) continue;
    if (need[previous] >= need[here] && address[previous] != 0) {
      address[here] = address[previous];
    } else {
      address[here] = allocate(need[here]);
    }
  }
  const std::uint64_t psum_address = allocate(psum_bytes);
  if (next - params.dram.base_address > params.dram.size_bytes) {
    reason = "the workload's tensors need " + std::to_string(next - params.dram.base_address) +
             " bytes of DRAM; dram.size_bytes is " + std::to_string(params.dram.size_bytes);
    return false;
  }
  if (next > models::kOnChipTensorBase) {
    reason =
        "the workload's tensors reach past 0xF100000000 in DRAM, where on-chip tensors "
        "are addressed; lower dram.base_address";
    return false;
  }
  // An operand's address: in its DRAM region, or in the on-chip window when held in SRAM.
  auto operand_address = [&](std::uint32_t layer, TensorRole role, std::uint64_t offset,
                             std::uint32_t bits, bool on_chip) {
    return (on_chip ? models::kOnChipTensorBase : address[slot(layer, role)]) +
           workloads::packed_bytes(offset, bits, cb);
  };
  for (std::uint32_t i = 0; i < program.ops.size(); ++i) {
    const auto& op = program.ops[i];
    models::HostCommand command;
    if (op.kind == workloads::OpKind::kVector) {
      std::vector<std::uint64_t> in, out;
      for (const auto& o : op.inputs) {
        in.push_back(operand_address(op.layer, o.role, 0, 8, o.on_chip));
      }
      for (const auto& o : op.outputs) {
        out.push_back(operand_address(op.layer, o.role, 0, 8, o.on_chip));
      }
      command.descriptor = models::make_vector_descriptor(i, op, planned.plans[i].tile_m, in, out);
      commands.push_back(command);
      continue;
    }
    const auto layer = op_layer(network, op);
    const bool check = params.sim.functional && workloads::functionally_checked(network, op);
    command.descriptor = models::make_descriptor(
        i, op, layer, planned.plans[i],
        operand_address(op.layer, op.a_role, op.a_offset, op.a.bits, op.a_on_chip),
        operand_address(op.layer, op.b_role, op.b_offset, op.b.bits, op.b_on_chip),
        operand_address(op.layer, op.c_role, op.c_offset, op.c.bits, op.c_on_chip), psum_address,
        check);
    command.check = check;
    commands.push_back(command);
  }
  return true;
}

/// Tracing only: sits between the system bus and the DRAM and records what the DRAM counted
/// during each transaction (bytes, row hits, misses, conflicts, refreshes) per rate window, at
/// the transaction's completion time. The DRAM model itself takes no trace hooks yet.
class DramProbe : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<DramProbe> in{"in"};
  tlm_utils::simple_initiator_socket<DramProbe> out{"out"};
  DramProbe(const sc_core::sc_module_name& name, const models::Dram& dram, sim::VcdWriter& vcd)
      : sc_module(name), dram_(dram), vcd_(vcd) {
    in.register_b_transport(this, &DramProbe::b_transport);
    in.register_transport_dbg(this, &DramProbe::transport_dbg);
    const char* const names[kCounters] = {"read_bytes_per_window",    "write_bytes_per_window",
                                          "row_hits_per_window",      "row_misses_per_window",
                                          "row_conflicts_per_window", "refreshes_per_window"};
    for (std::size_t i = 0; i < kCounters; ++i) {
      signals_[i] = vcd.add_rate_signal(dram.name(), names[i]);
    }
  }

  /// Records what the DRAM counted since the last record (e.g. after the last transaction,
  /// when it drains its write buffers at the end of the run) at `time_ps`.
  void flush(std::uint64_t time_ps) {
    const models::DramCounters& c = dram_.counters();
    const std::uint64_t now[kCounters] = {c.bytes_read, c.bytes_written, c.row_hits,
                                          c.row_misses, c.row_conflicts, c.refreshes};
    for (std::size_t i = 0; i < kCounters; ++i) {
      if (now[i] != seen_[i]) vcd_.add_amount(signals_[i], time_ps, now[i] - seen_[i]);
      seen_[i] = now[i];
    }
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    out->b_transport(gp, delay);
    flush(static_cast<std::uint64_t>((sc_core::sc_time_stamp() + delay).value()));
  }
  unsigned int transport_dbg(tlm::tlm_generic_payload& gp) { return out->transport_dbg(gp); }

  static constexpr std::size_t kCounters = 6;
  const models::Dram& dram_;
  sim::VcdWriter& vcd_;
  sim::VcdWriter::SignalId signals_[kCounters] = {};
  std::uint64_t seen_[kCounters] = {};  // counter values already recorded
};

/// The SystemC top: host, system bus, accelerator (controller, DMA, buffers, PE array), DRAM.
class Top : public sc_core::sc_module {
 public:
  Top(const sc_core::sc_module_name& name, const PlatformParams& p,
      std::vector<models::HostCommand> commands, sim::Stats& stats, sim::VcdWriter* vcd)
      : sc_module(name),
        accel_clock(sc_core::sc_time(1e6 / p.accelerator.clock_mhz, sc_core::SC_PS)),
        host("host", p.host, std::move(commands), kAcceleratorBase, p.sim.seed, stats, vcd),
        bus("bus", p.interconnect, accel_clock, stats),
        dram("dram", dram_params(p), stats),
        local_bus("local_bus", models::RouterParams{0, p.interconnect.width_bytes}, accel_clock,
                  stats),
        dma("dma", p.accelerator.dma, accel_clock, stats, vcd),
        pe_array("pe_array", p.accelerator.pe_array, accel_clock, stats, vcd),
        vector_unit("vector_unit", p.accelerator.vector_unit, accel_clock, stats, vcd),
        controller("controller", local_map(p), dma, pe_array, vector_unit, accel_clock, stats,
                   vcd) {
    host.bus.bind(bus.in);
    dma.mem.bind(bus.in);
    if (vcd && vcd->options().record_signals && vcd->level() >= sim::TraceLevel::kTile) {
      dram_probe = std::make_unique<DramProbe>("dram_probe", dram, *vcd);
      dram.attach_trace(*vcd);
      bus.out.bind(dram_probe->in);
      dram_probe->out.bind(dram.in);
    } else {
      bus.out.bind(dram.in);
    }
    bus.map(p.dram.base_address, p.dram.size_bytes, "dram");
    bus.out.bind(controller.regs);
    bus.map(kAcceleratorBase, models::kRegBlockBytes, "accelerator");
    host.irq.bind(controller.irq);

    dma.local.bind(local_bus.in);
    pe_array.local.bind(local_bus.in);
    vector_unit.local.bind(local_bus.in);
    const auto& s = p.accelerator.sram;
    auto add_buffer = [&](const char* buffer_name, std::uint64_t base, std::uint64_t bytes) {
      models::SramParams sp = s.bank;
      sp.size_bytes = bytes;
      buffers.push_back(std::make_unique<models::Sram>(buffer_name, sp, accel_clock, stats, vcd));
      local_bus.out.bind(buffers.back()->in);
      local_bus.map(base, bytes, buffer_name);
    };
    if (s.organisation == "unified") {
      add_buffer("unified_sram", kLocalIfmapBase, s.unified_bytes);
    } else {
      add_buffer("ifmap_sram", kLocalIfmapBase, s.ifmap_bytes);
      add_buffer("weight_sram", kLocalWeightBase, s.weight_bytes);
      add_buffer("ofmap_sram", kLocalOfmapBase, s.ofmap_bytes);
    }
  }

  /// Only functional runs need the DRAM to keep the bytes it is sent.
  static models::DramParams dram_params(const PlatformParams& p) {
    models::DramParams d = p.dram;
    d.store_data = d.store_data && p.sim.functional;
    return d;
  }

  static models::LocalMap local_map(const PlatformParams& p) {
    models::LocalMap map;
    const auto& s = p.accelerator.sram;
    map.unified = s.organisation == "unified";
    map.double_buffer = s.double_buffer;
    map.ifmap_base = kLocalIfmapBase;
    map.weight_base = map.unified ? kLocalIfmapBase : kLocalWeightBase;
    map.ofmap_base = map.unified ? kLocalIfmapBase : kLocalOfmapBase;
    map.ifmap_bytes = map.unified ? s.unified_bytes : s.ifmap_bytes;
    map.weight_bytes = s.weight_bytes;
    map.ofmap_bytes = s.ofmap_bytes;
    map.container_bits = p.accelerator.container_bits;
    if (map.unified) {
      map.buffer_names = {"top.unified_sram"};
    } else {
      map.buffer_names = {"top.ifmap_sram", "top.weight_sram", "top.ofmap_sram"};
    }
    return map;
  }

  sc_core::sc_time accel_clock;
  models::Host host;
  models::Router bus;
  models::Dram dram;
  models::Router local_bus;
  models::Dma dma;
  models::PeArray pe_array;
  models::VectorUnit vector_unit;
  models::Controller controller;
  std::vector<std::unique_ptr<models::Sram>> buffers;
  std::unique_ptr<DramProbe> dram_probe;  // tracing only
};

/// Turns the components' action counts into energy by component, tensor class and phase
/// (docs/energy.md), for the run and for each layers.csv row.
void account_energy(const PlatformParams& params, const workloads::Program& program, const Top& top,
                    RunResult& result) {
  using models::EnergyBreakdown;
  using models::to_fj;
  const models::EnergyParams& e = params.energy;
  EnergyBreakdown& total = result.energy;
  const std::size_t compute = workloads::kTensorClassCount;
  const std::size_t other = workloads::kPhaseCount;
  const auto& records = top.controller.records();
  auto row_of = [&](std::uint32_t layer, std::size_t phase) -> LayerResult* {
    for (auto& row : result.layers) {
      if (row.layer == layer && row.phase_index == phase) return &row;
    }
    return nullptr;
  };

  // MACs, vector operations and leakage, op by op.
  models::Femtojoules op_leakage = 0;
  for (const auto& r : records) {
    const auto& op = program.ops[r.op_index];
    const auto phase = static_cast<std::size_t>(r.phase);
    LayerResult* row = row_of(r.layer, phase);
    // mW x ps = 1e-3 pJ.
    const models::Femtojoules leak =
        to_fj(e.leakage_mw * static_cast<double>(r.end_ps - r.start_ps) * 1e-3);
    total.add(&EnergyBreakdown::leakage, compute, phase, leak);
    op_leakage += leak;
    if (row) row->energy_leakage += leak;
    if (op.kind == workloads::OpKind::kVector) {
      // Elementwise operations at the widest operand's format.
      workloads::NumberFormat widest{workloads::NumberKind::kInt, 8};
      for (const auto* list : {&op.inputs, &op.outputs}) {
        for (const auto& o : *list) {
          if (o.ref.bits > widest.bits || o.ref.kind != workloads::NumberKind::kInt) {
            widest = {o.ref.kind, o.ref.bits};
          }
        }
      }
      const models::Femtojoules fj =
          to_fj(static_cast<double>(r.vector_ops) * models::vector_op_energy_pj(e, widest));
      total.add(&EnergyBreakdown::vector, compute, phase, fj);
      if (row) row->energy_vector += fj;
      continue;
    }
    const models::Femtojoules mac = to_fj(
        static_cast<double>(r.macs) *
        models::mac_energy_pj(e, {op.b.kind, op.b.bits}, {op.a.kind, op.a.bits}, op.acc_bits));
    total.add(&EnergyBreakdown::mac, compute, phase, mac);
    if (row) {
      row->energy_mac += mac;
      if (row->w_format.empty()) {
        row->w_format = workloads::NumberFormat{op.b.kind, op.b.bits}.name();
        row->a_format = workloads::NumberFormat{op.a.kind, op.a.bits}.name();
      }
    }
  }
  const models::Femtojoules run_leakage =
      to_fj(e.leakage_mw * top.host.finish_time().to_seconds() * 1e12 * 1e-3);
  if (run_leakage > op_leakage) {
    total.add(&EnergyBreakdown::leakage, compute, other, run_leakage - op_leakage);
  }

  // SRAM: bits moved in each buffer at that buffer's energy per bit.
  for (const auto& buffer : top.buffers) {
    const double read_pj = models::sram_energy_pj_per_bit(e, buffer->size_bytes(), false);
    const double write_pj = models::sram_energy_pj_per_bit(e, buffer->size_bytes(), true);
    const std::uint32_t layers =
        std::max(buffer->reads().layer_count(), buffer->writes().layer_count());
    for (std::uint32_t l = 0; l < layers; ++l) {
      for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
        for (std::size_t ph = 0; ph < workloads::kPhaseCount; ++ph) {
          const auto cls = static_cast<workloads::TensorClass>(c);
          const auto phase = static_cast<workloads::Phase>(ph);
          const double bits_read = 8.0 * buffer->reads().cell(l, cls, phase);
          const double bits_written = 8.0 * buffer->writes().cell(l, cls, phase);
          if (bits_read == 0 && bits_written == 0) continue;
          const models::Femtojoules fj = to_fj(bits_read * read_pj + bits_written * write_pj);
          total.add(&EnergyBreakdown::sram, c, ph, fj);
          if (LayerResult* row = row_of(l, ph)) row->energy_sram += fj;
        }
      }
    }
  }

  // DRAM: the model's traffic energy (bursts, activates, precharges) shared out by bytes moved;
  // refresh and background power are the DRAM's standing cost.
  const auto& p = params.dram;
  const auto& counters = top.dram.counters();
  const double burst_bits = static_cast<double>(p.burst_bytes()) * 8.0;
  const models::Femtojoules dram_total = to_fj(top.dram.energy_pj());
  const models::Femtojoules dram_traffic =
      std::min(dram_total,
               to_fj(static_cast<double>(counters.activates) * p.activate_pj +
                     static_cast<double>(counters.precharges) * p.precharge_pj +
                     static_cast<double>(counters.read_bursts) * burst_bits * p.read_pj_per_bit +
                     static_cast<double>(counters.write_bursts) * burst_bits * p.write_pj_per_bit));
  struct Cell {
    std::uint32_t layer;
    std::size_t cls, phase;
  };
  std::vector<Cell> cells;
  std::vector<std::uint64_t> bytes;
  const auto& reads = top.dma.dram_reads();
  const auto& writes = top.dma.dram_writes();
  for (std::uint32_t l = 0; l < std::max(reads.layer_count(), writes.layer_count()); ++l) {
    for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
      for (std::size_t ph = 0; ph < workloads::kPhaseCount; ++ph) {
        const auto cls = static_cast<workloads::TensorClass>(c);
        const auto phase = static_cast<workloads::Phase>(ph);
        const std::uint64_t moved = reads.cell(l, cls, phase) + writes.cell(l, cls, phase);
        if (moved == 0) continue;
        cells.push_back({l, c, ph});
        bytes.push_back(moved);
      }
    }
  }
  const auto shares = models::split_exactly(cells.empty() ? 0 : dram_traffic, bytes);
  for (std::size_t i = 0; i < cells.size(); ++i) {
    total.add(&EnergyBreakdown::dram, cells[i].cls, cells[i].phase, shares[i]);
    if (LayerResult* row = row_of(cells[i].layer, cells[i].phase)) row->energy_dram += shares[i];
  }
  const models::Femtojoules standing = dram_total - (cells.empty() ? 0 : dram_traffic);
  total.add(&EnergyBreakdown::dram, compute, other, standing);
}

/// What a trace can only be given once the run's figures are known: names for the layer and
/// op indices, the energy consumed so far (stepping at the end of each op, the op's share of
/// its layers.csv row, up to the run's total at the end), and one timeline slice per op.
void finish_trace(const workloads::Network& network, const workloads::Program& program,
                  const Top& top, const RunResult& result, sim::VcdWriter& vcd) {
  const auto finish_ps = static_cast<std::uint64_t>(top.host.finish_time().value());
  std::vector<std::string> names;
  for (const auto& layer : network.layers) names.push_back(layer.name);
  if (const auto id = vcd.find_signal("top.controller.layer_index")) vcd.set_legend(*id, names);
  names.clear();
  for (const auto& op : program.ops) {
    names.push_back(op.name.empty()
                        ? network.layers[op.layer].name + "." + workloads::phase_name(op.phase)
                        : op.name);
  }
  if (const auto id = vcd.find_signal("top.host.op_index")) vcd.set_legend(*id, names);
  names.clear();
  for (std::size_t p = 0; p < workloads::kPhaseCount; ++p) {
    names.push_back(workloads::phase_name(static_cast<workloads::Phase>(p)));
  }
  if (const auto id = vcd.find_signal("top.host.phase")) vcd.set_legend(*id, names);

  const auto& records = top.controller.records();
  const auto energy = vcd.add_signal("top.energy", "cumulative_pj", 64, sim::TraceLevel::kLayer);
  std::vector<std::uint64_t> row_ps(result.layers.size(), 0);
  auto row_of = [&](const models::OpRecord& r) {
    for (std::size_t i = 0; i < result.layers.size(); ++i) {
      if (result.layers[i].layer == r.layer &&
          result.layers[i].phase_index == static_cast<std::uint32_t>(r.phase)) {
        return i;
      }
    }
    return result.layers.size();
  };
  for (const auto& r : records) {
    const std::size_t row = row_of(r);
    if (row < row_ps.size()) row_ps[row] += r.end_ps - r.start_ps;
  }
  double fj = 0;
  vcd.change(energy, 0, 0);
  for (const auto& r : records) {
    const std::size_t row = row_of(r);
    if (row < row_ps.size() && row_ps[row] > 0) {
      const auto& l = result.layers[row];
      const double row_fj = static_cast<double>(l.energy_mac + l.energy_sram + l.energy_dram +
                                                l.energy_vector + l.energy_leakage);
      fj += row_fj * static_cast<double>(r.end_ps - r.start_ps) / static_cast<double>(row_ps[row]);
    }
    vcd.change(energy, r.end_ps, static_cast<std::uint64_t>(fj / 1000.0 + 0.5));
  }
  vcd.change(energy, finish_ps, (result.energy.total() + 500) / 1000);
  vcd.set_end_time(finish_ps);

  if (sim::Timeline* timeline = vcd.timeline(sim::TraceLevel::kLayer)) {
    const auto track = timeline->track("top.controller");
    for (const auto& r : records) {
      timeline->slice(track, network.layers[r.layer].name + " " + workloads::phase_name(r.phase),
                      r.start_ps, r.end_ps,
                      {{"op_index", r.op_index},
                       {"compute_cycles", r.compute_cycles},
                       {"stall_cycles", r.stall_cycles},
                       {"tiles", r.tiles}});
    }
  }
}

}  // namespace

RunResult simulate(const PlatformParams& params, const workloads::Network& network,
                   const workloads::Program& program, const PlannedProgram& planned,
                   sim::VcdWriter* vcd) {
  if (params.accelerator.type == "pipelined") {
    return simulate_pipelined(params, network, program, vcd);
  }
  RunResult result;
  if (!planned.feasible) {
    result.feasible = false;
    result.reason = planned.reason;
    return result;
  }
  sim::Stats stats;
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(params.sim.quantum_ns, sc_core::SC_NS));
  std::vector<models::HostCommand> commands;
  if (!build_commands(params, network, program, planned, commands, result.reason)) {
    result.feasible = false;
    return result;
  }
  Top top("top", params, std::move(commands), stats, vcd);
  sc_core::sc_start();
  // Posted writes still buffered and refreshes in idle time belong to the run.
  top.dram.account_until(sc_core::sc_time_stamp());

  const double clock_ps = top.accel_clock.to_seconds() * 1e12;
  result.simulated_ns = top.host.finish_time().to_seconds() * 1e9;
  result.total_cycles =
      static_cast<std::uint64_t>(top.host.finish_time().to_seconds() * 1e12 / clock_ps + 0.5);
  result.checked_ops = top.host.checked_ops();
  const double pes =
      static_cast<double>(params.accelerator.pe_array.rows) * params.accelerator.pe_array.cols;

  // One row per layer and phase (in order of first appearance), from the controller's
  // records and the ledgers.
  std::vector<std::pair<std::uint32_t, workloads::Phase>> keys;
  for (const auto& record : top.controller.records()) {
    const auto& op = program.ops[record.op_index];
    const auto& layer = network.layers[record.layer];
    const std::pair<std::uint32_t, workloads::Phase> key{record.layer, record.phase};
    std::size_t index = std::find(keys.begin(), keys.end(), key) - keys.begin();
    if (index == keys.size()) {
      keys.push_back(key);
      LayerResult row;
      row.name = layer.name;
      row.type = workloads::layer_type_name(layer.type);
      row.phase = workloads::phase_name(record.phase);
      row.layer = record.layer;
      row.phase_index = static_cast<std::uint32_t>(record.phase);
      for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
        const auto cls = static_cast<workloads::TensorClass>(c);
        row.dram_read_bytes_by_class[c] =
            top.dma.dram_reads().cell(record.layer, cls, record.phase);
        row.dram_write_bytes_by_class[c] =
            top.dma.dram_writes().cell(record.layer, cls, record.phase);
        row.dram_bytes_by_class[c] =
            row.dram_read_bytes_by_class[c] + row.dram_write_bytes_by_class[c];
        row.dram_read_bytes += row.dram_read_bytes_by_class[c];
        row.dram_write_bytes += row.dram_write_bytes_by_class[c];
        row.dram_bursts += top.dma.dram_bursts().cell(record.layer, cls, record.phase);
        row.dram_row_hits += top.dma.dram_row_hits().cell(record.layer, cls, record.phase);
        row.dram_requests += top.dma.dram_requests().cell(record.layer, cls, record.phase);
        row.dram_latency_ps += top.dma.dram_latency_ps().cell(record.layer, cls, record.phase);
        for (const auto& buffer : top.buffers) {
          row.sram_read_bytes += buffer->reads().cell(record.layer, cls, record.phase);
          row.sram_write_bytes += buffer->writes().cell(record.layer, cls, record.phase);
        }
      }
      result.layers.push_back(row);
    }
    LayerResult& row = result.layers[index];
    row.cycles += static_cast<std::uint64_t>((record.end_ps - record.start_ps) / clock_ps + 0.5);
    row.compute_cycles += record.compute_cycles;
    row.stall_cycles += record.stall_cycles;
    row.macs += record.macs;
    row.vector_ops += record.vector_ops;
    row.tiles += record.tiles;
    if (op.kind == workloads::OpKind::kGemm && row.loop_order.empty()) {
      const auto& plan = planned.plans[record.op_index];
      row.tile_m = plan.tile_m;
      row.tile_n = plan.tile_n;
      row.tile_k = plan.tile_k;
      row.loop_order = plan.order_name();
    }
    result.stall_cycles += record.stall_cycles;
    result.compute_cycles += record.compute_cycles;
    result.macs += record.macs;
  }
  for (auto& row : result.layers) {
    row.pe_utilization = row.cycles ? static_cast<double>(row.macs) / (row.cycles * pes) : 0;
  }
  result.dram_read_bytes = top.dma.dram_reads().total();
  result.dram_write_bytes = top.dma.dram_writes().total();
  for (const auto& buffer : top.buffers) {
    result.sram_read_bytes += buffer->reads().total();
    result.sram_write_bytes += buffer->writes().total();
  }
  for (std::size_t c = 0; c < workloads::kTensorClassCount; ++c) {
    const auto cls = static_cast<workloads::TensorClass>(c);
    result.dram_bytes_by_class[c] =
        top.dma.dram_reads().class_total(cls) + top.dma.dram_writes().class_total(cls);
  }
  result.pe_utilization =
      result.total_cycles ? static_cast<double>(result.macs) / (result.total_cycles * pes) : 0;
  account_energy(params, program, top, result);
  result.dram_row_hit_rate = top.dram.row_hit_rate();
  result.dram_avg_latency_ns = top.dram.average_latency_ns();
  result.dram_peak_gbps = params.dram.peak_bandwidth_gbps();
  if (top.dram_probe) {
    top.dram_probe->flush(static_cast<std::uint64_t>(sc_core::sc_time_stamp().value()));
  }
  if (vcd) finish_trace(network, program, top, result, *vcd);
  for (const auto& entry : stats.entries()) result.counters.emplace_back(entry.name, *entry.value);
  return result;
}

}  // namespace platforms
