// `edgesim export`: a workload (built-in, YAML, SCALE-Sim CSV or ONNX) as a SCALE-Sim
// topology on stdout, so users can move between the tools (docs/onnx.md).
#include <boost/program_options.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/app/builtins.h"
#include "sim/app/commands.h"
#include "sim/core/config.h"
#include "workloads/network/network.h"
#include "workloads/network/onnx_import.h"
#include "workloads/network/scalesim_topology.h"
#include "workloads/training/precision.h"

namespace po = boost::program_options;

namespace app {

namespace {

constexpr const char* kDescription =
    "Usage: edgesim export --workload FILE|NAME --format scalesim-conv|scalesim-gemm|yaml "
    "[--set key=value ...]\n"
    "Writes a workload's PE-array layers as a SCALE-Sim topology CSV on stdout, or the whole\n"
    "workload as edgesim YAML (yaml: e.g. to inspect or edit an imported ONNX model).\n"
    "Examples:\n"
    "  edgesim export --workload model.onnx --format scalesim-conv > topo.csv\n"
    "  edgesim export --workload resnet18 --format scalesim-gemm --set workload.batch=4\n"
    "  edgesim export --workload bert.onnx --format scalesim-gemm "
    "--set workload.onnx.dims.seq=128\n"
    "  edgesim export --workload model.onnx --format yaml > model.yaml\n\n"
    "SCALE-Sim has no padding, batch, groups or vector ops: a padded layer becomes the input\n"
    "that gives the same output size, every instance (batch sample, group, head) is its own\n"
    "row, depthwise layers are named *_DP in the conv format and one row per channel in the\n"
    "gemm format, vector/layout layers are left out (listed on stderr), and a tensorised (ttm)\n"
    "layer becomes one row per contraction step (<name>_tt1, _tt2, ...).\n\nOptions";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool looks_like_path(const std::string& text) {
  return text.find('/') != std::string::npos || text.find('.') != std::string::npos;
}

/// Loads the workload into `config` under `workload`, the way `edgesim run` does, with ONNX
/// models imported first (their options come from the --set overrides).
void load_workload(sim::Config& config, const std::string& workload,
                   const std::vector<std::string>& sets) {
  if (workload.empty()) throw sim::ConfigError("--workload: expected a workload name or file");
  if (ends_with(workload, ".onnx")) {
    sim::Config overrides;
    for (const auto& assignment : sets) overrides.apply_override(assignment);
    const auto options = workloads::parse_onnx_import_options(overrides.root().child("workload"));
    const workloads::Network network = workloads::import_onnx(workload, options);
    config.load_text(workloads::network_to_yaml(network), workload, "workload");
    return;
  }
  if (ends_with(workload, ".csv")) {
    const workloads::Network network = workloads::load_scalesim_topology(workload, "auto");
    config.load_text(workloads::network_to_yaml(network), workload, "workload");
    return;
  }
  if (looks_like_path(workload)) {
    config.load_file(workload, "workload");
    return;
  }
  std::vector<std::string> names;
  for (const auto& b : builtins()) {
    if (std::string(b.kind) != "workload") continue;
    if (workload == b.name) {
      config.load_text(b.text, "<built-in workload " + workload + ">", "workload");
      return;
    }
    names.push_back(b.name);
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  std::string message = "--workload: unknown workload '" + workload + "'";
  const std::string suggestion = sim::closest_match(workload, names);
  if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
  throw sim::ConfigError(message + "; expected a built-in (" + list +
                         "), a YAML file, a SCALE-Sim .csv or an ONNX .onnx model");
}

/// A layer name SCALE-Sim reads back unchanged: no commas or spaces, and "DP" (its
/// depthwise marker) only on depthwise layers.
std::string scalesim_name(std::string name, bool depthwise) {
  for (char& c : name) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#') c = '_';
  }
  if (name.empty()) name = "layer";
  if (!depthwise) {
    for (std::size_t at = name.find("DP"); at != std::string::npos; at = name.find("DP", at)) {
      name[at + 1] = 'p';
    }
  } else if (name.find("DP") == std::string::npos) {
    name += "_DP";
  }
  return name;
}

/// Input size that makes SCALE-Sim's ceil((in - kernel + stride) / stride) equal `out` for a
/// window of `kernel` taps (a dilated window keeps its taps: same output, same MACs).
std::uint64_t scalesim_ifmap(std::uint64_t out, std::uint32_t kernel, std::uint32_t stride) {
  return (out - 1) * stride + kernel;
}

/// The forward contraction steps of a ttm layer (SCALE-Sim has no TT layers: each step is one
/// matrix product).
std::vector<workloads::TtmStep> ttm_steps(const workloads::Layer& layer, std::uint32_t batch) {
  return workloads::ttm_forward_steps(layer.tt_shape(), layer.tt_order,
                                      workloads::ttm_batch_rows(layer, batch));
}

std::string conv_csv(const workloads::Network& network, std::vector<std::string>& left_out) {
  std::ostringstream out;
  out << "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
         "Num Filter, Strides,\n";
  for (const auto& layer : network.layers) {
    if (!layer.runs_on_pe_array()) {
      left_out.push_back(layer.name);
      continue;
    }
    const bool depthwise = layer.type == workloads::LayerType::kDepthwiseConv2d;
    const std::string base = scalesim_name(layer.name, depthwise);
    if (layer.is_ttm()) {
      // One matrix product per contraction step, in the layer's order.
      std::size_t s = 0;
      for (const auto& step : ttm_steps(layer, network.batch)) {
        out << base << "_tt" << ++s << "," << step.gemm_m << "," << step.gemm_k << ",1,"
            << step.gemm_k << ",1," << step.gemm_n << ",1,\n";
      }
      continue;
    }
    if (!layer.is_conv()) {
      // A matrix product as SCALE-Sim reads a GEMM: ifmap M x K, one 1 x K filter per column;
      // batch and repeated products are more rows of M.
      const workloads::GemmShape g = layer.gemm(network.batch);
      out << base << "," << g.m << "," << g.k << ",1," << g.k << ",1," << g.n << ",1,\n";
      continue;
    }
    // SCALE-Sim has no batch or groups: every instance of a convolution is its own row.
    const std::uint64_t instances = layer.instances(network.batch);
    for (std::uint64_t i = 0; i < instances; ++i) {
      out << (instances == 1 ? base : base + "_" + std::to_string(i)) << ","
          << scalesim_ifmap(layer.out_h(), layer.kernel_h, layer.stride_h) << ","
          << scalesim_ifmap(layer.out_w(), layer.kernel_w, layer.stride_w) << "," << layer.kernel_h
          << "," << layer.kernel_w << "," << layer.in_c << "," << (depthwise ? 1 : layer.out_c)
          << "," << layer.stride_h << ",";
      if (layer.stride_w != layer.stride_h) out << layer.stride_w << ",";
      out << "\n";
    }
  }
  return out.str();
}

std::string gemm_csv(const workloads::Network& network, std::vector<std::string>& left_out) {
  std::ostringstream out;
  out << "Layer name, M, N, K,\n";
  for (const auto& layer : network.layers) {
    if (!layer.runs_on_pe_array()) {
      left_out.push_back(layer.name);
      continue;
    }
    const std::string base = scalesim_name(layer.name, false);
    if (layer.is_ttm()) {
      std::size_t s = 0;
      for (const auto& step : ttm_steps(layer, network.batch)) {
        out << base << "_tt" << ++s << "," << step.gemm_m << "," << step.gemm_n << ","
            << step.gemm_k << ",\n";
      }
      continue;
    }
    const workloads::GemmShape g = layer.gemm(network.batch);
    for (std::uint64_t group = 0; group < g.groups; ++group) {
      const std::string name =
          g.groups == 1 ? base : base + "_ch" + std::to_string(group);  // depthwise channels
      out << name << "," << g.m << "," << g.n << "," << g.k << ",\n";
    }
  }
  return out.str();
}

}  // namespace

int export_command(int argc, const char* const* argv) {
  std::string workload;
  std::string format;
  std::vector<std::string> sets;
  po::options_description described(kDescription);
  described.add_options()("help,h", "show this help")(
      "workload,w", po::value(&workload),
      "built-in workload name, workload YAML, SCALE-Sim topology .csv or ONNX .onnx model")(
      "format,f", po::value(&format),
      "scalesim-conv (Layer name, IFMAP Height, ..., Strides), scalesim-gemm (Layer name, M, "
      "N, K) or yaml (edgesim workload)")(
      "set,s", po::value(&sets)->composing(),
      "override a workload key, repeatable (e.g. --set workload.batch=4, --set "
      "workload.onnx.unsupported=skip, --set workload.onnx.dims.seq=128)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim export: ") + e.what() +
                           " (see edgesim export --help)");
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  if (workload.empty()) {
    throw sim::ConfigError("edgesim export: --workload is required (see edgesim export --help)");
  }
  if (format != "scalesim-conv" && format != "scalesim-gemm" && format != "yaml") {
    throw sim::ConfigError("--format: expected scalesim-conv, scalesim-gemm or yaml, got '" +
                           format + "'");
  }

