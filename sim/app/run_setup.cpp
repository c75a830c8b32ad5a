#include "sim/app/run_setup.h"

#include <sys/stat.h>

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

}  // namespace

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
  if (!options.scalesim_config.empty()) {
    platforms::apply_scalesim_config(options.scalesim_config, config);
  }
  if (!options.scheme.empty()) config.apply_override("scheme=" + options.scheme, "--scheme");
  if (!options.bitwidth_schedule.empty()) {
    config.apply_override("workload.precision.schedule=" + options.bitwidth_schedule,
                          "--bitwidth-schedule");
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
  config.check_all_read();

  const workloads::Scheme scheme = workloads::parse_scheme(setup.scheme);
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
  setup.program = workloads::lower_program(setup.network, setup.phases.front().precision, scheme,
                                           setup.training);
  if (setup.platform.sim.functional) {
    for (auto& op : setup.program.ops) {
      const auto& layer = setup.network.layers[op.layer];
      if (layer.is_conv() || op.kind != workloads::OpKind::kGemm ||
          op.phase != workloads::Phase::kFwd) {
        continue;
      }
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
