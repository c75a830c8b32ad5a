#include "sim/sweep/space.h"

#include <yaml-cpp/yaml.h>

#include <limits>
#include <stdexcept>

namespace sweep {

namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// A uniform double in [0, 1) determined by (seed, i, dimension).
double unit(std::uint64_t seed, std::uint64_t i, std::uint64_t dimension) {
  const std::uint64_t bits = mix(mix(seed ^ mix(i)) ^ mix(dimension + 0x51ed27));
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

void flatten_yaml(const YAML::Node& node, const std::string& prefix,
                  std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      flatten_yaml(entry.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      flatten_yaml(node[i], prefix + "[" + std::to_string(i) + "]", out);
    }
  } else if (node.IsScalar()) {
    out[prefix] = node.Scalar();
  }
}

}  // namespace

Shard parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    shard.index = std::stoull(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("index");
    const std::string count = text.substr(slash + 1);
    shard.count = std::stoull(count, &used);
    if (used != count.size()) throw std::invalid_argument("count");
  } catch (const std::exception&) {
    throw sim::ConfigError("--shard: expected I/N with 0 <= I < N (e.g. --shard 0/4), got '" +
                           text + "'");
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    throw sim::ConfigError("--shard: expected I/N with 0 <= I < N (shards count from 0), got '" +
                           text + "'");
  }
  return shard;
}

std::uint64_t permute_index(std::uint64_t i, std::uint64_t n, std::uint64_t seed) {
  if (n <= 1) return 0;
  unsigned bits = 2;
  while (bits < 64 && (std::uint64_t{1} << bits) < n) bits += 2;
  const unsigned half = bits / 2;
  const std::uint64_t mask = (std::uint64_t{1} << half) - 1;
  std::uint64_t x = i;
  do {
    std::uint64_t left = x >> half, right = x & mask;
    for (std::uint64_t round = 0; round < 4; ++round) {
      const std::uint64_t next = left ^ (mix(right ^ mix(seed + round)) & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= n);
  return x;
}

PointSpace::PointSpace(const SweepSpec& spec, const std::string& base_yaml) : spec_(&spec) {
  std::map<std::string, std::size_t> group_dim;
  for (std::size_t a = 0; a < spec.axes.size(); ++a) {
    const Axis& axis = spec.axes[a];
    if (!axis.zip.empty()) {
      auto it = group_dim.find(axis.zip);
      if (it != group_dim.end()) {
        dims_[it->second].push_back(a);
        continue;
      }
      group_dim[axis.zip] = dims_.size();
    }
    dims_.push_back({a});
    dim_sizes_.push_back(axis.continuous() ? 0 : axis.size());
    if (axis.continuous()) all_discrete_ = false;
  }
  if (all_discrete_) {
    product_ = 1;
    for (const std::uint64_t n : dim_sizes_) {
      if (n != 0 && product_ > std::numeric_limits<std::uint64_t>::max() / n) {
        if (spec.sampling.method == Sampling::Method::kFull) {
          throw sim::ConfigError(spec.file +
                                 ": axes: the full product has more than 2^64 "
                                 "points; draw some with sample: {method: random, count: N}");
        }
        all_discrete_ = false;  // too big to index: sample each dimension independently
        break;
      }
      product_ *= n;
    }
  }
  if (spec.sampling.method == Sampling::Method::kFull) {
    size_ = product_;
  } else {
    size_ = spec.sampling.count;
    if (spec.sampling.method == Sampling::Method::kRandom && all_discrete_ && size_ > product_) {
      throw sim::ConfigError(spec.file +
                             ": sample.count: random sampling draws distinct points, "
                             "and the space has only " +
                             std::to_string(product_) + ", got " + std::to_string(size_));
    }
  }
  if (!base_yaml.empty()) flatten_yaml(YAML::Load(base_yaml), "", base_values_);
  for (const auto& c : spec.constraints) {
    try {
      constraints_.emplace_back(c.text);
    } catch (const std::invalid_argument& e) {
      throw sim::ConfigError(c.where + ": '" + c.text + "': " + e.what());
    }
  }
}

Point PointSpace::point(std::uint64_t index) const {
  const SweepSpec& spec = *spec_;
  Point p;
  p.index = index;
  p.values.resize(spec.axes.size());
  const auto set_discrete = [&](std::size_t d, std::uint64_t j) {
    for (const std::size_t a : dims_[d]) p.values[a] = spec.axes[a].value_at(j);
  };
  const auto set_fraction = [&](std::size_t d, double u) {
    for (const std::size_t a : dims_[d]) p.values[a] = spec.axes[a].value_at_fraction(u);
  };
  const Sampling& s = spec.sampling;
  if (s.method == Sampling::Method::kFull ||
      (s.method == Sampling::Method::kRandom && all_discrete_)) {
    // Mixed radix, the last axis fastest (nested loops in file order).
    std::uint64_t rest =
        s.method == Sampling::Method::kFull ? index : permute_index(index, product_, s.seed);
    for (std::size_t d = dims_.size(); d-- > 0;) {
      set_discrete(d, rest % dim_sizes_[d]);
      rest /= dim_sizes_[d];
    }
    return p;
  }
  for (std::size_t d = 0; d < dims_.size(); ++d) {
    double u = unit(s.seed, index, d);
    if (s.method == Sampling::Method::kLatinHypercube) {
      // One point per stratum and dimension: stratum = a seeded permutation of the index.
      const std::uint64_t stratum = permute_index(index, size_, mix(s.seed) ^ mix(d + 1));
      u = (static_cast<double>(stratum) + u) / static_cast<double>(size_);
    }
    if (dim_sizes_[d] != 0 && s.method == Sampling::Method::kRandom) {
      set_discrete(
          d, static_cast<std::uint64_t>(u * static_cast<double>(dim_sizes_[d])) % dim_sizes_[d]);
    } else {
      set_fraction(d, u);
    }
  }
  return p;
}

ValueLookup PointSpace::lookup_for(const Point& point) const {
  return [this, &point](const std::string& name) -> std::optional<std::string> {
    for (std::size_t a = 0; a < spec_->axes.size(); ++a) {
      if (spec_->axes[a].key == name) return point.values[a];
    }
    const auto base = base_values_.find(name);
    if (base != base_values_.end()) return base->second;
    return derived_value(name, lookup_for(point));
  };
}

std::optional<std::string> PointSpace::lookup_base(const std::string& name) const {
  for (const auto& axis : spec_->axes) {
    if (axis.key == name) return std::string();
  }
  const auto base = base_values_.find(name);
  if (base != base_values_.end()) return base->second;
  for (const auto& [derived, meaning] : derived_quantities()) {
    if (derived == name) return std::string();
  }
  return std::nullopt;
}

std::vector<std::string> PointSpace::known_names() const {
  std::vector<std::string> names;
  for (const auto& [key, value] : base_values_) names.push_back(key);
  for (const auto& [derived, meaning] : derived_quantities()) names.push_back(derived);
  return names;
}

bool PointSpace::admitted(const Point& point) const {
  if (constraints_.empty()) return true;
  const ValueLookup lookup = lookup_for(point);
  for (const auto& constraint : constraints_) {
    try {
      if (!constraint.holds(lookup)) return false;
    } catch (const std::invalid_argument&) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> PointSpace::overrides(const Point& point) const {
  std::vector<std::string> sets = spec_->sets;
  for (std::size_t a = 0; a < spec_->axes.size(); ++a) {
    sets.push_back(spec_->axes[a].key + "=" + point.values[a]);
  }
  return sets;
}

}  // namespace sweep