  sim::Config config;
  load_workload(config, workload, sets);
  for (const auto& assignment : sets) config.apply_override(assignment);
  sim::ConfigNode node = config.root().child("workload");
  const workloads::Network network = workloads::parse_network(node);
  workloads::parse_onnx_import_options(node);  // reads workload.onnx.* so they count as used
  workloads::parse_precision(node.child("precision"), network);  // checked, not exported
  config.check_all_read();

  if (format == "yaml") {
    std::cout << workloads::network_to_yaml(network);
    return 0;
  }
  std::vector<std::string> left_out;
  std::cout << (format == "scalesim-conv" ? conv_csv(network, left_out)
                                          : gemm_csv(network, left_out));
  if (!left_out.empty()) {
    std::string names;
    for (std::size_t i = 0; i < left_out.size() && i < 8; ++i) {
      names += (i ? ", " : "") + left_out[i];
    }
    if (left_out.size() > 8) names += ", ...";
    std::cerr << "edgesim export: " << left_out.size()
              << " vector/layout layers have no SCALE-Sim equivalent and are left out (" << names
              << ")\n";
  }
  if (!network.skipped_nodes.empty()) {
    std::cerr << "edgesim export: " << network.skipped_nodes.size()
              << " unsupported ONNX nodes were skipped\n";
  }
  return 0;
}

}  // namespace app
