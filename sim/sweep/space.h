#pragma once
// The design points of a sweep, generated on demand from their index: a full product of the
// axes (zip groups move together), or `count` random / Latin-hypercube samples. Nothing is
// held per point, so a space of millions of points costs no memory; shards take every N-th
// index.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/sweep/constraint.h"
#include "sim/sweep/spec.h"

namespace sweep {

/// One design point: its index in the space and one value per axis (spec order).
struct Point {
  std::uint64_t index = 0;
  std::vector<std::string> values;
};

/// Shard I of N (0-based): the points whose index is I modulo N.
struct Shard {
  std::uint64_t index = 0;
  std::uint64_t count = 1;
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};
/// Parses "I/N"; throws sim::ConfigError.
Shard parse_shard(const std::string& text);

/// A bijection of [0, n) keyed by `seed` (a Feistel network with cycle walking).
std::uint64_t permute_index(std::uint64_t i, std::uint64_t n, std::uint64_t seed);

class PointSpace {
 public:
  /// `base_yaml` is the base's resolved config (for constraints); may be empty when the
  /// sweep has no constraints.
  explicit PointSpace(const SweepSpec& spec, const std::string& base_yaml = "");

  /// Number of indices (product size or sample count), before constraints.
  std::uint64_t size() const { return size_; }
  /// The point at `index` (< size()).
  Point point(std::uint64_t index) const;
  /// True when every constraint holds.
  bool admitted(const Point& point) const;
  /// The base overrides plus this point's key=value assignments.
  std::vector<std::string> overrides(const Point& point) const;

  /// Value of a config key or derived quantity for `point` (point values over the base).
  ValueLookup lookup_for(const Point& point) const;
  /// Value of a config key or derived quantity in the base alone.
  std::optional<std::string> lookup_base(const std::string& name) const;
  /// Every name constraints may use (for did-you-mean).
  std::vector<std::string> known_names() const;

  /// Calls `visit` for each admitted point of `shard` in index order; stops when it returns
  /// false. Returns the number of admitted points visited.
  template <typename Visit>
  std::uint64_t for_each(const Shard& shard, Visit&& visit) const {
    std::uint64_t admitted_points = 0;
    for (std::uint64_t i = shard.index; i < size_; i += shard.count) {
      Point p = point(i);
      if (!admitted(p)) continue;
      ++admitted_points;
      if (!visit(p)) break;
    }
    return admitted_points;
  }

 private:
  const SweepSpec* spec_;
  std::vector<std::vector<std::size_t>> dims_;  // axis indices per dimension
  std::vector<std::uint64_t> dim_sizes_;        // 0 for a continuous dimension
  bool all_discrete_ = true;
  std::uint64_t product_ = 0;  // product of dim sizes (when all discrete and it fits)
  std::uint64_t size_ = 0;
  std::map<std::string, std::string> base_values_;
  std::vector<Constraint> constraints_;
};

}  // namespace sweep
