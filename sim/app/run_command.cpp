// `edgesim run`: one design point, one process.
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/app/commands.h"
#include "sim/app/phases.h"
#include "sim/app/report.h"
#include "sim/app/run_setup.h"
#include "sim/core/gtkw_writer.h"
#include "sim/core/timeline.h"
#include "sim/core/vcd_writer.h"
#include "sim/report/scalesim_report.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace app {

namespace {

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%d-%H%M%S", &local);
  return text;
}

std::string stem(const std::string& name_or_path) {
  const fs::path path(name_or_path);
  return path.stem().string();
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

/// SCALE-Sim's three reports: compute and SRAM columns from the fold model, stalls and DRAM
/// traffic from the simulated memory system (one-byte words, as SCALE-Sim counts).
void write_scalesim(const fs::path& dir, const RunSetup& setup,
                    const platforms::RunResult& result) {
  const auto& pe = setup.platform.accelerator.pe_array;
  const bool compat = setup.platform.sim.scalesim_compat;
  std::vector<report::ScalesimLayerRow> rows;
  // One SCALE-Sim layer per layer that runs on the PE array, with its forward row.
  for (const auto& simulated : result.layers) {
    if (simulated.phase != "fwd") continue;
    const auto& layer = setup.network.layers[simulated.layer];
    if (!layer.runs_on_pe_array()) continue;
    if (setup.platform.sim.scalesim_replay) {
      // SCALE-Sim's own double-buffered prefetch model gives its exact DRAM columns.
      models::ScalesimMemoryConfig memory;
      memory.ifmap_sram_bytes = setup.platform.accelerator.sram.ifmap_bytes;
      memory.filter_sram_bytes = setup.platform.accelerator.sram.weight_bytes;
      memory.ofmap_sram_bytes = setup.platform.accelerator.sram.ofmap_bytes;
      for (auto& row : report::scalesim_replayed_rows_for_layer(layer, setup.network.batch, pe.rows,
                                                                pe.cols, pe.dataflow, memory)) {
        rows.push_back(row);
      }
      continue;
    }
    auto layer_rows = report::scalesim_rows_for_layer(
        layer, setup.network.batch, pe.rows, pe.cols, pe.dataflow,
        compat ? models::Accounting::kScalesimCompat : models::Accounting::kEdgesim);
    const auto index = [](workloads::TensorClass cls) { return static_cast<std::size_t>(cls); };
    const std::uint64_t act = index(workloads::TensorClass::kActivation);
    const std::uint64_t weight = index(workloads::TensorClass::kWeight);
    // The DRAM columns and stalls belong to the layer as a whole: put them on its first row.
    auto& first = layer_rows.front();
    first.stall_cycles = compat ? 0 : simulated.stall_cycles;
    const auto stop = static_cast<std::int64_t>(simulated.cycles);
    first.dram_ifmap = {0, stop, simulated.dram_read_bytes_by_class[act]};
    first.dram_filter = {0, stop, simulated.dram_read_bytes_by_class[weight]};
    first.dram_ofmap = {0, stop, simulated.dram_write_bytes_by_class[act]};
    for (auto& row : layer_rows) rows.push_back(row);
  }
  fs::create_directories(dir);
  report::write_scalesim_reports(dir.string(), rows);
}

std::string factors_json(const std::vector<std::uint32_t>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i)
    text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

/// The ttm layers of a network, for summary.json ("tensorized_layers") and tensorized.csv.
void describe_ttm_layers(const workloads::Network& network, std::string& json, std::string& csv) {
  std::ostringstream j, c;
  c << "layer_index,name,source,m,n,ranks,order,parameters,dense_parameters,forward_macs,"
       "dense_forward_macs\n";
  j << "[";
  bool first = true;
  for (std::uint32_t i = 0; i < network.layers.size(); ++i) {
    const auto& l = network.layers[i];
    if (!l.is_ttm()) continue;
    const workloads::TtmShape shape = l.tt_shape();
    const std::uint64_t dense = workloads::ttm_dense_parameters(shape);
    const std::uint64_t macs = l.macs(network.batch);
    const std::uint64_t dense_macs = l.gemm(network.batch).macs();
    const std::string order =
        std::string(workloads::ttm_order_name(l.tt_order)) + (l.tt_order_auto ? "" : " (set)");
    j << (first ? "\n    " : ",\n    ") << "{\"name\": \"" << l.name << "\", \"source\": \""
      << workloads::layer_type_name(l.tt_source) << "\", \"m\": " << factors_json(l.tt_m)
      << ", \"n\": " << factors_json(l.tt_n) << ", \"ranks\": " << factors_json(l.tt_ranks)
      << ", \"order\": \"" << workloads::ttm_order_name(l.tt_order)
      << "\", \"parameters\": " << l.weight_elements() << ", \"dense_parameters\": " << dense
      << ", \"forward_macs\": " << macs << ", \"dense_forward_macs\": " << dense_macs << "}";
    c << i << ',' << l.name << ',' << workloads::layer_type_name(l.tt_source) << ','
      << workloads::join_factors(l.tt_m) << ',' << workloads::join_factors(l.tt_n) << ','
      << workloads::join_factors(l.tt_ranks) << ',' << order << ',' << l.weight_elements() << ','
      << dense << ',' << macs << ',' << dense_macs << '\n';
    first = false;
  }
  j << (first ? "]" : "\n  ]");
  json = j.str();
  csv = c.str();
}

/// tensorized_steps.csv: every GEMM a ttm layer's program runs (the first phase), with its
/// shape, MACs, operand sizes and where each operand lives.
std::string ttm_steps_csv(const workloads::Network& network, const workloads::Program& program) {
  std::ostringstream c;
  c << "op_index,layer,phase,op,gemm_m,gemm_n,gemm_k,macs,a_role,a_elements,a_on_chip,b_role,"
       "b_elements,b_on_chip,c_role,c_elements,c_on_chip\n";
  for (std::size_t i = 0; i < program.ops.size(); ++i) {
    const auto& op = program.ops[i];
    if (op.kind != workloads::OpKind::kGemm || !network.layers[op.layer].is_ttm()) continue;
    const auto& g = op.shape;
    c << i << ',' << network.layers[op.layer].name << ',' << workloads::phase_name(op.phase) << ','
      << op.name << ',' << g.m << ',' << g.n << ',' << g.k << ',' << g.macs() << ','
      << workloads::tensor_role_name(op.a_role) << ',' << g.m * g.k << ',' << op.a_on_chip << ','
      << workloads::tensor_role_name(op.b_role) << ',' << g.k * g.n << ',' << op.b_on_chip << ','
      << workloads::tensor_role_name(op.c_role) << ',' << g.m * g.n << ',' << op.c_on_chip << '\n';
  }
  return c.str();
}

/// "fc1=1;20;20;20;1 fc2=1;20;1": the ranks of every ttm layer.
std::string ranks_text(const workloads::Network& network) {
  std::string text;
  for (const auto& l : network.layers) {
    if (l.is_ttm())
      text += (text.empty() ? "" : " ") + l.name + "=" + workloads::join_factors(l.tt_ranks);
  }
  return text;
}

}  // namespace

