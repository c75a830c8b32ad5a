// edgesim dram-bench: drives the DRAM model alone with generated traffic, the way DRAMSys and
// Ramulator users check a memory configuration.
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "models/memory/dram/dram_bench.h"
#include "models/memory/dram/dram_params.h"
#include "sim/app/commands.h"
#include "sim/core/config.h"

namespace app {

namespace {

namespace po = boost::program_options;

std::string presets_text() {
  std::string text;
  for (const auto& name : models::dram_preset_names()) text += (text.empty() ? "" : "|") + name;
  return text;
}

}  // namespace

int dram_bench_command(int argc, const char* const* argv) {
  std::string preset;
  std::string config_file;
  std::string pattern_text;
  std::string mode_text;
  std::string out_file;
  std::vector<std::string> overrides;
  models::DramBenchOptions options;
  double read_ratio = 1.0;
  std::uint64_t total_bytes = options.total_bytes;
  std::uint64_t request_bytes = options.request_bytes;
  std::uint32_t outstanding = options.outstanding;

  po::options_description described(
      "edgesim dram-bench: drive the DRAM model with generated traffic");
  described.add_options()("help,h", "show this help")(
      "preset", po::value(&preset)->default_value("lpddr4-3200"),
      ("DRAM preset: " + presets_text()).c_str())(
      "config", po::value(&config_file),
      "YAML file whose `dram:` section describes the DRAM (instead of --preset)")(
      "pattern", po::value(&pattern_text)->default_value("seq"), "seq | random | strided")(
      "bytes", po::value(&total_bytes)->default_value(options.total_bytes),
      "bytes to move in total")("request-bytes",
                                po::value(&request_bytes)->default_value(options.request_bytes),
                                "bytes per request (split into bursts by the DRAM)")(
      "read-ratio", po::value(&read_ratio)->default_value(1.0),
      "fraction of requests that read, in [0, 1]")(
      "outstanding", po::value(&outstanding)->default_value(options.outstanding),
      "requests in flight (1 measures unloaded latency)")(
      "stride", po::value(&options.stride_bytes)->default_value(options.stride_bytes),
      "bytes between requests of the strided pattern")(
      "seed", po::value(&options.seed)->default_value(options.seed), "random seed")(
      "mode", po::value(&mode_text), "lt | at (default: the DRAM's `mode`)")(
      "set", po::value(&overrides)->composing(),
      "override a DRAM key: --set trcd=30 or --set dram.trcd=30 (repeatable)")(
      "out", po::value(&out_file), "write the figures as JSON to this file");

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("dram-bench: ") + e.what());
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  if (!models::parse_traffic_pattern(pattern_text, options.pattern)) {
    throw sim::ConfigError("dram-bench: --pattern must be seq|random|strided, got '" +
                           pattern_text + "'");
  }
  if (total_bytes == 0) throw sim::ConfigError("dram-bench: --bytes must be > 0, got 0");
  if (request_bytes == 0) throw sim::ConfigError("dram-bench: --request-bytes must be > 0, got 0");
  if (outstanding == 0) throw sim::ConfigError("dram-bench: --outstanding must be > 0, got 0");
  if (!(read_ratio >= 0.0 && read_ratio <= 1.0)) {
    throw sim::ConfigError("dram-bench: --read-ratio must be in [0, 1], got " +
                           sim::format_double(read_ratio));
  }
  if (options.pattern == models::TrafficPattern::kStrided && options.stride_bytes == 0) {
    throw sim::ConfigError("dram-bench: --stride must be > 0, got 0");
  }
  options.total_bytes = total_bytes;
  options.request_bytes = request_bytes;
  options.outstanding = outstanding;
  options.read_ratio = read_ratio;

  sim::Config config;
  // Generated traffic carries no data worth keeping: timing and counters only, unless the
  // file or a --set says store_data: true.
  config.apply_override("dram.store_data=false");
  if (!config_file.empty()) {
    config.load_file(config_file);
    if (!vm["preset"].defaulted()) {
      // An explicit --preset replaces the file's DRAM kind: its type goes with it.
      config.remove_path("dram.type");
      config.apply_override("dram.preset=" + preset);
    }
  } else {
    config.apply_override("dram.preset=" + preset);
  }
  for (const auto& assignment : overrides) {
    config.apply_override(assignment.rfind("dram.", 0) == 0 ? assignment : "dram." + assignment);
  }
  const models::DramParams params = models::parse_dram(config.root().child("dram"));
  if (config_file.empty()) config.check_all_read();
  options.mode = params.mode;
  if (vm.count("mode")) {
    if (mode_text == "lt") {
      options.mode = models::DramMode::kLt;
    } else if (mode_text == "at") {
      options.mode = models::DramMode::kAt;
    } else {
      throw sim::ConfigError("dram-bench: --mode must be lt|at, got '" + mode_text + "'");
    }
  }
  if (request_bytes > params.size_bytes) {
    throw sim::ConfigError("dram-bench: --request-bytes must be <= the DRAM size (" +
                           std::to_string(params.size_bytes) + "), got " +
                           std::to_string(request_bytes));
  }

  std::ofstream out;
  if (!out_file.empty()) {
    out.open(out_file);
    if (!out) throw sim::ConfigError(out_file + ": cannot open for writing");
  }
  const models::DramBenchResult result = models::run_dram_bench(params, options);
  std::cout << models::dram_bench_summary(result);
  if (out.is_open()) {
    out << models::dram_bench_json(result);
    if (!out) throw sim::ConfigError(out_file + ": write failed");
    std::cout << "  wrote       " << out_file << "\n";
  }
  return result.error_responses == 0 ? 0 : 1;
}

}  // namespace app
