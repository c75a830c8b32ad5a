#pragma once
// A whole-run timeline in the Chrome / Perfetto trace-event format (JSON): one track per
// component, each operation, tile, DMA transfer or DRAM refresh a complete slice ("ph": "X").
// Slices are recorded as they happen, in any order, and sorted when written.

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace sim {

/// Collects slices on named tracks and writes them as trace-event JSON.
class Timeline {
 public:
  using TrackId = std::uint32_t;
  /// A numeric argument shown with a slice; `key` must outlive the timeline (a literal).
  struct Arg {
    const char* key;
    std::uint64_t value;
  };

  /// Keeps slices that overlap [window_start_ps, window_end_ps], clipped to it.
  explicit Timeline(std::uint64_t window_start_ps = 0,
                    std::uint64_t window_end_ps = std::numeric_limits<std::uint64_t>::max());
  /// The track called `name` (a dotted component name), created on first use; tracks are
  /// shown in creation order.
  TrackId track(const std::string& name);
  /// Records a slice [start_ps, end_ps) on `track` with up to four arguments.
  void slice(TrackId track, std::string name, std::uint64_t start_ps, std::uint64_t end_ps,
             std::initializer_list<Arg> args = {});
  std::size_t slice_count() const { return slices_.size(); }
  const std::vector<std::string>& track_names() const { return tracks_; }
  /// Writes the JSON document to `out`.
  void write(std::ostream& out) const;
  /// Writes the JSON document to `file`; throws std::runtime_error when it cannot be written.
  void write_file(const std::string& file) const;
  std::string to_string() const;

 private:
  struct Slice {
    TrackId track;
    std::uint64_t start_ps;
    std::uint64_t end_ps;
    std::string name;
    Arg args[4];
    std::uint8_t arg_count;
  };
  std::uint64_t window_start_ps_;
  std::uint64_t window_end_ps_;
  std::vector<std::string> tracks_;
  std::map<std::string, TrackId> track_index_;
  std::vector<Slice> slices_;
};

}  // namespace sim
