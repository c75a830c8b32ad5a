#include "sim/app/run_setup.h"

#include <sys/stat.h>

#include <algorithm>
#include <limits>
#include <set>

#include "platforms/scalesim_config.h"
#include "sim/app/builtins.h"
#include "workloads/network/onnx_import.h"
#include "workloads/network/scalesim_topology.h"

namespace app {

std::vector<std::string> builtin_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& b : builtins()) {
    if (kind == b.kind) names.push_back(b.name);
  }
  return names;
}

namespace {

bool looks_like_path(const std::string& text) {
  struct stat info {};
  return text.find('/') != std::string::npos || text.find('.') != std::string::npos ||
         stat(text.c_str(), &info) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// Loads a built-in by name or a file by path, mounted at `mount`. Workloads may also be
/// SCALE-Sim topology CSVs; they become the equivalent workload YAML.
void load_named(sim::Config& config, const std::string& option, const std::string& kind,
                const std::string& value, const std::string& mount,
                const std::string& topology_format, const std::vector<std::string>& sets) {
  if (value.empty()) throw sim::ConfigError(option + ": expected a " + kind + " name or file");
  if (kind == "workload" && ends_with(value, ".onnx")) {
    // Import options (batch, unsupported-op handling) come from the overrides.
    sim::Config overrides;
    for (const auto& assignment : sets) overrides.apply_override(assignment);
    const auto import_options =
        workloads::parse_onnx_import_options(overrides.root().child("workload"));
    config.load_text(workloads::network_to_yaml(workloads::import_onnx(value, import_options)),
                     value, mount);
    return;
  }
  if (kind == "workload" && ends_with(value, ".csv")) {
    const workloads::Network network = workloads::load_scalesim_topology(value, topology_format);
    config.load_text(workloads::network_to_yaml(network), value, mount);
    return;
  }
  if (looks_like_path(value)) {
    config.load_file(value, mount);
    return;
  }
  for (const auto& b : builtins()) {
    if (kind == b.kind && value == b.name) {
      config.load_text(b.text, "<built-in " + kind + " " + value + ">", mount);
      return;
    }
  }
  const auto names = builtin_names(kind);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  std::string message = option + ": unknown " + kind + " '" + value + "'";
  const std::string suggestion = sim::closest_match(value, names);
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  throw sim::ConfigError(message + "; expected a built-in (" + list + ") or a YAML file path");
}

std::string join_names(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += (text.empty() ? "" : ", ") + n;
  return text;
}

/// Applies the ranks a schedule gives at `iteration` to the network's ttm layers.
void apply_ranks(workloads::Network& network, const workloads::RankSchedule& schedule,
                 std::uint64_t iteration) {
  for (auto& layer : network.layers) {
    if (!layer.is_ttm()) continue;
    if (const auto* row = schedule.find(layer.name, iteration)) layer.tt_ranks = row->ranks;
  }
}

/// Checks that a rank schedule describes the workload's ttm layers: same names, same factors,
/// ranks within max_rank.
void check_rank_schedule(const workloads::RankSchedule& schedule, const workloads::Network& network,
                         const std::string& file) {
  std::vector<std::string> ttm_names;
  for (const auto& l : network.layers) {
    if (l.is_ttm()) ttm_names.push_back(l.name);
  }
  for (const auto& row : schedule.rows) {
    const auto found =
        std::find_if(network.layers.begin(), network.layers.end(),
                     [&](const workloads::Layer& l) { return l.name == row.layer_name; });
    if (found == network.layers.end() || !found->is_ttm()) {
      throw sim::ConfigError(file + ": layer_name: must name a ttm layer of workload '" +
                             network.name + "' (" +
                             (ttm_names.empty() ? std::string("it has none; add workload.tensorize")
                                                : join_names(ttm_names)) +
                             "), got '" + row.layer_name + "'");
    }
    if (row.m != found->tt_m || row.n != found->tt_n) {
      throw sim::ConfigError(
          file + ": layer '" + row.layer_name + "': m and n must match the " +
          "workload's tensorize factors m=" + workloads::join_factors(found->tt_m) +
          " n=" + workloads::join_factors(found->tt_n) +
          ", got m=" + workloads::join_factors(row.m) + " n=" + workloads::join_factors(row.n));
    }
    if (found->tt_max_rank != 0) {
      for (const auto r : row.ranks) {
        if (r > found->tt_max_rank) {
          throw sim::ConfigError(file + ": layer '" + row.layer_name + "': ranks must not exceed " +
                                 "its max_rank " + std::to_string(found->tt_max_rank) + ", got " +
                                 workloads::join_factors(row.ranks));
        }
      }
    }
  }
}

/// Splits bitwidth phases and rank ranges at the union of their boundaries.
std::vector<workloads::BitwidthPhase> merge_phases(
    const std::vector<workloads::BitwidthPhase>& widths,
    const std::vector<workloads::quant::IterationRange>& ranks) {
  std::set<std::uint64_t> cuts;
  std::uint64_t end = 0;
  for (const auto& p : widths) {
    cuts.insert(p.first_iteration);
    end = std::max(end, p.first_iteration + p.iterations);
  }
  for (const auto& r : ranks) cuts.insert(r.begin);
  std::vector<workloads::BitwidthPhase> merged;
  for (auto it = cuts.begin(); it != cuts.end(); ++it) {
    const auto next = std::next(it);
    const std::uint64_t stop = next == cuts.end() ? end : *next;
    if (stop <= *it) continue;
    workloads::BitwidthPhase phase;
    phase.first_iteration = *it;
    phase.iterations = stop - *it;
    for (const auto& p : widths) {
      if (p.first_iteration <= *it && *it < p.first_iteration + p.iterations) {
        phase.precision = p.precision;
      }
    }
    merged.push_back(phase);
  }
  return merged;
}

}  // namespace

workloads::TtmPlacement ttm_placement(const platforms::PlatformParams& platform, bool on_chip) {
  workloads::TtmPlacement placement;
  placement.container_bits = platform.accelerator.container_bits;
  if (!on_chip) return placement;
  const auto& sram = platform.accelerator.sram;
  if (sram.organisation == "unified") {
    placement.intermediate_bytes = sram.unified_bytes / 4;
    placement.core_bytes = sram.unified_bytes / 4;
  } else {
    placement.intermediate_bytes = sram.ifmap_bytes / 2;
    placement.core_bytes = sram.weight_bytes / 2;
  }
  return placement;
}

platforms::PlatformParams planning_platform(const platforms::PlatformParams& platform,
                                            const workloads::Network& network,
                                            const workloads::Program& program) {
  const workloads::TtmReservation held =
      workloads::ttm_sram_reservation(network, program, platform.accelerator.container_bits);
  platforms::PlatformParams planning = platform;
  auto& sram = planning.accelerator.sram;
  auto less = [](std::uint64_t& bytes, std::uint64_t taken) { bytes -= std::min(bytes, taken); };
  if (sram.organisation == "unified") {
    less(sram.unified_bytes, held.partial_bytes + held.core_bytes);
  } else {
    less(sram.ifmap_bytes, held.partial_bytes);
    less(sram.weight_bytes, held.core_bytes);
  }
  return planning;
}

void choose_ttm_orders(workloads::Network& network, const platforms::PlatformParams& platform,
                       const std::vector<workloads::LayerPrecision>& precision,
                       workloads::Scheme scheme, const workloads::TrainingParams& training,
                       const workloads::TtmPlacement& placement) {
  const bool is_training = scheme != workloads::Scheme::kInference;
  workloads::resolve_ttm_orders(network, is_training);
  if (network.tt_order_by != "latency") return;
  const double bytes_per_cycle =
      platform.dram.peak_bandwidth_gbps() * 1e3 / platform.accelerator.clock_mhz;
  for (std::uint32_t i = 0; i < network.layers.size(); ++i) {
    auto& layer = network.layers[i];
    if (!layer.is_ttm() || !layer.tt_order_auto) continue;
    std::vector<workloads::TtmOrder> candidates = {workloads::TtmOrder::kRightToLeft,
                                                   workloads::TtmOrder::kLeftToRight};
    if (!is_training) candidates.push_back(workloads::TtmOrder::kRebuildDense);
    workloads::TtmOrder best = layer.tt_order;
    std::uint64_t best_cycles = std::numeric_limits<std::uint64_t>::max();
    for (const auto order : candidates) {
      layer.tt_order = order;
      const workloads::Program program =
          workloads::lower_program(network, precision, scheme, training, placement);
      const platforms::PlatformParams planning = planning_platform(platform, network, program);
      const workloads::TilerParams tiler = platforms::tiler_params(planning);
      std::uint64_t cycles = 0;
      for (const auto& op : program.ops) {
        if (op.layer != i || op.kind != workloads::OpKind::kGemm) continue;
        const platforms::PlannedProgram one =
            platforms::plan_program(planning, network, workloads::Program{program.scheme, {op}});
        const std::uint64_t c =
            workloads::estimate_cycles(one.plans.front(), op, tiler, bytes_per_cycle);
        cycles = c == std::numeric_limits<std::uint64_t>::max() ? c : cycles + c;
        if (c == std::numeric_limits<std::uint64_t>::max()) break;
      }
      if (cycles < best_cycles) {
        best_cycles = cycles;
        best = order;
      }
    }
    layer.tt_order = best;
  }
}

RunSetup prepare_run(const RunOptions& options) {
  RunSetup setup;
  setup.config = std::make_unique<sim::Config>();
  sim::Config& config = *setup.config;
  if (!options.config_file.empty()) {
    config.load_file(options.config_file);
  } else {
    load_named(config, "--platform", "platform", options.platform, "", "", options.sets);
    load_named(config, "--workload", "workload", options.workload, "workload",
               options.topology_format, options.sets);
  }
  if (!options.tensorize_file.empty()) {
    // Only the tensorize keys: the file turns the workload into its tensorised variant.
    sim::Config check;
    check.load_file(options.tensorize_file);
    for (const auto& key : check.root().given_keys()) {
      if (key != "tensorize" && key != "tensorize_order_by" && key != "tensorize_on_chip") {
        check.root().fail(key,
                          "--tensorize files hold only tensorize, tensorize_order_by and "
                          "tensorize_on_chip, got '" +
                              key + "'");
      }
    }
    config.load_file(options.tensorize_file, "workload");
  }
  if (!options.scalesim_config.empty()) {
    platforms::apply_scalesim_config(options.scalesim_config, config);
  }
  if (!options.scheme.empty()) config.apply_override("scheme=" + options.scheme, "--scheme");
  if (!options.bitwidth_schedule.empty()) {
    config.apply_override("workload.precision.schedule=" + options.bitwidth_schedule,
                          "--bitwidth-schedule");
  }
  if (!options.rank_schedule.empty()) {
    config.apply_override("workload.rank_schedule=" + options.rank_schedule, "--rank-schedule");
  }
  for (const auto& assignment : options.sets) config.apply_override(assignment);
  if (options.vcd) config.apply_override("trace.vcd=true", "--vcd");

  sim::ConfigNode root = config.root();
  setup.scheme = root.get_choice("scheme", "inference", {"inference", "fp32", "qat", "rct"});
  setup.platform = platforms::parse_platform(root);
  const sim::ConfigNode workload = root.child("workload");
  setup.network = workloads::parse_network(workload);
  workloads::parse_onnx_import_options(workload);  // workload.onnx.* and batch count as read
  const std::vector<workloads::LayerPrecision> precision =
      workloads::parse_precision(workload.child("precision"), setup.network);
  setup.training = workloads::parse_training(root.child("training"));
  setup.precision = precision;
  const bool ttm_on_chip = workload.get<bool>("tensorize_on_chip", true);
  const std::string rank_file = workload.get<std::string>("rank_schedule", "");
  config.check_all_read();

  const workloads::Scheme scheme = workloads::parse_scheme(setup.scheme);
  const bool training = scheme != workloads::Scheme::kInference;
  setup.ttm_placement = ttm_placement(setup.platform, ttm_on_chip);
  for (const auto& layer : setup.network.layers) {
    if (layer.is_ttm() && setup.platform.accelerator.type != "systolic") {
      root.child("accelerator")
          .fail("type", "must be systolic to run tensorised (ttm) layers such as '" + layer.name +
                            "', got " + setup.platform.accelerator.type);
    }
  }
  for (const auto& layer : setup.network.layers) {
    if (!training || !layer.is_ttm() || layer.tt_order_auto ||
        layer.tt_order != workloads::TtmOrder::kRebuildDense) {
      continue;
    }
    const std::string what = "must be auto, left_to_right or right_to_left under the " +
                             setup.scheme +
                             " scheme (the core gradients need the partial products of a "
                             "sequential order), got rebuild_dense";
    const sim::ConfigNode tensorize = workload.child("tensorize");
    if (tensorize.has(layer.name)) tensorize.child(layer.name).fail("order", what);
    throw sim::ConfigError("workload: layer '" + layer.name + "': tt.order " + what);
  }
  choose_ttm_orders(setup.network, setup.platform, precision, scheme, setup.training,
                    setup.ttm_placement);
  const std::string schedule_file = workload.child("precision").get<std::string>("schedule", "");
  if (scheme == workloads::Scheme::kRct && !schedule_file.empty()) {
    // A real run's schedule decides the widths, iteration by iteration.
    setup.schedule = workloads::quant::read_schedule_csv(schedule_file);
    setup.phases = workloads::schedule_phases(setup.network, precision, setup.schedule);
  } else if (scheme == workloads::Scheme::kRct) {
    setup.phases = workloads::rct_policy_phases(setup.network, precision, setup.training.rct_policy,
                                                setup.training.gradient_model,
                                                setup.training.iterations, setup.schedule);
  } else {
    setup.phases = {{0, setup.training.iterations, precision}};
  }
  if (!rank_file.empty()) {
    // Ranks change over iterations: each range of identical ranks (and widths) is one phase.
    setup.rank_schedule = workloads::read_rank_schedule_csv(rank_file);
    check_rank_schedule(setup.rank_schedule, setup.network, rank_file);
    const std::uint64_t total = setup.rank_schedule.iteration_count();
    std::uint64_t width_total = 0;
    for (const auto& p : setup.phases) width_total += p.iterations;
    const sim::ConfigNode training_node = root.child("training");
    if (training_node.has("iterations") && setup.training.iterations != total) {
      training_node.fail("iterations", "must equal the " + std::to_string(total) + " iterations " +
                                           rank_file + " covers (or be left out), got " +
                                           std::to_string(setup.training.iterations));
    }
    if (scheme != workloads::Scheme::kRct) {
      setup.phases = {{0, total, precision}};
    } else if (width_total != total) {
      throw sim::ConfigError(rank_file + ": covers " + std::to_string(total) +
                             " iterations, the bitwidth schedule " + std::to_string(width_total) +
                             "; they must agree (set training.iterations=" + std::to_string(total) +
                             ")");
    }
    setup.phases = merge_phases(setup.phases, setup.rank_schedule.constant_rank_ranges());
    for (const auto& phase : setup.phases) {
      workloads::Network network = setup.network;
      apply_ranks(network, setup.rank_schedule, phase.first_iteration);
      choose_ttm_orders(network, setup.platform, phase.precision, scheme, setup.training,
                        setup.ttm_placement);
      setup.phase_networks.push_back(network);
    }
    setup.network = setup.phase_networks.front();
  }
  setup.program = workloads::lower_program(setup.network, setup.phases.front().precision, scheme,
                                           setup.training, setup.ttm_placement);
  if (setup.platform.sim.functional) {
    for (auto& op : setup.program.ops) {
      const auto& layer = setup.network.layers[op.layer];
      if (!workloads::functionally_checked(setup.network, op)) continue;
      const auto& p = precision[op.layer];
      if (p.w.name() != "8" || p.a.name() != "8" || p.acc.name() != "32") {
        root.child("sim").fail("functional",
                               "needs int8 weights and activations with int32 "
                               "accumulators; layer '" +
                                   layer.name + "' has w " + p.w.name() + ", a " + p.a.name() +
                                   ", acc " + p.acc.name());
      }
      if (op.shape.macs() > setup.platform.sim.max_functional_macs) {
        root.child("sim").fail("functional",
                               "checks gemm/fc layers of at most sim.max_functional_macs=" +
                                   std::to_string(setup.platform.sim.max_functional_macs) +
                                   " MACs; layer '" + layer.name + "' has " +
                                   std::to_string(op.shape.macs()));
      }
      op.c.bits = 32;  // raw int32 accumulators, so the host can compare them
    }
  }
  return setup;
}

}  // namespace app
