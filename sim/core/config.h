#pragma once
// Typed access to YAML configuration with exact error locations.
//
// A Config owns a merged YAML tree (platform file, workload file, --set overrides). Parse
// functions walk it through ConfigNode handles: every key read is recorded, together with
// the value actually used (default included), in a resolved tree that becomes
// config.resolved.yaml. After parsing, check_all_read() rejects every key that no parse
// function asked for, with a did-you-mean suggestion.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

/// A user mistake in configuration or input; its text is one complete line for stderr.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

/// A simulator bug: an internal invariant that does not hold.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

/// Throws InternalError with the location when `condition` is false; stays on in release.
#define EDGESIM_CHECK(condition, message)                                                 \
  do {                                                                                    \
    if (!(condition))                                                                     \
      throw ::sim::InternalError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                 ": internal error: " + (message));                       \
  } while (0)

/// Where a YAML node came from: a file position or a --set override.
struct SourceLocation {
  std::string file;
  int line = -1;    // 1-based; -1 when unknown
  int column = -1;  // 1-based
  std::string to_string() const;
};

/// Levenshtein distance, used for did-you-mean suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word` when it is close enough to be a likely typo, else "".
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// Formats a double so that parsing the text gives back the same value (shortest form).
std::string format_double(double value);

class Config;

/// A handle on one map in the configuration tree; cheap to copy.
class ConfigNode {
 public:
  /// Key path of this node, e.g. "accelerator.pe_array".
  const std::string& path() const { return path_; }
  /// Key path of a child key, e.g. "accelerator.pe_array.rows".
  std::string path_of(std::string_view key) const;
  /// True when the user gave `key` in a file or with --set.
  bool has(std::string_view key) const;

  /// Optional key: returns the user's value, or `fallback` (recorded as resolved) when absent.
  template <typename T>
  T get(std::string_view key, const T& fallback) const;
  /// Required key: a missing key is a ConfigError.
  template <typename T>
  T require(std::string_view key) const;
  /// Optional unsigned integer that must be > 0.
  std::uint64_t get_positive(std::string_view key, std::uint64_t fallback) const;
  /// Optional double in [lo, hi].
  double get_in_range(std::string_view key, double fallback, double lo, double hi) const;
  /// Optional string that must be one of `choices`.
  std::string get_choice(std::string_view key, const std::string& fallback,
                         const std::vector<std::string>& choices) const;
  /// Optional list of strings.
  std::vector<std::string> get_string_list(std::string_view key,
                                           const std::vector<std::string>& fallback) const;

  /// Records the value finally used for `key` when it is derived after reading (e.g. a size
  /// that defaults to a computed capacity), so config.resolved.yaml reproduces the run.
  template <typename T>
  void set_resolved(std::string_view key, const T& value) const;

  /// Child map; an absent child behaves as an empty map (all defaults).
  ConfigNode child(std::string_view key) const;
  /// Sequence of maps; absent means empty.
  std::vector<ConfigNode> child_list(std::string_view key) const;
  /// Names of the keys the user gave in this map, in file order.
  std::vector<std::string> given_keys() const;

  /// Throws ConfigError located at `key` (or at this node when key is empty).
  [[noreturn]] void fail(std::string_view key, const std::string& what_expected) const;
  /// Location of `key` in its file (or of this node when key is empty).
  SourceLocation location(std::string_view key = {}) const;
  /// The raw scalar text of `key` as the user wrote it ("" if absent or not a scalar).
  std::string raw(std::string_view key) const;

 private:
  friend class Config;
  ConfigNode(Config* config, YAML::Node node, YAML::Node resolved, std::string path)
      : config_(config), node_(std::move(node)), resolved_(std::move(resolved)), path_(path) {}
  YAML::Node lookup(std::string_view key) const;
  void mark_read(std::string_view key) const;

  Config* config_;
  YAML::Node node_;              // user's map (may be undefined / null when absent)
  mutable YAML::Node resolved_;  // resolved map (values actually used)
  std::string path_;
};

/// The merged configuration of one run.
class Config {
 public:
  Config();
  /// Loads a YAML file and merges it under `mount` ("" for the root). Throws ConfigError.
  void load_file(const std::string& file, const std::string& mount = "");
  /// Loads YAML text (embedded presets) as if it came from `origin`.
  void load_text(const std::string& text, const std::string& origin, const std::string& mount = "");
  /// Applies one `key.path=value` override; the value is parsed as a YAML scalar or flow node.
  /// `origin` names the option it came from in error messages.
  void apply_override(const std::string& assignment, const std::string& origin = "--set");
  /// True when the merged tree has a value at `dotted_path`.
  bool has_path(const std::string& dotted_path) const;
  /// Removes a subtree before parsing (used when a later --workload replaces a section).
  void remove_path(const std::string& dotted_path);

  ConfigNode root();
  /// Throws ConfigError for the first key the user gave that no parse function read.
  void check_all_read() const;
  /// The resolved tree: every value used, defaults included.
  const YAML::Node& resolved() const { return resolved_; }
  /// The resolved tree as YAML text.
  std::string resolved_yaml() const;

 private:
  friend class ConfigNode;
  void merge(YAML::Node target, const YAML::Node& source, const std::string& origin,
             const std::string& path);
  void check_node(const YAML::Node& node, const std::string& path) const;

  YAML::Node tree_;
  YAML::Node resolved_;
  std::map<std::string, std::string> origin_of_path_;        // path -> file (or --set text)
  std::map<std::string, std::pair<int, int>> key_position_;  // path -> line, column of its key
  std::set<std::string> read_paths_;
  std::map<std::string, std::vector<std::string>> known_keys_;  // parent path -> keys read
};

/// Splits "a.b[2].c" into {"a", "b", "[2]", "c"}-style components ("b[2]" kept whole).
std::vector<std::string> split_key_path(const std::string& dotted_path);

}  // namespace sim
