// `edgesim report DIR`: the HTML page of a sweep directory.
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>

#include "sim/app/commands.h"
#include "sim/core/config.h"
#include "sim/sweep/report_html.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace app {

int report_command(int argc, const char* const* argv) {
  std::string dir, out_file;
  po::options_description described(
      "Usage: edgesim report DIR [--out FILE]\n"
      "Writes DIR/report.html for a sweep results directory: one self-contained page (inline\n"
      "SVG, no network) with the Pareto scatter of the objectives, each objective against each\n"
      "swept key, the table of best points and the points without results.\n"
      "Example: edgesim sweep examples/sweeps/array_sram_dataflow.yaml --out sweeps/asd && "
      "edgesim report sweeps/asd\n\nOptions");
  described.add_options()("help,h", "show this help")(
      "out,o", po::value(&out_file), "write the page here instead of DIR/report.html");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir), "the sweep results directory");
  po::options_description all;
  all.add(described).add(hidden);
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim report: ") + e.what() +
                           " (see edgesim report --help)");
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  if (dir.empty()) throw sim::ConfigError("edgesim report: expected a sweep results directory");
  if (!fs::is_directory(dir))
    throw sim::ConfigError("edgesim report: " + dir + ": no such directory");
  if (!fs::exists(fs::path(dir) / "sweep.json") && fs::exists(fs::path(dir) / "summary.json")) {
    throw sim::ConfigError("edgesim report: " + dir +
                           " is a single run directory; the report "
                           "page is for sweep directories (edgesim sweep ... --out DIR)");
  }
  const std::string path = sweep::write_report(dir, out_file);
  std::cout << "wrote " << path << "\n";
  return 0;
}

}  // namespace app
