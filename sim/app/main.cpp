// edgesim: command-line entry point. Dispatches to a subcommand; user mistakes (ConfigError)
// print one line and exit 2, simulator bugs (InternalError) exit 3.
#include <cstdlib>
#include <iostream>
#include <string>
#include <systemc>

#include "sim/app/commands.h"
#include "sim/core/config.h"

namespace {

constexpr const char* kUsage =
    "Usage: edgesim <command> [options]\n"
    "edgesim simulates edge-AI accelerators (SystemC/TLM-2.0): PE arrays, on-chip buffers and\n"
    "DRAM running inference and training workloads.\n\n"
    "Commands:\n"
    "  run          simulate one design point and write a run directory\n"
    "               e.g. edgesim run --platform edge_npu --workload tiny_cnn --out runs/a\n"
    "  compare      the same workload under several schemes side by side (fp32, qat, rct),\n"
    "               or dense against tensorised (--tensorize FILE)\n"
    "               e.g. edgesim compare --schemes fp32,qat,rct --workload tiny_cnn\n"
    "  sweep        a design-space sweep from a sweep file, in parallel (edgesim sweep --help)\n"
    "  report       the HTML report of a sweep directory\n"
    "  export       a workload as a SCALE-Sim topology CSV\n"
    "  train        train a small network on Fashion-MNIST for real (fp32, qat, rct; qat\n"
    "               with binary, ternary, uniform or uL2Q weights; tt_mlp: rank-adaptive\n"
    "               tensor-train training)\n"
    "               e.g. edgesim train --model mlp --scheme rct --epochs 1 --out runs/t\n"
    "  dram-bench   drive the DRAM model alone with a traffic pattern\n"
    "               e.g. edgesim dram-bench --preset lpddr4-3200 --pattern seq --bytes 1048576\n\n"
    "Options:\n"
    "  -h, --help   show this help; `edgesim <command> --help` explains a command\n"
    "  --version    print the edgesim and SystemC versions\n";

/// SystemC prints a banner when its kernel starts; the version is in --version instead.
struct QuietSystemC {
  QuietSystemC() { setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0); }
} quiet_systemc;

}  // namespace

int sc_main(int argc, char* argv[]) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  try {
    if (command == "--help" || command == "-h" || command == "help") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "--version") {
      std::cout << "edgesim " << EDGESIM_VERSION << "\nSystemC " << sc_core::sc_release() << "\n";
      return 0;
    }
    if (command == "run") return app::run_command(argc - 1, argv + 1);
    if (command == "train") return app::train_command(argc - 1, argv + 1);
    if (command == "dram-bench") return app::dram_bench_command(argc - 1, argv + 1);
    if (command == "sweep") return app::sweep_command(argc - 1, argv + 1);
    if (command == "report") return app::report_command(argc - 1, argv + 1);
    if (command == "export") return app::export_command(argc - 1, argv + 1);
    if (command == "compare") return app::compare_command(argc - 1, argv + 1);
    std::string message = "edgesim: unknown command '" + command + "'";
    const std::string suggestion = sim::closest_match(
        command, {"run", "train", "dram-bench", "sweep", "report", "export", "compare"});
    if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
    throw sim::ConfigError(
        message +
        "; expected run, compare, train, dram-bench, sweep, report or export (see edgesim --help)");
  } catch (const sim::ConfigError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const sim::InternalError& e) {
    std::cerr << "internal error (a bug in edgesim, please report it): " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "internal error (a bug in edgesim, please report it): " << e.what() << "\n";
    return 3;
  }
}
