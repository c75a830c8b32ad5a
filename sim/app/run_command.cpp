// `edgesim run`: one design point, one process.
#include <boost/program_options.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "sim/app/commands.h"
#include "sim/app/report.h"
#include "sim/app/run_setup.h"
#include "sim/core/vcd_writer.h"

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

}  // namespace

int run_command(int argc, const char* const* argv) {
  const auto wall_start = std::chrono::steady_clock::now();
  RunOptions options;
  std::string out_dir;
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
      "inference (default); training schemes fp32|qat|rct are not simulated yet")(
      "config", po::value(&options.config_file),
      "a config.resolved.yaml from an earlier run: reproduces it exactly (replaces --platform "
      "and --workload)")("set,s", po::value(&options.sets)->composing(),
                         "override any config key, repeatable, type-checked like the file "
                         "(e.g. --set accelerator.pe_array.rows=32 --set workload.batch=4)")(
      "out,o", po::value(&out_dir),
      "run directory (default runs/<platform>-<workload>-<timestamp>)")(
      "vcd", po::bool_switch(&options.vcd), "write trace.vcd (same as --set trace.vcd=true)")(
      "quiet,q", po::bool_switch(&quiet), "print nothing on success");
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

  RunSetup setup = prepare_run(options);
  const std::string platform_name = options.config_file.empty() ? stem(options.platform)
                                                                : setup.platform.name;
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
    std::unique_ptr<sim::VcdWriter> vcd;
    if (setup.platform.trace.vcd) vcd = std::make_unique<sim::VcdWriter>();
    write_text(staging / "config.resolved.yaml", setup.config->resolved_yaml());
    const platforms::PlannedProgram planned =
        platforms::plan_program(setup.platform, setup.network, setup.program);
    const platforms::RunResult result =
        platforms::simulate(setup.platform, setup.network, setup.program, planned, vcd.get());
    RunInfo info{platform_name, workload_name, setup.scheme, 0.0};
    write_text(staging / "layers.csv", layers_csv(result));
    if (vcd) vcd->write_file((staging / "trace.vcd").string());
    info.sim_wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    // summary.json is written last: its presence marks a complete run directory.
    write_text(staging / "summary.json", summary_json(info, result, setup.platform));
    if (fs::exists(final_dir)) fs::remove(final_dir);
    fs::create_directories(final_dir.parent_path().empty() ? "." : final_dir.parent_path());
    fs::rename(staging, final_dir);
    if (!quiet) print_summary(std::cout, info, result, setup.platform, final_dir.string());
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  return 0;
}

}  // namespace app