int run_command(int argc, const char* const* argv) {
  const auto wall_start = std::chrono::steady_clock::now();
  RunOptions options;
  std::string out_dir;
  std::string topology;
  std::vector<std::string> reports;
  bool quiet = false;
  po::options_description described(
      "Usage: edgesim run [options]\n"
      "Simulates one design point: a platform running a workload under a scheme.\n"
      "Example: edgesim run --platform edge_npu --workload tiny_cnn "
      "--set accelerator.pe_array.rows=32 --out runs/try1\n\nOptions");
  described.add_options()("help,h", "show this help")(
      "platform,p", po::value(&options.platform)->default_value(options.platform),
      "built-in platform name or a platform YAML file (e.g. --platform edge_npu, "
      "--platform my_npu.yaml)")(
      "workload,w", po::value(&options.workload)->default_value(options.workload),
      "built-in workload name or a workload YAML file (e.g. --workload tiny_cnn)")(
      "scheme", po::value(&options.scheme),
      "inference (default), or one training iteration under fp32, qat or rct "
      "(docs/training.md)")(
      "config", po::value(&options.config_file),
      "a config.resolved.yaml from an earlier run: reproduces it exactly (replaces --platform "
      "and --workload)")("set,s", po::value(&options.sets)->composing(),
                         "override any config key, repeatable, type-checked like the file "
                         "(e.g. --set accelerator.pe_array.rows=32 --set workload.batch=4)")(
      "out,o", po::value(&out_dir),
      "run directory (default runs/<platform>-<workload>-<timestamp>)")(
      "vcd", po::bool_switch(&options.vcd),
      "write trace.vcd and trace.gtkw (same as --set trace.vcd=true; level, window and "
      "signal filters under trace.*, docs/traces.md)")(
      "scalesim-config", po::value(&options.scalesim_config),
      "a SCALE-Sim .cfg (array size, SRAM sizes, dataflow) applied over the platform; turns on "
      "sim.scalesim_compat (e.g. --scalesim-config scale.cfg --topology resnet18.csv)")(
      "bitwidth-schedule", po::value(&options.bitwidth_schedule),
      "per-layer widths from a schedule.csv written by `edgesim train` (same as --set "
      "workload.precision.schedule=FILE)")(
      "tensorize", po::value(&options.tensorize_file),
      "a YAML file with tensorize: (and optionally tensorize_order_by, tensorize_on_chip) "
      "merged into the workload, e.g. examples/tensorized/mlp_tt20.yaml (docs/tensorized.md)")(
      "rank-schedule", po::value(&options.rank_schedule),
      "ttm ranks over iterations from a rank_schedule.csv (same as --set "
      "workload.rank_schedule=FILE); each range of identical ranks is simulated once "
      "(docs/tensorized.md)")(
      "topology", po::value(&topology),
      "a SCALE-Sim topology CSV as the workload (same as --workload FILE.csv)")(
      "topology-format", po::value(&options.topology_format)->default_value("auto"),
      "format of a topology CSV: conv, gemm or auto (decided by its header)")(
      "report", po::value(&reports)->composing(),
      "extra reports: scalesim (COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and "
      "DETAILED_ACCESS_REPORT.csv in <out>/scalesim/)")("quiet,q", po::bool_switch(&quiet),
                                                        "print nothing on success");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim run: ") + e.what() + " (see edgesim run --help)");
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }

  if (!topology.empty()) options.workload = topology;
  for (const auto& name : reports) {
    if (name != "scalesim") {
      throw sim::ConfigError("--report: unknown report '" + name + "', expected scalesim");
    }
  }
  if (options.topology_format != "auto" && options.topology_format != "conv" &&
      options.topology_format != "gemm") {
    throw sim::ConfigError("--topology-format: expected conv, gemm or auto, got '" +
                           options.topology_format + "'");
  }
  RunSetup setup = prepare_run(options);
  const bool pipelined = setup.platform.accelerator.type == "pipelined";
  if (pipelined && !reports.empty()) {
    throw sim::ConfigError(
        "--report scalesim: needs a systolic accelerator (SCALE-Sim models one), but "
        "accelerator.type is pipelined");
  }
  const std::string platform_name =
      options.config_file.empty() ? stem(options.platform) : setup.platform.name;
  const std::string workload_name = setup.network.name;

  // The run directory is staged and renamed at the end, so a failed run never leaves a
  // directory that looks complete.
  if (out_dir.empty()) {
    out_dir = "runs/" + platform_name + "-" + workload_name + "-" + timestamp();
    for (int suffix = 2; fs::exists(out_dir); ++suffix) {
      out_dir = "runs/" + platform_name + "-" + workload_name + "-" + timestamp() + "-" +
                std::to_string(suffix);
    }
  }
  const fs::path final_dir(out_dir);
  if (fs::exists(final_dir) && !(fs::is_directory(final_dir) && fs::is_empty(final_dir))) {
    throw sim::ConfigError("--out: " + out_dir + ": already exists and is not an empty directory");
  }
  const fs::path staging = final_dir.string() + ".incomplete";
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw sim::ConfigError("--out: cannot create " + staging.string() + ": " + ec.message());

  try {
    // Tracing (docs/traces.md): a timeline-only run still uses a VcdWriter, declaring no
    // signals, as the one trace handle the components see.
    const platforms::TraceParams& trace = setup.platform.trace;
    std::unique_ptr<sim::VcdWriter> vcd;
    std::unique_ptr<sim::Timeline> timeline;
    if (trace.vcd || trace.timeline) {
      vcd = std::make_unique<sim::VcdWriter>(platforms::vcd_options(trace));
    }
    if (trace.timeline) {
      timeline = std::make_unique<sim::Timeline>(trace.window_start_ps, trace.window_end_ps);
      if (!pipelined) {
        for (const char* track :
             {"top.host", "top.controller", "top.pe_array", "top.vector_unit"}) {
          timeline->track(track);  // tracks in the order of the data flow; DMA and DRAM follow
        }
      }
      vcd->attach_timeline(timeline.get());
    }
    write_text(staging / "config.resolved.yaml", setup.config->resolved_yaml());
    // The traced simulation (the only one, or phase 0 in its own process) writes the traces.
    const auto write_traces = [&] {
      if (trace.vcd) {
        vcd->write_file((staging / "trace.vcd").string());
        sim::write_gtkw(*vcd, (staging / "trace.gtkw").string(), "trace.vcd",
                        fs::absolute(final_dir).lexically_normal().string());
      }
      if (timeline) timeline->write_file((staging / "timeline.json").string());
    };
    std::vector<platforms::RunResult> per_phase;
    platforms::RunResult result =
        simulate_phases(setup, staging.string(), vcd.get(), write_traces, &per_phase);
    // Parameters per layers.csv row (the first range's ranks for a rank schedule).
    for (auto& row : result.layers) {
      row.weight_elements = setup.network.layers.at(row.layer).weight_elements();
    }
    if (workloads::parse_scheme(setup.scheme) == workloads::Scheme::kRct &&
        !setup.schedule.rows.empty()) {
      workloads::quant::write_schedule_csv((staging / "schedule.csv").string(), setup.schedule);
    }
    RunInfo info;
    info.platform = platform_name;
    info.workload = workload_name;
    info.scheme = setup.scheme;
    info.iterations = 0;
    for (const auto& phase : setup.phases) info.iterations += phase.iterations;
    info.simulated_phases = setup.phases.size();
    info.skipped_nodes = setup.network.skipped_nodes;
    const workloads::Scheme scheme = workloads::parse_scheme(setup.scheme);
    info.param_memory_bytes = workloads::parameter_memory_bytes(
        setup.network, setup.phases.front().precision, scheme, setup.training);
    // Memory of the data flowing through one iteration (first phase).
    const workloads::ActivationMemory memory = workloads::activation_memory(
        setup.network, setup.program, setup.platform.accelerator.container_bits);
    info.extra_json.emplace_back("activation_memory_bytes",
                                 std::to_string(memory.activation_bytes));
    info.extra_json.emplace_back("intermediate_memory_bytes",
                                 std::to_string(memory.intermediate_bytes));
    bool tensorized = false;
    for (const auto& l : setup.network.layers) tensorized = tensorized || l.is_ttm();
    if (tensorized) {
      std::string json, csv;
      describe_ttm_layers(setup.network, json, csv);
      info.extra_json.emplace_back("tensorized_layers", json);
      write_text(staging / "tensorized.csv", csv);
      write_text(staging / "tensorized_steps.csv", ttm_steps_csv(setup.network, setup.program));
    }
    if (setup.phases.size() > 1 || !setup.rank_schedule.rows.empty()) {
      // Per phase, one iteration's figures: memory, traffic and energy as ranks (or widths)
      // change.
      std::ostringstream csv, json;
      csv << "phase,first_iteration,iterations,ranks,param_memory_bytes,activation_memory_bytes,"
             "intermediate_memory_bytes,macs,cycles,dram_read_bytes,dram_write_bytes,"
             "dram_intermediate_bytes,energy_pj\n";
      json << "[";
      for (std::size_t i = 0; i < setup.phases.size() && i < per_phase.size(); ++i) {
        const auto& phase = setup.phases[i];
        const auto& network = setup.network_of(i);
        const auto& r = per_phase[i];
        const workloads::Program program = phase_program(setup, i);
        const workloads::ActivationMemory m = workloads::activation_memory(
            network, program, setup.platform.accelerator.container_bits);
        const std::uint64_t params =
            workloads::parameter_memory_bytes(network, phase.precision, scheme, setup.training);
        const std::uint64_t intermediate_dram =
            r.dram_bytes_by_class[static_cast<std::size_t>(workloads::TensorClass::kIntermediate)];
        const double energy_pj = static_cast<double>(r.energy.total()) / 1000.0;
        char energy[32];
        std::snprintf(energy, sizeof(energy), "%.3f", energy_pj);
        csv << i << ',' << phase.first_iteration << ',' << phase.iterations << ','
            << ranks_text(network) << ',' << params << ',' << m.activation_bytes << ','
            << m.intermediate_bytes << ',' << r.macs << ',' << r.total_cycles << ','
            << r.dram_read_bytes << ',' << r.dram_write_bytes << ',' << intermediate_dram << ','
            << energy << '\n';
        json << (i ? ",\n    " : "\n    ") << "{\"first_iteration\": " << phase.first_iteration
             << ", \"iterations\": " << phase.iterations << ", \"ranks\": \"" << ranks_text(network)
             << "\", \"param_memory_bytes\": " << params
             << ", \"activation_memory_bytes\": " << m.activation_bytes
             << ", \"intermediate_memory_bytes\": " << m.intermediate_bytes
             << ", \"macs\": " << r.macs << ", \"cycles\": " << r.total_cycles
             << ", \"dram_read_bytes\": " << r.dram_read_bytes
             << ", \"dram_write_bytes\": " << r.dram_write_bytes << ", \"energy_pj\": " << energy
             << "}";
      }
      json << "\n  ]";
      info.extra_json.emplace_back("phases", json.str());
      write_text(staging / "phases.csv", csv.str());
    }
    write_text(staging / "layers.csv", layers_csv(result));
    if (!reports.empty() && result.feasible) write_scalesim(staging / "scalesim", setup, result);
    info.sim_wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    // summary.json is written last: its presence marks a complete run directory.
    write_text(staging / "summary.json", summary_json(info, result, setup.platform));
    if (fs::exists(final_dir)) fs::remove(final_dir);
    fs::create_directories(final_dir.parent_path().empty() ? "." : final_dir.parent_path());
    fs::rename(staging, final_dir);
    if (!quiet) {
      print_summary(std::cout, info, result, setup.platform, final_dir.string());
      if (!setup.rank_schedule.rows.empty()) {
        std::cout << "  rank phases    " << setup.phases.size()
                  << " ranges of identical ranks and widths, per-iteration figures in "
                     "phases.csv\n";
      }
    }
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  return 0;
}

}  // namespace app
