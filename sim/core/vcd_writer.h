#pragma once
// Value Change Dump writer. Components record timestamped changes as they happen (possibly
// ahead of the kernel's time under temporal decoupling); write() sorts them by time and
// emits a well-formed VCD with one scope per component. A trace level, a time window and
// signal glob patterns decide what is kept; a signal they exclude costs one branch per change.

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace sim {

class Timeline;

/// How much detail a trace keeps: per op (layer), per tile and DMA descriptor, per cycle.
enum class TraceLevel : std::uint8_t { kLayer = 0, kTile = 1, kCycle = 2 };
/// "layer", "tile" or "cycle".
const char* trace_level_name(TraceLevel level);
/// Parses "layer", "tile" or "cycle"; nullopt otherwise.
std::optional<TraceLevel> parse_trace_level(const std::string& text);

/// True when `text` matches the glob `pattern` ('*' any run of characters, '?' one, "[...]"
/// a set); '.' is an ordinary character, so "top.dma.*" matches every DMA signal.
bool glob_match(const std::string& pattern, const std::string& text);

/// What a VcdWriter keeps.
struct VcdOptions {
  TraceLevel level = TraceLevel::kTile;
  std::uint64_t window_start_ps = 0;  // changes before it only set the initial values
  std::uint64_t window_end_ps = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::string> signals;        // globs over "scope.name"; empty keeps all
  std::uint64_t rate_window_ps = 1000000;  // bucket of the per-window (rate) signals
  bool record_signals = true;              // false: a timeline-only trace, no VCD signals
};

/// A declared signal as the VCD and the GTKWave save file see it.
struct VcdSignalInfo {
  std::string scope;  // dotted: "top.dma.ch0"
  std::string name;
  unsigned width = 1;
  std::string code;                 // VCD identifier
  bool rate = false;                // amount per rate window (bytes per window, ...)
  std::vector<std::string> legend;  // value i means legend[i] (empty: plain number)
  std::string full_name() const { return scope + "." + name; }
};

/// Collects signal changes and writes them as a VCD file.
class VcdWriter {
 public:
  using SignalId = std::uint32_t;

  explicit VcdWriter(VcdOptions options = {});

  /// Declares a signal `name` of `width_bits` (1..64) in the dotted `scope` ("top.accel.dma"),
  /// kept when `level` is within the trace level and the name passes the glob filters.
  SignalId add_signal(const std::string& scope, const std::string& name, unsigned width_bits,
                      TraceLevel level = TraceLevel::kTile);
  /// Declares a 32-bit signal whose value is the amount added in each rate window
  /// (add_amount); it integrates to the total amount.
  SignalId add_rate_signal(const std::string& scope, const std::string& name,
                           TraceLevel level = TraceLevel::kTile);
  /// True when `signal` is written (its changes are recorded).
  bool enabled(SignalId signal) const { return state_[signal].enabled; }
  /// Records that `signal` takes `value` at `time_ps`; repeats of the last value are dropped.
  void change(SignalId signal, std::uint64_t time_ps, std::uint64_t value) {
    State& s = state_[signal];
    if (!s.enabled) return;
    record(s, signal, time_ps, value);
  }
  /// Adds `amount` to a rate signal in the window that holds `time_ps`.
  void add_amount(SignalId signal, std::uint64_t time_ps, std::uint64_t amount) {
    State& s = state_[signal];
    if (!s.enabled) return;
    if (time_ps >= s.rate_lo && time_ps < s.rate_hi) {
      rate_buckets_[signal][s.rate_index] += amount;  // the window of the previous amount
    } else {
      accumulate(signal, time_ps, amount);
    }
  }
  /// Names the values of `signal` (a legend: value i is names[i]), in the VCD header and as
  /// a GTKWave translate filter.
  void set_legend(SignalId signal, std::vector<std::string> names);
  /// The id of an enabled signal by its full dotted name, if declared.
  std::optional<SignalId> find_signal(const std::string& full_name) const;
  /// The end of the trace (the end of simulation); the dump runs at least to it.
  void set_end_time(std::uint64_t time_ps) { end_ps_ = time_ps; }
  std::uint64_t end_time() const { return end_ps_; }

  /// Attaches a timeline (not owned) that components also feed; nullptr detaches.
  void attach_timeline(Timeline* timeline) { timeline_ = timeline; }
  /// The attached timeline when slices of `level` are within the trace level, else nullptr
  /// (ops and host commands are layer-level slices; tiles, chunks, stalls and DMA transfers
  /// tile-level).
  Timeline* timeline(TraceLevel level = TraceLevel::kTile) const {
    return level <= options_.level ? timeline_ : nullptr;
  }

  const VcdOptions& options() const { return options_; }
  TraceLevel level() const { return options_.level; }
  /// Number of recorded changes (rate windows not included).
  std::size_t change_count() const { return changes_.size(); }
  /// Signals that will be written, in declaration order.
  std::vector<VcdSignalInfo> declared_signals() const;
  /// Writes the VCD to `file`; throws std::runtime_error when it cannot be written.
  void write_file(const std::string& file) const;
  /// Writes the VCD text to `out`.
  void write(std::ostream& out) const;
  /// The VCD text (tests).
  std::string to_string() const;

 private:
  struct State {
    bool enabled = false;
    bool has_last = false;
    bool has_before = false;
    std::uint64_t last_time = 0;
    std::uint64_t last_value = 0;
    std::uint64_t before_time = 0;  // latest change before the window
    std::uint64_t before_value = 0;
    std::uint64_t mask = ~std::uint64_t{0};
    std::uint64_t rate_lo = 1, rate_hi = 0;  // rate signals: [lo, hi) of the last window used
    std::size_t rate_index = 0;
  };
  struct Change {
    std::uint64_t time_ps;
    std::uint64_t value;
    SignalId signal;
  };
  void record(State& s, SignalId signal, std::uint64_t time_ps, std::uint64_t value);
  void accumulate(SignalId signal, std::uint64_t time_ps, std::uint64_t amount);
  SignalId declare(const std::string& scope, const std::string& name, unsigned width_bits,
                   TraceLevel level, bool rate);

  VcdOptions options_;
  std::vector<VcdSignalInfo> info_;
  std::vector<State> state_;
  std::vector<Change> changes_;
  std::vector<std::vector<std::uint64_t>> rate_buckets_;  // per signal, empty if not a rate
  std::size_t enabled_count_ = 0;
  std::uint64_t end_ps_ = 0;
  Timeline* timeline_ = nullptr;
};

}  // namespace sim
