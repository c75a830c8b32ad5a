#include "sim/sweep/spec.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/sweep/constraint.h"
#include "sim/sweep/json.h"
#include "sim/sweep/space.h"

namespace fs = std::filesystem;

namespace sweep {

namespace {

std::string format_value(double value, bool integer) {
  if (integer) return std::to_string(static_cast<long long>(std::llround(value)));
  return sim::format_double(value);
}

bool is_integer_text(const std::string& text) {
  if (text.empty()) return false;
  std::size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return false;
  for (; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

std::string where_of(const sim::ConfigNode& node, const std::string& key) {
  return node.location(key).to_string() + ": " + node.path_of(key);
}

/// Anchors a platform/workload file path to the sweep file's folder; built-in names stay.
std::string anchor_path(const std::string& value, const std::string& base_dir) {
  const bool path_like =
      value.find('/') != std::string::npos || value.find('.') != std::string::npos;
  if (!path_like || fs::path(value).is_absolute() || base_dir.empty()) return value;
  const fs::path anchored = fs::path(base_dir) / value;
  return fs::exists(anchored) ? anchored.lexically_normal().string() : value;
}

Axis parse_axis(const sim::ConfigNode& node) {
  Axis axis;
  axis.key = node.require<std::string>("key");
  axis.where = where_of(node, "key");
  axis.zip = node.get<std::string>("zip", "");
  const int forms =
      (node.has("values") ? 1 : 0) + (node.has("range") ? 1 : 0) + (node.has("log_range") ? 1 : 0);
  if (forms != 1) {
    node.fail("", "an axis needs exactly one of values, range or log_range, got " +
                      std::to_string(forms));
  }
  if (node.has("values")) {
    axis.kind = Axis::Kind::kList;
    axis.values = node.get_string_list("values", {});
    if (axis.values.empty()) node.fail("values", "must list at least one value");
    return axis;
  }
  const bool log = node.has("log_range");
  const sim::ConfigNode range = node.child(log ? "log_range" : "range");
  axis.kind = log ? Axis::Kind::kLogRange : Axis::Kind::kRange;
  axis.from = range.require<double>("from");
  axis.to = range.require<double>("to");
  axis.integer = is_integer_text(range.raw("from")) && is_integer_text(range.raw("to"));
  if (axis.to < axis.from)
    range.fail("to", "must be >= from (" + range.raw("from") + "), got " + range.raw("to"));
  if (range.has("count")) {
    axis.count = range.get_positive("count", 1);
  }
  if (log) {
    if (axis.from <= 0) range.fail("from", "must be > 0 for a log range, got " + range.raw("from"));
    if (range.has("factor")) {
      axis.factor = range.get<double>("factor", 2.0);
      if (axis.factor <= 1) range.fail("factor", "must be > 1, got " + range.raw("factor"));
      if (axis.count) range.fail("count", "give factor or count, not both");
      axis.integer = axis.integer && is_integer_text(range.raw("factor"));
    }
  } else if (range.has("step")) {
    axis.step = range.get<double>("step", 1.0);
    if (axis.step <= 0) range.fail("step", "must be > 0, got " + range.raw("step"));
    if (axis.count) range.fail("count", "give step or count, not both");
    axis.integer = axis.integer && is_integer_text(range.raw("step"));
  } else if (axis.count) {
    axis.step = axis.count > 1 ? (axis.to - axis.from) / static_cast<double>(axis.count - 1) : 1;
    axis.integer = false;
  }
  return axis;
}

SweepSpec parse_spec(sim::Config& config, const std::string& origin, const std::string& base_dir) {
  SweepSpec spec;
  spec.file = origin;
  sim::ConfigNode root = config.root();
  const sim::ConfigNode base = root.child("base");
  spec.platform_as_written = base.get<std::string>("platform", spec.platform);
  spec.workload_as_written = base.get<std::string>("workload", spec.workload);
  spec.where_platform = where_of(base, "platform");
  spec.where_workload = where_of(base, "workload");
  spec.platform = anchor_path(spec.platform_as_written, base_dir);
  spec.workload = anchor_path(spec.workload_as_written, base_dir);
  spec.scheme = base.get<std::string>("scheme", spec.scheme);
  const sim::ConfigNode set = base.child("set");
  for (const auto& key : set.given_keys()) {
    spec.sets.push_back(key + "=" + set.get<std::string>(key, ""));
  }

  const auto axes = root.child_list("axes");
  if (axes.empty())
    root.fail("axes", "must list at least one axis (key plus values, range or log_range)");
  std::map<std::string, std::string> seen;
  for (const auto& node : axes) {
    Axis axis = parse_axis(node);
    if (seen.count(axis.key)) {
      node.fail("key", "'" + axis.key + "' is already swept by " + seen[axis.key]);
    }
    seen[axis.key] = node.path();
    spec.axes.push_back(std::move(axis));
  }

  const sim::ConfigNode sample = root.child("sample");
  if (root.has("sample")) {
    const std::string method =
        sample.get_choice("method", "random", {"full", "random", "latin_hypercube"});
    spec.sampling.method = method == "full"     ? Sampling::Method::kFull
                           : method == "random" ? Sampling::Method::kRandom
                                                : Sampling::Method::kLatinHypercube;
    if (spec.sampling.method != Sampling::Method::kFull) {
      if (!sample.has("count")) sample.fail("count", "is required for method " + method);
      spec.sampling.count = sample.get_positive("count", 1);
      spec.sampling.seed = sample.get<std::uint64_t>("seed", spec.sampling.seed);
    }
  }

  // Zip groups move together: equal lengths; continuous axes only when sampled.
  std::map<std::string, const Axis*> group_first;
  for (std::size_t i = 0; i < spec.axes.size(); ++i) {
    const Axis& axis = spec.axes[i];
    if (axis.continuous() && spec.sampling.method == Sampling::Method::kFull) {
      axes[i].fail(axis.kind == Axis::Kind::kRange ? "range" : "log_range",
                   "has no step, factor or count, so it is continuous: give one, or draw points "
                   "with sample: {method: random|latin_hypercube, count: N}");
    }
    if (axis.zip.empty()) continue;
    auto [it, inserted] = group_first.emplace(axis.zip, &axis);
    if (!inserted) {
      const Axis& first = *it->second;
      if (first.continuous() != axis.continuous() ||
          (!axis.continuous() && first.size() != axis.size())) {
        axes[i].fail("zip", "axes of zip group '" + axis.zip +
                                "' must have the same number of "
                                "values: " +
                                first.key + " has " +
                                (first.continuous() ? std::string("a continuous range")
                                                    : std::to_string(first.size())) +
                                ", this one " +
                                (axis.continuous() ? std::string("a continuous range")
                                                   : std::to_string(axis.size())));
      }
    }
  }

  for (const auto& text : root.get_string_list("constraints", {})) {
    spec.constraints.push_back({text, where_of(root, "constraints")});
  }
  for (const auto& node : root.child_list("objectives")) {
    const bool min = node.has("minimize");
    const bool max = node.has("maximize");
    if (min == max) node.fail("", "an objective is {minimize: FIGURE} or {maximize: FIGURE}");
    Objective objective;
    objective.minimize = min;
    objective.figure = node.require<std::string>(min ? "minimize" : "maximize");
    objective.where = where_of(node, min ? "minimize" : "maximize");
    spec.objectives.push_back(objective);
  }
  config.check_all_read();
  PointSpace(spec).size();  // checks the space is countable (throws on overflow)
  return spec;
}

}  // namespace

bool Axis::continuous() const {
  if (kind == Kind::kList) return false;
  if (kind == Kind::kRange) return step <= 0;
  return factor <= 0 && count == 0;
}

std::uint64_t Axis::size() const {
  if (kind == Kind::kList) return values.size();
  if (kind == Kind::kRange) {
    if (count) return count;
    return static_cast<std::uint64_t>(std::floor((to - from) / step + 1e-9)) + 1;
  }
  if (count) return count;
  return static_cast<std::uint64_t>(std::floor(std::log(to / from) / std::log(factor) + 1e-9)) + 1;
}

std::string Axis::value_at(std::uint64_t i) const {
  if (kind == Kind::kList) return values[i];
  const double x = static_cast<double>(i);
  if (kind == Kind::kRange)
    return format_value(count && i + 1 == count ? to : from + x * step, integer);
  if (count) {
    const double t = count > 1 ? x / static_cast<double>(count - 1) : 0.0;
    return format_value(from * std::pow(to / from, t), integer);
  }
  return format_value(from * std::pow(factor, x), integer);
}

std::string Axis::value_at_fraction(double u) const {
  if (!continuous()) {
    const std::uint64_t n = size();
    std::uint64_t i = static_cast<std::uint64_t>(u * static_cast<double>(n));
    return value_at(std::min(i, n - 1));
  }
  if (kind == Kind::kRange) {
    const double value = from + u * (to - from);
    return format_value(integer ? std::floor(from + u * (to - from + 1)) : value, integer);
  }
  const double value = from * std::pow(to / from, u);
  return format_value(value, integer);
}

std::string SweepSpec::sweep_id() const {
  std::ostringstream out;
  out << "platform=" << platform_as_written << "\nworkload=" << workload_as_written
      << "\nscheme=" << scheme << "\n";
  for (const auto& s : sets) out << "set " << s << "\n";
  for (const auto& a : axes) {
    out << "axis " << a.key << " kind=" << static_cast<int>(a.kind) << " zip=" << a.zip
        << " int=" << a.integer << " from=" << sim::format_double(a.from)
        << " to=" << sim::format_double(a.to) << " step=" << sim::format_double(a.step)
        << " factor=" << sim::format_double(a.factor) << " count=" << a.count;
    for (const auto& v : a.values) out << " [" << v << "]";
    out << "\n";
  }
  out << "sample " << static_cast<int>(sampling.method) << " " << sampling.count << " "
      << sampling.seed << "\n";
  for (const auto& c : constraints) out << "constraint " << c.text << "\n";
  for (const auto& o : objectives) out << "objective " << o.minimize << " " << o.figure << "\n";
  return hash_text(out.str());
}

SweepSpec parse_sweep_text(const std::string& text, const std::string& origin,
                           const std::string& base_dir) {
  sim::Config config;
  config.load_text(text, origin);
  return parse_spec(config, origin, base_dir);
}

SweepSpec parse_sweep_file(const std::string& path) {
  sim::Config config;
  config.load_file(path);
  return parse_spec(config, path, fs::path(path).parent_path().string());
}

const std::vector<std::string>& known_figures() {
  static const std::vector<std::string> kFigures = {"total_cycles",
                                                    "compute_cycles",
                                                    "stall_cycles",
                                                    "simulated_ns",
                                                    "macs",
                                                    "pe_utilization",
                                                    "dram_read_bytes",
                                                    "dram_write_bytes",
                                                    "sram_read_bytes",
                                                    "sram_write_bytes",
                                                    "functional_checked_ops",
                                                    "layers",
                                                    "sim_wall_seconds",
                                                    "clock_mhz",
                                                    "pe_rows",
                                                    "pe_cols",
                                                    "iterations",
                                                    "simulated_phases",
                                                    "param_memory_bytes",
                                                    "activation_memory_bytes",
                                                    "intermediate_memory_bytes",
                                                    "dram_row_hit_rate",
                                                    "dram_avg_latency_ns"};
  return kFigures;
}

/// Figures inside a summary.json object, named by their dotted path (`pipeline.used.luts`).
bool is_nested_summary_figure(const std::string& figure) {
  for (const char* prefix :
       {"counters.", "dram_bytes_by_tensor_class.", "energy_pj.", "pipeline."}) {
    if (figure.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

bool is_summary_figure(const std::string& figure) {
  const auto& known = known_figures();
  return std::find(known.begin(), known.end(), figure) != known.end() ||
         is_nested_summary_figure(figure);
}

std::string hash_text(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof(buffer), "%016llx", static_cast<unsigned long long>(hash));
  return buffer;
}

std::string validate_spec(const SweepSpec& spec, const Resolver& resolve) {
  std::string base_yaml;
  try {
    base_yaml = resolve(spec.sets);
  } catch (const sim::ConfigError& e) {
    throw sim::ConfigError(spec.file + ": base: " + e.what());
  }
  for (const auto& axis : spec.axes) {
    std::vector<std::string> probes;
    if (axis.kind == Axis::Kind::kList && axis.values.size() <= 64) {
      probes = axis.values;
    } else if (axis.continuous()) {
      probes = {axis.value_at_fraction(0.0), axis.value_at_fraction(0.999999)};
    } else {
      probes = {axis.value_at(0), axis.value_at(axis.size() - 1)};
    }
    for (const auto& value : probes) {
      std::vector<std::string> sets = spec.sets;
      sets.push_back(axis.key + "=" + value);
      try {
        resolve(sets);
      } catch (const sim::ConfigError& e) {
        throw sim::ConfigError(axis.where + ": '" + axis.key + "=" + value +
                               "' is not accepted: " + e.what());
      }
    }
  }
  const PointSpace space(spec, base_yaml);
  for (std::size_t i = 0; i < spec.constraints.size(); ++i) {
    const auto& c = spec.constraints[i];
    const std::string where = c.where + "[" + std::to_string(i) + "]";
    try {
      const Constraint constraint(c.text);
      for (const auto& name : constraint.identifiers()) {
        if (!space.lookup_base(name)) {
          std::string message = "'" + name + "' is not a config key or derived quantity";
          const std::string suggestion = sim::closest_match(name, space.known_names());
          if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
          throw std::invalid_argument(message);
        }
      }
      if (space.size() > 0) constraint.holds(space.lookup_for(space.point(0)));
    } catch (const std::invalid_argument& e) {
      throw sim::ConfigError(where + ": '" + c.text + "': " + e.what());
    }
  }
  for (std::size_t i = 0; i < spec.objectives.size(); ++i) {
    const std::string& figure = spec.objectives[i].figure;
    const auto& known = known_figures();
    const bool nested = is_nested_summary_figure(figure);
    const bool from_config = !is_summary_figure(figure) && space.lookup_base(figure);
    if (!nested && !from_config && std::find(known.begin(), known.end(), figure) == known.end()) {
      std::string message =
          spec.objectives[i].where + ": '" + figure + "' is not a summary.json figure";
      const std::string suggestion = sim::closest_match(figure, known);
      if (!suggestion.empty()) message += " (did you mean '" + suggestion + "'?)";
      throw sim::ConfigError(message +
                             " or a config key or derived quantity (pe_count, "
                             "sram_total_bytes); see docs/outputs.md");
    }
  }
  return base_yaml;
}

}  // namespace sweep
