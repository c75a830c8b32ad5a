#include "sim/core/stats.h"

#include "sim/core/config.h"

namespace sim {

const char* unit_name(Unit unit) {
  switch (unit) {
    case Unit::kCount:
      return "count";
    case Unit::kBytes:
      return "bytes";
    case Unit::kCycles:
      return "cycles";
    case Unit::kPicoseconds:
      return "ps";
    case Unit::kPicojoules:
      return "pj";
  }
  return "count";
}

void Stats::add(const std::string& name, const std::uint64_t& counter, Unit unit,
                const std::string& description) {
  for (const auto& entry : entries_) {
    EDGESIM_CHECK(entry.name != name, "statistic registered twice: " + name);
  }
  entries_.push_back({name, &counter, unit, description});
}

std::uint64_t Stats::value(const std::string& name) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return *entry.value;
  }
  throw InternalError("no statistic named " + name);
}

std::uint64_t Stats::sum_suffix(const std::string& suffix) const {
  std::uint64_t total = 0;
  for (const auto& entry : entries_) {
    if (entry.name.size() >= suffix.size() &&
        entry.name.compare(entry.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      total += *entry.value;
    }
  }
  return total;
}

}  // namespace sim
