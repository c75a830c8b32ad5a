#pragma once
// Named counters registered by reference. Components own their counters as plain integers
// and register them once; derived figures are computed at report time.

#include <cstdint>
#include <string>
#include <vector>

namespace sim {

/// Unit of a counter, printed in reports.
enum class Unit { kCount, kBytes, kCycles, kPicoseconds, kPicojoules };

/// Short unit name used in reports ("bytes", "cycles", ...).
const char* unit_name(Unit unit);

/// One registered counter.
struct StatEntry {
  std::string name;  // hierarchical, e.g. "top.accel.dma.bytes_read"
  const std::uint64_t* value;
  Unit unit;
  std::string description;
};

/// Registry of counters for one simulation; owned by the platform, never global.
class Stats {
 public:
  /// Registers `counter` (which must outlive this registry) under a unique name.
  void add(const std::string& name, const std::uint64_t& counter, Unit unit,
           const std::string& description);
  const std::vector<StatEntry>& entries() const { return entries_; }
  /// Value of a registered counter; throws InternalError when no such name exists.
  std::uint64_t value(const std::string& name) const;
  /// Sum over every counter whose name ends with `suffix` (e.g. ".bytes_read").
  std::uint64_t sum_suffix(const std::string& suffix) const;

 private:
  std::vector<StatEntry> entries_;
};

}  // namespace sim
