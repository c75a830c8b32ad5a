// `edgesim compare`: the same platform and workload under several schemes, or one workload dense
// and tensorised (--tensorize), each simulated in its own process, side by side.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "sim/app/commands.h"
#include "sim/app/run_setup.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace app {

namespace {

/// The figures compared, in table order: key, label, unit.
struct Metric {
  const char* key;
  const char* label;
  const char* unit;
};
constexpr Metric kMetrics[] = {
    {"param_memory_bytes", "parameter memory", "bytes"},
    {"param_dram_bytes", "parameter DRAM traffic (weights + masters)", "bytes"},
    {"param_movement_energy_pj", "parameter movement energy", "pJ"},
    {"gemm_energy_pj", "GEMM (MAC) energy", "pJ"},
    {"total_energy_pj", "total energy", "pJ"},
    {"cycles_per_iteration", "cycles per iteration", "cycles"},
    {"dram_weight_bytes", "DRAM weight bytes", "bytes"},
    {"dram_master_weight_bytes", "DRAM master weight bytes", "bytes"},
    {"dram_activation_bytes", "DRAM activation bytes", "bytes"},
    {"dram_psum_bytes", "DRAM partial-sum bytes", "bytes"},
    {"dram_gradient_bytes", "DRAM gradient bytes", "bytes"},
    {"dram_optimizer_state_bytes", "DRAM optimizer state bytes", "bytes"},
};
/// The figures of a dense vs tensorised comparison (docs/tensorized.md), per iteration.
constexpr Metric kTensorizeMetrics[] = {
    {"param_memory_bytes", "parameter memory", "bytes"},
    {"activation_memory_bytes", "peak activation memory", "bytes"},
    {"intermediate_memory_bytes", "peak ttm intermediate memory", "bytes"},
    {"data_memory_bytes", "peak activation + intermediate memory", "bytes"},
    {"dram_bytes_per_iteration", "DRAM traffic per iteration", "bytes"},
    {"param_dram_bytes", "parameter DRAM traffic (weights + masters)", "bytes"},
    {"dram_intermediate_bytes", "DRAM ttm intermediate bytes", "bytes"},
    {"macs_per_iteration", "MACs per iteration", "MACs"},
    {"cycles_per_iteration", "cycles per iteration", "cycles"},
    {"energy_pj_per_iteration", "energy per iteration", "pJ"},
};

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

/// A number after `"key": ` in `json`, searching from `from`.
double json_number(const std::string& json, const std::string& key, std::size_t from = 0) {
  const std::regex pattern("\"" + key + "\": (-?[0-9.eE+-]+)");
  std::smatch match;
  std::string rest = json.substr(std::min(from, json.size()));
  if (!std::regex_search(rest, match, pattern)) {
    throw sim::InternalError("summary.json has no field " + key);
  }
  return std::stod(match[1]);
}

/// The compared figures of one scheme's summary.json.
std::map<std::string, double> figures(const std::string& summary) {
  std::map<std::string, double> f;
  const std::size_t dram_block = summary.find("\"dram_bytes_by_tensor_class\"");
  const std::size_t energy_block = summary.find("\"energy_pj\"");
  const std::size_t class_block = summary.find("\"by_tensor_class\"", energy_block);
  for (const char* cls : {"weight", "master_weight", "activation", "psum", "gradient",
                          "optimizer_state", "intermediate"}) {
    f[std::string("dram_") + cls + "_bytes"] = json_number(summary, cls, dram_block);
  }
  f["param_memory_bytes"] = json_number(summary, "param_memory_bytes");
  f["param_dram_bytes"] = f["dram_weight_bytes"] + f["dram_master_weight_bytes"];
  f["param_movement_energy_pj"] = json_number(summary, "weight", class_block) +
                                  json_number(summary, "master_weight", class_block);
  f["gemm_energy_pj"] = json_number(summary, "mac", energy_block);
  f["total_energy_pj"] = json_number(summary, "total", energy_block);
  const double iterations = std::max(1.0, json_number(summary, "iterations"));
  f["cycles_per_iteration"] = json_number(summary, "total_cycles") / iterations;
  f["activation_memory_bytes"] = json_number(summary, "activation_memory_bytes");
  f["intermediate_memory_bytes"] = json_number(summary, "intermediate_memory_bytes");
  f["data_memory_bytes"] = f["activation_memory_bytes"] + f["intermediate_memory_bytes"];
  f["dram_bytes_per_iteration"] =
      (json_number(summary, "dram_read_bytes") + json_number(summary, "dram_write_bytes")) /
      iterations;
  f["macs_per_iteration"] = json_number(summary, "macs") / iterations;
  f["energy_pj_per_iteration"] = f["total_energy_pj"] / iterations;
  return f;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

/// Savings of `a` against `b` in percent of b's figure.
double savings(double a, double b) { return b != 0 ? (b - a) / b * 100.0 : 0.0; }

std::string svg_bars(const Metric& metric, const std::vector<std::string>& schemes,
                     const std::map<std::string, std::map<std::string, double>>& all) {
  double top = 0;
  for (const auto& s : schemes) top = std::max(top, all.at(s).at(metric.key));
  const int width = 420, bar_height = 26, label = 70;
  const int height = static_cast<int>(schemes.size()) * (bar_height + 8) + 36;
  std::ostringstream out;
  out << "<figure><figcaption>" << metric.label << " (" << metric.unit << ")</figcaption>"
      << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width + label + 150 << "' height='"
      << height << "' role='img' aria-label='" << metric.label << "'>";
  const char* colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2"};
  for (std::size_t i = 0; i < schemes.size(); ++i) {
    const double value = all.at(schemes[i]).at(metric.key);
    const int length = top > 0 ? static_cast<int>(value / top * width) : 0;
    const int y = 10 + static_cast<int>(i) * (bar_height + 8);
    out << "<text x='0' y='" << y + 18 << "' font-family='sans-serif' font-size='13'>" << schemes[i]
        << "</text><rect class='bar' x='" << label << "' y='" << y << "' width='" << length
        << "' height='" << bar_height << "' fill='" << colours[i % 5] << "'/><text x='"
        << label + length + 6 << "' y='" << y + 18 << "' font-family='sans-serif' font-size='12'>"
        << fixed(value, 0) << "</text>";
  }
  out << "</svg></figure>\n";
  return out.str();
}

}  // namespace

int compare_command(int argc, const char* const* argv) {
  std::string schemes_text = "fp32,qat,rct";
  std::string tensorize_file;
  RunOptions options;
  std::string out_dir;
  std::vector<std::string> scheme_sets;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false;
  po::options_description described(
      "Usage: edgesim compare [options]\n"
      "Runs the same platform and workload under several schemes, each in its own process, and "
      "compares parameter memory, data movement, energy and cycles side by side.\n"
      "Example: edgesim compare --schemes fp32,qat,rct --workload lenet5 "
      "--set workload.precision.w_bits=8 --out runs/cmp\n"
      "With --tensorize FILE it compares the workload dense against its tensorised variant "
      "under one scheme (docs/tensorized.md):\n"
      "  edgesim compare --platform tt_edge --workload mlp --schemes fp32 "
      "--tensorize examples/tensorized/mlp_tt20.yaml\n\nOptions");
  described.add_options()("help,h", "show this help")(
      "schemes", po::value(&schemes_text)->default_value(schemes_text),
      "comma-separated schemes: inference, fp32, qat, rct")(
      "platform,p", po::value(&options.platform)->default_value(options.platform),
      "built-in platform name or platform YAML file")(
      "workload,w", po::value(&options.workload)->default_value(options.workload),
      "built-in workload name or workload YAML file")(
      "set,s", po::value(&options.sets)->composing(),
      "override a config key for every scheme (repeatable), e.g. "
      "--set workload.precision.w_bits=4")(
      "bitwidth-schedule", po::value(&options.bitwidth_schedule),
      "per-layer widths from a schedule.csv written by `edgesim train`, for every scheme")(
      "scheme-set", po::value(&scheme_sets)->composing(),
      "override a key for one scheme only (repeatable), SCHEME:key.path=value, e.g. "
      "--scheme-set rct:workload.precision.w_bits=6")(
      "tensorize", po::value(&tensorize_file),
      "a YAML file with tensorize: (and optionally tensorize_order_by, tensorize_on_chip) "
      "applied to the workload: compares variants 'dense' and 'tensorized' under the one "
      "scheme --schemes names (default fp32)")(
      "out,o", po::value(&out_dir), "output directory (default runs/compare-<workload>)")(
      "jobs,j", po::value(&jobs)->default_value(jobs), "schemes simulated at once")(
      "quiet,q", po::bool_switch(&quiet), "print nothing on success");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(described).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim compare: ") + e.what() +
                           " (see edgesim compare --help)");
  }
  if (vm.count("help")) {
    std::cout << described << "\n";
    return 0;
  }
  if (!tensorize_file.empty() && vm["schemes"].defaulted()) schemes_text = "fp32";
  std::vector<std::string> schemes;
  std::stringstream list(schemes_text);
  for (std::string s; std::getline(list, s, ',');) {
    if (s.empty()) continue;
    if (s != "inference" && s != "fp32" && s != "qat" && s != "rct") {
      throw sim::ConfigError("--schemes: unknown scheme '" + s +
                             "', expected a comma-separated list of inference, fp32, qat, rct");
    }
    if (std::find(schemes.begin(), schemes.end(), s) != schemes.end()) {
      throw sim::ConfigError("--schemes: '" + s + "' is listed twice");
    }
    schemes.push_back(s);
  }
  // The compared variants: one per scheme, or dense and tensorised under one scheme.
  std::map<std::string, std::string> scheme_of;
  std::map<std::string, std::vector<std::string>> variant_args;
  if (!tensorize_file.empty()) {
    if (schemes.size() != 1) {
      throw sim::ConfigError(
          "--schemes: --tensorize compares dense and tensorised under one "
          "scheme, got '" +
          schemes_text + "'");
    }
    if (!scheme_sets.empty()) {
      throw sim::ConfigError("--scheme-set: not available with --tensorize; use --set");
    }
    const std::string scheme = schemes.front();
    schemes = {"dense", "tensorized"};
    scheme_of = {{"dense", scheme}, {"tensorized", scheme}};
    variant_args["tensorized"] = {"--tensorize", tensorize_file};
  } else {
    if (schemes.size() < 2) throw sim::ConfigError("--schemes: expected at least two schemes");
    for (const auto& s : schemes) scheme_of[s] = s;
  }

  // Per-scheme overrides follow the common ones.
  std::map<std::string, std::vector<std::string>> extra_sets;
  for (const auto& entry : scheme_sets) {
    const auto colon = entry.find(':');
    const std::string scheme = colon == std::string::npos ? "" : entry.substr(0, colon);
    if (std::find(schemes.begin(), schemes.end(), scheme) == schemes.end()) {
      throw sim::ConfigError("--scheme-set " + entry +
                             ": expected SCHEME:key.path=value with a scheme from --schemes");
    }
    extra_sets[scheme].push_back(entry.substr(colon + 1));
  }
  // Every scheme's config is checked before anything runs.
  std::string workload_name;
  for (const auto& s : schemes) {
    RunOptions check = options;
    check.scheme = scheme_of[s];
    if (!variant_args[s].empty()) check.tensorize_file = tensorize_file;
    for (const auto& set : extra_sets[s]) check.sets.push_back(set);
    workload_name = prepare_run(check).network.name;
  }
  if (out_dir.empty()) out_dir = "runs/compare-" + workload_name;
  if (fs::exists(out_dir) && !fs::is_empty(out_dir)) {
    throw sim::ConfigError("--out: " + out_dir + ": already exists and is not empty");
  }
  fs::create_directories(out_dir);

  // One process per scheme, `jobs` at a time.
  std::map<pid_t, std::string> running;
  std::map<std::string, int> exit_codes;
  std::size_t next = 0;
  while (next < schemes.size() || !running.empty()) {
    while (next < schemes.size() && running.size() < jobs) {
      const std::string& s = schemes[next++];
      std::vector<std::string> args = {"edgesim",
                                       "run",
                                       "-q",
                                       "--platform",
                                       options.platform,
                                       "--workload",
                                       options.workload,
                                       "--scheme",
                                       scheme_of[s],
                                       "--out",
                                       (fs::path(out_dir) / s).string()};
      if (!options.bitwidth_schedule.empty()) {
        args.push_back("--bitwidth-schedule");
        args.push_back(options.bitwidth_schedule);
      }
      for (const auto& a : variant_args[s]) args.push_back(a);
      for (const auto* list : {&options.sets, &extra_sets[s]}) {
        for (const auto& set : *list) {
          args.push_back("--set");
          args.push_back(set);
        }
      }
      const pid_t pid = fork();
      if (pid == 0) {
        const std::string log = (fs::path(out_dir) / (s + ".log")).string();
        if (std::freopen(log.c_str(), "w", stderr) == nullptr) _exit(3);
        std::vector<char*> raw;
        for (auto& a : args) raw.push_back(a.data());
        raw.push_back(nullptr);
        execv("/proc/self/exe", raw.data());
        _exit(3);
      }
      if (pid < 0) throw sim::InternalError("edgesim compare: fork failed");
      running[pid] = s;
    }
    int status = 0;
    const pid_t done = wait(&status);
    if (done < 0) break;
    exit_codes[running[done]] = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    running.erase(done);
  }
  std::map<std::string, std::map<std::string, double>> all;
  for (const auto& s : schemes) {
    const fs::path log = fs::path(out_dir) / (s + ".log");
    if (exit_codes[s] != 0) {
      throw sim::InternalError("edgesim compare: the " + s + " run failed: " + read_text(log));
    }
    fs::remove(log);
    const std::string summary = read_text(fs::path(out_dir) / s / "summary.json");
    if (summary.find("\"feasible\": false") != std::string::npos) {
      std::smatch reason;
      std::regex_search(summary, reason, std::regex("\"reason\": \"([^\"]*)\""));
      throw sim::ConfigError("edgesim compare: the " + s +
                             " design point is infeasible: " + reason[1].str());
    }
    all[s] = figures(summary);
  }

  const std::vector<Metric> metrics =
      tensorize_file.empty()
          ? std::vector<Metric>(std::begin(kMetrics), std::end(kMetrics))
          : std::vector<Metric>(std::begin(kTensorizeMetrics), std::end(kTensorizeMetrics));
  // compare.csv: one row per scheme; compare.json adds savings of every scheme against every
  // other; compare.html draws one bar chart per figure.
  std::ostringstream csv, json, html;
  csv << "scheme";
  for (const auto& m : metrics) csv << ',' << m.key;
  csv << '\n';
  for (const auto& s : schemes) {
    csv << s;
    for (const auto& m : metrics) csv << ',' << fixed(all[s][m.key], 3);
    csv << '\n';
  }
  json << "{\n  \"schemes\": {";
  for (std::size_t i = 0; i < schemes.size(); ++i) {
    json << (i ? ",\n" : "\n") << "    \"" << schemes[i] << "\": {";
    bool first = true;
    for (const auto& m : metrics) {
      json << (first ? "" : ", ") << '"' << m.key << "\": " << fixed(all[schemes[i]][m.key], 3);
      first = false;
    }
    json << ", \"summary\": " << read_text(fs::path(out_dir) / schemes[i] / "summary.json") << "}";
  }
  json << "\n  },\n  \"savings_pct\": {";
  bool first_pair = true;
  for (const auto& a : schemes) {
    for (const auto& b : schemes) {
      if (a == b) continue;
      json << (first_pair ? "\n" : ",\n") << "    \"" << a << "_vs_" << b << "\": {";
      bool first = true;
      for (const auto& m : metrics) {
        json << (first ? "" : ", ") << '"' << m.key
             << "\": " << fixed(savings(all[a][m.key], all[b][m.key]), 3);
        first = false;
      }
      json << "}";
      first_pair = false;
    }
  }
  json << "\n  }\n}\n";
  html << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>edgesim compare: "
       << workload_name << "</title><style>body{font-family:sans-serif;margin:2em}"
       << "figure{display:inline-block;margin:1em}table{border-collapse:collapse}"
       << "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
       << "<h1>" << workload_name << ": " << schemes_text << "</h1><table><tr><th>figure</th>";
  for (const auto& s : schemes) html << "<th>" << s << "</th>";
  html << "</tr>";
  for (const auto& m : metrics) {
    html << "<tr><td style='text-align:left'>" << m.label << " (" << m.unit << ")</td>";
    for (const auto& s : schemes) html << "<td>" << fixed(all[s][m.key], 0) << "</td>";
    html << "</tr>";
  }
  html << "</table>\n";
  for (const auto& m : metrics) html << svg_bars(m, schemes, all);
  html << "</body></html>\n";
  std::ofstream(fs::path(out_dir) / "compare.csv") << csv.str();
  std::ofstream(fs::path(out_dir) / "compare.json") << json.str();
  std::ofstream(fs::path(out_dir) / "compare.html") << html.str();

  if (!quiet) {
    std::printf("edgesim compare: %s on %s\n", workload_name.c_str(), options.platform.c_str());
    std::printf("  %-50s", "figure");
    for (const auto& s : schemes) std::printf(" %16s", s.c_str());
    std::printf("\n");
    for (const auto& m : metrics) {
      std::printf("  %-50s", (std::string(m.label) + " (" + m.unit + ")").c_str());
      for (const auto& s : schemes) std::printf(" %16.0f", all[s][m.key]);
      std::printf("\n");
    }
    if (!tensorize_file.empty()) {
      const auto& t = all["tensorized"];
      const auto& d = all["dense"];
      // "14.2x less" / "2.81x more": the tensorized figure against the dense one.
      auto change = [&](const char* key) {
        const double tv = t.at(key), dv = d.at(key);
        char text[48];
        if (tv == dv) return std::string("the same");
        if (tv == 0 || dv == 0) return std::string(tv < dv ? "none" : "some (dense none)");
        std::snprintf(text, sizeof(text), tv < dv ? "%.2fx less" : "%.2fx more",
                      tv < dv ? dv / tv : tv / dv);
        return std::string(text);
      };
      std::printf(
          "  tensorized vs dense (%s), per iteration: parameter memory %s, activation + "
          "intermediate memory %s, DRAM traffic %s, MACs %s, cycles %s, energy %s\n",
          scheme_of["dense"].c_str(), change("param_memory_bytes").c_str(),
          change("data_memory_bytes").c_str(), change("dram_bytes_per_iteration").c_str(),
          change("macs_per_iteration").c_str(), change("cycles_per_iteration").c_str(),
          change("energy_pj_per_iteration").c_str());
    }
    for (std::size_t i = 0; i < schemes.size() && tensorize_file.empty(); ++i) {
      for (std::size_t j = i + 1; j < schemes.size(); ++j) {
        const auto& a = schemes[j];
        const auto& b = schemes[i];
        std::printf(
            "  %s vs %s: parameter memory %+.1f%%, parameter movement energy %+.1f%%, "
            "GEMM energy %+.1f%%, total energy %+.1f%% saved\n",
            a.c_str(), b.c_str(),
            savings(all[a]["param_memory_bytes"], all[b]["param_memory_bytes"]),
            savings(all[a]["param_movement_energy_pj"], all[b]["param_movement_energy_pj"]),
            savings(all[a]["gemm_energy_pj"], all[b]["gemm_energy_pj"]),
            savings(all[a]["total_energy_pj"], all[b]["total_energy_pj"]));
      }
    }
    std::printf("  written: %s/compare.csv, compare.json, compare.html\n", out_dir.c_str());
  }
  return 0;
}

}  // namespace app
