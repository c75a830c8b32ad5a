#pragma once
// Value Change Dump writer. Components record timestamped changes as they happen (possibly
// ahead of the kernel's time under temporal decoupling); write() sorts them by time and
// emits a well-formed VCD with one scope per component.

#include <cstdint>
#include <string>
#include <vector>

namespace sim {

/// Collects signal changes and writes them as a VCD file.
class VcdWriter {
 public:
  using SignalId = std::uint32_t;

  /// Declares a signal `name` of `width_bits` (1..64) in the dotted `scope` ("top.accel.dma").
  SignalId add_signal(const std::string& scope, const std::string& name, unsigned width_bits);
  /// Records that `signal` takes `value` at `time_ps`; changes to the same value are dropped.
  void change(SignalId signal, std::uint64_t time_ps, std::uint64_t value);
  /// Number of recorded changes.
  std::size_t change_count() const { return changes_.size(); }
  /// Writes the VCD to `file`; throws std::runtime_error when it cannot be written.
  void write_file(const std::string& file) const;
  /// The VCD text (used by write_file and tests).
  std::string to_string() const;

 private:
  struct Signal {
    std::string scope;
    std::string name;
    unsigned width;
    std::string code;
    std::uint64_t last_value;
    bool has_value;
  };
  struct Change {
    std::uint64_t time_ps;
    std::uint64_t sequence;
    SignalId signal;
    std::uint64_t value;
  };
  std::vector<Signal> signals_;
  std::vector<Change> changes_;
};

}  // namespace sim
