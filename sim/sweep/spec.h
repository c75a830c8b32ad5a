#pragma once
// The sweep file: a base design point, axes over config key paths, how the axes combine
// (full product, zip groups, random or Latin-hypercube sampling), constraints that skip
// points, and objectives naming summary.json figures.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/core/config.h"

namespace sweep {

/// One swept config key.
struct Axis {
  enum class Kind { kList, kRange, kLogRange };
  std::string key;  // config key path, e.g. accelerator.pe_array.rows
  Kind kind = Kind::kList;
  std::vector<std::string> values;  // kList: the values as YAML scalar text
  double from = 0, to = 0;          // kRange / kLogRange endpoints (inclusive)
  double step = 0;                  // kRange: additive step (0: continuous, sampling only)
  double factor = 0;                // kLogRange: multiplicative step
  std::uint64_t count = 0;          // kLogRange: points spaced evenly in log (alternative)
  bool integer = false;             // endpoints and step are integers: values are integers
  std::string zip;                  // name of the zip group, "" when independent
  std::string where;                // "file:line:col: axes[i]" for error messages

  /// True when the axis has no finite list of values (a range without step or count).
  bool continuous() const;
  /// Number of values of a discrete axis.
  std::uint64_t size() const;
  /// The i-th value of a discrete axis, as text for --set.
  std::string value_at(std::uint64_t i) const;
  /// The value at fraction u in [0, 1) of the axis (discrete: the value whose bin holds u).
  std::string value_at_fraction(double u) const;
  /// True for log ranges (plots use a log scale).
  bool logarithmic() const { return kind == Kind::kLogRange; }
};

/// How points are drawn.
struct Sampling {
  enum class Method { kFull, kRandom, kLatinHypercube };
  Method method = Method::kFull;
  std::uint64_t count = 0;
  std::uint64_t seed = 1;
};

/// One objective over a summary.json figure (dotted for nested ones), or over a config key or
/// derived quantity such as pe_count (a hardware cost to trade against speed).
struct Objective {
  std::string figure;
  bool minimize = true;
  std::string where;  // "file:line:col: objectives[i].minimize"
};

/// A constraint as written plus where it was written.
struct ConstraintText {
  std::string text;
  std::string where;
};

/// A parsed sweep file.
struct SweepSpec {
  std::string file;  // the sweep file path as given
  std::string platform = "edge_npu";
  std::string workload = "tiny_cnn";
  std::string scheme = "inference";
  std::vector<std::string> sets;  // key.path=value of the base
  std::vector<Axis> axes;
  Sampling sampling;
  std::vector<ConstraintText> constraints;
  std::vector<Objective> objectives;
  std::string where_platform, where_workload;            // locations for error messages
  std::string platform_as_written, workload_as_written;  // before anchoring to the file

  /// A stable identity of what the sweep computes (base, axes, sampling, constraints,
  /// objectives), independent of comments and formatting: shards of one sweep share it.
  std::string sweep_id() const;
};

/// Reads and checks a sweep file's structure (not yet its config keys: see validate_spec).
/// Relative platform/workload file paths are taken relative to the sweep file.
SweepSpec parse_sweep_file(const std::string& path);
/// Same, from text (tests); `origin` names it in errors, `base_dir` anchors relative paths.
SweepSpec parse_sweep_text(const std::string& text, const std::string& origin,
                           const std::string& base_dir);

/// Resolves one design point's config in-process: given the override list, returns the
/// resolved config YAML text, or throws sim::ConfigError.
using Resolver = std::function<std::string(const std::vector<std::string>& sets)>;

/// The summary.json figures objectives may name (nested ones under counters.,
/// dram_bytes_by_tensor_class. and energy_pj. are accepted by prefix).
const std::vector<std::string>& known_figures();

/// True when `figure` names a summary.json figure (objectives that do not are config keys or
/// derived quantities, computed per point by the runner: e.g. minimize pe_count as a cost).
bool is_summary_figure(const std::string& figure);

/// Checks everything that can be checked before running: the base resolves, every axis key
/// exists and accepts its first and last values, constraints parse and name known keys,
/// objectives name known figures. Throws one-line ConfigErrors located in the sweep file.
/// Returns the base's resolved config YAML (used for constraints).
std::string validate_spec(const SweepSpec& spec, const Resolver& resolve);

/// 64-bit FNV-1a of a text, as 16 hex digits.
std::string hash_text(const std::string& text);

}  // namespace sweep
